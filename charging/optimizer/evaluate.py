"""Scoring a schedule against its problem: energy delivered, vehicles ready, cost, peak, and every limit checked."""

from dataclasses import dataclass

from charging.optimizer.problem import Problem, Schedule

TOLERANCE_KW = 1e-6
READY_TOLERANCE_KWH = 0.01


@dataclass
class Score:
    algorithm: str
    delivered_percent: float
    ready_percent: float
    energy_cost: float
    demand_cost: float
    cost: float
    peak_kw: float
    limit_violations: int
    worst_violation_kw: float
    solve_ms: float

    def as_dict(self) -> dict:
        return {
            "delivered_percent": round(self.delivered_percent, 2),
            "ready_percent": round(self.ready_percent, 2),
            "energy_cost": round(self.energy_cost, 2),
            "demand_cost": round(self.demand_cost, 2),
            "cost": round(self.cost, 2),
            "peak_kw": round(self.peak_kw, 1),
            "limit_violations": self.limit_violations,
            "solve_ms": round(self.solve_ms, 1),
        }


def violations(problem: Problem, schedule: Schedule) -> list[tuple[str, int, float]]:
    """Every (node, interval) whose load exceeds its limit, with the excess in kW."""
    load: dict[tuple[str, int], float] = {}
    chains = {r.id: problem.ancestors(r.node) for r in problem.requests}
    for request_id, series in schedule.power_kw.items():
        for t, kw in enumerate(series):
            if kw <= 0:
                continue
            for node in chains[request_id]:
                load[(node, t)] = load.get((node, t), 0.0) + kw
    root = problem.root().id
    out = []
    for (node, t), kw in load.items():
        limit = problem.nodes[node].limit_at(t)
        if node == root and problem.baseline_kw is not None:
            limit -= problem.baseline_kw[t]
        if kw > limit + TOLERANCE_KW * max(1.0, limit):
            out.append((node, t, kw - limit))
    for request in problem.requests:  # each vehicle's own rate
        for t, kw in enumerate(schedule.power_kw.get(request.id, [])):
            if kw > request.max_kw + TOLERANCE_KW * max(1.0, request.max_kw):
                out.append((request.id, t, kw - request.max_kw))
    return out


def score(problem: Problem, schedule: Schedule) -> Score:
    h = problem.hours
    requested = sum(max(r.energy_kwh, 0.0) for r in problem.requests)
    delivered = 0.0
    ready = 0
    for r in problem.requests:
        got = sum(schedule.power_kw.get(r.id, [])) * h
        delivered += min(got, max(r.energy_kwh, 0.0))
        if got >= r.energy_kwh - READY_TOLERANCE_KWH:
            ready += 1
    site = schedule.site_kw(problem.intervals)
    base = problem.baseline_kw or [0.0] * problem.intervals
    energy_cost = sum(problem.price[t] * site[t] * h for t in range(problem.intervals))
    peak = max((site[t] + base[t] for t in range(problem.intervals)), default=0.0)
    demand_cost = problem.demand_charge_per_kw * max(peak, problem.peak_floor_kw)
    found = violations(problem, schedule)
    return Score(
        algorithm=schedule.algorithm,
        delivered_percent=100.0 * delivered / requested if requested else 100.0,
        ready_percent=100.0 * ready / len(problem.requests) if problem.requests else 100.0,
        energy_cost=energy_cost,
        demand_cost=demand_cost,
        cost=energy_cost + demand_cost,
        peak_kw=peak,
        limit_violations=len(found),
        worst_violation_kw=max((v[2] for v in found), default=0.0),
        solve_ms=schedule.solve_seconds * 1000.0,
    )
