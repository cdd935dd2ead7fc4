"""Analytics jobs: the rollups every 15 minutes, and the scheduled reports."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from analytics import rollup
from evfleet.outages import OUTAGE_ERRORS, attempt_retry, outage_retry


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def analytics_rollup() -> dict:
    """Rebuild yesterday's and today's rollups (and any days missed since the last run); once a day after that,
    notify the vehicles drawing far more than their model expects (once per vehicle and week)."""
    from analytics import services

    summary = rollup.rollup_recent()
    summary["consumption_notices"] = services.consumption_flags_notify()
    return summary


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def report_files_prune() -> int:
    """Daily: delete the report files older than the retention period (the runs stay)."""
    from analytics import services

    return services.report_files_prune()


@shared_task(bind=True, max_retries=None)
def saved_report_send(self, *, report_id: int, trigger: str = "schedule", outages: int = 0) -> int | None:
    """Generate and email a scheduled report; on failure retry with backoff (1, 2, 4 … minutes) up to
    EVFLEET_REPORT_MAX_ATTEMPTS attempts, the last failure being reported to the report's owner. An outage of
    the database or Redis is retried apart from those attempts (evfleet/outages.py): the report is not lost."""
    from analytics import services

    attempt = self.request.retries - outages + 1
    final = attempt >= settings.REPORT_MAX_ATTEMPTS
    try:
        run = services.saved_report_send(report_id=report_id, attempt=attempt, final=final, trigger=trigger)
    except OUTAGE_ERRORS as exc:
        raise outage_retry(self, exc, outages=outages) from exc
    except Exception as exc:
        if final or isinstance(exc, services.ReportUndeliverable):
            raise
        raise attempt_retry(self, exc, countdown=60 * 2 ** (attempt - 1)) from exc
    return run.pk if run is not None else None
