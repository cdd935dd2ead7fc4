"""Charging stops on long routes: the plan that minimizes total trip time (driving, waiting, charging along the
vehicle's charging curve), exact for a discretized state of charge. Plain Python, no Django.

The model
---------
Nodes are the origin, the candidate stations and the destination; `legs[(a, b)]` gives the minutes and kWh from
`a` to `b` (only the legs given are drivable). The state of charge (SoC) is held in whole *levels* of `step` %
(default 1 %): the start SoC is rounded down to a level, every leg's energy is rounded up to whole levels, and the
reserve and the arrival SoC are rounded up, so the discrete plan is always drivable in the continuous world
(conservative; the error is at most one level per leg and shrinks with the step: `routing/bench/stops.py`'s
`convergence` shows it). At a station the vehicle either drives past (no wait, no charge; unavailable stations
only allow this) or stops: it pays the station's expected wait once and charges to any level above its arrival
level. Charging from level i to j takes `cum[j] - cum[i]` minutes, `cum` being the cumulative charging time from
0 % at that station's power: `min(peak_kw × curve(SoC), station_kw) × power_factor`, the curve piecewise linear
(DEFAULT_CURVE: full power to 55 %, 55 % of peak at 80 %, 25 % at 100 %) and integrated exactly (the time of a
linear power ramp is a logarithm), so every charge step costs what the curve says. The SoC must stay at or above
the reserve at every node (legs use energy monotonically, so at every point) and reach the arrival SoC at the
destination.

The method
----------
Label setting done a node's whole row of levels at a time (numpy over legs × levels). `at[v, a]` holds the fewest
minutes to arrive at node v with a level ≥ a, its wait not paid yet. More SoC is never worse (every move open with
less is open with more, no later), so this closure over higher levels is the dominance rule and one row holds all
that matters of the labels at v. Expanding v: its departures (leave as arrived, or pay the wait once and charge
from ℓ to L for wait + cum[L] − cum[ℓ]: the best ℓ < L for every L at once is a running minimum of at − cum), then
every leg at once (arriving at j with ≥ a takes leaving with ≥ a + used). Nodes leave a heap in order of the least
minutes + bound among their entries improved since they were last expanded; the bound h(v, a) is the fastest
driving to the destination plus the levels lacking (the fewest levels to the destination plus the arrival SoC,
less a) at the fastest a level charges anywhere, or the driving alone when some leg recuperates (negative kWh).
The destination's entry at the arrival SoC is the incumbent: no entry is improved whose minutes + h reach it, a
leg whose least arrival + least bound reaches it is skipped, and the search ends when the heap's least key reaches
it. Exact: it is Bellman-Ford on the (node, level, wait paid) state graph, a node's states relaxed together, with
cuts that keep every state of an optimal plan (its minutes + h never exceed the optimum, and a node holding such a
state unexpanded stays in the heap below the incumbent). The plan is walked back through the entries (each keeps
the leg it came by; a departure's charge is found again from the final row) and timed forward level by level. When
the search finds no plan, a reachability pass with every station charging to 100 % says why (`Infeasible`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

ORIGIN = "origin"
DESTINATION = "destination"

#: The default charging curve: (SoC %, share of the vehicle's DC peak power). Full power to 55 %, tapering to
#: 55 % of peak at 80 % and 25 % at 100 % (the shape of typical 400 V NMC packs on a DC charger).
DEFAULT_CURVE: tuple[tuple[float, float], ...] = ((0.0, 1.0), (55.0, 1.0), (80.0, 0.55), (100.0, 0.25))
EPS = 1e-9


class ProblemError(ValueError):
    """Bad input: `errors` maps each field to what is wrong and how to fix it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class Infeasible(Exception):
    """No plan exists; `reason` says which gap is too long or why the arrival SoC cannot be met, `field` the input
    it concerns (destination or arrival_soc)."""

    def __init__(self, reason: str, *, field: str = "destination"):
        self.reason = reason
        self.field = field
        super().__init__(reason)


@dataclass(frozen=True)
class Place:
    """The origin or the destination."""

    name: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Station:
    """A candidate station: `power_kw` is what this vehicle can draw there (min of the connector's and the
    vehicle's maximum for that current type; 0 when no connector fits), `wait_minutes` the expected wait."""

    id: str
    name: str
    power_kw: float
    wait_minutes: float = 0.0
    available: bool = True
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Leg:
    """One drivable leg: minutes and kWh (negative: recuperated downhill), km when known (for messages)."""

    minutes: float
    kwh: float
    km: float | None = None


