"""Charging-stop legs on an imported road graph: by road (the fastest paths at the departure's hour, equal to the
router's pair queries) when the origin, the stations and the destination all lie in one graph, else the
great-circle estimate, and the answer says which."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from operations.need import vehicle_model
from routing.paths import Conditions
from routing.services import stops as services
from routing.services.paths import road_router
from routing.tests.test_paths_api import store_graph
from routing.tests.test_plans_roads import _helsinki
from routing.tests.test_stops_service import _site, _weather, corridor  # noqa: F401 - the corridor fixture

pytestmark = pytest.mark.django_db
ORIGIN = (60.17142, 24.94509)  # Vilhonkatu
DESTINATION = (60.16477, 24.93830)  # Bulevardi
STATION = (60.16489, 24.94790)  # Kasarmitori


def _conditions(vehicle, departure: datetime, ambient_c: float) -> Conditions:
    local = departure.astimezone(ZoneInfo(vehicle.department.time_zone))
    model = vehicle_model(vehicle)
    return Conditions(model.params, local.hour + local.minute / 60, local.weekday(), ambient_c, model.driving_scale)


def test_legs_inside_one_road_graph_are_its_fastest_paths_and_the_plan_says_so(org, corridor, monkeypatch):  # noqa: F811
    _weather(monkeypatch, -3.0)
    graph = store_graph(_helsinki(), name="Helsinki")
    _site(org.a, "Kasarmitori charging", STATION)
    vehicle = corridor["vehicle"]
    departure = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    conditions = _conditions(vehicle, departure, -3.0)
    points = [ORIGIN, STATION, DESTINATION]
    legs = services.RoadGraphLegs(conditions=conditions)
    table = legs.table(points)
    router = road_router(graph)
    snaps = [router.snap(*p) for p in points]
    for i in range(3):
        for j in range(3):
            if i == j:
                assert table[i][j] is None
                continue
            route = router.route(snaps[i], snaps[j], "fastest", conditions)
            assert table[i][j] == pytest.approx((route.km, route.minutes), rel=1e-9)
    assert legs.label == "by road: the fastest paths at the departure's hour on the road graph 'Helsinki'"

    result = services.charging_stop_plan(
        user=org.fleet_manager_a, vehicle=vehicle, origin_latitude=ORIGIN[0], origin_longitude=ORIGIN[1],
        destination_latitude=DESTINATION[0], destination_longitude=DESTINATION[1], departure_at=departure,
        start_soc_percent=80.0,
    )  # fmt: skip
    assert result.legs == legs.label and result.as_dict()["legs"] == legs.label
    assert not result.plan.stops  # 1–2 km across the centre
    direct = router.route(snaps[0], snaps[2], "fastest", conditions)
    assert result.plan.drive_minutes == pytest.approx(direct.minutes, rel=1e-9)


def test_a_trip_leaving_the_graph_keeps_the_great_circle_estimate(org, corridor, api, monkeypatch):  # noqa: F811
    _weather(monkeypatch, 15.0)
    store_graph(_helsinki(), name="Helsinki")
    response = api(org.fleet_manager_a).post(
        "/api/v1/charging-stop-plans/",
        {"vehicle": corridor["vehicle"].pk, "destination_latitude": 53.55, "destination_longitude": 9.99,
         "departure_at": (timezone.now() + timedelta(hours=1)).isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["legs"] == services.GreatCircleLegs.label


def test_only_stations_a_chain_of_legs_within_range_joins_to_the_origin_are_kept():
    def candidate(lat, lon):
        return services.Candidate(SimpleNamespace(latitude=lat, longitude=lon), 150.0, "ccs2")

    origin = (52.0, 13.0)
    near = candidate(52.0, 13.0 + 100 / 68.6)  # ~100 km east
    chained = candidate(52.0, 13.0 + 190 / 68.6)  # ~90 km beyond it, ~190 km from the origin
    far = candidate(52.0, 13.0 + 400 / 68.6)  # ~210 km beyond the chain
    kept = services.in_reach(origin, [far, chained, near], 120.0)
    assert kept == [chained, near]  # in the candidates' order
    assert services.in_reach(origin, [far, chained, near], 50.0) == []
