"""Write side of analytics: saved reports (validated against the metrics engine, scheduled in django-celery-beat),
their generation into files, and their delivery by email with retries and a failure report to the owner."""

import json
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.audit import Action, activity_record, audited_save, model_delete, snapshot
from accounts.models import Department, User
from analytics import periods
from analytics.metrics import Spec, compute, validate
from analytics.models import CarbonIntensity, ReportRun, SavedReport
from analytics.summary import export_report
from evfleet.outages import OUTAGE_ERRORS
from evfleet.schedules import beat_task_save

REPORT_TASK = "analytics.tasks.saved_report_send"
FIELDS = (
    "name",
    "department",
    "metrics",
    "grouping",
    "filters",
    "period",
    "start",
    "end",
    "sort_by",
    "schedule",
    "send_at_hour",
    "format",
    "recipients",
)


def report_today(report: SavedReport) -> date:
    return datetime.now(ZoneInfo(report.department.time_zone)).date()


def saved_report_spec(report: SavedReport, today: date | None = None) -> Spec:
    """The report's metrics over its period as of `today` (the department's local date by default)."""
    period = periods.resolve(report.period, today or report_today(report), report.start, report.end)
    return Spec(
        metrics=list(report.metrics),
        grouping=report.grouping,
        period=period,
        department=report.department,
        filters={k: v for k, v in (report.filters or {}).items() if v not in (None, "", [])},
        sort_by=report.sort_by,
        title=report.name,
    )


