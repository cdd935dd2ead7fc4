"""Benchmark part of ``bench_routing``: the exact E-VRPTW model on the 36 small Schneider et al. instances.

``run()`` solves every instance (``quick=True``: the 30 the test suite also solves, without the six 15-customer
instances with wide time windows) and reports per instance the vehicles, the distance, whether optimality is
proven, the lower bound, the independent feasibility check, the published value and the time."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from routing.evrptw.check import check
from routing.evrptw.exact import solve_exact
from routing.evrptw.instance import read

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
INSTANCES = DATA / "evrptw_small"
SLOW = ("c202C15", "c208C15", "r202C15", "r209C15", "rc202C15", "rc204C15")  # wide windows: minutes, not seconds


def published() -> dict[str, dict]:
    text = (DATA / "evrptw_small_optimal.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["instance"]: row for row in rows}


def run(*, quick: bool = False, time_limit_s: float = 900.0, names: list[str] | None = None) -> dict:
    reference = published()
    chosen = names or sorted(reference, key=lambda name: (int(reference[name]["customers"]), name))
    if quick:
        chosen = [name for name in chosen if name not in SLOW]
    rows = []
    started = time.perf_counter()
    for name in chosen:
        instance = read(INSTANCES / f"{name}.txt")
        result = solve_exact(instance, time_limit_s=time_limit_s)
        verdict = check(instance, result.routes)
        row = reference[name]
        rows.append(
            {
                "instance": name,
                "customers": len(instance.customers),
                "vehicles": result.vehicles,
                "distance": round(result.distance, 4),
                "proven_optimal": result.optimal,
                "bound": round(result.bound, 4),
                "method": result.method,
                "columns": result.columns,
                "feasible": verdict.feasible,
                "violations": verdict.violations,
                "published_vehicles": int(row["vehicles"]),
                "published_distance": float(row["distance"]),
                "published_proven": row["proven_optimal"] == "true",
                "difference": round(result.distance - float(row["distance"]), 4),
                "seconds": round(result.seconds, 2),
            }
        )
    return {
        "part": "exact",
        "instances": rows,
        "solved": len(rows),
        "proven_optimal": sum(row["proven_optimal"] for row in rows),
        "feasible": sum(row["feasible"] for row in rows),
        "time_limit_s": time_limit_s,
        "seconds": round(time.perf_counter() - started, 2),
    }
