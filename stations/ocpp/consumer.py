"""One WebSocket per station at /ocpp/<identity>: handshake, frame checks, the message log, commands."""

import asyncio
import base64
import binascii
import dataclasses
import json
import logging
import time
import uuid

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call as call201
from ocpp.v201.enums import Action as Action201

from evfleet.sockets import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_REPLACED,
    RETRY_AFTER_S,
    OutageTolerantConsumer,
    refuse,
)
from stations import services
from stations.models import OcppCommand, OcppMessage, validate_ocpp_identity
from stations.ocpp.central import CentralSystem16, CentralSystem201
from stations.ocpp.messagelog import UNPARSED, flush_all, message_log
from stations.ocpp.threads import db

logger = logging.getLogger(__name__)

PROTOCOLS = ("ocpp2.0.1", "ocpp1.6")  # preferred first
ACTIONS = {"ocpp1.6": {a.value for a in Action16}, "ocpp2.0.1": {a.value for a in Action201}}
# How often ordinary traffic refreshes "last seen" in the database; heartbeats always do. Well under the
# heartbeat interval plus grace that the watchdog allows, and one UPDATE per station per half minute.
SEEN_EVERY_S = 30.0

# CALLERROR codes for frames the library cannot even unpack, by protocol.
FRAME_ERRORS = {
    "ocpp1.6": {"json": "FormationViolation", "shape": "ProtocolError", "type": "ProtocolError"},
    "ocpp2.0.1": {"json": "FormatViolation", "shape": "RpcFrameworkError", "type": "MessageTypeNotSupported"},
}


# This server process, in the connection tokens of its station sockets, and those sockets by token.
PROCESS = uuid.uuid4().hex[:12]
_open: dict[str, "OcppConsumer"] = {}
_roll_calls: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def identity_problem(identity: str) -> str | None:
    """Why `identity` (the rest of the URL after /ocpp/, decoded) cannot be a station's, or None."""
    try:
        validate_ocpp_identity(identity)
    except ValidationError:
        return "not an OCPP identity (1 to 48 letters, digits or . _ - : *)"
    if set(identity) == {"."}:
        return "not an OCPP identity (dots only)"
    return None


async def _roll_call() -> None:
    """Every EVFLEET_OCPP_SOCKET_CHECK_INTERVAL: confirm this process's open station sockets, and mark stations
    whose socket here is gone as disconnected (a close that could not be written while the database was down)."""
    while True:
        await asyncio.sleep(settings.OCPP_SOCKET_CHECK_INTERVAL_S)
        try:
            gone = await db(services.station_sockets_confirm)(process=PROCESS, open_tokens=list(_open))
        except DatabaseError as exc:
            logger.warning("Station sockets not confirmed (the database is unavailable: %s); retrying", exc)
            continue
        if gone:
            logger.info("%d station(s) whose socket closed during an outage marked disconnected", gone)


def _ensure_roll_call() -> None:
    loop = asyncio.get_running_loop()
    task = _roll_calls.get(loop)
    if task is None or task.done():
        for other in [other for other, t in _roll_calls.items() if t.done()]:
            del _roll_calls[other]
        _roll_calls[loop] = loop.create_task(_roll_call())


class _Connection:
    """What the `ocpp` library sends through: the consumer's socket, with every frame logged."""

    def __init__(self, consumer: "OcppConsumer"):
        self.consumer = consumer

    async def send(self, message: str) -> None:
        self.consumer.log_frame(OcppMessage.Direction.OUT, message)
        await self.consumer.send(text_data=message)

    async def recv(self) -> str:  # the consumer feeds frames itself; the library never reads
        raise RuntimeError("not used")


