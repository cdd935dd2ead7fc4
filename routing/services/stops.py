"""Charging stops for a real vehicle: the candidate stations it may use now, the legs between the points (an
offline great-circle estimate behind `LegSource`), the plan by `routing.chargestops`, and booking the chosen
stops through charging's reservations (all or nothing)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from charging.models import Reservation
from charging.roaming_rules import roaming_refusal
from charging.services.reservation_rules import online
from charging.services.reservations import reservation_request
from fleet.models import Vehicle
from operations import energy as operations_energy
from operations.need import capacity_kwh, reserve_percent, vehicle_model
from routing import chargestops, paths
from routing.services.paths import router_holding
from simulation.battery.temperature import dc_power_factor
from simulation.energy import AMBIENT_RANGE_C, consumption_wh_per_km
from simulation.selectors.feeds import normals_at, weather_at
from stations import selectors as station_selectors
from stations.models import ChargePoint, Connector, MaintenanceWindow, Site

ROAD_FACTOR = 1.25  # road km per great-circle km (offline estimate; a road graph or OSRM table replaces it)
#: The battery's temperature at a planned DC stop when the air is colder: the pack has been driven for a while and
#: is preconditioned on the way (what the vehicle's navigation does before a DC charger). A cold-soaked pack takes a
#: fifth of its DC power at 0 °C (dc_power_factor), which no fleet sees on a motorway trip.
STOP_BATTERY_C = 20.0
DEFAULT_ARRIVAL_SOC = 20.0  # % at the destination when none is asked
MIN_BOOKING_MINUTES = 10  # a stop's booking lasts at least this long


def speed_kmh(km):
    """Average speed by leg length (a number of km or an array): town for short legs, trunk roads, motorway for long
    ones."""
    return np.where(km < 10, 40.0, np.where(km < 40, 70.0, 100.0))


class LegSource(Protocol):
    """Distances and minutes between points; `None` where no leg is drivable. ``label`` says, once ``table`` has
    answered, where the figures came from (the page and the API show it)."""

    label: str

    def table(self, points: list[tuple[float, float]]) -> list[list[tuple[float, float] | None]]: ...


class GreatCircleLegs:
    """The offline estimate: great-circle km × ROAD_FACTOR at `speed_kmh` of the leg's length."""

    label = f"great-circle distance × {ROAD_FACTOR:g} at 40–100 km/h by leg length"

    def table(self, points):
        km, minutes = self.arrays(points)
        return [
            [(k, m) if k > 0 else None for k, m in zip(km_row, minutes_row, strict=True)]
            for km_row, minutes_row in zip(km.tolist(), minutes.tolist(), strict=True)
        ]

    def arrays(self, points) -> tuple[np.ndarray, np.ndarray]:
        """The table as two matrices, km and minutes, at once (numpy; NaN where no leg: a point to itself)."""
        lat, lon = np.radians(np.asarray(points, dtype=float).reshape(-1, 2)).T
        h = (
            np.sin((lat[None, :] - lat[:, None]) / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin((lon[None, :] - lon[:, None]) / 2) ** 2
        )
        km = 2 * operations_energy.EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))) * ROAD_FACTOR
        km[km <= 0] = np.nan
        return km, km / speed_kmh(km) * 60.0


def _leg_arrays(source: LegSource, points) -> tuple[np.ndarray, np.ndarray]:
    """km and minutes between the points as matrices, NaN where the source has no leg."""
    if hasattr(source, "arrays"):
        return source.arrays(points)
    cells = [[cell or (math.nan, math.nan) for cell in row] for row in source.table(points)]
    table = np.asarray(cells, dtype=float).reshape(len(points), len(points), 2)
    return table[..., 0], table[..., 1]


