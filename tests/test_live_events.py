"""The live socket for integrators: an API token opens it, scoped like the API; every event's payload is the one
documented in docs/api.md, which is generated from the one list the emitters use (evfleet/live_events.py)."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from accounts.consumers import CLOSE_ACCESS_CHANGED
from accounts.roles import ROLE_PERMISSIONS
from charging.api.serializers import ReservationSerializer, SessionSerializer
from charging.services import meter_values, reservations, transactions
from evfleet import live_events, realtime
from evfleet.asgi import application
from fleet import services as fleet_services
from fleet.api.serializers import VehicleSerializer
from fleet.models import Vehicle
from fleet.telemetry import telemetry_ingest
from fleet.tests.factories import VehicleFactory
from notifications.api.serializers import NotificationSerializer
from notifications.events import Notice
from notifications.services import notify
from operations import services as operations_services
from stations import services as station_services
from stations.api.serializers import AlertSerializer, ConnectorSerializer, OcppCommandSerializer
from stations.models import Alert, CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")


def _conforms(fields, payload, where: str) -> None:
    """`payload` has exactly the documented keys, each of its documented kind; times in UTC with Z."""
    assert isinstance(payload, dict), where
    assert set(payload) == {f.name for f in fields}, where
    for spec in fields:
        value, at = payload[spec.name], f"{where}.{spec.name}"
        if value is None:
            assert spec.nullable, f"{at} is null"
            continue
        match spec.kind:
            case "datetime":
                assert isinstance(value, str) and TIME.match(value), f"{at} = {value!r}"
            case "integer":
                assert isinstance(value, int) and not isinstance(value, bool), at
            case "number":
                assert isinstance(value, int | float) and not isinstance(value, bool), at
            case "decimal" | "string":
                assert isinstance(value, str), at
            case "boolean":
                assert isinstance(value, bool), at
            case "strings":
                assert all(isinstance(v, str) for v in value), at
            case "integers":
                assert all(isinstance(v, int) for v in value), at
            case "object":
                _conforms(spec.fields, value, at)
            case "list":
                for i, item in enumerate(value):
                    _conforms(spec.fields, item, f"{at}[{i}]")


# --- the one list, the guide and the REST API's names ------------------------------------------------------------


def test_the_guide_documents_every_live_event_exactly_as_the_list_the_server_builds_payloads_with():
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    block = text.split("<!-- live-events:start -->\n")[1].split("<!-- live-events:end -->")[0]
    assert block == live_events.markdown(), "docs/api.md is behind evfleet/live_events.py: paste markdown() in"
    for name in ("session.status", "reservation.changed", "notification.new", "station.status"):
        assert f"`{name}`" in block


def test_event_times_are_written_as_the_rest_api_writes_them_in_utc():
    drf = serializers.DateTimeField(default_timezone=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    for moment in (datetime(2026, 11, 24, 8, tzinfo=UTC), datetime(2026, 11, 24, 9, 12, 3, 120410, tzinfo=berlin)):
        assert live_events.instant(moment) == drf.to_representation(moment)
        assert TIME.match(live_events.instant(moment))
    assert live_events.instant(datetime(2026, 7, 1, 10, tzinfo=berlin)) == "2026-07-01T08:00:00Z"


def test_a_payload_with_a_missing_or_an_unknown_key_is_a_programming_error():
    with pytest.raises(live_events.PayloadError, match="missing"):
        live_events.render("vehicle.deleted")
    with pytest.raises(live_events.PayloadError, match="unknown"):
        live_events.render("vehicle.deleted", id=1, vehicle_id=1)
    with pytest.raises(live_events.PayloadError, match="not a documented"):
        live_events.render("session.meter", id=1)
    assert live_events.render("alert.resolved", id=1, kind="k", site=2, charge_point=None, connector=None,
                              resolved_at=datetime(2026, 1, 1, tzinfo=UTC))["site"] == 2  # fmt: skip


# Keys an event carries that its REST resource calls otherwise or has not: the id of the object an event is
# about when it is not the resource's own id, and the live figures of a session.
REST_NAMES = {
    "vehicle.created": (VehicleSerializer, set()),
    "vehicle.updated": (VehicleSerializer, set()),
    "vehicles.telemetry": (VehicleSerializer, {"vehicles"}),
    "station.command": (OcppCommandSerializer, set()),
    "alert.opened": (AlertSerializer, set()),
    "alert.resolved": (AlertSerializer, set()),
    "session.status": (
        SessionSerializer,
        {"power_kw", "soc_percent", "last_meter_at", "updated_at", "vehicle_charging"},
    ),
    "reservation.changed": (ReservationSerializer, {"decision"}),
    "notification.new": (NotificationSerializer, set()),
}


def test_payload_keys_are_the_rest_apis_names_no_more_ids_suffixed():
    for name, (serializer, extra) in REST_NAMES.items():
        keys = {f.name for f in live_events.EVENTS[name].fields}
        if name == "vehicles.telemetry":
            keys = {f.name for f in live_events.EVENTS[name].fields[0].fields}
        assert keys - extra <= set(serializer.Meta.fields), (name, keys - extra - set(serializer.Meta.fields))
    connector = next(f for f in live_events.EVENTS["station.status"].fields if f.name == "connector")
    assert {f.name for f in connector.fields} <= set(ConnectorSerializer.Meta.fields)
    for event in live_events.EVENTS.values():
        for spec in event.fields:
            assert not spec.name.endswith("_id") or spec.name in ("transaction_id",), (event.name, spec.name)
    summary = live_events.EVENTS["fleet.summary"].fields[0].fields
    assert {f.name for f in summary} >= {f"status_{s}" for s in Vehicle.Status.values}


def test_each_event_needs_a_permission_some_role_has_and_the_guide_names_its_endpoint():
    held = set().union(*ROLE_PERMISSIONS.values())
    for event in live_events.EVENTS.values():
        assert event.permission is None or (event.permission in held and event.permission in live_events.READERS)
    integrator = live_events.allowed(lambda perm: perm in ROLE_PERMISSIONS["integrator"])
    assert "station.command" not in integrator  # it may not read ocpp-commands/
    assert {"session.status", "reservation.changed", "station.status", "vehicle.updated"} <= set(integrator)


# --- every emitter sends the documented payload -------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(realtime, "publish", lambda event, payload, **routing: sent.append((event, payload)))
    monkeypatch.setattr(realtime, "publish_to_user", lambda user_id, event, payload: sent.append((event, payload)))
    return sent


@pytest.mark.django_db
def test_every_documented_event_is_emitted_with_its_documented_payload(
    org, published, django_capture_on_commit_callbacks
):
    for plug in ("ccs2", "type2"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
    site = SiteFactory(department=org.a)
    cp = ChargePointFactory(site=site, is_connected=True, protocol="ocpp1.6", status="operational",
                            last_seen_at=timezone.now())  # fmt: skip
    connector = ConnectorFactory(charge_point=cp, evse_id=1, max_power_kw=Decimal("150"))
    now = timezone.now().replace(microsecond=0)

    def step(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    vehicle = step(fleet_services.vehicle_create, actor=org.admin, vin="WVWZZZ1KZAW000001", department=org.a,
                   vehicle_model=VehicleFactory(department=org.a).vehicle_model)  # fmt: skip
    step(fleet_services.vehicle_update, actor=org.admin, vehicle=vehicle, status="maintenance")
    step(telemetry_ingest, actor=org.integrator_a,
         points=[{"vehicle": vehicle.pk, "recorded_at": now.isoformat(), "soc_percent": 41.5}])  # fmt: skip
    step(fleet_services.vehicle_delete, actor=org.admin, vehicle=vehicle)
    step(station_services.connector_status_update, charge_point_id=cp.pk, evse_id=1, connector_id=1,
         status="Preparing")  # fmt: skip
    session = step(transactions.transaction_start, charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag="",
                   meter_start_wh=1000.0, timestamp=now - timedelta(minutes=10))  # fmt: skip
    step(meter_values.meter_values_record, charge_point_id=cp.pk, evse_id=1, connector_id=1,
         transaction_id=session.transaction_id,
         samples=[(now - timedelta(minutes=5), {"energy_wh": 6000.0, "power_kw": 48.5, "soc_percent": 37.0})],
         )  # fmt: skip
    step(station_services.connector_status_update, charge_point_id=cp.pk, evse_id=1, connector_id=1,
         status="SuspendedEV")  # fmt: skip
    step(transactions.transaction_stop, charge_point_id=cp.pk, transaction_id=session.transaction_id,
         meter_stop_wh=9000.0, timestamp=now)  # fmt: skip
    step(station_services.alert_raise, kind=Alert.Kind.CONNECTOR_FAULT, severity="critical", charge_point=cp,
         connector=connector, message="broken")  # fmt: skip
    step(station_services.alert_resolve, kind=Alert.Kind.CONNECTOR_FAULT, charge_point=cp, connector=connector)
    command = step(station_services.command_create, charge_point=cp, action="Reset", request={"type": "Soft"},
                   actor=None)  # fmt: skip
    step(station_services.command_complete, command_id=command.pk, state="rejected")
    step(reservations.reservation_request, actor=org.dispatcher_a, vehicle=VehicleFactory(department=org.a),
         starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=3), connector=connector)  # fmt: skip
    step(notify, event=Notice(kind="session.failed", users=[org.fleet_manager_a], title="VAN-7 failed"))
    trip = step(operations_services.trip_create, actor=org.dispatcher_a, vehicle=VehicleFactory(department=org.a),
                depot=site, departs_at=now + timedelta(hours=5), returns_at=now + timedelta(hours=9),
                distance_km=80)  # fmt: skip
    step(operations_services.trip_cancel, actor=org.dispatcher_a, trip=trip)
    step(operations_services.trip_delete, actor=org.dispatcher_a, trip=trip)
    from charging.services import smart

    step(smart.plan_site, site=site, trigger="manual", apply=False)

    for event, payload in published:
        assert event in live_events.EVENTS, event
        _conforms(live_events.EVENTS[event].fields, payload, event)
    sent = {event for event, _ in published}
    # hello and fleet.summary are written by the consumer itself (see the socket tests below)
    assert sent == set(live_events.EVENTS) - {"hello", "fleet.summary"}
    statuses = [p for e, p in published if e == "session.status" and p["id"] == session.pk]
    assert [p["status"] for p in statuses] == ["charging", "charging", "suspended_ev", "completed"]
    metered = statuses[1]
    assert (metered["power_kw"], metered["soc_percent"], metered["energy_kwh"]) == (48.5, 37.0, 5.0)
    assert metered["last_meter_at"] == live_events.instant(now - timedelta(minutes=5))
    assert statuses[-1]["ended_at"] == live_events.instant(now)
    station = next(p for e, p in published if e == "station.status")
    assert (station["charge_point"], station["site"], station["connector"]["id"]) == (cp.pk, site.pk, connector.pk)


# --- the socket: opened with a token, scoped like the API ---------------------------------------------------------


def _run(coroutine):
    return asyncio.run(coroutine)


def _token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def _open(token: str | None = None, *, subprotocols=None, path="/ws/dashboard/"):
    headers = [(b"authorization", f"Token {token}".encode())] if token is not None else []
    communicator = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
    connected, detail = await communicator.connect()
    return communicator, connected, detail


async def _next(communicator, event: str, timeout: float = 3.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if message["event"] == event:
            return message["payload"]


@pytest.mark.django_db(transaction=True)
def test_an_integrators_token_opens_the_socket_and_it_hears_only_its_departments_events(org, api):
    own, other = VehicleFactory(department=org.a1), VehicleFactory(department=org.b)
    key_a, key_b = _token(org.integrator_a), _token(org.integrator_b)

    async def scenario():
        (socket_a, connected_a, _), (socket_b, connected_b, _) = await _open(key_a), await _open(key_b)
        assert connected_a and connected_b  # no cookie, no Origin header: a token is enough
        hello = await socket_a.receive_json_from()
        assert hello["event"] == "hello"
        _conforms(live_events.EVENTS["hello"].fields, hello["payload"], "hello")
        assert set(hello["payload"]["departments"]) == {org.a.pk, org.a1.pk}
        assert "station.command" not in hello["payload"]["events"] and "session.status" in hello["payload"]["events"]
        await socket_b.receive_json_from()
        for vehicle in (own, other):
            await sync_to_async(
                lambda v=vehicle: api(org.admin).patch(f"/api/v1/vehicles/{v.pk}/", {"status": "maintenance"})
            )()
        payload = await _next(socket_a, "vehicle.updated")
        assert (payload["id"], payload["department"]) == (own.pk, org.a1.pk)
        _conforms(live_events.EVENTS["vehicle.updated"].fields, payload, "vehicle.updated")
        assert await socket_a.receive_nothing(timeout=0.3)  # not B's vehicle
        assert (await _next(socket_b, "vehicle.updated"))["id"] == other.pk
        assert await socket_b.receive_nothing(timeout=0.3)
        for socket in (socket_a, socket_b):
            await socket.disconnect()

    _run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_token_in_the_subprotocol_opens_the_socket_and_is_never_echoed(org):
    key = _token(org.integrator_a)

    async def scenario():
        socket, connected, subprotocol = await _open(subprotocols=["evfleet.v1", f"evfleet.token.{key}"])
        assert connected and subprotocol == "evfleet.v1"
        assert (await socket.receive_json_from())["event"] == "hello"
        await socket.disconnect()

    _run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_bad_absent_or_url_token_is_refused(org):
    key = _token(org.integrator_a)

    async def scenario():
        for token, path in (("0" * 40, "/ws/dashboard/"), ("", "/ws/dashboard/"), (None, "/ws/dashboard/"),
                            (None, f"/ws/dashboard/?token={key}"), (key, f"/ws/dashboard/?token={key}")):  # fmt: skip
            _, connected, _ = await _open(token, path=path)
            assert not connected, (token, path)
        _, connected, _ = await _open(subprotocols=["evfleet.v1", "evfleet.token.nonsense"])
        assert not connected

    _run(scenario())


async def _handshake_status(base_url: str, **kwargs) -> int:
    path = kwargs.pop("path", "/ws/dashboard/")
    try:
        async with websockets.connect(base_url.replace("http://", "ws://") + path, **kwargs):
            return 101
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response.status_code


def test_refused_handshakes_answer_403_over_http(org, asgi_live_server):
    key = _token(org.integrator_a)
    Token.objects.filter(user=org.integrator_b).delete()
    revoked = "f" * 40
    attempts = {
        "a good token": ({"additional_headers": {"Authorization": f"Token {key}"}}, 101),
        "a good token as subprotocol": ({"subprotocols": ["evfleet.v1", f"evfleet.token.{key}"]}, 101),
        "an unknown token": ({"additional_headers": {"Authorization": f"Token {revoked}"}}, 403),
        "another scheme": ({"additional_headers": {"Authorization": f"Bearer {key}"}}, 403),
        "the token in the URL": ({"path": f"/ws/dashboard/?token={key}"}, 403),
        "nothing": ({}, 403),
    }
    for what, (kwargs, status) in attempts.items():
        assert asyncio.run(_handshake_status(asgi_live_server, **kwargs)) == status, what


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_closes_its_socket_with_4403(org, settings):
    settings.DASHBOARD_ACCESS_CHECK_INTERVAL_S = 0.2
    key = _token(org.integrator_a)

    async def scenario():
        socket, connected, _ = await _open(key)
        assert connected
        await socket.receive_json_from()
        await sync_to_async(Token.objects.filter(key=key).delete)()
        closed = await socket.receive_output(timeout=3)
        assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_ACCESS_CHANGED)

    _run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_sessions_events_reach_the_vehicles_department_once_and_the_host_without_the_vehicle(org):
    """A vehicle of department A charging at a site of team A1: A sees the session with its vehicle (once, though
    it sees A1 too), A1 sees it with the vehicle withheld, as the API's `vehicle_hidden`; B hears nothing."""
    payload = live_events.render("session.status", id=7, transaction_id="7", site=1, charge_point=2, connector=3,
                                 vehicle=99, status="charging", started_at=timezone.now(), ended_at=None,
                                 energy_kwh=1.0, power_kw=None, soc_percent=None, last_meter_at=None, stop_reason="",
                                 reason="", updated_at=timezone.now(),
                                 vehicle_charging=True)  # fmt: skip
    key_a, key_b = _token(org.integrator_a), _token(org.integrator_b)
    key_a1 = _token(org.manager_a1)

    async def scenario():
        sockets = {}
        for name, key in (("a", key_a), ("a1", key_a1), ("b", key_b)):
            sockets[name] = (await _open(key))[0]
            await sockets[name].receive_json_from()
        await sync_to_async(realtime.publish)("session.status", payload, department_id=org.a1.pk,
                                              also_department_id=org.a.pk, withheld=("vehicle",))  # fmt: skip
        assert (await _next(sockets["a"], "session.status"))["vehicle"] == 99
        assert await sockets["a"].receive_nothing(timeout=0.3)  # one copy
        assert (await _next(sockets["a1"], "session.status"))["vehicle"] is None
        assert await sockets["b"].receive_nothing(timeout=0.3)
        for socket in sockets.values():
            await socket.disconnect()

    _run(scenario())


@pytest.mark.django_db(transaction=True)
def test_the_fleet_summary_reaches_a_token_socket_in_the_documented_shape(org):
    from fleet.tasks import fleet_summary_broadcast

    VehicleFactory.create_batch(2, department=org.a, soc_percent=50.0)
    key = _token(org.integrator_a)

    async def scenario():
        socket = (await _open(key))[0]
        await sync_to_async(fleet_summary_broadcast)()
        payload = await _next(socket, "fleet.summary")
        _conforms(live_events.EVENTS["fleet.summary"].fields, payload, "fleet.summary")
        assert (payload["summary"]["total"], payload["summary"]["avg_soc"]) == (2, 50.0)
        await socket.disconnect()

    _run(scenario())
