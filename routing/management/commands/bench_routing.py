"""Benchmark of routing (issue 18), in parts chosen by flag; each part is a function in a ``routing/bench/``
module returning a dict, and the command prints them merged as one JSON document on stdout (progress on stderr).
With no flag every part runs.

- ``--queries``: route queries (shortest, fastest, least energy) between random pairs on the Helsinki extract
  and a synthetic 200 × 200 city grid; p50/p95/max ms per metric (target p95 ≤ 50 ms), ``routing.bench.queries``.
- ``--tables``: many-to-many road tables (a route plan's distance matrix) of 30 random points on Helsinki and the
  city grid, per metric, and on Helsinki the same N × N by pair queries (checked equal), ``routing.bench.tables``.
- ``--stops``: charging-stop plans on a 300-station network, 200 random trips, each equal to an independent exact
  reference (target ≤ 100 ms per query), ``routing.bench.stops``.
- ``--evrptw``: the E-VRPTW solver on the 12 published 100-customer instances against the best-known solutions
  (≤ 60 s each), every plan checked independently, ``routing.bench.evrptw``.
- ``--exact``: the exact model on the 36 small instances (proven optimal, against the published optima),
  ``routing.bench.exact``.

``--quick`` runs a short version of each part (a smoke run).
"""

import json

from django.core.management.base import BaseCommand

from routing.bench import evrptw, exact, queries, stops, tables


class Command(BaseCommand):
    help = "Time routing's parts (route queries, …) and print the figures as JSON on stdout."

    # flag -> (what it runs, its title for the progress line); other parts add their entry here
    PARTS = {
        "queries": (queries.run, "route queries"),
        "tables": (tables.run, "road tables, 30 points, Helsinki and the city grid"),
        "stops": (stops.run, "charging stops, 300 stations, 200 trips against the exact reference"),
        "evrptw": (evrptw.run, "E-VRPTW, 12 instances with 100 customers"),
        "exact": (exact.run, "E-VRPTW exact model, 36 small instances"),
    }

    def add_arguments(self, parser):
        parser.add_argument("--queries", action="store_true", help="route queries on Helsinki and a city grid")
        parser.add_argument("--query-count", type=int, default=500, help="random pairs per graph (default 500)")
        parser.add_argument("--grid-size", type=int, default=200, help="junctions per side of the grid (default 200)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--tables", action="store_true", help="many-to-many road tables (plans' distances)")
        parser.add_argument("--stops", action="store_true", help="charging stops on a 300-station network")
        parser.add_argument("--evrptw", action="store_true", help="the E-VRPTW solver on the 100-customer instances")
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per E-VRPTW instance (default 60)")
        parser.add_argument(
            "--cpu-time", action="store_true", help="count the E-VRPTW limit in CPU seconds (a shared machine)"
        )
        parser.add_argument("--exact", action="store_true", help="the exact model on the small instances")
        parser.add_argument("--quick", action="store_true", help="a short run of each part")

    def handle(self, *args, **options):
        chosen = [name for name in self.PARTS if options.get(name)] or list(self.PARTS)
        arguments = {
            "queries": {
                "queries": 50 if options["quick"] else options["query_count"],
                "grid_size": options["grid_size"],
                "seed": options["seed"],
            },
            "evrptw": {
                "quick": options["quick"],
                "time_limit_s": options["time_limit"],
                "seed": options["seed"],
                "cpu_time": options["cpu_time"],
            },
            "tables": {
                "tables": 3 if options["quick"] else 20,
                "grid_size": options["grid_size"],
                "seed": options["seed"],
            },
            "stops": {"quick": options["quick"]},
            "exact": {"quick": options["quick"]},
        }
        result = {}
        for name in chosen:
            run, title = self.PARTS[name]
            self.stderr.write(f"{title} …")
            result[name] = run(**arguments.get(name, {}))
        self.stdout.write(json.dumps(result, indent=2, default=str))