class RoadGraphLegs:
    """The default: by road when one imported road graph holds every point (origin, stations, destination) within
    its snapping distance: km and minutes of the fastest paths at the departure's hour for the vehicle
    (``RoadRouter.table``; none where no road leads); else ``fallback`` (the great-circle estimate)."""

    def __init__(self, *, conditions: paths.Conditions, fallback: LegSource | None = None):
        self.conditions = conditions
        self.fallback = fallback or GreatCircleLegs()
        self.label = self.fallback.label

    def arrays(self, points) -> tuple[np.ndarray, np.ndarray]:
        """km and minutes as matrices (NaN where no road leads, and from a point to itself)."""
        found = router_holding(points)
        if found is None:
            self.label = self.fallback.label
            return _leg_arrays(self.fallback, points)
        router, snaps = found
        table = router.table(snaps, metric="fastest", conditions=self.conditions)
        self.label = f"by road: the fastest paths at the departure's hour on the road graph {router.region!r}"
        km, minutes = np.array(table.km, dtype=float), np.array(table.minutes, dtype=float)
        unusable = ~(np.isfinite(km) & (minutes > 0))
        np.fill_diagonal(unusable, True)
        km[unusable] = minutes[unusable] = np.nan
        return km, minutes

    def table(self, points):
        found = router_holding(points)
        if found is None:
            self.label = self.fallback.label
            return self.fallback.table(points)
        router, snaps = found
        table = router.table(snaps, metric="fastest", conditions=self.conditions)
        self.label = f"by road: the fastest paths at the departure's hour on the road graph {router.region!r}"
        return [
            [
                (float(table.km[i, j]), float(table.minutes[i, j]))
                if i != j and math.isfinite(table.km[i, j]) and table.minutes[i, j] > 0
                else None
                for j in range(len(points))
            ]
            for i in range(len(points))
        ]


@dataclass
class Candidate:
    site: Site
    power_kw: float
    connector_type: str


@dataclass
class PlanResult:
    """A plan for a vehicle, with everything the page, the API and the booking need."""

    vehicle: Vehicle
    departure_at: datetime
    origin: tuple[float, float]
    origin_name: str
    destination: tuple[float, float]
    destination_name: str
    start_soc: float
    arrival_soc: float
    reserve_soc: float
    ambient_c: float
    power_factor: float
    candidates: int
    plan: chargestops.Plan
    sites: dict[str, Site] = field(default_factory=dict)
    legs: str = ""  # where the legs' km and minutes came from

    def stops(self) -> list[dict]:
        rows = []
        for stop in self.plan.stops:
            site = self.sites[stop.station_id]
            arrive = self.departure_at + timedelta(minutes=stop.arrive_after_minutes)
            rows.append(
                {
                    "site": site.pk,
                    "site_name": site.name,
                    "latitude": site.latitude,
                    "longitude": site.longitude,
                    "arrives_at": arrive,
                    "departs_at": arrive + timedelta(minutes=stop.wait_minutes + stop.charge_minutes),
                    "arrival_soc_percent": round(stop.arrival_soc, 1),
                    "charge_to_soc_percent": round(stop.charge_to_soc, 1),
                    "wait_minutes": round(stop.wait_minutes, 1),
                    "charge_minutes": round(stop.charge_minutes, 1),
                    "energy_kwh": round(stop.kwh, 2),
                    "power_kw": round(stop.power_kw, 1),
                }
            )
        return rows

    def as_dict(self) -> dict:
        p = self.plan
        return {
            "vehicle": self.vehicle.pk,
            "departure_at": self.departure_at,
            "arrival_at": self.departure_at + timedelta(minutes=p.total_minutes),
            "origin": {"name": self.origin_name, "latitude": self.origin[0], "longitude": self.origin[1]},
            "destination": {
                "name": self.destination_name,
                "latitude": self.destination[0],
                "longitude": self.destination[1],
            },
            "start_soc_percent": self.start_soc,
            "arrival_soc_percent": round(p.arrival_soc, 1),
            "required_arrival_soc_percent": self.arrival_soc,
            "reserve_percent": self.reserve_soc,
            "ambient_temperature_c": self.ambient_c,
            "battery_temperature_c": round(max(self.ambient_c, STOP_BATTERY_C), 1),
            "dc_power_factor": round(self.power_factor, 3),
            "candidate_stations": self.candidates,
            "legs": self.legs,
            "stops": self.stops(),
            "totals": {
                "drive_minutes": round(p.drive_minutes, 1),
                "charge_minutes": round(p.charge_minutes, 1),
                "wait_minutes": round(p.wait_minutes, 1),
                "total_minutes": round(p.total_minutes, 1),
                "charged_kwh": round(p.kwh_charged, 2),
                "drive_kwh": round(p.drive_kwh, 2),
            },
        }


