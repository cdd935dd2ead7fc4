"""Rebuild the analytics rollups for a range of local days: after importing history, or when late data (old
telemetry, a corrected carbon intensity, a re-priced session) arrived for days the 15-minute job no longer
rebuilds."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.rollup import rollup_range


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a day: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Rebuild the analytics rollups (per vehicle, site, connector and group) for the local days given."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=_day, help="First day (default: 30 days ago).")
        parser.add_argument("--to", dest="last", type=_day, help="Last day, included (default: today).")

    def handle(self, *args, first, last, **options):
        today = timezone.now().date()
        first = first or today - timedelta(days=30)
        last = last or today
        if last < first:
            raise CommandError(f"--to ({last}) is before --from ({first}).")
        summary = rollup_range(first, last)
        self.stdout.write(
            f"Rebuilt {first} to {last}: {summary['vehicle_days']} vehicle days, {summary['site_rows']} site rows."
        )
