"""The online trading loop: vehicles are revealed when they plug in (with their departure and target), a
demand-response event when it starts; at each such event the LP re-plans from that interval on with what it knows
(the vehicles present, what each holds now, the throughput each has left) and the plan runs until the next event.
Prices are the day-ahead ones, known for the whole day."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence

from v2g.trading import lp
from v2g.trading.evaluate import Executed, step
from v2g.trading.problem import Node, Problem, Schedule, Vehicle


def run(
    problem: Problem,
    *,
    revealed_limits: dict[int, Node],
    initial_root: Node,
    expected: Callable[[int], Sequence[Vehicle]] | None = None,
) -> tuple[Executed, float, int]:
    """Run the day. `revealed_limits[t]` is the root node as known from interval t on (the event's cut appears at
    its start); before any reveal the root is `initial_root`. Returns what happened, the seconds spent planning,
    and how many times it planned. `expected(t)` is the forecast of the vehicles still to come after t
    (placeholders, `forecast=True`): each plan holds room for their import."""
    n, dt = problem.intervals, problem.step_hours
    root_id = problem.root().id
    arrivals = {v.arrival for v in problem.vehicles}
    energy = {v.id: v.energy_kwh for v in problem.vehicles}
    given = {v.id: 0.0 for v in problem.vehicles}
    charge = {v.id: [0.0] * n for v in problem.vehicles}
    discharge = {v.id: [0.0] * n for v in problem.vehicles}
    root = initial_root
    schedule: Schedule | None = None
    seconds, plans = 0.0, 0
    for t in range(n):
        if t in revealed_limits:
            root = revealed_limits[t]
        if schedule is None or t in arrivals or t in revealed_limits:
            present = []
            for v in problem.vehicles:
                if v.arrival <= t < v.departure:
                    known = copy.copy(v)
                    known.energy_kwh = energy[v.id]
                    if v.max_discharge_kwh is not None:
                        known.max_discharge_kwh = max(0.0, v.max_discharge_kwh - given[v.id])
                    present.append(known)
            if expected is not None:
                present += list(expected(t))
            nodes = dict(problem.nodes)
            nodes[root_id] = root
            view = copy.copy(problem)
            view.nodes, view.vehicles, view.first_interval = nodes, present, t
            started = time.perf_counter()
            schedule = lp.plan(view, algorithm="online")
            seconds += time.perf_counter() - started
            plans += 1
        for v in problem.vehicles:
            if v.arrival <= t < v.departure:
                planned_c = schedule.charge_kw.get(v.id, [0.0] * n)[t]
                planned_d = schedule.discharge_kw.get(v.id, [0.0] * n)[t]
                c, d, energy[v.id] = step(v, energy[v.id], planned_c, planned_d, dt)
                charge[v.id][t], discharge[v.id][t] = c, d
                given[v.id] += d * dt
    at_departure = {v.id: energy[v.id] for v in problem.vehicles}
    return Executed(charge, discharge, at_departure), seconds, plans
