"""The state-of-health API: one vehicle's health (history, observations, prediction with its band) and the fleet's
vehicles nearing a threshold; scoped by department per role, constant queries, bad input named."""

from datetime import date

import pytest

from fleet.tests.factories import VehicleFactory
from simulation.tests.factories import health_of

pytestmark = pytest.mark.django_db
NEARING = "/api/v1/simulation/health/nearing/"


def test_a_vehicles_health_has_its_history_and_a_widening_prediction_band(org, api):
    vehicle = VehicleFactory(department=org.a1)
    health_of(vehicle, soh_percent=90, history_days=10)
    response = api(org.fleet_manager_a).get(f"/api/v1/vehicle-health/{vehicle.pk}/", {"horizon_days": 730})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["vehicle"] == vehicle.pk and body["soh_percent"] == 90
    assert [row["day"] for row in body["history"]] == sorted(row["day"] for row in body["history"])
    assert len(body["history"]) == 10
    points = body["prediction"]
    assert points[0]["days"] == 0 and points[-1]["days"] <= 730
    widths = [p["high_percent"] - p["low_percent"] for p in points]
    assert widths[-1] > widths[0]
    assert all(p["low_percent"] <= p["mean_percent"] <= p["high_percent"] for p in points)
    reaches = body["reaches"]
    assert reaches["threshold_percent"] == 80
    assert date.fromisoformat(reaches["earliest"]) <= date.fromisoformat(reaches["expected"])


@pytest.mark.parametrize(
    ("role", "sees_b"), [("fleet_manager", False), ("dispatcher", False), ("technician", False), ("analyst", False)]
)
def test_each_role_sees_the_health_of_its_own_departments_only(org, api, role, sees_b):
    mine = VehicleFactory(department=org.a)
    theirs = VehicleFactory(department=org.b)
    health_of(mine, soh_percent=82)
    health_of(theirs, soh_percent=82)
    client = api(getattr(org, f"{role}_a"))
    assert client.get(f"/api/v1/vehicle-health/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/vehicle-health/{theirs.pk}/").status_code == (200 if sees_b else 404)
    listed = [row["vehicle"] for row in client.get("/api/v1/vehicle-health/").json()["results"]]
    assert listed == [mine.pk]
    nearing = client.get(NEARING).json()
    assert [row["vehicle"] for row in nearing["results"]] == [mine.pk]


def test_an_integrator_reads_its_departments_nearing_list_and_an_admin_all(org, api):
    health_of(VehicleFactory(department=org.a), soh_percent=81)
    health_of(VehicleFactory(department=org.b), soh_percent=81)
    assert api(org.integrator_b).get(NEARING).json()["count"] == 1
    assert api(org.admin).get(NEARING).json()["count"] == 2
    assert api().get(NEARING).status_code == 401


def test_the_nearing_list_is_ordered_and_carries_the_dates(org, api):
    slow = VehicleFactory(department=org.a)
    fast = VehicleFactory(department=org.a)
    health_of(slow, soh_percent=92, fade_per_year_percent=1.5)
    health_of(fast, soh_percent=84, fade_per_year_percent=3)
    body = api(org.analyst_a).get(NEARING, {"threshold_percent": 80}).json()
    assert body["threshold_percent"] == 80
    assert [row["vehicle"] for row in body["results"]] == [fast.pk, slow.pk]
    first = body["results"][0]
    assert first["earliest"] <= first["expected"] <= first["latest"]
    reverse = api(org.analyst_a).get(NEARING, {"sort": "-expected"}).json()
    assert [row["vehicle"] for row in reverse["results"]] == [slow.pk, fast.pk]


@pytest.mark.parametrize("count", [2, 30])
def test_the_lists_run_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    for i in range(count):
        health_of(VehicleFactory(department=org.a), soh_percent=81 + i % 7)
    client = api(org.fleet_manager_a)
    with django_assert_max_num_queries(6):
        assert client.get(NEARING).json()["count"] == count
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/vehicle-health/").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"threshold_percent": 120}, "threshold_percent"),
        ({"threshold_percent": 49}, "threshold_percent"),
        ({"threshold_percent": "eighty"}, "threshold_percent"),
        ({"sort": "colour"}, "sort"),
    ],
)
def test_bad_input_to_the_nearing_list_is_a_400_naming_the_field(org, api, query, field):
    response = api(org.fleet_manager_a).get(NEARING, query)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"horizon_days": 5000}, "horizon_days", "max_value"),
        ({"horizon_days": 0}, "horizon_days", "min_value"),
        ({"history_days": 99999}, "history_days", "max_value"),
        ({"threshold_percent": 101}, "threshold_percent", "max_value"),
        ({"colour": "red"}, "colour", "unknown_parameter"),
    ],
)
def test_bad_input_to_a_vehicles_health_is_a_400_naming_the_field(org, api, query, field, code):
    vehicle = VehicleFactory(department=org.a)
    health_of(vehicle)
    response = api(org.fleet_manager_a).get(f"/api/v1/vehicle-health/{vehicle.pk}/", query)
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert list(errors) == [field] and errors[field][0]["code"] == code
    if field == "horizon_days":
        assert "3650" in errors[field][0]["message"]


def test_the_health_api_is_read_only(org, api):
    vehicle = VehicleFactory(department=org.a)
    health_of(vehicle)
    assert api(org.fleet_manager_a).delete(f"/api/v1/vehicle-health/{vehicle.pk}/").status_code == 403
    assert api(org.admin).delete(f"/api/v1/vehicle-health/{vehicle.pk}/").status_code == 405


@pytest.mark.parametrize("vehicle_id", ["99999999999999999999", "9223372036854775808"])
def test_a_vehicle_id_beyond_64_bits_is_a_404_not_a_500(org, api, vehicle_id):
    client = api(org.fleet_manager_a)
    client.raise_request_exception = False
    assert client.get(f"/api/v1/vehicle-health/{vehicle_id}/").status_code == 404
    assert client.get(f"/api/v1/vehicle-health/{vehicle_id}/", {"unknown": "1"}).status_code == 404
