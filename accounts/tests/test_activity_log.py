import pytest
from django_celery_beat.models import PeriodicTask

from accounts.models import ActivityLog, Department
from accounts.services import department_create, department_update
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from notifications.models import SessionReport

pytestmark = pytest.mark.django_db


def _entries(vehicle_id):
    return ActivityLog.objects.filter(content_type__model="vehicle", object_id=str(vehicle_id)).order_by("id")


def test_api_create_update_delete_are_logged_with_who_where_and_what(org, api):
    client = api(org.fleet_manager_a)
    model = VehicleModelFactory()
    created = client.post(
        "/api/v1/vehicles/",
        {"vin": "WVWZZZE1ZPP000201", "department": org.a.pk, "vehicle_model": model.pk},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    ).json()
    client.patch(f"/api/v1/vehicles/{created['id']}/", {"status": "maintenance"}, format="json", REMOTE_ADDR="10.1.2.3")
    client.delete(f"/api/v1/vehicles/{created['id']}/", REMOTE_ADDR="10.1.2.3")

    create, update, delete = _entries(created["id"])
    assert [e.action for e in (create, update, delete)] == ["create", "update", "delete"]
    for entry in (create, update, delete):
        assert entry.actor == org.fleet_manager_a
        assert entry.actor_username == "fleet_manager-a"
        assert entry.source == "api"
        assert entry.ip_address == "10.1.2.3"
        assert entry.department_id == org.a.pk
    assert create.changes["vin"] == [None, "WVWZZZE1ZPP000201"]
    assert update.changes == {"status": ["active", "maintenance"]}
    assert delete.changes["vin"] == ["WVWZZZE1ZPP000201", None]
    assert "WVWZZZE1ZPP000201" in delete.object_repr


def test_an_update_that_changes_nothing_is_not_logged(org, api):
    vehicle = VehicleFactory(department=org.a)
    before = ActivityLog.objects.count()
    api(org.fleet_manager_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "active"}, format="json")
    assert ActivityLog.objects.count() == before


def test_dashboard_edits_are_logged_as_dashboard(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.technician_a)
    form = {
        "vin": vehicle.vin,
        "fleet_number": vehicle.fleet_number,
        "license_plate": "B-NEW 1",
        "department": org.a.pk,
        "vehicle_model": vehicle.vehicle_model_id,
        "status": "maintenance",
        "priority_class": "normal",
        "state_of_health_percent": "97.5",
    }
    response = client.post(f"/fleet/vehicles/{vehicle.pk}/edit/", form, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = _entries(vehicle.pk).last()
    assert entry.source == "dashboard"
    assert entry.actor == org.technician_a
    assert entry.ip_address == "192.0.2.7"
    assert entry.changes["status"] == ["active", "maintenance"]
    assert entry.changes["license_plate"][1] == "B-NEW 1"
    assert entry.changes["state_of_health_percent"] == [100.0, 97.5]


def test_dashboard_form_errors_name_the_field_and_keep_the_stored_vehicle(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.fleet_manager_a)
    form = {
        "vin": "WVWZZZE1ZPP00O201",
        "department": org.a.pk,
        "vehicle_model": vehicle.vehicle_model_id,
        "status": "active",
        "priority_class": "normal",
        "state_of_health_percent": "100",
    }
    response = client.post(f"/fleet/vehicles/{vehicle.pk}/edit/", form)
    assert response.status_code == 200
    assert "never contains I, O or Q" in response.content.decode()
    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert stored.vin == vehicle.vin


def test_admin_edits_are_logged_as_admin(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.admin)
    form = {
        "vin": vehicle.vin,
        "license_plate": "ADM 1",
        "fleet_number": vehicle.fleet_number,
        "department": org.a.pk,
        "vehicle_model": vehicle.vehicle_model_id,
        "status": "retired",
        "priority_class": "low",
        "state_of_health_percent": "100",
    }
    response = client.post(f"/admin/fleet/vehicle/{vehicle.pk}/change/", form, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = _entries(vehicle.pk).last()
    assert entry.source == "admin"
    assert entry.ip_address == "198.51.100.9"
    assert entry.changes["status"] == ["active", "retired"]
    assert entry.changes["priority_class"] == ["normal", "low"]


def test_admin_deletes_are_logged(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.admin)
    response = client.post(f"/admin/fleet/vehicle/{vehicle.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _entries(vehicle.pk).last().action == "delete"


def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_declared_proxy(org, api, settings):
    vehicle = VehicleFactory(department=org.a)
    client = api(org.fleet_manager_a)
    spoof = {"HTTP_X_FORWARDED_FOR": "203.0.113.5", "REMOTE_ADDR": "127.0.0.1"}
    client.patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json", **spoof)
    assert _entries(vehicle.pk).last().ip_address == "127.0.0.1"
    settings.EVFLEET_TRUSTED_PROXY_COUNT = 1
    client.patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "active"}, format="json", **spoof)
    assert _entries(vehicle.pk).last().ip_address == "203.0.113.5"


def test_password_changes_are_logged_without_the_hash(org, api):
    response = api(org.admin).patch(
        f"/api/v1/users/{org.analyst_a.pk}/", {"password": "another-good-pass-9"}, format="json"
    )
    assert response.status_code == 200
    entry = ActivityLog.objects.filter(content_type__model="user", object_id=str(org.analyst_a.pk)).first()  # newest
    before, after = entry.changes["password"]
    assert before != after
    assert before.startswith("(hidden ") and after.startswith("(hidden ")
    assert "md5" not in str(entry.changes)


def test_a_weak_password_is_rejected_with_the_validators_codes(org, api):
    response = api(org.admin).patch(f"/api/v1/users/{org.analyst_a.pk}/", {"password": "123"}, format="json")
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["fields"]["password"]}
    assert "password_too_short" in codes


