"""The operations API: scoping by department, role permissions, the services' checks in the API's error shape,
nested stops, filters, cancel, the CSV import, and lists in a constant number of queries."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fleet.tests.factories import VehicleFactory
from operations import services
from operations.models import Route, Trip
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(org):
    class Ops:
        pass

    o = Ops()
    o.van = VehicleFactory(department=org.a, fleet_number="A-1")
    o.depot = SiteFactory(department=org.a, name="Depot A", time_zone="Europe/Berlin")
    o.their_van = VehicleFactory(department=org.b)
    o.their_depot = SiteFactory(department=org.b, name="Depot B")
    start = timezone.now() + timedelta(days=1)
    o.trip = services.trip_create(actor=None, vehicle=o.van, depot=o.depot, departs_at=start,
                                  returns_at=start + timedelta(hours=6), distance_km=80)  # fmt: skip
    o.their_trip = services.trip_create(actor=None, vehicle=o.their_van, depot=o.their_depot, departs_at=start,
                                        returns_at=start + timedelta(hours=6), distance_km=80)  # fmt: skip
    return o


def _at(hours):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def test_trips_list_only_the_users_departments_with_their_need(org, api, ops):
    rows = api(org.fleet_manager_a).get("/api/v1/trips/").json()["results"]
    assert [r["id"] for r in rows] == [ops.trip.pk]
    row = rows[0]
    assert row["required_soc_percent"] > 0 and row["driving_kwh"] > 0 and row["reserve_kwh"] > 0
    assert row["need_kwh"] == pytest.approx(row["driving_kwh"] + row["climate_kwh"] + row["reserve_kwh"])
    assert row["temperature_source"]
    assert api(org.fleet_manager_a).get(f"/api/v1/trips/{ops.their_trip.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("fleet_manager", 200, 201), ("dispatcher", 200, 201), ("analyst", 200, 403), ("technician", 200, 403)],
)
def test_role_permissions_decide_who_may_book_a_trip(org, api, ops, role, read, write):

    user = getattr(org, f"{role}_a")
    client = api(user)
    assert client.get("/api/v1/trips/").status_code == read
    body = {"vehicle": ops.van.pk, "depot": ops.depot.pk, "departs_at": _at(60), "returns_at": _at(64),
            "distance_km": 40}  # fmt: skip
    expected = write if user.has_perm("operations.add_trip") else 403
    assert client.post("/api/v1/trips/", body, format="json").status_code == expected


def test_a_trip_into_another_department_is_refused_naming_the_field(org, api, ops):
    body = {"vehicle": ops.their_van.pk, "depot": ops.depot.pk, "departs_at": _at(60), "returns_at": _at(64),
            "distance_km": 40}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/trips/", body, format="json")
    assert response.status_code == 400 and "vehicle" in response.json()["fields"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"departs_at": -2, "returns_at": 3}, "departs_at", "past"),
        ({"departs_at": 26, "returns_at": 28}, "departs_at", "already has a trip"),
        ({"departs_at": 60, "returns_at": 90, "distance_km": 1900}, "distance_km", "full battery"),
        ({"departs_at": 60, "returns_at": 58}, "returns_at", "after the departure"),
    ],
)
def test_the_services_checks_come_in_the_api_error_shape(org, api, ops, change, field, words):
    body = {"vehicle": ops.van.pk, "depot": ops.depot.pk, "distance_km": 40}
    body.update({k: (_at(v) if k.endswith("_at") else v) for k, v in change.items()})
    response = api(org.fleet_manager_a).post("/api/v1/trips/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["fields"][field][0]
    assert words in error["message"]
    assert Trip.objects.count() == 2


def test_an_overlap_names_the_other_trip_in_the_depots_time_zone(org, api, ops):
    body = {"vehicle": ops.van.pk, "depot": ops.depot.pk, "distance_km": 40, "departs_at": _at(26),
            "returns_at": _at(28)}  # fmt: skip
    message = api(org.fleet_manager_a).post("/api/v1/trips/", body, format="json").json()["fields"]["departs_at"][0]
    local = ops.trip.departs_at.astimezone(ZoneInfo("Europe/Berlin"))
    end = ops.trip.returns_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"from {local:%Y-%m-%d %H:%M} to {end:%H:%M} {end:%Z} (trip {ops.trip.pk})" in message["message"]
    assert end.tzname() in ("CET", "CEST")


def test_filters_by_vehicle_status_and_departure(org, api, ops):
    client = api(org.admin)
    assert client.get(f"/api/v1/trips/?vehicle={ops.van.pk}").json()["count"] == 1
    assert client.get("/api/v1/trips/?status=cancelled").json()["count"] == 0
    later = (timezone.now() + timedelta(days=2)).isoformat().replace("+", "%2B")
    assert client.get(f"/api/v1/trips/?departs_after={later}").json()["count"] == 0
    assert client.get(f"/api/v1/trips/?departs_before={later}&depot={ops.depot.pk}").json()["count"] == 1


def test_cancel_and_a_second_cancel_is_refused(org, api, ops):
    client = api(org.fleet_manager_a)
    response = client.post(f"/api/v1/trips/{ops.trip.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/trips/{ops.trip.pk}/cancel/")
    assert again.status_code == 400 and "status" in again.json()["fields"]
    assert api(org.analyst_a).post(f"/api/v1/trips/{ops.trip.pk}/cancel/").status_code == 403


def test_a_route_write_replaces_its_stops_and_names_a_bad_stop(org, api, ops):
    client = api(org.fleet_manager_a)
    stops = [{"name": "A", "latitude": 52.5, "longitude": 13.4}, {"name": "B", "latitude": 52.6, "longitude": 13.5}]
    body = {"department": org.a.pk, "name": "Ring", "stops": stops}
    created = client.post("/api/v1/routes/", body, format="json")
    assert created.status_code == 201, created.content
    route_id = created.json()["id"]
    assert [s["sequence"] for s in created.json()["stops"]] == [1, 2]
    wrong = {"name": "D", "longitude": 13.5, "window_opens": "10:00", "window_closes": "09:00"}
    bad = client.patch(f"/api/v1/routes/{route_id}/", {"stops": [stops[0], wrong]}, format="json")
    assert bad.status_code == 400
    assert {"stops.1.latitude", "stops.1.window_closes"} <= set(bad.json()["fields"])
    assert Route.objects.get(pk=route_id).stops.count() == 2  # untouched
    replaced = client.patch(f"/api/v1/routes/{route_id}/", {"stops": [{"name": "Only", "latitude": 1, "longitude": 2}]},
                            format="json")  # fmt: skip
    assert [s["name"] for s in replaced.json()["stops"]] == ["Only"]


def test_a_duty_schedule_generates_trips_and_shows_local_times(org, api, ops):
    other = VehicleFactory(department=org.a)
    body = {"department": org.a.pk, "name": "Early", "vehicle": other.pk, "depot": ops.depot.pk,
            "weekdays": "mon,tue,wed,thu,fri,sat,sun", "departs_local": "06:30", "returns_local": "15:00",
            "distance_km": 100, "valid_from": timezone.now().date().isoformat()}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/duty-schedules/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["departs_local"] == "06:30"
    assert Trip.objects.filter(vehicle=other).count() >= 13


CSV = "vehicle,depot,departs_at,returns_at,distance_km\nA-1,Depot A,{d} 06:30,{d} 15:00,140\n"


@pytest.mark.parametrize("how", ["json", "multipart", "text/csv"])
def test_the_import_takes_json_a_file_or_a_csv_body_and_dry_runs(org, api, ops, how):
    text = CSV.format(d=(timezone.now() + timedelta(days=5)).date().isoformat())
    client = api(org.fleet_manager_a)

    def send(query=""):
        url = f"/api/v1/trips/import/{query}"
        if how == "json":
            return client.post(url, {"csv": text}, format="json")
        if how == "multipart":
            return client.post(url, {"file": SimpleUploadedFile("t.csv", text.encode())}, format="multipart")
        return client.generic("POST", url, text.encode(), content_type="text/csv")

    dry = send("?dry_run=true")
    assert dry.status_code == 200, dry.content
    assert dry.json() == {"rows": 1, "valid_rows": 1, "created": 0, "dry_run": True, "errors": []}
    assert Trip.objects.count() == 2
    stored = send()
    assert stored.status_code == 201 and stored.json()["created"] == 1
    again = send()  # the same trip overlaps the one just stored
    assert again.status_code == 400
    assert again.json()["errors"][0]["row"] == 2 and again.json()["errors"][0]["field"] == "departs_at"


def test_the_import_is_refused_to_a_role_that_cannot_book(org, api, ops):
    response = api(org.analyst_a).post("/api/v1/trips/import/", {"csv": "x"}, format="json")
    assert response.status_code == 403


def test_the_trip_list_runs_a_constant_number_of_queries(org, api, ops, django_assert_max_num_queries):
    start = timezone.now() + timedelta(days=3)
    for _ in range(12):
        vehicle = VehicleFactory(department=org.a)
        services.trip_create(actor=None, vehicle=vehicle, depot=ops.depot, departs_at=start,
                             returns_at=start + timedelta(hours=2), distance_km=20)  # fmt: skip
    client = api(org.fleet_manager_a)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/trips/").json()["count"] == 13
    with django_assert_max_num_queries(8):
        client.get("/api/v1/routes/")
    with django_assert_max_num_queries(8):
        client.get("/api/v1/duty-schedules/")