def candidate_stations(*, vehicle: Vehicle, at: datetime) -> list[Candidate]:
    """Sites the vehicle may charge at (its department's and what roaming allows), with the fastest connector it
    fits that is usable at `at`: not faulted or unavailable, its station online, no maintenance window then.
    A fixed number of queries plus one per other department with sites (its roaming policy)."""
    rules = station_selectors.active_rules()
    maintained = set(
        MaintenanceWindow.objects.filter(starts_at__lte=at, ends_at__gt=at).values_list("charge_point_id", flat=True)
    )
    sites = Site.objects.select_related("department").prefetch_related(
        Prefetch("charge_points", queryset=ChargePoint.objects.prefetch_related("connectors"))
    )
    refusals: dict[int, str | None] = {}
    found = []
    for site in sites.order_by("pk"):
        if site.department_id not in refusals:
            refusals[site.department_id] = roaming_refusal(site.department, vehicle.department)
        if refusals[site.department_id] is not None:
            continue
        best: Candidate | None = None
        for cp in site.charge_points.all():
            if cp.pk in maintained or not online(cp):
                continue
            for connector in cp.connectors.all():
                if connector.status in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE):
                    continue
                fit = station_selectors.vehicle_fit(vehicle, connector, rules)
                if fit is not None and (best is None or float(fit.power_kw) > best.power_kw):
                    best = Candidate(site, float(fit.power_kw), connector.connector_type)
        if best is not None:
            found.append(best)
    return found


def in_reach(origin: tuple[float, float], candidates: list[Candidate], range_km: float) -> list[Candidate]:
    """The candidates a chain of legs, each within ``range_km`` of straight line (plus twice the snapping distance a
    road graph allows: no road between two points is shorter), joins to the origin, in their order. The others
    can be in no plan, whichever source measures the legs (the plan drops every leg longer than the range), so
    leaving them out changes no plan; it lets a trip inside one road graph be measured on it even when the
    organisation has sites in other countries."""
    reach = range_km + 2 * paths.SNAP_LIMIT_M / 1000.0
    if not candidates:
        return []
    points = [origin, *((c.site.latitude, c.site.longitude) for c in candidates)]
    km, _ = GreatCircleLegs().arrays(points)
    near = np.nan_to_num(km / ROAD_FACTOR, nan=0.0) <= reach  # straight-line km (NaN only from a point to itself)
    joined, frontier = np.zeros(len(points), dtype=bool), np.zeros(len(points), dtype=bool)
    joined[0] = frontier[0] = True
    while frontier.any():
        frontier = near[frontier].any(axis=0) & ~joined
        joined |= frontier
    joined = set(np.flatnonzero(joined[1:]).tolist())
    return [c for i, c in enumerate(candidates) if i in joined]


def _place(*, site: Site | None, latitude: float | None, longitude: float | None, name: str, field_name: str):
    if site is not None:
        return (site.latitude, site.longitude), site.name, site
    if latitude is None or longitude is None:
        raise ValidationError({field_name: f"Give the {name} as a site or as latitude and longitude."})
    return (float(latitude), float(longitude)), f"{latitude:.4f}, {longitude:.4f}", None


