"""Dashboard pages: constant query counts whatever the fleet size, filters, charts and forms."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import DepartmentFactory, UserFactory
from charging.tests.factories import plugged_in
from fleet.models import Vehicle
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [2, 40])
def test_the_fleet_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    for i in range(count):
        VehicleFactory(department=org.a1 if i % 2 else org.a, vehicle_model=VehicleModelFactory(name=f"M{i % 5}"))
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        response = client.get("/fleet/?status=active")
    assert response.status_code == 200


@pytest.mark.parametrize("points", [10, 400])
def test_the_vehicle_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, points):
    vehicle = VehicleFactory(department=org.a)
    now = timezone.now()
    for i in range(points):
        TelemetryPointFactory(vehicle=vehicle, recorded_at=now - timedelta(minutes=5 * i), soc_percent=50 + i % 30)
    client.force_login(org.analyst_a)
    # the page's own 8 and the panels of the apps above (fleet/panels.py; simulation's battery health: 3)
    with django_assert_max_num_queries(11):
        response = client.get(f"/fleet/vehicles/{vehicle.pk}/?period=30d")
    assert response.status_code == 200
    assert f"{points} readings" in response.content.decode()


def test_the_fleet_page_filters_and_counts(org, client):
    plugged_in(VehicleFactory(department=org.a, status="active", license_plate="CH-1"))
    VehicleFactory(department=org.a1, status="active", license_plate="AC-1")
    client.force_login(org.fleet_manager_a)
    response = client.get("/fleet/", {"status": "charging"})
    assert response.context["page"].paginator.count == 1
    assert response.context["summary"]["total"] == 2
    assert response.context["summary"]["status_charging"] == 1
    response = client.get("/fleet/", {"department": org.a1.pk})
    assert [v.license_plate for v in response.context["page"]] == ["AC-1"]
    response = client.get("/fleet/", {"q": "ch-"})
    assert [v.license_plate for v in response.context["page"]] == ["CH-1"]


def test_the_vehicle_page_embeds_the_local_plotly_and_the_charts(org, client):
    vehicle = VehicleFactory(department=org.a)
    TelemetryPointFactory(vehicle=vehicle, recorded_at=timezone.now() - timedelta(hours=1))
    client.force_login(org.analyst_a)
    body = client.get(f"/fleet/vehicles/{vehicle.pk}/").content.decode()
    assert "/static/vendor/plotly.min.js" in body
    assert 'id="figure-soc"' in body and 'id="figure-power"' in body
    assert "cdn.plot.ly" not in body


def test_plotly_is_served_locally(client, db):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_a_fleet_manager_creates_a_vehicle_from_the_dashboard(org, client):
    model = VehicleModelFactory()
    client.force_login(org.fleet_manager_a)
    response = client.post(
        "/fleet/vehicles/new/",
        {
            "vin": "WVWZZZE1ZPP000401",
            "fleet_number": "D-1",
            "license_plate": "",
            "department": org.a1.pk,
            "vehicle_model": model.pk,
            "status": "active",
            "priority_class": "normal",
            "state_of_health_percent": "100",
        },
    )
    vehicle = Vehicle.objects.get(vin="WVWZZZE1ZPP000401")
    assert response.status_code == 302 and response["Location"] == f"/fleet/vehicles/{vehicle.pk}/"


def test_roles_without_the_permission_cannot_open_the_edit_pages(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.analyst_a)
    assert client.get(f"/fleet/vehicles/{vehicle.pk}/edit/").status_code == 403
    assert client.get("/fleet/vehicles/new/").status_code == 403
    assert client.post(f"/fleet/vehicles/{vehicle.pk}/delete/").status_code == 403
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_times_are_shown_in_the_departments_time_zone(client, db):
    department = DepartmentFactory(name="NYC", time_zone="America/New_York")
    user = UserFactory(department=department)
    VehicleFactory(department=department, last_telemetry_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    client.force_login(user)
    body = client.get("/fleet/").content.decode()
    assert "01 Jul 08:00" in body  # 12:00 UTC is 08:00 EDT
    assert "America/New_York" in body
