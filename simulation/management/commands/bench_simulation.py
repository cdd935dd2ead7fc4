"""Benchmark of the simulation models (no database): battery aging of a fleet over a year of hourly data, energy
use of many trip segments, and the calibration table against published field data.

Targets (issue 16): aging of 10,000 vehicles × 8,760 hours in ≤ 60 s and energy for 100,000 trip segments in
≤ 5 s on this 2-core machine; the calibration table printed with each row's deviation and tolerance.

The result is one JSON document on stdout; progress goes to stderr.
"""

import json

from django.core.management.base import BaseCommand

from simulation.battery.bench import aging_bench
from simulation.calibration import calibration_table
from simulation.energy_bench import energy_bench


class Command(BaseCommand):
    help = "Time the battery aging and energy models and print the calibration table (JSON on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--vehicles", type=int, default=10_000, help="vehicles aged (default 10,000)")
        parser.add_argument("--hours", type=int, default=8_760, help="hourly steps per vehicle (default a year)")
        parser.add_argument("--segments", type=int, default=100_000, help="trip segments (default 100,000)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, vehicles, hours, segments, seed, **options):
        self.stderr.write(f"aging {vehicles:,} vehicles × {hours:,} hours …")
        aging = aging_bench(n_vehicles=vehicles, hours=hours, seed=seed)
        self.stderr.write(f"energy for {segments:,} segments …")
        energy = energy_bench(n_segments=segments, seed=seed)
        table = calibration_table()
        result = {  # each part carries its own budget and whether it was met
            "aging": aging,
            "energy": energy,
            "calibration": table,
            "calibration_within_tolerance": all(row["within"] for row in table),
        }
        self.stdout.write(json.dumps(result, indent=2, default=str))
