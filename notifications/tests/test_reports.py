"""Scheduled session reports: the beat schedule per department, the figures, the email with its CSV."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django_celery_beat.models import PeriodicTask

from accounts.services import department_create
from charging.models import Reservation
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from notifications import reports as session_reports
from notifications import tasks
from notifications.models import SessionReport
from pricing.tests.factories import CustomerFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _report(department, period, **fields) -> SessionReport:
    report, _ = SessionReport.objects.update_or_create(department=department, period=period, defaults=fields)
    return report


def test_a_new_department_gets_a_daily_and_a_weekly_schedule_in_its_time_zone(db):
    department = department_create(actor=None, name="Brooklyn", time_zone="America/New_York")
    reports = {r.period: r for r in SessionReport.objects.filter(department=department).select_related("periodic_task")}
    daily, weekly = reports["daily"].periodic_task, reports["weekly"].periodic_task
    assert (daily.crontab.hour, daily.crontab.day_of_week, str(daily.crontab.timezone)) == (
        "6",
        "*",
        "America/New_York",
    )
    assert weekly.crontab.day_of_week == "1" and json.loads(weekly.kwargs) == {"report_id": reports["weekly"].pk}
    report = reports["daily"]
    report.send_at_hour, report.is_active = 19, False
    report.save()
    session_reports.session_report_schedule(report)
    task = PeriodicTask.objects.get(pk=daily.pk)
    assert (task.crontab.hour, task.enabled) == ("19", False)


def test_the_daily_report_arrives_by_email_with_its_csv(org, smtp):
    org.fleet_manager_a.email = "manager-a@example.com"
    org.fleet_manager_a.save()
    site = SiteFactory(department=org.a1, name="Team depot")  # a team's site counts for its parent
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=site, identity="CP-REP"))
    day = datetime(2026, 6, 10, 8, tzinfo=UTC)  # 10 June, Berlin
    van = VehicleFactory(department=org.a1, fleet_number="VAN-1")
    late = VehicleFactory(department=org.a1, fleet_number="VAN-LATE")
    SessionFactory(connector=connector, vehicle=van, started_at=day, ended_at=day + timedelta(hours=1),
                   energy_kwh=20.5, currency="EUR", cost_total=D("7.14"), transaction_id="a")  # fmt: skip
    SessionFactory(connector=connector, started_at=day + timedelta(hours=2), ended_at=day + timedelta(hours=3),
                   energy_kwh=10.0, currency="EUR", cost_total=D("3.00"), transaction_id="b")  # fmt: skip
    SessionFactory(connector=connector, started_at=day + timedelta(hours=4), ended_at=day + timedelta(hours=4),
                   status="failed", transaction_id="c")  # fmt: skip
    SessionFactory(
        connector=connector,
        started_at=day - timedelta(days=1),
        ended_at=day - timedelta(days=1),
        energy_kwh=99.0,
        transaction_id="old",
    )  # fmt: skip  (the day before: not in it)
    Reservation.objects.create(
        vehicle=late, site=site, connector=connector, starts_at=day, ends_at=day + timedelta(hours=1),
        departure_at=day + timedelta(hours=2), priority_class="normal", status="no_show",
    )  # fmt: skip
    report = _report(org.a, "daily")
    run = session_reports.session_report_send(report_id=report.pk, today=date(2026, 6, 11))
    assert run.figures == {
        "sessions_completed": 2,
        "sessions_failed": 1,
        "energy_kwh": 30.5,
        "cost_by_currency": {"EUR": "10.14"},
        "not_charged_by_departure": ["VAN-LATE"],
    }
    (envelope,) = smtp
    assert envelope.rcpt_tos == ["manager-a@example.com"]
    message = __import__("email").message_from_bytes(envelope.content)
    assert "Charging report Org A: 10 Jun 2026" in message["Subject"]
    parts = list(message.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Sessions completed: 2" in body and "Energy: 30.5 kWh" in body and "10.14 EUR" in body and "VAN-LATE" in body
    attachment = next(p for p in parts if p.get_content_type() == "text/csv")
    rows = list(csv.DictReader(io.StringIO(attachment.get_payload(decode=True).decode())))
    assert [r["energy_kwh"] for r in rows] == ["20.5", "10.0", "0.0"] and rows[0]["vehicle"] == van.vin
    assert report.runs.get().csv_rows == 3


def test_the_weekly_report_covers_last_monday_to_sunday_and_runs_as_its_task(org, smtp):
    org.fleet_manager_a.email = "m@example.com"
    org.fleet_manager_a.save()
    report = _report(org.a, "weekly", recipients="ops@example.com; boss@example.com")
    start, end = session_reports.report_period(report, date(2026, 6, 10))  # a Wednesday
    assert (start.date(), end.date(), start.weekday()) == (date(2026, 6, 1), date(2026, 6, 8), 0)
    assert tasks.session_report_send.apply(kwargs={"report_id": report.pk}).get().startswith("sent: 0 sessions")
    assert smtp[0].rcpt_tos == ["ops@example.com", "boss@example.com"]


def test_a_report_without_recipients_is_recorded_as_skipped_and_a_bad_address_is_refused(org):
    report = _report(org.b, "daily")
    assert session_reports.session_report_send(report_id=report.pk).status == "skipped"
    report.recipients = "not-an-address"
    with pytest.raises(Exception, match="valid email"):
        report.full_clean()


def test_the_report_csv_never_holds_a_live_formula_and_keeps_negative_figures_as_numbers(org):
    from charging.services.reports import report_csv

    site = SiteFactory(department=org.a, name="=cmd|' /C calc'!A0")
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=site, identity="CP-X"))
    customer = CustomerFactory(department=org.a, name="@SUM(A1:A9)")
    day = datetime(2026, 6, 10, 8, tzinfo=UTC)
    session = SessionFactory(connector=connector, customer=customer, started_at=day, ended_at=day + timedelta(hours=1),
                             energy_kwh=-0.5, currency="EUR", cost_excl_tax=D("-2.10"), cost_total=D("-2.50"),
                             stop_reason="Other", reason="+1+cmd|' /C calc'!A0", transaction_id="x")  # fmt: skip

    (row,) = csv.DictReader(io.StringIO(report_csv([session])))

    assert row["site"] == "'=cmd|' /C calc'!A0"
    assert row["customer"] == "'@SUM(A1:A9)"
    assert row["reason"] == "'+1+cmd|' /C calc'!A0"
    assert (row["energy_kwh"], row["cost_excl_tax"], row["cost_total"]) == ("-0.5", "-2.10", "-2.50")
    assert row["charge_point"] == "CP-X" and row["status"] == "completed"
