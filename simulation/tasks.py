"""The simulation app's beat jobs: reading the weather (hourly) and traffic (every 15 minutes) feeds, and the nightly
state-of-health update.

Thin: the feed services read every site, keep the last good data when a feed fails and record the feed's status (the
page shows its age and error), so a failed feed is not retried here; the next run tries again."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from simulation.services import feeds, health


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def weather_fetch() -> int:
    """Beat job, hourly: the next 24 hours of weather at every site (the configured feed, or the normals)."""
    return feeds.weather_fetch().stored


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def traffic_fetch() -> int:
    """Beat job, every 15 minutes: the traffic near every site (the configured feed, or the typical profiles)."""
    return feeds.traffic_fetch().stored


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def health_update() -> list[dict]:
    """Nightly: age every vehicle by yesterday's telemetry (and any day missed since, up to a month), correct it
    with the capacity observations, store the history and prediction (simulation.services.health)."""
    return health.health_catch_up(today=timezone.now().date())
