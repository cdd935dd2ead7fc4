from decimal import Decimal

import pytest

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from stations.models import ChargePoint, CompatibilityRule, Connector, Site
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def depots(org):
    a, b = SiteFactory(department=org.a1, name="A depot"), SiteFactory(department=org.b, name="B depot")
    cp_a, cp_b = ChargePointFactory(site=a, identity="A-1"), ChargePointFactory(site=b, identity="B-1")
    return {
        "a": a,
        "b": b,
        "cp_a": cp_a,
        "cp_b": cp_b,
        "dc": ConnectorFactory(
            charge_point=cp_a, evse_id=1, connector_type="ccs2", current_type="dc", max_power_kw=Decimal("150.0")
        ),
        "ac": ConnectorFactory(
            charge_point=cp_a,
            evse_id=2,
            connector_type="type2",
            current_type="ac",
            max_power_kw=Decimal("22.0"),
            max_current_a=32,
        ),
        "chademo": ConnectorFactory(
            charge_point=cp_a, evse_id=3, connector_type="chademo", current_type="dc", max_power_kw=Decimal("50.0")
        ),
        "other": ConnectorFactory(charge_point=cp_b, evse_id=1),
    }


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sites/{b.pk}/",
        "/api/v1/charge-points/{cp_b.pk}/",
        "/api/v1/connectors/{other.pk}/",
        "/api/v1/connectors/{other.pk}/availability/",
        "/api/v1/connectors/{other.pk}/status-history/",
        "/api/v1/charge-points/{cp_b.pk}/commands/",
    ],
)
def test_another_departments_stations_are_404(org, api, depots, url):
    path = url.format(**depots)
    assert api(org.fleet_manager_a).get(path).status_code == 404
    assert api(org.fleet_manager_b).get(path).status_code == 200


@pytest.mark.parametrize(
    "endpoint", ["sites", "charge-points", "connectors", "alerts", "maintenance-windows", "ocpp-commands"]
)
def test_station_lists_are_scoped(org, api, depots, endpoint):
    body = api(org.fleet_manager_a).get(f"/api/v1/{endpoint}/").json()
    assert "B depot" not in str(body) and "B-1" not in str(body)


@pytest.mark.parametrize("count", [1, 12])
def test_station_lists_run_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    site = SiteFactory(department=org.a)
    for _ in range(count):
        ConnectorFactory(charge_point=ChargePointFactory(site=SiteFactory(department=org.a)))
    ChargePointFactory(site=site)
    client = api(org.fleet_manager_a)
    for endpoint, limit in [("sites", 3), ("charge-points", 3), ("connectors", 2), ("alerts", 2)]:
        with django_assert_max_num_queries(limit):
            assert client.get(f"/api/v1/{endpoint}/?page_size=500").status_code == 200


def test_compatible_connectors_list_the_power_the_vehicle_would_get(org, api, depots):
    model = VehicleModelFactory(inlets=["type2", "ccs2"], max_ac_kw=Decimal("11.0"), max_dc_kw=Decimal("125.0"))
    vehicle = VehicleFactory(department=org.a, vehicle_model=model)
    results = api(org.dispatcher_a).get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/").json()["results"]
    got = [(r["connector"]["id"], r["power_kw"], r["limited_by"]) for r in results]
    assert got == [
        (depots["dc"].pk, "125.0", "vehicle"),
        (depots["ac"].pk, "11.0", "vehicle"),
    ]  # no CHAdeMO, no other dept


def test_an_administrator_sees_a_station_not_yet_assigned_to_a_site_with_site_null(org, api, depots):
    model = VehicleModelFactory(inlets=["type2", "ccs2"], max_ac_kw=Decimal("11.0"), max_dc_kw=Decimal("125.0"))
    vehicle = VehicleFactory(department=org.a, vehicle_model=model)
    loose = ConnectorFactory(charge_point=ChargePointFactory(site=None, identity="UNASSIGNED-1"),
                             connector_type="type2", current_type="ac")  # fmt: skip
    results = api(org.admin).get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/").json()["results"]
    (row,) = [r for r in results if r["connector"]["id"] == loose.pk]
    assert row["site"] is None and row["charge_point_identity"] == "UNASSIGNED-1"
    schema = api(org.admin).get("/api/schema/?format=json").json()  # and the schema says it may be null
    assert schema["components"]["schemas"]["CompatibleConnector"]["properties"]["site"]["nullable"] is True


def test_compatible_connectors_filter_by_site_and_availability(org, api, depots):
    vehicle = VehicleFactory(department=org.a, vehicle_model=VehicleModelFactory(inlets=["type2", "ccs2"]))
    client = api(org.dispatcher_a)
    assert (
        client.get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/?site={depots['b'].pk}").json()["count"] == 0
    )
    assert client.get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/?available=true").json()["count"] == 0
    Connector.objects.filter(pk=depots["ac"].pk).update(status="Available")
    ChargePoint.objects.filter(pk=depots["cp_a"].pk).update(is_connected=True)
    available = client.get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/?available=true").json()["results"]
    assert [r["connector"]["id"] for r in available] == [depots["ac"].pk]