def _legs(ids: list[str], km: np.ndarray, minutes: np.ndarray, wh_per_km: dict[float, float], usable_kwh: float):
    """The trip's legs (out of the origin, into the destination) as Leg objects and the legs between stations as a
    network of arrays (no object per leg): every leg but into the origin and out of the destination, none longer
    than a full battery drives (leaving those out keeps the search small). kWh at the leg's speed."""
    full_range_km = usable_kwh / (max(wh_per_km.values()) / 1000.0)
    last = len(ids) - 1
    with np.errstate(invalid="ignore"):
        drivable = np.isfinite(km) & np.isfinite(minutes) & (km <= full_range_km)
    drivable[:, 0] = drivable[last, :] = False
    np.fill_diagonal(drivable, False)
    tails, heads = np.nonzero(drivable)
    leg_km, leg_minutes = km[tails, heads], minutes[tails, heads]
    speeds = speed_kmh(leg_km)
    leg_kwh = leg_km * np.select([speeds == s for s in wh_per_km], list(wh_per_km.values()), wh_per_km[100.0]) / 1000
    between = (tails > 0) & (heads < last)
    network = chargestops.LegTable.from_arrays(
        ids[1:-1], *(x[between] for x in (tails, heads, leg_minutes, leg_kwh, leg_km))
    )
    trip = {
        (ids[i], ids[j]): chargestops.Leg(minutes=m, kwh=e, km=d)
        for i, j, m, e, d in zip(
            *(x[~between].tolist() for x in (tails, heads, leg_minutes, leg_kwh, leg_km)), strict=True
        )
    }
    return trip, network


