"""The arithmetic of a route plan, plain Python (no Django): from a depot, charging sites, jobs and the vehicles
offered to an E-VRPTW ``Instance`` (``routing.evrptw.instance``); the checks that refuse a plan before the solver
runs, each naming the job or vehicle and why; and the timetable of a solved route.

Units in the instance: km, minutes, kWh, kg. Time 0 is the moment the plan's day starts at the depot (its local
time, converted through UTC by the caller, so a day across a clock change has its true length in minutes).

**Heterogeneous vehicles.** The E-VRPTW of Schneider et al. has identical vehicles. A plan is solved for the
*weakest* vehicle offered: the smallest payload, the smallest usable battery (at its state of health, less the
department's reserve), the highest energy per km and the slowest charging at each site; ``max_vehicles`` is the
number offered. Every route then fits every vehicle, and routes are handed out longest first to the vehicles
with the largest battery (``assign``). This wastes a large van's spare capacity in a mixed fleet, never plans a
route a vehicle cannot drive.

**Charging.** The instance has one recharge rate: the slowest of the charging sites kept for the plan (minutes per
kWh = 60 / kW). A site is kept only when every vehicle offered has a compatible connector there. Charging is
linear and to full, as the model says; real charging tapers above ~80 %, so the figure errs on the fast side at
the top and on the slow side everywhere the site is faster than the slowest.

**Distances.** ``distance_matrix``: road distances when a road graph holds every point (``road``, the shortest paths
of ``routing.paths.RoadRouter.table``), else great-circle distance times the detour factor of ``operations.energy``
(1.3, its sources there). On the road graph a job no road joins to the depot (a part of the network cut off from
it, a one-way dead end) is refused naming it; a charging site no road joins is left out, with a note.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from operations.energy import DETOUR_FACTOR, great_circle_km
from routing.evrptw.instance import Instance, Node

Point = tuple[float, float]  # (latitude, longitude) in degrees
GREAT_CIRCLE = "great_circle"  # where a plan's distances come from
ROAD_GRAPH = "road_graph"
# which way no road joins a job and the depot -> how the refusal says it
NO_ROAD = {
    "to": "from the depot to it",
    "from": "from it back to the depot",
    "either way": "between it and the depot, either way",
}


@dataclass(frozen=True)
class RoadDistances:
    """Driving km by road between points (inf where no road leads) and the region of the graph they come from."""

    km: np.ndarray
    region: str


RoadMatrix = Callable[[Sequence[Point]], "RoadDistances | None"]


@dataclass(frozen=True)
class Distances:
    """The km between a plan's points and where they come from: ``source`` ``road_graph`` (``region`` names it) or
    ``great_circle``."""

    km: np.ndarray
    source: str
    region: str | None = None

    @property
    def label(self) -> str:
        if self.source == ROAD_GRAPH:
            return f"by road: the shortest paths on the road graph {self.region!r}"
        return (
            f"great-circle × {DETOUR_FACTOR:g} (no imported road graph holds every point of the plan within "
            "its snapping distance)"
        )


class PlanInputError(ValueError):
    """The plan cannot be solved as given: ``errors`` maps a field (``vehicles``, ``jobs[2].window_end``, …) to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class VehicleSpec:
    key: int
    label: str
    payload_kg: float | None
    battery_kwh: float  # usable at the state of health, less the reserve
    kwh_per_km: float


@dataclass(frozen=True)
class StationSpec:
    key: int  # the site's id
    name: str
    latitude: float
    longitude: float
    power_kw: float  # the slowest offered vehicle's best connector there


@dataclass(frozen=True)
class JobSpec:
    key: int  # index in the plan's job list (0-based), for error fields
    name: str
    latitude: float
    longitude: float
    demand_kg: float
    service_min: float
    ready_min: float  # minutes from the day's start
    due_min: float


@dataclass
class Built:
    """The instance and what its node indices stand for."""

    instance: Instance
    node_kind: list[str]  # "depot", "station", "job" per node
    node_key: list[int | None]  # the site id (stations, depot) or job index
    speed_kmh: float
    rule: str
    notes: list[str] = field(default_factory=list)
    distances: Distances | None = None


