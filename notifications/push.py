"""Browser Web Push: the platform's VAPID key pair and sending one encrypted message (pywebpush)."""

import base64
import json
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush


@cache
def vapid() -> Vapid02:
    """The key pair: read from its PEM file, or made and stored there the first time."""
    path = Path(settings.VAPID_PRIVATE_KEY_FILE)
    if not path.exists():
        key = Vapid02()
        key.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        key.save_key(str(path))
        path.chmod(0o600)
    return Vapid02.from_file(str(path))


def public_key() -> str:
    """The applicationServerKey a browser subscribes with: the uncompressed P-256 point, base64url."""
    raw = vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Gone(Exception):
    """The push service says the subscription no longer exists (404/410): forget it."""


def send(*, endpoint: str, p256dh: str, auth: str, payload: dict, ttl: int = 3600) -> int:
    """Encrypt (RFC 8291, aes128gcm) and POST one message; returns the push service's status code."""
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload),
            vapid_private_key=vapid(),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=ttl,
            timeout=10,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise Gone(str(exc)) from exc
        raise
    return response.status_code
