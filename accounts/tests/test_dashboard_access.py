"""A user's open dashboard sockets close within seconds when the user is deactivated or given another role or
department: through the services (the API, the pages), the Django admin, or any other write to the user."""

import asyncio
import json

import pytest
import websockets
from django.test import Client

from accounts import services
from accounts.consumers import CLOSE_ACCESS_CHANGED
from accounts.models import User
from tests.stations import closing

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES = {
    "deactivated": lambda org: {"is_active": False},
    "another role": lambda org: {"role": User.Role.DISPATCHER},
    "another department": lambda org: {"department": org.b},
}


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _dashboard(base_url: str, cookie: str):
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/ws/dashboard/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": base_url},
    )
    assert json.loads(await socket.recv())["event"] == "hello"
    return socket


async def _closed_within(socket, seconds: float) -> int | None:
    """The close code if the server closes the socket within `seconds`, else None."""
    try:
        await asyncio.wait_for(socket.wait_closed(), seconds)
    except TimeoutError:
        return None
    return socket.close_code


def _admin_change(admin, user, change: dict) -> None:
    """Save the user's change form in the Django admin, as an administrator would."""
    client = Client()
    client.force_login(admin)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "department": user.department_id or "",
        "is_active": "on",
    }
    for name, value in change.items():
        if name == "is_active" and not value:
            del data["is_active"]
        else:
            data[name] = getattr(value, "pk", value)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("where", ["service", "admin"])
def test_a_users_dashboard_socket_closes_within_seconds_when_their_access_changes(org, asgi_live_server, where, change):
    user = org.fleet_manager_a
    cookie, other_cookie = _cookie(user), _cookie(org.fleet_manager_b)

    def apply():
        fresh = User.objects.get(pk=user.pk)
        if where == "service":
            services.user_update(actor=org.admin, user=fresh, **CHANGES[change](org))
        else:
            _admin_change(org.admin, fresh, CHANGES[change](org))

    async def scenario():
        socket = await _dashboard(asgi_live_server, cookie)
        other = await _dashboard(asgi_live_server, other_cookie)  # someone else's stays open
        await asyncio.to_thread(closing(apply))
        code = await _closed_within(socket, 3.0)
        untouched = await _closed_within(other, 0.5)
        await other.close()
        return code, untouched

    code, untouched = asyncio.run(scenario())
    assert code == CLOSE_ACCESS_CHANGED == 4403, f"the socket stayed open after {change} ({where})"
    assert untouched is None


def test_a_change_that_leaves_access_alone_keeps_the_socket_open(org, asgi_live_server):
    user = org.fleet_manager_a
    cookie = _cookie(user)

    async def scenario():
        socket = await _dashboard(asgi_live_server, cookie)
        await asyncio.to_thread(closing(lambda: services.user_update(actor=None, user=user, email="new@example.com")))
        code = await _closed_within(socket, 1.0)
        await socket.close()
        return code

    assert asyncio.run(scenario()) is None


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_written_behind_the_services_back_closes_the_socket_at_the_next_check(
    org, asgi_live_server, settings, change
):
    settings.DASHBOARD_ACCESS_CHECK_INTERVAL_S = 1
    user = org.fleet_manager_a
    fields = {
        ("department_id" if k == "department" else k): getattr(v, "pk", v) for k, v in CHANGES[change](org).items()
    }
    cookie = _cookie(user)

    async def scenario():
        socket = await _dashboard(asgi_live_server, cookie)
        await asyncio.to_thread(closing(lambda: User.objects.filter(pk=user.pk).update(**fields)))
        return await _closed_within(socket, 4.0)

    assert asyncio.run(scenario()) == CLOSE_ACCESS_CHANGED


def test_a_deleted_users_socket_closes(org, asgi_live_server):
    user = org.analyst_a
    cookie = _cookie(user)

    async def scenario():
        socket = await _dashboard(asgi_live_server, cookie)
        await asyncio.to_thread(closing(lambda: services.user_delete(actor=org.admin, user=user)))
        return await _closed_within(socket, 3.0)

    assert asyncio.run(scenario()) == CLOSE_ACCESS_CHANGED
