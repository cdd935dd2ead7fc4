"""The optimal schedule as a linear program, solved with HiGHS.

Variables: p[i,t] ≥ 0, the power of request i in interval t while it is plugged in (up to its rate); u[i], the
energy it will lack at departure; z[c], the largest unmet share of need in priority class c; P, the peak site
power (with a demand charge); e[i,t], the energy a tapering request has received before t.

    minimise   Σ Δ·(price_t + carbon weight·carbon_t)·p[i,t]   energy cost (and carbon)
             + demand charge · P
             + Σ W[prio(i)]·u[i]                              unmet energy: critical ≫ normal ≫ low ≫ any price
             + Σ w[c]·z[c]                                    within a class, shares proportional to need
    subject to Σ_t Δ·p[i,t] + u[i] = E[i]                      every request's energy
               Σ_{i under n} p[i,t] ≤ L[n,t]                   every limit of the tree, every interval
               Σ_i p[i,t] + base[t] ≤ P                         the peak (only with a demand charge)
               u[i] ≤ E[i]·z[c]                                 fairness
               p[i,t] + k[i]·e[i,t] ≤ b[i]                      CC-CV taper above the knee SoC
               e[i,t+1] = e[i,t] + Δ·p[i,t]

W grows by a factor 100 per priority class over the most a kWh can cost, so no price ever outweighs a vehicle's
need and a critical vehicle's need outweighs any number of normal ones'. Among equal plans a tiny preference
for earlier intervals makes the schedule deterministic and front-loads energy a later fault could cost.

A limit row exists only where it can bind: where the rates of the requests under a node at t add up to more
than its limit (a connector with one vehicle is just that vehicle's bound). The model is assembled in one
sparse matrix; `LpPlanner` keeps it in HiGHS between solves, so adding an arrival, freezing executed intervals,
removing a departed vehicle or changing a price or limit re-solves from the previous basis.
"""

import time
from collections import defaultdict

import numpy as np

from charging.optimizer.problem import PRIORITIES, Problem, Request, Schedule

PRIORITY_FACTOR = {"low": 1.0, "normal": 100.0, "critical": 10_000.0}
EARLY_BIAS = 1e-6  # per interval index, per kWh: breaks ties towards charging earlier
INF = float("inf")
SLACK_KW = 1e-6


def _highs():
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h, highspy


class _Builder:
    """Columns and rows collected as arrays, handed to HiGHS in one call."""

    def __init__(self, first_col: int = 0, first_row: int = 0):
        self.cost, self.col_lo, self.col_hi = [], [], []
        self.row_lo, self.row_hi = [], []
        self.entries_row, self.entries_col, self.entries_val = [], [], []
        self.first_col, self.first_row = first_col, first_row

    def col(self, cost: float, lower: float, upper: float) -> int:
        self.cost.append(cost)
        self.col_lo.append(lower)
        self.col_hi.append(upper)
        return self.first_col + len(self.cost) - 1

    def row(self, lower: float, upper: float) -> int:
        self.row_lo.append(lower)
        self.row_hi.append(upper)
        return self.first_row + len(self.row_lo) - 1

    def entry(self, row: int, col: int, value: float) -> None:
        self.entries_row.append(row)
        self.entries_col.append(col)
        self.entries_val.append(value)

    def add_to(self, h) -> None:
        """Add the new rows (empty), then the new columns with all their entries (old and new rows)."""
        if self.row_lo:
            h.addRows(len(self.row_lo), np.array(self.row_lo), np.array(self.row_hi), 0,
                      np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]))  # fmt: skip
        n = len(self.cost)
        if n:
            from scipy.sparse import csc_matrix

            rows = np.array(self.entries_row, dtype=np.int64)
            cols = np.array(self.entries_col, dtype=np.int64) - self.first_col
            keep = cols >= 0  # entries of new columns; entries that put old columns into new rows come after
            matrix = csc_matrix(
                (np.array(self.entries_val)[keep], (rows[keep], cols[keep])),
                shape=(self.first_row + len(self.row_lo), n),
            )
            h.addCols(n, np.array(self.cost), np.array(self.col_lo), np.array(self.col_hi), matrix.nnz,
                      matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32), matrix.data)  # fmt: skip
        for row, col, value in zip(self.entries_row, self.entries_col, self.entries_val, strict=True):
            if col < self.first_col:  # an existing column in a new row
                h.changeCoeff(row, col, value)


