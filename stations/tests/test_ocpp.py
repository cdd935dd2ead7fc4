"""Real OCPP over WebSocket against the ASGI application, for OCPP 1.6J and 2.0.1."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import websockets
from django.test import Client
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from rest_framework.authtoken.models import Token

from charging.models import ChargingSession
from stations.models import Alert, ChargePoint, Connector, OcppCommand, OcppMessage
from stations.ocpp.messagelog import flush_all
from stations.services import charge_point_set_password
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-station-password-0001"  # noqa: S105


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a, name="North depot")
    cp16 = ChargePointFactory(identity="CP-16", site=site)
    cp201 = ChargePointFactory(identity="CP-201", site=site)
    connectors = {
        "16-1": ConnectorFactory(charge_point=cp16, evse_id=1),
        "16-2": ConnectorFactory(
            charge_point=cp16,
            evse_id=2,
            connector_type="type2",
            current_type="ac",
            max_power_kw=Decimal("22.0"),
            max_current_a=32,
        ),
        "201-1": ConnectorFactory(charge_point=cp201, evse_id=1),
    }
    return {"site": site, "cp16": cp16, "cp201": cp201, "connectors": connectors}


def _dashboard_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _dashboard(base_url: str, cookie: str):
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/ws/dashboard/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": base_url},
    )
    assert json.loads(await socket.recv())["event"] == "hello"
    return socket


async def _event(socket, event: str, match=lambda payload: True, timeout: float = 5.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), max(0.01, deadline - loop.time())))
        if message["event"] == event and match(message["payload"]):
            return message["payload"]


def test_an_ocpp16_station_boots_reports_status_charges_and_is_seen_live(org, depot, asgi_live_server):
    base = asgi_live_server
    cookie = _dashboard_cookie(org.fleet_manager_a)
    outsider = _dashboard_cookie(org.fleet_manager_b)

    async def scenario():
        dashboard, other = await _dashboard(base, cookie), await _dashboard(base, outsider)
        async with station(base, "CP-16", "ocpp1.6") as cp:
            boot = await cp.call(call16.BootNotification(charge_point_model="T-150", charge_point_vendor="Acme"))
            assert (boot.status, boot.interval) == ("Accepted", 60)
            await cp.call(
                call16.StatusNotification(connector_id=1, error_code="NoError", status="Preparing", timestamp=now())
            )
            pushed = await _event(
                dashboard, "station.status", lambda p: (p.get("connector") or {}).get("status") == "Preparing"
            )
            assert pushed["identity"] == "CP-16" and pushed["connector"]["evse_id"] == 1
            start = await cp.call(
                call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=now())
            )
            assert start.id_tag_info["status"] == "Invalid"  # no such token registered
            meter = [
                {
                    "timestamp": now(),
                    "sampled_value": [
                        {"value": "6000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                        {"value": "48.5", "measurand": "Power.Active.Import", "unit": "kW"},
                    ],
                }
            ]
            await cp.call(call16.MeterValues(connector_id=1, transaction_id=start.transaction_id, meter_value=meter))
            await cp.call(
                call16.StopTransaction(
                    meter_stop=21000, timestamp=now(), transaction_id=start.transaction_id, reason="EVDisconnected"
                )
            )
            await cp.call(call16.Heartbeat())
        with pytest.raises(TimeoutError):  # another department's dashboard hears nothing of it
            await _event(other, "station.status", timeout=0.5)
        await dashboard.close()
        await other.close()
        await flush_all()
        return start.transaction_id

    transaction_id = asyncio.run(scenario())

    cp = ChargePoint.objects.get(identity="CP-16")
    assert (cp.vendor, cp.model, cp.protocol, cp.is_connected) == ("Acme", "T-150", "ocpp1.6", False)
    assert cp.last_heartbeat_at is not None
    connector = Connector.objects.get(pk=depot["connectors"]["16-1"].pk)
    assert connector.status == "Preparing"
    session = ChargingSession.objects.get(transaction_id=str(transaction_id))
    assert (session.energy_kwh, session.status, session.stop_reason) == (20.0, "completed", "EVDisconnected")
    assert session.meter_samples.get().power_kw == 48.5
    actions = set(OcppMessage.objects.filter(charge_point=cp, direction="in").values_list("action", flat=True))
    assert {"BootNotification", "StatusNotification", "StartTransaction", "MeterValues", "StopTransaction"} <= actions


def _reading(energy_wh: float, power_kw: float, ago_s: int = 0) -> list[dict]:
    return [
        {
            "timestamp": (datetime.now(UTC) - timedelta(seconds=ago_s)).isoformat(timespec="seconds"),
            "sampled_value": [
                {"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": str(power_kw), "measurand": "Power.Active.Import", "unit": "kW"},
            ],
        }
    ]


def test_idle_readings_are_stored_in_batches_and_follow_a_session_once_it_starts(depot, asgi_live_server):
    connector = depot["connectors"]["16-2"]  # 22 kW

    async def scenario():
        async with station(asgi_live_server, "CP-16", "ocpp1.6") as cp:
            # distinct instants: a connector has one reading per instant
            await cp.call(call16.MeterValues(connector_id=2, meter_value=_reading(1000, 0.0, ago_s=2)))
            await cp.call(call16.MeterValues(connector_id=2, meter_value=_reading(1000, 80.0, ago_s=1)))  # above 22 kW
            await cp.call(call16.StartTransaction(connector_id=2, id_tag="T", meter_start=1000, timestamp=now()))
            # No transactionId, as some 1.6 stations send: it still belongs to the session just started.
            await cp.call(call16.MeterValues(connector_id=2, meter_value=_reading(4000, 11.0)))
        await flush_all()

    asyncio.run(scenario())
    samples = list(connector.meter_samples.order_by("pk").values_list("power_kw", "session_id"))
    session = ChargingSession.objects.get(connector=connector)
    assert sorted(samples) == sorted([(0.0, None), (80.0, None), (11.0, session.pk)])
    # The implausible idle reading took the full checks: raised, then resolved by the plausible one after it.
    alert = Alert.objects.get(connector=connector, kind=Alert.Kind.POWER_ABOVE_MAX)
    assert alert.resolved_at is not None
    session.refresh_from_db()
    assert session.energy_kwh == 3.0


def test_the_connector_status_shows_in_the_api(org, depot, asgi_live_server, api):
    async def scenario():
        async with station(asgi_live_server, "CP-16", "ocpp1.6") as cp:
            await cp.call(call16.BootNotification(charge_point_model="T", charge_point_vendor="V"))
            await cp.call(call16.StatusNotification(connector_id=2, error_code="GroundFailure", status="Faulted"))
            await cp.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available"))

    asyncio.run(scenario())
    client = api(org.technician_a)
    faulted = client.get(f"/api/v1/connectors/{depot['connectors']['16-2'].pk}/").json()
    assert (faulted["status"], faulted["error_code"]) == ("Faulted", "GroundFailure")
    alerts = client.get("/api/v1/alerts/?open=true").json()["results"]
    assert [(a["kind"], a["severity"]) for a in alerts] == [("connector_fault", "critical")]
    assert api(org.technician_b).get(f"/api/v1/connectors/{depot['connectors']['16-2'].pk}/").status_code == 404


def test_an_ocpp201_station_runs_a_transaction_and_a_duplicate_id_is_a_callerror(depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "CP-201", "ocpp2.0.1") as cp:
            boot = await cp.call(
                call201.BootNotification(
                    charging_station={"model": "Wallbox X", "vendor_name": "Acme", "firmware_version": "2.1"},
                    reason="PowerUp",
                )
            )
            assert boot.status == "Accepted"
            await cp.call(
                call201.StatusNotification(timestamp=now(), connector_status="Occupied", evse_id=1, connector_id=1)
            )
            started = dict(
                event_type="Started",
                timestamp=now(),
                trigger_reason="CablePluggedIn",
                seq_no=0,
                transaction_info={"transaction_id": "TX-201-1"},
                evse={"id": 1, "connector_id": 1},
                meter_value=[{"timestamp": now(), "sampled_value": [{"value": 500.0}]}],
            )
            await cp.call(call201.TransactionEvent(**started))
            await cp.call(
                call201.TransactionEvent(
                    event_type="Updated",
                    timestamp=now(),
                    trigger_reason="MeterValuePeriodic",
                    seq_no=1,
                    transaction_info={"transaction_id": "TX-201-1", "charging_state": "Charging"},
                    meter_value=[
                        {
                            "timestamp": now(),
                            "sampled_value": [
                                {
                                    "value": 7.5,
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit_of_measure": {"unit": "kWh"},
                                },
                                {
                                    "value": 11000.0,
                                    "measurand": "Power.Active.Import",
                                    "unit_of_measure": {"unit": "W"},
                                },
                            ],
                        }
                    ],
                )
            )
            with pytest.raises(OCPPError) as duplicate:
                await cp.call(call201.TransactionEvent(**{**started, "seq_no": 2}), suppress=False)
            assert duplicate.value.code == "OccurenceConstraintViolation"
            await cp.call(
                call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=now(),
                    trigger_reason="EVCommunicationLost",
                    seq_no=3,
                    transaction_info={"transaction_id": "TX-201-1", "stopped_reason": "EVDisconnected"},
                    meter_value=[{"timestamp": now(), "sampled_value": [{"value": 12500.0}]}],
                )
            )
            assert (await cp.call(call201.Heartbeat())).current_time

    asyncio.run(scenario())
    session = ChargingSession.objects.get(transaction_id="TX-201-1")
    assert (session.energy_kwh, session.status) == (12.0, "completed")
    assert session.meter_samples.filter(power_kw=11.0).exists()
    assert ChargePoint.objects.get(identity="CP-201").firmware_version == "2.1"


@pytest.mark.parametrize(
    ("identity", "protocol", "action", "payload", "state"),
    [
        ("CP-16", "ocpp1.6", "Reset", {"type": "Soft"}, "accepted"),
        ("CP-201", "ocpp2.0.1", "Reset", {"type": "Immediate"}, "rejected"),
    ],
)
def test_a_command_from_the_api_reaches_the_station_and_its_answer_is_recorded(
    org, depot, asgi_live_server, identity, protocol, action, payload, state
):
    token = Token.objects.create(user=org.technician_a).key
    charge_point = depot["cp16"] if identity == "CP-16" else depot["cp201"]

    async def scenario():
        async with (
            station(asgi_live_server, identity, protocol),
            httpx.AsyncClient(base_url=asgi_live_server, headers={"Authorization": f"Token {token}"}) as http,
        ):
            response = await http.post(
                f"/api/v1/charge-points/{charge_point.pk}/commands/?wait=5",
                json={"action": action, "payload": payload},
            )
        return response

    response = asyncio.run(scenario())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["action"], body["request"]) == (state, action, payload)
    assert body["response"]["status"] == state.capitalize()
    command = OcppCommand.objects.get(pk=body["id"])
    assert command.requested_by == org.technician_a and command.answered_at is not None


def test_a_command_that_breaks_the_schema_is_refused_before_sending(org, depot, api):
    ChargePoint.objects.filter(pk=depot["cp16"].pk).update(protocol="ocpp1.6")
    response = api(org.technician_a).post(
        f"/api/v1/charge-points/{depot['cp16'].pk}/commands/",
        {"action": "Reset", "payload": {"type": "Gentle"}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["fields"]["payload"][0]
    assert error["code"] == "invalid_command" and "'Gentle' is not one of ['Hard', 'Soft']" in error["message"]
    wrong_version = api(org.technician_a).post(
        f"/api/v1/charge-points/{depot['cp16'].pk}/commands/",
        {"action": "RequestStartTransaction", "payload": {}},
        format="json",
    )
    assert wrong_version.json()["fields"]["action"][0]["code"] == "invalid_command"
    assert not OcppCommand.objects.exists()


def test_a_command_to_a_disconnected_station_is_recorded_as_offline(org, depot, api):
    ChargePoint.objects.filter(pk=depot["cp16"].pk).update(protocol="ocpp1.6")
    response = api(org.technician_a).post(
        f"/api/v1/charge-points/{depot['cp16'].pk}/commands/?wait=0",
        {"action": "Reset", "payload": {"type": "Hard"}},
        format="json",
    )
    assert response.status_code == 201 and response.json()["state"] == "offline"


async def _raw(base_url: str, identity: str, frames: list[str], protocol="ocpp1.6") -> list:
    url = base_url.replace("http://", "ws://") + f"/ocpp/{identity}"
    answers = []
    async with websockets.connect(url, subprotocols=[protocol]) as socket:
        for frame in frames:
            await socket.send(frame)
            answers.append(json.loads(await asyncio.wait_for(socket.recv(), 5)))
    return answers


def test_bad_frames_get_the_proper_callerror_and_the_station_is_still_served(depot, asgi_live_server):
    frames = [
        "{not json",
        json.dumps({"a": 1}),
        json.dumps([7, "m1", "Heartbeat", {}]),
        json.dumps([2, "m2", "FlyToTheMoon", {}]),
        json.dumps([2, "m3", "BootNotification", {"chargePointVendor": "only vendor"}]),
        json.dumps([2, "m4", "Heartbeat", {}]),
        json.dumps([2, "m5", "BootNotification", {"chargePointVendor": 7, "chargePointModel": "M"}]),
        json.dumps([2, "m6", "SecurityEventNotification", {"type": "x", "timestamp": "2026-01-01T00:00:00Z"}]),
    ]
    answers = asyncio.run(_raw(asgi_live_server, "CP-16", frames))
    assert answers[0][:3] == [4, "-1", "FormationViolation"]
    assert answers[1][:3] == [4, "-1", "ProtocolError"]
    assert answers[2][:3] == [4, "m1", "ProtocolError"]
    assert answers[3][:3] == [4, "m2", "NotImplemented"]
    assert answers[4][:3] == [4, "m3", "ProtocolError"]  # a required property is missing
    assert "chargePointModel" in answers[4][4]["cause"]
    assert answers[5][0] == 3 and answers[5][1] == "m4" and "currentTime" in answers[5][2]
    assert answers[6][:3] == [4, "m5", "TypeConstraintViolation"]  # a number where the schema wants a string
    assert answers[7][:3] == [4, "m6", "NotSupported"]  # a 1.6 action this central system does not handle


def test_bad_frames_in_ocpp201_use_its_error_codes(depot, asgi_live_server):
    answers = asyncio.run(_raw(asgi_live_server, "CP-201", ["[1,2", json.dumps([5, "x", {}])], protocol="ocpp2.0.1"))
    assert answers[0][2] == "FormatViolation"
    assert answers[1][2] == "MessageTypeNotSupported"


def test_unparsable_frames_are_kept_in_the_log(depot, asgi_live_server):
    async def scenario():
        await _raw(asgi_live_server, "CP-16", ["{garbage"])
        await flush_all()

    asyncio.run(scenario())
    logged = OcppMessage.objects.get(charge_point=depot["cp16"], direction="in")
    assert (logged.message_type, logged.raw) == (0, "{garbage")


def test_wrong_password_unknown_identity_and_missing_subprotocol_are_refused(depot, asgi_live_server):
    cp = depot["cp16"]
    charge_point_set_password(charge_point=cp, password=PASSWORD)
    cp.save()

    async def connect(identity, password=None, protocols=("ocpp1.6",)):
        async with (
            station(asgi_live_server, identity, protocols[0], password=password)
            if protocols
            else websockets.connect(asgi_live_server.replace("http://", "ws://") + f"/ocpp/{identity}")
        ):
            return True

    for identity, password, protocols in [
        ("CP-16", "wrong-password-wrong-pw", ("ocpp1.6",)),
        ("CP-16", None, ("ocpp1.6",)),
        ("NOPE-1", None, ("ocpp1.6",)),
        ("CP-201", None, ()),
    ]:
        with pytest.raises(websockets.exceptions.InvalidStatus):
            asyncio.run(connect(identity, password, protocols))
    assert asyncio.run(connect("CP-16", PASSWORD))


def test_an_unknown_station_can_be_held_as_pending(settings, asgi_live_server, db):
    settings.OCPP_UNKNOWN_STATIONS = "pending"

    async def scenario():
        async with station(asgi_live_server, "NEW-STATION-9", "ocpp1.6") as cp:
            return await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))

    assert asyncio.run(scenario()).status == "Pending"
    held = ChargePoint.objects.get(identity="NEW-STATION-9")
    assert held.site is None and held.registration_status == "pending"


def test_a_station_keeps_being_served_while_another_misbehaves(depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "CP-201", "ocpp2.0.1") as good:
            bad = await _raw(asgi_live_server, "CP-16", ["][", json.dumps([2, "z", "Nonsense", {}])])
            beat = await good.call(call201.Heartbeat())
            return bad, beat

    bad, beat = asyncio.run(scenario())
    assert [b[0] for b in bad] == [4, 4] and beat.current_time
    assert not Alert.objects.exists()