def test_an_adapter_rule_is_data_an_admin_switches_on(org, api, depots):
    nacs = VehicleModelFactory(inlets=["nacs"], max_ac_kw=Decimal("11.5"), max_dc_kw=Decimal("250.0"))
    ccs1 = ConnectorFactory(
        charge_point=depots["cp_a"], evse_id=4, connector_type="ccs1", current_type="dc", max_power_kw=Decimal("350.0")
    )
    vehicle = VehicleFactory(department=org.a, vehicle_model=nacs)
    url = f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/"
    assert api(org.dispatcher_a).get(url).json()["count"] == 0
    rule = CompatibilityRule.objects.get(inlet="nacs", connector_type="ccs1")
    response = api(org.admin).patch(
        f"/api/v1/compatibility-rules/{rule.pk}/", {"is_active": True, "max_power_kw": "150.0"}, format="json"
    )
    assert response.status_code == 200
    result = api(org.dispatcher_a).get(url).json()["results"][0]
    assert (result["connector"]["id"], result["power_kw"], result["limited_by"], result["adapter"]) == (
        ccs1.pk,
        "150.0",
        "adapter",
        "CCS1-to-NACS adapter",
    )


def test_incompatibility_names_both_sides(org, depots):
    from stations.selectors import incompatibility_reason

    vehicle = VehicleFactory(
        department=org.a, fleet_number="ABC", vehicle_model=VehicleModelFactory(inlets=["type2", "ccs2"])
    )
    message = incompatibility_reason(vehicle, depots["chademo"])
    assert (
        message == "vehicle ABC (inlets: Type 2 (IEC 62196-2), CCS2 (Combo 2)) cannot use connector 3 of A-1 (CHAdeMO)"
    )
    assert incompatibility_reason(vehicle, depots["dc"]) is None


def test_a_vehicle_of_another_department_has_no_compatible_connectors_endpoint(org, api):
    vehicle = VehicleFactory(department=org.b)
    assert api(org.dispatcher_a).get(f"/api/v1/vehicles/{vehicle.pk}/compatible-connectors/").status_code == 404


def test_charge_point_passwords_are_hashed_and_never_returned(org, api, depots):
    response = api(org.fleet_manager_a).patch(
        f"/api/v1/charge-points/{depots['cp_a'].pk}/", {"password": "a-sixteen-char-pass"}, format="json"
    )
    assert response.status_code == 200 and response.json()["has_password"] is True and "password" not in response.json()
    stored = ChargePoint.objects.get(pk=depots["cp_a"].pk).password_hash
    assert stored and "a-sixteen-char-pass" not in stored
    short = api(org.fleet_manager_a).patch(
        f"/api/v1/charge-points/{depots['cp_a'].pk}/", {"password": "short"}, format="json"
    )
    assert short.status_code == 400 and short.json()["fields"]["password"][0]["code"] == "min_length"


def test_invalid_connectors_and_sites_are_rejected_with_the_field(org, api, depots):
    client = api(org.fleet_manager_a)
    bad = client.post(
        "/api/v1/connectors/",
        {
            "charge_point": depots["cp_a"].pk,
            "evse_id": 9,
            "connector_id": 1,
            "connector_type": "ccs2",
            "current_type": "ac",
            "max_power_kw": "50.0",
            "max_current_a": 125,
            "nominal_voltage_v": 400,
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["fields"]["current_type"][0]["code"] == "dc_connector"
    site = client.post(
        "/api/v1/sites/",
        {
            "name": "X",
            "department": org.a.pk,
            "latitude": 95,
            "longitude": 0,
            "time_zone": "Mars/Olympus",
            "grid_limit_kw": "0",
        },
        format="json",
    )
    assert site.status_code == 400
    assert set(site.json()["fields"]) >= {"latitude", "time_zone", "grid_limit_kw"}
    assert not Site.objects.filter(name="X").exists()


def test_a_site_with_charge_points_cannot_be_deleted(org, api, depots):
    response = api(org.fleet_manager_a).delete(f"/api/v1/sites/{depots['a'].pk}/")
    assert response.status_code == 400 and response.json()["fields"]["non_field_errors"][0]["code"] == "site_in_use"


def test_a_remote_start_for_an_incompatible_vehicle_names_both_sides(org, api, depots):
    ChargePoint.objects.filter(pk=depots["cp_a"].pk).update(protocol="ocpp1.6")
    vehicle = VehicleFactory(
        department=org.a, fleet_number="ABC", vehicle_model=VehicleModelFactory(inlets=["type2", "ccs2"])
    )
    response = api(org.dispatcher_a).post(
        f"/api/v1/charge-points/{depots['cp_a'].pk}/commands/?wait=0",
        {"action": "RemoteStartTransaction", "vehicle": vehicle.pk, "payload": {"connectorId": 3, "idTag": "X"}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["fields"]["vehicle"][0]
    assert error["code"] == "incompatible_connector"
    assert error["message"] == (
        "Vehicle ABC (inlets: Type 2 (IEC 62196-2), CCS2 (Combo 2)) cannot use connector 3 of A-1 (CHAdeMO)."
    )


def test_a_remote_start_for_a_vehicle_uses_its_rfid_token(org, api, depots):
    from charging.models import IdToken
    from stations.models import OcppCommand

    ChargePoint.objects.filter(pk=depots["cp_a"].pk).update(protocol="ocpp1.6")
    vehicle = VehicleFactory(department=org.a, vehicle_model=VehicleModelFactory(inlets=["type2", "ccs2"]))
    IdToken.objects.create(token="RFID-77", department=org.a, vehicle=vehicle)
    response = api(org.dispatcher_a).post(
        f"/api/v1/charge-points/{depots['cp_a'].pk}/commands/?wait=0",
        {"action": "RemoteStartTransaction", "vehicle": vehicle.pk, "payload": {"connectorId": 1}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert OcppCommand.objects.get().request == {"connectorId": 1, "idTag": "RFID-77"}
