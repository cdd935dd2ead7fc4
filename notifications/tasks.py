"""Notification jobs: one delivery on one channel, and a department's scheduled session report.

Both ran as `charging.tasks.<name>` before issue 15; a message queued, or a beat entry stored, under an old name
still runs: the old names stay registered below and hand the work to the new task (migration 0003 renamed the
stored beat entries)."""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from evfleet.outages import OUTAGE_ERRORS, attempt_retry, outage_retry
from notifications import reports, services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def deliver(*, delivery_id: int) -> str:
    """One notification on one channel (in-app, email, push); retried with backoff, logged in Delivery."""
    return services.deliver(delivery_id=delivery_id)


SESSION_REPORT_MAX_RETRIES = 5


@shared_task(bind=True, max_retries=None)
def session_report_send(self, *, report_id: int, outages: int = 0) -> str:
    """A department's daily or weekly session report, by email with the CSV (scheduled per report). A failure is
    retried with backoff up to 5 times; an outage of the database or Redis apart from those (evfleet/outages.py)."""
    try:
        run = reports.session_report_send(report_id=report_id)
    except OUTAGE_ERRORS as exc:
        raise outage_retry(self, exc, outages=outages) from exc
    except Exception as exc:
        retries = self.request.retries - outages
        if retries >= SESSION_REPORT_MAX_RETRIES:
            raise
        countdown = get_exponential_backoff_interval(1, retries + 1, 1800, full_jitter=True)
        raise attempt_retry(self, exc, countdown=countdown) from exc
    return "inactive" if run is None else f"{run.status}: {run.csv_rows} sessions to {run.recipients or 'nobody'}"


# --- the names these tasks had in charging, kept for messages already queued under them --------------------


@shared_task(name="charging.tasks.deliver", ignore_result=True)
def deliver_under_old_name(**kwargs) -> None:
    """`charging.tasks.deliver` (before issue 15): hands the delivery to `notifications.tasks.deliver`."""
    deliver.delay(**kwargs)


@shared_task(name="charging.tasks.session_report_send", ignore_result=True)
def session_report_send_under_old_name(**kwargs) -> None:
    """`charging.tasks.session_report_send` (before issue 15): hands the report to
    `notifications.tasks.session_report_send`."""
    session_report_send.delay(**kwargs)
