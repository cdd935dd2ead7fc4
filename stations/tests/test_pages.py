import pytest

from stations.models import OcppMessage
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 8])
def test_the_stations_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    for _ in range(count):
        cp = ChargePointFactory(site=SiteFactory(department=org.a))
        ConnectorFactory(charge_point=cp)
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        response = client.get("/stations/")
    assert response.status_code == 200


def test_a_charge_point_page_shows_connectors_availability_and_the_message_log(org, client):
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-PAGE")
    ConnectorFactory(charge_point=cp)
    OcppMessage.objects.create(
        charge_point=cp, identity=cp.identity, direction="in", message_type=2, action="Heartbeat", payload={}
    )
    client.force_login(org.technician_a)
    body = client.get(f"/stations/charge-points/{cp.pk}/").content.decode()
    assert "CP-PAGE" in body and "Heartbeat" in body and "Available (30 d)" in body


def test_another_departments_charge_point_page_is_404(org, client):
    cp = ChargePointFactory(site=SiteFactory(department=org.b))
    client.force_login(org.fleet_manager_a)
    assert client.get(f"/stations/charge-points/{cp.pk}/").status_code == 404
    assert cp.identity not in client.get("/stations/").content.decode()


def test_a_fleet_manager_creates_edits_and_deletes_stations_from_the_dashboard(org, client):
    from accounts.models import ActivityLog
    from stations.models import ChargePoint, Connector, Site

    client.force_login(org.fleet_manager_a)
    response = client.post(
        "/stations/sites/new/",
        {
            "name": "East depot",
            "department": org.a1.pk,
            "address": "",
            "latitude": "52.5",
            "longitude": "13.4",
            "time_zone": "Europe/Berlin",
            "grid_limit_kw": "250.0",
        },
    )
    assert response.status_code == 302
    site = Site.objects.get(name="East depot")
    response = client.post(
        "/stations/charge-points/new/",
        {
            "identity": "EAST-1",
            "site": site.pk,
            "registration_status": "accepted",
            "heartbeat_interval_s": "60",
            "password": "sixteen-chars-pass",
        },
    )
    assert response.status_code == 302
    charge_point = ChargePoint.objects.get(identity="EAST-1")
    assert charge_point.password_hash
    response = client.post(
        f"/stations/charge-points/{charge_point.pk}/connectors/new/",
        {
            "evse_id": "1",
            "connector_id": "1",
            "connector_type": "ccs2",
            "current_type": "dc",
            "max_power_kw": "150.0",
            "max_current_a": "375",
            "nominal_voltage_v": "400",
        },
    )
    assert response.status_code == 302
    connector = Connector.objects.get(charge_point=charge_point)
    response = client.post(
        f"/stations/connectors/{connector.pk}/edit/",
        {
            "evse_id": "1",
            "connector_id": "1",
            "connector_type": "ccs2",
            "current_type": "dc",
            "max_power_kw": "120.0",
            "max_current_a": "300",
            "nominal_voltage_v": "400",
        },
    )
    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.max_power_kw == 120
    assert client.post(f"/stations/sites/{site.pk}/delete/").status_code == 302  # refused: it has a charge point
    assert Site.objects.filter(pk=site.pk).exists()
    assert client.post(f"/stations/charge-points/{charge_point.pk}/delete/").status_code == 302
    assert not ChargePoint.objects.filter(pk=charge_point.pk).exists()
    sources = set(ActivityLog.objects.filter(actor=org.fleet_manager_a).values_list("source", flat=True))
    assert sources == {"dashboard"}


def test_dashboard_station_forms_reject_bad_input_and_other_departments(org, client):
    from stations.models import Site

    client.force_login(org.fleet_manager_a)
    response = client.post(
        "/stations/sites/new/",
        {
            "name": "X",
            "department": org.b.pk,
            "latitude": "95",
            "longitude": "0",
            "time_zone": "Mars/Olympus",
            "grid_limit_kw": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"department", "latitude", "time_zone", "grid_limit_kw"} <= set(errors)
    assert not Site.objects.filter(name="X").exists()
    other = ChargePointFactory(site=SiteFactory(department=org.b))
    assert client.get(f"/stations/charge-points/{other.pk}/edit/").status_code == 404
    client.force_login(org.analyst_a)
    assert client.get("/stations/sites/new/").status_code == 403


def test_the_admin_adds_a_charge_point_with_a_checked_password(org, client):
    from stations.models import ChargePoint

    site = SiteFactory(department=org.a)
    client.force_login(org.admin)
    form = {
        "identity": "ADM-CP",
        "site": site.pk,
        "registration_status": "accepted",
        "heartbeat_interval_s": "60",
        "connectors-TOTAL_FORMS": "0",
        "connectors-INITIAL_FORMS": "0",
        "connectors-MIN_NUM_FORMS": "0",
        "connectors-MAX_NUM_FORMS": "1000",
    }
    short = client.post("/admin/stations/chargepoint/add/", {**form, "password": "too-short"})
    assert short.status_code == 200 and not ChargePoint.objects.filter(identity="ADM-CP").exists()
    done = client.post("/admin/stations/chargepoint/add/", {**form, "password": "a-long-enough-password"})
    assert done.status_code == 302
    assert ChargePoint.objects.get(identity="ADM-CP").password_hash
