"""What charging's scheduled session reports say: the figures of a period (sessions of a department's sites,
and the vehicles not charged by their departure) and the CSV of its sessions. notifications schedules and sends
the reports (`notifications/reports.py`); `session_report_content` is registered there as the content of
"sessions" reports in `ChargingConfig.ready()`."""

import csv
import io
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import Department
from charging import selectors
from charging.models import ChargingSession, Reservation
from evfleet.spreadsheet import csv_row
from notifications.reports import ReportContent
from pricing.models import currency_minor_units

Status = ChargingSession.Status


def report_figures(department: Department, start: datetime, end: datetime) -> tuple[dict, list[ChargingSession]]:
    """Sessions of the department's sites that ended in [start, end): completed, energy, cost by currency,
    failures; and the vehicles not charged by their departure."""
    tree = Q(charge_point__site__department__path__startswith=department.path)
    ended = ChargingSession.objects.filter(tree, ended_at__gte=start, ended_at__lt=end)
    totals = ended.aggregate(
        completed=Count("pk", filter=Q(status=Status.COMPLETED)),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.ABORTED])),
        energy=Sum("energy_kwh", filter=Q(status=Status.COMPLETED)),
    )
    costs = {
        row["currency"]: str(Decimal(row["total"]).quantize(Decimal(1).scaleb(-currency_minor_units(row["currency"]))))
        for row in ended.exclude(currency="").values("currency").annotate(total=Sum("cost_total")).order_by("currency")
    }
    departures = (
        Reservation.objects.filter(
            site__department__path__startswith=department.path, departure_at__gte=start, departure_at__lt=end
        )
        .exclude(status=Reservation.Status.CANCELLED)  # the owner withdrew it: no departure to meet
        .select_related("vehicle", "session")
    )
    not_ready = []
    for reservation in departures:
        session = reservation.session
        charged = session is not None and session.status in (Status.COMPLETED, Status.CHARGING, Status.FINISHING)
        on_time = session is not None and (session.ended_at or end) <= reservation.departure_at
        if not (charged and on_time):
            vehicle = reservation.vehicle
            not_ready.append(vehicle.fleet_number or vehicle.license_plate or vehicle.vin)
    figures = {
        "sessions_completed": totals["completed"],
        "sessions_failed": totals["failed"],
        "energy_kwh": round(totals["energy"] or 0.0, 3),
        "cost_by_currency": costs,
        "not_charged_by_departure": sorted(set(not_ready)),
    }
    rows = list(
        selectors.session_visibility(ended, path=department.path)  # no VIN of a visiting vehicle
        .select_related("charge_point__site", "connector", "vehicle", "vehicle_department", "customer")
        .order_by("ended_at")
    )
    return figures, rows


CSV_COLUMNS = [
    "session", "site", "charge_point", "connector", "vehicle", "customer", "status", "started_at_utc",
    "ended_at_utc", "energy_kwh", "currency", "cost_excl_tax", "cost_total", "stop_reason", "reason",
]  # fmt: skip


def report_csv(rows: list[ChargingSession]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in rows:
        writer.writerow(
            csv_row([  # names and reasons typed by people: never a live formula in a spreadsheet
                s.pk, s.charge_point.site.name if s.charge_point.site_id else "", s.charge_point.identity,
                s.connector.evse_id, selectors.session_vehicle_column(s), s.customer.name if s.customer_id else "",
                s.status, s.started_at.isoformat(), s.ended_at.isoformat() if s.ended_at else "", s.energy_kwh,
                s.currency, s.cost_excl_tax if s.cost_excl_tax is not None else "",
                s.cost_total if s.cost_total is not None else "", s.stop_reason, s.reason,
            ])
        )  # fmt: skip
    return out.getvalue()


def session_report_content(department: Department, start: datetime, end: datetime) -> ReportContent:
    """The session report of [start, end) for the department's tree: its figures, and every session in the CSV."""
    figures, rows = report_figures(department, start, end)
    costs = ", ".join(f"{Decimal(v):.2f} {k}" for k, v in figures["cost_by_currency"].items()) or "none"
    lines = [
        f"Sessions completed: {figures['sessions_completed']}",
        f"Energy: {figures['energy_kwh']:.1f} kWh",
        f"Cost: {costs}",
        f"Failed or aborted: {figures['sessions_failed']}",
        "Vehicles not charged by their departure: " + (", ".join(figures["not_charged_by_departure"]) or "none"),
        "",
        f"Every session of the period is in the attached CSV ({len(rows)} rows).",
    ]
    return ReportContent(
        title="Charging", figures=figures, lines=lines, csv=report_csv(rows), csv_rows=len(rows), file_prefix="sessions"
    )
