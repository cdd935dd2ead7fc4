"""A user of department A never sees department B's objects: in the API, the dashboard and the admin."""

import pytest

from accounts.models import ActivityLog, Department
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vehicles(org):
    return {
        "a": VehicleFactory(department=org.a),
        "a1": VehicleFactory(department=org.a1),
        "b": VehicleFactory(department=org.b),
    }


# --- API -------------------------------------------------------------------------------------


def test_the_vehicle_list_holds_only_the_users_subtree(org, api, vehicles):
    ids = {v["id"] for v in api(org.fleet_manager_a).get("/api/v1/vehicles/").json()["results"]}
    assert ids == {vehicles["a"].pk, vehicles["a1"].pk}


def test_a_team_member_sees_the_team_but_not_the_parent_department(org, api, vehicles):
    ids = {v["id"] for v in api(org.manager_a1).get("/api/v1/vehicles/").json()["results"]}
    assert ids == {vehicles["a1"].pk}


def test_an_admin_sees_every_department(org, api, vehicles):
    assert api(org.admin).get("/api/v1/vehicles/").json()["count"] == 3


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_departments_vehicle_is_404_for_every_method(org, api, vehicles, method):
    client = api(org.fleet_manager_a)
    response = getattr(client, method)(f"/api/v1/vehicles/{vehicles['b'].pk}/", {"status": "retired"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    vehicles["b"].refresh_from_db()
    assert vehicles["b"].status == "active"


def test_telemetry_of_another_department_is_invisible(org, api, vehicles):
    TelemetryPointFactory(vehicle=vehicles["a"])
    point_b = TelemetryPointFactory(vehicle=vehicles["b"])
    client = api(org.analyst_a)
    results = client.get("/api/v1/telemetry/").json()["results"]
    assert {p["vehicle"] for p in results} == {vehicles["a"].pk}
    assert client.get(f"/api/v1/telemetry/{point_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/telemetry/?vehicle={vehicles['b'].pk}").json()["results"] == []


def test_departments_are_scoped_to_the_subtree(org, api):
    client = api(org.analyst_a)
    names = {d["name"] for d in client.get("/api/v1/departments/").json()["results"]}
    assert names == {"Org A", "Team A1"}
    assert client.get(f"/api/v1/departments/{org.b.pk}/").status_code == 404


def test_users_and_the_activity_log_are_for_administrators_only(org, api):
    client = api(org.fleet_manager_a)
    assert client.get("/api/v1/users/").status_code == 403
    assert client.get("/api/v1/activity/").status_code == 403
    assert api(org.admin).get("/api/v1/users/").status_code == 200
    assert api(org.admin).get("/api/v1/activity/").status_code == 200


def test_telemetry_ingest_cannot_write_to_another_departments_vehicle(org, api, vehicles):
    response = api(org.integrator_a).post(
        "/api/v1/telemetry/bulk/",
        {"points": [{"vehicle": vehicles["b"].pk, "recorded_at": "2026-01-01T00:00:00Z", "soc_percent": 50}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_vehicle"


# --- Dashboard -------------------------------------------------------------------------------


def test_the_fleet_page_lists_only_the_users_vehicles(org, client, vehicles):
    client.force_login(org.fleet_manager_a)
    body = client.get("/fleet/").content.decode()
    assert vehicles["a"].vin in body and vehicles["a1"].vin in body
    assert vehicles["b"].vin not in body


@pytest.mark.parametrize("suffix", ["", "edit/", "delete/"])
def test_another_departments_vehicle_page_is_404(org, client, vehicles, suffix):
    client.force_login(org.fleet_manager_a)
    assert client.get(f"/fleet/vehicles/{vehicles['b'].pk}/{suffix}").status_code == 404
    assert client.get(f"/fleet/vehicles/{vehicles['a1'].pk}/{suffix}").status_code == 200


def test_an_integrator_cannot_use_the_dashboard(org, client):
    response = client.post("/accounts/login/", {"username": "integrator-a", "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert "integrator account for the REST API" in response.content.decode()


def test_a_page_needs_a_login(db, client):
    response = client.get("/fleet/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Admin -----------------------------------------------------------------------------------


def test_the_admin_vehicle_list_is_scoped(org, client, vehicles):
    client.force_login(org.fleet_manager_a)
    body = client.get("/admin/fleet/vehicle/").content.decode()
    assert vehicles["a"].vin in body
    assert vehicles["b"].vin not in body


def test_another_departments_vehicle_is_not_found_in_the_admin(org, client, vehicles):
    client.force_login(org.fleet_manager_a)
    # The admin redirects a missing object to its index with a message: the object is not shown.
    response = client.get(f"/admin/fleet/vehicle/{vehicles['b'].pk}/change/", follow=True)
    assert vehicles["b"].vin not in response.content.decode()
    assert "doesn’t exist" in response.content.decode()
    assert client.get(f"/admin/fleet/vehicle/{vehicles['a'].pk}/change/").status_code == 200


def test_the_admin_offers_only_the_users_departments(org, client):
    client.force_login(org.fleet_manager_a)
    body = client.get("/admin/fleet/vehicle/add/").content.decode()
    assert "Team A1" in body
    assert "Org B" not in body


def test_the_admin_department_list_is_scoped(org, client):
    client.force_login(org.analyst_a)
    body = client.get("/admin/accounts/department/").content.decode()
    assert "Team A1" in body and "Org B" not in body


def test_an_integrator_cannot_enter_the_admin(org, client):
    client.force_login(org.integrator_a)
    assert client.get("/admin/").status_code == 302


def test_activity_log_is_not_browsable_by_a_fleet_manager_in_the_admin(org, client):
    client.force_login(org.fleet_manager_a)
    assert client.get("/admin/accounts/activitylog/").status_code == 403
    assert ActivityLog.objects.exists()


def test_moving_a_department_moves_its_subtree_for_scoping(org, api):
    from accounts.services import department_update

    department_update(actor=org.admin, department=Department.objects.get(pk=org.a1.pk), parent=org.b)
    vehicle = VehicleFactory(department=org.a1)
    assert api(org.fleet_manager_b).get(f"/api/v1/vehicles/{vehicle.pk}/").status_code == 200
    assert api(org.fleet_manager_a).get(f"/api/v1/vehicles/{vehicle.pk}/").status_code == 404


def test_a_department_cannot_become_its_own_descendant(org, api):
    response = api(org.admin).patch(f"/api/v1/departments/{org.a.pk}/", {"parent": org.a1.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["parent"][0]["code"] == "department_cycle"


def test_a_department_in_use_cannot_be_deleted(org, api, vehicles):
    response = api(org.admin).delete(f"/api/v1/departments/{org.b.pk}/")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"][0]["code"] == "department_in_use"
    assert Department.objects.filter(pk=org.b.pk).exists()


@pytest.mark.parametrize("count", [2, 20])
def test_department_and_user_lists_run_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    from accounts.tests.factories import DepartmentFactory, UserFactory

    for i in range(count):
        UserFactory(department=DepartmentFactory(parent=org.a, name=f"Team {i}"))
    client = api(org.admin)
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/departments/?page_size=500").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/users/?page_size=500").status_code == 200
