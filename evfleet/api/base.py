"""Base classes every API viewset and serializer builds on: scoping, services, strict input."""

import functools
import re
from datetime import date, datetime
from typing import Any

from django.db import models
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from accounts.audit import model_create, model_delete, model_update
from accounts.middleware import activate_time_zone
from accounts.scoping import scoped
from evfleet.api.filters import UNKNOWN_PARAMETER, backend_parameters
from evfleet.api.idempotency import IdempotencyMixin
from evfleet.api.ids import PATH_ID, IdField
from evfleet.api.times import EARLIEST, EARLIEST_DATE, LATEST, LATEST_DATE

# Times and dates the API accepts: 1970 to 2199. Outside them a value is a typo or a probe: year 264 in a European
# zone has a local mean time offset (+00:53:28) that RFC 3339 cannot write, and year 9999 overflows in computations.


def plausible_date(value: date | datetime) -> None:
    """A validator for every date and time field of a strict serializer: 1970 to 2199."""
    low, high = (EARLIEST, LATEST) if isinstance(value, datetime) else (EARLIEST_DATE, LATEST_DATE)
    if not low <= value < high:
        raise serializers.ValidationError(
            f"Give a date from 1970 to 2199; got {value.isoformat()}.", code="out_of_range"
        )


# C0 control characters other than tab, line feed and carriage return, and DEL: invisible, and refused by
# spreadsheets (an XLSX export of a name holding one failed).
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL: DRF's own validator


def printable_text(value: str) -> None:
    """A validator for every text field of a strict serializer: tabs and line breaks, no other control characters."""
    found = _CONTROL.search(value)
    if found:
        raise serializers.ValidationError(
            f"Remove the control character U+{ord(found.group()):04X} at position {found.start() + 1}; "
            "text may hold tabs and line breaks, no other control characters.",
            code="control_character",
        )


def _has_integer_pk(field: serializers.RelatedField) -> bool:
    queryset = getattr(field, "queryset", None)
    return queryset is not None and isinstance(queryset.model._meta.pk, models.IntegerField)


def _strict_input(field: serializers.Field) -> None:
    """Whole-number ids (the lookup would cut 1.5 to 1), dates from 1970 to 2199, text without control characters."""
    if field.read_only:
        return
    target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
    if isinstance(target, serializers.PrimaryKeyRelatedField) and target.pk_field is None and _has_integer_pk(target):
        target.pk_field = IdField()
    if isinstance(field, (serializers.DateTimeField, serializers.DateField)):
        extra = plausible_date
    elif isinstance(field, serializers.CharField):
        extra = printable_text
    else:
        return
    if extra not in field.validators:
        field.validators = [*field.validators, extra]


