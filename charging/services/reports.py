"""Scheduled session reports: the schedule (a django-celery-beat task per report, editable in the admin),
the figures of a period, the CSV, and the email."""

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q, Sum
from django_celery_beat.models import PeriodicTask

from accounts.models import Department, User
from charging import selectors
from charging.models import ChargingSession, Reservation, SessionReport, SessionReportRun
from evfleet.schedules import beat_task_save
from evfleet.spreadsheet import csv_row
from pricing.models import currency_minor_units

Status = ChargingSession.Status
REPORT_TASK = "charging.tasks.session_report_send"


def session_report_schedule(report: SessionReport) -> PeriodicTask:
    """Create or update the report's beat task: every day, or every Monday, at its hour in the department's
    time zone. The task can be retimed or paused in the admin like any other."""
    return beat_task_save(
        report,
        name=f"Session report {report.pk}: {report.department.path} {report.period}",
        task=REPORT_TASK,
        kwargs={"report_id": report.pk},
        hour=report.send_at_hour,
        time_zone=report.department.time_zone,
        day_of_week="1" if report.period == SessionReport.Period.WEEKLY else "*",
        enabled=report.is_active,
    )


@transaction.atomic
def session_reports_ensure(department: Department) -> list[SessionReport]:
    """Every department gets a daily and a weekly report (to its fleet managers unless told otherwise)."""
    reports = []
    for period in SessionReport.Period.values:
        report, created = SessionReport.objects.get_or_create(department=department, period=period)
        if created or report.periodic_task_id is None:
            session_report_schedule(report)
        reports.append(report)
    return reports


def report_period(report: SessionReport, today: date) -> tuple[datetime, datetime]:
    """Yesterday, or last Monday to Sunday, in the department's time zone (as UTC instants)."""
    zone = ZoneInfo(report.department.time_zone)
    if report.period == SessionReport.Period.DAILY:
        first, last = today - timedelta(days=1), today
    else:
        monday = today - timedelta(days=today.weekday())
        first, last = monday - timedelta(days=7), monday
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(last, time.min, tzinfo=zone)


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


def _recipients(report: SessionReport) -> list[str]:
    if report.recipients.strip():
        return [a.strip() for a in report.recipients.replace(";", ",").split(",") if a.strip()]
    managers = User.objects.filter(department=report.department, role=User.Role.FLEET_MANAGER, is_active=True).exclude(
        email=""
    )
    return sorted(managers.values_list("email", flat=True))


def session_report_send(*, report_id: int, today: date | None = None) -> SessionReportRun | None:
    """Generate and email one report for its last full period; the run is kept as history. A failure to send
    raises (the task retries it) after recording the failed run."""
    report = SessionReport.objects.select_related("department").filter(pk=report_id).first()
    if report is None:  # deleted (with its department, perhaps): its schedule goes too
        PeriodicTask.objects.filter(task=REPORT_TASK, kwargs=json.dumps({"report_id": report_id})).delete()
        return None
    if not report.is_active:
        return None
    zone = ZoneInfo(report.department.time_zone)
    today = today or datetime.now(zone).date()
    start, end = report_period(report, today)
    figures, rows = report_figures(report.department, start, end)
    recipients = _recipients(report)
    run = SessionReportRun(report=report, period_start=start, period_end=end, recipients=", ".join(recipients)[:500],
                           figures=figures, csv_rows=len(rows))  # fmt: skip
    if not recipients:
        run.status, run.error = "skipped", "no recipients: set them, or give the fleet managers an email address"
        run.save()
        return run
    label = f"{start:%d %b %Y}" if report.period == SessionReport.Period.DAILY else (
        f"{start:%d %b} – {(end - timedelta(days=1)):%d %b %Y}"
    )  # fmt: skip
    costs = ", ".join(f"{Decimal(v):.2f} {k}" for k, v in figures["cost_by_currency"].items()) or "none"
    body = "\n".join(
        [
            f"Charging at {report.department} ({report.get_period_display().split(' ')[0].lower()}), {label}:",
            "",
            f"Sessions completed: {figures['sessions_completed']}",
            f"Energy: {figures['energy_kwh']:.1f} kWh",
            f"Cost: {costs}",
            f"Failed or aborted: {figures['sessions_failed']}",
            "Vehicles not charged by their departure: " + (", ".join(figures["not_charged_by_departure"]) or "none"),
            "",
            f"Every session of the period is in the attached CSV ({len(rows)} rows).",
        ]
    )
    message = EmailMessage(f"[EV Fleet] Charging report {report.department}: {label}", body, None, recipients)
    message.attach(f"sessions-{report.department.pk}-{start:%Y%m%d}-{report.period}.csv", report_csv(rows), "text/csv")
    try:
        message.send()
    except Exception as exc:
        run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        run.save()
        raise
    run.save()
    return run
