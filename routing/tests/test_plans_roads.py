"""Route plans on an imported road graph: road distances when the graph holds every point (equal to the router's
pair queries, longer than the great circle), the great-circle fallback outside it, and a job no road joins to the
depot refused by name with nothing stored."""

import math
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations.energy import DETOUR_FACTOR, great_circle_km
from routing.bench.queries import helsinki_graph
from routing.models import PlanJob, RoutePlan
from routing.paths import Conditions
from routing.planning import GREAT_CIRCLE, ROAD_GRAPH
from routing.services import plans
from routing.services.paths import road_router
from routing.tests.test_paths import PARAMS, graph_of
from routing.tests.test_paths_api import store_graph
from stations.models import CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
HELSINKI = ZoneInfo("Europe/Helsinki")
DAY = date(2030, 3, 12)
DEPOT = (60.1700, 24.9410)  # the demo's micro-depot, 40 m from a street of the extract
# stops of the demo's rounds, each at a junction of the extract's connected part (operations/demo.py PLACED_STOPS)
STOPS = [
    ("Hotelli Vilhonkatu", 60.17142, 24.94509),
    ("Kirjakauppa Senaatintori", 60.16980, 24.95209),
    ("Ravintola Kasarmitori", 60.16489, 24.94790),
    ("Posti Siltasaari", 60.17714, 24.94879),
    ("Leipomo Bulevardi", 60.16477, 24.93830),
]


@cache
def _helsinki():
    return helsinki_graph()


def _jobs(stops=STOPS) -> list[dict]:
    return [
        dict(name=name, latitude=lat, longitude=lon, demand_kg=50, service_minutes=5,
             window_start=datetime.combine(DAY, time(8, 0), tzinfo=HELSINKI),
             window_end=datetime.combine(DAY, time(12, 0), tzinfo=HELSINKI))
        for name, lat, lon in stops
    ]  # fmt: skip


@pytest.fixture
def depot_world(org):
    """Org A's Helsinki depot (a 50 kW CCS2 charger) and two vans."""
    CompatibilityRule.objects.get_or_create(inlet="ccs2", connector_type="ccs2", adapter="")
    depot = SiteFactory(department=org.a, name="Helsinki micro-depot", latitude=DEPOT[0], longitude=DEPOT[1],
                        time_zone="Europe/Helsinki")  # fmt: skip
    cp = ChargePointFactory(site=depot, identity="HEL-PLAN-1")
    ConnectorFactory(charge_point=cp, connector_type="ccs2", current_type="dc", max_power_kw=Decimal("50"))
    model = VehicleModelFactory(name="City van", payload_kg=600, usable_battery_kwh=Decimal("40.0"))
    vans = [VehicleFactory(department=org.a, vehicle_model=model, fleet_number=f"HV-{n}") for n in (1, 2)]

    class World:
        pass

    w = World()
    w.org, w.depot, w.vans = org, depot, vans
    return w


def _plan(world, jobs, **extra):
    data = dict(
        name="Helsinki round", department=world.org.a, depot=world.depot, service_date=DAY, day_starts=time(7, 0),
        day_ends=time(18, 0), time_limit_s=2, vehicles=world.vans, jobs=jobs,
    )  # fmt: skip
    return plans.plan_create(actor=world.org.fleet_manager_a, **{**data, **extra})


