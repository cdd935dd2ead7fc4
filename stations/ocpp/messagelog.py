"""The raw OCPP message log, written in batches so that logging never holds up a station."""

import asyncio
import logging

import orjson

from stations.models import OcppMessage
from stations.ocpp.central import db

logger = logging.getLogger(__name__)
FLUSH_EVERY_S = 0.5
FLUSH_AT = 500
UNPARSED = object()


class MessageLog:
    """Collects frames from every consumer of this process and stores them every half second."""

    def __init__(self):
        self._pending: list[OcppMessage] = []
        self._task: asyncio.Task | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def record(
        self, *, charge_point_id: int | None, identity: str, direction: str, frame: str, message=UNPARSED
    ) -> None:
        """Queue one frame; `message` is the frame already parsed (None: it is not JSON), if the caller has it."""
        if message is UNPARSED:
            try:
                message = orjson.loads(frame)
            except orjson.JSONDecodeError:
                message = None
        valid = isinstance(message, list) and len(message) >= 3 and message[0] in (2, 3, 4)
        if valid:
            message_type, unique_id = message[0], str(message[1])[:64]
            action = message[2] if message_type == 2 and isinstance(message[2], str) else ""
            payload = (
                message[3]
                if message_type == 2 and len(message) > 3
                else (message[2] if message_type == 3 else message[2:])
            )
            row = OcppMessage(
                charge_point_id=charge_point_id,
                identity=identity,
                direction=direction,
                message_type=message_type,
                action=action[:50],
                unique_id=unique_id,
                payload=payload,
            )
        else:
            row = OcppMessage(
                charge_point_id=charge_point_id,
                identity=identity,
                direction=direction,
                message_type=0,
                raw=frame[:10_000],
            )
        self._pending.append(row)
        if len(self._pending) >= FLUSH_AT:
            asyncio.ensure_future(self.flush())
        elif self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_EVERY_S)
        await self.flush()

    async def flush(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a lock belongs to one event loop (tests start several)
            self._lock, self._loop = asyncio.Lock(), loop
        async with self._lock:
            rows, self._pending = self._pending, []
            if rows:
                try:
                    await db(OcppMessage.objects.bulk_create)(rows)
                except Exception:
                    logger.exception("Could not store %d OCPP log rows", len(rows))


message_log = MessageLog()
