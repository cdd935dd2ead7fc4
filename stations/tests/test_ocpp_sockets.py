"""The station socket itself: which identities are admitted, how large a frame may be, what the log keeps of
it, and one socket per station (a newer connection replaces the older)."""

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest
import websockets
from django.conf import settings as django_settings
from ocpp.v16 import call as call16

from evfleet.management.commands.serve import uvicorn_arguments
from stations.models import ChargePoint, OcppMessage
from stations.ocpp.messagelog import flush_all
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station
from tests.stations import closing, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cp16(org):
    charge_point = ChargePointFactory(identity="CP-16", site=SiteFactory(department=org.a))
    ConnectorFactory(charge_point=charge_point, evse_id=1)
    return charge_point


async def _handshake_status(base_url: str, path: str) -> int:
    """The HTTP status a WebSocket handshake at `path` (sent as is, percent-escapes and all) is answered with."""
    try:
        async with websockets.connect(base_url.replace("http://", "ws://") + path, subprotocols=["ocpp1.6"]):
            return 101
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response.status_code


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/ocpp/CP%0016", "a NUL byte"),
        ("/ocpp/%00", "only a NUL byte"),
        ("/ocpp/../CP-16", "a parent directory"),
        ("/ocpp/..%2F..%2Fetc%2Fpasswd", "escaped slashes"),
        ("/ocpp/CP-16/extra", "a slash"),
        ("/ocpp/..", "dots only"),
        ("/ocpp/", "nothing"),
        ("/ocpp/" + "C" * 49, "49 characters"),
        ("/ocpp/CP%0A16", "a line feed"),
        ("/ocpp/CP%07", "a bell"),
        ("/ocpp/CP%20-16", "a space"),
        ("/ocpp/%C3%A9t%C3%A9", "letters beyond ASCII"),
    ],
)
def test_a_junk_identity_is_refused_at_the_handshake_and_logged_never_a_server_error(
    cp16, asgi_live_server, caplog, path, why
):
    caplog.set_level(logging.WARNING, logger="stations.ocpp.consumer")
    assert asyncio.run(_handshake_status(asgi_live_server, path)) == 403, why
    assert any("Refused a station at /ocpp/" in r.getMessage() for r in caplog.records), why
    assert not ChargePoint.objects.exclude(pk=cp16.pk).exists()


def test_a_websocket_path_without_a_route_is_refused_with_404(asgi_live_server):
    assert asyncio.run(_handshake_status(asgi_live_server, "/ws/nothing-here/")) == 404


def test_a_valid_identity_with_a_trailing_slash_is_still_admitted(cp16, asgi_live_server):
    assert asyncio.run(_handshake_status(asgi_live_server, "/ocpp/CP-16/")) == 101


def test_a_frame_above_the_limit_closes_the_socket_with_1009_and_the_log_keeps_only_its_beginning(
    cp16, asgi_live_server
):
    huge = json.dumps([2, "big-1", "DataTransfer", {"vendorId": "acme", "data": "A" * (1024 * 1024)}])

    async def scenario():
        async with station(asgi_live_server, "CP-16", "ocpp1.6") as cp:
            socket = cp._connection
            await socket.send(huge)
            await asyncio.wait_for(socket.wait_closed(), 5)
            await flush_all()
            return socket.close_code

    assert django_settings.OCPP_MAX_FRAME_BYTES == 65536  # the documented default
    assert asyncio.run(scenario()) == 1009
    logged = OcppMessage.objects.get(charge_point=cp16, direction="in")
    limit = django_settings.OCPP_MESSAGE_LOG_MAX_CHARS
    assert logged.payload is None and logged.raw.startswith(huge[:limit])
    assert len(logged.raw) < limit + 100 and f"{len(huge):,} characters" in logged.raw


def test_a_frame_within_the_limit_is_answered_and_the_log_cuts_it_at_its_own_limit(cp16, asgi_live_server, settings):
    settings.OCPP_MESSAGE_LOG_MAX_CHARS = 1000
    data = "B" * 5000

    async def scenario():
        async with station(asgi_live_server, "CP-16", "ocpp1.6") as cp:
            answer = await cp.call(call16.DataTransfer(vendor_id="acme", data=data))
            await flush_all()
            return answer

    assert asyncio.run(scenario()).status  # answered: the link is kept
    logged = OcppMessage.objects.get(charge_point=cp16, direction="in", action="DataTransfer")
    assert logged.message_type == 2 and logged.unique_id and logged.payload is None
    assert logged.raw.startswith('[2,"') and logged.raw[:1000].endswith("B" * 100)
    assert len(logged.raw) < 1100 and "the log keeps 1,000" in logged.raw
    short = OcppMessage.objects.get(charge_point=cp16, direction="out")  # the answer is short: kept whole
    assert short.payload is not None and short.raw == ""


def test_serve_and_the_readme_give_uvicorn_the_station_frame_limit():
    arguments = uvicorn_arguments("127.0.0.1", 8000)
    assert arguments[arguments.index("--ws-max-size") + 1] == str(django_settings.OCPP_MAX_FRAME_BYTES)
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^uvicorn evfleet\.asgi:application .*$", readme, flags=re.MULTILINE)
    assert commands and all("--ws-max-size 65536" in c for c in commands), commands


def test_a_second_socket_of_one_station_replaces_the_first_and_the_station_stays_online(cp16, asgi_live_server):
    def state():
        return ChargePoint.objects.values_list("is_connected", "connection_token").get(pk=cp16.pk)

    async def scenario():
        async with station(asgi_live_server, "CP-16", "ocpp1.6") as first:
            await wait_for(lambda: state()[0], "the first socket connected")
            first_token = (await asyncio.to_thread(closing(state)))[1]
            async with station(asgi_live_server, "CP-16", "ocpp1.6") as second:
                await asyncio.wait_for(first._connection.wait_closed(), 5)
                assert first._connection.close_code == 4409  # the older one is closed with its documented code
                await asyncio.sleep(0.5)  # its disconnect has run
                connected, token = await asyncio.to_thread(closing(state))
                assert connected and token not in ("", first_token)  # the newer one holds the station
                beat = await second.call(call16.Heartbeat())
                assert beat.current_time
            await wait_for(lambda: not state()[0], "the station offline once its last socket closed")

    asyncio.run(scenario())


def test_the_close_of_a_replaced_socket_does_not_take_the_station_offline(cp16):
    """Even when the older socket never heard it was replaced (its close crossed the newer one's handshake, or
    the newer one is in another server process): only the socket named on the station marks it offline."""
    from stations import services

    services.station_connect(identity="CP-16", password=None, protocol="ocpp1.6", token="process-a:older")
    services.station_connect(identity="CP-16", password=None, protocol="ocpp1.6", token="process-b:newer")
    assert not services.station_disconnect(charge_point_id=cp16.pk, token="process-a:older")
    assert ChargePoint.objects.values_list("is_connected", "connection_token").get(pk=cp16.pk) == (
        True,
        "process-b:newer",
    )
    assert services.station_disconnect(charge_point_id=cp16.pk, token="process-b:newer")
    cp16.refresh_from_db()
    assert not cp16.is_connected and cp16.status == "offline"
