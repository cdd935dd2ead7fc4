"""The V2G trading problem in plain data: a horizon of equal intervals, a tree of power limits in both directions,
the vehicles plugged in (or due) with their energy, the reserve that protects their next trip, what they need at
departure and how much they may give back; import and export prices, the marginal carbon signal and the battery's
wear. No Django here.

Units: power in kW, energy in kWh (what the battery holds), prices per kWh at the grid connection (any currency),
degradation cost per kWh of battery throughput, carbon in g CO2e/kWh. Interval t covers
[start + t·step, start + (t+1)·step). Power is measured at the charger (AC side): charging p kW for an interval of
Δ hours stores η_c·p·Δ kWh; discharging q kW takes q·Δ/η_d kWh out of the battery.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


class ProblemError(ValueError):
    """Bad input, with the field at fault: {"vehicles[3].reserve_kwh": "..."}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _series(value: float | Sequence[float], intervals: int) -> list[float]:
    if isinstance(value, Sequence):
        return [float(v) for v in value]
    return [float(value)] * intervals


@dataclass(frozen=True)
class Node:
    """A limit of the site's tree (grid connection, transformer, feeder, charger): the most it may import and the
    most it may export, one figure or one per interval (a demand-response event lowers them for its hours)."""

    id: str
    import_kw: float | Sequence[float]
    export_kw: float | Sequence[float] | None = None  # None: as much as it may import
    parent: str | None = None

    def import_at(self, t: int) -> float:
        return float(self.import_kw[t]) if isinstance(self.import_kw, Sequence) else float(self.import_kw)

    def export_at(self, t: int) -> float:
        limit = self.import_kw if self.export_kw is None else self.export_kw
        return float(limit[t]) if isinstance(limit, Sequence) else float(limit)


@dataclass
class Vehicle:
    """A vehicle on a bidirectional connector (`node`) from `arrival` to `departure` (exclusive).

    `energy_kwh` is what the battery holds at arrival, `target_kwh` what it must hold at departure, `reserve_kwh`
    what it must never be discharged below while plugged in (the next trip's need plus a margin): below the
    reserve it only charges. `max_discharge_kw` is 0 for a vehicle that does not take part in V2G (not capable,
    no consent, or a one-way connector); `discharge_intervals`, when given, are the only intervals it may
    discharge in (the consent's hours); `max_discharge_kwh` caps the energy it gives back over the horizon (the
    daily throughput cap). `degradation_per_kwh` is the wear of one kWh through the battery."""

    id: str
    node: str
    arrival: int
    departure: int
    capacity_kwh: float
    energy_kwh: float
    target_kwh: float
    max_charge_kw: float
    max_discharge_kw: float = 0.0
    reserve_kwh: float = 0.0
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    degradation_per_kwh: float = 0.0
    max_discharge_kwh: float | None = None
    discharge_intervals: frozenset[int] | None = None
    forecast: bool = False  # a placeholder for vehicles expected later: it holds room for their import, never
    # offsets an export (if it does not come, the export must still fit)

    @property
    def bidirectional(self) -> bool:
        return self.max_discharge_kw > 0


