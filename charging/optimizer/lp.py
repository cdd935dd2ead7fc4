"""The optimal schedule as a linear program, solved with HiGHS; and `plan`, the same plan fast.

Variables: p[i,t] ≥ 0, the power of request i in interval t while it is plugged in (up to its rate); u[i], the
energy it will lack at departure; z[c], the largest unmet share of need in priority class c; P, the peak site
power (with a demand charge); e[i,t], the energy a tapering request has received before t.

    minimise   Σ (Δ·(price_t + carbon weight·carbon_t) + τ[i,t])·p[i,t]   energy cost (and carbon), tie-break
             + demand charge · P
             + Σ W[prio(i)]·u[i]                              unmet energy: critical ≫ normal ≫ low ≫ any price
             + Σ w[c]·z[c]                                    within a class, shares proportional to need
    subject to Σ_t Δ·p[i,t] + u[i] = E[i]                      every request's energy
               Σ_{i under n} p[i,t] ≤ L[n,t]                   every limit of the tree, every interval
               Σ_i p[i,t] + base[t] ≤ P                         the peak (only with a demand charge)
               u[i] ≤ E[i]·z[c]                                 fairness
               p[i,t] + k[i]·e[i,t] ≤ b[i]                      CC-CV taper above the knee SoC
               e[i,t] = Δ·Σ_{s<t} p[i,s]

W grows by a factor 100 per priority class over the most a kWh can cost, so no price ever outweighs a vehicle's
need and a critical vehicle's need outweighs any number of normal ones'. w[c] is a hundredth of W[c]
(FAIR_WEIGHT). Among equal plans τ[i,t] = (EARLY_BIAS/G)·t·(1 + steps[i]) (`_tie_break`, at most EARLY_BIAS·t;
EARLY_BIAS·t under a demand charge) prefers earlier intervals, the more the earlier request i leaves: the
schedule is deterministic, it front-loads energy a later fault could cost, and at flat prices the earlier
deadline charges first, so an unannounced arrival finds the hours a vehicle that could wait would otherwise
hold (as earliest deadline first does).

A row exists only where it can bind: a limit where the rates of the requests under a node at t add up to more
than its limit (a connector with one vehicle is just that vehicle's bound), a taper row from the interval in
which the vehicle could first have passed its knee. The model is assembled with numpy in one call per change;
`LpPlanner` keeps it in HiGHS between solves, so adding an arrival, freezing executed intervals, removing a
departed vehicle or changing a price or limit re-solves from the previous basis.

`plan(problem)` is the fast path ("ours" in the benchmark). Without the taper and the fair-share term the LP is
a min-cost flow (each request's energy → the lowest limit above it that can bind at t → … → the grid, or its
unmet arc), which OR-Tools' network solver solves exactly in a fraction of the simplex's time; a vehicle that
cannot reach its target even charging flat out is asked only for what it can reach, so the flow stays a
relaxation and its cost a lower bound of the LP's optimum. When the flow's schedule follows every taper and
serves everyone, it is the LP's optimum. Otherwise the vehicles whose taper it breaks are re-planned in the power
the others leave: those that cannot reach their target charge flat out from the start that is best in the LP's
terms (energy lost against price saved); the others get the full LP, restricted to them and solved by column
generation (their cheaper intervals first, HiGHS' reduced costs bring in the rest), fifty vehicles at a time
(the simplex's time grows much faster than the LP). The others keep the flow's plan, so the result can cost a
little more than the LP's optimum: the gap to the flow's bound is in the notes (the benchmark measures it
against the LP).

When power is short (the limits cannot carry what everyone can reach: one maximum flow tells), the flow alone
would give the shortage to whoever its arcs happen to favour, some vehicles nothing at all. The LP's fair-share
rows are then kept as floors (`_fair_shares`): class by class from critical down, the largest common share of
need every vehicle of the class can get with the classes above served first, by Newton's method on the
parametric maximum flow; the min-cost flow must give each its floor, then spends the rest by cost. A repair in
the room the others leave at their floors would break the shares (the taper needs other hours), so tapering
vehicles are kept to their taper inside the flow instead: each one's window is split into segments (its knee at
full rate, then parts of the rest at the rate the taper allows once each is in, placed where a plan without the
taper passed those energies), with the energy before each segment's end held to its part (`_Network.split`);
what that costs them, `_fill_tapers` gives back where their taper and the limits still allow. The objective then
counts the fair-share term, and the bound comes from the classes' maximum flows (`_short_bound`).

With a demand charge D per kW of peak, the peak P couples every interval. For a fixed P the problem is again the
flow, with the site held to P; its cost f(P) is convex, so g(P) = f(P) + D·max(P, floor) is too. The least peak
that still carries all the energy comes from Newton's method on the parametric maximum flow (a few max-flows),
and above it one more kW of peak saves at most Σ_t (dearest cost - cost_t): when D outweighs that (the usual
case) the least peak is the best one, and one flow plans it; a smaller D gets a golden-section search over P.
The taper repair then plans the re-planned vehicles with the peak in their LP, the others' power counted as the
building's, so a vehicle raises the peak only where its taper leaves no other way.

Up to EXACT_UP_TO vehicles `plan` solves the full LP instead: it takes a few milliseconds there, and a repair of
one vehicle in ten is a large share of the whole.

Why one file of some 1,500 lines: it is one model solved two ways. The fast path is the LP's own objective and
limits seen as a flow, it re-plans its hard cases with the LP's builder (`_replan_exactly`), and the two are held
to each other (the gap in the notes). Both share the tree of limits, the windows, the interval costs, the
priority weights and the tie-break; split in two files, a reader would follow each term of the objective
across both. The rest of the optimizer is in its own modules: problem.py (the data), profiles.py (batteries
and the OCPP profiles), baselines.py, online.py, evaluate.py, scenarios.py.
"""

import copy
import math
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from charging.optimizer.problem import CLASSES, PRIORITIES, Problem, ProblemError, Request, Schedule

# an expected arrival (a forecast's placeholder) still outweighs any price (unit_penalty is ten times the dearest
# kWh), so the plan keeps room for it, but a vehicle that is there comes first
PRIORITY_FACTOR = {"expected": 0.1, "low": 1.0, "normal": 100.0, "critical": 10_000.0}
FAIR_WEIGHT = 0.01  # z[c], the largest unmet share in class c, weighs a hundredth of a kWh of the class's need
TAPER_BANDS = 3  # when power is short, the energy above a vehicle's knee in parts of their own rate (_taper_split)
EARLY_BIAS = 1e-6  # per interval index, per kW: the most the tie-breaks add (`_tie_break`)
DEADLINE_STEPS = 96  # the tie-break's resolution: how many departures it tells apart over the horizon
DUAL_TOLERANCE = 1e-9  # HiGHS' tolerance on reduced costs, below the tie-break's smallest step (EARLY_BIAS/96)
INF = float("inf")
SLACK_KW = 1e-6
TAPER_BLOCK = 8  # intervals between the taper's energy columns


_FIRST_HIGHS = threading.Lock()
_banner_gone = False


def _quietly(make):
    """`make()` with file descriptor 1 (stdout) on the null device: HiGHS prints its banner from C, on the first
    model a process makes, before any option can be set."""
    sys.stdout.flush()
    try:
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no stdout to protect
        return make()
    os.dup2(null, 1)
    try:
        return make()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _highs():
    global _banner_gone
    import highspy

    if _banner_gone:
        h = highspy.Highs()
    else:
        with _FIRST_HIGHS:
            h = highspy.Highs() if _banner_gone else _quietly(highspy.Highs)
            _banner_gone = True
    h.setOptionValue("output_flag", False)
    # the tie-break tells plans apart by EARLY_BIAS/DEADLINE_STEPS (1e-8) per kW: HiGHS' default tolerance on
    # reduced costs (1e-7) would call either optimal
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    return h, highspy


def _max_price(problem: Problem) -> float:
    """The most a kWh can cost in the objective (energy, carbon, and a demand charge spread over one interval)."""
    top = max((abs(p) for p in problem.price), default=0.0)
    if problem.carbon_g_per_kwh is not None:
        top += problem.carbon_price_per_kg * max(problem.carbon_g_per_kwh, default=0.0) / 1000.0
    return top + problem.demand_charge_per_kw / problem.hours


def _grain(problem: Problem) -> float:
    """The tie-break's step (per kW, per interval index): EARLY_BIAS / G, G = DEADLINE_STEPS or fewer intervals;
    EARLY_BIAS under a demand charge, where it has no deadline steps (`_deadline_steps`)."""
    if problem.demand_charge_per_kw > 0:
        return EARLY_BIAS
    return EARLY_BIAS / min(problem.intervals, DEADLINE_STEPS)


def _interval_costs(problem: Problem) -> np.ndarray:
    """The objective's coefficient of 1 kW in each interval: Δ·(price + carbon weight·carbon), and the least of
    the tie-break (`_tie_break`: a vehicle that stays to the horizon's end) so that earlier is cheaper."""
    cost = np.asarray(problem.price, dtype=float).copy()
    if problem.carbon_g_per_kwh is not None and problem.carbon_price_per_kg:
        cost += problem.carbon_price_per_kg * np.asarray(problem.carbon_g_per_kwh, dtype=float) / 1000.0
    return problem.hours * cost + _grain(problem) * np.arange(problem.intervals)


def _price_levels(problem: Problem) -> np.ndarray:
    """Each interval's cost without the tie-break, rounded: equal prices are one level."""
    return np.round(_interval_costs(problem) - _grain(problem) * np.arange(problem.intervals), 12)


def _deadline_steps(problem: Problem, departures: np.ndarray) -> np.ndarray:
    """Each request's weight in the deadline tie-break, in whole steps of 1/G (G = DEADLINE_STEPS, or fewer
    intervals): how much earlier than the horizon's end it leaves, 0 for one that stays to the end. None under a
    demand charge: there the peak already spreads the energy, and the plans of equal cost it leaves are so many
    that telling each vehicle's apart made HiGHS 4 to 27 times slower (100 and 1,000 vehicles)."""
    if problem.demand_charge_per_kw > 0:
        return np.zeros(len(departures), dtype=np.int64)
    steps = min(problem.intervals, DEADLINE_STEPS)
    left = problem.intervals - np.minimum(np.asarray(departures, dtype=np.int64), problem.intervals)
    return (np.maximum(left, 0) * steps) // problem.intervals


