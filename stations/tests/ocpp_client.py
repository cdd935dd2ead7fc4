"""A station for tests, built on the `ocpp` library as a real charge point would be."""

import asyncio
import base64
import contextlib

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Station16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Station201
from ocpp.v201 import call_result as result201


class TestStation16(Station16):
    @on("Reset")
    async def on_reset(self, type, **kwargs):
        return result16.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(self, connector_id, type, **kwargs):
        return result16.ChangeAvailability(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, connector_id, **kwargs):
        return result16.UnlockConnector(status="Unlocked")

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag, **kwargs):
        self.remote_starts = [*getattr(self, "remote_starts", []), id_tag]
        return result16.RemoteStartTransaction(status="Accepted")

    @on("ReserveNow")
    async def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kwargs):
        self.reservations = [*getattr(self, "reservations", []), (connector_id, id_tag, reservation_id)]
        return result16.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, reservation_id, **kwargs):
        return result16.CancelReservation(status="Accepted")


class TestStation201(Station201):
    @on("Reset")
    async def on_reset(self, type, **kwargs):
        return result201.Reset(status="Rejected")

    @on("ChangeAvailability")
    async def on_change_availability(self, operational_status, **kwargs):
        return result201.ChangeAvailability(status="Accepted")


@contextlib.asynccontextmanager
async def station(base_url: str, identity: str, protocol: str, password: str | None = None):
    """Connect a test station and run its message loop; yields the ocpp ChargePoint."""
    headers = {}
    if password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()
    url = base_url.replace("http://", "ws://") + f"/ocpp/{identity}"
    async with websockets.connect(url, subprotocols=[protocol], additional_headers=headers, open_timeout=5) as socket:
        klass = TestStation201 if protocol == "ocpp2.0.1" else TestStation16
        charge_point = klass(identity, socket, response_timeout=5)
        loop = asyncio.ensure_future(charge_point.start())
        try:
            yield charge_point
        finally:
            loop.cancel()
