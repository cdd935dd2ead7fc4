"""Production mode through an outage of Redis: a real uvicorn on PostgreSQL and a Redis of the test's own, which
is killed during live traffic (a station's socket, a dashboard) and started again on the same port.

Before, every consumer crashed: all sockets dropped without a close frame, handshakes got HTTP 500 while Redis
was down, and a station whose socket was gone still showed connected. Now a station's socket keeps being served
(its messages need only the database), a dashboard closes with 1013 and reconnects later, handshakes are refused
with 503, and once Redis is back commands and live updates flow again. Two server processes on one Redis also
hand a station's socket over: a newer connection replaces the older one in the other process.
"""

import asyncio
import json
import os
import shutil
import time
import uuid

import httpx
import pytest
import websockets
from django.db import connection
from django.test import Client
from ocpp.v16 import call as call16
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.tests.factories import DepartmentFactory, UserFactory
from stations.models import ChargePoint
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station
from tests.server_process import RedisServer, uvicorn_process
from tests.stations import closing, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def services_of_production(transactional_db, tmp_path):
    """PostgreSQL (the test database) and a Redis of the test's own."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must provide DATABASE_URL (PostgreSQL) and REDIS_URL")
        pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


@pytest.fixture
def depot(services_of_production):
    department = DepartmentFactory(name="Depot")
    manager = UserFactory(username="manager", role=User.Role.FLEET_MANAGER, department=department)
    technician = UserFactory(username="technician", role=User.Role.TECHNICIAN, department=department)
    site = SiteFactory(department=department)
    stations = {}
    for identity in ("OUT-1", "OUT-2", "OUT-3"):
        stations[identity] = ChargePointFactory(identity=identity, site=site, heartbeat_interval_s=300)
        ConnectorFactory(charge_point=stations[identity], evse_id=1)
    browser = Client()
    browser.force_login(manager)
    return {
        "stations": stations,
        "cookie": browser.cookies["sessionid"].value,
        "token": Token.objects.create(user=technician).key,
    }


def _server_env(redis_server) -> dict:
    return {
        "REDIS_URL": redis_server.url,
        "EVFLEET_CHANNEL_PREFIX": f"outage-{uuid.uuid4().hex[:8]}",
        "EVFLEET_OCPP_SOCKET_CHECK_INTERVAL": "1",
    }


async def _handshake_status(url: str, **options) -> int:
    try:
        async with websockets.connect(url, open_timeout=10, **options):
            return 101
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response.status_code


async def _dashboard(base_url: str, cookie: str):
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/ws/dashboard/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": base_url},
        open_timeout=10,
    )
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["event"] == "hello"
    return socket


async def _event(socket, event: str, match, timeout: float = 10.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = json.loads(await asyncio.wait_for(socket.recv(), max(remaining, 0.01)))
        if message["event"] == event and match(message["payload"]):
            return message["payload"]


def _connected() -> dict[str, bool]:
    return dict(ChargePoint.objects.values_list("identity", "is_connected"))


def test_sockets_live_through_a_redis_outage_and_recover_when_it_returns(depot, services_of_production, tmp_path):
    redis_server = services_of_production
    cp1 = depot["stations"]["OUT-1"]

    with uvicorn_process(tmp_path, **_server_env(redis_server)) as (base_url, server):
        ws = base_url.replace("http://", "ws://")

        async def scenario():
            async with (
                station(base_url, "OUT-1", "ocpp1.6") as first,
                httpx.AsyncClient(  # commands wait up to 5 s for the station: read for longer than the server waits
                    base_url=base_url, headers={"Authorization": f"Token {depot['token']}"}, timeout=30
                ) as api,
            ):
                dashboard = await _dashboard(base_url, depot["cookie"])
                await first.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                second = station(base_url, "OUT-2", "ocpp1.6")
                await second.__aenter__()
                await wait_for(lambda: _connected() == {"OUT-1": True, "OUT-2": True, "OUT-3": False}, "two connected")

                redis_server.kill()

                # the dashboard is told to come back later, with a close frame and a code
                await asyncio.wait_for(dashboard.wait_closed(), 15)
                assert dashboard.close_code == 1013
                # the stations are still served: their messages need only the database
                beat = await first.call(call16.Heartbeat())
                assert beat.current_time
                status = await first.call(
                    call16.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
                )
                assert status is not None  # answered, though its live update cannot be delivered
                # new sockets are refused cleanly while Redis is down, never with a server error
                assert await _handshake_status(f"{ws}/ocpp/OUT-3", subprotocols=["ocpp1.6"]) == 503
                assert (
                    await _handshake_status(
                        f"{ws}/ws/dashboard/",
                        additional_headers={"Cookie": f"sessionid={depot['cookie']}", "Origin": base_url},
                    )
                    == 503
                )
                # a command cannot reach the station now: it fails at once instead of waiting for a timeout
                refused = await api.post(
                    f"/api/v1/charge-points/{cp1.pk}/commands/", json={"action": "Reset", "payload": {"type": "Soft"}}
                )
                assert refused.status_code == 201 and refused.json()["state"] == "failed", refused.text
                # a station that goes away during the outage is shown disconnected
                await second.__aexit__(None, None, None)
                await wait_for(lambda: _connected() == {"OUT-1": True, "OUT-2": False, "OUT-3": False}, "OUT-2 gone")

                redis_server.start()

                # traffic recovers: dashboards and new stations are admitted again ...
                dashboard = await _dashboard(base_url, depot["cookie"])
                async with station(base_url, "OUT-3", "ocpp1.6") as third:
                    await third.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                    await wait_for(lambda: _connected()["OUT-3"], "OUT-3 connected")
                    # ... live updates reach the dashboard ...
                    await first.call(
                        call16.StatusNotification(connector_id=1, error_code="NoError", status="Available")
                    )
                    update = await _event(
                        dashboard, "station.status", lambda p: p["identity"] == "OUT-1" and p["connector"] is not None
                    )
                    assert update["connector"]["status"] == "Available"
                    # ... and the old station socket gets commands again (it joined its group anew)
                    deadline = time.monotonic() + 20
                    while True:
                        answered = await api.post(
                            f"/api/v1/charge-points/{cp1.pk}/commands/?wait=5",
                            json={"action": "Reset", "payload": {"type": "Soft"}},
                        )
                        if answered.json().get("state") == "accepted" or time.monotonic() > deadline:
                            break
                        await asyncio.sleep(1)
                    assert answered.json()["state"] == "accepted", answered.text
                    # the stations' state is their sockets'
                    assert await asyncio.to_thread(closing(_connected)) == {
                        "OUT-1": True,
                        "OUT-2": False,
                        "OUT-3": True,
                    }
                await dashboard.close()
            await wait_for(lambda: not any(_connected().values()), "every station offline once its socket closed")

        asyncio.run(scenario())
        log = server.log_path.read_text()
    # no consumer crashed (uvicorn's report of an application exception), no handshake answered 500
    assert "Exception in ASGI application" not in log and " 500" not in log, log[-4000:]
    assert "failed on websocket." not in log, log[-4000:]  # nor fell into the consumers' last resort


def test_a_newer_socket_in_another_server_process_replaces_the_older_and_the_station_stays_online(
    depot, services_of_production, tmp_path
):
    env = _server_env(services_of_production)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cp1 = depot["stations"]["OUT-1"]

    def state():
        return ChargePoint.objects.values_list("is_connected", "connection_token").get(pk=cp1.pk)

    with (
        uvicorn_process(tmp_path / "a", **env) as (server_a, _),
        uvicorn_process(tmp_path / "b", **env) as (server_b, _),
    ):

        async def scenario():
            async with station(server_a, "OUT-1", "ocpp1.6") as older:
                await wait_for(lambda: state()[0], "connected through server A")
                older_token = (await asyncio.to_thread(closing(state)))[1]
                async with station(server_b, "OUT-1", "ocpp1.6") as newer:
                    await asyncio.wait_for(older._connection.wait_closed(), 10)
                    assert older._connection.close_code == 4409
                    await asyncio.sleep(1.5)  # server A's disconnect and roll call have run
                    connected, token = await asyncio.to_thread(closing(state))
                    assert connected and token != older_token
                    assert (await newer.call(call16.Heartbeat())).current_time
            await wait_for(lambda: not state()[0], "offline once the newer socket closed")

        asyncio.run(scenario())