class StrictFieldsMixin:
    """A serializer that rejects unknown input fields and offers only in-scope related objects.

    Unknown names are errors (a typo like `priority` for `priority_class` must not pass silently);
    read-only fields sent back from a GET are ignored. Related-object choices are department-scoped,
    so a user cannot attach an object to a department outside their own subtree. Ids are whole numbers,
    dates lie from 1970 to 2199, and text holds no control characters but tabs and line breaks.
    """

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _strict_input(field)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return fields
        for field in fields.values():
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            queryset = getattr(target, "queryset", None)
            is_related = isinstance(target, serializers.RelatedField) and queryset is not None
            if is_related and hasattr(queryset.model, "scope_field"):
                target.queryset = scoped(queryset, user)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                writable = sorted(name for name, f in self.fields.items() if not f.read_only)
                raise serializers.ValidationError(
                    {
                        name: [
                            serializers.ErrorDetail(
                                f"Unknown field '{name}'; writable fields are: {', '.join(writable)}.",
                                code="unknown_field",
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A model serializer with the strict input rules above."""


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    """A plain (non-model) input serializer with the strict input rules above."""


def _declared_query_parameters(view, method: str) -> set[str]:
    """The query parameters the handler's @extend_schema declares (drf-spectacular keeps its schema class there)."""
    handler = getattr(view, method.lower(), None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    if schema_class is None:
        return set()
    schema = schema_class() if isinstance(schema_class, type) else schema_class
    schema.view, schema.method = view, method
    return {
        parameter.name
        for parameter in schema.get_override_parameters()
        if isinstance(parameter, OpenApiParameter) and parameter.location == OpenApiParameter.QUERY
    }


def paginator_parameters(paginator, view) -> set[str]:
    if hasattr(paginator, "query_parameters"):
        return set(paginator.query_parameters(view))
    return {p["name"] for p in paginator.get_schema_operation_parameters(view) if p["in"] == "query"}


_KNOWN: dict[tuple, frozenset[str]] = {}


class ApiViewMixin(IdempotencyMixin):
    """What every API view does: refuse query parameters it does not know, and replay retried POSTs.

    A view accepts `format`, the parameters its @extend_schema declares and, on the actions in `filtered_actions`
    (GET), those of its filter backends, and on those in `paged_actions` (GET), its paginator's. The OpenAPI
    schema (evfleet/api/schema.py) documents exactly these. `sync_field` is the time `updated_after`,
    `updated_before` and the `cursor` pages go by: `updated_at`, or for a model whose rows never change the time
    they were made; None for a list without one.
    """

    sync_field: str | None = "updated_at"
    filtered_actions: tuple[str, ...] = ("list",)
    paged_actions: tuple[str, ...] = ("list",)

    def lists(self, actions: tuple[str, ...]) -> bool:
        return self.request.method == "GET" and getattr(self, "action", None) in actions

    def query_parameters(self) -> frozenset[str]:
        key = (type(self), getattr(self, "action", None), self.request.method)
        if key not in _KNOWN:
            names = {"format", *_declared_query_parameters(self, self.request.method)}
            if self.lists(self.filtered_actions):
                for backend in self.filter_backends:
                    names |= backend_parameters(backend, self)
            if self.lists(self.paged_actions) and self.paginator is not None:
                names |= paginator_parameters(self.paginator, self)
            _KNOWN[key] = frozenset(names)
        return _KNOWN[key]

    def check_query_parameters(self, request) -> None:
        known = self.query_parameters()
        unknown = sorted(set(request.query_params) - known)
        if not unknown:
            return
        self._object_exists()
        accepted = ", ".join(sorted(known))
        raise ValidationError(
            {
                name: [
                    ErrorDetail(
                        f"Unknown query parameter {name!r}; this operation accepts: {accepted}.",
                        code=UNKNOWN_PARAMETER,
                    )
                ]
                for name in unknown
            }
        )

    def _object_exists(self) -> None:
        """An object outside the user's departments is a 404 before any other problem, as for every method."""
        kwarg = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        if kwarg and kwarg in self.kwargs and hasattr(self, "get_queryset"):
            get_object_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[kwarg]})

    def initial(self, request, *args, **kwargs):
        self.idempotency_read_body(request)
        super().initial(request, *args, **kwargs)
        self.check_query_parameters(request)
        self.idempotency_claim(request)


class ScopedViewSetMixin(ApiViewMixin):
    """Department scoping of the queryset, and the user's local time zone once the API has authenticated."""

    lookup_value_regex = PATH_ID  # only digits reach the lookup: int() would read "1_2" as 12

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_time_zone(request.user)

    def get_base_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def get_queryset(self):
        queryset = self.get_base_queryset()
        if hasattr(queryset.model, "scope_field"):
            queryset = scoped(queryset, self.request.user)
        return queryset


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve over a department-scoped queryset."""


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """CRUD over a department-scoped queryset; writes go through the app's service functions.

    Subclasses set `queryset` (or override `get_base_queryset`) and, where the app has its own
    services, the hooks `create_object`, `update_object`, `delete_object`. Everything outside the
    user's departments is 404.
    """

    queryset: models.QuerySet

    def perform_create(self, serializer):
        serializer.instance = self.create_object(serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.update_object(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        self.delete_object(instance)

    # Defaults: the generic validated-and-logged save; apps with their own rules override these.
    def create_object(self, data: dict[str, Any]) -> models.Model:
        return model_create(model=self.get_base_queryset().model, data=data, actor=self.request.user)

    def update_object(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        return model_update(instance=instance, data=data, actor=self.request.user)

    def delete_object(self, instance: models.Model) -> None:
        model_delete(instance=instance, actor=self.request.user)


NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
NO_BODY = "This action takes no body; leave out '{name}'."


def body_errors_of_bodiless(data) -> dict[str, list[serializers.ErrorDetail]]:
    """What an action without a request body answers to one: each field named (an empty object or none is fine)."""
    if data in (None, {}, b"", ""):
        return {}
    if not isinstance(data, dict):
        return {NON_FIELD: [serializers.ErrorDetail("This action takes no body; send none.", code="no_body")]}
    return {name: [serializers.ErrorDetail(NO_BODY.format(name=name), code="unknown_field")] for name in sorted(data)}


def takes_no_body(handler):
    """A POST action whose request has no body: a body with fields is refused (400) rather than ignored, and
    the OpenAPI schema documents that answer (evfleet/api/schema.py)."""

    @functools.wraps(handler)
    def checked(self, request, *args, **kwargs):
        errors = body_errors_of_bodiless(request.data)
        if errors:
            raise serializers.ValidationError(errors)
        return handler(self, request, *args, **kwargs)

    checked.takes_no_body = True
    return checked


class TypedJSONField(serializers.JSONField):
    """A JSON field whose shape the OpenAPI schema states (`schema`, with the `components` it refers to by
    `#/components/schemas/<name>`); the app's service validates it and names each offending path."""

    def __init__(self, *, schema: dict, components: dict[str, dict] | None = None, **kwargs):
        self.openapi_schema, self.openapi_components = schema, components or {}
        super().__init__(**kwargs)
