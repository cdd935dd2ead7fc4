"""The trading schedule as a linear program, solved with HiGHS.

Per vehicle i and interval t of its stay (from the problem's first interval on): c[i,t] ≥ 0 and d[i,t] ≥ 0, the
power it charges and discharges at the charger; e[i,t], the energy its battery holds at the end of t; s[i,t] ≥ 0,
how far it is below its reserve; u[i] ≥ 0, the energy it lacks at departure. Per interval: g⁺[t], g⁻[t] ≥ 0, the
site's import and export at the grid connection; o[t] ≥ 0, power beyond the root's limit (only where nothing else
is possible: a building load above a cut limit).

    minimise   Σ_t Δ·(π⁺_t + κ·γ_t)·g⁺[t] − Δ·(π⁻_t + κ·γ_t)·g⁻[t]       import cost − export revenue (+ carbon)
             + Σ_{i,t} w_i·Δ·(η_c·c[i,t] + d[i,t]/η_d)                     battery wear per kWh through it
             + W_u·Σ u[i] + W_s·Σ s[i,t] + W_o·Σ o[t]                       need ≫ reserve ≪ limits, all ≫ money
             + ε·Σ t·c[i,t]                                                  tie-break: of equal plans, charge early
    subject to e[i,t] = e[i,t−1] + Δ·η_c·c[i,t] − Δ·d[i,t]/η_d              the battery (e[i,a−1] = what it holds)
               e[i,t] + s[i,t] ≥ r[i,t]                                     the reserve, reached as fast as it can be
               e[i,dep−1] + u[i] ≥ E_i                                      the departure target
               Σ_t Δ·d[i,t] ≤ X_i                                           the throughput cap
               Σ_{i under n} (c − d)[i,t] ≤ L⁺[n,t],  ≥ −L⁻[n,t]            every limit of the tree, both directions
               Σ_i (c − d)[i,t] + base[t] = g⁺[t] − g⁻[t]                   the grid connection
               0 ≤ e ≤ capacity,  c ≤ P⁺_i,  d ≤ P⁻_i (0 outside the consented hours)

r[i,t] = min(reserve, what it holds at arrival + what charging flat out adds by t): a vehicle that arrives below
its reserve charges up to it first and is never discharged below it. Only such a vehicle has the rows and the
slack s; for one that arrives above its reserve, e ≥ reserve is a bound of its columns (staying above is always
possible, by not discharging), which keeps the model a third smaller. With π⁻ ≤ π⁺ (validated) the LP never
imports and exports at once, and with wear or losses it never charges and discharges a vehicle at once unless
the import price is negative (then it would burn energy in the losses: the schedule nets the two). It discharges
only where the spread pays for the round trip's losses and the wear: a kWh taken out of the battery at t and put
back at s earns π⁻_t·η_d, costs π⁺_s/η_c and wears 2w, so it pays when π⁻_t·η_d − π⁺_s/η_c > 2w; the LP weighs
exactly that, with every limit and every other vehicle in view.

W_u is 100 × the dearest kWh (money never outweighs a vehicle's need), W_s a tenth of it, W_o a hundred times W_u
(a limit gives way last). The model is assembled with numpy in one pass and handed to HiGHS whole (`passModel`).
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from charging.optimizer.lp import _highs  # one quiet HiGHS instance per solve, as the smart-charging LP makes it
from v2g.trading.problem import Problem, Schedule

EARLY_BIAS = 1e-6  # the tie-break per kW and interval index
OVER_FACTOR = 100.0  # W_o = OVER_FACTOR · W_u


class _Builder:
    """Columns and rows in COO form."""

    def __init__(self):
        self.cost: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.columns = 0
        self.rows_i: list[np.ndarray] = []
        self.rows_j: list[np.ndarray] = []
        self.rows_v: list[np.ndarray] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []

    def add_columns(self, count: int, cost, lower, upper) -> np.ndarray:
        index = np.arange(self.columns, self.columns + count)
        self.columns += count
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (count,)).copy())
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (count,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (count,)).copy())
        return index

    def add_row(self, columns, values, lo: float, hi: float) -> None:
        row = len(self.row_lo)
        columns = np.asarray(columns, dtype=np.int64)
        self.rows_i.append(np.full(len(columns), row, dtype=np.int64))
        self.rows_j.append(columns)
        self.rows_v.append(np.asarray(values, dtype=float))
        self.row_lo.append(lo)
        self.row_hi.append(hi)

    def add_rows(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray, lo, hi) -> None:
        """A block of rows at once: entry k goes in the block's row `rows[k]` (0 for its first row)."""
        count = len(np.broadcast_to(np.asarray(lo, dtype=float), (int(rows.max()) + 1,)))
        first = len(self.row_lo)
        self.rows_i.append(np.asarray(rows, dtype=np.int64) + first)
        self.rows_j.append(np.asarray(columns, dtype=np.int64))
        self.rows_v.append(np.asarray(values, dtype=float))
        self.row_lo.extend(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).tolist())
        self.row_hi.extend(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).tolist())

    def solve(self, highspy_module, h):
        cost = np.concatenate(self.cost)
        matrix = sparse.csc_matrix(
            (np.concatenate(self.rows_v), (np.concatenate(self.rows_i), np.concatenate(self.rows_j))),
            shape=(len(self.row_lo), self.columns),
        )
        lp = highspy_module.HighsLp()
        lp.num_col_ = self.columns
        lp.num_row_ = len(self.row_lo)
        lp.col_cost_ = cost
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.asarray(self.row_lo)
        lp.row_upper_ = np.asarray(self.row_hi)
        lp.a_matrix_.format_ = highspy_module.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        h.passModel(lp)
        h.run()
        status = h.getModelStatus()
        if status != highspy_module.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS ended with {h.modelStatusToString(status)}")
        return np.asarray(h.getSolution().col_value), float(h.getInfo().objective_function_value)