def distance_matrix(points: Sequence[Point], *, road: RoadMatrix | None = None) -> Distances:
    """Driving km between every pair of points: ``road(points)`` when it covers them all (a road graph under every
    point; inf where no road leads), else the great-circle distance times ``DETOUR_FACTOR``."""
    if road is not None:
        found = road(points)
        if found is not None:
            return Distances(np.asarray(found.km, dtype=float), ROAD_GRAPH, found.region)
    n = len(points)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = great_circle_km(points[i], points[j]) * DETOUR_FACTOR
    return Distances(out, GREAT_CIRCLE)


def _unjoined(distance: np.ndarray, i: int) -> str | None:
    """Which way no road joins node ``i`` and the depot (node 0), or None when both ways are driven."""
    there, back = math.isfinite(distance[0, i]), math.isfinite(distance[i, 0])
    if there and back:
        return None
    return "to" if not there and back else "from" if there else "either way"


def _cut_off_chargers(distance: np.ndarray, chargers: list, region: str | None) -> tuple[np.ndarray, list, list]:
    """The charging sites no road joins to the depot both ways left out (rows and columns of the matrix too), and
    a note for each."""
    cut = [c for c in range(1, len(chargers) + 1) if _unjoined(distance, c)]
    if not cut:
        return distance, chargers, []
    keep = [i for i in range(distance.shape[0]) if i not in cut]
    notes = [
        f"The charging site {chargers[c - 1].name} is left out: no road of {region!r} joins it to the depot both ways."
        for c in cut
    ]
    return distance[np.ix_(keep, keep)], [s for n, s in enumerate(chargers, start=1) if n not in cut], notes


def _clock(minutes: float, day_start_label: Callable[[float], str]) -> str:
    return day_start_label(minutes)


