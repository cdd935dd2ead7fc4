"""Safe retries: a POST under /api/ with an `Idempotency-Key` header runs once; a retry gets the first answer.

The key is the user's own (another user's same key is another key). The first request stores the key with a
fingerprint of itself (method, path with query, body) before it runs, under a unique constraint, so of two
concurrent duplicates only one runs; the other is a 409 `idempotency_in_progress` (retry shortly). When the
first request has answered, its status and body are stored and every retry within IDEMPOTENCY_TTL gets them back
(with `Idempotent-Replayed: true`); the same key with another request is a 409 `idempotency_key_reused`. A
server error (5xx) stores nothing: the retry runs again. `accounts.tasks.idempotency_keys_purge` deletes
expired keys every day.
"""

import hashlib
import logging
import re
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from evfleet.api.errors import Conflict

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_TTL = timedelta(hours=24)
# A first request that has not answered after this long died with its process: a retry may take the key over.
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, e.g. a UUID
KEY_HELP = (
    "Makes a retry safe: the first answer (status and body) to this key, sent by you with the same request, is "
    "given back for 24 hours without running it again. 1 to 255 visible ASCII characters; a UUID per operation "
    "is a good key. The same key with another request is a 409 `idempotency_key_reused`; while the first request "
    "runs, a 409 `idempotency_in_progress`."
)
INVALID_KEY = "invalid_idempotency_key"


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used with another request (method, path or body); use a new key for "
        "a new request."
    )


class IdempotencyInProgress(Conflict):
    default_code = "idempotency_in_progress"
    default_detail = "The first request with this Idempotency-Key is still running; retry in a few seconds."
    wait = 1  # Retry-After


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _claim(user, key: str, print_: str):
    """(the key's row, True) if this request may run; (the existing row, False) otherwise."""
    from accounts.models import IdempotencyKey

    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, fingerprint=print_), True
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # expired and deleted in between: claim it again
        expired = existing.created_at <= now - IDEMPOTENCY_TTL
        abandoned = existing.status_code is None and existing.created_at <= now - ABANDONED_AFTER
        if expired or (abandoned and existing.fingerprint == print_):
            # Taken over only if it is still the row just read: of two retries racing for it, one wins.
            taken = IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).update(
                created_at=now, fingerprint=print_, status_code=None, content_type="", body=b""
            )
            if taken:
                existing.created_at, existing.fingerprint, existing.status_code = now, print_, None
                return existing, True
            continue
        return existing, False
    raise IdempotencyInProgress()


class IdempotencyMixin:
    """For API views: `initial` calls `idempotency_read_body` first and `idempotency_claim` last."""

    _idempotency = None

    def idempotency_read_body(self, request) -> None:
        """Read the body before authentication and the parsers do, so that the fingerprint can hash it."""
        if request.method == "POST" and HEADER in request.headers:
            request._request.body  # noqa: B018 (cached on the request; the parsers read the copy)

    def idempotency_claim(self, request) -> None:
        key = request.headers.get(HEADER) if request.method == "POST" else None
        if key is None or not request.user.is_authenticated:
            return
        if not KEY_PATTERN.fullmatch(key):
            raise ValidationError(
                {
                    HEADER: [
                        ErrorDetail(
                            f"Give {HEADER} as 1 to {MAX_KEY_LENGTH} visible ASCII characters (e.g. a UUID); got "
                            f"{len(key)} characters{' with spaces or other characters' if key else ''}.",
                            code=INVALID_KEY,
                        )
                    ]
                }
            )
        print_ = fingerprint(request._request)
        record, claimed = _claim(request.user, key, print_)
        if claimed:
            self._idempotency = record
            return
        if record.fingerprint != print_:
            raise IdempotencyKeyReused()
        if record.status_code is None:
            raise IdempotencyInProgress()
        self.post = lambda request, *args, **kwargs: _replay(record)  # the handler DRF calls next

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency = self._idempotency, None
        if record is None:
            return response
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR or response.streaming:
            _release(record)
            return response
        if isinstance(response, Response):
            response.render()
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")[:100]
        record.body = response.content
        record.save(update_fields=["status_code", "content_type", "body"])
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            record, self._idempotency = self._idempotency, None
            if record is not None:  # an exception Django answers with a 500: the retry may run again
                _release(record)


def _replay(record) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


def _release(record) -> None:
    try:
        type(record).objects.filter(pk=record.pk, status_code__isnull=True).delete()
    except DatabaseError:
        log.warning("Could not release idempotency key %s; it expires in %s", record.key, IDEMPOTENCY_TTL)


def purge(now=None) -> int:
    """Delete the keys older than IDEMPOTENCY_TTL; returns how many."""
    from accounts.models import IdempotencyKey

    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
