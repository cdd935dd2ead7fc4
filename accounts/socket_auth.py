"""Who opens the live socket: a browser with its dashboard session, or a program with its API token.

A handshake that carries a token (the header `Authorization: Token <key>`, or, for clients that cannot set
headers such as a browser's WebSocket, the subprotocol `evfleet.token.<key>` next to `evfleet.v1`) is
authenticated by the token alone, like the REST API: no cookie, and no origin check, since a token is no
credential a browser sends by itself. Any other handshake goes through the session and the same-origin
check of the dashboard. A token in the URL's query string is refused: URLs end up in access logs.
"""

import logging
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from accounts.backends import TokenAuthentication

logger = logging.getLogger(__name__)

SUBPROTOCOL = "evfleet.v1"  # what the server answers to a client that offers it
TOKEN_SUBPROTOCOL_PREFIX = "evfleet.token."  # noqa: S105  (a prefix, not a password)
QUERY_TOKEN_NAMES = ("token", "key", "auth_token", "access_token")


def handshake_token(scope) -> str | None:
    """The token key the handshake carries ("" for a malformed one), or None for a browser's handshake."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").strip().partition(" ")
            return key.strip() if scheme.lower() == "token" else ""
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol.removeprefix(TOKEN_SUBPROTOCOL_PREFIX)
    return None


def token_in_query(scope) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(name in query for name in QUERY_TOKEN_NAMES)


@database_sync_to_async
def _token_user(key: str):
    """The token's active user with their department (as the REST API loads it), else None."""
    try:
        user, _ = TokenAuthentication().authenticate_credentials(key)
    except AuthenticationFailed:
        return None
    return user


class LiveSocketAuth:
    """ASGI middleware in front of the live socket's consumer; sets scope["user"] and scope["auth"]."""

    def __init__(self, inner):
        self.inner = inner
        self.browser = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        if token_in_query(scope):
            scope = dict(scope, user=AnonymousUser(), auth="refused", refusal="token_in_url")
            return await self.inner(scope, receive, send)
        key = handshake_token(scope)
        if key is None:
            return await self.browser(dict(scope, auth="session"), receive, send)
        user = await _token_user(key) if key else None
        if user is None:
            scope = dict(scope, user=AnonymousUser(), auth="refused", refusal="invalid_token")
        else:
            scope = dict(scope, user=user, auth="token", token_key=key)
        return await self.inner(scope, receive, send)
