"""A vehicle is charging while a station charges it: an open session, charging, on a connector in use. The fleet
list, its summary, the live summary, the API and the vehicle page count it alike, and as the stations do; its SoC
follows the session's latest reading; and every change of a session is announced as `session.status`."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from charging.services import meter_values, transactions
from charging.tests.factories import SessionFactory, plugged_in
from evfleet import live_events, realtime
from fleet.models import Vehicle
from fleet.selectors import fleet_summary_by_department
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory
from stations import services as station_services
from stations.models import Connector
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(org):
    """Two vehicles a station charges (OCPP 1.6 Charging, 2.0.1 Occupied) and five it does not."""
    v = {name: VehicleFactory(department=org.a, fleet_number=name) for name in
         ("AC-16", "AC-201", "SUSP", "HOME", "DONE", "PEND")}  # fmt: skip
    v["MAINT"] = VehicleFactory(department=org.a, fleet_number="MAINT", status=Vehicle.Status.MAINTENANCE)
    plugged_in(v["AC-16"])
    plugged_in(v["AC-201"], connector_status="Occupied")
    plugged_in(v["SUSP"], connector_status="SuspendedEV", status="suspended_ev")
    # the demo's mistake: telemetry that reported charging power (at home), no session on any connector
    TelemetryPointFactory(vehicle=v["HOME"], recorded_at=timezone.now(), power_kw=11.0)
    done = plugged_in(v["DONE"], connector_status="Available")
    done.ended_at, done.status = timezone.now(), "completed"
    done.save()
    plugged_in(v["PEND"], connector_status="Preparing", status="pending")
    return v


def _stations_charging() -> int:
    """What the stations page shows: connectors in use with a transaction open on them."""
    return (
        Connector.objects.filter(status__in=["Charging", "Occupied"], sessions__ended_at__isnull=True)
        .distinct()
        .count()
    )


def test_every_surface_counts_charging_vehicles_as_the_stations_count_charging_connectors(org, client, api, fleet):
    assert _stations_charging() == 2
    client.force_login(org.fleet_manager_a)
    page = client.get("/fleet/")
    assert page.context["summary"]["status_charging"] == 2
    assert page.context["summary"]["status_active"] == 4
    assert sum(row["charging"] for row in page.context["by_department"]) == 2
    listed = client.get("/fleet/", {"status": "charging"}).context["page"]
    assert sorted(v.fleet_number for v in listed) == ["AC-16", "AC-201"]
    assert fleet_summary_by_department()[org.a.pk]["status_charging"] == 2  # the live summary
    rest = api(org.fleet_manager_a).get("/api/v1/vehicles/", {"page_size": 50}).json()["results"]
    assert {v["fleet_number"]: v["status"] for v in rest} == {
        "AC-16": "charging", "AC-201": "charging", "SUSP": "active", "HOME": "active", "DONE": "active",
        "PEND": "active", "MAINT": "maintenance",
    }  # fmt: skip
    assert api(org.fleet_manager_a).get("/api/v1/vehicles/", {"status": "charging"}).json()["count"] == 2
    one = api(org.fleet_manager_a).get(f"/api/v1/vehicles/{fleet['AC-16'].pk}/").json()
    assert one["status"] == "charging"
    detail = client.get(f"/fleet/vehicles/{fleet['AC-16'].pk}/").content.decode()
    assert 'class="badge status-charging" id="vehicle-status"' in detail
    home = client.get(f"/fleet/vehicles/{fleet['HOME'].pk}/").content.decode()
    assert 'class="badge status-active" id="vehicle-status"' in home


def test_the_fleet_page_counts_charging_in_a_constant_number_of_queries(
    org, client, fleet, django_assert_max_num_queries
):
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        client.get("/fleet/")
    for _ in range(5):
        plugged_in(VehicleFactory(department=org.a))
    with django_assert_max_num_queries(12):
        assert client.get("/fleet/").context["summary"]["status_charging"] == 7


def test_charging_is_never_set_by_hand(org, api):
    vehicle = VehicleFactory(department=org.a)
    response = api(org.fleet_manager_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "charging"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["status"][0]["code"] == "derived"
    vehicle.refresh_from_db()
    assert vehicle.status == "active"
    maintenance = api(org.fleet_manager_a).patch(
        f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json"
    )
    assert maintenance.json()["status"] == "maintenance"


def test_an_active_vehicle_written_while_it_charges_reads_back_as_charging(org, api):
    vehicle = VehicleFactory(department=org.a)
    plugged_in(vehicle)
    response = api(org.fleet_manager_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"priority_class": "low"},
                                              format="json")  # fmt: skip
    assert response.json()["status"] == "charging"


@pytest.fixture
def open_session(org):
    site = SiteFactory(department=org.a)
    cp = ChargePointFactory(site=site, identity="CP-SOC", is_connected=True)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("22"), status="Charging")  # fmt: skip
    vehicle = VehicleFactory(department=org.a, soc_percent=80.0)
    return SessionFactory(connector=connector, vehicle=vehicle, status="charging", transaction_id="77",
                          started_at=timezone.now() - timedelta(minutes=30))  # fmt: skip


def _reading(session, moment, soc, power=11.0, energy=1500.0):
    return meter_values.meter_values_record(
        charge_point_id=session.charge_point_id, evse_id=1, connector_id=1, transaction_id="77",
        samples=[(moment, {"energy_wh": energy, "power_kw": power, "soc_percent": soc})],
    )  # fmt: skip


def test_a_vehicles_soc_follows_its_open_sessions_latest_reading(open_session):
    vehicle = open_session.vehicle
    TelemetryPointFactory(vehicle=vehicle, recorded_at=timezone.now() - timedelta(hours=2), soc_percent=80.0)
    Vehicle.objects.filter(pk=vehicle.pk).update(last_telemetry_at=timezone.now() - timedelta(hours=2))
    _reading(open_session, timezone.now() - timedelta(minutes=1), 43.5)
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == 43.5
    # the vehicle's own telemetry, newer than the station's reading, stands
    Vehicle.objects.filter(pk=vehicle.pk).update(soc_percent=45.0, last_telemetry_at=timezone.now())
    _reading(open_session, timezone.now() - timedelta(seconds=30), 44.0, energy=1600.0)
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == 45.0


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(realtime, "publish", lambda event, payload, **kw: events.append((event, payload)))
    return events


def _session_status(events):
    return [p for e, p in events if e == "session.status"]


def test_a_meter_reading_announces_the_sessions_state_with_the_rest_names(
    open_session, published, django_capture_on_commit_callbacks
):
    moment = datetime(2026, 6, 10, 4, 31, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        _reading(open_session, moment, 51.2, power=10.5, energy=2500.0)
    (payload,) = _session_status(published)
    assert set(payload) == {f.name for f in live_events.EVENTS["session.status"].fields}
    assert {k: payload[k] for k in (
        "id", "status", "charge_point", "connector", "vehicle", "power_kw", "soc_percent", "energy_kwh",
        "last_meter_at", "ended_at", "vehicle_charging",
    )} == {
        "id": open_session.pk, "status": "charging", "charge_point": open_session.charge_point_id,
        "connector": open_session.connector_id, "vehicle": open_session.vehicle_id, "power_kw": 10.5,
        "soc_percent": 51.2, "energy_kwh": 2.5, "last_meter_at": "2026-06-10T04:31:00Z", "ended_at": None,
        "vehicle_charging": True,
    }  # fmt: skip


def test_a_connector_status_and_the_end_of_the_transaction_are_announced_too(
    open_session, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        station_services.connector_status_update(
            charge_point_id=open_session.charge_point_id, evse_id=1, connector_id=1, status="SuspendedEV"
        )
    (suspended,) = _session_status(published)
    assert (suspended["status"], suspended["vehicle_charging"]) == ("suspended_ev", False)
    with django_capture_on_commit_callbacks(execute=True):
        station_services.connector_status_update(
            charge_point_id=open_session.charge_point_id, evse_id=1, connector_id=1, status="Charging"
        )
        transactions.transaction_stop(
            charge_point_id=open_session.charge_point_id, transaction_id="77", meter_stop_wh=3000.0,
            timestamp=timezone.now(), reason="Local",
        )  # fmt: skip
    resumed, ended = _session_status(published)[1:]
    assert (resumed["status"], resumed["vehicle_charging"]) == ("charging", True)
    assert (ended["status"], ended["power_kw"], ended["vehicle_charging"]) == ("completed", 0.0, False)
    assert ended["energy_kwh"] == 3.0 and ended["ended_at"] is not None
