"""Station state follows the sockets through a database outage: a handshake that cannot be checked is refused
with 503, a close that cannot be written is written by the server process's roll call once the database is
back, and the watchdog disconnects stations whose server process no longer confirms their socket."""

import asyncio
from datetime import timedelta

import pytest
import websockets
from django.db import OperationalError
from django.utils import timezone

from stations import services
from stations.models import ChargePoint
from stations.tasks import station_watchdog
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station
from tests.stations import closing, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cp(org):
    charge_point = ChargePointFactory(identity="CP-OUT", site=SiteFactory(department=org.a))
    ConnectorFactory(charge_point=charge_point, evse_id=1)
    return charge_point


def _database_down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


def test_a_handshake_the_database_cannot_check_is_refused_with_503_not_500(cp, asgi_live_server, monkeypatch):
    monkeypatch.setattr(services, "station_connect", _database_down)

    async def attempt():
        try:
            async with station(asgi_live_server, "CP-OUT", "ocpp1.6"):
                return 101
        except websockets.exceptions.InvalidStatus as refused:
            return refused.response.status_code, refused.response.headers.get("Retry-After")

    assert asyncio.run(attempt()) == (503, "10")


def test_a_close_the_database_missed_is_written_by_the_roll_call_once_it_is_back(
    cp, asgi_live_server, monkeypatch, settings
):
    settings.OCPP_SOCKET_CHECK_INTERVAL_S = 1
    real_disconnect = services.station_disconnect

    async def scenario():
        async with station(asgi_live_server, "CP-OUT", "ocpp1.6"):
            await wait_for(lambda: ChargePoint.objects.get(pk=cp.pk).is_connected, "connected")
            monkeypatch.setattr(services, "station_disconnect", _database_down)  # the database goes away
        await asyncio.sleep(0.5)  # the socket closed; its disconnect could not be written
        assert await asyncio.to_thread(closing(lambda: ChargePoint.objects.get(pk=cp.pk).is_connected))
        monkeypatch.setattr(services, "station_disconnect", real_disconnect)  # the database is back
        await wait_for(lambda: not ChargePoint.objects.get(pk=cp.pk).is_connected, "the roll call's disconnect")

    asyncio.run(scenario())
    cp.refresh_from_db()
    assert cp.status == "offline" and cp.connection_token == ""


def test_the_roll_call_confirms_open_sockets_and_disconnects_only_its_own_lost_ones(cp, org):
    other = ChargePointFactory(identity="CP-ELSEWHERE", site=cp.site)
    services.station_connect(identity="CP-OUT", password=None, protocol="ocpp1.6", token="proc-a:1")
    services.station_connect(identity="CP-ELSEWHERE", password=None, protocol="ocpp1.6", token="proc-b:1")
    before = timezone.now()

    assert services.station_sockets_confirm(process="proc-a", open_tokens=["proc-a:1"]) == 0
    cp.refresh_from_db()
    assert cp.is_connected and cp.connection_checked_at >= before

    assert services.station_sockets_confirm(process="proc-a", open_tokens=[]) == 1  # its socket is gone
    cp.refresh_from_db()
    other.refresh_from_db()
    assert not cp.is_connected and other.is_connected  # another process's socket is not this one's to judge


def test_the_watchdog_disconnects_stations_no_server_process_confirms_any_more(cp, org, settings):
    settings.OCPP_SOCKET_CHECK_INTERVAL_S = 30
    fresh = ChargePointFactory(identity="CP-FRESH", site=cp.site)
    services.station_connect(identity="CP-OUT", password=None, protocol="ocpp1.6", token="killed:1")
    services.station_connect(identity="CP-FRESH", password=None, protocol="ocpp1.6", token="alive:1")
    # the process holding CP-OUT was killed two minutes ago; CP-FRESH's confirmed its socket just now
    ChargePoint.objects.filter(pk=cp.pk).update(connection_checked_at=timezone.now() - timedelta(seconds=120))

    assert station_watchdog.apply().get()["stations_without_socket"] == 1
    cp.refresh_from_db()
    fresh.refresh_from_db()
    assert not cp.is_connected and cp.status == "offline"
    assert fresh.is_connected
