"""Simulation jobs: the nightly state-of-health update."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from simulation.services import health


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def health_update() -> list[dict]:
    """Nightly: age every vehicle by yesterday's telemetry (and any day missed since, up to a month), correct it
    with the capacity observations, store the history and prediction (simulation.services.health)."""
    return health.health_catch_up(today=timezone.now().date())
