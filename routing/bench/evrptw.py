"""The E-VRPTW benchmark: the solver on the 12 published 100-customer instances (Schneider, Stenger & Goeke 2014)
against their best-known solutions, every solution checked by ``routing.evrptw.check`` (independent of the
solver). Plain Python (no Django); ``python -m routing.bench.evrptw [--quick] [--time-limit S] [names...]`` prints
the JSON.

Two references: ``bks-100.csv`` beside the instances (as published with routingblocks, whose E-VRPTW recharges
partially: values at or below the full-recharge ones) and ``evrptw_bks_full_recharge.csv`` here, the best-known
solutions under full recharge — the model of ``check.py`` — of Schneider, Stenger & Goeke (technical report 02/2012
of the 2014 paper, Table 4, column BKS).

The instances are read from ``$EVRPTW_BENCHMARK_DIR`` (default: ``<project>/../shared/benchmarks/evrptw``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

from routing.evrptw.check import check
from routing.evrptw.instance import InstanceError, read
from routing.evrptw.solver import solve

QUICK_TIME_LIMIT_S = 3.0


def benchmark_dir() -> Path:
    """``$EVRPTW_BENCHMARK_DIR``, else the nearest ``shared/benchmarks/evrptw`` beside the project or above it (a git
    worktree sits one level deeper than the checkout)."""
    if os.environ.get("EVRPTW_BENCHMARK_DIR"):
        return Path(os.environ["EVRPTW_BENCHMARK_DIR"])
    project = Path(__file__).resolve().parents[2]
    for parent in project.parents:
        candidate = parent / "shared" / "benchmarks" / "evrptw"
        if candidate.is_dir():
            return candidate
    return project.parent / "shared" / "benchmarks" / "evrptw"


FULL_RECHARGE_BKS = Path(__file__).with_name("evrptw_bks_full_recharge.csv")


def best_known(directory: Path) -> dict[str, tuple[int, float]]:
    return _read_bks(directory / "bks-100.csv")


def _read_bks(path: Path) -> dict[str, tuple[int, float]]:
    with open(path, newline="") as handle:
        return {row["Instance"]: (int(row["k"]), float(row["Best"])) for row in csv.DictReader(handle)}


def run(
    *,
    quick: bool = False,
    time_limit_s: float = 60.0,
    instances: list[str] | None = None,
    seed: int = 0,
    cpu_time: bool = False,
) -> dict:
    """Solve each instance (all 12 by default) within ``time_limit_s`` (``quick``: 3 s) and compare with the
    best-known vehicles and distance; the gap is reported only at equal vehicle count. ``cpu_time``: the limit
    counts the CPU seconds of this process instead of wall seconds (on a machine shared with other work)."""
    directory = benchmark_dir()
    bks = best_known(directory)
    bks_full = _read_bks(FULL_RECHARGE_BKS)
    names = instances or sorted(bks)
    limit = QUICK_TIME_LIMIT_S if quick else time_limit_s
    rows = []
    for name in names:
        if name not in bks:
            raise InstanceError("instances", f"{name!r} is not one of {', '.join(sorted(bks))}")
        instance = read(directory / "100" / f"{name}_21.txt")
        wall = time.perf_counter()
        clock = time.process_time if cpu_time else time.perf_counter
        solution = solve(instance, time_limit_s=limit, seed=seed, clock=clock)
        wall = time.perf_counter() - wall
        verdict = check(instance, solution.routes)
        k, best = bks[name]
        k_full, best_full = bks_full[name]
        row = {
            "instance": name,
            "vehicles": solution.vehicles,
            "distance": round(verdict.distance, 2),
            "bks_vehicles": k,
            "bks_distance": best,
            "gap_percent": round(100.0 * (verdict.distance - best) / best, 2) if solution.vehicles == k else None,
            "full_recharge_bks_vehicles": k_full,
            "full_recharge_bks_distance": best_full,
            "full_recharge_gap_percent": round(100.0 * (verdict.distance - best_full) / best_full, 2)
            if solution.vehicles == k_full
            else None,
            "feasible": verdict.feasible,
            "violations": verdict.violations[:5],
            "seconds": round(solution.seconds, 2),
            "wall_seconds": round(wall, 2),
            "iterations": solution.iterations,
        }
        if solution.vehicles != k:
            row["note"] = f"{solution.vehicles} vehicles against {k} best-known: no gap at unequal vehicle count"
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    gaps = [row["gap_percent"] for row in rows if row["gap_percent"] is not None]
    full_gaps = [row["full_recharge_gap_percent"] for row in rows if row["full_recharge_gap_percent"] is not None]
    return {
        "benchmark": "evrptw-100",
        "time_limit_s": limit,
        "clock": "cpu" if cpu_time else "wall",
        "seed": seed,
        "instances": rows,
        "summary": {
            "instances": len(rows),
            "feasible": sum(row["feasible"] for row in rows),
            "at_bks_vehicles": sum(row["vehicles"] == row["bks_vehicles"] for row in rows),
            "below_bks_vehicles": sum(row["vehicles"] < row["bks_vehicles"] for row in rows),
            "mean_gap_percent": round(statistics.fmean(gaps), 2) if gaps else None,
            "mean_full_recharge_gap_percent": round(statistics.fmean(full_gaps), 2) if full_gaps else None,
            "max_seconds": max((row["seconds"] for row in rows), default=0.0),
            "max_wall_seconds": max((row["wall_seconds"] for row in rows), default=0.0),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="instances, e.g. c101 r201 (default: all 12)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TIME_LIMIT_S:g} s per instance")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu-time", action="store_true", help="the limit counts CPU seconds, not wall seconds")
    args = parser.parse_args(argv)
    result = run(
        quick=args.quick,
        time_limit_s=args.time_limit,
        instances=args.names or None,
        seed=args.seed,
        cpu_time=args.cpu_time,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