def build(
    *,
    name: str,
    depot: Point,
    depot_station: StationSpec | None,
    stations: Sequence[StationSpec],
    jobs: Sequence[JobSpec],
    vehicles: Sequence[VehicleSpec],
    day_minutes: float,
    speed_kmh: float,
    clock: Callable[[float], str] = lambda m: f"{m:.0f} min",
    road: RoadMatrix | None = None,
) -> Built:
    """The instance for the weakest vehicle offered, or PlanInputError naming every job or vehicle that makes the
    plan impossible before any search: no vehicle, a vehicle without payload, a demand above the payloads, a window
    outside the day or closing before the job can be reached, a job out of range even through charging sites.
    ``clock(minutes)`` writes a time of the day for the messages (the depot's local time)."""
    errors: dict[str, str] = {}
    if not vehicles:
        raise PlanInputError({"vehicles": "No vehicle is offered: choose at least one vehicle for the plan."})
    if not jobs:
        raise PlanInputError({"jobs": "The plan has no job: add at least one stop to serve."})
    for n, v in enumerate(vehicles):
        if not v.payload_kg:
            errors[f"vehicles[{n}]"] = (
                f"{v.label}'s model has no payload (kg): give it on the vehicle model, or leave the vehicle out."
            )
        if v.battery_kwh <= 0:
            errors[f"vehicles[{n}]"] = f"{v.label} has no usable energy above the reserve: leave it out."
    if errors:
        raise PlanInputError(errors)
    payload = min(float(v.payload_kg) for v in vehicles)  # type: ignore[arg-type]
    largest = max(float(v.payload_kg) for v in vehicles)  # type: ignore[arg-type]
    smallest_vehicle = min(vehicles, key=lambda v: v.payload_kg or 0)
    battery = min(v.battery_kwh for v in vehicles)
    rate = max(v.kwh_per_km for v in vehicles)
    chargers = ([depot_station] if depot_station else []) + list(stations)
    points = [depot] + [(s.latitude, s.longitude) for s in chargers] + [(j.latitude, j.longitude) for j in jobs]
    distances = distance_matrix(points, road=road)
    distance, chargers, notes = _cut_off_chargers(distances.km, chargers, distances.region)
    km_per_min = speed_kmh / 60.0
    first_job = 1 + len(chargers)
    reach_km = battery / rate
    reachable = _reachable_chargers(distance, len(chargers), reach_km)
    for job in jobs:
        i = first_job + job.key
        where = f"jobs[{job.key}]"
        unjoined = _unjoined(distance, i)
        if unjoined:
            errors[f"{where}.latitude"] = (
                f"{job.name}: no road of {distances.region!r} leads {NO_ROAD[unjoined]} (one-way streets, or a part "
                "of the network not joined to the depot's): move the job onto a street joined to the depot's roads "
                "or leave it out."
            )
            continue
        if job.demand_kg > largest:
            errors[f"{where}.demand_kg"] = (
                f"{job.name}: {job.demand_kg:g} kg is more than any offered vehicle carries (the largest payload is "
                f"{largest:g} kg): split the job or offer a larger vehicle."
            )
        elif job.demand_kg > payload:
            errors[f"{where}.demand_kg"] = (
                f"{job.name}: {job.demand_kg:g} kg is more than {smallest_vehicle.label} carries ({payload:g} kg); a "
                "plan is solved for the smallest payload offered: leave the smaller vehicles out or split the job."
            )
        if job.due_min <= 0 or job.ready_min >= day_minutes:
            errors[f"{where}.window_start"] = (
                f"{job.name}: the window ({clock(job.ready_min)}–{clock(job.due_min)}) lies outside the plan's day "
                f"({clock(0)}–{clock(day_minutes)}): move the window or the day."
            )
            continue
        earliest = float(distance[0, i]) / km_per_min
        if earliest > job.due_min + 1e-6:
            errors[f"{where}.window_end"] = (
                f"{job.name}: the window closes at {clock(job.due_min)}, but the earliest arrival from the depot is "
                f"{clock(earliest)} ({distance[0, i]:.1f} km leaving at {clock(0)}): open the window later or start "
                "the day earlier."
            )
            continue
        back = max(job.ready_min, earliest) + job.service_min + float(distance[i, 0]) / km_per_min
        if back > day_minutes + 1e-6:
            errors[f"{where}.window_end"] = (
                f"{job.name}: served at the earliest from {clock(max(job.ready_min, earliest))}, a vehicle is back at "
                f"the depot at {clock(back)}, after the day ends ({clock(day_minutes)}): end the day later."
            )
            continue
        # reach: some charger the depot can reach (through chargers) is within range there and back to one
        near = [c for c in reachable if float(distance[c, i]) <= reach_km]
        back_to = [c for c in reachable if float(distance[i, c]) <= reach_km]
        direct = float(distance[0, i]) + float(distance[i, 0]) <= reach_km
        if not direct and not (
            near and back_to and min(distance[c, i] for c in near) + min(distance[i, c] for c in back_to) <= reach_km
        ):
            nearest = min(float(distance[c, i]) for c in [0, *reachable])
            errors[f"{where}.latitude"] = (
                f"{job.name} is out of range even through the charging sites: the nearest place to charge is "
                f"{nearest:.0f} km away, and a full battery ({battery:.0f} kWh above the reserve, {rate:.3f} kWh/km) "
                f"drives {reach_km:.0f} km there and back: give it to another depot or add a charging site near it."
            )
    if errors:
        raise PlanInputError(errors)
    nodes = [Node("depot", "depot", depot[1], depot[0], 0.0, 0.0, float(day_minutes), 0.0)]
    nodes += [Node(f"site-{s.key}", "station", s.longitude, s.latitude, 0.0, 0.0, float(day_minutes)) for s in chargers]
    nodes += [
        Node(f"job-{j.key}", "customer", j.longitude, j.latitude, float(j.demand_kg), float(j.ready_min),
             float(j.due_min), float(j.service_min))
        for j in jobs
    ]  # fmt: skip
    slowest = min((s.power_kw for s in chargers), default=0.0)
    recharge = 60.0 / slowest if slowest > 0 else 0.0
    instance = Instance(
        name=name,
        nodes=nodes,
        battery_capacity=float(battery),
        load_capacity=float(payload),
        consumption_rate=float(rate),
        recharge_rate=recharge,
        velocity=km_per_min,
        distance=distance,
        max_vehicles=len(vehicles),
    )
    rule = (
        f"Planned for the weakest of the {len(vehicles)} vehicles offered: payload {payload:g} kg, battery "
        f"{battery:.1f} kWh above the reserve, {rate:.3f} kWh/km at {speed_kmh:.0f} km/h; charging at the slowest "
        f"site's {slowest:.0f} kW ({recharge:.2f} min/kWh)"
        + ("" if chargers else " (no charging site: none kept)")
        + ". Longest routes go to the largest batteries."
        + "".join(f" {note}" for note in notes)
    )
    return Built(
        instance=instance,
        node_kind=["depot"] + ["station"] * len(chargers) + ["job"] * len(jobs),
        node_key=[None] + [s.key for s in chargers] + [j.key for j in jobs],
        speed_kmh=speed_kmh,
        rule=rule,
        notes=notes,
        distances=Distances(distance, distances.source, distances.region),
    )


