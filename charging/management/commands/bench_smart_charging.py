"""Benchmark of smart charging on reproducible depot days (charging/optimizer/scenarios.py, seeded).

For each size: a feasible day, a tight day (more energy asked than the site can deliver) and a day with a demand
charge. Per algorithm (uncontrolled, round robin, earliest deadline first, least laxity first, ours) it prints
energy delivered / requested, vehicles reaching their target, energy cost, peak site power, limit violations
and solve time, with the LP optimum as the lower bound. The online replay re-plans the day at every arrival and
departure, knowing only the vehicles that have arrived, and is scored against the offline optimum; the re-plan
after one arrival is timed with the rest of the day known. One JSON document on stdout, progress on stderr.
"""

import json
import sys
import time

from django.core.management.base import BaseCommand

from charging.optimizer import baselines, evaluate, lp, online
from charging.optimizer.scenarios import depot_day

TARGETS = {
    "gap_to_lp_percent_when_feasible": 0.5,
    "online_delivered_percent_of_offline": 98.0,
    "online_cost_percent_over_offline": 3.0,
    "plan_1000_s": 0.5,
    "plan_5000_s": 3.0,
    "replan_one_arrival_1000_ms": 100.0,
}


def _banner_to_stderr() -> None:
    """HiGHS prints its banner (from C, on file descriptor 1) when the first model is made: send it to stderr so
    that stdout is the JSON document alone."""
    import os

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _ours(problem):
    """The fast plan when the optimizer has one, else the LP itself."""
    fast = getattr(lp, "plan", None)
    return fast(problem) if fast is not None else lp.solve(problem)


class Command(BaseCommand):
    help = "Smart charging against the classic baselines on seeded depot days, offline and online (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10,100,1000,5000", help="Vehicles per day, comma-separated.")
        parser.add_argument("--online-sizes", default="10,100,1000", help="Sizes replayed online.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--demand-charge", type=float, default=12.0, help="Per kW of the day's peak.")
        parser.add_argument("--baselines-up-to", type=int, default=5000, help="Largest size the baselines run at.")

    def _log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def handle(self, *args, sizes, online_sizes, seed, demand_charge, baselines_up_to, **options):
        _banner_to_stderr()
        sizes = [int(s) for s in sizes.split(",") if s]
        online_sizes = {int(s) for s in online_sizes.split(",") if s}
        results, checks = [], {"limit_violations_ours_and_controlled": 0}
        for n in sizes:
            for kind, kwargs in (
                ("feasible", {}),
                ("tight", {"tight": True}),
                ("demand_charge", {"demand_charge": demand_charge}),
            ):
                row = self._day(n, seed, kind, kwargs, baselines_up_to, checks)
                if kind == "feasible" and n in online_sizes:
                    row["online"] = self._online(n, seed)
                results.append(row)
        summary = self._targets(results)
        print(json.dumps({"seed": seed, "intervals": 96, "results": results, "targets": summary}, indent=1))

    def _day(self, n, seed, kind, kwargs, baselines_up_to, checks):
        self._log(f"{n} vehicles, {kind} ...")
        problem = depot_day(n, seed=seed, **kwargs)
        row = {"vehicles": n, "day": kind, "site_limit_kw": problem.root().limit_at(0),
               "charger_rating_kw": round(sum(node.limit_at(0) for node in problem.nodes.values()
                                              if node.kind == "connector"), 1)}  # fmt: skip
        started = time.perf_counter()
        optimum = lp.solve(depot_day(n, seed=seed, **kwargs))
        lp_seconds = time.perf_counter() - started
        lower = evaluate.score(problem, optimum)
        row["lp_optimum"] = {**lower.as_dict(), "solve_ms": round(lp_seconds * 1000, 1), "objective": optimum.objective}
        algorithms = {}
        started = time.perf_counter()
        ours = _ours(depot_day(n, seed=seed, **kwargs))
        ours.solve_seconds = time.perf_counter() - started
        algorithms["ours"] = evaluate.score(problem, ours)
        if n <= baselines_up_to:
            for name, function in baselines.BASELINES.items():
                algorithms[name] = evaluate.score(problem, function(depot_day(n, seed=seed, **kwargs)))
        row["algorithms"] = {name: score.as_dict() for name, score in algorithms.items()}
        gap = (algorithms["ours"].cost - lower.cost) / lower.cost * 100.0 if lower.cost else 0.0
        row["ours_cost_gap_to_lp_percent"] = round(gap, 3)
        row["ours_serves_at_least_as_many"] = all(
            algorithms["ours"].ready_percent >= s.ready_percent - 1e-9 for name, s in algorithms.items()
            if name != "uncontrolled"
        )  # fmt: skip
        checks["limit_violations_ours_and_controlled"] += sum(
            s.limit_violations for name, s in algorithms.items() if name != "uncontrolled"
        )
        row["notes"] = list(getattr(ours, "notes", []) or [])
        return row

    def _online(self, n, seed):
        self._log(f"{n} vehicles, online replay ...")
        problem = depot_day(n, seed=seed)
        offline = evaluate.score(problem, lp.solve(depot_day(n, seed=seed)))
        schedule, stats = online.replay(depot_day(n, seed=seed))
        replayed = evaluate.score(problem, schedule)
        out = {
            "delivered_percent_of_offline": round(replayed.delivered_percent / offline.delivered_percent * 100, 2)
            if offline.delivered_percent else 100.0,
            "cost_percent_over_offline": round((replayed.cost - offline.cost) / offline.cost * 100, 2)
            if offline.cost else 0.0,
            "online": replayed.as_dict(),
            "offline": offline.as_dict(),
            "replans": stats,
        }  # fmt: skip
        if n >= 1000:
            out["replan_after_one_arrival"] = online.single_arrival(depot_day(n, seed=seed))
        return out

    def _targets(self, results):
        feasible = [r for r in results if r["day"] == "feasible"]
        by_size = {r["vehicles"]: r for r in feasible}
        onl = [r["online"] for r in feasible if "online" in r]
        one = next((r["online"].get("replan_after_one_arrival") for r in feasible
                    if r["vehicles"] == 1000 and "online" in r), None)  # fmt: skip
        met = {
            "ours_within_0.5_percent_of_lp_when_feasible": all(
                r["ours_cost_gap_to_lp_percent"] <= TARGETS["gap_to_lp_percent_when_feasible"]
                for r in feasible
                if r["lp_optimum"]["delivered_percent"] >= 99.999
            ),
            "ours_never_serves_fewer": all(r["ours_serves_at_least_as_many"] for r in results),
            "no_limit_violations_but_uncontrolled": all(
                s["limit_violations"] == 0 for r in results for n, s in r["algorithms"].items() if n != "uncontrolled"
            ),
            "online_energy_at_least_98_percent": all(
                o["delivered_percent_of_offline"] >= TARGETS["online_delivered_percent_of_offline"] for o in onl
            ),
            "online_cost_within_3_percent": all(
                o["cost_percent_over_offline"] <= TARGETS["online_cost_percent_over_offline"] for o in onl
            ),
        }
        if 1000 in by_size:
            met["plan_1000_within_0.5_s"] = by_size[1000]["algorithms"]["ours"]["solve_ms"] <= 500.0
        if 5000 in by_size:
            met["plan_5000_within_3_s"] = by_size[5000]["algorithms"]["ours"]["solve_ms"] <= 3000.0
        if one is not None:
            met["replan_one_arrival_1000_within_100_ms"] = (one["p95_ms"] or 0) <= 100.0
        return {"targets": TARGETS, "met": met}
