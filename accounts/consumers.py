"""The dashboard's live channel: authenticated, department-scoped on connect and on every event.

Close codes: 4401 not signed in (or an integrator: no dashboard), 4403 the user's access changed (deactivated,
another role or department: the page reloads and signs in or scopes anew), 1013 the channel layer (Redis) went
down (the page reconnects later). A handshake during an outage is refused with 503.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from accounts.models import User
from accounts.scoping import visible_departments
from evfleet import realtime
from evfleet.sockets import CLOSE_TRY_AGAIN_LATER, RETRY_AFTER_S, OutageTolerantConsumer, refuse
from fleet.selectors import combine_summaries

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_ACCESS_CHANGED = 4403


@database_sync_to_async
def _visible_department_ids(user) -> set[int] | None:
    if user.is_admin:
        return None
    return set(visible_departments(user).values_list("id", flat=True))


@database_sync_to_async
def _access(user_id: int) -> tuple | None:
    """What the socket's scope rests on: active, role, department (None: the user is gone)."""
    return User.objects.filter(pk=user_id).values_list("is_active", "role", "department_id").first()


class DashboardConsumer(OutageTolerantConsumer, AsyncJsonWebsocketConsumer):
    """Pushes `{"event": ..., "payload": ...}` messages for the objects the user may see."""

    watcher: asyncio.Task | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or user.is_api_only:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.visible = await _visible_department_ids(user)
            groups = [realtime.GROUP_ALL]
            if self.visible is None:
                groups.append(realtime.GROUP_ADMIN)
            else:
                groups.extend(realtime.department_group(i) for i in sorted(self.visible))
            groups.append(realtime.user_group(user.pk))
            for group in groups:
                await self.join(group)
        except Exception as exc:  # the database or the channel layer is down: no live updates for now
            logger.warning("Dashboard socket of %s refused for now: %s", user.username, exc)
            await self.leave_all()
            await refuse(self, 503, "Live updates are unavailable; try again later.", retry_after=RETRY_AFTER_S)
            return
        self.user_id, self.access = user.pk, (user.is_active, user.role, user.department_id)
        await self.accept()
        self.watcher = asyncio.ensure_future(self._watch_access())
        await self.send_json(
            {"event": "hello", "payload": {"departments": None if self.visible is None else sorted(self.visible)}}
        )

    async def disconnect(self, code):
        if self.watcher is not None:
            self.watcher.cancel()
        await self.leave_all()

    async def channel_layer_lost(self):
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def _watch_access(self) -> None:
        """Every EVFLEET_DASHBOARD_ACCESS_CHECK_INTERVAL, also when the user was changed behind the services' back
        (which announce a change at once: `user_access_changed`)."""
        while True:
            await asyncio.sleep(settings.DASHBOARD_ACCESS_CHECK_INTERVAL_S)
            try:
                access = await _access(self.user_id)
            except DatabaseError:
                continue  # the database is down: check again next time
            if access != self.access:
                await self._access_changed()
                return

    async def user_access_changed(self, message):
        """Sent to `live.user.<id>` by accounts.services when the user is deactivated, deleted, or given another
        role or department."""
        await self._access_changed()

    async def _access_changed(self) -> None:
        logger.info("Dashboard socket of user %s closed: their access changed", self.user_id)
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
        await self.close(code=CLOSE_ACCESS_CHANGED)

    def _may_see(self, department_id) -> bool:
        return self.visible is None or department_id in self.visible

    async def live_event(self, message):
        """Every published event arrives here; checked against the user's departments before sending."""
        event, department_id, payload = message["event"], message["department_id"], message["payload"]
        if department_id is not None and not self._may_see(department_id):
            return
        if event == "fleet.summary":
            per_department = {int(k): v for k, v in payload["departments"].items()}
            payload = {"summary": combine_summaries(per_department, self.visible)}
        await self.send_json({"event": event, "payload": payload})