@dataclass(frozen=True)
class Problem:
    origin: Place
    destination: Place
    stations: Sequence[Station]
    legs: Mapping[tuple[str, str], Leg]  # keys: ORIGIN, DESTINATION or a station id
    battery_kwh: float  # usable
    peak_kw: float  # the vehicle's DC peak
    start_soc: float  # %
    reserve_soc: float  # %
    arrival_soc: float  # %
    curve: tuple[tuple[float, float], ...] = DEFAULT_CURVE
    power_factor: float = 1.0  # temperature / state of health (simulation.battery.temperature.dc_power_factor)
    step: float = 1.0  # % of SoC per level
    network: LegTable | None = None  # the legs between stations, prepared once; `legs` then adds the trip's own


@dataclass
class Stop:
    station_id: str
    name: str
    arrive_after_minutes: float  # from departure
    arrival_soc: float
    charge_to_soc: float
    wait_minutes: float
    charge_minutes: float
    kwh: float
    power_kw: float


@dataclass
class Plan:
    stops: list[Stop]
    path: list[str]  # every node driven through, stations passed without charging included
    drive_minutes: float
    charge_minutes: float
    wait_minutes: float
    total_minutes: float
    kwh_charged: float
    drive_kwh: float
    arrival_soc: float
    labels: int = 0  # the search's work: node rows expanded
    notes: list[str] = field(default_factory=list)


# --- the charging curve ----------------------------------------------------------------------------------------------


def check(problem: Problem) -> None:
    """Raise ProblemError naming each bad field."""
    errors: dict[str, str] = {}

    def percent(name: str, value: float) -> None:
        if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 100:
            errors[name] = "Give a percentage between 0 and 100."

    percent("start_soc", problem.start_soc)
    percent("reserve_soc", problem.reserve_soc)
    percent("arrival_soc", problem.arrival_soc)
    if not errors:
        if problem.start_soc < problem.reserve_soc:
            errors["start_soc"] = (
                f"The start SoC ({problem.start_soc:g} %) is below the reserve ({problem.reserve_soc:g} %): charge "
                "before leaving or lower the reserve."
            )
        if problem.arrival_soc < problem.reserve_soc:
            errors["arrival_soc"] = (
                f"The arrival SoC ({problem.arrival_soc:g} %) is below the reserve ({problem.reserve_soc:g} %): the "
                "reserve must hold at the destination too; raise it to at least the reserve."
            )
    if not (math.isfinite(problem.battery_kwh) and problem.battery_kwh > 0):
        errors["battery_kwh"] = "Give the usable battery capacity in kWh, above 0."
    if not (math.isfinite(problem.peak_kw) and problem.peak_kw > 0):
        errors["peak_kw"] = "Give the vehicle's DC peak power in kW, above 0."
    if not (math.isfinite(problem.power_factor) and 0 < problem.power_factor <= 1):
        errors["power_factor"] = "Give the share of peak power the battery accepts, above 0 and at most 1."
    if not (
        math.isfinite(problem.step)
        and 0.1 <= problem.step <= 25
        and abs(100 / problem.step - round(100 / problem.step)) < 1e-6
    ):
        errors["step"] = "Give a SoC step that divides 100 %, between 0.1 and 25 (e.g. 1, 0.5, 2)."
    curve = problem.curve
    if (
        len(curve) < 2
        or curve[0][0] != 0
        or curve[-1][0] != 100
        or any(b[0] <= a[0] for a, b in zip(curve, curve[1:], strict=False))
        or any(not 0 < share <= 1 for _, share in curve)
    ):
        errors["curve"] = "Give (SoC %, share of peak) points from 0 % to 100 %, SoC increasing, shares in (0, 1]."
    ids = [station.id for station in problem.stations]
    if len(set(ids)) != len(ids) or {ORIGIN, DESTINATION} & set(ids):
        errors["stations"] = f"Station ids must be unique and not '{ORIGIN}' or '{DESTINATION}'."
    for station in problem.stations:
        if not (math.isfinite(station.power_kw) and station.power_kw >= 0):
            errors["stations"] = f"Station {station.name}: power_kw must be a number of kW, 0 or more."
        if not (math.isfinite(station.wait_minutes) and station.wait_minutes >= 0):
            errors["stations"] = f"Station {station.name}: wait_minutes must be 0 or more."
    known = set(ids) | {ORIGIN, DESTINATION}
    for (a, b), leg in problem.legs.items():
        if a not in known or b not in known:
            errors["legs"] = f"Leg {a} → {b} names an unknown node; use '{ORIGIN}', '{DESTINATION}' or a station id."
            break
        if not (math.isfinite(leg.minutes) and leg.minutes > 0 and math.isfinite(leg.kwh)):
            errors["legs"] = f"Leg {a} → {b}: minutes must be above 0 and kWh a number."
            break
    if errors:
        raise ProblemError(errors)