def _tie_break(problem: Problem, steps: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """What a request's kW in interval t costs on top of `_interval_costs`: grain·t·(its steps). In all a kW in
    interval t costs grain·t·(1 + steps): earlier is cheaper for everyone, and the more so the earlier a request
    leaves, so among plans of equal cost the earlier deadline charges first (as earliest deadline first would)
    and the hours a later arrival may need are not held by a vehicle that could have charged before. At most
    EARLY_BIAS·t: 0.0004 per kWh at the end of a day of quarter hours, below any real price step."""
    return _grain(problem) * ts * steps


def _taper_line(r: Request) -> tuple[float, float]:
    """The CC-CV bound as p ≤ bound - slope·e, e the energy received since plug-in."""
    knee, soc0, capacity = r.taper_from_soc, r.soc_percent, r.capacity_kwh
    slope = (r.max_kw - r.taper_end_kw) * 100.0 / (capacity * (100.0 - knee))
    bound = r.taper_end_kw + (r.max_kw - r.taper_end_kw) * (100.0 - soc0) / (100.0 - knee)
    return slope, bound


class _Tree:
    """The limit tree as arrays: node indices, parents, and each node's limit per interval (the root's less the
    building's load)."""

    def __init__(self, problem: Problem):
        self.ids = list(problem.nodes)
        self.index = {node: k for k, node in enumerate(self.ids)}
        self.parent = np.array([self.index[problem.nodes[n].parent] if problem.nodes[n].parent is not None else -1
                                for n in self.ids], dtype=np.int64)  # fmt: skip
        self.root = self.index[problem.root().id]
        self.limits = np.empty((len(self.ids), problem.intervals))
        for k, node_id in enumerate(self.ids):
            max_kw = problem.nodes[node_id].max_kw
            self.limits[k] = np.asarray(max_kw, dtype=float) if isinstance(max_kw, Sequence) else float(max_kw)
        if problem.baseline_kw is not None:
            self.limits[self.root] = np.maximum(0.0, self.limits[self.root] - np.asarray(problem.baseline_kw))

    def chains(self, leaves: np.ndarray) -> np.ndarray:
        """Each leaf's node and every node above it, one row per leaf, padded with -1."""
        levels, current = [], np.asarray(leaves, dtype=np.int64)
        while len(current) and (current >= 0).any():
            levels.append(current)
            current = np.where(current >= 0, self.parent[np.maximum(current, 0)], -1)
        return np.stack(levels, axis=1) if levels else np.full((len(current), 1), -1, dtype=np.int64)


def _windows(problem: Problem, requests: list[Request]):
    t0 = np.array([max(r.arrival, 0) for r in requests], dtype=np.int64)
    t1 = np.array([min(r.departure, problem.intervals) for r in requests], dtype=np.int64)
    lengths = np.maximum(t1 - t0, 0)
    total = int(lengths.sum())
    which = np.repeat(np.arange(len(requests)), lengths)  # (request, interval) pairs, request by request
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return t0, t1, lengths, which, offsets + t0[which]


def _widen(chains: np.ndarray, width: int) -> np.ndarray:
    return np.pad(chains, ((0, 0), (0, width - chains.shape[1])), constant_values=-1)


class _Builder:
    """New columns and rows collected as arrays and handed to HiGHS in two calls."""

    def __init__(self, first_col: int, first_row: int):
        self.first_col, self.first_row = first_col, first_row
        self.num_cols = self.num_rows = 0
        self.cost, self.col_lo, self.col_hi, self.row_lo, self.row_hi = [], [], [], [], []
        self.e_row, self.e_col, self.e_val = [], [], []

    def cols(self, cost, lower, upper, count: int | None = None) -> np.ndarray:
        count = len(np.atleast_1d(cost)) if count is None else count
        for target, value in ((self.cost, cost), (self.col_lo, lower), (self.col_hi, upper)):
            target.append(np.broadcast_to(np.asarray(value, dtype=float), (count,)))
        first = self.first_col + self.num_cols
        self.num_cols += count
        return np.arange(first, first + count, dtype=np.int64)

    def rows(self, lower, upper, count: int | None = None) -> np.ndarray:
        count = max(len(np.atleast_1d(lower)), len(np.atleast_1d(upper))) if count is None else count
        self.row_lo.append(np.broadcast_to(np.asarray(lower, dtype=float), (count,)))
        self.row_hi.append(np.broadcast_to(np.asarray(upper, dtype=float), (count,)))
        first = self.first_row + self.num_rows
        self.num_rows += count
        return np.arange(first, first + count, dtype=np.int64)

    def entries(self, rows, cols, value) -> None:
        rows, cols = np.broadcast_arrays(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
        self.e_row.append(rows.ravel())
        self.e_col.append(cols.ravel())
        self.e_val.append(np.broadcast_to(np.asarray(value, dtype=float), rows.shape).ravel())

    def add_to(self, h) -> None:
        """The new rows with their entries in existing columns (row-wise), then the new columns with all theirs."""
        from scipy.sparse import csc_matrix, csr_matrix

        rows = np.concatenate(self.e_row) if self.e_row else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self.e_col) if self.e_col else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.e_val) if self.e_val else np.zeros(0)
        new_col = cols >= self.first_col
        if self.num_rows:
            old = ~new_col
            m = csr_matrix((vals[old], (rows[old] - self.first_row, cols[old])),
                           shape=(self.num_rows, max(self.first_col, 1)))  # fmt: skip
            h.addRows(self.num_rows, np.concatenate(self.row_lo), np.concatenate(self.row_hi), m.nnz,
                      m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data)  # fmt: skip
        if self.num_cols:
            m = csc_matrix((vals[new_col], (rows[new_col], cols[new_col] - self.first_col)),
                           shape=(self.first_row + self.num_rows, self.num_cols))  # fmt: skip
            h.addCols(self.num_cols, np.concatenate(self.cost), np.concatenate(self.col_lo),
                      np.concatenate(self.col_hi), m.nnz, m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32),
                      m.data)  # fmt: skip


