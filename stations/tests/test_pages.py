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
