"""Sessions started and stopped from the platform, and the lifecycle the stations report."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from charging import services
from charging.models import ChargingSession, IdToken
from charging.services import transactions
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from stations import services as station_services
from stations.models import ChargePoint, OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bay(org):
    site = SiteFactory(department=org.a)
    cp = ChargePointFactory(site=site, identity="CP-S1", is_connected=True, protocol="ocpp1.6")
    ac = ConnectorFactory(
        charge_point=cp, evse_id=1, connector_type="type2", current_type="ac", max_power_kw=D("22"), status="Available"
    )
    other = ConnectorFactory(
        charge_point=cp, evse_id=2, connector_type="type2", current_type="ac", max_power_kw=D("22"), status="Available"
    )
    vehicle = VehicleFactory(department=org.a, fleet_number="VAN-7")
    return {"site": site, "cp": cp, "ac": ac, "other": other, "vehicle": vehicle}


def _start(api, user, vehicle, connector):
    return api(user).post("/api/v1/sessions/", {"vehicle": vehicle.pk, "connector": connector.pk}, format="json")


def test_a_remote_start_makes_a_pending_session_that_the_stations_transaction_adopts(org, api, bay):
    response = _start(api, org.dispatcher_a, bay["vehicle"], bay["ac"])
    assert response.status_code == 201, response.json()
    session = ChargingSession.objects.get(pk=response.json()["id"])
    assert session.status == "pending"
    command = session.remote_start_command
    token = IdToken.objects.get(vehicle=bay["vehicle"])  # made for the vehicle: it had none
    assert (command.action, command.request) == ("RemoteStartTransaction", {"connectorId": 1, "idTag": token.token})
    started = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag=token.token, meter_start_wh=500.0,
        timestamp=datetime.now(UTC),
    )  # fmt: skip
    assert started.pk == session.pk
    session.refresh_from_db()
    assert (session.status, session.transaction_id, session.vehicle_id) == (
        "charging",
        str(session.pk),
        bay["vehicle"].pk,
    )


def test_the_station_reports_how_the_session_goes(org, bay):
    session = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=0.0,
        timestamp=datetime.now(UTC),
    )  # fmt: skip
    seen = []
    for status in ("SuspendedEV", "Charging", "SuspendedEVSE", "Finishing"):
        station_services.connector_status_update(charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, status=status)
        session.refresh_from_db()
        seen.append(session.status)
    assert seen == ["suspended_ev", "charging", "suspended_evse", "finishing"]
    transactions.transaction_stop(
        charge_point_id=bay["cp"].pk, transaction_id=session.transaction_id, meter_stop_wh=0.0,
        timestamp=datetime.now(UTC), reason="EVDisconnected",
    )  # fmt: skip
    session.refresh_from_db()
    assert session.status == "completed"


def test_a_refused_remote_start_fails_its_session_with_the_reason(org, api, bay):
    session_id = _start(api, org.fleet_manager_a, bay["vehicle"], bay["ac"]).json()["id"]
    command = ChargingSession.objects.get(pk=session_id).remote_start_command
    station_services.command_complete(command_id=command.pk, state=OcppCommand.State.REJECTED,
                                      response={"status": "Rejected"})  # fmt: skip
    session = ChargingSession.objects.get(pk=session_id)
    assert session.status == "failed" and "Rejected".lower() in session.reason.lower() and session.ended_at


def test_bad_starts_name_the_field(org, api, bay):
    client_user = org.fleet_manager_a
    chademo_only = VehicleFactory(
        department=org.a, fleet_number="OLD-1", vehicle_model=VehicleModelFactory(inlets=["chademo"], max_dc_kw=D("50"))
    )
    response = _start(api, client_user, chademo_only, bay["ac"])
    assert response.status_code == 400 and "OLD-1" in response.json()["fields"]["connector"][0]["message"]
    Vehicle.objects.filter(pk=bay["vehicle"].pk).update(status="maintenance")
    response = _start(api, client_user, bay["vehicle"], bay["ac"])
    assert "maintenance" in response.json()["fields"]["vehicle"][0]["message"]
    Vehicle.objects.filter(pk=bay["vehicle"].pk).update(status="active")
    assert _start(api, client_user, bay["vehicle"], bay["ac"]).status_code == 201
    second = _start(api, client_user, bay["vehicle"], bay["other"])  # a second active session for the vehicle
    assert second.status_code == 400 and "stop it first" in second.json()["fields"]["vehicle"][0]["message"]
    busy = _start(api, client_user, VehicleFactory(department=org.a), bay["ac"])
    assert "in use by session" in busy.json()["fields"]["connector"][0]["message"]
    ChargePoint.objects.filter(pk=bay["cp"].pk).update(is_connected=False)
    offline = _start(api, client_user, VehicleFactory(department=org.a), bay["other"])
    assert "offline" in offline.json()["fields"]["connector"][0]["message"]
    assert ChargingSession.objects.count() == 1  # nothing half-written
    assert api(org.analyst_a).post("/api/v1/sessions/", {}, format="json").status_code == 403
    assert _start(api, org.fleet_manager_b, bay["vehicle"], bay["ac"]).status_code == 400  # not in B's scope


def test_a_stop_is_a_remote_stop_and_a_pending_session_is_cancelled(org, api, bay):
    client = api(org.dispatcher_a)
    pending_id = _start(api, org.dispatcher_a, bay["vehicle"], bay["ac"]).json()["id"]
    assert client.post(f"/api/v1/sessions/{pending_id}/stop/").json()["status"] == "aborted"
    session = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=2, connector_id=1, id_tag="", meter_start_wh=0.0,
        timestamp=datetime.now(UTC) - timedelta(minutes=5),
    )  # fmt: skip
    assert client.post(f"/api/v1/sessions/{session.pk}/stop/").status_code == 202
    command = OcppCommand.objects.filter(action="RemoteStopTransaction").get()
    assert command.request == {"transactionId": int(session.transaction_id)}


def test_a_vehicle_left_open_elsewhere_is_closed_when_it_starts_again(org, bay):
    IdToken.objects.create(token="T-7", department=org.a, vehicle=bay["vehicle"])
    now = datetime.now(UTC)
    first = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag="T-7", meter_start_wh=0.0, timestamp=now
    )
    second = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=2, connector_id=1, id_tag="T-7", meter_start_wh=0.0, timestamp=now
    )
    first.refresh_from_db()
    assert first.status == "aborted" and "started charging at" in first.reason and second.ended_at is None


@pytest.mark.parametrize("count", [1, 6])
def test_the_session_list_runs_a_constant_number_of_queries(org, api, bay, django_assert_max_num_queries, count):
    for i in range(count):
        transactions.transaction_start(
            charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=0.0,
            timestamp=datetime.now(UTC) + timedelta(seconds=i), transaction_id=f"tx-{i}",
        )  # fmt: skip
    with django_assert_max_num_queries(8):
        response = api(org.analyst_a).get("/api/v1/sessions/")
    assert response.json()["count"] == count
    assert api(org.analyst_b).get("/api/v1/sessions/").json()["count"] == 0


def test_a_station_that_reports_the_vehicles_identity_is_matched_to_it(org, bay):
    session = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag=bay["vehicle"].vin.lower(),
        meter_start_wh=0.0, timestamp=datetime.now(UTC),
    )  # fmt: skip
    assert session.vehicle == bay["vehicle"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
def test_a_remote_start_and_stop_drive_a_simulated_station(org, asgi_live_server, protocol):
    import asyncio

    from stations.models import CompatibilityRule
    from stations.simulator import Behaviour, ConnectorSpec, StationSpec, run_stations

    CompatibilityRule.objects.get_or_create(inlet="type2", connector_type="type2", adapter="")  # flushed tables
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="SIM-RS", protocol=protocol)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("22"))  # fmt: skip
    vehicle = VehicleFactory(department=org.a, fleet_number="VAN-RS")
    quiet = Behaviour(heartbeat_s=60, meter_s=1, plug_in_chance=0.0, fault_chance=0.0, session_ticks=(500, 600))
    spec = StationSpec("SIM-RS", protocol, [ConnectorSpec(1, 22.0)])

    from tests.stations import closing, wait_for

    async def scenario():
        stop = asyncio.Event()
        base = asgi_live_server.replace("http://", "ws://")
        stations = asyncio.ensure_future(run_stations(base, [spec], quiet, stop))
        ready = ChargePoint.objects.filter(pk=cp.pk, is_connected=True, connectors__status="Available")
        await wait_for(ready.exists, "the station")
        session = await asyncio.to_thread(
            closing(services.session_start, actor=None, vehicle=vehicle, connector=connector)
        )
        await wait_for(lambda: ChargingSession.objects.get(pk=session.pk).status == "charging", "charging")
        with_soc = ChargingSession.objects.filter(pk=session.pk, meter_samples__soc_percent__gt=0)
        await wait_for(with_soc.exists, "SoC readings")
        running = await asyncio.to_thread(closing(ChargingSession.objects.get, pk=session.pk))
        await asyncio.to_thread(closing(services.session_stop, actor=None, session=running))
        await wait_for(lambda: ChargingSession.objects.get(pk=session.pk).ended_at is not None, "the stop")
        stop.set()
        await stations
        return session.pk

    session = ChargingSession.objects.get(pk=asyncio.run(scenario()))
    assert (session.status, session.stop_reason, session.vehicle_id) == ("completed", "Remote", vehicle.pk)