def _ramp_minutes(ds: float, p0: float, p1: float, kwh_per_percent: float) -> float:
    """Minutes to charge `ds` % while the power goes linearly from p0 to p1 kW: ∫ ds / p(s), exactly."""
    if ds <= 0:
        return 0.0
    if abs(p1 - p0) < 1e-12 * max(p0, p1):
        hours = kwh_per_percent * ds / p0
    else:
        hours = kwh_per_percent * ds * math.log(p1 / p0) / (p1 - p0)
    return hours * 60.0


def _power_points(curve, peak_kw: float, cap_kw: float, factor: float) -> list[tuple[float, float]]:
    """The breakpoints of min(peak × curve(s), cap) × factor, crossings of the cap included."""
    points: list[tuple[float, float]] = []
    for (s0, f0), (s1, f1) in zip(curve, curve[1:], strict=False):
        p0, p1 = peak_kw * f0, peak_kw * f1
        points.append((s0, min(p0, cap_kw) * factor))
        if (p0 - cap_kw) * (p1 - cap_kw) < 0:
            sc = s0 + (cap_kw - p0) / (p1 - p0) * (s1 - s0)
            points.append((sc, cap_kw * factor))
    s_last, f_last = curve[-1]
    points.append((s_last, min(peak_kw * f_last, cap_kw) * factor))
    return points


@lru_cache(maxsize=4096)
def cumulative_minutes(
    curve: tuple[tuple[float, float], ...],
    peak_kw: float,
    cap_kw: float,
    factor: float,
    battery_kwh: float,
    step: float,
) -> tuple[float, ...]:
    """Minutes to charge from 0 % to each level (0, step, 2·step, … 100 %) at a station of `cap_kw`."""
    points = _power_points(curve, peak_kw, cap_kw, factor)
    kwh_per_percent = battery_kwh / 100.0
    levels = round(100 / step)
    out = [0.0]
    total = 0.0
    seg = 0
    for level in range(1, levels + 1):
        lo, hi = (level - 1) * step, level * step
        s = lo
        while s < hi - EPS:
            while seg < len(points) - 2 and points[seg + 1][0] <= s + EPS:
                seg += 1
            (s0, p0), (s1, p1) = points[seg], points[seg + 1]
            end = min(hi, s1)
            pa = p0 + (p1 - p0) * (s - s0) / (s1 - s0)
            pb = p0 + (p1 - p0) * (end - s0) / (s1 - s0)
            total += _ramp_minutes(end - s, pa, pb, kwh_per_percent)
            s = end
        out.append(total)
    return tuple(out)


# --- the discrete model, shared by the search and the references -----------------------------------------------------


class LegTable:
    """The legs between stations, grouped per station once: a network many trips reuse (`Problem.network`); each
    trip adds only its origin's and destination's legs."""

    def __init__(self, station_ids: Sequence[str], legs: Mapping[tuple[str, str], Leg]):
        index = {sid: k for k, sid in enumerate(station_ids, start=1)}
        columns: list[list[float]] = [[], [], [], [], []]
        for (a, b), leg in legs.items():
            i, j = index.get(a), index.get(b)
            if i is None or j is None:
                raise ProblemError({"legs": f"Leg {a} → {b}: the network holds legs between its stations only."})
            for column, value in zip(columns, (i, j, leg.minutes, leg.kwh, leg.km), strict=True):
                column.append(math.nan if value is None else value)
        self._fill(station_ids, *(np.asarray(column, dtype=float) for column in columns))

    @classmethod
    def from_arrays(cls, station_ids: Sequence[str], tails, heads, minutes, kwh, km) -> LegTable:
        """The same from arrays: `tails` and `heads` are positions in `station_ids` counted from 1, `km` may hold
        NaN (unknown)."""
        table = cls.__new__(cls)
        table._fill(station_ids, *(np.asarray(x, dtype=float) for x in (tails, heads, minutes, kwh, km)))
        return table

    def _fill(self, station_ids, tails, heads, minutes, kwh, km) -> None:
        self.station_ids = tuple(station_ids)
        bad = np.flatnonzero(~(np.isfinite(minutes) & (minutes > 0) & np.isfinite(kwh)))
        if len(bad):
            a, b = (self.station_ids[int(x[bad[0]]) - 1] for x in (tails, heads))
            raise ProblemError({"legs": f"Leg {a} → {b}: minutes must be above 0 and kWh a number."})
        keep = tails != heads
        tails, heads = tails[keep].astype(np.int64), heads[keep].astype(np.int64)
        order = np.argsort(tails, kind="stable")
        bounds = np.cumsum(np.bincount(tails, minlength=len(self.station_ids) + 1))[:-1]
        self.rows = list(
            zip(
                np.split(heads[order], bounds),
                *(np.split(x[keep][order], bounds) for x in (minutes, kwh, km)),
                strict=True,
            )
        )
        self._used: dict[float, list[np.ndarray]] = {}

    def used(self, per_level_kwh: float) -> list[np.ndarray]:
        """Per station row, the levels its legs use at this level size (kept for the next trip of that size)."""
        if per_level_kwh not in self._used:
            if len(self._used) >= 64:
                self._used.clear()
            self._used[per_level_kwh] = [_levels_used(row[2], per_level_kwh) for row in self.rows]
        return self._used[per_level_kwh]


