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
        self.got = np.zeros(n)  # energy delivered so far
        nodes = list(problem.nodes)
        self.node_index = {node: k for k, node in enumerate(nodes)}
        self.chains = [[self.node_index[node] for node in problem.ancestors(r.node)] for r in self.requests]
        # each request's ancestor at each depth of the tree (the root at depth 0), -1 where it has none
        depth = max((len(chain) for chain in self.chains), default=1)
        self.at_depth = np.full((n, depth), -1, dtype=np.int64)
        for i, chain in enumerate(self.chains):
            self.at_depth[i, : len(chain)] = chain[::-1]
        self.nodes = [problem.nodes[node] for node in nodes]
        self.root = self.node_index[problem.root().id]
        # the taper: above the knee the rate falls linearly from max_kw to taper_end_kw at 100 %
        self.tapers = np.array([r.tapers for r in self.requests], dtype=bool)
        self.soc0 = np.array([r.soc_percent if r.tapers else 0.0 for r in self.requests])
        self.capacity = np.array([r.capacity_kwh if r.tapers else 1.0 for r in self.requests])
        self.knee = np.array([r.taper_from_soc if r.tapers else 100.0 for r in self.requests])
        self.end_kw = np.array([r.taper_end_kw for r in self.requests])

    def delivered(self) -> np.ndarray:
        return self.got.copy()

    def cap(self, t: int) -> np.ndarray:
        """What each request could take in interval t: its rate, its remaining need, its taper."""
        h = self.p.hours
        remaining = np.maximum(self.need - self.got, 0.0)
        cap = np.minimum(self.rate, remaining / h)
        present = (self.arrival <= t) & (t < self.departure)
        cap[~present] = 0.0
        soc = self.soc0 + (self.need - remaining) / self.capacity * 100.0
        above = self.tapers & (cap > 0) & (soc > self.knee)
        if above.any():
            span = 100.0 - self.knee[above]
            tapered = self.end_kw[above] + (self.rate[above] - self.end_kw[above]) * (100.0 - soc[above]) / span
            cap[above] = np.minimum(cap[above], np.maximum(tapered, 0.0))
        return cap

    def headroom(self, t: int) -> np.ndarray:
        limits = np.array([node.limit_at(t) for node in self.nodes])
        if self.p.baseline_kw is not None:
            limits[self.root] -= self.p.baseline_kw[t]
        return np.maximum(limits, 0.0)

    def give(self, t: int, power: np.ndarray) -> None:
        self.power[:, t] = power
        self.got += power * self.p.hours

    def schedule(self, name: str, elapsed: float) -> Schedule:
        delivered = self.got
        rows = self.power.tolist()
        power = {r.id: rows[i] for i, r in enumerate(self.requests)}
        unmet = {r.id: max(0.0, float(self.need[i] - delivered[i])) for i, r in enumerate(self.requests)}
        for r in self.p.requests:
            power.setdefault(r.id, [0.0] * self.p.intervals)
            unmet.setdefault(r.id, max(r.energy_kwh, 0.0))
        return Schedule(algorithm=name, power_kw=power, unmet_kwh=unmet, solve_seconds=elapsed, status="heuristic")


def uncontrolled(problem: Problem) -> Schedule:
    started = time.perf_counter()
    s = _State(problem)
    for t in range(problem.intervals):
        s.give(t, s.cap(t))
    return s.schedule("uncontrolled", time.perf_counter() - started)


def _in_order(s: _State, t: int, order: np.ndarray) -> None:
    """Each request in turn takes what the limits above it still allow."""
    cap = s.cap(t)
    room = s.headroom(t).tolist()
    capped = cap.tolist()
    given = [0.0] * len(capped)
    for i in order[cap[order] > EPS].tolist():
        chain = s.chains[i]
        give = capped[i]
        for k in chain:
            if room[k] < give:
                give = room[k]
        if give > EPS:
            given[i] = give
            for k in chain:
                room[k] -= give
    s.give(t, np.array(given))


def earliest_deadline_first(problem: Problem) -> Schedule:
    started = time.perf_counter()
    s = _State(problem)
    order = np.lexsort((np.arange(len(s.requests)), s.departure))
    for t in range(problem.intervals):
        _in_order(s, t, order)
    return s.schedule("earliest_deadline_first", time.perf_counter() - started)


def least_laxity_first(problem: Problem) -> Schedule:
    """Laxity: the intervals left before departure minus those the remaining energy needs at full rate."""
    started = time.perf_counter()
    s = _State(problem)
    h = problem.hours
    for t in range(problem.intervals):
        remaining = np.maximum(s.need - s.got, 0.0)
        laxity = (s.departure - t) - remaining / np.maximum(s.rate * h, EPS)
        _in_order(s, t, np.lexsort((np.arange(len(s.requests)), laxity)))
    return s.schedule("least_laxity_first", time.perf_counter() - started)


def _fill_levels(values: np.ndarray, groups: np.ndarray, room: np.ndarray) -> np.ndarray:
    """For each group (a node) the water level λ at which Σ min(value, λ) over its members reaches the node's
    room (inf where all of them fit)."""
    order = np.lexsort((values, groups))
    v, g = values[order], groups[order]
    starts = np.r_[0, np.nonzero(np.diff(g))[0] + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    first = np.repeat(starts, sizes)
    rank = np.arange(len(v)) - first  # position within the group
    before = np.cumsum(v) - v
    below = before - np.repeat(before[starts], sizes)  # Σ of the smaller members
    count = np.repeat(sizes, sizes)
    total_at = below + v * (count - rank)  # the group's total when the level is this member's value
    full = total_at >= np.repeat(room[g[starts]], sizes) - EPS
    level = np.full(len(room), np.inf)
    # the first member at which the room is reached: the level lies between the previous member and it
    hit = np.where(full, rank, np.iinfo(np.int64).max)
    k = np.minimum.reduceat(hit, starts)
    has = k < np.iinfo(np.int64).max
    at = starts[has] + k[has]
    level[g[starts[has]]] = (room[g[at]] - below[at]) / (count[at] - rank[at])
    return level


def round_robin(problem: Problem) -> Schedule:
    """Equal shares: progressive filling, every active request rising together until it is full or a limit above
    it is reached. Its result is the max-min fair share, computed here bottom-up: a node that would be overrun
    holds its requests at the level that fills it (found by sorting their caps), the deepest nodes first."""
    started = time.perf_counter()
    s = _State(problem)
    for t in range(problem.intervals):
        share = s.cap(t)
        room = s.headroom(t)
        active = share > EPS
        share[~active] = 0.0
        for depth in range(s.at_depth.shape[1] - 1, -1, -1):
            node = s.at_depth[:, depth]
            members = active & (node >= 0)
            if not members.any():
                continue
            level = _fill_levels(share[members], node[members], room)
            share[members] = np.minimum(share[members], level[node[members]])
        s.give(t, share)
    return s.schedule("round_robin", time.perf_counter() - started)


BASELINES = {
    "uncontrolled": uncontrolled,
    "round_robin": round_robin,
    "earliest_deadline_first": earliest_deadline_first,
    "least_laxity_first": least_laxity_first,
}