def basic_auth_password(headers: list[tuple[bytes, bytes]], identity: str) -> str | None:
    """The password of an `Authorization: Basic` header whose user is the station's identity."""
    for name, value in headers:
        if name.lower() == b"authorization" and value[:6].lower() == b"basic ":
            try:
                user, _, password = base64.b64decode(value[6:].strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return password if user == identity else None
    return None


class OcppConsumer(OutageTolerantConsumer, AsyncWebsocketConsumer):
    """A station's socket. Close codes: 1009 a frame above EVFLEET_OCPP_MAX_FRAME_BYTES, 4409 a newer connection
    of the same station took over, 1011 an unexpected failure. Handshakes are refused with 403 (bad identity,
    subprotocol or password; unknown station) or 503 and Retry-After (the database or channel layer is down)."""

    charge_point_id: int | None = None
    station = None
    token = ""
    replaced = False

    async def connect(self):
        self.identity = self.scope["url_route"]["kwargs"]["identity"]
        problem = identity_problem(self.identity)
        if problem is not None:
            logger.warning("Refused a station at /ocpp/%r: %s", self.identity[:60], problem)
            await self.close()
            return
        offered = self.scope.get("subprotocols") or []
        self.protocol = next((p for p in PROTOCOLS if p in offered), None)
        if self.protocol is None:
            logger.warning("Refused %s: no supported OCPP subprotocol in %s", self.identity, offered)
            await self.close()
            return
        self.group = services.ocpp_group(self.identity)
        try:
            await self.join(self.group)  # commands reach the socket through it: without it, no station
        except Exception as exc:  # any channel layer failure
            logger.warning("Refused %s for now: the channel layer is unavailable (%s)", self.identity, exc)
            await refuse(self, 503, "The channel layer is unavailable; try again later.", retry_after=RETRY_AFTER_S)
            return
        password = basic_auth_password(self.scope.get("headers", []), self.identity)
        self.token = f"{PROCESS}:{uuid.uuid4().hex}"
        _open[self.token] = self  # before the database names it, so the roll call never takes it for gone
        try:
            result = await db(services.station_connect)(
                identity=self.identity, password=password, protocol=self.protocol, token=self.token
            )
        except DatabaseError as exc:
            logger.warning("Refused %s for now: the database is unavailable (%s)", self.identity, exc)
            await self._forget()
            await refuse(self, 503, "The database is unavailable; try again later.", retry_after=RETRY_AFTER_S)
            return
        if not result.accepted:
            logger.warning("Refused %s: %s", self.identity, result.reason)
            await self._forget()
            await self.close()
            return
        self.charge_point_id = result.charge_point_id
        station_class = CentralSystem201 if self.protocol == "ocpp2.0.1" else CentralSystem16
        self.station = station_class(
            self.identity, _Connection(self), self.charge_point_id, response_timeout=settings.OCPP_COMMAND_TIMEOUT_S
        )
        self.last_seen_stored = time.monotonic()
        try:  # an older socket of this station, in whichever server process, gives way
            await self.channel_layer.group_send(self.group, {"type": "ocpp.replaced", "token": self.token})
        except Exception as exc:  # the older socket's close then changes nothing: it no longer holds it
            logger.warning("Could not tell %s's older sockets to close: %s", self.identity, exc)
        _ensure_roll_call()
        await self.accept(subprotocol=self.protocol)
        logger.info("Station %s connected with %s", self.identity, self.protocol)

    async def _forget(self) -> None:
        _open.pop(self.token, None)
        await self.leave_all()

    async def disconnect(self, code):
        await self._forget()
        if self.charge_point_id is None:
            return
        try:
            if not await db(services.station_disconnect)(charge_point_id=self.charge_point_id, token=self.token):
                logger.info("Station %s: a socket it replaced closed (%s)", self.identity, code)
                return
        except DatabaseError as exc:
            logger.warning(
                "Station %s disconnected (%s); not stored yet (%s): the roll call will", self.identity, code, exc
            )
        await flush_all()
        logger.info("Station %s disconnected (%s)", self.identity, code)

    async def ocpp_replaced(self, event):
        """A newer socket of the same station was admitted (here or in another server process)."""
        if event["token"] == self.token or self.station is None or self.replaced:
            return
        self.replaced = True
        logger.warning("Station %s connected again; its older socket is closed (%s)", self.identity, CLOSE_REPLACED)
        await self.close(code=CLOSE_REPLACED)

    def log_frame(self, direction: str, frame: str, message=UNPARSED) -> None:
        message_log.record(
            charge_point_id=self.charge_point_id,
            identity=self.identity,
            direction=direction,
            frame=frame,
            message=message,
        )

    async def receive(self, text_data=None, bytes_data=None):
        frame = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        limit = settings.OCPP_MAX_FRAME_BYTES
        if len(frame) * 4 > limit:  # UTF-8 takes at most 4 bytes a character: only long frames are measured
            size = len(text_data.encode()) if text_data is not None else len(bytes_data)
            if size > limit:
                logger.warning("Station %s sent a %d-byte frame (limit %d): closed (1009)", self.identity, size, limit)
                self.log_frame(OcppMessage.Direction.IN, frame, None)  # the log keeps its beginning
                await self.close(code=CLOSE_MESSAGE_TOO_BIG)
                return
        try:
            message = orjson.loads(frame)  # once, for the checks and the log; the library parses its own copy
        except orjson.JSONDecodeError:
            message = None
        self.log_frame(OcppMessage.Direction.IN, frame, message)
        problem = self._frame_problem(message)
        if problem is not None:
            kind, unique_id, description = problem
            logger.warning("Station %s sent a bad frame (%s): %s", self.identity, description, frame[:200])
            await _Connection(self).send(json.dumps([4, unique_id, FRAME_ERRORS[self.protocol][kind], description, {}]))
            return
        unhandled = self._unhandled_action(message)
        if unhandled is not None:
            await _Connection(self).send(json.dumps(unhandled))
            return
        now = time.monotonic()
        if now - self.last_seen_stored > SEEN_EVERY_S:
            self.last_seen_stored = now
            try:
                await db(services.station_seen)(charge_point_id=self.charge_point_id)
            except DatabaseError as exc:  # the message is still handled: its handler answers InternalError
                logger.warning("Station %s: last seen not stored (%s)", self.identity, exc)
        await self.station.route_message(frame)

    @staticmethod
    def _frame_problem(message) -> tuple[str, str, str] | None:
        """None for a frame the library can route, else (kind, message id, description)."""
        if message is None:
            return "json", "-1", "The frame is not valid JSON."
        if not isinstance(message, list) or len(message) < 3 or not isinstance(message[1], str):
            return "shape", "-1", "An OCPP frame is a JSON array [type, id, ...]."
        if message[0] not in (2, 3, 4):
            return "type", message[1], f"Message type {message[0]!r} is not 2, 3 or 4."
        if message[0] == 2 and (
            len(message) != 4 or not isinstance(message[2], str) or not isinstance(message[3], dict)
        ):
            return "shape", message[1], "A CALL is [2, id, action, payload-object]."
        return None

    def _unhandled_action(self, message: list) -> list | None:
        """A CALLERROR for a CALL this central system has no handler for: NotImplemented when the action
        is not part of the protocol at all, NotSupported when it is but this system does not handle it."""
        if message[0] != 2 or message[2] in self.station.route_map:
            return None
        actions = ACTIONS[self.protocol]
        if message[2] in actions:
            return [4, message[1], "NotSupported", f"{message[2]} is not supported by this central system.", {}]
        return [4, message[1], "NotImplemented", f"{message[2]} is not an {self.protocol} action.", {}]

    # --- commands from the platform: sent by stations.services.command_create ----------------

    async def ocpp_command(self, event):
        if self.station is None or self.replaced:  # not admitted (yet), or given way to a newer socket
            return
        # A separate task: waiting for the station's answer must not stop this consumer from
        # reading that answer (and the station's own messages) meanwhile.
        asyncio.ensure_future(self._run_command_logged(event["command_id"]))

    async def _run_command_logged(self, command_id: int) -> None:
        try:
            await self._run_command(command_id)
        except Exception:
            logger.exception("Station %s: command %s failed", self.identity, command_id)

    async def _run_command(self, command_id: int) -> None:
        command = await db(OcppCommand.objects.get)(pk=command_id)
        module = call201 if self.protocol == "ocpp2.0.1" else call16
        try:
            payload = getattr(module, command.action)(**camel_to_snake_case(command.request))
        except (AttributeError, TypeError) as exc:
            await db(services.command_complete)(command_id=command_id, state=OcppCommand.State.FAILED, error=str(exc))
            return
        try:
            result = await self.station.call(payload, suppress=False)
        except TimeoutError:
            await db(services.command_complete)(
                command_id=command_id, state=OcppCommand.State.TIMEOUT, error="no answer"
            )
            return
        except OCPPError as exc:
            await db(services.command_complete)(
                command_id=command_id, state=OcppCommand.State.FAILED, error=f"{exc.code}: {exc.description}"
            )
            return
        response = snake_to_camel_case(remove_nones(dataclasses.asdict(result)))
        status = response.get("status")
        accepted = (None, "Accepted", "Unlocked", "Scheduled")  # Scheduled: accepted, done after the transaction
        state = OcppCommand.State.ACCEPTED if status in accepted else OcppCommand.State.REJECTED
        await db(services.command_complete)(command_id=command_id, state=state, response=response)
