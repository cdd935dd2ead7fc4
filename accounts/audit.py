"""The activity log's write side: request context (source and client address), snapshots and diffs.

Services call `model_create` / `model_update` / `model_delete` (or `activity_record` directly);
the API, the dashboard and the admin all reach the database through those, so every change is
logged once, with the source and address that the middleware put in the request context.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from accounts.models import ActivityLog, User

Source = ActivityLog.Source
Action = ActivityLog.Action

# Never copied into the log: secrets, and bookkeeping that changes on every save.
_HIDDEN_FIELDS = {"password"}
_SKIPPED_FIELDS = {"updated_at", "last_login", "path", "depth"}


@dataclass(frozen=True)
class RequestContext:
    source: str = Source.SYSTEM
    ip_address: str | None = None


_context: ContextVar[RequestContext] = ContextVar(
    "evfleet_request_context",
    default=RequestContext(),  # noqa: B039  (a frozen dataclass: the shared default cannot be mutated)
)


@contextmanager
def request_context(*, source: str, ip_address: str | None) -> Iterator[None]:
    token = _context.set(RequestContext(source=source, ip_address=ip_address))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> RequestContext:
    return _context.get()


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete field values as plain JSON data (foreign keys by id)."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in _SKIPPED_FIELDS:
            continue
        value = getattr(instance, field.attname)
        if field.name in _HIDDEN_FIELDS and value:
            # A fingerprint of the stored hash: the log shows that it changed, never what it is.
            value = "(hidden " + hashlib.sha256(str(value).encode()).hexdigest()[:8] + ")"
        values[field.attname] = value
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    before, after = before or {}, after or {}
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes


def _department_id(instance: models.Model) -> int | None:
    """The department the object belongs to, along its `scope_field` (e.g. charge_point__site__department)."""
    field = getattr(type(instance), "scope_field", None)
    if field == "pk":
        return instance.pk
    if not field:
        return None
    *hops, last = field.split("__")
    for hop in hops:
        instance = getattr(instance, hop, None)
        if instance is None:
            return None
    return getattr(instance, f"{last}_id", None)


def activity_record(
    *,
    action: str,
    instance: models.Model,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    department_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> ActivityLog | None:
    """Store one log entry; an update that changed nothing is not logged."""
    changes = diff(before, after) if changes is None else changes
    if action == Action.UPDATE and not changes:
        return None
    context = current_context()
    actor = actor if actor is not None and actor.is_authenticated else None
    return ActivityLog.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        source=context.source,
        ip_address=context.ip_address,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=object_id or str(instance.pk),
        object_repr=(object_repr or str(instance))[:200],
        changes=changes,
        department_id=department_id if department_id is not None else _department_id(instance),
    )


def audited_save(
    instance: models.Model, *, actor: User | None, before: dict[str, Any] | None, validated: bool = False
) -> models.Model:
    """Validate and save `instance`; log a create when `before` is None, else the changed fields. `validated`: the
    caller has just run `full_clean()` on it (and only filled computed fields since), so it is not run twice."""
    with transaction.atomic():
        if not validated:
            instance.full_clean()
        instance.save()
        action = Action.CREATE if before is None else Action.UPDATE
        activity_record(action=action, instance=instance, actor=actor, before=before, after=snapshot(instance))
    return instance


def model_create(*, model: type[models.Model], data: dict[str, Any], actor: User | None) -> models.Model:
    return audited_save(model(**data), actor=actor, before=None)


def model_update(*, instance: models.Model, data: dict[str, Any], actor: User | None) -> models.Model:
    before = snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value)
    return audited_save(instance, actor=actor, before=before)


def model_delete(*, instance: models.Model, actor: User | None) -> None:
    with transaction.atomic():
        before = snapshot(instance)
        object_id, object_repr, department_id = str(instance.pk), str(instance), _department_id(instance)
        instance.delete()
        activity_record(
            action=Action.DELETE,
            instance=instance,
            actor=actor,
            before=before,
            after=None,
            object_id=object_id,
            object_repr=object_repr,
            department_id=department_id,
        )