def plan(problem: Problem, *, algorithm: str = "lp") -> Schedule:
    """The optimal trading schedule from `problem.first_interval` on (earlier intervals are zero)."""
    started = time.perf_counter()
    problem.validate()
    n, dt, first = problem.intervals, problem.step_hours, problem.first_interval
    base = np.asarray(problem.baseline_kw, dtype=float) if problem.baseline_kw is not None else np.zeros(n)
    carbon = (
        np.asarray(problem.carbon_g_per_kwh, dtype=float) / 1000.0 * problem.carbon_price_per_kg
        if problem.carbon_g_per_kwh is not None
        else np.zeros(n)
    )
    buy = np.asarray(problem.import_price, dtype=float) + carbon
    sell = np.asarray(problem.export_price, dtype=float) + carbon
    dearest = float(max(np.abs(buy).max(initial=0.0), np.abs(sell).max(initial=0.0), 0.01))
    w_unmet = 100.0 * dearest
    w_reserve = w_unmet / 10.0
    w_over = OVER_FACTOR * w_unmet
    b = _Builder()
    times = np.arange(first, n)
    grid_in = b.add_columns(n - first, dt * buy[first:], 0.0, np.inf)
    grid_out = b.add_columns(n - first, -dt * sell[first:], 0.0, np.inf)
    over_in = b.add_columns(n - first, w_over * dt, 0.0, np.inf)
    over_out = b.add_columns(n - first, w_over * dt, 0.0, np.inf)
    # per interval and node: the (column, sign) of every vehicle's c and d under it
    under: dict[str, list[tuple]] = {node: [] for node in problem.nodes}
    charge_cap = {node: np.zeros(n) for node in problem.nodes}
    discharge_cap = {node: np.zeros(n) for node in problem.nodes}
    station: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # (vehicle index, start, c cols, d cols)
    net_cols: list[list[int]] = [[] for _ in range(n)]
    net_vals: list[list[float]] = [[] for _ in range(n)]
    for index, v in enumerate(problem.vehicles):
        start, end = max(v.arrival, first), min(v.departure, n)
        length = end - start
        if length <= 0:
            continue
        steps = np.arange(start, end)
        eta_c, eta_d = v.charge_efficiency, v.discharge_efficiency
        wear = v.degradation_per_kwh * dt
        c = b.add_columns(length, wear * eta_c + EARLY_BIAS * steps, 0.0, v.max_charge_kw)
        allowed = np.full(length, v.max_discharge_kw)
        if v.discharge_intervals is not None:
            allowed = np.where(np.isin(steps, sorted(v.discharge_intervals)), allowed, 0.0)
        d = b.add_columns(length, wear / eta_d, 0.0, allowed)
        above = v.energy_kwh >= v.reserve_kwh - 1e-9
        # above its reserve at arrival, staying above it is always possible (not discharging): a bound says it;
        # below it, the rows with slack ask it to charge up to the reserve as fast as it can
        e = b.add_columns(length, 0.0, min(v.reserve_kwh, v.capacity_kwh) if above else 0.0, v.capacity_kwh)
        u = b.add_columns(1, w_unmet, 0.0, np.inf)
        k = np.arange(length)
        # the battery: e[k] - e[k-1] - Δ·η_c·c[k] + Δ/η_d·d[k] = (what it holds at arrival for k = 0)
        rows = np.concatenate([k, k, k, k[1:]])
        columns = np.concatenate([e, c, d, e[:-1]])
        values = np.concatenate([np.ones(length), np.full(length, -dt * eta_c), np.full(length, dt / eta_d),
                                 -np.ones(length - 1)])  # fmt: skip
        held = np.zeros(length)
        held[0] = v.energy_kwh
        b.add_rows(rows, columns, values, held, held)
        if not above:
            s = b.add_columns(length, w_reserve, 0.0, np.inf)
            floor = np.minimum(v.reserve_kwh, v.energy_kwh + dt * eta_c * v.max_charge_kw * (k + 1))
            b.add_rows(np.concatenate([k, k]), np.concatenate([e, s]), np.ones(2 * length), floor, np.inf)
        b.add_row([e[-1], u[0]], [1.0, 1.0], v.target_kwh, np.inf)
        if v.max_discharge_kwh is not None and allowed.any():
            b.add_row(d, np.full(length, dt), -np.inf, v.max_discharge_kwh)
        for node in problem.ancestors(v.node):
            charge_cap[node][start:end] += v.max_charge_kw
            discharge_cap[node][start:end] += allowed
            under[node].append((start, c, d, v.forecast))
        for k, t in enumerate(steps):
            net_cols[t] += [c[k], d[k]]
            net_vals[t] += [1.0, -1.0]
        station.append((index, start, c, d))
    root = problem.root().id
    for node_id, node in problem.nodes.items():
        for t in times:
            is_root = node_id == root
            binds_in = charge_cap[node_id][t] - (0.0 if not is_root else -base[t]) > node.import_at(t) + 1e-9
            binds_out = discharge_cap[node_id][t] - (0.0 if not is_root else base[t]) > node.export_at(t) + 1e-9
            if not (binds_in or binds_out or (is_root and base[t] > node.import_at(t))):
                continue
            columns, values = [], []
            real_columns, real_values, forecast_columns = [], [], []
            for start, c, d, forecast in under[node_id]:
                k = t - start
                if 0 <= k < len(c):
                    if forecast:
                        forecast_columns.append(c[k])
                    else:
                        real_columns += [c[k], d[k]]
                        real_values += [1.0, -1.0]
            offset = base[t] if is_root else 0.0
            slack = [over_in[t - first], over_out[t - first]] if is_root else []
            if binds_in or is_root:  # import: the vehicles expected count, as they will if they come
                columns = real_columns + forecast_columns + slack
                values = real_values + [1.0] * len(forecast_columns) + ([-1.0, 1.0] if is_root else [])
                if columns:
                    b.add_row(columns, values, -np.inf, node.import_at(t) - offset)
            if binds_out or is_root:  # export: without them, so that the export fits if they do not come
                columns = real_columns + slack
                values = real_values + ([-1.0, 1.0] if is_root else [])
                if columns:
                    b.add_row(columns, values, -node.export_at(t) - offset, np.inf)
    for t in times:
        b.add_row(net_cols[t] + [grid_in[t - first], grid_out[t - first]], net_vals[t] + [-1.0, 1.0],
                  -base[t], -base[t])  # fmt: skip
    h, highspy_module = _highs()
    values, objective = b.solve(highspy_module, h)
    charge = {v.id: [0.0] * n for v in problem.vehicles}
    discharge = {v.id: [0.0] * n for v in problem.vehicles}
    notes = []
    for index, start, c, d in station:
        v = problem.vehicles[index]
        for k in range(len(c)):
            net = float(values[c[k]] - values[d[k]])
            if net >= 0:
                charge[v.id][start + k] = max(0.0, net)
            else:
                discharge[v.id][start + k] = -net
    overload = float(values[over_in].sum() + values[over_out].sum()) * dt
    if overload > 1e-6:
        notes.append(f"The building's load alone passes the grid connection's limit: {overload:.1f} kWh over.")
    return Schedule(
        algorithm=algorithm,
        charge_kw=charge,
        discharge_kw=discharge,
        solve_seconds=time.perf_counter() - started,
        objective=objective,
        notes=notes,
    )