def charging_stop_plan(
    *,
    user: User,
    vehicle: Vehicle,
    destination_site: Site | None = None,
    destination_latitude: float | None = None,
    destination_longitude: float | None = None,
    origin_site: Site | None = None,
    origin_latitude: float | None = None,
    origin_longitude: float | None = None,
    departure_at: datetime | None = None,
    start_soc_percent: float | None = None,
    arrival_soc_percent: float | None = None,
    reserve_percent_: float | None = None,
    legs: LegSource | None = None,
) -> PlanResult:
    """The fastest plan for the vehicle (in the user's scope) from the origin (a site, coordinates, else the
    vehicle's last position) to the destination. Raises ValidationError naming the field."""
    if not scoped(Vehicle.objects.filter(pk=vehicle.pk), user).exists():
        raise ValidationError({"vehicle": "No such vehicle in your departments."})
    departure_at = departure_at or timezone.now()
    if origin_site is None and origin_latitude is None and origin_longitude is None:
        if vehicle.last_latitude is None or vehicle.last_longitude is None:
            raise ValidationError(
                {"origin": "The vehicle has reported no position yet: give the origin as a site or coordinates."}
            )
        origin_latitude, origin_longitude = vehicle.last_latitude, vehicle.last_longitude
    origin, origin_name, origin_at = _place(
        site=origin_site, latitude=origin_latitude, longitude=origin_longitude, name="origin", field_name="origin"
    )
    destination, destination_name, _ = _place(
        site=destination_site,
        latitude=destination_latitude,
        longitude=destination_longitude,
        name="destination",
        field_name="destination",
    )
    if origin == destination:
        raise ValidationError({"destination": "The destination is the origin: choose another one."})
    start = vehicle.soc_percent if start_soc_percent is None else start_soc_percent
    if start is None:
        raise ValidationError({"start_soc_percent": "The vehicle has reported no SoC yet: give the start SoC (%)."})
    reserve = reserve_percent(vehicle.department_id) if reserve_percent_ is None else reserve_percent_
    arrival = max(DEFAULT_ARRIVAL_SOC, reserve) if arrival_soc_percent is None else arrival_soc_percent
    model = vehicle.vehicle_model
    peak = float(model.max_dc_kw or model.max_ac_kw)
    weather_site = origin_at or Site(latitude=origin[0], longitude=origin[1], time_zone="UTC")
    weather = weather_at(weather_site, departure_at) if origin_at else normals_at(weather_site, departure_at)
    ambient = weather.temperature_c
    # the battery at a planned DC stop is the pack's, not the air's: driven and preconditioned on the way there
    battery_c = max(ambient, STOP_BATTERY_C)
    factor, _reasons = dc_power_factor(battery_c, float(vehicle.state_of_health_percent))
    factor = max(factor, 0.05)

    candidates = candidate_stations(vehicle=vehicle, at=departure_at)
    energy_model = vehicle_model(vehicle)
    wh_per_km = {
        speed: consumption_wh_per_km(energy_model.params, speed_kmh=speed, ambient_c=ambient)
        * energy_model.driving_scale
        for speed in (40.0, 70.0, 100.0)
    }
    usable = capacity_kwh(vehicle)
    full_range_km = usable / (max(wh_per_km.values()) / 1000.0)
    stations = in_reach(origin, candidates, full_range_km)
    points = [origin, *((c.site.latitude, c.site.longitude) for c in stations), destination]
    ids = [chargestops.ORIGIN, *(str(c.site.pk) for c in stations), chargestops.DESTINATION]
    local = departure_at.astimezone(ZoneInfo(origin_at.time_zone if origin_at else vehicle.department.time_zone))
    source = legs or RoadGraphLegs(
        conditions=paths.Conditions(
            params=energy_model.params, departs_hour=local.hour + local.minute / 60, weekday=local.weekday(),
            ambient_c=min(max(ambient, AMBIENT_RANGE_C[0]), AMBIENT_RANGE_C[1]),
            driving_scale=energy_model.driving_scale,
        )
    )  # fmt: skip
    leg_map, network = _legs(ids, *_leg_arrays(source, points), wh_per_km, usable)
    problem = chargestops.Problem(
        origin=chargestops.Place(origin_name, *origin),
        destination=chargestops.Place(destination_name, *destination),
        stations=[chargestops.Station(id=str(c.site.pk), name=c.site.name, power_kw=c.power_kw) for c in stations],
        legs=leg_map,
        network=network,
        battery_kwh=usable,
        peak_kw=peak,
        start_soc=float(start),
        reserve_soc=float(reserve),
        arrival_soc=float(arrival),
        power_factor=min(1.0, factor),
    )
    try:
        plan = chargestops.plan(problem)
    except chargestops.ProblemError as error:
        names = {
            "start_soc": "start_soc_percent",
            "arrival_soc": "arrival_soc_percent",
            "reserve_soc": "reserve_percent",
        }
        raise ValidationError({names.get(k, k): v for k, v in error.errors.items()}) from None
    except chargestops.Infeasible as error:
        name = "arrival_soc_percent" if error.field == "arrival_soc" else "destination"
        reason = error.reason
        if not stations:
            reason += (
                f" No charging station could be used on the way: of the sites this vehicle may charge at, "
                f"{len(candidates)} are online, compatible and free at {local:%H:%M %Z}"
                + (", none of them within reach." if candidates else ".")
            )
        raise ValidationError({name: reason}, code="infeasible") from None
    return PlanResult(
        vehicle=vehicle,
        departure_at=departure_at,
        origin=origin,
        origin_name=origin_name,
        destination=destination,
        destination_name=destination_name,
        start_soc=float(start),
        arrival_soc=float(arrival),
        reserve_soc=float(reserve),
        ambient_c=ambient,
        power_factor=factor,
        candidates=len(candidates),
        plan=plan,
        sites={str(c.site.pk): c.site for c in candidates},
        legs=getattr(source, "label", "as given"),
    )


@transaction.atomic
def charging_stop_plan_book(*, actor: User, result: PlanResult) -> list[Reservation]:
    """Book every stop of the plan at its estimated arrival for its wait and charge minutes, through charging's
    reservations; all or nothing: a stop that cannot be booked undoes the others and the error names it."""
    booked = []
    for number, stop in enumerate(result.stops(), start=1):
        minutes = max(MIN_BOOKING_MINUTES, math.ceil(stop["wait_minutes"] + stop["charge_minutes"]))
        site = result.sites[str(stop["site"])]
        try:
            booked.append(
                reservation_request(
                    actor=actor,
                    vehicle=result.vehicle,
                    site=site,
                    starts_at=stop["arrives_at"],
                    ends_at=stop["arrives_at"] + timedelta(minutes=minutes),
                    queue=False,
                )
            )
        except ValidationError as error:  # raised out of this atomic block: the stops booked before are undone
            messages = "; ".join(error.messages)
            raise ValidationError(
                {"stops": f"Stop {number} ({site.name}) cannot be booked, nothing was booked: {messages}"},
                code="stop_conflict",
            ) from None
    return booked
