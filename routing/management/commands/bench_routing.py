"""Benchmark of routing (issue 18), in parts chosen by flag; each part is a function in a ``routing/bench/``
module returning a dict, and the command prints them merged as one JSON document on stdout (progress on stderr).
With no flag every part runs.

- ``--queries``: route queries (shortest, fastest, least energy) between random pairs on the Helsinki extract
  and a synthetic 200 × 200 city grid; p50/p95/max ms per metric (target p95 ≤ 50 ms), ``routing.bench.queries``.
"""

import json

from django.core.management.base import BaseCommand

from routing.bench import queries


class Command(BaseCommand):
    help = "Time routing's parts (route queries, …) and print the figures as JSON on stdout."

    # flag -> (what it runs, its title for the progress line); other parts add their entry here
    PARTS = {"queries": (queries.run, "route queries")}

    def add_arguments(self, parser):
        parser.add_argument("--queries", action="store_true", help="route queries on Helsinki and a city grid")
        parser.add_argument("--query-count", type=int, default=500, help="random pairs per graph (default 500)")
        parser.add_argument("--grid-size", type=int, default=200, help="junctions per side of the grid (default 200)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        chosen = [name for name in self.PARTS if options.get(name)] or list(self.PARTS)
        arguments = {
            "queries": {"queries": options["query_count"], "grid_size": options["grid_size"], "seed": options["seed"]},
        }
        result = {}
        for name in chosen:
            run, title = self.PARTS[name]
            self.stderr.write(f"{title} …")
            result[name] = run(**arguments.get(name, {}))
        self.stdout.write(json.dumps(result, indent=2, default=str))