class LpPlanner:
    """An LP over a Problem, kept warm for re-planning."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.cannot = {r.id: reason for r, reason in problem.validate()}
        self.h, self.highspy = _highs()
        self.hours = problem.hours
        max_price = max((abs(p) for p in problem.price), default=0.0)
        if problem.carbon_g_per_kwh is not None:
            max_price += problem.carbon_price_per_kg * max(problem.carbon_g_per_kwh, default=0.0) / 1000.0
        max_price += problem.demand_charge_per_kw / self.hours
        self.unit_penalty = 10.0 * (max_price + 1.0)
        self.num_cols = self.num_rows = 0
        self.p_cols: dict[str, tuple[int, list[int]]] = {}  # request -> (first interval, columns)
        self.u_col: dict[str, int] = {}
        self.node_rows: dict[tuple[str, int], int] = {}
        self.node_rate: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(problem.intervals))
        self.members: dict[str, list[str]] = defaultdict(list)  # node -> requests under it
        self.peak_rows: dict[int, int] = {}
        self.peak_col: int | None = None
        self.class_cols: dict[str, int] = {}
        self.frozen_until = 0
        self.fair = False
        self._add([r for r in problem.requests if r.id not in self.cannot], initial=True)

    # --- building ---------------------------------------------------------------------------------------------

    def _cost(self, t: int) -> float:
        p = self.problem
        cost = p.price[t]
        if p.carbon_g_per_kwh is not None and p.carbon_price_per_kg:
            cost += p.carbon_price_per_kg * p.carbon_g_per_kwh[t] / 1000.0
        return self.hours * cost + EARLY_BIAS * t

    def _limit(self, node: str, t: int) -> float:
        p = self.problem
        limit = p.nodes[node].limit_at(t)
        if p.nodes[node].parent is None and p.baseline_kw is not None:
            limit = max(0.0, limit - p.baseline_kw[t])
        return limit

    def _add(self, requests: list[Request], initial: bool = False) -> None:
        p = self.problem
        b = _Builder(self.num_cols, self.num_rows)
        if initial and p.demand_charge_per_kw > 0:
            self.peak_col = b.col(p.demand_charge_per_kw, 0.0, INF)
            base = p.baseline_kw or [0.0] * p.intervals
            for t in range(p.intervals):
                self.peak_rows[t] = b.row(-INF, -base[t])
                b.entry(self.peak_rows[t], self.peak_col, -1.0)
        # which limit rows become necessary
        windows = {}
        for r in requests:
            t0, t1 = max(r.arrival, 0), min(r.departure, p.intervals)
            windows[r.id] = (t0, t1)
            for node in p.ancestors(r.node):
                self.node_rate[node][t0:t1] += r.max_kw
                self.members[node].append(r.id)
        new_rows = []
        touched = {node for r in requests for node in p.ancestors(r.node)}
        root = p.root().id
        for node in touched:
            rate = self.node_rate[node]
            for t in np.nonzero(rate > 0)[0]:
                t = int(t)
                if (node, t) in self.node_rows:
                    continue
                if node == root or rate[t] > self._limit(node, t) + SLACK_KW:
                    self.node_rows[(node, t)] = b.row(-INF, self._limit(node, t))
                    new_rows.append((node, t))
        # existing requests' columns join the rows that were just created
        new_ids = {r.id for r in requests}
        for node, t in new_rows:
            for request_id in self.members[node]:
                if request_id in new_ids or request_id not in self.p_cols:
                    continue
                t0, cols = self.p_cols[request_id]
                if t0 <= t < t0 + len(cols):
                    b.entry(self.node_rows[(node, t)], cols[t - t0], 1.0)
        for r in requests:
            t0, t1 = windows[r.id]
            energy_row = b.row(r.energy_kwh, r.energy_kwh)
            chain = p.ancestors(r.node)
            cols = []
            for t in range(t0, t1):
                col = b.col(self._cost(t), 0.0, r.max_kw)
                cols.append(col)
                b.entry(energy_row, col, self.hours)
                for node in chain:
                    row = self.node_rows.get((node, t))
                    if row is not None:
                        b.entry(row, col, 1.0)
                if t in self.peak_rows:
                    b.entry(self.peak_rows[t], col, 1.0)
            unmet = b.col(self.unit_penalty * PRIORITY_FACTOR[r.priority], 0.0, max(r.energy_kwh, 0.0))
            b.entry(energy_row, unmet, 1.0)
            if self.fair:
                self._fairness(b, r, unmet)
            if r.tapers and cols:
                self._taper(b, r, cols)
            self.p_cols[r.id] = (t0, cols)
            self.u_col[r.id] = unmet
        b.add_to(self.h)
        self.num_cols = b.first_col + len(b.cost)
        self.num_rows = b.first_row + len(b.row_lo)

    def _fairness(self, b: _Builder, r: Request, unmet: int) -> None:
        """u[i] ≤ E[i]·z[c]: z, the largest unmet share in the class, is worth a hundredth of a kWh of the class's
        unmet energy, so it only orders plans of equal totals, towards equal shares of need."""
        if r.energy_kwh <= 1e-9:
            return
        z = self.class_cols.get(r.priority)
        if z is None:
            z = self.class_cols[r.priority] = b.col(self.unit_penalty * PRIORITY_FACTOR[r.priority] * 0.01, 0.0, 1.0)
        fair = b.row(-INF, 0.0)
        b.entry(fair, unmet, 1.0)
        b.entry(fair, z, -r.energy_kwh)

    def _add_fairness(self) -> None:
        """Shares only matter when energy is short: the rows join the model the first time a plan leaves some
        need unmet, and stay."""
        self.fair = True
        b = _Builder(self.num_cols, self.num_rows)
        for r in self.problem.requests:
            if r.id in self.u_col:
                self._fairness(b, r, self.u_col[r.id])
        b.add_to(self.h)
        self.num_cols = b.first_col + len(b.cost)
        self.num_rows = b.first_row + len(b.row_lo)

    def _taper(self, b: _Builder, r: Request, cols: list[int]) -> None:
        """p_t + k·e_t ≤ bound, e_t the energy received before t: the rate falls linearly from max_kw at the knee
        SoC to taper_end_kw at 100 %."""
        knee, soc0, capacity = r.taper_from_soc, r.soc_percent, r.capacity_kwh
        slope = (r.max_kw - r.taper_end_kw) * 100.0 / (capacity * (100.0 - knee))
        bound = r.taper_end_kw + (r.max_kw - r.taper_end_kw) * (100.0 - soc0) / (100.0 - knee)
        previous = None
        for index, col in enumerate(cols):
            if previous is None:
                e = b.col(0.0, 0.0, 0.0)  # nothing received before the first interval
            else:
                e = b.col(0.0, 0.0, INF)
                step = b.row(0.0, 0.0)  # e_t - e_{t-1} - Δ·p_{t-1} = 0
                b.entry(step, e, 1.0)
                b.entry(step, previous, -1.0)
                b.entry(step, cols[index - 1], -self.hours)
            cap = b.row(-INF, bound)
            b.entry(cap, col, 1.0)
            b.entry(cap, e, slope)
            previous = e

    # --- changing ----------------------------------------------------------------------------------------------

    def add(self, request: Request) -> None:
        """An arrival: its columns and rows join the model (solve() re-plans from the current basis)."""
        if request.id in self.p_cols:
            raise ValueError(f"{request.id} is already planned.")
        self.problem.requests.append(request)
        cannot = self.problem.validate()
        reason = next((why for r, why in cannot if r.id == request.id), None)
        if reason is not None:
            self.cannot[request.id] = reason
            return
        self._add([request])

    def remove(self, request_id: str) -> None:
        """A vehicle left or its connector faulted: from now on it gets nothing and needs nothing."""
        if request_id not in self.p_cols:
            return
        t0, cols = self.p_cols[request_id]
        future = [c for i, c in enumerate(cols) if t0 + i >= self.frozen_until]
        if future:
            self.h.changeColsBounds(len(future), np.array(future, dtype=np.int32), np.zeros(len(future)),
                                    np.zeros(len(future)))  # fmt: skip
        self.h.changeColBounds(self.u_col[request_id], 0.0, INF)
        self.h.changeColCost(self.u_col[request_id], 0.0)

    def freeze(self, before: int, executed: dict[str, list[float]]) -> None:
        """Intervals before `before` happened: their power is what was executed, no longer a choice."""
        if before <= self.frozen_until:
            return
        cols, values = [], []
        for request_id, (t0, columns) in self.p_cols.items():
            series = executed.get(request_id)
            for t in range(max(self.frozen_until, t0), min(before, t0 + len(columns))):
                cols.append(columns[t - t0])
                values.append(series[t] if series is not None and t < len(series) else 0.0)
        if cols:
            array = np.array(values)
            self.h.changeColsBounds(len(cols), np.array(cols, dtype=np.int32), array, array)
        self.frozen_until = before

    def set_limit(self, node_id: str, t: int, max_kw: float) -> None:
        """A limit changed (a grid operator's curtailment, a feeder derated)."""
        row = self.node_rows.get((node_id, t))
        if row is None:  # the limit never bound before: add its row with the requests under it
            b = _Builder(self.num_cols, self.num_rows)
            row = self.node_rows[(node_id, t)] = b.row(-INF, max_kw)
            for request_id in self.members[node_id]:
                t0, cols = self.p_cols.get(request_id, (0, []))
                if t0 <= t < t0 + len(cols):
                    b.entry(row, cols[t - t0], 1.0)
            b.add_to(self.h)
            self.num_rows += 1
        else:
            self.h.changeRowBounds(row, -INF, max_kw)

    def set_price(self, t: int, price: float) -> None:
        self.problem.price[t] = price
        cols = [c[t - t0] for t0, c in self.p_cols.values() if 0 <= t - t0 < len(c)]
        if cols:
            self.h.changeColsCost(len(cols), np.array(cols, dtype=np.int32), np.full(len(cols), self._cost(t)))

    # --- solving -----------------------------------------------------------------------------------------------

    def solve(self, algorithm: str = "optimal") -> Schedule:
        started = time.perf_counter()
        self.h.run()
        if not self.fair and self.u_col:
            values = np.asarray(self.h.getSolution().col_value)
            if len(values) and values[list(self.u_col.values())].max() > 1e-6:
                self._add_fairness()
                self.h.run()
        return self.schedule(algorithm, time.perf_counter() - started)

    def schedule(self, algorithm: str, elapsed: float) -> Schedule:
        status = self.h.getModelStatus()
        values = np.asarray(self.h.getSolution().col_value)
        n = self.problem.intervals
        power, unmet = {}, {}
        for r in self.problem.requests:
            series = [0.0] * n
            if r.id in self.p_cols and len(values):
                t0, cols = self.p_cols[r.id]
                for index, value in enumerate(values[cols]):
                    series[t0 + index] = max(0.0, float(value))
                unmet[r.id] = max(0.0, float(values[self.u_col[r.id]]))
            else:
                unmet[r.id] = max(r.energy_kwh, 0.0)
            power[r.id] = series
        ok = status == self.highspy.HighsModelStatus.kOptimal or not self.p_cols
        return Schedule(
            algorithm=algorithm,
            power_kw=power,
            unmet_kwh=unmet,
            solve_seconds=elapsed,
            status="optimal" if ok else str(status).rsplit(".", 1)[-1],
            objective=self.h.getInfo().objective_function_value if ok and self.p_cols else None,
            cannot_serve=dict(self.cannot),
        )


def solve(problem: Problem) -> Schedule:
    """Build and solve: the schedule's solve time includes building the model."""
    started = time.perf_counter()
    schedule = LpPlanner(problem).solve()
    schedule.solve_seconds = time.perf_counter() - started
    return schedule


__all__ = ["LpPlanner", "solve", "PRIORITIES"]