@transaction.atomic
def saved_report_save(*, actor: User, instance: SavedReport | None = None, **data) -> SavedReport:
    """Create or update a saved report: every field checked (the metrics engine names what is wrong), then its
    schedule created, changed or removed. Nothing is saved when anything is wrong."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({name: f"Unknown field {name!r}." for name in unknown})
    if instance is not None and not saved_report_may_edit(instance, actor):
        raise PermissionDenied("Only the report's owner or a fleet manager may change it.")
    # what is stored, not the instance given (a page's form has already put its values on it)
    before = snapshot(SavedReport.objects.get(pk=instance.pk)) if instance is not None else None
    report = instance or SavedReport(owner=actor)
    for name, value in data.items():
        setattr(report, name, value)
    report.filters = _check_filters(report.filters or {}, actor)
    if isinstance(report.metrics, str):
        report.metrics = [m.strip() for m in report.metrics.split(",") if m.strip()]
    report.full_clean()
    if report.period != "custom":
        report.start = report.end = None
    saved_report_spec(report)  # the period
    validate(saved_report_spec(report), actor)  # metrics, grouping, filters, department
    report.save()
    saved_report_schedule(report)
    action = Action.CREATE if before is None else Action.UPDATE
    activity_record(action=action, instance=report, actor=actor, before=before, after=snapshot(report))
    return report


def saved_report_schedule(report: SavedReport) -> PeriodicTask | None:
    """The report's beat task at its hour in the department's time zone: daily, Mondays or the 1st; none when it
    is not scheduled."""
    if not report.schedule:
        if report.periodic_task_id:
            PeriodicTask.objects.filter(pk=report.periodic_task_id).delete()
            SavedReport.objects.filter(pk=report.pk).update(periodic_task=None)
            report.periodic_task = None
        return None
    return beat_task_save(
        report,
        name=f"Saved report {report.pk}: {report.name}",
        task=REPORT_TASK,
        kwargs={"report_id": report.pk},
        hour=report.send_at_hour,
        time_zone=report.department.time_zone,
        day_of_week="1" if report.schedule == SavedReport.Schedule.WEEKLY else "*",
        day_of_month="1" if report.schedule == SavedReport.Schedule.MONTHLY else "*",
    )


@transaction.atomic
def saved_report_delete(*, report: SavedReport, actor: User) -> None:
    if not saved_report_may_edit(report, actor):
        raise PermissionDenied("Only the report's owner or a fleet manager may delete it.")
    if report.periodic_task_id:
        PeriodicTask.objects.filter(pk=report.periodic_task_id).delete()
    model_delete(instance=report, actor=actor)


@transaction.atomic
def carbon_intensities_save(*, actor: User | None, rows: list[dict]) -> list[CarbonIntensity]:
    """Store a provider's hourly intensities; an hour already stored is replaced. One log entry per hour that is
    new or changed."""
    saved = []
    for row in rows:
        instance = CarbonIntensity.objects.filter(zone=row["zone"], hour_start=row["hour_start"]).first()
        before = snapshot(instance) if instance is not None else None
        instance = instance or CarbonIntensity(zone=row["zone"], hour_start=row["hour_start"])
        instance.gco2e_per_kwh, instance.renewable_percent = row["gco2e_per_kwh"], row.get("renewable_percent")
        audited_save(instance, actor=actor, before=before)
        saved.append(instance)
    return saved


def report_render(*, report: SavedReport, fmt: str, user: User, today: date | None = None):
    """The report as a file for a download, computed now for `user` (who must be allowed to see it); not kept in
    the history, which holds what was sent."""
    spec = saved_report_spec(report, today)
    content, content_type, _extension = export_report(compute(spec, user), spec, fmt, user)
    run = ReportRun(report=report, format=fmt, period_start=spec.period.first, period_end=spec.period.last)
    return content, content_type, run.filename


def saved_report_may_edit(report: SavedReport, user: User) -> bool:
    """Its owner, a fleet manager of its departments (scoping decides which reports they reach) or an admin."""
    return user.is_admin or report.owner_id == user.pk or user.role == User.Role.FLEET_MANAGER


def _check_filters(filters, actor: User) -> dict:
    """Filter values name things the user can see: sites, vehicle models, vehicle classes, vehicles."""
    from accounts.scoping import scoped
    from fleet.models import Vehicle, VehicleModel
    from stations.models import Site

    if not isinstance(filters, dict):
        raise ValidationError({"filters": 'Give an object, e.g. {"site": [3], "vehicle_class": ["van"]}.'})
    known = {"site": scoped(Site.objects.all(), actor), "vehicle_model": VehicleModel.objects.all(),
             "vehicle": scoped(Vehicle.objects.all(), actor)}  # fmt: skip
    errors, clean = {}, {}
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if name == "vehicle_class":
            bad = [v for v in values if v not in VehicleModel.VehicleClass.values]
            if bad:
                errors["filters"] = (
                    f"Unknown vehicle class {bad[0]!r}: use {', '.join(VehicleModel.VehicleClass.values)}."
                )
            clean[name] = values
        elif name in known:
            try:
                ids = [int(v) for v in values]
            except (TypeError, ValueError):
                errors["filters"] = f"{name} takes ids (whole numbers), not {values!r}."
                continue
            found = set(known[name].filter(pk__in=ids).values_list("pk", flat=True))
            missing = [i for i in ids if i not in found]
            if missing:
                errors["filters"] = f"No {name.replace('_', ' ')} {missing[0]} that you can see."
            clean[name] = ids
        else:
            errors["filters"] = f"Unknown filter {name!r}: use site, vehicle_model, vehicle_class or vehicle."
    if errors:
        raise ValidationError(errors)
    return {k: v for k, v in clean.items() if v}


def report_generate(
    *,
    report: SavedReport,
    fmt: str | None = None,
    trigger: str = "manual",
    today: date | None = None,
    user: User | None = None,
) -> ReportRun:
    """Compute the report and keep its file as a run. `user` (for manual runs) must be allowed to see it."""
    fmt = fmt or report.format
    started = time.perf_counter()
    spec = saved_report_spec(report, today)
    result = compute(spec, user)
    content, _content_type, extension = export_report(result, spec, fmt, user)
    run = ReportRun(
        report=report,
        trigger=trigger,
        status=ReportRun.Status.GENERATED,
        format=fmt,
        period_start=spec.period.first,
        period_end=spec.period.last,
        rows=len(result.rows),
        size_bytes=len(content),
    )
    run.duration_ms = round((time.perf_counter() - started) * 1000)
    run.file.save(run.filename, ContentFile(content), save=False)
    run.save()
    return run


NO_RECIPIENTS = "The report has no recipients and its owner no email address: add recipients to the report."


def report_recipients(report: SavedReport) -> list[str]:
    """The addresses a report goes to: its recipients, or else its owner."""
    if report.recipients.strip():
        return [a.strip() for a in report.recipients.replace(";", ",").split(",") if a.strip()]
    return [report.owner.email] if report.owner.email else []


def saved_report_send(
    *, report_id: int, attempt: int = 1, final: bool = True, today: date | None = None, trigger: str = "schedule"
):
    """Generate a scheduled report and email it with the file attached; the run is kept either way. A failure is
    recorded on the run and raised, so the task retries; the last failure is reported to the owner."""
    report = SavedReport.objects.select_related("department", "owner").filter(pk=report_id).first()
    if report is None:  # deleted: its schedule goes too
        PeriodicTask.objects.filter(task=REPORT_TASK, kwargs=json.dumps({"report_id": report_id})).delete()
        return None
    recipients = report_recipients(report)
    run = None
    try:
        if not recipients:
            raise ReportUndeliverable("the report has no recipients and its owner no email address")
        run = report_generate(report=report, trigger=trigger, today=today)
        run.recipients = ", ".join(recipients)[:500]
        run.attempts = attempt
        period = f"{run.period_start:%d %b %Y} – {run.period_end:%d %b %Y}"
        body = "\n".join(
            [
                f"{report.name} for {report.department}, {period}.",
                "",
                f"The report is attached ({run.get_format_display()}, {run.rows} rows).",
                f"Its history: {settings.EVFLEET_BASE_URL.rstrip('/')}/analytics/reports/{report.pk}/",
            ]
        )
        message = EmailMessage(f"[EV Fleet] {report.name}: {period}", body, None, recipients)
        run.file.open("rb")
        try:
            message.attach(run.filename, run.file.read(), _content_type(run.format))
        finally:
            run.file.close()
        message.send()
        run.status = ReportRun.Status.SENT
        run.save(update_fields=["status", "recipients", "attempts", "updated_at"])
        return run
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        # retrying cannot help an undeliverable report; an outage is retried apart from the attempts (the task)
        final = (final and not isinstance(exc, OUTAGE_ERRORS)) or isinstance(exc, ReportUndeliverable)
        status = ReportRun.Status.FAILED if final else ReportRun.Status.RETRYING
        if run is None:
            run = ReportRun.objects.create(
                report=report,
                trigger=trigger,
                status=status,
                format=report.format,
                attempts=attempt,
                error=error,
                recipients=", ".join(recipients)[:500],
            )
        else:
            run.status, run.error, run.attempts = status, error, attempt
            run.save(update_fields=["status", "error", "attempts", "updated_at"])
        if final:
            report_failed_notify(report, run)
        raise


class ReportUndeliverable(Exception):
    pass


def _content_type(fmt: str) -> str:
    from analytics.reporting.exports import EXPORTERS

    return EXPORTERS[fmt][1]


def report_files_prune(now: datetime | None = None) -> int:
    """Delete the files of the report runs made before the retention period; the runs stay, with what was sent
    to whom and when. Returns how many files went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REPORT_FILE_RETENTION_DAYS)
    pruned = 0
    for run in ReportRun.objects.filter(created_at__lt=cutoff).exclude(file="").only("pk", "file").iterator():
        run.file.delete(save=False)  # the storage's file; a file already gone is no error
        ReportRun.objects.filter(pk=run.pk).update(file="", updated_at=timezone.now())
        pruned += 1
    return pruned