def test_admins_filter_the_log_through_the_api(org, api):
    vehicle = VehicleFactory(department=org.a)
    api(org.fleet_manager_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json")
    client = api(org.admin)
    results = client.get(f"/api/v1/activity/?object_type=fleet.vehicle&object_id={vehicle.pk}&action=update").json()
    assert results["count"] == 1
    assert results["results"][0]["changes"] == {"status": ["active", "maintenance"]}
    assert results["results"][0]["object_type"] == "fleet.vehicle"
    by_actor = client.get(f"/api/v1/activity/?actor={org.fleet_manager_a.pk}").json()
    assert by_actor["count"] == 1


@pytest.mark.parametrize("count", [2, 20])
def test_the_activity_log_list_runs_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    vehicles = VehicleFactory.create_batch(count, department=org.a)
    for vehicle in vehicles:
        api(org.fleet_manager_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json")
    with django_assert_max_num_queries(2):
        api(org.admin).get("/api/v1/activity/?page_size=500")


def test_the_admin_activity_log_page_lists_entries(org, client):
    VehicleFactory(department=org.a)
    client.force_login(org.admin)
    response = client.get("/admin/accounts/activitylog/?action__exact=create")
    assert response.status_code == 200
    assert "Created" in response.content.decode()


def test_a_password_set_in_the_admin_is_logged(org, client):
    client.force_login(org.admin)
    response = client.post(
        f"/admin/accounts/user/{org.analyst_a.pk}/password/",
        {"password1": "brand-new-secret-77", "password2": "brand-new-secret-77"},
    )
    assert response.status_code == 302
    entry = ActivityLog.objects.filter(content_type__model="user", object_id=str(org.analyst_a.pk)).first()
    assert entry.source == "admin" and "password" in entry.changes


def _department_entries(department_id):
    return ActivityLog.objects.filter(content_type__model="department", object_id=str(department_id)).order_by("id")


def _empty_department_with_history(actor):
    """A department created and renamed through the services (two entries), with nothing in it."""
    department = department_create(actor=actor, name="Night shift")
    return department_update(actor=actor, department=department, name="Night shift (closed)")


@pytest.mark.django_db(transaction=True)  # committed for real: the log's rows are checked against the database
def test_deleting_an_empty_department_through_the_api_keeps_its_entries_with_their_label(org, api):
    department = _empty_department_with_history(org.admin)
    schedules = list(SessionReport.objects.filter(department=department).values_list("periodic_task_id", flat=True))
    assert len(schedules) == 2

    response = api(org.admin).delete(f"/api/v1/departments/{department.pk}/", REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 204, response.content
    assert not Department.objects.filter(pk=department.pk).exists()
    created, renamed, deleted = _department_entries(department.pk)
    assert [e.action for e in (created, renamed, deleted)] == ["create", "update", "delete"]
    assert created.object_repr == "Night shift" and renamed.object_repr == "Night shift (closed)"
    assert deleted.object_repr == "Night shift (closed)" and deleted.changes["name"] == ["Night shift (closed)", None]
    assert (deleted.actor, deleted.source, deleted.ip_address) == (org.admin, "api", "10.9.8.7")
    # the entries still say which department they were about, although it is gone
    assert {e.department_id for e in (created, renamed, deleted)} == {department.pk}
    # its daily and weekly session reports go with it, their beat schedules too
    assert not PeriodicTask.objects.filter(pk__in=schedules).exists()
    listed = api(org.admin).get("/api/v1/activity/", {"object_type": "accounts.department", "object_id": department.pk})
    assert listed.status_code == 200
    assert [e["object_repr"] for e in listed.json()["results"]][0] == "Night shift (closed)"


@pytest.mark.django_db(transaction=True)
def test_deleting_an_empty_department_in_the_admin_keeps_its_entries_with_their_label(org, client):
    department = _empty_department_with_history(org.admin)
    client.force_login(org.admin)
    confirm = client.get(f"/admin/accounts/department/{department.pk}/delete/")
    assert confirm.status_code == 200
    response = client.post(f"/admin/accounts/department/{department.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Department.objects.filter(pk=department.pk).exists()
    entries = list(_department_entries(department.pk))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[-1].source == "admin" and entries[-1].object_repr == "Night shift (closed)"
    page = client.get(f"/admin/accounts/activitylog/{entries[-1].pk}/change/")
    assert page.status_code == 200 and "Night shift (closed)" in page.content.decode()
    listing = client.get("/admin/accounts/activitylog/", {"q": "Night shift"})
    assert listing.status_code == 200 and listing.content.decode().count("Night shift") >= 3
