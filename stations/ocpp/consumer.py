"""One WebSocket per station at /ocpp/<identity>: handshake, frame checks, the message log, commands."""

import asyncio
import base64
import binascii
import dataclasses
import json
import logging
import time

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call as call201
from ocpp.v201.enums import Action as Action201

from stations import services
from stations.models import OcppCommand, OcppMessage
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


class OcppConsumer(AsyncWebsocketConsumer):
    charge_point_id: int | None = None
    station = None

    async def connect(self):
        self.identity = self.scope["url_route"]["kwargs"]["identity"]
        offered = self.scope.get("subprotocols") or []
        self.protocol = next((p for p in PROTOCOLS if p in offered), None)
        if self.protocol is None:
            logger.warning("Refused %s: no supported OCPP subprotocol in %s", self.identity, offered)
            await self.close()
            return
        password = basic_auth_password(self.scope.get("headers", []), self.identity)
        result = await db(services.station_connect)(identity=self.identity, password=password, protocol=self.protocol)
        if not result.accepted:
            logger.warning("Refused %s: %s", self.identity, result.reason)
            await self.close()
            return
        self.charge_point_id = result.charge_point_id
        station_class = CentralSystem201 if self.protocol == "ocpp2.0.1" else CentralSystem16
        self.station = station_class(
            self.identity, _Connection(self), self.charge_point_id, response_timeout=settings.OCPP_COMMAND_TIMEOUT_S
        )
        self.last_seen_stored = time.monotonic()
        self.group = services.ocpp_group(self.identity)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=self.protocol)
        logger.info("Station %s connected with %s", self.identity, self.protocol)

    async def disconnect(self, code):
        if self.charge_point_id is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await db(services.station_disconnect)(charge_point_id=self.charge_point_id)
        await flush_all()
        logger.info("Station %s disconnected (%s)", self.identity, code)

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
            await db(services.station_seen)(charge_point_id=self.charge_point_id)
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
        # A separate task: waiting for the station's answer must not stop this consumer from
        # reading that answer (and the station's own messages) meanwhile.
        asyncio.ensure_future(self._run_command(event["command_id"]))

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
