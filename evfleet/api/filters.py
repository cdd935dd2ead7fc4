"""Query strings that mean what they say: an unknown parameter, ordering field or filter value is a 400 naming it.

Every list runs through the three backends below (settings.REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]):

- `FilterBackend`: django-filter's, on `FilterSet` (booleans are `true` or `false`, times carry their offset), plus
  `updated_after` / `updated_before` on the view's `sync_field` for incremental sync. An invalid value is a 400
  that names the parameter and, for a choice, the values it accepts.
- `OrderingFilter`: `?ordering=` with the view's `ordering_fields` only; an unknown field is a 400 listing them.
- `SearchFilter`: `?search=` only where the view has `search_fields`.

The parameters a view accepts are the ones the OpenAPI schema documents for it (`query_parameters`, used by
`evfleet.api.base.ApiViewMixin` to refuse the others); both come from the same declarations.
"""

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError

from evfleet.api.times import IsoDateTimeFilter, PlausibleIsoDateTimeField

UNKNOWN_PARAMETER = "unknown_parameter"
INVALID_ORDERING = "invalid_ordering"
INVALID_CHOICE = "invalid_choice"
NAIVE_DATETIME = "naive_datetime"


def field_error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: [ErrorDetail(message, code=code)]})


def _listed(values) -> str:
    return ", ".join(str(value) for value in values)


# --- Values ------------------------------------------------------------------------------------------------------


class TrueFalseField(forms.Field):
    """`true` or `false` (any case). `1`, `yes` or `on` are refused: NullBooleanSelect read them as "no filter"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        lowered = str(value).lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise DjangoValidationError(
            "Give true or false; got %(value)s.", code=INVALID_CHOICE, params={"value": repr(value)[:40]}
        )


class BooleanFilter(django_filters.BooleanFilter):
    field_class = TrueFalseField


class AwareIsoDateTimeField(PlausibleIsoDateTimeField):
    """An ISO 8601 time with its UTC offset: a time without one is a 400, not a guess in the server's zone."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                raise DjangoValidationError(
                    "Give an ISO 8601 time with its offset, e.g. 2026-11-24T08:00:00Z (encode + as %%2B); "
                    "got %(value)s.",
                    code="invalid",
                    params={"value": repr(value)[:40]},
                )
            if parsed.tzinfo is None:
                raise DjangoValidationError(
                    "Give the time with its UTC offset (Z or +01:00, encode + as %%2B); %(value)s has none.",
                    code=NAIVE_DATETIME,
                    params={"value": repr(value)[:40]},
                )
        return super().to_python(value)


class AwareIsoDateTimeFilter(IsoDateTimeFilter):
    field_class = AwareIsoDateTimeField


FILTER_DEFAULTS = {
    **drf_filters.FilterSet.FILTER_DEFAULTS,
    models.BooleanField: {"filter_class": BooleanFilter},
    models.DateTimeField: {"filter_class": AwareIsoDateTimeFilter},
}


class FilterSet(drf_filters.FilterSet):
    """The base of every filter set of the API: strict booleans and times (see the module docstring)."""

    FILTER_DEFAULTS = FILTER_DEFAULTS


def _choices_of(field: forms.Field) -> list[str] | None:
    if isinstance(field, forms.ModelChoiceField):
        return None  # ids: the message says which one is unknown, the list would reveal other departments'
    choices = getattr(field, "choices", None)
    if not choices:
        return None
    return [str(value) for value, _label in choices if value not in ("", None)]


def filterset_errors(form: forms.Form) -> ValidationError:
    """The filter form's errors in the API's shape; a choice error lists the accepted values."""
    detail: dict[str, list[ErrorDetail]] = {}
    for name, errors in form.errors.as_data().items():
        field = form.fields.get(name)
        for error in errors:
            message = error.message % (error.params or {}) if error.params else error.message
            code = error.code or "invalid"
            accepted = _choices_of(field) if field is not None and code == "invalid_choice" else None
            if accepted:
                given = (error.params or {}).get("value", "")
                message = f"Unknown value {given!r} for {name}; accepted values: {_listed(accepted)}."
            detail.setdefault(name, []).append(ErrorDetail(str(message), code=code))
    return ValidationError(detail)


# --- Incremental sync --------------------------------------------------------------------------------------------


def sync_field_of(view, model: type[models.Model] | None) -> str | None:
    """The time a list is synchronised on: the view's `sync_field` if its model has that field."""
    name = getattr(view, "sync_field", None)
    if not name or model is None:
        return None
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return name


