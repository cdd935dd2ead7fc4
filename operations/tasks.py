"""The operations app's beat jobs: recomputing the need of the trips about to leave (hourly, as the forecast moves)
and generating the duty schedules' trips up to each department's horizon (daily).

Thin: the work is in operations.services."""

from celery import shared_task
from django.db import OperationalError

from operations import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def trip_needs_refresh() -> int:
    """Beat job, hourly: the need of every planned trip departing within 48 hours, from the latest forecast."""
    return services.trip_needs_refresh()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def schedules_generate() -> int:
    """Beat job, daily: every active duty schedule's trips up to its department's horizon (idempotent)."""
    return services.schedules_generate_all()
