"""The smart-charging problem in plain data: a horizon of equal intervals, a tree of power limits, the vehicles
plugged in (or expected) with what they need, and the schedule an algorithm returns. No Django here.

Units: power in kW, energy in kWh, prices per kWh (any currency), carbon in g CO2e/kWh, demand charge per kW of
the horizon's peak. Interval t covers [start + t*step, start + (t+1)*step).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PRIORITIES = ("critical", "normal", "low")  # a vehicle's priority class
# the optimizer's classes: the vehicles', and below them placeholders for the vehicles a forecast expects
EXPECTED = "expected"
CLASSES = (*PRIORITIES, EXPECTED)


class ProblemError(ValueError):
    """Bad input, with the field at fault: {"vehicles[3].departure": "..."}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class LimitNode:
    """A power limit in the site's tree: the site's grid connection, a feeder, a charge point, a connector.
    `max_kw` is one figure, or one per interval (e.g. the site's limit minus the building's forecast load)."""

    id: str
    max_kw: float | Sequence[float]
    parent: str | None = None
    kind: str = "site"  # site, feeder, charge_point, connector

    def limit_at(self, t: int) -> float:
        return float(self.max_kw[t]) if isinstance(self.max_kw, Sequence) else float(self.max_kw)


@dataclass
class Request:
    """A vehicle on (or due at) a connector: when it is there, how much energy it needs and how fast it may take
    it. `max_kw` already holds the vehicle's, the connector's and the battery-health limits (profiles.py).

    The taper: above `taper_from_soc` % the rate falls linearly to `taper_end_kw` at 100 % (constant current,
    then constant voltage), from the SoC the charging has reached by then."""

    id: str
    node: str  # the limit node it charges under (its connector)
    arrival: int  # first interval it may charge in
    departure: int  # the interval it leaves at (exclusive)
    energy_kwh: float  # what it needs by departure
    max_kw: float
    priority: str = "normal"
    soc_percent: float | None = None
    capacity_kwh: float | None = None
    taper_from_soc: float | None = None
    taper_end_kw: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def tapers(self) -> bool:
        if self.taper_from_soc is None or self.soc_percent is None or not self.capacity_kwh:
            return False
        # the knee itself is the usual daily target: reaching it exactly does not taper
        return self.soc_percent + self.energy_kwh / self.capacity_kwh * 100.0 > self.taper_from_soc + 0.01


@dataclass
class Problem:
    start: datetime
    step: timedelta
    intervals: int
    price: Sequence[float]  # per kWh, per interval
    nodes: dict[str, LimitNode]
    requests: list[Request]
    carbon_g_per_kwh: Sequence[float] | None = None
    carbon_price_per_kg: float = 0.0  # how much a kg of CO2e weighs against money in the objective
    demand_charge_per_kw: float = 0.0  # per kW of the horizon's peak site power
    # the billing period's peak so far (kW, the building's load included): it is paid for whatever the plan does,
    # so the demand charge is on max(peak, peak_floor_kw) and power up to it costs no more
    peak_floor_kw: float = 0.0
    baseline_kw: Sequence[float] | None = None  # load at the root that is not ours to control (building)

    @property
    def hours(self) -> float:
        return self.step.total_seconds() / 3600.0

    def root(self) -> LimitNode:
        return next(n for n in self.nodes.values() if n.parent is None)

    def ancestors(self, node_id: str) -> list[str]:
        """The node and every node above it, up to the root."""
        chain, current = [], node_id
        while current is not None:
            chain.append(current)
            current = self.nodes[current].parent
        return chain

    def validate(self) -> list[tuple[Request, str]]:
        """Raise ProblemError for malformed input (naming the field); return the requests that cannot be served at
        all, with the reason, so the caller can say "cannot serve" instead of failing."""
        errors: dict[str, str] = {}
        if self.intervals <= 0:
            errors["intervals"] = "Plan at least one interval."
        if len(self.price) != self.intervals:
            errors["price"] = f"Give one price per interval ({self.intervals}), not {len(self.price)}."
        roots = [n for n in self.nodes.values() if n.parent is None]
        if len(roots) != 1:
            errors["nodes"] = f"The limits need exactly one root (the site's grid connection), not {len(roots)}."
        for node in self.nodes.values():
            if node.parent is not None and node.parent not in self.nodes:
                errors[f"nodes.{node.id}.parent"] = f"Unknown parent {node.parent!r}."
            values = node.max_kw if isinstance(node.max_kw, Sequence) else [node.max_kw]
            if isinstance(node.max_kw, Sequence) and len(values) != self.intervals:
                errors[f"nodes.{node.id}.max_kw"] = f"Give one limit per interval ({self.intervals})."
            elif any(v is None or v <= 0 for v in values):
                errors[f"nodes.{node.id}.max_kw"] = "A limit must be above 0 kW; remove the node to lift it."
        seen = set()
        for index, r in enumerate(self.requests):
            where = f"requests[{index}]"
            if r.id in seen:
                errors[f"{where}.id"] = f"Vehicle {r.id!r} appears twice."
            seen.add(r.id)
            if r.departure <= r.arrival:
                errors[f"{where}.departure"] = f"{r.id}: the departure is not after the arrival."
            if r.energy_kwh < 0:
                errors[f"{where}.energy_kwh"] = f"{r.id}: the target SoC is below the current SoC."
            if r.priority not in CLASSES:
                errors[f"{where}.priority"] = f"{r.id}: priority is one of {', '.join(PRIORITIES)}."
            if r.node not in self.nodes:
                errors[f"{where}.node"] = f"{r.id}: unknown connector {r.node!r}."
        if self.demand_charge_per_kw < 0:
            errors["demand_charge_per_kw"] = "A demand charge cannot be negative; use 0 for none."
        if self.peak_floor_kw < 0:
            errors["peak_floor_kw"] = "The peak so far cannot be negative; use 0 at the start of a billing period."
        if errors:
            raise ProblemError(errors)
        cannot = []
        for r in self.requests:
            if r.max_kw <= 0:
                detail = f": {r.reasons[-1]}" if r.reasons else ""
                cannot.append((r, f"no compatible connector, or no power it can take there{detail}"))
            elif r.departure <= 0 or r.arrival >= self.intervals:
                cannot.append((r, "not plugged in within the planning horizon"))
        return cannot


@dataclass
class Schedule:
    """Power per request per interval, and what it adds up to."""

    algorithm: str
    power_kw: dict[str, list[float]]
    unmet_kwh: dict[str, float]
    solve_seconds: float
    status: str = "optimal"
    objective: float | None = None
    cannot_serve: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def site_kw(self, intervals: int) -> list[float]:
        total = [0.0] * intervals
        for series in self.power_kw.values():
            for t, p in enumerate(series):
                total[t] += p
        return total