def _reachable_chargers(distance: np.ndarray, count: int, reach_km: float) -> list[int]:
    """Node indices of the chargers (1..count) reachable from the depot hopping between chargers within range."""
    seen = {0}
    frontier = [0]
    while frontier:
        here = frontier.pop()
        for c in range(1, count + 1):
            if c not in seen and float(distance[here, c]) <= reach_km:
                seen.add(c)
                frontier.append(c)
    return sorted(seen - {0})


@dataclass(frozen=True)
class Visit:
    node: int
    arrive: float  # minutes from the day's start
    start: float  # service or charging starts (after waiting for the window)
    leave: float
    battery: float  # kWh on arrival
    charged_kwh: float = 0.0
    charge_minutes: float = 0.0
    km: float = 0.0  # from the previous stop (or the depot)


@dataclass(frozen=True)
class Timetable:
    leave_depot: float
    back: float
    visits: list[Visit]  # the stops between the depot's departure and its return
    distance_km: float
    energy_kwh: float
    load_kg: float


def timetable(instance: Instance, route: Sequence[int]) -> Timetable:
    """The route's times, as the feasibility check counts them, with the departure pushed as late as the first
    job's window allows (the vehicle waits at the depot, not at the customer's door)."""
    route = list(route)
    if route[0] != 0:
        route = [0, *route]
    if route[-1] != 0:
        route = [*route, 0]
    t, battery, energy, load, km = 0.0, instance.battery_capacity, 0.0, 0.0, 0.0
    visits: list[Visit] = []
    for previous, node in zip(route, route[1:], strict=False):
        info = instance.nodes[node]
        t += instance.travel_time(previous, node)
        used = instance.energy(previous, node)
        battery -= used
        energy += used
        leg = float(instance.distance[previous, node])
        km += leg
        if node == 0:
            break
        arrive = t
        if info.kind == "customer":
            start = max(t, info.ready)
            t = start + info.service
            load += info.demand
            visits.append(Visit(node, arrive, start, t, battery, km=leg))
        else:
            charged = instance.battery_capacity - battery
            minutes = instance.recharge_rate * charged
            t += minutes
            visits.append(Visit(node, arrive, arrive, t, battery, charged, minutes, leg))
            battery = instance.battery_capacity
    back = t
    # the first stop's wait is slack the vehicle can spend at the depot instead: nothing after it moves
    shift = 0.0
    if visits and instance.nodes[visits[0].node].kind == "customer":
        shift = max(0.0, visits[0].start - visits[0].arrive)
    if shift:
        first = visits[0]
        visits[0] = Visit(first.node, first.arrive + shift, first.start, first.leave, first.battery, km=first.km)
    return Timetable(shift, back, visits, km, energy, load)


def assign(distances_km: Sequence[float], batteries_kwh: Sequence[float]) -> list[int]:
    """Which vehicle (index) drives each route: the longest route to the largest battery, and so on."""
    routes = sorted(range(len(distances_km)), key=lambda r: -distances_km[r])
    vehicles = sorted(range(len(batteries_kwh)), key=lambda v: -batteries_kwh[v])
    out = [0] * len(distances_km)
    for r, v in zip(routes, vehicles, strict=False):
        out[r] = v
    return out


def minutes_between(start, end) -> float:
    """Minutes from one aware datetime to another, through UTC (right across a clock change)."""
    return (end - start).total_seconds() / 60.0


def finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
