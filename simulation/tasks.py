"""The simulation app's beat jobs: reading the weather (hourly) and traffic (every 15 minutes) feeds.

Thin: the services read every site, keep the last good data when a feed fails and record the feed's status (the
page shows its age and error), so a failed feed is not retried here; the next run tries again."""

from celery import shared_task
from django.db import OperationalError

from simulation.services import feeds


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def weather_fetch() -> int:
    """Beat job, hourly: the next 24 hours of weather at every site (the configured feed, or the normals)."""
    return feeds.weather_fetch().stored


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def traffic_fetch() -> int:
    """Beat job, every 15 minutes: the traffic near every site (the configured feed, or the typical profiles)."""
    return feeds.traffic_fetch().stored