class LpPlanner:
    """An LP over a Problem, kept warm for re-planning."""

    def __init__(self, problem: Problem, *, limits: np.ndarray | None = None, tree: "_Tree | None" = None):
        """`limits` (node × interval, in the order of problem.nodes) replaces the tree's limits: the fast path
        plans some vehicles in the power the others leave, with the site's tree it already built (`tree`) and
        requests it already checked."""
        self.problem = problem
        self.cannot = {} if tree is not None else {r.id: reason for r, reason in problem.validate()}
        self.h, self.highspy = _highs()
        self.hours = problem.hours
        self.tree = copy.copy(tree) if tree is not None else _Tree(problem)
        self._tight_bounds = limits is not None  # each column bounded by every limit above it (fixed limits only)
        self.tree.limits = np.array(self.tree.limits if limits is None else limits, dtype=float)
        self.unit_penalty = 10.0 * (_max_price(problem) + 1.0)
        self.interval_cost = _interval_costs(problem)
        self.num_cols = self.num_rows = 0
        self.p_cols: dict[str, tuple[int, list[int]]] = {}  # request -> (first interval, columns)
        self.u_col: dict[str, int] = {}
        self.node_rows: dict[tuple[str, int], int] = {}
        self.members: dict[str, list[str]] = defaultdict(list)  # node -> requests under it
        self.peak_rows: dict[int, int] = {}
        self.peak_col: int | None = None
        self.class_cols: dict[str, int] = {}
        self.frozen_until = 0
        self.fair = False
        shape = (len(self.tree.ids), problem.intervals)
        self._rate = np.zeros(shape)  # the rates of the requests under each node, per interval
        self._row_at = np.full(shape, -1, dtype=np.int64)  # each node's limit row per interval, or -1
        self._peak_row_at = np.full(problem.intervals, -1, dtype=np.int64)
        # the planned requests in column order, and their (request, interval) columns
        self._planned: list[Request] = []
        self._position: dict[str, int] = {}
        self._t0 = np.zeros(0, dtype=np.int64)
        self._length = np.zeros(0, dtype=np.int64)
        self._col0 = np.zeros(0, dtype=np.int64)
        self._chain = np.zeros((0, 1), dtype=np.int64)
        self._pair_request = np.zeros(0, dtype=np.int64)
        self._pair_t = np.zeros(0, dtype=np.int64)
        self._u = np.zeros(0, dtype=np.int64)
        self._steps = np.zeros(0, dtype=np.int64)  # each planned request's deadline tie-break (_deadline_steps)
        self._removed: set[str] = set()
        self._fair_row: dict[str, int] = {}  # request -> its fair-share row
        self._known = {r.id for r in problem.requests}
        self._add([r for r in problem.requests if r.id not in self.cannot], initial=True)

    # --- building ---------------------------------------------------------------------------------------------

    def _add(self, requests: list[Request], initial: bool = False) -> None:
        p = self.problem
        b = _Builder(self.num_cols, self.num_rows)
        if initial and p.demand_charge_per_kw > 0:
            self.peak_col = int(b.cols(p.demand_charge_per_kw, p.peak_floor_kw, INF, 1)[0])
            base = np.zeros(p.intervals) if p.baseline_kw is None else np.asarray(p.baseline_kw, dtype=float)
            self._peak_row_at = b.rows(-INF, -base, p.intervals)
            b.entries(self._peak_row_at, self.peak_col, -1.0)
            self.peak_rows = {t: int(row) for t, row in enumerate(self._peak_row_at)}
        if requests:
            self._add_requests(b, requests)
        b.add_to(self.h)
        self.num_cols += b.num_cols
        self.num_rows += b.num_rows

    def _add_requests(self, b: _Builder, requests: list[Request]) -> None:
        p, tree, hours = self.problem, self.tree, self.hours
        n, T = len(requests), p.intervals
        t0, t1, lengths, which, ts = _windows(p, requests)
        rate = np.array([r.max_kw for r in requests])
        energy = np.array([r.energy_kwh for r in requests])
        chain = tree.chains(np.array([tree.index[r.node] for r in requests]))
        upper = np.where(ts < self.frozen_until, 0.0, rate[which])  # an arrival reported late: the past is gone
        # which limit rows become necessary
        if self._tight_bounds:
            for level in chain.T:
                node = level[which]
                ok = node >= 0
                upper[ok] = np.minimum(upper[ok], tree.limits[node[ok], ts[ok]])
            for level in chain.T:
                node = level[which]
                ok = node >= 0
                np.add.at(self._rate, (node[ok], ts[ok]), upper[ok])
        elif n <= 16:  # an arrival or a few: only their branches change
            for k, nodes in enumerate(chain.tolist()):
                for node in nodes:
                    if node >= 0:
                        self._rate[node, t0[k] : t1[k]] += rate[k]
        else:
            change = np.zeros((len(tree.ids), T + 1))
            for level in chain.T:
                ok = level >= 0
                np.add.at(change, (level[ok], t0[ok]), rate[ok])
                np.add.at(change, (level[ok], t1[ok]), -rate[ok])
            self._rate += np.cumsum(change, axis=1)[:, :T]
        for r, nodes in zip(requests, chain.tolist(), strict=True):
            for node in nodes:
                if node >= 0:
                    self.members[tree.ids[node]].append(r.id)
        touched = np.unique(chain[chain >= 0])
        binding = self._rate[touched] > tree.limits[touched] + SLACK_KW
        if not self._tight_bounds:  # the site rows always exist (there a limit rarely changes)
            binding |= (touched == tree.root)[:, None] & (self._rate[touched] > 0)
        new_nodes, new_ts = np.nonzero(binding & (self._row_at[touched] < 0))
        new_nodes = touched[new_nodes]
        if len(new_nodes):
            new_rows = b.rows(-INF, tree.limits[new_nodes, new_ts])
            self._row_at[new_nodes, new_ts] = new_rows
            ids = tree.ids
            self.node_rows.update(
                zip(zip([ids[k] for k in new_nodes.tolist()], new_ts.tolist(), strict=True), new_rows.tolist(),
                    strict=True)
            )  # fmt: skip
            if self._planned:  # the requests already planned join the rows just created
                fresh = np.full((len(tree.ids), T), -1, dtype=np.int64)
                fresh[new_nodes, new_ts] = new_rows
                self._join(b, fresh, np.unique(new_nodes))
        # each request: its energy row, its power columns, its unmet energy
        energy_rows = b.rows(energy, energy)
        steps = _deadline_steps(p, [r.departure for r in requests])
        cols = b.cols(self.interval_cost[ts] + _tie_break(p, steps[which], ts), 0.0, upper)
        b.entries(energy_rows[which], cols, hours)
        for level in chain.T:
            node = level[which]
            ok = node >= 0
            row = self._row_at[node[ok], ts[ok]]
            has = row >= 0
            b.entries(row[has], cols[ok][has], 1.0)
        if self.peak_col is not None:
            b.entries(self._peak_row_at[ts], cols, 1.0)
        factor = np.array([PRIORITY_FACTOR[r.priority] for r in requests])
        unmet = b.cols(self.unit_penalty * factor, 0.0, np.maximum(energy, 0.0))
        b.entries(energy_rows, unmet, 1.0)
        # bookkeeping
        col0 = cols[0] + np.cumsum(lengths) - lengths if len(cols) else np.full(n, b.first_col)
        first = len(self._planned)
        for k, r in enumerate(requests):
            self.p_cols[r.id] = (int(t0[k]), list(range(int(col0[k]), int(col0[k] + lengths[k]))))
            self.u_col[r.id] = int(unmet[k])
            self._position[r.id] = first + k
        self._planned.extend(requests)
        self._t0 = np.concatenate([self._t0, t0])
        self._length = np.concatenate([self._length, lengths])
        self._col0 = np.concatenate([self._col0, col0])
        self._u = np.concatenate([self._u, unmet])
        width = max(self._chain.shape[1], chain.shape[1])
        self._chain = np.concatenate([_widen(self._chain, width), _widen(chain, width)])
        self._pair_request = np.concatenate([self._pair_request, which + first])
        self._pair_t = np.concatenate([self._pair_t, ts])
        self._steps = np.concatenate([self._steps, steps])
        if self.fair:
            self._fairness(b, requests, unmet, energy)
        for k, r in enumerate(requests):
            if r.tapers and lengths[k]:
                self._taper(b, r, np.arange(col0[k], col0[k] + lengths[k]))

    def _join(self, b: _Builder, fresh: np.ndarray, nodes: np.ndarray) -> None:
        """Entries of the planned requests' columns in newly created limit rows (`fresh[node, t]`)."""
        under = np.isin(self._chain, nodes).any(axis=1)
        pairs = np.nonzero(under[self._pair_request])[0]
        if not len(pairs):
            return
        request, ts = self._pair_request[pairs], self._pair_t[pairs]
        cols = self._col0[request] + ts - self._t0[request]
        for level in self._chain.T:
            node = level[request]
            ok = node >= 0
            row = fresh[node[ok], ts[ok]]
            has = row >= 0
            b.entries(row[has], cols[ok][has], 1.0)

    def _fairness(self, b: _Builder, requests: list[Request], unmet: np.ndarray, energy: np.ndarray) -> None:
        """u[i] ≤ E[i]·z[c]: z, the largest unmet share in the class, is worth a hundredth of a kWh of the class's
        unmet energy, so it only orders plans of equal totals, towards equal shares of need."""
        for priority in CLASSES:
            chosen = [k for k, r in enumerate(requests)
                      if r.priority == priority and energy[k] > 1e-9 and r.id not in self._removed]  # fmt: skip
            if not chosen:
                continue
            z = self.class_cols.get(priority)
            if z is None:
                weight = self.unit_penalty * PRIORITY_FACTOR[priority] * FAIR_WEIGHT
                z = self.class_cols[priority] = int(b.cols(weight, 0.0, 1.0, 1)[0])
            rows = b.rows(-INF, 0.0, len(chosen))
            self._fair_row.update({requests[k].id: int(row) for k, row in zip(chosen, rows, strict=True)})
            b.entries(rows, unmet[chosen], 1.0)
            b.entries(rows, z, -energy[chosen])

    def _add_fairness(self) -> None:
        """Shares only matter when energy is short: the rows join the model the first time a plan leaves some
        need unmet, and stay."""
        self.fair = True
        b = _Builder(self.num_cols, self.num_rows)
        energy = np.array([r.energy_kwh for r in self._planned])
        self._fairness(b, self._planned, self._u, energy)
        b.add_to(self.h)
        self.num_cols += b.num_cols
        self.num_rows += b.num_rows

    def _taper(self, b: _Builder, r: Request, cols: np.ndarray) -> None:
        """p_t + k·e_t ≤ bound, e_t the energy received before t: the rate falls linearly from max_kw at the knee
        SoC to taper_end_kw at 100 %. Rows start where the vehicle could first have reached its knee (before,
        its rate bounds it anyway). e is a column every TAPER_BLOCK intervals (e_c = e_{c-B} + Δ·Σ p over the
        block), and each row adds the powers since the last one: fewer rows than a column per interval, far
        fewer entries than prefix sums, and the fastest re-plans of the forms measured."""
        slope, bound = _taper_line(r)
        hours, length = self.hours, len(cols)
        most = np.minimum(max(r.energy_kwh, 0.0), hours * r.max_kw * np.arange(length))  # e_t at most
        binds = bound - slope * most < r.max_kw - 1e-9
        if not binds.any():
            return
        j0 = int(np.argmax(binds))
        marks = np.arange(j0, length, TAPER_BLOCK)  # the intervals with an e column
        upper = np.full(len(marks), INF)
        if j0 == 0:
            upper[0] = 0.0  # nothing received before the first interval
        e = b.cols(0.0, 0.0, upper, len(marks))
        if j0 > 0:  # e at j0 = Δ·Σ p before it
            link = b.rows(0.0, 0.0, 1)
            b.entries(link, e[0], 1.0)
            b.entries(np.repeat(link, j0), cols[:j0], -hours)
        if len(marks) > 1:  # e_c - e_{c-B} - Δ·Σ p over the block = 0
            step = b.rows(0.0, 0.0, len(marks) - 1)
            b.entries(step, e[1:], 1.0)
            b.entries(step, e[:-1], -1.0)
            b.entries(np.repeat(step, TAPER_BLOCK), cols[(marks[:-1, None] + np.arange(TAPER_BLOCK)).ravel()], -hours)
        rows_at = np.arange(j0, length)
        cap = b.rows(-INF, bound, len(rows_at))
        block = (rows_at - j0) // TAPER_BLOCK
        b.entries(cap, cols[rows_at], 1.0)
        b.entries(cap, e[block], slope)
        since = rows_at - marks[block]  # the powers from the last e column up to the row's interval
        total = int(since.sum())
        if total:
            first = np.repeat(marks[block], since)
            offset = np.arange(total) - np.repeat(np.cumsum(since) - since, since)
            b.entries(np.repeat(cap, since), cols[first + offset], slope * hours)

    # --- changing ----------------------------------------------------------------------------------------------

    def _check_arrival(self, request: Request) -> str | None:
        """Validate what the arrival brings (its own fields and its branch of the tree, not the whole site
        again); raise ProblemError naming the field as Problem.validate does, or return why it cannot be served."""
        p = self.problem
        index = len(p.requests)
        if request.id in self._known:
            p.requests.append(request)
            try:
                p.validate()  # raises: it appears twice
            finally:
                p.requests.pop()
        root = self.tree.ids[self.tree.root]
        nodes = {root: p.nodes[root]}
        if request.node in p.nodes:
            nodes.update({n: p.nodes[n] for n in p.ancestors(request.node)})
        alone = Problem(start=p.start, step=p.step, intervals=p.intervals, price=p.price, nodes=nodes,
                        requests=[request])  # fmt: skip
        try:
            cannot = alone.validate()
        except ProblemError as exc:
            errors = {k.replace("requests[0]", f"requests[{index}]"): v for k, v in exc.errors.items()}
            raise ProblemError(errors) from None
        return cannot[0][1] if cannot else None

    def add(self, request: Request) -> None:
        """An arrival: its columns and rows join the model (solve() re-plans from the current basis)."""
        if request.id in self.p_cols:
            raise ValueError(f"{request.id} is already planned.")
        reason = self._check_arrival(request)
        self.problem.requests.append(request)
        self._known.add(request.id)
        if reason is not None:
            self.cannot[request.id] = reason
            return
        self._add([request])

    def remove(self, request_id: str) -> None:
        """A vehicle left or its connector faulted: from now on it gets nothing and needs nothing."""
        if request_id not in self.p_cols:
            return
        t0, cols = self.p_cols[request_id]
        future = np.array([c for i, c in enumerate(cols) if t0 + i >= self.frozen_until], dtype=np.int32)
        if len(future):
            self.h.changeColsBounds(len(future), future, np.zeros(len(future)), np.zeros(len(future)))
        self.h.changeColBounds(self.u_col[request_id], 0.0, INF)
        self.h.changeColCost(self.u_col[request_id], 0.0)
        if request_id in self._fair_row:  # all its need is unmet now: it must not hold its class's share at 1
            self.h.changeRowBounds(self._fair_row[request_id], -INF, INF)
        self._removed.add(request_id)

    def freeze(self, before: int, executed: dict[str, list[float]]) -> None:
        """Intervals before `before` happened: their power is what was executed, no longer a choice."""
        if before <= self.frozen_until:
            return
        cols, values = [], []
        starts = np.maximum(self._t0, self.frozen_until)
        ends = np.minimum(self._t0 + self._length, before)
        for k in np.nonzero(ends > starts)[0].tolist():
            a, z, t0 = int(starts[k]), int(ends[k]), int(self._t0[k])
            first = int(self._col0[k]) + a - t0
            cols.append(np.arange(first, first + z - a))
            series = executed.get(self._planned[k].id)
            chunk = np.zeros(z - a)
            got = [] if series is None else series[a:z]
            chunk[: len(got)] = got
            values.append(chunk)
        if cols:
            array = np.concatenate(values)
            self.h.changeColsBounds(len(array), np.concatenate(cols).astype(np.int32), array, array)
        self.frozen_until = before

    def set_limit(self, node_id: str, t: int, max_kw: float) -> None:
        """A limit changed (a grid operator's curtailment, a feeder derated); at the root, the building's load
        still comes off it."""
        k = self.tree.index[node_id]
        limit = max_kw
        if k == self.tree.root and self.problem.baseline_kw is not None:
            limit = max(0.0, max_kw - self.problem.baseline_kw[t])
        self.tree.limits[k, t] = limit
        row = self.node_rows.get((node_id, t))
        if row is None:  # the limit never bound before: add its row with the requests under it
            b = _Builder(self.num_cols, self.num_rows)
            row = int(b.rows(-INF, limit, 1)[0])
            self.node_rows[(node_id, t)] = row
            self._row_at[k, t] = row
            fresh = np.full(self._row_at.shape, -1, dtype=np.int64)
            fresh[k, t] = row
            self._join(b, fresh, np.array([k]))
            b.add_to(self.h)
            self.num_rows += b.num_rows
        else:
            self.h.changeRowBounds(row, -INF, limit)

    def set_price(self, t: int, price: float) -> None:
        self.problem.price[t] = price
        self.interval_cost = _interval_costs(self.problem)
        at = self._pair_t == t
        if at.any():
            request = self._pair_request[at]
            cols = (self._col0[request] + t - self._t0[request]).astype(np.int32)
            tie = _tie_break(self.problem, self._steps[request], np.full(len(cols), t))
            self.h.changeColsCost(len(cols), cols, self.interval_cost[t] + tie)
        penalty = 10.0 * (_max_price(self.problem) + 1.0)
        if penalty > self.unit_penalty:  # no price may outweigh a vehicle's need, not even a new one
            self.unit_penalty = penalty
            kept = [k for k, r in enumerate(self._planned) if r.id not in self._removed]
            if kept:
                factor = np.array([PRIORITY_FACTOR[self._planned[k].priority] for k in kept])
                self.h.changeColsCost(len(kept), self._u[kept].astype(np.int32), penalty * factor)
            for priority, z in self.class_cols.items():
                self.h.changeColCost(z, penalty * PRIORITY_FACTOR[priority] * FAIR_WEIGHT)

    # --- solving -----------------------------------------------------------------------------------------------

    def solve(self, algorithm: str = "optimal") -> Schedule:
        started = time.perf_counter()
        self.h.run()
        if not self.fair and len(self._u):
            values = np.asarray(self.h.getSolution().col_value)
            if len(values) and values[self._u].max() > 1e-6:
                self._add_fairness()
                self.h.run()
        return self.schedule(algorithm, time.perf_counter() - started)

    def schedule(self, algorithm: str, elapsed: float) -> Schedule:
        status = self.h.getModelStatus()
        values = np.asarray(self.h.getSolution().col_value)
        n = self.problem.intervals
        rows, unmet_planned = [], []
        if self._planned and len(values):
            matrix = np.zeros((len(self._planned), n))
            cols = self._col0[self._pair_request] + self._pair_t - self._t0[self._pair_request]
            matrix[self._pair_request, self._pair_t] = np.maximum(0.0, values[cols])
            rows = matrix.tolist()
            unmet_planned = np.maximum(0.0, values[self._u]).tolist()
        power, unmet = {}, {}
        for r in self.problem.requests:
            k = self._position.get(r.id)
            if k is not None and rows:
                power[r.id] = rows[k]
                unmet[r.id] = unmet_planned[k]
            else:
                power[r.id] = [0.0] * n
                unmet[r.id] = max(r.energy_kwh, 0.0)
        ok = status == self.highspy.HighsModelStatus.kOptimal or not self.p_cols
        return Schedule(
            algorithm=algorithm,
            power_kw=power,
            unmet_kwh=unmet,
            solve_seconds=elapsed,
            status="optimal" if ok else str(status).rsplit(".", 1)[-1],
            objective=(self.h.getInfo().objective_function_value if self.num_cols else 0.0) if ok else None,
            cannot_serve=dict(self.cannot),
        )


