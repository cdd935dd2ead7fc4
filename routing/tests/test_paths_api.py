"""Route plans through the service and the API: per role, department scoping, errors naming the field."""

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from django.utils import timezone

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from routing import selectors
from routing.bench.queries import grid_city_graph
from routing.graph import RoadGraphData
from routing.models import RoadGraph
from routing.paths import RouteError
from routing.services.paths import Place, route_plan_compute
from simulation.models import WeatherHour
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/road-routes/"
DEPARTS = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 08:30 in Helsinki, a Thursday


def store_graph(data: RoadGraphData, name: str = "Test city") -> RoadGraph:
    south, west, north, east = data.bounds()
    return RoadGraph.objects.create(
        name=name, source="test", status=RoadGraph.Status.READY, progress_percent=100,
        south=south, west=west, north=north, east=east, node_count=data.node_count, edge_count=data.edge_count,
        data=data.to_bytes(), imported_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def city(org):
    data = grid_city_graph(20)
    graph = store_graph(data)
    leaf = VehicleModelFactory(make="Nissan", name="Leaf", variant="40 kWh (EU)", vehicle_class="car",
                               usable_battery_kwh=39, consumption_wh_per_km=170)  # fmt: skip
    vehicle = VehicleFactory(department=org.a, vehicle_model=leaf, state_of_health_percent=90)
    other = VehicleFactory(department=org.b, vehicle_model=leaf)
    site = SiteFactory(department=org.a, name="Depot Kallio", latitude=float(data.node_lat[399]),
                       longitude=float(data.node_lon[399]), time_zone="Europe/Helsinki")  # fmt: skip
    site_b = SiteFactory(department=org.b, latitude=float(data.node_lat[10]), longitude=float(data.node_lon[10]))

    class City:
        pass

    c = City()
    c.data, c.graph, c.vehicle, c.other, c.site, c.site_b = data, graph, vehicle, other, site, site_b
    c.origin = {"latitude": float(data.node_lat[0]), "longitude": float(data.node_lon[0])}
    return c


def body(city, **extra):
    return {"vehicle": city.vehicle.pk, "origin": city.origin, "destination": {"site": city.site.pk},
            "departs_at": DEPARTS.isoformat(), **extra}  # fmt: skip


def test_the_service_returns_three_routes_measured_with_the_vehicles_model_and_the_forecast(city):
    WeatherHour.objects.create(site=city.site, hour=DEPARTS.replace(minute=0), temperature_c=-12.0,
                               precipitation_mm=0, snowfall_cm=0, wind_speed_ms=2, wind_direction_deg=0,
                               source="open-meteo", fetched_at=DEPARTS)  # fmt: skip
    origin = Place(city.site.latitude, city.site.longitude, city.site)
    destination = Place(city.origin["latitude"], city.origin["longitude"])
    result = route_plan_compute(vehicle=city.vehicle, origin=origin, destination=destination, departs_at=DEPARTS)
    assert [r.metric for r in result.routes] == ["shortest", "fastest", "least_energy"]
    assert result.ambient_c == -12.0 and result.temperature_source == "open-meteo"
    assert result.departs_local.hour == 8
    assert result.capacity_kwh == pytest.approx(39 * 0.9)
    assert result.vehicle_source == "simulation parameters of the model"
    warm = route_plan_compute(vehicle=city.vehicle, origin=destination, destination=origin, departs_at=DEPARTS)
    assert warm.temperature_source == "normals"  # a point that is no site: the climate normals there
    rows = result.comparison()
    assert rows[1]["vs_fastest"] == {"km_percent": 0.0, "kwh_percent": 0.0, "minutes": 0.0}
    assert rows[2]["kwh"] <= rows[1]["kwh"]


def test_a_point_outside_every_imported_graph_is_named(city):
    with pytest.raises(RouteError) as caught:
        route_plan_compute(vehicle=city.vehicle, origin=Place(48.85, 2.35),
                           destination=Place(**city.origin), departs_at=DEPARTS)  # fmt: skip
    assert caught.value.field == "origin"
    assert "outside every imported road graph (imported: Test city)" in caught.value.message


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst", "integrator"])
def test_every_role_plans_a_route_for_a_vehicle_of_its_department(city, org, api, role):
    response = api(getattr(org, f"{role}_a")).post(URL, body(city), format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [r["metric"] for r in data["routes"]] == ["shortest", "fastest", "least_energy"]
    assert data["region"] == "Test city" and data["vehicle"] == city.vehicle.pk
    for route in data["routes"]:
        assert route["km"] > 0 and route["minutes"] > 0 and route["kwh"] > 0
        assert len(route["polyline"]) >= 2
    assert data["providers"] == []


def test_an_admin_plans_for_any_department(city, org, api):
    assert api(org.admin).post(URL, body(city, vehicle=city.other.pk), format="json").status_code == 200


def test_another_departments_vehicle_or_site_is_refused_as_unknown(city, org, api):
    client = api(org.dispatcher_a)
    response = client.post(URL, body(city, vehicle=city.other.pk), format="json")
    assert response.status_code == 400
    assert "vehicle" in response.json()["fields"]
    response = client.post(URL, body(city, destination={"site": city.site_b.pk}), format="json")
    assert response.status_code == 400
    assert "destination.site" in response.json()["fields"]
    # and the other department's user cannot use department A's vehicle
    assert api(org.dispatcher_b).post(URL, body(city), format="json").status_code == 400


def test_signed_out_callers_are_refused(city, api):
    assert api().post(URL, body(city), format="json").status_code in (401, 403)


def test_bad_places_get_errors_naming_the_field(city, org, api):
    client = api(org.fleet_manager_a)
    response = client.post(URL, body(city, origin={"latitude": 60.17}), format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert (
        "origin.longitude" in fields
        and "site or both latitude and longitude" in fields["origin.longitude"][0]["message"]
    )
    response = client.post(URL, body(city, origin={**city.origin, "site": city.site.pk}), format="json")
    assert "origin.site" in response.json()["fields"]
    response = client.post(URL, body(city, origin={"latitude": 48.85, "longitude": 2.35}), format="json")
    assert response.status_code == 400
    assert "outside every imported road graph" in response.json()["fields"]["origin"][0]["message"]
    response = client.post(URL, body(city, destination={"latitude": 60.30, "longitude": 24.94}), format="json")
    assert response.status_code == 400
    assert "outside the imported region 'Test city'" in response.json()["fields"]["destination"][0]["message"]
    response = client.post(URL, body(city, colour="red"), format="json")
    assert response.status_code == 400 and "colour" in response.json()["fields"]


def test_a_route_plan_stores_nothing(city, org, api, django_assert_max_num_queries):
    from accounts.models import ActivityLog

    before = ActivityLog.objects.count()
    client = api(org.fleet_manager_a)
    client.post(URL, body(city), format="json")  # the graph's arrays are read once per process
    with django_assert_max_num_queries(12):
        assert client.post(URL, body(city), format="json").status_code == 200
    assert ActivityLog.objects.count() == before


def old_format() -> bytes:
    """A graph stored by an older version of the format (what a row keeps until it is re-imported)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format_version=np.int32(0), node_lat=np.zeros(1))
    return buffer.getvalue()


def make_unreadable(graph: RoadGraph) -> None:
    # a new imported_at, as a real re-store would have: the per-process cache of arrays is keyed by it
    RoadGraph.objects.filter(pk=graph.pk).update(data=old_format(), imported_at=timezone.now())


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "analyst", "integrator"])
def test_a_graph_stored_in_an_old_format_is_named_with_what_to_do_not_a_crash(city, org, api, role):
    make_unreadable(city.graph)
    response = api(getattr(org, f"{role}_a")).post(URL, body(city), format="json")
    assert response.status_code == 400, response.content
    [error] = response.json()["fields"]["graph"]
    assert error["message"].startswith("The road graph of Test city cannot be read (stored graph format 0")
    assert "An administrator must re-import Test city" in error["message"]


def test_an_unreadable_graph_gives_way_to_a_larger_one_holding_the_place(city):
    lat, lon = city.origin["latitude"], city.origin["longitude"]
    stale = RoadGraph.objects.create(
        name="Corner", source="test", status=RoadGraph.Status.READY, progress_percent=100, south=lat - 0.001,
        west=lon - 0.001, north=lat + 0.001, east=lon + 0.001, node_count=1, edge_count=0, data=old_format(),
        imported_at=timezone.now(),
    )  # fmt: skip
    assert selectors.road_graph_at(lat, lon) == stale  # the smallest region holding the origin
    destination = Place(city.site.latitude, city.site.longitude, city.site)
    result = route_plan_compute(vehicle=city.vehicle, origin=Place(lat, lon), destination=destination,
                                departs_at=DEPARTS)  # fmt: skip
    assert result.graph == city.graph and result.region == "Test city"
