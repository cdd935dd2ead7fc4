"""The dashboard's live channel: authenticated, department-scoped on connect and on every event."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.scoping import visible_departments
from evfleet import realtime
from fleet.selectors import combine_summaries

CLOSE_UNAUTHENTICATED = 4401


@database_sync_to_async
def _visible_department_ids(user) -> set[int] | None:
    if user.is_admin:
        return None
    return set(visible_departments(user).values_list("id", flat=True))


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    """Pushes `{"event": ..., "payload": ...}` messages for the objects the user may see."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or user.is_api_only:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.visible = await _visible_department_ids(user)
        if self.visible is None:
            self.joined = [realtime.GROUP_ALL, realtime.GROUP_ADMIN]
        else:
            self.joined = [realtime.GROUP_ALL, *(realtime.department_group(i) for i in sorted(self.visible))]
        self.joined.append(realtime.user_group(user.pk))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(
            {"event": "hello", "payload": {"departments": None if self.visible is None else sorted(self.visible)}}
        )

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

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
