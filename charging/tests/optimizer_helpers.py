"""Checks shared by the optimizer's tests: small problems built by hand, and independent checks of a schedule
against every limit and taper."""

from datetime import UTC, datetime, timedelta

from charging.optimizer import evaluate
from charging.optimizer.problem import LimitNode, Problem, Request, Schedule

START = datetime(2026, 1, 5, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TOL_KW = 1e-6
WEIGHT = {"critical": 10_000.0, "normal": 100.0, "low": 1.0}  # lp.PRIORITY_FACTOR, restated


def req(request_id, need, *, max_kw=22.0, arrival=0, departure=4, node=None, **extra):
    return Request(id=request_id, node=node or f"c-{request_id}", arrival=arrival, departure=departure,
                   energy_kwh=need, max_kw=max_kw, **extra)  # fmt: skip


def site_problem(requests, *, site_kw=100.0, intervals=4, price=None, step=HOUR, connectors=(), connector_kw=50.0,
             **extra):  # fmt: skip
    """A site with one connector per request (and any spare `connectors`) directly under it."""
    nodes = {"site": LimitNode("site", site_kw, None, "site")}
    for node in [r.node for r in requests] + list(connectors):
        nodes.setdefault(node, LimitNode(node, connector_kw, "site", "connector"))
    return Problem(start=START, step=step, intervals=intervals, price=list(price or [0.30] * intervals), nodes=nodes,
                   requests=list(requests), **extra)  # fmt: skip


def _limit(node: LimitNode, t: int) -> float:
    return float(node.max_kw[t]) if isinstance(node.max_kw, list | tuple) else float(node.max_kw)


def breaches(problem: Problem, schedule: Schedule) -> list[tuple]:
    """An independent check of every limit: each vehicle's rate and window, and every node of the tree (walked up
    through the parents here, not with Problem.ancestors), the root less the building's load."""
    n = problem.intervals
    load = {node_id: [0.0] * n for node_id in problem.nodes}
    found = []
    for r in problem.requests:
        series = schedule.power_kw[r.id]
        assert len(series) == n, (r.id, len(series))
        for t, kw in enumerate(series):
            if kw < -TOL_KW:
                found.append((r.id, t, "negative power", kw))
            if not r.arrival <= t < r.departure and abs(kw) > TOL_KW:
                found.append((r.id, t, "power while not plugged in", kw))
            if kw > r.max_kw + TOL_KW * max(1.0, r.max_kw):
                found.append((r.id, t, "above the vehicle's rate", kw, r.max_kw))
            node_id = r.node
            while node_id is not None:
                load[node_id][t] += kw
                node_id = problem.nodes[node_id].parent
    for node_id, node in problem.nodes.items():
        for t in range(n):
            limit = _limit(node, t)
            if node.parent is None and problem.baseline_kw is not None:
                limit -= problem.baseline_kw[t]
            if load[node_id][t] > limit + TOL_KW * max(1.0, abs(limit)):
                found.append((node_id, t, "above the limit", load[node_id][t], limit))
    return found


def assert_within_limits(problem: Problem, schedule: Schedule) -> None:
    assert evaluate.violations(problem, schedule) == [], schedule.algorithm
    assert breaches(problem, schedule) == [], schedule.algorithm


def delivered_by_departure(problem: Problem, schedule: Schedule, r: Request) -> float:
    return sum(schedule.power_kw[r.id][: r.departure]) * problem.hours


def taper_breaches(problem: Problem, schedule: Schedule) -> list[tuple]:
    """For every tapering vehicle: the SoC at the start of each interval from the schedule, and the power in that
    interval against the CC-CV bound at that SoC."""
    found = []
    for r in problem.requests:
        if not r.tapers:
            continue
        soc = r.soc_percent
        for t, kw in enumerate(schedule.power_kw[r.id]):
            bound = r.max_kw
            if soc > r.taper_from_soc:
                bound = r.taper_end_kw + (r.max_kw - r.taper_end_kw) * (100.0 - soc) / (100.0 - r.taper_from_soc)
            if kw > max(bound, 0.0) + 1e-6:  # past 100 % the bound is negative: the rate must be 0
                found.append((schedule.algorithm, r.id, t, round(soc, 4), kw, bound))
            soc += kw * problem.hours / r.capacity_kwh * 100.0
    return found


def weighted_unmet(problem: Problem, schedule: Schedule) -> float:
    return sum(WEIGHT[r.priority] * schedule.unmet_kwh[r.id] for r in problem.requests)
