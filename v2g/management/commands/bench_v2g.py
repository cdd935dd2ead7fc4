"""Benchmark of V2G trading (v2g/trading/bench.py): the workplace V2G day over many seeds, four algorithms, the
online planner's share of the oracle's gain, and 1,000 vehicles planned at once. JSON on stdout, progress on
stderr. No database."""

import json

from django.core.management.base import BaseCommand

from v2g.trading import bench


class Command(BaseCommand):
    help = "Score V2G trading on seeded workplace days (EV2Gym V2GProfitMax shape) and print the figures as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=int, default=100, help="days to run (default 100)")
        parser.add_argument("--first-seed", type=int, default=0)

    def handle(self, *args, **options):
        result = bench.run(seeds=options["seeds"], first_seed=options["first_seed"], progress=self.stderr.write)
        self.stdout.write(json.dumps(result, indent=2))
