"""Rows the central system stores in batches, so that storing them never holds up a station.

Two kinds of rows are not needed the moment they arrive and come in great numbers: the raw OCPP
message log and the meter readings of connectors with no session. Each goes into a per-process
buffer that is written with one INSERT every half second (or at 500 rows), and when a station
disconnects.
"""

import asyncio
import logging
import threading

import orjson
from django.conf import settings
from django.db import models

from charging.models import MeterSample
from stations.models import OcppMessage
from stations.ocpp.threads import db

logger = logging.getLogger(__name__)
FLUSH_EVERY_S = 0.5
FLUSH_AT = 500
UNPARSED = object()
TRUNCATED = "… [cut: the frame had {length:,} characters, the log keeps {limit:,}]"


class BufferedInserts:
    """Collects unsaved rows of one model from every consumer of this process and bulk-inserts them.

    `flush()` returns once everything added before it is stored, also when another event loop's
    flush is writing at the time (the tests run the server's loop in a thread beside their own).
    """

    def __init__(self, model: type[models.Model], *, ignore_conflicts: bool = False):
        self.model = model
        self.ignore_conflicts = ignore_conflicts  # rows a unique constraint already holds are skipped
        self._pending: list[models.Model] = []
        self._pending_lock = threading.Lock()  # held only to add or take rows, never while writing
        self._write_lock = threading.Lock()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, rows: list[models.Model]) -> None:
        with self._pending_lock:
            self._pending.extend(rows)
            count = len(self._pending)
        loop = asyncio.get_running_loop()
        if count >= FLUSH_AT:
            loop.create_task(self.flush())
        elif self._timer is None or self._timer.cancelled() or self._timer.when() < loop.time():
            # No flush due on this loop: schedule one (a timer whose time passed has fired, or its loop is gone).
            self._timer = loop.call_later(FLUSH_EVERY_S, lambda: loop.create_task(self.flush()))

    async def flush(self) -> None:
        await db(self._write)()

    def _write(self) -> None:
        with self._write_lock:
            with self._pending_lock:
                rows, self._pending = self._pending, []
            if rows:
                try:
                    self.model.objects.bulk_create(rows, ignore_conflicts=self.ignore_conflicts)
                except Exception:
                    logger.exception("Could not store %d %s rows", len(rows), self.model._meta.label)


class MessageLog(BufferedInserts):
    """The raw log of every frame a station sent or received."""

    def __init__(self):
        super().__init__(OcppMessage)

    def record(
        self, *, charge_point_id: int | None, identity: str, direction: str, frame: str, message=UNPARSED
    ) -> None:
        """Queue one frame; `message` is the frame already parsed (None: it is not JSON), if the caller has it.

        A frame longer than EVFLEET_OCPP_MESSAGE_LOG_MAX_CHARS keeps its type, id and action, and only its
        first characters, as `raw`, followed by a note of its full length (`payload` stays empty)."""
        limit = settings.OCPP_MESSAGE_LOG_MAX_CHARS
        too_long = len(frame) > limit
        if message is UNPARSED:
            try:
                message = None if too_long else orjson.loads(frame)
            except orjson.JSONDecodeError:
                message = None
        row = OcppMessage(charge_point_id=charge_point_id, identity=identity, direction=direction, message_type=0)
        if isinstance(message, list) and len(message) >= 3 and message[0] in (2, 3, 4):
            row.message_type, row.unique_id = message[0], str(message[1])[:64]
            row.action = (message[2] if row.message_type == 2 and isinstance(message[2], str) else "")[:50]
            if not too_long:
                row.payload = (
                    message[3]
                    if row.message_type == 2 and len(message) > 3
                    else (message[2] if row.message_type == 3 else message[2:])
                )
        if too_long:
            row.raw = frame[:limit] + TRUNCATED.format(length=len(frame), limit=limit)
        elif row.message_type == 0:
            row.raw = frame
        self.add([row])


message_log = MessageLog()
idle_meter_samples = BufferedInserts(MeterSample, ignore_conflicts=True)  # a reading sent again: stored once


async def flush_all() -> None:
    await message_log.flush()
    await idle_meter_samples.flush()
