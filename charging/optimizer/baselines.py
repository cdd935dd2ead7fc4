"""The classic scheduling rules the optimizer is measured against, interval by interval:

- uncontrolled: every vehicle takes its full rate from arrival until full (the limits are ignored: what a depot
  without smart charging does);
- round robin: the power is shared equally among the vehicles plugged in (water-filling under every limit);
- earliest deadline first and least laxity first: vehicles in that order take what they can.

All but uncontrolled respect every limit of the tree in every interval, and all follow each vehicle's taper.
"""

import time

import numpy as np

from charging.optimizer.problem import Problem, Schedule

EPS = 1e-9


class _State:
    def __init__(self, problem: Problem):
        self.p = problem
        self.requests = [r for r in problem.requests if r.max_kw > 0 and r.departure > r.arrival]
        n = len(self.requests)
        self.need = np.array([max(r.energy_kwh, 0.0) for r in self.requests])
        self.rate = np.array([r.max_kw for r in self.requests])
        self.arrival = np.array([max(r.arrival, 0) for r in self.requests])
        self.departure = np.array([min(r.departure, problem.intervals) for r in self.requests])
        self.power = np.zeros((n, problem.intervals))
        nodes = list(problem.nodes)
        self.node_index = {node: k for k, node in enumerate(nodes)}
        # membership[k, i]: request i charges under node k
        self.membership = np.zeros((len(nodes), n), dtype=bool)
        for i, r in enumerate(self.requests):
            for node in problem.ancestors(r.node):
                self.membership[self.node_index[node], i] = True
        self.nodes = [problem.nodes[node] for node in nodes]
        self.root = self.node_index[problem.root().id]

    def delivered(self) -> np.ndarray:
        return self.power.sum(axis=1) * self.p.hours

    def cap(self, t: int) -> np.ndarray:
        """What each request could take in interval t: its rate, its remaining need, its taper."""
        h = self.p.hours
        remaining = np.maximum(self.need - self.delivered(), 0.0)
        cap = np.minimum(self.rate, remaining / h)
        present = (self.arrival <= t) & (t < self.departure)
        cap[~present] = 0.0
        for i, r in enumerate(self.requests):
            if cap[i] > 0 and r.tapers:
                soc = r.soc_percent + (self.need[i] - remaining[i]) / r.capacity_kwh * 100.0
                if soc > r.taper_from_soc:
                    tapered = r.taper_end_kw + (r.max_kw - r.taper_end_kw) * (100.0 - soc) / (100.0 - r.taper_from_soc)
                    cap[i] = min(cap[i], max(tapered, 0.0))
        return cap

    def headroom(self, t: int) -> np.ndarray:
        limits = np.array([node.limit_at(t) for node in self.nodes])
        if self.p.baseline_kw is not None:
            limits[self.root] -= self.p.baseline_kw[t]
        return np.maximum(limits, 0.0)

    def schedule(self, name: str, elapsed: float) -> Schedule:
        delivered = self.delivered()
        power = {r.id: [float(v) for v in self.power[i]] for i, r in enumerate(self.requests)}
        unmet = {r.id: max(0.0, float(self.need[i] - delivered[i])) for i, r in enumerate(self.requests)}
        for r in self.p.requests:
            power.setdefault(r.id, [0.0] * self.p.intervals)
            unmet.setdefault(r.id, max(r.energy_kwh, 0.0))
        return Schedule(algorithm=name, power_kw=power, unmet_kwh=unmet, solve_seconds=elapsed, status="heuristic")


def uncontrolled(problem: Problem) -> Schedule:
    started = time.perf_counter()
    s = _State(problem)
    for t in range(problem.intervals):
        s.power[:, t] = s.cap(t)
    return s.schedule("uncontrolled", time.perf_counter() - started)


def _in_order(s: _State, t: int, order: np.ndarray) -> None:
    """Each request in turn takes what the limits above it still allow."""
    cap = s.cap(t)
    room = s.headroom(t)
    for i in order:
        if cap[i] <= EPS:
            continue
        above = s.membership[:, i]
        give = min(cap[i], room[above].min())
        if give > EPS:
            s.power[i, t] = give
            room[above] -= give


def earliest_deadline_first(problem: Problem) -> Schedule:
    started = time.perf_counter()
    s = _State(problem)
    for t in range(problem.intervals):
        _in_order(s, t, np.lexsort((np.arange(len(s.requests)), s.departure)))
    return s.schedule("earliest_deadline_first", time.perf_counter() - started)


def least_laxity_first(problem: Problem) -> Schedule:
    """Laxity: the intervals left before departure minus those the remaining energy needs at full rate."""
    started = time.perf_counter()
    s = _State(problem)
    h = problem.hours
    for t in range(problem.intervals):
        remaining = np.maximum(s.need - s.delivered(), 0.0)
        laxity = (s.departure - t) - remaining / np.maximum(s.rate * h, EPS)
        _in_order(s, t, np.lexsort((np.arange(len(s.requests)), laxity)))
    return s.schedule("least_laxity_first", time.perf_counter() - started)


def round_robin(problem: Problem) -> Schedule:
    """Equal shares: progressive filling, every active request rising together until it is full or a limit above
    it is reached."""
    started = time.perf_counter()
    s = _State(problem)
    for t in range(problem.intervals):
        cap = s.cap(t)
        room = s.headroom(t)
        active = cap > EPS
        given = np.zeros_like(cap)
        while active.any():
            counts = s.membership[:, active].sum(axis=1)
            used = counts > 0
            node_step = np.where(used, room / np.maximum(counts, 1), np.inf)
            step = min(node_step.min(), (cap - given)[active].min())
            given[active] += step
            room -= step * counts
            saturated_nodes = used & (room <= EPS * 10)
            full = (cap - given) <= EPS * 10
            blocked = s.membership[saturated_nodes].any(axis=0) if saturated_nodes.any() else np.zeros_like(active)
            active &= ~full & ~blocked
        s.power[:, t] = given
    return s.schedule("round_robin", time.perf_counter() - started)


BASELINES = {
    "uncontrolled": uncontrolled,
    "round_robin": round_robin,
    "earliest_deadline_first": earliest_deadline_first,
    "least_laxity_first": least_laxity_first,
}