@dataclass
class Problem:
    intervals: int
    step_hours: float
    import_price: Sequence[float]  # per kWh bought, per interval
    export_price: Sequence[float]  # per kWh sold, per interval (never above the import price)
    nodes: dict[str, Node]
    vehicles: list[Vehicle]
    carbon_g_per_kwh: Sequence[float] | None = None  # the marginal signal: what a kWh more or less emits
    carbon_price_per_kg: float = 0.0
    baseline_kw: Sequence[float] | None = None  # the building's load at the root, not ours to control
    first_interval: int = 0  # the intervals before it are past (an online re-plan): nothing is planned there

    def root(self) -> Node:
        return next(n for n in self.nodes.values() if n.parent is None)

    def ancestors(self, node_id: str) -> list[str]:
        chain, current = [], node_id
        while current is not None:
            chain.append(current)
            current = self.nodes[current].parent
        return chain

    def validate(self) -> None:
        """Raise ProblemError naming every malformed field."""
        errors: dict[str, str] = {}
        n = self.intervals
        if n <= 0:
            errors["intervals"] = "Plan at least one interval."
        if not (self.step_hours > 0 and math.isfinite(self.step_hours)):
            errors["step_hours"] = "The interval must be a positive number of hours."
        for name in ("import_price", "export_price"):
            values = getattr(self, name)
            if len(values) != n:
                errors[name] = f"Give one price per interval ({n}), not {len(values)}."
            elif not all(math.isfinite(v) for v in values):
                errors[name] = "Every price must be a finite number."
        if "import_price" not in errors and "export_price" not in errors:
            dear = [t for t in range(n) if self.export_price[t] > self.import_price[t] + 1e-12]
            if dear:
                errors["export_price"] = (
                    f"Selling pays more than buying in interval {dear[0]}: an export price above the import price "
                    "would pay for cycling energy through the grid; check the tariffs' margins."
                )
        if self.carbon_g_per_kwh is not None and len(self.carbon_g_per_kwh) != n:
            errors["carbon_g_per_kwh"] = f"Give one carbon intensity per interval ({n})."
        if self.baseline_kw is not None and len(self.baseline_kw) != n:
            errors["baseline_kw"] = f"Give one building load per interval ({n})."
        roots = [node for node in self.nodes.values() if node.parent is None]
        if len(roots) != 1:
            errors["nodes"] = f"The limits need exactly one root (the site's grid connection), not {len(roots)}."
        for node in self.nodes.values():
            if node.parent is not None and node.parent not in self.nodes:
                errors[f"nodes.{node.id}.parent"] = f"Unknown parent {node.parent!r}."
            for kind in ("import_kw", "export_kw"):
                value = getattr(node, kind)
                if value is None:
                    continue
                values = _series(value, n)
                if len(values) != n:
                    errors[f"nodes.{node.id}.{kind}"] = f"Give one limit per interval ({n})."
                elif any(not math.isfinite(v) or v < 0 for v in values):
                    errors[f"nodes.{node.id}.{kind}"] = "A limit is a finite number of kW, 0 or more."
        seen: set[str] = set()
        for index, v in enumerate(self.vehicles):
            where = f"vehicles[{index}]"
            if v.id in seen:
                errors[f"{where}.id"] = f"Vehicle {v.id!r} appears twice."
            seen.add(v.id)
            if v.node not in self.nodes:
                errors[f"{where}.node"] = f"{v.id}: unknown connector {v.node!r}."
            if v.departure <= v.arrival:
                errors[f"{where}.departure"] = f"{v.id}: the departure is not after the arrival."
            if v.capacity_kwh <= 0:
                errors[f"{where}.capacity_kwh"] = f"{v.id}: the battery's capacity must be above 0 kWh."
            if not 0 <= v.energy_kwh <= v.capacity_kwh + 1e-9:
                errors[f"{where}.energy_kwh"] = f"{v.id}: the energy held must lie between 0 and the capacity."
            if not 0 <= v.target_kwh <= v.capacity_kwh + 1e-9:
                errors[f"{where}.target_kwh"] = f"{v.id}: the departure target must lie between 0 and the capacity."
            if not 0 <= v.reserve_kwh <= v.capacity_kwh + 1e-9:
                errors[f"{where}.reserve_kwh"] = f"{v.id}: the reserve must lie between 0 and the capacity."
            if v.max_charge_kw < 0 or v.max_discharge_kw < 0:
                errors[f"{where}.max_discharge_kw"] = f"{v.id}: power limits are 0 kW or more."
            for name in ("charge_efficiency", "discharge_efficiency"):
                if not 0 < getattr(v, name) <= 1:
                    errors[f"{where}.{name}"] = f"{v.id}: an efficiency lies in (0, 1]."
            if v.degradation_per_kwh < 0:
                errors[f"{where}.degradation_per_kwh"] = f"{v.id}: wear cannot be negative; use 0 for none."
            if v.max_discharge_kwh is not None and v.max_discharge_kwh < 0:
                errors[f"{where}.max_discharge_kwh"] = f"{v.id}: the throughput cap is 0 kWh or more."
        if errors:
            raise ProblemError(errors)


@dataclass
class Schedule:
    """Charging and discharging power (kW, at the charger) per vehicle per interval, and what the plan expects."""

    algorithm: str
    charge_kw: dict[str, list[float]]
    discharge_kw: dict[str, list[float]]
    solve_seconds: float = 0.0
    status: str = "optimal"
    objective: float | None = None
    notes: list[str] = field(default_factory=list)

    def net_kw(self, vehicle_id: str, t: int) -> float:
        return self.charge_kw[vehicle_id][t] - self.discharge_kw[vehicle_id][t]
