"""What the WebSocket consumers (stations and dashboards) share: close codes, refusing a handshake cleanly,
and living through an outage of the channel layer (Redis) or the database without crashing.

Channels' consumer ends with an exception when the channel layer's receive fails (Redis is down) or a
handler raises: uvicorn then drops the socket without a close frame, and answers a handshake with HTTP 500.
`OutageTolerantConsumer` instead

- retries the channel layer's receive until Redis answers again, joining the consumer's groups anew (a Redis
  that restarted has lost them), and tells the consumer through `channel_layer_lost()` / `channel_layer_back()`;
- refuses a handshake whose checks fail on an outage with HTTP 503 and `Retry-After` (`refuse()`);
- closes an open socket whose handler fails with 1011 and a close frame, and never lets a failing
  `disconnect()` crash the consumer.
"""

import asyncio
import contextlib
import logging
import random

from channels.consumer import get_channel_layer
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch

logger = logging.getLogger(__name__)


def _client_gone_errors() -> tuple[type[BaseException], ...]:
    """What a server raises when a handler sends to a client that has just gone away (the disconnect follows)."""
    kinds: list[type[BaseException]] = []
    with contextlib.suppress(ImportError):
        from uvicorn.protocols.utils import ClientDisconnected

        kinds.append(ClientDisconnected)
    with contextlib.suppress(ImportError):
        from websockets.exceptions import ConnectionClosed

        kinds.append(ConnectionClosed)
    return tuple(kinds)


CLIENT_GONE = _client_gone_errors()

# RFC 6455 close codes, and this platform's own (4000-4999) for the dashboards and stations.
CLOSE_MESSAGE_TOO_BIG = 1009  # a station's frame exceeds EVFLEET_OCPP_MAX_FRAME_BYTES
CLOSE_INTERNAL_ERROR = 1011  # a handler failed unexpectedly
CLOSE_TRY_AGAIN_LATER = 1013  # the channel layer (Redis) is down: reconnect later
CLOSE_REPLACED = 4409  # a station: a newer connection with the same identity took over
RETRY_AFTER_S = 10  # what a refused handshake is told to wait during an outage
LAYER_RETRY_MAX_S = 5.0  # the longest pause between two attempts to reach the channel layer again


async def refuse(consumer, status: int = 403, reason: str = "", retry_after: int | None = None) -> None:
    """Refuse a WebSocket handshake with an HTTP status (ASGI's denial response), where the server supports it;
    otherwise close before accepting, which servers answer with 403."""
    if getattr(consumer, "closing", False):
        return
    if "websocket.http.response" not in consumer.scope.get("extensions", {}):
        await consumer.close()
        return
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    consumer.closing = True  # what arrives until the disconnect is ignored
    await consumer.base_send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await consumer.base_send({"type": "websocket.http.response.body", "body": reason.encode()})


class OutageTolerantConsumer:
    """Mixin for AsyncWebsocketConsumer / AsyncJsonWebsocketConsumer (put it first)."""

    layer_groups: list[str] = []  # the groups the consumer joined, joined again after an outage
    layer_down = False
    accepted = False

    async def __call__(self, scope, receive, send):
        # channels.consumer.AsyncConsumer.__call__, with the channel layer's receive made outage-tolerant.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        self.layer_groups = []
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, self._layer_receive], self.dispatch)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.layer_groups.append(group)

    async def leave_all(self) -> None:
        """Leave every joined group; a channel layer that is down has lost them, or will let them expire."""
        for group in self.layer_groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:  # Redis down: nothing to leave that would not expire
                logger.debug("Could not leave %s: %s", group, exc)
                break
        self.layer_groups = []

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True

    closing = False

    async def close(self, code=None, reason=None):
        """Close once; what arrives after it (group events, frames) is ignored until the disconnect."""
        if self.closing:
            return
        self.closing = True
        await super().close(code, reason)

    async def _layer_receive(self) -> dict:
        pause = 0.5
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception as exc:  # redis-py raises several kinds; every one means "not now"
                if not self.layer_down:
                    self.layer_down = True
                    logger.warning("%s: the channel layer failed (%s); retrying", type(self).__name__, exc)
                    if self.accepted:  # a handshake under way refuses itself (its group_add fails too)
                        await self.channel_layer_lost()
            while self.layer_down:
                await asyncio.sleep(pause * (0.5 + random.random()))  # spread a thousand sockets' attempts
                pause = min(pause * 2, LAYER_RETRY_MAX_S)
                try:
                    for group in self.layer_groups:  # a Redis that restarted has forgotten them
                        await self.channel_layer.group_add(group, self.channel_name)
                except Exception:  # noqa: S112  (still down: wait and try again)
                    continue
                self.layer_down = False
                logger.info("%s: the channel layer answers again", type(self).__name__)
                if self.accepted:
                    await self.channel_layer_back()

    async def channel_layer_lost(self) -> None:
        """The channel layer stopped answering: no group messages until it is back."""

    async def channel_layer_back(self) -> None:
        """The channel layer answers again and the groups are joined anew."""

    async def dispatch(self, message):
        if self.closing and message.get("type") != "websocket.disconnect":
            return
        try:
            await super().dispatch(message)
        except StopConsumer:
            raise
        except CLIENT_GONE as exc:
            # not a fault: the socket closed while a handler answered; its disconnect still arrives and runs
            self.closing = True
            logger.info("%s: the client went away during %s (%s)", type(self).__name__, message.get("type"), exc)
            if message.get("type") == "websocket.disconnect":
                raise StopConsumer() from None
        except Exception:
            kind = message.get("type", "")
            logger.exception("%s failed on %s", type(self).__name__, kind)
            if kind == "websocket.disconnect":
                raise StopConsumer() from None  # the socket is gone; nothing more to do for it
            if kind == "websocket.connect" and not self.accepted:
                await refuse(self, 503, "Service unavailable; try again later.", retry_after=RETRY_AFTER_S)
            else:
                await self.close(code=CLOSE_INTERNAL_ERROR)


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any WebSocket path without a route: refused with 404 (Channels' router would fail with a 500)."""

    channel_layer_alias = "none"  # no such layer: it needs none, and must not fail when Redis is down

    async def connect(self):
        logger.warning("Refused a WebSocket at %r: no such path", self.scope.get("path", "")[:120])
        await refuse(self, 404, "No WebSocket here.")
