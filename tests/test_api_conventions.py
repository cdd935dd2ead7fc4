"""Cross-cutting API behaviour: the root lists every app, time zones, public guide, user creation."""

import pytest

from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db


def test_the_api_root_lists_the_endpoints_of_every_app(org, api):
    body = api(org.admin).get("/api/v1/").json()
    assert {"departments", "users", "activity", "vehicle-models", "vehicles", "telemetry"} <= set(body)


def test_token_clients_get_times_in_their_departments_zone(org, api):
    from datetime import UTC, datetime

    from accounts.services import department_update

    department_update(actor=None, department=org.b, time_zone="America/New_York")
    vehicle = VehicleFactory(department=org.b, last_telemetry_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    client = api()
    token = client.post("/api/v1/auth/token/", {"username": "analyst-b", "password": "correct-horse-battery"}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"/api/v1/vehicles/{vehicle.pk}/").json()["last_telemetry_at"] == "2026-01-10T07:00:00-05:00"


def test_the_department_filter_does_not_reveal_other_departments(org, api):
    client = api(org.fleet_manager_a)
    other = client.get(f"/api/v1/vehicles/?department={org.b.pk}")
    missing = client.get("/api/v1/vehicles/?department=999999")
    assert other.status_code == missing.status_code == 400
    assert other.json()["fields"]["department"][0]["code"] == missing.json()["fields"]["department"][0]["code"]


def test_an_admin_creates_an_api_only_user_without_a_password(org, api):
    response = api(org.admin).post(
        "/api/v1/users/", {"username": "gateway", "role": "integrator", "department": org.a.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    from accounts.models import User

    assert not User.objects.get(username="gateway").has_usable_password()


def test_a_duplicate_top_level_department_name_gets_a_clear_error(org, api):
    response = api(org.admin).post("/api/v1/departments/", {"name": "Org A"}, format="json")
    assert response.status_code == 400
    error = response.json()["fields"]["name"][0]
    assert error["code"] == "unique" and "choose another name" in error["message"]


def test_the_api_guide_is_public_documentation(client, db):
    response = client.get("/api/guide/")
    assert response.status_code == 200
    assert "Authorization: Token" in response.content.decode()


def test_a_lower_case_vin_is_accepted_by_the_dashboard_form(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.fleet_manager_a)
    form = {
        "vin": "wvwzzze1zpp000777",
        "department": org.a.pk,
        "vehicle_model": vehicle.vehicle_model_id,
        "status": "active",
        "priority_class": "normal",
        "state_of_health_percent": "100",
    }
    assert client.post(f"/fleet/vehicles/{vehicle.pk}/edit/", form).status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.vin == "WVWZZZE1ZPP000777"