def no_file_reason(run: ReportRun) -> str:
    """Why a run has no file to download."""
    if run.status in (ReportRun.Status.GENERATED, ReportRun.Status.SENT):
        return (f"This run's file was deleted after {settings.REPORT_FILE_RETENTION_DAYS} days "
                "(EVFLEET_REPORT_FILE_RETENTION_DAYS); render the report again for its period.")  # fmt: skip
    return "This run failed before a file was made."


def report_failed_notify(report: SavedReport, run: ReportRun) -> None:
    """Tell the owner (in the dashboard and by email, unless they chose otherwise) that a report did not go out."""
    from notifications.events import Event, Notice
    from notifications.services import notify

    notify(
        event=Notice(
            kind=Event.REPORT_FAILED,
            users=[report.owner],
            title=f"Report “{report.name}” could not be sent",
            body=f"After {run.attempts} attempt(s): {run.error}",
            link=f"/analytics/reports/{report.pk}/",
            data={"report": report.pk, "run": run.pk},
            dedup_key=f"report-failed-{report.pk}",
        )
    )


# --- Consumption above the model ---------------------------------------------------------------------------------

CONSUMPTION_CHECK_STATE = "consumption_flags_checked"


def consumption_flags_notify(*, now: datetime | None = None, force: bool = False) -> int:
    """Once a day (the rollup task calls it every run; later runs of the same UTC day return at once): tell the
    people who read analytics in each flagged vehicle's department that it draws more than its model expects
    (analytics.consumption.flagged_vehicles), once per vehicle and ISO week. Returns how many vehicles were told."""
    from analytics.consumption import FLAG_EXCESS_PERCENT, FLAG_MIN_DISTANCE_KM, flagged_vehicles
    from analytics.models import RollupState
    from evfleet import formatting
    from notifications.events import Event, Notice
    from notifications.models import Notification
    from notifications.services import notify

    now = now or timezone.now()
    state, _ = RollupState.objects.get_or_create(key=CONSUMPTION_CHECK_STATE)
    if not force and state.value is not None and state.value.date() == now.date():
        return 0
    today = now.date()
    flagged = flagged_vehicles(today)
    year, week, _ = today.isocalendar()
    keys = {row["vehicle"]: f"consumption-high-{row['vehicle']}-{year}-W{week:02d}" for row in flagged}
    told = set(
        Notification.objects.filter(event=Event.CONSUMPTION_HIGH, dedup_key__in=keys.values()).values_list(
            "dedup_key", flat=True
        )
    )
    units = dict(
        Department.objects.filter(pk__in={row["department"] for row in flagged}).values_list("pk", "distance_unit")
    )
    sent = 0
    for row in flagged:
        key = keys[row["vehicle"]]
        if key in told:
            continue
        unit = units.get(row["department"]) or formatting.KM
        per_100 = f"kWh/100 {unit}"
        actual = formatting.number(formatting.per_km_to(row["actual_kwh_per_100km"], unit), 1)
        expected = formatting.number(formatting.per_km_to(row["expected_kwh_per_100km"], unit), 1)
        period = row["period"]
        notify(
            event=Notice(
                kind=Event.CONSUMPTION_HIGH,
                department_id=row["department"],
                permission="analytics.view_vehicleday",
                title=f"{row['label']} uses {row['excess_percent']:.0f} % more energy than its model expects",
                body=(
                    f"{row['label']} ({row['vehicle_model']}) drew {actual} {per_100} against {expected} {per_100} "
                    f"expected for its speeds and temperatures over {formatting.distance(row['distance_km'], unit)} "
                    f"from {period.first} to {period.last} (flagged above +{FLAG_EXCESS_PERCENT:.0f} % over at least "
                    f"{formatting.distance(FLAG_MIN_DISTANCE_KM, unit, 0)}). Check tyres, brakes, payload and "
                    "the driving; a faulty heater or a battery losing capacity shows this way too."
                ),
                link=f"/analytics/consumption/?period=custom&start={period.first}&end={period.last}",
                data={
                    "vehicle": row["vehicle"],
                    "excess_percent": row["excess_percent"],
                    "actual_kwh_per_100km": row["actual_kwh_per_100km"],
                    "expected_kwh_per_100km": row["expected_kwh_per_100km"],
                    "distance_km": row["distance_km"],
                    "start": period.first.isoformat(),
                    "end": period.last.isoformat(),
                },
                dedup_key=key,
            )
        )
        sent += 1
    state.value = now
    state.save(update_fields=["value", "updated_at"])
    return sent