def _levels_used(kwh: np.ndarray, per_level_kwh: float) -> np.ndarray:
    """Each leg's energy in whole levels, rounded up."""
    return np.ceil(kwh / per_level_kwh - 1e-9).astype(np.int64)


def _arrays(row: list[tuple[int, float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not row:
        return (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0), np.empty(0))
    to, minutes, kwh, km = zip(*row, strict=True)
    return (np.asarray(to, dtype=np.int64), np.asarray(minutes, float), np.asarray(kwh, float), np.asarray(km, float))


@dataclass
class Model:
    """The problem on SoC levels: node 0 the origin, 1..n the stations, n + 1 the destination."""

    names: list[str]
    ids: list[str]
    n: int
    levels: int
    start: int
    reserve: int
    required: int
    to: list[np.ndarray]  # per node: the nodes its legs reach
    minutes: list[np.ndarray]  # … their minutes
    used: list[np.ndarray]  # … the levels they use (rounded up)
    km: list[np.ndarray]  # … their km (NaN: unknown)
    wait: list[float]
    cum: list[tuple[float, ...] | None]  # None: no charging there
    power: list[float]
    min_level_minutes: float  # the fastest a level can be charged anywhere
    per_level_kwh: float = 0.0


def model(problem: Problem) -> Model:
    check(problem)
    step = problem.step
    levels = round(100 / step)
    n = len(problem.stations)
    ids = [ORIGIN, *(s.id for s in problem.stations), DESTINATION]
    names = [problem.origin.name, *(s.name for s in problem.stations), problem.destination.name]
    index = {node_id: i for i, node_id in enumerate(ids)}
    network = problem.network
    if network is not None and network.station_ids != tuple(ids[1:-1]):
        raise ProblemError({"network": "The network's stations must be the problem's stations, in the same order."})
    extra: list[list[tuple[int, float, float, float]]] = [[] for _ in ids]
    for (a, b), leg in problem.legs.items():
        i, j = index[a], index[b]
        if i == j or j == 0 or i == n + 1:
            continue
        extra[i].append((j, leg.minutes, leg.kwh, leg.km if leg.km is not None else math.nan))
    per_level_kwh = problem.battery_kwh * step / 100.0
    network_used = network.used(per_level_kwh) if network is not None else None
    to, minutes, used, km = [], [], [], []
    for i in range(n + 2):
        if network_used is not None and 1 <= i <= n and not extra[i]:  # the common case: the network's row as is
            t_, m_, _, d_ = network.rows[i]
            u_ = network_used[i]
        else:
            parts = [_arrays(extra[i])]
            if network is not None and 1 <= i <= n:
                parts.insert(0, network.rows[i])
            t_, m_, k_, d_ = (np.concatenate(column) for column in zip(*parts, strict=True))
            u_ = _levels_used(k_, per_level_kwh)
        to.append(t_)
        minutes.append(m_)
        used.append(u_)
        km.append(d_)
    wait = [0.0] * (n + 2)
    cum: list[tuple[float, ...] | None] = [None] * (n + 2)
    power = [0.0] * (n + 2)
    fastest = 0.0
    for k, station in enumerate(problem.stations, start=1):
        wait[k] = float(station.wait_minutes)
        if station.available and station.power_kw > 0:
            cum[k] = cumulative_minutes(
                tuple(problem.curve), problem.peak_kw, station.power_kw, problem.power_factor, problem.battery_kwh, step
            )
            power[k] = min(problem.peak_kw, station.power_kw) * problem.power_factor
            fastest = max(fastest, power[k])
    min_level_minutes = per_level_kwh / fastest * 60.0 if fastest > 0 else math.inf
    return Model(
        names=names,
        ids=ids,
        n=n,
        levels=levels,
        start=math.floor(problem.start_soc / step + 1e-9),
        reserve=math.ceil(problem.reserve_soc / step - 1e-9),
        required=math.ceil(problem.arrival_soc / step - 1e-9),
        to=to,
        minutes=minutes,
        used=used,
        km=km,
        wait=wait,
        cum=cum,
        power=power,
        min_level_minutes=min_level_minutes,
        per_level_kwh=per_level_kwh,
    )


class _Backward:
    """The legs reversed as one graph for scipy's Dijkstra toward the destination. Built as CSR directly, so two
    legs between the same nodes stay two edges (Dijkstra takes the cheaper; csr_matrix from pairs would add them)."""

    def __init__(self, m: Model):
        size = m.n + 2
        self.size = size
        lengths = np.array([len(t) for t in m.to])
        heads = np.concatenate(m.to)
        # the legs in node order are a CSR graph as they stand; its transpose (in C) is the reversed graph, and
        # carrying each leg's position through it gives the order of the weights
        count = len(heads)
        forward = csr_matrix(
            (np.arange(1, count + 1, dtype=float), heads, np.concatenate([[0], np.cumsum(lengths)])), shape=(size, size)
        )
        reverse = forward.transpose().tocsr()
        if reverse.nnz != count:  # pragma: no cover - a transpose keeps every entry; never rely on it silently
            raise RuntimeError("The reversed leg graph lost legs.")
        self.order = reverse.data.astype(np.int64) - 1
        self.indices, self.indptr = reverse.indices, reverse.indptr
        self.minutes = np.concatenate(m.minutes)
        used = np.concatenate(m.used)
        self.levels = np.maximum(used, 0).astype(float)
        self.recuperates = bool(count) and int(used.min()) < 0

    def run(self, weights: np.ndarray) -> np.ndarray:
        """Per node, the least sum of the legs' `weights` to the destination."""
        # csgraph reads an explicit 0 as no edge: a leg using no energy weighs a tiny amount instead
        graph = csr_matrix((np.maximum(weights[self.order], 1e-12), self.indices, self.indptr), shape=(self.size,) * 2)
        return dijkstra(graph, directed=True, indices=self.size - 1)


def _reverse_bounds(m: Model, backward: _Backward | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per node: the fewest driving minutes and the fewest levels used to the destination (Dijkstra backwards)."""
    backward = backward or _Backward(m)
    return backward.run(backward.minutes), np.floor(backward.run(backward.levels) + 1e-6)


def _bound(m: Model) -> np.ndarray:
    """h[v, a]: a lower bound on the minutes from node v with level a to the destination, consistent along legs
    and charging: the fewest driving minutes, plus the levels lacking for the fewest levels to the destination and
    the arrival SoC, each at the fastest a level charges anywhere. Legs that recuperate (negative kWh) could make
    up levels for free: the bound is then the driving minutes alone."""
    backward = _Backward(m)
    drive, energy = _reverse_bounds(m, backward)
    h = np.repeat(drive[:, None], m.levels + 1, axis=1)
    if not backward.recuperates and math.isfinite(m.min_level_minutes):
        lacking = np.maximum(m.required + energy[:, None] - np.arange(m.levels + 1)[None, :], 0.0)
        h[np.isfinite(drive)] += lacking[np.isfinite(drive)] * m.min_level_minutes
    return h


def _explain_infeasible(m: Model, problem: Problem) -> None:
    """Raise Infeasible when no plan exists even charging to 100 % at every station; say where and why."""
    top = m.levels
    dest = m.n + 1
    best = np.full(m.n + 2, -1, dtype=np.int64)  # the highest level each node can be reached with
    best[0] = m.start
    stack = [0]
    while stack:
        i = stack.pop()
        leave = top if m.cum[i] is not None else int(best[i])
        arrive = np.minimum(top, leave - m.used[i])
        better = (arrive >= m.reserve) & (arrive > best[m.to[i]])
        for j, level in zip(m.to[i][better].tolist(), arrive[better].tolist(), strict=True):
            if level > best[j]:
                first = best[j] < 0
                best[j] = level
                if j != dest and (first or m.cum[j] is None):  # a station that charges leaves full however reached
                    stack.append(j)
    step = problem.step
    if best[dest] >= m.required:
        return
    if best[dest] >= 0:
        raise Infeasible(
            f"The arrival SoC of {problem.arrival_soc:g} % cannot be met: at most {best[dest] * step:g} % is "
            f"reachable at {m.names[dest]} even charging to 100 % at the last station (lower the arrival SoC).",
            field="arrival_soc",
        )
    drive_h, _ = _reverse_bounds(m)
    reached = [i for i in range(m.n + 1) if best[i] >= 0]
    # the node reached that is nearest the destination by driving time (else the origin)
    frontier = min(reached, key=lambda i: (drive_h[i], i))
    charged = m.cum[frontier] is not None
    have = (top if charged else int(best[frontier])) - m.reserve
    legs = [
        (j, used, km)
        for j, _, used, km in zip(
            *(x.tolist() for x in (m.to[frontier], m.minutes[frontier], m.used[frontier], m.km[frontier])), strict=True
        )
        if j != 0
    ]
    per_level_km = [km / used for _, used, km in legs if used > 0 and math.isfinite(km)]
    whence = "from full" if charged else f"from its {int(best[frontier]) * step:g} %"
    covers = f"the {max(per_level_km) * have:.0f} km" if per_level_km else f"the {have * step:g} % of the battery"
    needs = ""
    if legs:
        j, used, km = min(legs, key=lambda leg: (leg[1], leg[0]))
        needs = f" (the nearest, {m.names[j]}, needs {used * step:g} %" + (
            f" over {km:.0f} km)" if math.isfinite(km) else ")"
        )
    raise Infeasible(
        f"From {m.names[frontier]} no station or the destination is within {covers} the vehicle covers "
        f"{whence} above the {problem.reserve_soc:g} % reserve{needs}.",
        field="destination",
    )


# --- the search ------------------------------------------------------------------------------------------------------


def _suffix_min(values: np.ndarray) -> np.ndarray:
    """Along the last axis: out[..., a] = min(values[..., a:])."""
    return np.minimum.accumulate(values[..., ::-1], axis=-1)[..., ::-1]


class _Search:
    """The search state of one trip (see the module's docstring, "The method").

    `at[v, a]`: the fewest minutes to be at node v, just arrived (its wait not paid), with a level ≥ a; `direct`
    the same before the closure over higher levels (only levels from the reserve up are ever arrived with), with
    `from_node` / `from_leg` the leg each entry came by. Node rows are expanded whole (numpy over legs × levels)."""

    def __init__(self, m: Model):
        self.m = m
        size, width = m.n + 2, m.levels + 1
        self.width = width
        self.dest = m.n + 1
        self.grid = np.arange(width)
        self.h = _bound(m)
        self.h_full = self.h[:, -1].copy()  # the bound's least value at each node (h falls as the level rises)
        self.reachable = np.isfinite(self.h_full)
        self.at = np.full((size, width), np.inf)
        self.direct = np.full((size, width), np.inf)
        self.from_node = np.full((size, width), -1, dtype=np.int64)
        self.from_leg = np.full((size, width), -1, dtype=np.int64)
        arrays: dict[int, np.ndarray] = {}  # the stations share a few curves (one per power): convert each once
        for c in m.cum:
            if c is not None and id(c) not in arrays:
                arrays[id(c)] = np.asarray(c)
        self.cum = [None if c is None else arrays[id(c)] for c in m.cum]
        self.legs: dict[int, list[tuple[np.ndarray, ...]]] = {}
        self.best = math.inf  # the incumbent: minutes of the best complete plan found so far
        self.expanded = 0

    def _legs_of(self, v: int) -> list[tuple[np.ndarray, ...]]:
        """v's useful legs as groups with distinct targets: targets, minutes, where each leg's row starts in the
        padded departures (see `expand`) and the legs' indices in the model."""
        m, top, reserve = self.m, self.m.levels, self.m.reserve
        to, minutes, used = m.to[v], m.minutes[v], m.used[v]
        floor = np.where(to == self.dest, m.required, reserve)
        keep = (to != 0) & self.reachable[to] & (used <= top - floor)
        index = np.flatnonzero(keep)
        to, minutes, used = to[keep], minutes[keep], used[keep]
        # arriving with ≥ a (a from the reserve up) takes leaving with ≥ a + used; far downhill legs: any level
        start = self.width + reserve + np.maximum(used, -self.width - reserve)
        if not len(to) or np.bincount(to).max() == 1:  # the common case: one leg per target
            return [(to, minutes, start, index)]
        groups = []
        rest = np.ones(len(to), dtype=bool)
        while rest.any():  # duplicate targets (two legs between the same nodes) go in separate groups
            mask = np.zeros(len(to), dtype=bool)
            mask[np.flatnonzero(rest)[np.unique(to[rest], return_index=True)[1]]] = True
            groups.append((to[mask], minutes[mask], start[mask], index[mask]))
            rest &= ~mask
        return groups

    def departures(self, v: int, *, how: bool = False):
        """At v: the fewest minutes to leave with a level ≥ L (closure over L); with `how`, also for each L the
        charge's start level of the best exact departure (-1: no charge) and that departure's level."""
        arrived = self.at[v]
        cum = self.cum[v]
        if cum is None:
            return (arrived, np.full(self.width, -1, dtype=np.int64), self.grid) if how else arrived
        # charging from ℓ to L costs wait + cum[L] − cum[ℓ]: the best ℓ < L is a running minimum of at − cum
        gap = arrived - cum
        running = np.minimum.accumulate(gap)
        charged = np.empty(self.width)
        charged[0] = np.inf
        charged[1:] = self.m.wait[v] + cum[1:] + running[:-1]
        leave = np.minimum(arrived, charged)
        closure = _suffix_min(leave)
        if not how:
            return closure
        # the ℓ of each running minimum: the last index where gap equals it
        start_of = np.maximum.accumulate(np.where(gap == running, self.grid, 0))
        charge_from = np.full(self.width, -1, dtype=np.int64)
        charge_from[1:] = np.where(charged[1:] < arrived[1:], start_of[:-1], -1)
        return closure, charge_from, self._source(leave, closure)

    def _source(self, raw: np.ndarray, closure: np.ndarray) -> np.ndarray:
        """For each level a, the first a' ≥ a where raw[a'] holds the closure's value."""
        idx = np.where(raw == closure, self.grid, self.width)
        return np.minimum.accumulate(idx[::-1])[::-1]

    def expand(self, v: int) -> list[tuple[float, int]]:
        """Drive every leg of v from every level v can be left with; the targets improved, with their keys."""
        self.expanded += 1
        width, reserve = self.width, self.m.reserve
        leave = self.departures(v)
        # padded so that row `start` of the window view holds, for a = reserve … top, the minutes to leave with
        # ≥ a + used: any level below 0 (leave[0]), none above the top (inf)
        padded = np.concatenate((np.full(width, leave[0]), leave, np.full(width, np.inf)))
        span = width - reserve  # a read-only view: row i is padded[i : i + span]
        window = as_strided(padded, shape=(len(padded) - span + 1, span), strides=padded.strides * 2, writeable=False)
        pushes = []
        if v not in self.legs:
            self.legs[v] = self._legs_of(v)
        for group in self.legs[v]:
            to, minutes, start, index = group
            # a row's least arrival leaves with its least level, and the bound is least at the full level
            useful = np.flatnonzero(padded[start] + minutes + self.h_full[to] < self.best)
            if len(useful) < len(to):
                if not len(useful):
                    continue
                to, minutes, start, index = (x[useful] for x in group)
            cand = window[start] + minutes[:, None]
            better = cand < self.at[to, reserve:]
            rows = np.flatnonzero(better.any(axis=1))
            if not len(rows):
                continue
            tj, ok, cand = to[rows], better[rows], cand[rows]
            direct = self.direct[tj]
            direct[:, reserve:] = np.where(ok, cand, direct[:, reserve:])
            self.direct[tj] = direct
            self.at[tj] = _suffix_min(direct)
            self.from_node[tj, reserve:] = np.where(ok, v, self.from_node[tj, reserve:])
            self.from_leg[tj, reserve:] = np.where(ok, index[rows][:, None], self.from_leg[tj, reserve:])
            keys = np.where(ok, cand + self.h[tj, reserve:], np.inf).min(axis=1)
            for j, key in zip(tj.tolist(), keys.tolist(), strict=True):
                if j == self.dest:
                    self.best = min(self.best, float(self.at[j, self.m.required]))
                else:
                    pushes.append((key, j))
        return pushes

    def run(self, start: int) -> bool:
        self.at[0, : start + 1] = 0.0
        self.direct[0, start] = 0.0
        pending = np.full(self.m.n + 2, np.inf)
        pending[0] = float(self.h[0, start])
        heap = [(pending[0], 0)]
        while heap:
            key, v = heapq.heappop(heap)
            if key != pending[v]:
                continue  # a stale entry: v was pushed again with a lower key or expanded since
            if key >= self.best:
                break  # nothing left can lead to a faster plan
            pending[v] = np.inf
            for key_j, j in self.expand(v):
                if key_j < pending[j]:
                    pending[j] = key_j
                    heapq.heappush(heap, (key_j, j))
        return math.isfinite(self.best)

    def states(self, start: int) -> list[tuple[int, int, float, int]]:
        """The best plan as its chain of states (node, level, minutes, phase), one drive or one level of charge
        apart, walked back through the entries and timed forward."""
        m = self.m
        hops: list[tuple[int, int, int]] = []  # (node, the level its charge reaches or -1, leg), from the end back
        node, level = self.dest, m.required
        for _ in range(m.n * self.width + 2):
            source = self._source(self.direct[node], self.at[node])[level]
            prev, leg = int(self.from_node[node, source]), int(self.from_leg[node, source])
            departure = max(0, source + int(m.used[prev][leg]))  # the closure level it left with (source ≥ reserve)
            _, charge_from, source_of = self.departures(prev, how=True)
            exact = int(source_of[departure])  # the exact level left with
            if charge_from[exact] >= 0:
                hops.append((prev, exact, leg))
                level = int(charge_from[exact])
            else:
                hops.append((prev, -1, leg))
                level = exact
            node = prev
            if node == 0:
                break
        else:  # pragma: no cover - the entries always lead back to the origin
            raise RuntimeError("The search's entries do not lead back to the origin.")
        hops.reverse()
        chain = [(0, start, 0.0, 0)]
        level, t = start, 0.0
        for node, target, leg in hops:
            cum = m.cum[node]
            if target > level:
                for step in range(level, target):
                    t += cum[step + 1] - cum[step] + (m.wait[node] if step == level else 0.0)
                    chain.append((node, step + 1, t, 1))
                level = target
            level = min(m.levels, level - int(m.used[node][leg]))
            t += float(m.minutes[node][leg])
            chain.append((int(m.to[node][leg]), level, t, 0))
        return chain


def plan(problem: Problem) -> Plan:
    """The fastest plan; Infeasible when there is none, ProblemError for bad input."""
    m = model(problem)
    search = _Search(m)
    if not search.run(m.start):
        _explain_infeasible(m, problem)
        raise Infeasible("No plan reaches the destination.")  # the reachability pass rules this out
    return plan_from_states(m, problem, search.states(m.start), labels=search.expanded)


def plan_from_states(m: Model, problem: Problem, states: list[tuple[int, int, float, int]], *, labels: int = 0) -> Plan:
    """Turn a chain of states (node, level, minutes, phase) — each a drive or one level of charge after the last —
    into the plan with its stops and totals."""
    step = problem.step
    per_level_kwh = problem.battery_kwh * step / 100.0
    stops: list[Stop] = []
    path = [m.ids[states[0][0]]]
    drive = 0.0
    drive_levels = 0
    current: Stop | None = None
    for (n0, l0, t0, _), (n1, l1, t1, _p1) in zip(states, states[1:], strict=False):
        if n1 == n0:  # one level more of charge
            if current is None:
                current = Stop(
                    station_id=m.ids[n1],
                    name=m.names[n1],
                    arrive_after_minutes=t0,
                    arrival_soc=l0 * step,
                    charge_to_soc=l1 * step,
                    wait_minutes=m.wait[n1],
                    charge_minutes=t1 - t0 - m.wait[n1],
                    kwh=per_level_kwh,
                    power_kw=m.power[n1],
                )
                stops.append(current)
            else:
                current.charge_to_soc = l1 * step
                current.charge_minutes += t1 - t0
                current.kwh += per_level_kwh
        else:
            current = None
            drive += t1 - t0
            drive_levels += l0 - l1
            path.append(m.ids[n1])
    total = states[-1][2]
    charge = sum(stop.charge_minutes for stop in stops)
    wait = sum(stop.wait_minutes for stop in stops)
    for stop in stops:
        stop.kwh = round(stop.kwh, 6)
    return Plan(
        stops=stops,
        path=path,
        drive_minutes=drive,
        charge_minutes=charge,
        wait_minutes=wait,
        total_minutes=total,
        kwh_charged=sum(stop.kwh for stop in stops),
        drive_kwh=drive_levels * per_level_kwh,
        arrival_soc=states[-1][1] * step,
        labels=labels,
    )