# --- the fast path -----------------------------------------------------------------------------------------------

FLOW_UNITS_PER_KWH = 1000  # the network counts energy in Wh (integers); rounding moves at most 0.5 Wh a vehicle
TAPER_TOLERANCE_KW = 1e-6
PEAK_MARGIN_KW = 0.01
ROUNDING_KWH = 0.5 / FLOW_UNITS_PER_KWH + 1e-9
REPLAN_PART = 50  # vehicles re-planned under their taper in one LP
REPAIR_AGAIN_ABOVE = 0.02  # with a demand charge, a repair that raised the peak by more runs once more
EXACT_UP_TO = 50  # vehicles: `plan` solves the full LP


class _Network:
    """The LP without its taper and fair-share rows, as a network: each request's energy flows through its
    (request, t) arcs (up to its rate at t) to the first limit above it that can bind at t, up the tree to the
    sink (the grid). Vertices: the requests, then the (limit, t) pairs that can bind, then the sink. Capacities
    in Wh (integers)."""

    def __init__(self, problem: Problem, tree: _Tree, requests: list[Request], rates: np.ndarray):
        T, hours, units = problem.intervals, problem.hours, FLOW_UNITS_PER_KWH
        n = len(requests)
        t0, t1, _, which, ts = _windows(problem, requests)
        rate = np.array([r.max_kw for r in requests])
        chain = tree.chains(np.array([tree.index[r.node] for r in requests]))
        change = np.zeros((len(tree.ids), T + 1))
        for level in chain.T:
            ok = level >= 0
            np.add.at(change, (level[ok], t0[ok]), rate[ok])
            np.add.at(change, (level[ok], t1[ok]), -rate[ok])
        binding = np.cumsum(change, axis=1)[:, :T] > tree.limits + SLACK_KW
        limit_nodes, limit_ts = np.nonzero(binding)
        vertex = np.full(binding.shape, -1, dtype=np.int64)  # (node, t) -> the network's vertex
        vertex[limit_nodes, limit_ts] = n + np.arange(len(limit_nodes))
        sink = n + len(limit_nodes)
        head = np.full(len(ts), sink, dtype=np.int64)
        for level in chain.T[::-1]:  # the lowest binding limit wins: walk down to the connector
            node = level[which]
            at = np.where(node >= 0, vertex[np.maximum(node, 0), ts], -1)
            head = np.where(at >= 0, at, head)
        limit_head = np.full(len(limit_nodes), sink, dtype=np.int64)
        up, open_ = tree.parent[limit_nodes], np.ones(len(limit_nodes), dtype=bool)
        while (up >= 0).any():
            at = np.where(up >= 0, vertex[np.maximum(up, 0), limit_ts], -1)
            hit = open_ & (at >= 0)
            limit_head[hit] = at[hit]
            open_ &= ~hit
            up = np.where(up >= 0, tree.parent[np.maximum(up, 0)], -1)
        self.n, self.sink, self.which, self.ts = n, sink, which, ts
        self.limit_nodes, self.limit_ts = limit_nodes, limit_ts
        self.tails = np.concatenate([which, vertex[limit_nodes, limit_ts]])
        self.heads = np.concatenate([head, limit_head])
        self.capacities = np.concatenate([
            np.floor(rates[which, ts] * hours * units + 1e-9).astype(np.int64),
            np.floor(tree.limits[limit_nodes, limit_ts] * hours * units + 1e-9).astype(np.int64),
        ])  # fmt: skip
        # the root's (limit, t) arcs: where a cap on the peak bites
        self.root_arcs = len(ts) + np.nonzero(limit_nodes == tree.root)[0]
        self.vertices = sink + 1  # the source comes after them

    def split(self, cumulative_wh: np.ndarray, caps_kw: np.ndarray, starts: np.ndarray,
              hours: float) -> "_Network":  # fmt: skip
        """A copy in which each tapering request's window is in segments (`_taper_split`): its first segment at its
        rate and each later one at the rate its taper allows at the energy the next one starts from, and the
        energy before each segment's end held to that energy, by a chain of vertices of its own: the request's
        vertex feeds the last segment's, which feeds the one before, each up to the energy before its end.
        Whatever the flow then gives it, no taper is broken. Rows of -1 are requests not split."""
        net = copy.copy(self)
        net.tails, net.capacities = self.tails.copy(), self.capacities.copy()
        net._cut(cumulative_wh, caps_kw, starts, hours)
        return net

    def _cut(self, cumulative_wh: np.ndarray, caps_kw: np.ndarray, starts: np.ndarray, hours: float) -> None:
        who = np.nonzero(cumulative_wh[:, 0] >= 0)[0]
        if not len(who):
            return
        bands = starts.shape[1]  # segments per request
        first = self.vertices + bands * np.arange(len(who))  # each request's vertices, the last segment's first
        vertex0 = np.full(self.n, -1, dtype=np.int64)
        vertex0[who] = first
        arcs = np.nonzero(vertex0[self.which] >= 0)[0]  # the split requests' (request, t) arcs
        request, t = self.which[arcs], self.ts[arcs]
        segment = (t[:, None] >= starts[request]).sum(axis=1) - 1  # 0 the first (to the knee), bands-1 the last
        segment = np.maximum(segment, 0)
        self.tails[arcs] = vertex0[request] + (bands - 1 - segment)
        cap = np.floor(caps_kw[request, segment] * hours * FLOW_UNITS_PER_KWH + 1e-9).astype(np.int64)
        self.capacities[arcs] = np.minimum(self.capacities[arcs], cap)
        # the request's vertex → the last segment's → … → the first's, each up to the energy before its end
        links_from = np.concatenate([who[:, None], first[:, None] + np.arange(bands - 1)], axis=1)
        links_to = first[:, None] + np.arange(bands)
        links_cap = cumulative_wh[who][:, ::-1]  # the last segment's: all of it
        self.tails = np.concatenate([self.tails, links_from.ravel()])
        self.heads = np.concatenate([self.heads, links_to.ravel()])
        self.capacities = np.concatenate([self.capacities, links_cap.ravel()])
        self.vertices += bands * len(who)

    def max_flow(self, energy: np.ndarray):
        """The network as a maximum flow from a source feeding each request its energy (whole Wh): the OR-Tools
        network, and the source and sink to solve it between."""
        from ortools.graph.python import max_flow

        source = self.vertices
        network = max_flow.SimpleMaxFlow()
        network.add_arcs_with_capacity(
            np.concatenate([self.tails, np.full(self.n, source)]),
            np.concatenate([self.heads, np.arange(self.n)]),
            np.concatenate([self.capacities, np.rint(energy * FLOW_UNITS_PER_KWH).astype(np.int64)]),
        )
        return network, source, self.sink

    def power(self, flows: np.ndarray, problem: Problem) -> np.ndarray:
        power = np.zeros((self.n, problem.intervals))
        power[self.which, self.ts] = flows[: len(self.ts)] / (FLOW_UNITS_PER_KWH * problem.hours)
        return power


def _largest_share(need_wh: np.ndarray, most_wh: np.ndarray, room_wh: float) -> float:
    """The largest s with Σ min(s·need, most) ≤ room (each term grows with s until its request's most)."""
    if not len(need_wh) or most_wh.sum() <= room_wh:
        return 1.0 if room_wh >= 0 else 0.0
    if room_wh <= 0:
        return 0.0
    ends = most_wh / need_wh  # where each term stops growing
    order = np.argsort(ends)
    ends, need_wh, most_wh = ends[order], need_wh[order], most_wh[order]
    capped = np.concatenate([[0.0], np.cumsum(most_wh)])  # Σ most of those capped before each end
    growing = np.concatenate([np.cumsum(need_wh[::-1])[::-1], [0.0]])  # Σ need of those still growing
    at_ends = capped[1:] + ends * growing[1:]  # the sum at each end
    k = int(np.searchsorted(at_ends, room_wh, side="right"))  # the first end past the room
    return float(min((room_wh - capped[k]) / growing[k], 1.0)) if growing[k] > 0 else 1.0


