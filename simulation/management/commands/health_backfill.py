"""Age every vehicle over the last N days of telemetry (the nightly job's work, day by day, in order)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from simulation.services.health import health_backfill

MAX_DAYS = 3660


class Command(BaseCommand):
    help = "Age every vehicle's battery over the last N days of telemetry, then predict (simulation.services.health)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help=f"How many days before today (1–{MAX_DAYS}).")
        parser.add_argument(
            "--reset", action="store_true", help="Start from new: drop the stored history and health first."
        )

    def handle(self, *args, days: int, reset: bool, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be from 1 to {MAX_DAYS}; got {days}.")
        results = health_backfill(today=timezone.now().date(), days=days, reset=reset)
        aged = sum(r["aged"] for r in results)
        observed = sum(r["observations"] for r in results)
        self.stdout.write(json.dumps({"days": days, "vehicle_days": aged, "observations_used": observed}))