def _sync_filters(field: str) -> dict[str, django_filters.Filter]:
    what = "changed" if field == "updated_at" else f"created ({field}; these rows never change)"
    return {
        "updated_after": AwareIsoDateTimeFilter(
            field_name=field,
            lookup_expr="gte",
            help_text=f"Only rows {what} at or after this instant (inclusive), ISO 8601 with offset. "
            "For incremental sync; with `cursor` for a complete pass.",
        ),
        "updated_before": AwareIsoDateTimeFilter(
            field_name=field,
            lookup_expr="lt",
            help_text=f"Only rows {what} before this instant (exclusive), ISO 8601 with offset.",
        ),
    }


_CLASSES: dict[tuple, type] = {}


class FilterBackend(DjangoFilterBackend):
    """django-filter on the strict `FilterSet`, with the sync filters, and errors that name the accepted values."""

    filterset_base = FilterSet

    def get_filterset_class(self, view, queryset=None):
        model = queryset.model if queryset is not None else getattr(getattr(view, "queryset", None), "model", None)
        explicit = getattr(view, "filterset_class", None)
        fields = getattr(view, "filterset_fields", None)
        key = (type(view), explicit, tuple(fields or ()), model)
        if key not in _CLASSES:  # one class per view, not one per request (django-filter makes one each call)
            _CLASSES[key] = self._filterset_class(view, model, explicit, fields)
        return _CLASSES[key]

    def _filterset_class(self, view, model, explicit, fields):
        base = super().get_filterset_class(view, model._default_manager.none() if model is not None else None)
        sync = sync_field_of(view, model)
        if not sync:
            return base
        if base is not None:
            meta = type("Meta", (base.Meta,), {})
        else:
            base, meta = FilterSet, type("Meta", (), {"model": model, "fields": []})
        return type(f"{type(view).__name__}Filter", (base,), {**_sync_filters(sync), "Meta": meta})

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise filterset_errors(filterset.form)
        return filterset.qs

    def query_parameters(self, view) -> set[str]:
        queryset = getattr(view, "queryset", None)
        filterset_class = self.get_filterset_class(view, queryset.none() if queryset is not None else None)
        return set(filterset_class.base_filters) if filterset_class else set()


# --- Ordering and search -----------------------------------------------------------------------------------------


def _orderable(model: type[models.Model], name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return field.concrete and not field.many_to_many


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`: only the view's fields; anything else is a 400 listing them."""

    def ordering_choices(self, view) -> list[str]:
        """The fields a list may be ordered by: `ordering_fields`, else the serializer's plain model fields."""
        declared = getattr(view, "ordering_fields", None)
        if declared is not None:
            return list(declared)
        queryset = getattr(view, "queryset", None)
        serializer_class = getattr(view, "serializer_class", None)
        if queryset is None or serializer_class is None:
            return []
        names = [
            (field.source or name).replace(".", "__")
            for name, field in serializer_class().fields.items()
            if not field.write_only and field.source != "*"
        ]
        return [name for name in names if _orderable(queryset.model, name)]

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in self.ordering_choices(view)]

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None or raw == "":
            return self.get_default_ordering(view)
        allowed = self.ordering_choices(view)
        terms = [term.strip() for term in raw.split(",")]
        for term in terms:
            if term.lstrip("-") not in allowed or term.startswith("--"):
                choices = _listed(allowed) if allowed else "nothing: this list has a fixed order"
                raise field_error(
                    self.ordering_param,
                    f"Unknown ordering field {term!r}; order by {choices} (a leading - for descending, several "
                    "separated by commas).",
                    INVALID_ORDERING,
                )
        return terms

    def query_parameters(self, view) -> set[str]:
        return {self.ordering_param} if self.ordering_choices(view) else set()

    def get_schema_operation_parameters(self, view):
        choices = self.ordering_choices(view)
        if not choices:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order by these fields, separated by commas; a leading - for descending.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [f"{sign}{name}" for name in choices for sign in ("", "-")]},
                },
                "style": "form",
                "explode": False,
            }
        ]


class SearchFilter(filters.SearchFilter):
    """`?search=` where the view has `search_fields`; elsewhere it is an unknown parameter."""

    def query_parameters(self, view) -> set[str]:
        return {self.search_param} if getattr(view, "search_fields", None) else set()

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "search_fields", None)
        if not fields:
            return []
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": f"Rows containing this text (any case) in: {_listed(f.lstrip('^=@$') for f in fields)}.",
                "schema": {"type": "string"},
            }
        ]


def backend_parameters(backend: Any, view) -> set[str]:
    """The query parameters a filter backend reads for `view`."""
    instance = backend()
    if hasattr(instance, "query_parameters"):
        return instance.query_parameters(view)
    return {p["name"] for p in instance.get_schema_operation_parameters(view) if p.get("in") == "query"}