def _fair_shares(net: "_Network", supply: np.ndarray, need: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """When power is short, the least energy (Wh) each request must get so that, class by class from critical
    down, every request of a class gets the same share of its need (or all it can reach, if less): the largest
    share the classes above leave room for.

    The requests' vectors a network can carry form a polymatroid, so the LP's priorities (each class's total as
    large as the classes above allow) leave each class the bases of a minor of it, whatever the others get: a
    class's share s is feasible when the maximum flow with the classes above at their supply and this class at
    min(s·need, supply) carries all of it. That flow F(s), less what the class asks, is concave in s, and each
    minimum cut is a line above it whose root never passes the largest feasible s: Newton's method from s = 1
    down, a few maximum flows per short class, one for a class that fits."""
    n = len(supply)
    network, source, sink = net.max_flow(supply / FLOW_UNITS_PER_KWH)
    arcs = np.arange(len(net.tails), len(net.tails) + n)
    need_wh = need * FLOW_UNITS_PER_KWH
    floors = np.zeros(n, dtype=np.int64)
    carried_above = 0  # what the network carries of the classes above, at their supply
    for cls in range(len(CLASSES)):
        members = (rank == cls) & (supply > 0) & (need_wh > 0)
        if not members.any():
            continue
        above = rank < cls

        def carried(share: float, members=members, above=above) -> tuple[int, np.ndarray]:
            caps = np.where(above, supply, 0)
            shared = np.floor(share * need_wh[members] + 1e-9).astype(np.int64)
            caps[members] = supply[members] if share >= 1.0 else np.minimum(shared, supply[members])
            network.set_arcs_capacity(arcs, caps)
            if network.solve(source, sink) != network.OPTIMAL:
                raise RuntimeError("maximum flow failed")
            return network.optimal_flow(), caps

        share = 1.0
        flow, caps = carried(share)
        everything = flow  # the classes above and this one at their supply
        for _ in range(100):
            if flow >= carried_above + caps[members].sum() or share <= 0.0:
                break
            side = np.zeros(net.vertices + 1, dtype=bool)
            side[network.get_source_side_min_cut()] = True
            inside = members & side[:n]  # this class's requests the cut leaves with the source: they bind
            room = flow - carried_above - caps[members & ~side[:n]].sum()
            lower = _largest_share(need_wh[inside], supply[inside].astype(float), float(room))
            share = max(0.0, min(lower, share - 1e-9))
            flow, caps = carried(share)
        if flow < carried_above + caps[members].sum():  # never: F(0) carries the classes above
            share, caps = 0.0, np.where(members, 0, caps)
        floors[members] = caps[members]
        carried_above = everything
    return floors


def _taper_split(problem: Problem, requests: list[Request], energy: np.ndarray, plan: np.ndarray):
    """For `_Network.split`: each tapering request's window cut into TAPER_BANDS + 1 segments, the first at its
    rate up to its knee, each later one for an equal part of the energy above the knee at the rate the taper
    allows once that part is in. Each segment starts where `plan` (a plan without the taper in which the
    request's class gets as much as it can) has given the request the energy before it, and lasts at least as
    long as its part needs at its rate; the parts the plan does not reach run back from the departure. Returns
    the energy (Wh) before each segment's end, the segments' rates and their first intervals (rows of -1 for
    requests not split)."""
    n, hours, bands = len(requests), problem.hours, TAPER_BANDS + 1
    cumulative = np.full((n, bands), -1, dtype=np.int64)
    caps, starts = np.zeros((n, bands)), np.zeros((n, bands), dtype=np.int64)
    for k, r in enumerate(requests):
        if not r.tapers:
            continue
        to_knee = max(0.0, (r.taper_from_soc - r.soc_percent) / 100.0 * r.capacity_kwh)
        rest = energy[k] - to_knee
        if rest <= ROUNDING_KWH:
            continue
        slope, bound = _taper_line(r)
        ends = to_knee + rest * np.arange(1, TAPER_BANDS + 1) / TAPER_BANDS  # the energy at each part's end
        rates = np.minimum(r.max_kw, bound - slope * ends)
        if rates[-1] <= 0:
            continue
        t0, t1 = max(r.arrival, 0), min(r.departure, problem.intervals)
        before = np.concatenate([[0.0], np.cumsum(plan[k, t0:t1])]) * hours  # the plan's energy before each t
        begin = np.zeros(TAPER_BANDS, dtype=np.int64)
        at = t1
        for j in range(TAPER_BANDS - 1, -1, -1):  # where the plan does not reach a part: back from departure
            at = max(at - math.ceil(rest / TAPER_BANDS / (rates[j] * hours) - 1e-9), t0)
            begin[j] = at
        for j, start in enumerate(np.concatenate([[to_knee], ends[:-1]])):
            reached = np.nonzero(before[1:] >= start - ROUNDING_KWH)[0]
            if len(reached):  # the interval after the one in which the plan passed it
                begin[j] = min(begin[j], t0 + int(reached[0]) + 1)
        for j in range(1, TAPER_BANDS):  # and each part at least as long as it needs at its rate
            begin[j] = max(begin[j], begin[j - 1] + math.ceil(rest / TAPER_BANDS / (rates[j - 1] * hours) - 1e-9))
        begin = np.minimum(begin, t1)
        cumulative[k] = np.floor(np.concatenate([[to_knee], ends]) * FLOW_UNITS_PER_KWH).astype(np.int64)
        cumulative[k, -1] = int(np.rint(energy[k] * FLOW_UNITS_PER_KWH))  # all of it, as the flow asks
        caps[k] = np.concatenate([[r.max_kw], rates])
        starts[k] = np.concatenate([[t0], begin])
    return cumulative, caps, starts


def _flow(problem: Problem, tree: _Tree, requests: list[Request], cost: np.ndarray, penalty: float,
          rates: np.ndarray, energy: np.ndarray, need: np.ndarray | None = None):  # fmt: skip
    """The min-cost flow over the network (`_Network`), each request's unmet arc straight to the sink at its
    class's penalty. With `need` (each request's whole need; `energy` is what it can reach), when the network
    cannot carry everyone's energy, power is short: each request must first get its class's fair share of its
    need (`_fair_shares`), the LP's fair-share rows, which a flow cannot hold, as a floor under its energy; and
    the tapering requests are split (`_Network.split`) so that the flow keeps their tapers, which then need no
    repair (a repair in the room the others leave at their fair shares would break the shares). Returns the
    power matrix, the flow's objective (without the fair-share term) and the floors in Wh (None when nobody is
    short of power, or without `need`)."""
    from ortools.graph.python import min_cost_flow

    net = _Network(problem, tree, requests, rates)
    rank = np.array([CLASSES[::-1].index(r.priority) for r in requests])  # expected 0, low 1, normal 2, critical 3
    supply = np.rint(energy * FLOW_UNITS_PER_KWH).astype(np.int64)
    floors = short = None
    if need is not None:
        found = _carried_wh(net, supply, len(CLASSES) - 1 - rank, problem)
        if found is not None:
            carried, plan = found
            net = net.split(*_taper_split(problem, requests, energy, plan), problem.hours)
            floors = _fair_shares(net, supply, need, len(CLASSES) - 1 - rank)
            short = _Short(floors / FLOW_UNITS_PER_KWH, np.array(carried) / FLOW_UNITS_PER_KWH)
    n, sink, which, ts = net.n, net.sink, net.which, net.ts
    # integer costs: 1 per step of the tie-break (`_grain` per interval index), so that the flow breaks ties as
    # the LP does. In a network every unit of energy one vehicle gains another loses (or the grid
    # carries), so the penalties only need the LP's order: critical ≫ normal ≫ low ≫ the dearest path; small
    # integers keep the totals in 64 bits and the cost scaling short
    grain = _grain(problem)
    steps = _deadline_steps(problem, [r.departure for r in requests])
    arc_cost = np.zeros(len(net.tails), dtype=np.int64)
    arc_cost[: len(ts)] = np.rint(cost[ts] / grain).astype(np.int64) + ts * steps[which]
    factor = np.array([PRIORITY_FACTOR[r.priority] for r in requests])
    low = 2 * int(np.abs(arc_cost).max(initial=0)) + 1
    unmet_cost = low * 3**rank
    tails, heads = np.concatenate([net.tails, np.arange(n)]), np.concatenate([net.heads, np.full(n, sink)])
    capacities = np.concatenate([net.capacities, supply if floors is None else supply - floors])
    costs = np.concatenate([arc_cost, unmet_cost])
    if floors is not None:  # a request's fair share left unmet costs more than any class's need
        tails, heads = np.concatenate([tails, np.arange(n)]), np.concatenate([heads, np.full(n, sink)])
        capacities = np.concatenate([capacities, floors])
        costs = np.concatenate([costs, np.full(n, low * 3 ** len(CLASSES), dtype=np.int64)])
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(net.vertices, dtype=np.int64)
    supplies[:n] = supply
    supplies[sink] = -supply.sum()
    network.set_nodes_supplies(np.arange(net.vertices), supplies)
    status = network.solve()
    if status != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow: {status}")
    power = net.power(network.flows(np.arange(len(net.tails))), problem)
    # against what the flow was asked, in whole Wh: the rounding of the need is no shortfall
    unmet = np.maximum(0.0, supply / FLOW_UNITS_PER_KWH - power.sum(axis=1) * problem.hours)
    spent = ((cost[ts] + _tie_break(problem, steps[which], ts)) * power[which, ts]).sum()
    return power, float(spent + (penalty * factor * unmet).sum()), short


@dataclass
class _Short:
    """Power is short (`_flow`): each request's fair-share floor (kWh) and the most the limits carry of the classes
    from critical down to each (kWh, critical first)."""

    floors: np.ndarray
    carried_kwh: np.ndarray


def _carried_wh(net: "_Network", supply: np.ndarray, rank: np.ndarray, problem: Problem):
    """None when the network carries every request's supply (Wh). Else power is short: how much it carries of the
    classes from critical down to each (Wh, one per class, critical first), the most any plan gives them, and a
    plan (kW) in which each request's class and those above get that most."""
    network, source, sink = net.max_flow(supply / FLOW_UNITS_PER_KWH)
    if network.solve(source, sink) != network.OPTIMAL:
        raise RuntimeError("maximum flow failed")
    everything = network.optimal_flow()
    if everything >= supply.sum():
        return None
    arcs = np.arange(len(net.tails), len(net.tails) + len(supply))
    inner = np.arange(len(net.ts))
    plan = net.power(network.flows(inner), problem)  # everyone's, right for the lowest class
    carried = []
    for cls in range(len(CLASSES) - 1):
        if not (rank > cls).any():  # the classes below are empty: everything
            break
        network.set_arcs_capacity(arcs, np.where(rank <= cls, supply, 0))
        if network.solve(source, sink) != network.OPTIMAL:
            raise RuntimeError("maximum flow failed")
        carried.append(network.optimal_flow())
        members = rank == cls
        plan[members] = net.power(network.flows(inner), problem)[members]
    return carried + [everything] * (len(CLASSES) - len(carried)), plan


def _base(problem: Problem) -> np.ndarray:
    """The load at the root that is not ours (the building's), per interval."""
    return np.zeros(problem.intervals) if problem.baseline_kw is None else np.asarray(problem.baseline_kw, float)


def _capped(tree: _Tree, problem: Problem, peak_kw: float) -> _Tree:
    """The tree with the site's power (the building's load included) held to `peak_kw`."""
    capped = copy.copy(tree)
    capped.limits = tree.limits.copy()
    capped.limits[tree.root] = np.clip(peak_kw - _base(problem), 0.0, tree.limits[tree.root])
    return capped


def _carried(problem: Problem, tree: _Tree, requests: list[Request], rates: np.ndarray, energy: np.ndarray) -> int:
    """How much of the energy (in Wh) the network carries at the site's own limits: the most any peak can."""
    network, source, sink = _Network(problem, tree, requests, rates).max_flow(energy)
    if network.solve(source, sink) != network.OPTIMAL:
        raise RuntimeError("maximum flow failed")
    return network.optimal_flow()


def _min_peak(problem: Problem, tree: _Tree, requests: list[Request], rates: np.ndarray,
              energy: np.ndarray) -> float:  # fmt: skip
    """The lowest peak site power (the building's load included) at which the network still carries all the
    energy it carries at the site's own limit: Newton's method on the parametric maximum flow. The flow F(P)
    through the network with the root capped at P is concave and piecewise linear in P, and each minimum cut
    is a line above it (its capacity, with a slope of Δ per root arc it cuts that P bounds); the line's root
    never overshoots, so the iterates rise to the lowest such P in a few maximum flows."""
    hours, units = problem.hours, FLOW_UNITS_PER_KWH
    base = _base(problem)
    root_limit = tree.limits[tree.root]
    # what the network carries at the site's own limit; no lower peak can carry it over the horizon. The network
    # is built for that peak, so the root has a vertex wherever a higher cap could bind
    target = _carried(problem, tree, requests, rates, energy)
    low = max(float(base.max(initial=0.0)), float((target / units / hours + base.sum()) / problem.intervals))
    net = _Network(problem, _capped(tree, problem, low), requests, rates)
    network, source, _sink = net.max_flow(energy)
    at = net.limit_ts[net.root_arcs - len(net.ts)]  # each root arc's interval

    def carried(peak_kw: float) -> int:
        room = np.minimum(root_limit[at], np.maximum(peak_kw - base[at], 0.0))
        network.set_arcs_capacity(net.root_arcs, np.floor(room * hours * units + 1e-9).astype(np.int64))
        if network.solve(source, net.sink) != network.OPTIMAL:
            raise RuntimeError("maximum flow failed")
        return network.optimal_flow()

    peak = low
    for _ in range(100):
        flow = carried(peak)
        if flow >= target:
            break
        cut = np.zeros(net.vertices + 1, dtype=bool)
        cut[network.get_source_side_min_cut()] = True
        sloped = cut[net.tails[net.root_arcs]] & (peak - base[at] < root_limit[at])
        if not sloped.any():
            break
        peak += (target - flow) / (int(sloped.sum()) * hours * units) + PEAK_MARGIN_KW / 100
    # the capacities are whole Wh: a hair more keeps every interval's rounding from shorting the energy
    return peak + PEAK_MARGIN_KW


def _steepest(cost: np.ndarray) -> float:
    """The most one more kW of peak can save: Δ·1 kWh moved into each interval from the dearest."""
    return float((cost.max() - cost).sum())


GOLDEN = (5**0.5 - 1) / 2
PEAK_SEARCH_TOLERANCE = 1e-5  # of the objective: how close to the best peak the search goes


def _best_peak(problem: Problem, tree: _Tree, requests: list[Request], cost: np.ndarray, penalty: float,
               rates: np.ndarray, energy: np.ndarray, need: np.ndarray | None = None):  # fmt: skip
    """With a demand charge: the peak P that minimises g(P) = f(P) + D·max(P, floor), f(P) the min-cost flow
    with the site held to P. f is convex (an LP's value as its right-hand side moves) and non-increasing, so g
    is convex. Below the lowest peak that carries all the energy (`_min_peak`) the unmet penalty makes g fall
    steeply; above it one more kW of peak lets at most Δ·1 kWh per interval move from a dearer interval, so f
    falls by at most Σ_t (dearest cost - cost_t). When D is at least that (a demand charge outweighing the
    price spread, the usual case) the lowest peak is the best one, proven with one flow; else a golden-section
    search brackets it. Returns the peak, the flow's power, g there, a lower bound of min g and, when power is
    short, the fair shares (`_flow`: then the flows are no relaxation, and the bound is not one either:
    plan_details makes its own)."""
    D, floor = problem.demand_charge_per_kw, problem.peak_floor_kw
    steepest = _steepest(cost)

    def g(peak_kw: float) -> tuple[float, np.ndarray, _Short | None]:
        power, value, short = _flow(problem, _capped(tree, problem, peak_kw), requests, cost, penalty, rates,
                                    energy, need)  # fmt: skip
        return value + D * max(peak_kw, floor), power, short

    low = max(_min_peak(problem, tree, requests, rates, energy), floor)
    value, power, short = g(low)
    # the least peak is found to within the margin added and Newton's steps (at most another margin)
    slack = 2 * D * PEAK_MARGIN_KW
    if steepest <= D:
        return low, power, value, value - slack, short
    free, unbounded, free_short = _flow(problem, tree, requests, cost, penalty, rates, energy, need)
    high = max(float((free.sum(axis=0) + _base(problem)).max(initial=0.0)), low)
    best = (value, low, power, short)
    a, c = low, high
    b, d = c - GOLDEN * (c - a), a + GOLDEN * (c - a)
    gb, gd = g(b), g(d)
    for _ in range(60):
        if (c - a) * (D + steepest) <= PEAK_SEARCH_TOLERANCE * abs(best[0]) or c - a < PEAK_MARGIN_KW:
            break
        if gb[0] <= gd[0]:
            c, d, gd = d, b, gb
            b = c - GOLDEN * (c - a)
            gb = g(b)
        else:
            a, b, gb = b, d, gd
            d = a + GOLDEN * (c - a)
            gd = g(d)
    for candidate, peak in ((gb, b), (gd, d), ((unbounded + D * max(high, floor), free, free_short), high)):
        if candidate[0] < best[0]:
            best = (candidate[0], peak, candidate[1], candidate[2])
    # g is convex: nowhere in the last bracket is it lower than the best found by more than the bracket's width
    # times the steepest slope g can have there
    return best[1], best[2], best[0], best[0] - (c - a) * (D + steepest) - slack, best[3]


def _taper_violations(requests: list[Request], power: np.ndarray, t0, t1, hours: float) -> np.ndarray:
    """The tapering requests whose power somewhere exceeds the CC-CV bound at the energy they had by then."""
    out = np.zeros(len(requests), dtype=bool)
    for k, r in enumerate(requests):
        if not r.tapers:
            continue
        slope, bound = _taper_line(r)
        series = power[k, t0[k] : t1[k]]
        before = np.concatenate([[0.0], np.cumsum(series)[:-1]]) * hours
        out[k] = bool((series > bound - slope * before + TAPER_TOLERANCE_KW).any())
    return out


def _step_cap(got: np.ndarray, rate, slope, bound, hours: float, last) -> np.ndarray:
    """The most a vehicle may take in an interval with `got` kWh received before it, to have the most energy at
    departure: its rate and its taper; and, for a taper steeper than one interval (slope·Δ > 1, a DC vehicle near
    full), never past the energy where the taper meets the rate before the last interval: from there more energy
    before means less in the last interval, and past the energy where the taper reaches 0 every later taper row
    would have it below 0."""
    steep = (slope * hours > 1.0) & ~np.asarray(last)
    with np.errstate(divide="ignore", invalid="ignore"):
        knee = np.maximum(bound - rate, 0.0) / np.where(slope > 0, slope, 1.0)
        stop = np.where(steep, (knee - got) / hours, INF)
    return np.maximum(np.minimum.reduce([np.broadcast_to(rate, got.shape), bound - slope * got, stop]), 0.0)


def _flat_out(requests: list[Request], t0, t1, intervals: int, hours: float) -> tuple[np.ndarray, np.ndarray]:
    """Each request charging as fast as it can from arrival, alone: the power per interval and the energy by
    departure, the most it can get (no plan gives it more energy by any interval)."""
    lines = np.array([_taper_line(r) if r.tapers else (0.0, INF) for r in requests]).reshape(-1, 2)
    rate = np.array([r.max_kw for r in requests])
    got = np.zeros(len(requests))
    power = np.zeros((len(requests), intervals))
    for t in range(intervals):
        step = np.where((t0 <= t) & (t < t1), _step_cap(got, rate, lines[:, 0], lines[:, 1], hours, t == t1 - 1), 0.0)
        power[:, t] = step
        got += hours * step
    return power, got


def _load(tree: _Tree, chain: np.ndarray, power: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """The power of the `counted` requests under each limit, per interval."""
    load = np.zeros(tree.limits.shape)
    for level in chain.T:
        ok = (level >= 0) & counted
        np.add.at(load, level[ok], power[ok])
    return load


def _best_start(problem: Problem, vehicles: list[Request], t0, t1, lines, rate, need, penalty: float) -> np.ndarray:
    """For vehicles that cannot reach their target: when to start charging flat out, weighing in the LP's terms
    the energy a later start loses (its class's penalty per kWh) against the price it saves. Candidates: arrival
    and the start of every price block in the window (a later start within a block only loses energy)."""
    T, hours = problem.intervals, problem.hours
    cost = _interval_costs(problem)
    level = _price_levels(problem)
    blocks = [0] + [t for t in range(1, T) if level[t] != level[t - 1]]
    weight = penalty * np.array([PRIORITY_FACTOR[r.priority] for r in vehicles])
    best, best_value = t0.copy(), np.full(len(vehicles), INF)
    for candidate in sorted(set(blocks)):
        begin = np.maximum(t0, candidate)
        got, spent = np.zeros(len(vehicles)), np.zeros(len(vehicles))
        for t in range(T):
            step = _step_cap(got, rate, lines[:, 0], lines[:, 1], hours, t1 - 1 == t)
            step = np.where((begin <= t) & (t < t1), np.minimum(step, (need - got) / hours), 0.0)
            got += hours * step
            spent += cost[t] * step
        value = spent + weight * (need - got)
        better = (begin < t1) & (value < best_value - 1e-9)
        best[better], best_value[better] = begin[better], value[better]
    return best


def _as_early_as_possible(problem: Problem, tree: _Tree, requests: list[Request], power: np.ndarray, chain, t0, t1,
                          chosen: np.ndarray, room: np.ndarray, penalty: float) -> None:  # fmt: skip
    """Re-plan the `chosen` requests (in place): interval by interval from its start (`_best_start`), each takes
    the most its rate, its taper and the limits' `room` allow (in proportion when they ask more than a limit has),
    critical first. For a vehicle that cannot reach its target even alone, that is what gets it the most energy
    from then on."""
    T, hours = problem.intervals, problem.hours
    index = np.nonzero(chosen)[0]
    lines = np.array([_taper_line(requests[k]) if requests[k].tapers else (0.0, INF) for k in index]).reshape(-1, 2)
    rate = np.array([requests[k].max_kw for k in index])
    left = np.array([max(requests[k].energy_kwh, 0.0) for k in index])
    got = np.zeros(len(index))
    q = np.zeros((len(index), T))
    nodes = chain[index]
    end = t1[index]
    start = _best_start(problem, [requests[k] for k in index], t0[index], end, lines, rate, left, penalty)
    rank = np.array([CLASSES.index(requests[k].priority) for k in index])
    for t in range(T):
        for cls in range(len(CLASSES)):
            r = np.nonzero((rank == cls) & (start <= t) & (t < end) & (left > 1e-9))[0]
            if not len(r):
                continue
            want = _step_cap(got[r], rate[r], lines[r, 0], lines[r, 1], hours, end[r] - 1 == t)
            want = np.minimum(want, left[r] / hours)
            share = np.ones(len(r))
            for level in nodes[r].T:
                ok = level >= 0
                asked = np.bincount(level[ok], weights=want[ok], minlength=len(tree.ids))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(asked > 0, np.minimum(1.0, room[:, t] / asked), 1.0)
                share[ok] = np.minimum(share[ok], ratio[level[ok]])
            give = want * share
            q[r, t] = give
            got[r] += hours * give
            left[r] -= hours * give
            for level in nodes[r].T:
                ok = level >= 0
                room[:, t] -= np.bincount(level[ok], weights=give[ok], minlength=len(tree.ids))
            np.maximum(room[:, t], 0.0, out=room[:, t])
    power[index] = q


def _replan_exactly(problem: Problem, tree: _Tree, requests: list[Request], power: np.ndarray, chosen: np.ndarray,
                    room: np.ndarray, others_kw: np.ndarray) -> None:  # fmt: skip
    """Re-plan the `chosen` requests (in place) with the full LP (taper, priorities, fair shares) in the room the
    others leave (`others_kw`: their power at the site), by column generation: each vehicle starts with the
    intervals no dearer than the dearest its flow used (widened price level by price level until it could reach
    its target there alone); HiGHS' reduced costs then bring back every other interval that would lower the cost,
    until none would: the LP's optimum."""
    index = np.nonzero(chosen)[0]
    carbon = {"carbon_g_per_kwh": problem.carbon_g_per_kwh, "carbon_price_per_kg": problem.carbon_price_per_kg}
    peak = {}
    if problem.demand_charge_per_kw > 0:  # the others' power joins the building's load under the peak
        peak = {"demand_charge_per_kw": problem.demand_charge_per_kw, "peak_floor_kw": problem.peak_floor_kw,
                "baseline_kw": (_base(problem) + others_kw).tolist()}  # fmt: skip
    part = Problem(start=problem.start, step=problem.step, intervals=problem.intervals, price=list(problem.price),
                   nodes=problem.nodes, requests=[requests[k] for k in index], **carbon, **peak)  # fmt: skip
    planner = LpPlanner(part, limits=room, tree=tree)
    T, hours = problem.intervals, problem.hours
    level = np.unique(_price_levels(problem), return_inverse=True)[1]
    t0, length, col0 = planner._t0, planner._length, planner._col0
    m = len(index)
    inside = (np.arange(T) >= t0[:, None]) & (np.arange(T) < (t0 + length)[:, None])
    used = np.where(power[index] > 1e-9, level[None, :], -1).max(axis=1)
    upper = np.asarray(planner.h.getLp().col_upper_)
    cap = np.zeros((m, T))  # each column's bound, per (vehicle, interval)
    pairs = planner._pair_request, planner._pair_t
    cap[pairs] = upper[col0[pairs[0]] + pairs[1] - t0[pairs[0]]]
    vehicles = [requests[k] for k in index]
    lines = np.array([_taper_line(r) if r.tapers else (0.0, INF) for r in vehicles]).reshape(m, 2)
    energy = np.array([max(r.energy_kwh, 0.0) for r in vehicles])
    widen = np.zeros(m, dtype=np.int64)
    for _ in range(level.max() + 1):
        allowed = inside & (level[None, :] <= (used + widen)[:, None])
        got = np.zeros(m)
        last = (t0 + length - 1)[:, None] == np.arange(T)[None, :]
        for t in range(T):  # flat out over the allowed intervals, alone
            step = _step_cap(got, cap[:, t], lines[:, 0], lines[:, 1], hours, last[:, t])
            got += hours * np.where(allowed[:, t], step, 0.0)
        short = got < energy - 1e-6
        if not short.any():
            break
        widen[short] += 1
    shut = inside & ~allowed & (cap > 0)
    rows, ts = np.nonzero(shut)
    cols = (col0[rows] + ts - t0[rows]).astype(np.int32)
    bounds = upper[cols]
    if len(cols):
        planner.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))

    def converge() -> None:
        nonlocal cols, bounds
        while True:
            planner.h.run()
            if planner.h.getModelStatus() != planner.highspy.HighsModelStatus.kOptimal or not len(cols):
                return
            reduced = np.asarray(planner.h.getSolution().col_dual)[cols]
            better = reduced < -1e-9
            if not better.any():
                return
            planner.h.changeColsBounds(int(better.sum()), cols[better], np.zeros(int(better.sum())), bounds[better])
            cols, bounds = cols[~better], bounds[~better]

    converge()
    values = np.asarray(planner.h.getSolution().col_value)
    if not planner.fair and len(planner._u) and len(values) and values[planner._u].max() > 1e-6:
        planner._add_fairness()  # some need is unmet: the fair-share rows, and the columns they now price in
        converge()
    schedule = planner.schedule("optimal", 0.0)
    if schedule.status != "optimal":
        raise RuntimeError(f"the taper re-plan is {schedule.status}")
    for k in index:
        power[k] = schedule.power_kw[requests[k].id]


