"""The classic baselines of the benchmark, which know no prices, no limits and no discharge: charge as fast as
possible from arrival, and as late as possible before departure, each to the vehicle's departure target."""

from __future__ import annotations

import time

from v2g.trading.problem import Problem, Schedule


def _need_intervals(problem: Problem, v) -> list[float]:
    """Full-rate power per interval of the stay, in order, until the target is held (the last one partial)."""
    dt = problem.step_hours
    missing = max(0.0, v.target_kwh - v.energy_kwh)
    powers = []
    for _ in range(max(v.arrival, 0), min(v.departure, problem.intervals)):
        if missing <= 1e-9:
            break
        power = min(v.max_charge_kw, missing / (dt * v.charge_efficiency))
        powers.append(power)
        missing -= power * dt * v.charge_efficiency
    return powers


def as_fast_as_possible(problem: Problem) -> Schedule:
    started = time.perf_counter()
    n = problem.intervals
    charge = {v.id: [0.0] * n for v in problem.vehicles}
    for v in problem.vehicles:
        for k, power in enumerate(_need_intervals(problem, v)):
            charge[v.id][max(v.arrival, 0) + k] = power
    zero = {v.id: [0.0] * n for v in problem.vehicles}
    return Schedule("as fast as possible", charge, zero, solve_seconds=time.perf_counter() - started)


def as_late_as_possible(problem: Problem) -> Schedule:
    started = time.perf_counter()
    n = problem.intervals
    charge = {v.id: [0.0] * n for v in problem.vehicles}
    for v in problem.vehicles:
        last = min(v.departure, n) - 1
        for k, power in enumerate(_need_intervals(problem, v)):
            charge[v.id][last - k] = power
    zero = {v.id: [0.0] * n for v in problem.vehicles}
    return Schedule("as late as possible", charge, zero, solve_seconds=time.perf_counter() - started)
