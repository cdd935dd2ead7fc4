"""The day replayed online: vehicles are revealed only when they arrive, and the plan is re-made at every event
with the warm LP (lp.LpPlanner), as the site would run it. No Django here.

At each event (an interval in which a vehicle arrives or leaves) the intervals before it are frozen at what the
previous plans executed, the arrivals join the model, and the LP is solved again from the previous basis; the new
plan runs until the next event. A vehicle leaving at its announced departure needs nothing removed: its window
ends there and its intervals are frozen (LpPlanner.remove is for leaving early or a faulted connector, and
zeroing the cost of a basic unmet column would shift the duals of the whole model for nothing). The result is
scored against the offline optimum, which knew the whole day in advance.
"""

import time
from collections import defaultdict
from dataclasses import replace

import numpy as np

from charging.optimizer.lp import LpPlanner
from charging.optimizer.problem import EXPECTED, Problem, Request, Schedule

FORECAST_PREFIX = "forecast:"


def _empty(problem: Problem) -> Problem:
    """The same site and day with nobody known yet (requests are added as they arrive)."""
    return replace(problem, price=list(problem.price), requests=[])


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    array = np.array(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(array, 50)), 1),
        "p95_ms": round(float(np.percentile(array, 95)), 1),
        "max_ms": round(float(array.max()), 1),
    }


def expected(problem: Problem, forecast: list[Request]) -> list[Request]:
    """The forecast's vehicles as the plan's placeholders: under the site's own limit (which connector a vehicle
    will take is not known), in the class below every vehicle's (one that is there comes first), no taper."""
    root = problem.root().id
    return [replace(r, id=f"{FORECAST_PREFIX}{r.id}", node=root, priority=EXPECTED, taper_from_soc=None)
            for r in forecast if 0 < r.arrival < problem.intervals]  # fmt: skip


def replay(problem: Problem, forecast: list[Request] | None = None) -> tuple[Schedule, dict]:
    """Replay the day online. Returns the executed schedule and the re-plans' statistics: how many, and their
    p50 / p95 / max time (freeze + add + solve).

    `forecast`: the vehicles expected today (from history, e.g. the same day last week), planned as placeholders
    (`expected`) until their arrival time comes, when the vehicles that really arrive take their place: with a
    demand charge, the plan made at noon already knows the evening will need a peak, and spreads the first
    arrivals' energy under it instead of finding out too late (model-predictive control)."""
    T = problem.intervals
    arrivals: dict[int, list[Request]] = defaultdict(list)
    for r in problem.requests:
        if r.arrival < T:
            arrivals[max(r.arrival, 0)].append(r)
    departures = {r.departure for r in problem.requests if 0 < r.departure < T}
    placeholders = expected(problem, forecast or [])
    # an expected vehicle's arrival time is an event too: the plan stops holding room for it then
    events = sorted(set(arrivals) | departures | {r.arrival for r in placeholders})
    planner = LpPlanner(replace(_empty(problem), requests=list(placeholders)))
    waiting = sorted(placeholders, key=lambda r: (r.arrival, r.id))
    executed = {r.id: [0.0] * T for r in problem.requests}
    timings, solves = [], 0.0
    status = "optimal"
    for k, t in enumerate(events):
        started = time.perf_counter()
        planner.freeze(t, executed)
        while waiting and waiting[0].arrival <= t:
            planner.remove(waiting.pop(0).id)
        for r in arrivals.get(t, []):
            planner.add(r)
        plan = planner.solve("online")
        timings.append(time.perf_counter() - started)
        solves += plan.solve_seconds
        if plan.status != "optimal":
            status = plan.status
        until = events[k + 1] if k + 1 < len(events) else T
        for request_id, series in plan.power_kw.items():
            if request_id in executed:
                executed[request_id][t:until] = series[t:until]
    hours = problem.hours
    unmet = {r.id: max(0.0, max(r.energy_kwh, 0.0) - sum(executed[r.id]) * hours) for r in problem.requests}
    schedule = Schedule(
        algorithm="online",
        power_kw=executed,
        unmet_kwh=unmet,
        solve_seconds=sum(timings),
        status=status,
        cannot_serve={k: v for k, v in planner.cannot.items() if not k.startswith(FORECAST_PREFIX)},
    )
    stats = {"replans": len(events), "solve_seconds": round(solves, 3), **_percentiles(timings)}
    return schedule, stats


def single_arrival(problem: Problem, arrivals: int = 10) -> dict:
    """The re-plan after one arrival with the rest of the day known: plan everyone but the `arrivals` last to
    arrive, then reveal those one at a time (the past frozen at the plan executed so far) and time each add +
    solve."""
    late = sorted(problem.requests, key=lambda r: (-r.arrival, r.id))[:arrivals]
    held = {r.id for r in late}
    known = replace(problem, price=list(problem.price), requests=[r for r in problem.requests if r.id not in held])
    planner = LpPlanner(known)
    plan = planner.solve()
    timings = []
    for r in sorted(late, key=lambda r: (r.arrival, r.id)):
        planner.freeze(max(r.arrival, 0), plan.power_kw)
        started = time.perf_counter()
        planner.add(r)
        plan = planner.solve()
        timings.append(time.perf_counter() - started)
    return {"known": len(known.requests), "arrivals": len(timings), **_percentiles(timings)}
