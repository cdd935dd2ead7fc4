"""An E-VRPTW instance (electric vehicle routing with time windows and recharging stations) as plain data, and the
reader of the Schneider, Stenger & Goeke (2014) text format (``../shared/benchmarks/evrptw/FORMAT.txt``).

Identical vehicles leave one depot (node 0), serve every customer once inside its time window (waiting allowed)
within the load capacity, and may recharge at stations (full recharge, time linear in energy). Travel time =
distance / velocity, energy = consumption rate x distance. The instance carries its distance matrix, so an
instance built from a road network (not Euclidean) is the same object.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class InstanceError(ValueError):
    """An instance that cannot be used: ``field`` names what is missing or wrong (a line, a column, a parameter)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Node:
    """A location: ``kind`` is "depot", "station" or "customer"."""

    id: str
    kind: str
    x: float
    y: float
    demand: float = 0.0
    ready: float = 0.0
    due: float = math.inf
    service: float = 0.0


@dataclass(eq=False)
class Instance:
    """Nodes (the depot first), the vehicle's battery ``battery_capacity`` (energy units), ``load_capacity``,
    ``consumption_rate`` (energy per distance unit), ``recharge_rate`` (time per energy unit, "g") and
    ``velocity`` (distance per time unit); ``distance`` is the node-by-node distance matrix.

    ``max_vehicles`` caps the fleet when set (a real depot has so many vans); the benchmark leaves it open."""

    name: str
    nodes: list[Node]
    battery_capacity: float
    load_capacity: float
    consumption_rate: float
    recharge_rate: float
    velocity: float
    distance: np.ndarray = field(default=None)  # type: ignore[assignment]
    max_vehicles: int | None = None

    def __post_init__(self) -> None:
        if not self.nodes or self.nodes[0].kind != "depot":
            raise InstanceError("nodes", "the first node must be the depot")
        if sum(node.kind == "depot" for node in self.nodes) != 1:
            raise InstanceError("nodes", "exactly one depot")
        for name in ("battery_capacity", "load_capacity", "consumption_rate", "velocity"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InstanceError(name, "must be a positive number")
        if not (math.isfinite(self.recharge_rate) and self.recharge_rate >= 0):
            raise InstanceError("recharge_rate", "must be a number of at least 0")
        if self.distance is None:
            xy = np.array([(node.x, node.y) for node in self.nodes], dtype=float)
            self.distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        else:
            self.distance = np.asarray(self.distance, dtype=float)
            n = len(self.nodes)
            if self.distance.shape != (n, n):
                raise InstanceError("distance", f"must be {n} x {n}, one row and column per node")
            if not np.all(np.isfinite(self.distance)) or float(self.distance.min()) < 0:
                raise InstanceError("distance", "must be finite and not negative")

    @property
    def customers(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.kind == "customer"]

    @property
    def stations(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.kind == "station"]

    def travel_time(self, i: int, j: int) -> float:
        return float(self.distance[i, j]) / self.velocity

    def energy(self, i: int, j: int) -> float:
        return float(self.distance[i, j]) * self.consumption_rate


_KINDS = {"d": "depot", "f": "station", "c": "customer"}
_COLUMNS = ("StringID", "Type", "x", "y", "demand", "ReadyTime", "DueDate", "ServiceTime")
_PARAMETERS = {
    "Q": "battery_capacity",
    "C": "load_capacity",
    "r": "consumption_rate",
    "g": "recharge_rate",
    "v": "velocity",
}
_PARAMETER_LINE = re.compile(r"^(?P<key>[QCrgv])\s.*/(?P<value>[^/]*)/\s*$")


def parse(text: str, *, name: str = "instance") -> Instance:
    """Read the Schneider et al. format; InstanceError names the line and column, or the missing parameter."""
    lines = text.splitlines()
    if not lines or lines[0].split() != list(_COLUMNS):
        raise InstanceError("line 1", f"the header must be: {' '.join(_COLUMNS)}")
    nodes: list[Node] = []
    parameters: dict[str, float] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        match = _PARAMETER_LINE.match(line.strip())
        if match:
            try:
                parameters[_PARAMETERS[match["key"]]] = float(match["value"])
            except ValueError:
                raise InstanceError(f"line {number}", f"{match['key']} must be a number") from None
            continue
        parts = line.split()
        if len(parts) != len(_COLUMNS):
            raise InstanceError(f"line {number}", f"expected {len(_COLUMNS)} columns, found {len(parts)}")
        if parts[1] not in _KINDS:
            raise InstanceError(f"line {number}, Type", "must be d (depot), f (station) or c (customer)")
        values = []
        for column, raw in zip(_COLUMNS[2:], parts[2:], strict=True):
            try:
                value = float(raw)
            except ValueError:
                raise InstanceError(f"line {number}, {column}", f"{raw!r} is not a number") from None
            if not math.isfinite(value):
                raise InstanceError(f"line {number}, {column}", "must be finite")
            values.append(value)
        x, y, demand, ready, due, service = values
        if due < ready:
            raise InstanceError(f"line {number}, DueDate", "the time window closes before it opens")
        nodes.append(Node(parts[0], _KINDS[parts[1]], x, y, demand, ready, due, service))
    missing = [key for key, attribute in _PARAMETERS.items() if attribute not in parameters]
    if missing:
        raise InstanceError("parameters", f"missing {', '.join(missing)} (e.g. 'Q Vehicle fuel tank capacity /77.75/')")
    depots = [node for node in nodes if node.kind == "depot"]
    if len(depots) != 1:
        raise InstanceError("nodes", f"exactly one depot (type d), found {len(depots)}")
    if not any(node.kind == "customer" for node in nodes):
        raise InstanceError("nodes", "no customer (type c)")
    nodes.sort(key=lambda node: node.kind != "depot")  # the depot first, the rest in file order
    return Instance(name=name, nodes=nodes, **parameters)


def read(path: str | Path) -> Instance:
    path = Path(path)
    name = path.stem.removesuffix("_21")
    return parse(path.read_text(), name=name)