def _solve(plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_solve(actor=None, plan=plan)
    plan.refresh_from_db()
    return plan


def _points(built) -> list[tuple[float, float]]:
    return [(node.y, node.x) for node in built.instance.nodes]


def test_a_plan_inside_the_helsinki_graph_uses_road_km_equal_to_the_routers_pair_queries(depot_world):
    graph = store_graph(_helsinki(), name="Helsinki")
    plan = _plan(depot_world, _jobs())
    built, _, _ = plans.plan_instance(plan)
    assert built.distances.source == ROAD_GRAPH and built.distances.region == "Helsinki"
    router = road_router(graph)
    points = _points(built)
    snaps = [router.snap(lat, lon) for lat, lon in points]
    distance = built.instance.distance
    compared = 0
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            if i == j or a == b:
                continue
            road_km = router.route(snaps[i], snaps[j], "shortest", Conditions(PARAMS)).km
            assert distance[i, j] == pytest.approx(road_km, rel=1e-9)
            assert distance[i, j] > great_circle_km(a, b)  # one-way streets and blocks: never the straight line
            compared += 1
    assert compared >= len(STOPS) * (len(STOPS) + 1)  # every job with every job and the depot, both ways
    assert (distance != distance.T).any()  # one-way streets: there and back differ


def test_a_solved_helsinki_plan_records_the_road_graph_on_its_routes_page_and_api(
    depot_world, solver, api, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    store_graph(_helsinki(), name="Helsinki")
    plan = _solve(_plan(depot_world, _jobs()), django_capture_on_commit_callbacks)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    assert plan.result["distance_source"] == ROAD_GRAPH and plan.result["road_graph"] == "Helsinki"
    built, _, _ = plans.plan_instance(plan)
    for route in plan.routes.prefetch_related("visits"):
        legs = sum(v.km_from_previous for v in route.visits.all())
        assert route.distance_km >= legs  # the visits' road km, and the way home
        assert all(v.km_from_previous in [pytest.approx(x, abs=1e-3) for x in built.instance.distance.ravel()]
                   for v in route.visits.all())  # fmt: skip
    body = api(depot_world.org.fleet_manager_a).get(f"/api/v1/route-plans/{plan.pk}/").json()
    assert body["result"]["distance_source"] == "road_graph" and body["result"]["road_graph"] == "Helsinki"
    assert "road graph 'Helsinki'" in body["result"]["distances"]
    client = Client()
    client.force_login(depot_world.org.fleet_manager_a)
    with django_assert_max_num_queries(18):  # the plan page's bound (test_plans_pages)
        page = client.get(f"/routing/plans/{plan.pk}/").content.decode()
    assert "by road: the shortest paths on the road graph &#x27;Helsinki&#x27;" in page


def test_a_job_outside_the_graph_falls_back_on_the_great_circle_for_the_whole_plan(
    depot_world, solver, django_capture_on_commit_callbacks
):
    store_graph(_helsinki(), name="Helsinki")
    jobs = _jobs(STOPS[:3] + [("Kauppa Kallio", 60.1845, 24.9510)])  # Kallio: 600 m north of the extract
    plan = _plan(depot_world, jobs)
    built, _, _ = plans.plan_instance(plan)
    assert built.distances.source == GREAT_CIRCLE
    points = _points(built)
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            assert built.instance.distance[i, j] == pytest.approx(great_circle_km(a, b) * DETOUR_FACTOR)
    plan = _solve(plan, django_capture_on_commit_callbacks)
    assert plan.result["distance_source"] == GREAT_CIRCLE and plan.result["road_graph"] is None
    assert plan.result["distances"].startswith(f"great-circle × {DETOUR_FACTOR:g}")


def test_without_any_imported_graph_a_plan_uses_the_great_circle(depot_world):
    built, _, _ = plans.plan_instance(_plan(depot_world, _jobs()))
    assert built.distances.source == GREAT_CIRCLE


# --- a graph with parts no road joins ------------------------------------------------------------------------------

# 0-1-2 a two-way triangle around the depot; 2 -> 3 one way only (a dead end); 4-5 an island of two streets
ISLANDIA = [(60.1700, 24.9410), (60.1730, 24.9410), (60.1715, 24.9460), (60.1745, 24.9470), (60.1660, 24.9500),
            (60.1660, 24.9550)]  # fmt: skip


def _islandia():
    def street(a, b, oneway=False):
        km = great_circle_km(ISLANDIA[a], ISLANDIA[b]) * 1000 * 1.1
        there = [(a, b, km, 30.0, "residential")]
        return there if oneway else there + [(b, a, km, 30.0, "residential")]

    edges = street(0, 1) + street(1, 2) + street(2, 0) + street(2, 3, oneway=True) + street(4, 5)
    return store_graph(graph_of(ISLANDIA, edges, name="Islandia"), name="Islandia")


def test_a_job_no_road_joins_to_the_depot_is_refused_by_name_and_way_and_nothing_is_stored(depot_world):
    _islandia()
    jobs = _jobs([("Kioski", *ISLANDIA[1]), ("Umpikuja", *ISLANDIA[3]), ("Saari", *ISLANDIA[5])])
    with pytest.raises(ValidationError) as caught:
        _plan(depot_world, jobs)
    errors = caught.value.message_dict
    assert set(errors) == {"jobs[1].latitude", "jobs[2].latitude"}
    assert errors["jobs[1].latitude"][0].startswith(
        "Umpikuja: no road of 'Islandia' leads from it back to the depot (one-way streets"
    )
    assert errors["jobs[2].latitude"][0].startswith(
        "Saari: no road of 'Islandia' leads between it and the depot, either way"
    )
    assert not RoutePlan.objects.exists() and not PlanJob.objects.exists()


def test_the_api_answers_an_unreachable_job_on_its_field(depot_world, api):
    _islandia()
    jobs = [{**j, "window_start": j["window_start"].isoformat(), "window_end": j["window_end"].isoformat()}
            for j in _jobs([("Kioski", *ISLANDIA[1]), ("Saari", *ISLANDIA[4])])]  # fmt: skip
    body = dict(name="Islands", depot=depot_world.depot.pk, service_date=DAY.isoformat(), day_starts="07:00",
                day_ends="18:00", vehicles=[v.pk for v in depot_world.vans], time_limit_s=1, jobs=jobs)  # fmt: skip
    response = api(depot_world.org.fleet_manager_a).post("/api/v1/route-plans/", body, format="json")
    assert response.status_code == 400
    assert "jobs.1.latitude" in response.json()["fields"] and "Saari: no road of 'Islandia'" in str(response.json())
    assert not RoutePlan.objects.exists()


def test_a_charging_site_no_road_joins_is_left_out_and_the_plan_says_so(
    depot_world, solver, django_capture_on_commit_callbacks
):
    _islandia()
    island = SiteFactory(department=depot_world.org.a, name="Saari charging", latitude=ISLANDIA[4][0],
                         longitude=ISLANDIA[4][1], time_zone="Europe/Helsinki")  # fmt: skip
    cp = ChargePointFactory(site=island, identity="HEL-ISLAND-1")
    ConnectorFactory(charge_point=cp, connector_type="ccs2", current_type="dc", max_power_kw=Decimal("50"))
    plan = _plan(depot_world, _jobs([("Kioski", *ISLANDIA[1]), ("Kulma", *ISLANDIA[2])]))
    built, _, _ = plans.plan_instance(plan)
    assert built.distances.source == ROAD_GRAPH
    assert [n.id for n in built.instance.nodes if n.kind == "station"] == [f"site-{depot_world.depot.pk}"]
    assert all(math.isfinite(x) for x in built.instance.distance.ravel())
    plan = _solve(plan, django_capture_on_commit_callbacks)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    assert "The charging site Saari charging is left out: no road of 'Islandia' joins it" in plan.result["rule"]
