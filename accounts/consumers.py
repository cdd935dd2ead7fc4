"""The live socket (`/ws/dashboard/`): the dashboard's, and integrators' with their API token. Authenticated,
scoped like the API on connect (the role's events, the user's departments) and on every event.

Handshake (accounts/socket_auth.py): a browser's dashboard session, or an API token in the `Authorization`
header or the `evfleet.token.<key>` subprotocol. A bad token, or one in the URL, is refused with HTTP 403.
Close codes: 4401 not signed in (or an integrator without a token: no dashboard), 4403 the user's access changed
(deactivated, another role or department, the socket's token revoked: the page reloads and signs in or scopes
anew), 1013 the channel layer (Redis) went down (the page reconnects later). A handshake during an outage is
refused with 503. Events and their payloads: evfleet/live_events.py.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Exists, OuterRef
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.scoping import visible_departments
from accounts.socket_auth import SUBPROTOCOL
from evfleet import live_events, realtime
from evfleet.sockets import CLOSE_TRY_AGAIN_LATER, RETRY_AFTER_S, OutageTolerantConsumer, refuse

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_ACCESS_CHANGED = 4403
REFUSALS = {
    "invalid_token": "Invalid token: send 'Authorization: Token <key>' (POST /api/v1/auth/token/ gives one).",
    "token_in_url": "Never put the token in the URL (it ends up in logs): send it in the Authorization header or "
    "as the subprotocol evfleet.token.<key>.",
}


@database_sync_to_async
def _scope_of(user) -> tuple[set[int] | None, frozenset[str]]:
    """The departments the user sees (None: all) and the events their role may receive."""
    visible = None if user.is_admin else set(visible_departments(user).values_list("id", flat=True))
    return visible, frozenset(live_events.allowed(user.has_perm))


@database_sync_to_async
def _access(user_id: int, token_key: str | None) -> tuple | None:
    """What the socket's scope rests on: active, role, department, and for a token's socket whether the token
    still exists (None: the user is gone)."""
    users = User.objects.filter(pk=user_id)
    if token_key is None:
        return users.values_list("is_active", "role", "department_id").first()
    token = Token.objects.filter(key=token_key, user=OuterRef("pk"))
    return (
        users.annotate(has_token=Exists(token)).values_list("is_active", "role", "department_id", "has_token").first()
    )


class DashboardConsumer(OutageTolerantConsumer, AsyncJsonWebsocketConsumer):
    """Pushes `{"event": ..., "payload": ...}` messages for the objects the user may see."""

    watcher: asyncio.Task | None = None
    events: frozenset[str] = frozenset()
    visible: set[int] | None = set()
    token_key: str | None = None

    async def connect(self):
        user, auth = self.scope.get("user"), self.scope.get("auth")
        if auth == "refused":
            logger.warning("Live socket refused: %s", self.scope["refusal"])
            await refuse(self, 403, REFUSALS[self.scope["refusal"]])
            return
        by_token = auth == "token"
        if user is None or not user.is_authenticated or not user.is_active or (user.is_api_only and not by_token):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.visible, self.events = await _scope_of(user)
            groups = [realtime.GROUP_ALL]
            if self.visible is None:
                groups.append(realtime.GROUP_ADMIN)
            else:
                groups.extend(realtime.department_group(i) for i in sorted(self.visible))
            groups.append(realtime.user_group(user.pk))
            for group in groups:
                await self.join(group)
        except Exception as exc:  # the database or the channel layer is down: no live updates for now
            logger.warning("Live socket of %s refused for now: %s", user.username, exc)
            await self.leave_all()
            await refuse(self, 503, "Live updates are unavailable; try again later.", retry_after=RETRY_AFTER_S)
            return
        self.user_id, self.token_key = user.pk, self.scope.get("token_key") if by_token else None
        self.access = (user.is_active, user.role, user.department_id, *((True,) if by_token else ()))
        await self.accept(SUBPROTOCOL if SUBPROTOCOL in (self.scope.get("subprotocols") or []) else None)
        self.watcher = asyncio.ensure_future(self._watch_access())
        hello = live_events.render(
            "hello",
            departments=None if self.visible is None else sorted(self.visible),
            events=[name for name in live_events.EVENTS if name in self.events],
        )
        await self.send_json({"event": "hello", "payload": hello})

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
                access = await _access(self.user_id, self.token_key)
            except DatabaseError:
                continue  # the database is down: check again next time
            if access != self.access:
                await self._access_changed()
                return

    async def user_access_changed(self, message):
        """Sent to `live.user.<id>` by accounts.services when the user is deactivated, deleted, or given another
        role or department. A revoked token is noticed by the watcher."""
        await self._access_changed()

    async def _access_changed(self) -> None:
        logger.info("Live socket of user %s closed: their access changed", self.user_id)
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
        await self.close(code=CLOSE_ACCESS_CHANGED)

    def _may_see(self, department_id) -> bool:
        return self.visible is None or department_id in self.visible

    async def live_event(self, message):
        """Every published event arrives here; checked against the user's role and departments before sending."""
        event, department_id, payload = message["event"], message["department_id"], message["payload"]
        if event not in self.events:
            return
        if department_id is not None and not self._may_see(department_id):
            return
        if "unless_sees" in message and self._may_see(message["unless_sees"]):
            return  # the copy for another department that sees the object too: this socket had the first
        if message.get("also_department_id") is not None and not self._may_see(message["also_department_id"]):
            payload = {**payload, **dict.fromkeys(message["withheld"])}
        if event == "fleet.summary":
            per_department = {int(k): v for k, v in payload["departments"].items()}
            summary = live_events.combine_summaries(per_department, self.visible)
            counts = live_events.EVENTS["fleet.summary"].fields[0].fields  # departments without vehicles count 0
            summary = {f.name: summary.get(f.name, 0 if f.kind == "integer" else None) for f in counts}
            payload = live_events.render("fleet.summary", summary=summary)
        await self.send_json({"event": event, "payload": payload})
