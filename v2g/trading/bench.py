"""The V2G benchmark (`bench_v2g`): a workplace V2G day in the shape of EV2Gym's V2GProfitMax
(scenarios.workplace_day) over many seeds, four algorithms each — charge as fast as possible, charge as late as
possible, ours online (vehicles revealed at arrival, the event at its start, a re-plan at each) and ours offline
with perfect foresight (the oracle) — scored on profit (export revenue − import cost − battery wear), user
satisfaction (energy at departure ÷ the target), overload kWh, energy cycled and wear; the share of the oracle's
gain over charge-as-fast-as-possible that the online planner captures, per seed; and the time to plan 1,000
vehicles at once. Plain Python, no Django."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

from v2g.trading import baselines, lp, online, scenarios
from v2g.trading.evaluate import Score, execute, score
from v2g.trading.problem import Node

TARGETS = {
    "overload_kwh": 0.0,
    "satisfaction_percent": 99.0,
    "online_capture_percent_mean": 95.0,
    "plan_1000_vehicles_s": 1.0,
}
ALGORITHMS = ("as_fast_as_possible", "as_late_as_possible", "online", "oracle")


def day_scores(seed: int, forecast: scenarios.Forecast) -> dict[str, Score]:
    day = scenarios.workplace_day(seed)
    problem = day.problem
    out = {}
    for name, algorithm in (
        ("as_fast_as_possible", baselines.as_fast_as_possible),
        ("as_late_as_possible", baselines.as_late_as_possible),
        ("oracle", lp.plan),
    ):
        schedule = algorithm(problem)
        out[name] = score(problem, execute(problem, schedule), algorithm=name, solve_seconds=schedule.solve_seconds)
    root = problem.root()
    before = Node(root.id, import_kw=day.normal_limit_kw, export_kw=root.export_kw)

    def expected(t: int):
        # what the operator knows at t: which chargers have had a vehicle today
        visited = len({v.node for v in problem.vehicles if v.arrival <= t})
        return forecast.ahead(t, chargers_visited=visited)

    executed, seconds, plans = online.run(
        problem, revealed_limits={day.event.start: root}, initial_root=before, expected=expected
    )
    out["online"] = score(problem, executed, algorithm="online", solve_seconds=seconds)
    out["online"].plans = plans
    return out


def capture(scores: dict[str, Score]) -> float | None:
    fast, oracle = scores["as_fast_as_possible"].profit, scores["oracle"].profit
    if oracle - fast < 1e-6:
        return None  # nothing to gain that day
    return (scores["online"].profit - fast) / (oracle - fast)


def plan_many(vehicles: int = 1000, seed: int = 1) -> dict:
    """Plan `vehicles` vehicles at once: workplace days side by side, a transformer per 25 chargers under one
    site root, the whole day offline."""
    transformers = vehicles // 25 + 2
    problem = scenarios.workplace_day(seed, transformers=transformers).problem
    problem.vehicles = problem.vehicles[:vehicles]
    started = time.perf_counter()
    cpu = time.process_time()
    lp.plan(problem)
    return {
        "vehicles": len(problem.vehicles),
        "intervals": problem.intervals,
        "transformers": transformers,
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def run(*, seeds: int = 100, first_seed: int = 0, progress: Callable[[str], None] | None = None) -> dict:
    progress = progress or (lambda message: print(message, file=sys.stderr))
    load_before = os.getloadavg()[0]
    forecast = scenarios.Forecast()
    per_seed = []
    totals: dict[str, list[Score]] = {name: [] for name in ALGORITHMS}
    for seed in range(first_seed, first_seed + seeds):
        scores = day_scores(seed, forecast)
        for name in ALGORITHMS:
            totals[name].append(scores[name])
        share = capture(scores)
        per_seed.append({"seed": seed, "vehicles": len(scenarios.workplace_day(seed).problem.vehicles),
                         "capture": None if share is None else round(share, 4),
                         "profit": {name: round(scores[name].profit, 2) for name in ALGORITHMS}})  # fmt: skip
        progress(f"seed {seed}: capture {share:.3f}" if share is not None else f"seed {seed}: nothing to gain")
    algorithms = {}
    for name, rows in totals.items():
        algorithms[name] = {
            "profit_mean": round(statistics.mean(r.profit for r in rows), 2),
            "import_cost_mean": round(statistics.mean(r.import_cost for r in rows), 2),
            "export_revenue_mean": round(statistics.mean(r.export_revenue for r in rows), 2),
            "degradation_cost_mean": round(statistics.mean(r.degradation_cost for r in rows), 2),
            "satisfaction_percent_mean": round(100 * statistics.mean(r.satisfaction_mean for r in rows), 3),
            "satisfaction_percent_worst_vehicle": round(100 * min(r.satisfaction_min for r in rows), 3),
            "overload_kwh_total": round(sum(r.overload_kwh for r in rows), 3),
            "overload_kwh_worst_day": round(max(r.overload_kwh for r in rows), 3),
            "cycled_kwh_mean": round(statistics.mean(r.cycled_kwh for r in rows), 1),
            "plan_seconds_mean": round(statistics.mean(r.solve_seconds for r in rows), 3),
        }
    shares = [row["capture"] for row in per_seed if row["capture"] is not None]
    worst = min(per_seed, key=lambda row: row["capture"] if row["capture"] is not None else 9.0)
    many = plan_many()
    result = {
        "scenario": "workplace V2G day: 25 chargers ±22 kW, one 100 kW transformer, 112 × 15 min from 05:00, "
        "one DR event (-35 % import, 60 min)",
        "seeds": seeds,
        "algorithms": algorithms,
        "online_capture_percent": {
            "mean": round(100 * statistics.mean(shares), 2),
            "median": round(100 * statistics.median(shares), 2),
            "worst": round(100 * worst["capture"], 2),
            "worst_seed": worst["seed"],
            "days_with_a_gain": len(shares),
        },
        "plan_1000_vehicles": many,
        "targets": TARGETS,
        "met": {
            "overload_kwh": algorithms["online"]["overload_kwh_total"] <= TARGETS["overload_kwh"]
            and algorithms["oracle"]["overload_kwh_total"] <= TARGETS["overload_kwh"],
            "satisfaction_percent": algorithms["online"]["satisfaction_percent_mean"]
            >= TARGETS["satisfaction_percent"],
            "online_capture_percent_mean": 100 * statistics.mean(shares) >= TARGETS["online_capture_percent_mean"],
            "plan_1000_vehicles_s": many["seconds"] <= TARGETS["plan_1000_vehicles_s"],
        },
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "per_seed": per_seed,
    }
    return result
