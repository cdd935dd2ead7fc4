"""The consumers' shared behaviour (evfleet/sockets.py) when a client goes away mid-answer."""

import asyncio
import logging

import pytest
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from uvicorn.protocols.utils import ClientDisconnected

from evfleet.sockets import OutageTolerantConsumer


class _Answering(OutageTolerantConsumer, AsyncWebsocketConsumer):
    channel_layer_alias = "none"

    def __init__(self):
        super().__init__()
        self.disconnected_with = None
        self.scope = {"type": "websocket"}

    async def receive(self, text_data=None, bytes_data=None):
        raise ClientDisconnected()  # what uvicorn raises when the answer goes to a closed socket

    async def disconnect(self, code):
        self.disconnected_with = code


def test_a_client_gone_while_answered_is_no_error_and_its_disconnect_still_runs(caplog):
    consumer = _Answering()
    consumer.base_send = None  # nothing may be sent to a client that is gone

    async def gone_then_disconnected():
        await consumer.dispatch({"type": "websocket.receive", "text": '[2, "1", "Heartbeat", {}]'})
        assert consumer.closing
        with pytest.raises(StopConsumer):
            await consumer.dispatch({"type": "websocket.disconnect", "code": 1006})

    with caplog.at_level(logging.INFO, logger="evfleet.sockets"):
        asyncio.run(gone_then_disconnected())
    assert consumer.disconnected_with == 1006
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "went away" in caplog.text
