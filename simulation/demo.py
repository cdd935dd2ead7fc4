"""The demo's simulation: the weather and traffic feeds read once (their offline defaults unless a feed is set),
and every demo vehicle's state of health aged over its telemetry history, so the feeds page, the battery-health
view and each vehicle's chart have something to show from the first start.

Idempotent: a second run reads the feeds again and ages only the days not aged yet."""

from django.utils import timezone

from fleet.demo import HISTORY_DAYS
from simulation.models import VehicleHealth
from simulation.services.feeds import traffic_fetch, weather_fetch
from simulation.services.health import health_backfill, health_catch_up


def build_demo_simulation() -> int:
    """Read the feeds and age the fleet; returns the number of vehicle days aged."""
    weather_fetch()
    traffic_fetch()
    today = timezone.localdate()
    if VehicleHealth.objects.exists():
        runs = health_catch_up(today=today)
    else:
        runs = health_backfill(today=today, days=HISTORY_DAYS)
    return sum(run["aged"] for run in runs)
