"""Scheduled session reports: the schedule (a django-celery-beat task per report, editable in the admin), the
recipients, the email with its CSV, and the run log.

What a report says is not this app's: the app that owns the figures registers a builder for the report's kind
from its `AppConfig.ready()` (`register_content`); charging registers the session figures and rows
(`charging/services/reports.py`). Sending a report whose content nobody registered fails loudly."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from accounts.models import Department, User
from evfleet.schedules import beat_task_save
from notifications.models import SessionReport, SessionReportRun

REPORT_TASK = "notifications.tasks.session_report_send"
# The kind of content a SessionReport carries: the department's charging sessions of the period.
SESSIONS = "sessions"


# --- the port: what a report says ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContent:
    """What one report of one period says, as its owner composed it."""

    title: str  # what it reports on: "Charging" → "[EV Fleet] Charging report <department>: <period>"
    figures: dict  # JSON, kept in the run
    lines: list[str]  # the email's text after its first line (the figures, and what the attachment holds)
    csv: str  # the attachment
    csv_rows: int
    file_prefix: str  # "sessions" → sessions-<department id>-<first day>-<period>.csv


# (department, start, end) → the content of the period [start, end) for the department's tree
ContentBuilder = Callable[[Department, datetime, datetime], ReportContent]

_builders: dict[str, ContentBuilder] = {}


def register_content(kind: str, builder: ContentBuilder) -> None:
    """Plug in what reports of `kind` say (called from the owning app's `AppConfig.ready()`)."""
    _builders[kind] = builder


def content_builder(kind: str) -> ContentBuilder:
    try:
        return _builders[kind]
    except KeyError:
        raise ImproperlyConfigured(
            f"No content is registered for {kind!r} reports: the app that owns it calls "
            f"notifications.reports.register_content({kind!r}, builder) in its AppConfig.ready()."
        ) from None


# --- the schedule ----------------------------------------------------------------------------------------


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


def department_reports_ensure(sender, *, department: Department, **kwargs) -> None:
    """Receiver of accounts.signals.department_created (connected in NotificationsConfig.ready)."""
    session_reports_ensure(department)


def report_period(report: SessionReport, today: date) -> tuple[datetime, datetime]:
    """Yesterday, or last Monday to Sunday, in the department's time zone (as UTC instants)."""
    zone = ZoneInfo(report.department.time_zone)
    if report.period == SessionReport.Period.DAILY:
        first, last = today - timedelta(days=1), today
    else:
        monday = today - timedelta(days=today.weekday())
        first, last = monday - timedelta(days=7), monday
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(last, time.min, tzinfo=zone)


# --- the sending -----------------------------------------------------------------------------------------


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
    content = content_builder(SESSIONS)(report.department, start, end)
    recipients = _recipients(report)
    run = SessionReportRun(report=report, period_start=start, period_end=end, recipients=", ".join(recipients)[:500],
                           figures=content.figures, csv_rows=content.csv_rows)  # fmt: skip
    if not recipients:
        run.status, run.error = "skipped", "no recipients: set them, or give the fleet managers an email address"
        run.save()
        return run
    label = f"{start:%d %b %Y}" if report.period == SessionReport.Period.DAILY else (
        f"{start:%d %b} – {(end - timedelta(days=1)):%d %b %Y}"
    )  # fmt: skip
    body = "\n".join(
        [
            f"{content.title} at {report.department} ({report.get_period_display().split(' ')[0].lower()}), {label}:",
            "",
            *content.lines,
        ]
    )
    message = EmailMessage(f"[EV Fleet] {content.title} report {report.department}: {label}", body, None, recipients)
    message.attach(
        f"{content.file_prefix}-{report.department.pk}-{start:%Y%m%d}-{report.period}.csv", content.csv, "text/csv"
    )
    try:
        message.send()
    except Exception as exc:
        run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        run.save()
        raise
    run.save()
    return run