def _repair(problem: Problem, tree: _Tree, requests: list[Request], power: np.ndarray, chain, t0, t1,
            redo: np.ndarray, short: np.ndarray, penalty: float, scarce: bool) -> None:  # fmt: skip
    """Re-plan (in place) the `redo` requests, whose taper the flow breaks, class by class from critical down, each
    in the room everyone else leaves, holding its flow's plan until its turn. When energy is `scarce` (the flow
    leaves some need unmet), the flow's power of the lower classes' re-planned requests is not theirs yet: a
    higher class may take it. When it is not, each keeps to its own and the slack, which costs less: taking a
    cheap hour from another vehicle pushes that one to a dearer hour. Within a class, those that cannot reach
    their target even alone (`short`) charge flat out from their best start (`_as_early_as_possible`); the
    others get the LP (`_replan_exactly`) in parts of REPLAN_PART (the simplex's time grows much faster than the
    LP, and the vehicles of a feeder are neighbours in the request order, so a part is mostly whole feeders).
    With a demand charge the short ones go through the LP too, which carries the peak, and the peak's base is
    everyone else's power, the lower classes' included. Each part sees the others as they are, so an early part
    may take room a later one then buys with a higher peak: when the repair raised the peak by more than
    REPAIR_AGAIN_ABOVE, every part is re-planned once more, now that the others are re-planned too, and may
    bring it back down."""
    peak_before = float((power.sum(axis=0) + _base(problem)).max(initial=0.0))
    _repair_pass(problem, tree, requests, power, chain, t0, t1, redo, short, penalty, scarce)
    if problem.demand_charge_per_kw > 0:
        peak_after = float((power.sum(axis=0) + _base(problem)).max(initial=0.0))
        if peak_after > peak_before * (1.0 + REPAIR_AGAIN_ABOVE):
            _repair_pass(problem, tree, requests, power, chain, t0, t1, redo, short, penalty, False)


