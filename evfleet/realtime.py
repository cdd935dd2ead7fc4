"""Live updates to dashboards: the one `publish()` that services, tasks and protocol handlers call.

Events go to channel-layer groups by department, so a dashboard joins only the groups its user
may see (see accounts/consumers.py):

- ``live.dept.<id>``: events about one department's objects,
- ``live.admin``: every department's events, for admins,
- ``live.all``: fleet-wide broadcasts whose payload each consumer filters for its user.

The trap of the embedded default: the in-memory channel layer exists only inside the ASGI server
process. A Celery worker, beat or a management command that published into its own in-memory
layer would reach nobody. So outside the server process, with the in-memory layer, `publish()`
posts the event to the server's relay endpoint (`relay_view` below, signed with an HMAC of the
secret key), and the server hands it to its layer. With Redis every process publishes directly.
"""

import contextlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

ADMINS_ONLY = 0  # pass as department_id for objects outside every department (e.g. unassigned stations)
GROUP_ALL = "live.all"
GROUP_ADMIN = "live.admin"
EVENT_MESSAGE_TYPE = "live.event"  # the consumer handler is `live_event`
SIGNATURE_HEADER = "X-EVFleet-Signature"

_in_server_process = False
_relay_down = False
_layer_down = False


@contextlib.contextmanager
def no_server_expected():
    """Commands run before the server starts (`seed_demo` in `make run`): an unreachable relay is expected, not
    a warning; events still reach a server that happens to run."""
    global _relay_down
    before, _relay_down = _relay_down, True
    try:
        yield
    finally:
        _relay_down = before


def mark_server_process() -> None:
    """Called by evfleet.asgi: this process hosts the consumers, so publish directly."""
    global _in_server_process
    _in_server_process = True


def user_group(user_id: int) -> str:
    """Every dashboard socket of one user (their notifications)."""
    return f"live.user.{user_id}"


def publish_to_user(user_id: int, event: str, payload: dict[str, Any]) -> None:
    """Send `event` to one user's open dashboards (call it after commit)."""
    group_send(user_group(user_id), _message(event, payload, None))


def department_group(department_id: int) -> str:
    return f"live.dept.{department_id}"


def _groups_for(department_id: int | None) -> list[str]:
    if department_id is None:
        return [GROUP_ALL]
    if department_id == ADMINS_ONLY:
        return [GROUP_ADMIN]
    return [GROUP_ADMIN, department_group(department_id)]


def _message(event: str, payload: dict[str, Any], department_id: int | None, plain: bool = False) -> dict[str, Any]:
    # A JSON round trip makes Decimals and datetimes plain, as msgpack (Redis) requires; callers
    # that already send only str/int/float/None/list/dict say plain=True and skip it.
    if not plain:
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return {"type": EVENT_MESSAGE_TYPE, "event": event, "department_id": department_id, "payload": payload}


def uses_relay() -> bool:
    return isinstance(get_channel_layer(), InMemoryChannelLayer) and not _in_server_process


def publish(
    event: str,
    payload: dict[str, Any],
    *,
    department_id: int | None,
    plain: bool = False,
    also_department_id: int | None = None,
    withheld: tuple[str, ...] = (),
) -> None:
    """Send `event` to every socket allowed to see `department_id` (None: fleet-wide broadcast).

    `also_department_id`: another department that sees the object too (a session's visiting vehicle's, as
    `also_scope_fields` in accounts/scoping.py); its sockets get one copy, which a socket that also sees
    `department_id` drops (it has the first). The payload's `withheld` keys are null for sockets that do not
    see `also_department_id` (a host sees no visiting vehicle's id), as the API withholds them.

    Call it after the data is committed (transaction.on_commit). Delivery is best effort: a
    socket that is not connected simply misses it and reloads the state on its next visit.
    """
    message = _message(event, payload, department_id, plain)
    sends = [(_groups_for(department_id), message)]
    if also_department_id is not None:
        message["also_department_id"], message["withheld"] = also_department_id, list(withheld)
        if also_department_id != department_id:
            copy = {**message, "department_id": also_department_id, "unless_sees": department_id}
            sends.append(([department_group(also_department_id)], copy))
    for groups, each in sends:
        if uses_relay():
            _post_to_relay(groups, each)
            continue
        for group in groups:
            if not _layer_send(group, each):
                return


def group_send(group: str, message: dict[str, Any]) -> bool:
    """Send a channel-layer message to a group from sync code in any process (relayed when embedded).

    Returns False when it could not be handed over (the channel layer, Redis, is down; logged once per outage)."""
    if uses_relay():
        return _post_to_relay([group], message)
    return _layer_send(group, message)


def _layer_send(group: str, message: dict[str, Any]) -> bool:
    """group_send on the channel layer. A failing layer (Redis down) must not fail the write that announces
    something after its commit (a station's message, an API call): the event is dropped and logged."""
    global _layer_down
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except (RedisError, OSError) as exc:  # connection refused or lost, timeouts: not delivered
        log = logger.debug if _layer_down else logger.warning
        log("Live update to %s not delivered: the channel layer failed (%s)", group, exc)
        _layer_down = True
        return False
    if _layer_down:
        logger.info("Live updates are delivered again.")
        _layer_down = False
    return True


def _signature(body: bytes) -> str:
    return salted_hmac("evfleet.realtime.relay", body, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


def _post_to_relay(groups: list[str], message: dict[str, Any]) -> bool:
    body = json.dumps({"groups": groups, "message": message}).encode()
    request = urllib.request.Request(
        settings.EVFLEET_RELAY_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: _signature(body)},
    )
    global _relay_down
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        # Warn once per outage (the server may simply not be started yet), not once per event.
        log = logger.debug if _relay_down else logger.warning
        log("Live updates not relayed to %s (is the server running?): %s", settings.EVFLEET_RELAY_URL, exc)
        _relay_down = True
        return False
    if _relay_down:
        logger.info("Live updates reach %s again.", settings.EVFLEET_RELAY_URL)
    _relay_down = False
    return True


@csrf_exempt
@require_POST
async def relay_view(request: HttpRequest) -> HttpResponse:
    """Receives events from worker processes and hands them to this server's channel layer."""
    body = request.body
    if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), _signature(body)):
        return JsonResponse({"code": "bad_signature", "message": "Relay signature does not match."}, status=403)
    data = json.loads(body)
    layer = get_channel_layer()
    for group in data["groups"]:
        if group in (GROUP_ALL, GROUP_ADMIN) or group.startswith(("live.dept.", "live.user.", "ocpp.cp.")):
            await layer.group_send(group, data["message"])
    return JsonResponse({"delivered_to": data["groups"]})
