"""The dashboard WebSocket: authenticated, department-scoped, fed by services and scheduled tasks."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from evfleet.asgi import application
from fleet.tasks import fleet_summary_broadcast
from fleet.telemetry import telemetry_ingest
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(user=None):
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=[(b"origin", b"http://127.0.0.1")])
    if user is not None:
        communicator.scope["user"] = user
    return communicator


async def _receive_event(communicator, event, timeout=3.0):
    """The next message of type `event`, skipping others (e.g. the greeting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {event} event within {timeout} s")
        message = await communicator.receive_json_from(timeout=remaining)
        if message["event"] == event:
            return message["payload"]


def _run(coroutine):
    return asyncio.run(coroutine)


def test_an_anonymous_socket_is_refused(db):
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=[(b"origin", b"http://127.0.0.1")])
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4401

    _run(scenario())


def test_an_integrator_socket_is_refused(org):
    async def scenario():
        communicator = await _connect(org.integrator_a)
        connected, _ = await communicator.connect()
        assert not connected

    _run(scenario())


def test_telemetry_reaches_its_departments_dashboards_only(org):
    vehicle_a = VehicleFactory(department=org.a1)

    async def scenario():
        own, other, admin = (
            await _connect(org.fleet_manager_a),
            await _connect(org.fleet_manager_b),
            await _connect(org.admin),
        )
        for communicator in (own, other, admin):
            assert (await communicator.connect())[0]
            await communicator.receive_json_from()  # hello
        await sync_to_async(telemetry_ingest)(
            actor=org.integrator_a,
            points=[{"vehicle": vehicle_a.pk, "recorded_at": timezone.now().isoformat(), "soc_percent": 42.0}],
        )
        for communicator in (own, admin):
            payload = await _receive_event(communicator, "vehicles.telemetry")
            assert payload["vehicles"][0]["id"] == vehicle_a.pk
            assert payload["vehicles"][0]["soc_percent"] == 42.0
        assert await other.receive_nothing(timeout=0.3)
        for communicator in (own, other, admin):
            await communicator.disconnect()

    _run(scenario())


def test_the_scheduled_summary_is_filtered_per_user(org):
    VehicleFactory.create_batch(2, department=org.a, status="maintenance")
    VehicleFactory.create_batch(3, department=org.b, soc_percent=10.0)

    async def scenario():
        manager_a, admin = await _connect(org.fleet_manager_a), await _connect(org.admin)
        for communicator in (manager_a, admin):
            assert (await communicator.connect())[0]
        await sync_to_async(fleet_summary_broadcast)()
        summary_a = (await _receive_event(manager_a, "fleet.summary"))["summary"]
        summary_all = (await _receive_event(admin, "fleet.summary"))["summary"]
        assert (summary_a["total"], summary_a["status_maintenance"], summary_a["low_soc"]) == (2, 2, 0)
        assert (summary_all["total"], summary_all["low_soc"]) == (5, 3)
        assert summary_all["avg_soc"] == 10.0
        for communicator in (manager_a, admin):
            await communicator.disconnect()

    _run(scenario())


def test_a_vehicle_status_change_is_pushed(org, api):
    vehicle = VehicleFactory(department=org.a)

    async def scenario():
        communicator = await _connect(org.dispatcher_a)
        assert (await communicator.connect())[0]
        await sync_to_async(
            lambda: api(org.dispatcher_a).patch(
                f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json"
            )
        )()
        payload = await _receive_event(communicator, "vehicle.updated")
        assert (payload["id"], payload["status"]) == (vehicle.pk, "maintenance")
        await communicator.disconnect()

    _run(scenario())


def test_a_point_older_than_the_stored_state_is_not_announced(org):
    vehicle = VehicleFactory(department=org.a, last_telemetry_at=timezone.now())

    async def scenario():
        communicator = await _connect(org.fleet_manager_a)
        assert (await communicator.connect())[0]
        await communicator.receive_json_from()
        old = (timezone.now() - timedelta(hours=1)).isoformat()
        await sync_to_async(telemetry_ingest)(
            actor=org.integrator_a, points=[{"vehicle": vehicle.pk, "recorded_at": old, "soc_percent": 5}]
        )
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    _run(scenario())