def _repair_pass(problem: Problem, tree: _Tree, requests: list[Request], power: np.ndarray, chain, t0, t1,
                 redo: np.ndarray, short: np.ndarray, penalty: float, scarce: bool) -> None:  # fmt: skip
    """One pass of `_repair`, class by class and part by part."""
    n = len(requests)
    rank = np.array([CLASSES.index(r.priority) for r in requests])
    flat_ok = problem.demand_charge_per_kw <= 0
    load = _load(tree, chain, power, np.ones(n, dtype=bool))  # everyone's power, as planned so far
    for cls in range(len(CLASSES)):
        here = redo & (rank == cls)
        if not here.any():
            continue
        lower = _load(tree, chain, power, redo & (rank > cls)) if scarce else 0.0
        flat = here & short if flat_ok else np.zeros(n, dtype=bool)
        if flat.any():
            own = _load(tree, chain, power, flat)
            room = np.maximum(tree.limits - (load - lower - own), 0.0)
            _as_early_as_possible(problem, tree, requests, power, chain, t0, t1, flat, room, penalty)
            load += _load(tree, chain, power, flat) - own
        chosen = np.nonzero(here & ~flat)[0]
        for part in np.array_split(chosen, -(-len(chosen) // REPLAN_PART)) if len(chosen) else []:
            mask = np.zeros(n, dtype=bool)
            mask[part] = True
            own = _load(tree, chain, power, mask)
            _replan_exactly(problem, tree, requests, power, mask, np.maximum(tree.limits - (load - lower - own), 0.0),
                            (load - own)[tree.root])  # fmt: skip
            load += _load(tree, chain, power, mask) - own


def _fill_tapers(problem: Problem, tree: _Tree, requests: list[Request], power: np.ndarray, chain: np.ndarray,
                 t0: np.ndarray, t1: np.ndarray, energy: np.ndarray) -> None:  # fmt: skip
    """The split (`_taper_split`) keeps the tapers but costs energy: give each tapering request still short of its
    need what its taper and the limits' room still allow (in place), interval by interval from its departure back,
    critical first, shared in proportion where a limit is short. Energy added before an interval lowers the
    taper's bound there, so each request carries the least slack of its later intervals (kWh) and never adds more
    before them."""
    T, hours = problem.intervals, problem.hours
    who = np.array([k for k, r in enumerate(requests) if r.tapers and energy[k] - power[k].sum() * hours > 1e-3],
                   dtype=np.int64)  # fmt: skip
    if not len(who):
        return
    lines = np.array([_taper_line(requests[k]) for k in who])
    slope, bound = lines[:, 0], lines[:, 1]
    rate = np.array([requests[k].max_kw for k in who])
    p = power[who]
    before = np.concatenate([np.zeros((len(who), 1)), np.cumsum(p, axis=1)[:, :-1]], axis=1) * hours  # e_t
    left = energy[who] - p.sum(axis=1) * hours
    slack = np.full(len(who), INF)  # what may still be added before the intervals already passed (kWh)
    room = np.maximum(tree.limits - _load(tree, chain, power, np.ones(len(requests), dtype=bool)), 0.0)
    nodes = chain[who]
    rank = np.array([CLASSES.index(requests[k].priority) for k in who])
    for t in range(T - 1, -1, -1):
        inside = (t0[who] <= t) & (t < t1[who])
        own = np.maximum(bound - slope * before[:, t] - p[:, t], 0.0)  # the taper's room at t, as planned
        want = np.where(inside, np.minimum.reduce([rate - p[:, t], own, slack / hours, left / hours]), 0.0)
        want = np.maximum(want, 0.0)
        add = np.zeros(len(who))
        for cls in range(len(CLASSES)):
            r = np.nonzero((rank == cls) & (want > 1e-9))[0]
            if not len(r):
                continue
            share = np.ones(len(r))
            for level in nodes[r].T:
                ok = level >= 0
                asked = np.bincount(level[ok], weights=want[r][ok], minlength=len(tree.ids))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(asked > 0, np.minimum(1.0, room[:, t] / asked), 1.0)
                share[ok] = np.minimum(share[ok], ratio[level[ok]])
            add[r] = want[r] * share
            for level in nodes[r].T:
                ok = level >= 0
                room[:, t] -= np.bincount(level[ok], weights=add[r][ok], minlength=len(tree.ids))
            np.maximum(room[:, t], 0.0, out=room[:, t])
        p[:, t] += add
        left -= add * hours
        # this interval's slack (the energy that may still come before it), and what the addition took from later
        mine = np.where(slope > 0, (bound - slope * before[:, t] - p[:, t]) / np.where(slope > 0, slope, 1.0), INF)
        slack = np.minimum(slack - add * hours, np.where(inside, mine, INF))
    power[who] = p


def _least_shares(requests: list[Request], energy: np.ndarray, unmet: np.ndarray) -> dict[str, float]:
    """Each class's least share of need (1 - z[c] in the LP: the requests that need something)."""
    out: dict[str, float] = {}
    for k, r in enumerate(requests):
        if energy[k] > 1e-9:
            out[r.priority] = min(out.get(r.priority, 1.0), max(0.0, 1.0 - unmet[k] / energy[k]))
    return out


def _short_bound(problem: Problem, tree: _Tree, requests: list[Request], rates: np.ndarray, cost: np.ndarray,
                 penalty: float, reachable: np.ndarray, carried_kwh: np.ndarray) -> float:  # fmt: skip
    """A lower bound of the LP's optimum (less the penalty of what the vehicles cannot reach) when power is short
    and the fair shares' flow is no relaxation. The vectors of energy the limits can carry (without the taper)
    form a polymatroid, so the least penalty of any plan is the greedy one: each class, from critical down, as
    much as the limits carry with the classes above (`carried_kwh`, maximum flows). A plan that carries less
    loses more to the penalty than the cheapest kWh and the peak could save; what is carried costs at least the
    cheapest intervals filled to the site's limit (and the rates of those plugged in), and needs at least the
    peak that spreads it flattest."""
    hours = problem.hours
    bound, above = 0.0, 0.0
    for cls, name in enumerate(CLASSES):
        asked = sum(float(reachable[k]) for k, r in enumerate(requests) if r.priority == name)
        got = float(carried_kwh[cls]) - above
        members = sum(1 for r in requests if r.priority == name)
        bound += penalty * PRIORITY_FACTOR[name] * max(asked - got - ROUNDING_KWH * members, 0.0)
        above = float(carried_kwh[cls])
    total = float(carried_kwh[-1])
    room = np.minimum(tree.limits[tree.root], rates.sum(axis=0)) * hours  # kWh per interval, at most
    left = total
    for t in np.argsort(cost, kind="stable"):
        take = min(left, float(room[t]))
        bound += cost[t] / hours * take
        left -= take
        if left <= 0:
            break
    D, floor = problem.demand_charge_per_kw, problem.peak_floor_kw
    if D > 0:
        base, cap = _base(problem), room / hours
        low, high = 0.0, float((cap + base).max(initial=0.0))
        for _ in range(60):  # the least peak P with Σ_t Δ·min(cap_t, P - base_t) ≥ the energy
            middle = (low + high) / 2
            if (np.clip(middle - base, 0.0, cap) * hours).sum() >= total:
                high = middle
            else:
                low = middle
        bound += D * max(low, floor)
    return bound


def plan_details(problem: Problem) -> tuple[Schedule, dict]:
    """`plan`, with what it knows about its own optimality: a lower bound of the LP's optimum (the flow's), the
    schedule's objective in the LP's terms, the gap between them and how many vehicles were re-planned."""
    started = time.perf_counter()
    cannot = {r.id: reason for r, reason in problem.validate()}
    requests = [r for r in problem.requests if r.id not in cannot]
    if len(requests) <= EXACT_UP_TO:
        schedule = solve(problem)
        schedule.algorithm = "ours"
        schedule.notes.append(f"the full LP (at most {EXACT_UP_TO} vehicles)")
        energy = np.array([max(r.energy_kwh, 0.0) for r in requests])
        unmet = np.array([schedule.unmet_kwh[r.id] for r in requests])
        return schedule, {"method": "lp", "lower_bound": schedule.objective, "objective": schedule.objective,
                          "gap": 0.0, "peak_kw": None, "taper_replanned": 0, "short_at_full_speed": 0,
                          "least_share": _least_shares(requests, energy, unmet)}  # fmt: skip
    T, hours, n = problem.intervals, problem.hours, len(requests)
    penalty = 10.0 * (_max_price(problem) + 1.0)
    cost = _interval_costs(problem)
    energy = np.array([max(r.energy_kwh, 0.0) for r in requests])
    factor = np.array([PRIORITY_FACTOR[r.priority] for r in requests])
    demand, floor = problem.demand_charge_per_kw, problem.peak_floor_kw
    power, lower_bound, redo, short = np.zeros((n, T)), demand * floor, np.zeros(n, dtype=bool), np.zeros(n, bool)
    peak = None
    if requests:
        tree = _Tree(problem)
        t0, t1, *_ = _windows(problem, requests)
        rates = np.zeros((n, T))
        inside = (np.arange(T) >= t0[:, None]) & (np.arange(T) < t1[:, None])
        rates[inside] = np.repeat([r.max_kw for r in requests], t1 - t0)
        # a vehicle that cannot reach its target even alone gets no more than its most in any plan: the flow
        # without the taper, asked only for what each can reach, is still the LP's relaxation
        most = _flat_out(requests, t0, t1, T, hours)[1]
        reachable = np.minimum(energy, most)
        short = reachable < energy - 1e-6
        if demand > 0:
            peak, power, _, lower_bound, short_of_power = _best_peak(problem, tree, requests, cost, penalty, rates,
                                                                     reachable, energy)  # fmt: skip
        else:
            power, lower_bound, short_of_power = _flow(problem, tree, requests, cost, penalty, rates, reachable,
                                                       energy)  # fmt: skip
        chain = tree.chains(np.array([tree.index[r.node] for r in requests]))
        if (
            short_of_power is not None
        ):  # power is short: the fair shares' flow is no relaxation, and its split costs energy
            lower_bound = _short_bound(problem, tree, requests, rates, cost, penalty, reachable,
                                       short_of_power.carried_kwh)  # fmt: skip
            _fill_tapers(problem, tree, requests, power, chain, t0, t1, reachable)
        lower_bound += float((penalty * factor * (energy - reachable)).sum())
        lower_bound -= ROUNDING_KWH * n * (float(cost.max()) + EARLY_BIAS * T) / hours  # needs rounded to Wh
        redo = _taper_violations(requests, power, t0, t1, hours)
        if redo.any():
            scarce = bool(short_of_power is not None or short.any()
                          or (reachable - power.sum(axis=1) * hours > ROUNDING_KWH).any())  # fmt: skip
            _repair(problem, tree, requests, power, chain, t0, t1, redo, short, penalty, scarce)
    unmet = np.maximum(0.0, energy - power.sum(axis=1) * hours)
    unmet[unmet <= ROUNDING_KWH] = 0.0  # the flow counts whole Wh: half a Wh short is its rounding
    shares = _least_shares(requests, energy, unmet)
    tie = _tie_break(problem, _deadline_steps(problem, [r.departure for r in requests])[:, None], np.arange(T))
    objective = float((power * (cost + tie)).sum() + (penalty * factor * unmet).sum())
    objective += sum(FAIR_WEIGHT * penalty * PRIORITY_FACTOR[c] * (1.0 - share) for c, share in shares.items())
    if demand > 0:
        objective += demand * max(float((power.sum(axis=0) + _base(problem)).max(initial=0.0)), floor)
    gap = (objective - lower_bound) / max(abs(lower_bound), 1e-9)
    exact = not redo.any() and not short.any() and not (unmet > 0.001).any()
    held = "" if peak is None else f" under a peak of {peak:.1f} kW (the building's load included)"
    notes = [f"min-cost flow{held}", f"{int(short.sum())} vehicle(s) short of their target at full speed",
             f"{int(redo.sum())} re-planned under their taper"]  # fmt: skip
    if any(share < 1.0 for share in shares.values()):
        notes.append("power is short, each class's least share of its need: "
                     + ", ".join(f"{c} {shares[c]:.1%}" for c in CLASSES if c in shares))  # fmt: skip
    notes.append(f"objective at most {max(gap, 0.0):.4%} above the LP optimum")
    rows = power.tolist()
    series = {r.id: rows[k] for k, r in enumerate(requests)}
    left = {r.id: float(unmet[k]) for k, r in enumerate(requests)}
    schedule = Schedule(
        algorithm="ours",
        power_kw={r.id: series.get(r.id, [0.0] * T) for r in problem.requests},
        unmet_kwh={r.id: left.get(r.id, max(r.energy_kwh, 0.0)) for r in problem.requests},
        solve_seconds=time.perf_counter() - started,
        status="optimal" if exact else "feasible",
        objective=objective,
        cannot_serve=cannot,
        notes=["; ".join(notes)],
    )
    details = {"method": "flow", "lower_bound": lower_bound, "objective": objective, "gap": gap, "peak_kw": peak,
               "taper_replanned": int(redo.sum()), "short_at_full_speed": int(short.sum()),
               "least_share": shares}  # fmt: skip
    return schedule, details


def plan(problem: Problem) -> Schedule:
    """The fast plan ("ours"): the min-cost flow, exact for the LP when no taper binds and everyone is served,
    else with the tapering vehicles re-planned and the gap to the flow's lower bound in the notes."""
    return plan_details(problem)[0]


def solve(problem: Problem) -> Schedule:
    """Build and solve: the schedule's solve time includes building the model."""
    started = time.perf_counter()
    schedule = LpPlanner(problem).solve()
    schedule.solve_seconds = time.perf_counter() - started
    return schedule


__all__ = ["LpPlanner", "solve", "plan", "PRIORITIES"]
