"""Ids in input are whole numbers: in bodies, in paths, in filters and in query parameters.

A float id used to be cut by the database lookup (1.5 found object 1); Python's int() reads "1_2" as 12,
"١٢" as 12 and fails on "²" although "²".isdigit(); an id beyond 64 bits overflows SQLite. Every way an
id comes in goes through one of these, so each of those is a 400 naming the field, or a 404 in a path.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

MAX_ID = 2**63 - 1  # ids are 64-bit (BigAutoField)
DIGITS = re.compile(r"[0-9]+")
PATH_ID = "[0-9]+"  # the router's pattern for {id}: anything else is no address (a JSON 404)
INVALID_ID = "An id is a whole number, e.g. 12; got {value}."


def _shown(value) -> str:
    return repr(value)[:40]


def as_id(value) -> int | None:
    """The id `value` stands for (an int, or ASCII digits in a string), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


class IdField(serializers.IntegerField):
    """A related object's id in a body (the pk_field of every PrimaryKeyRelatedField of a strict serializer)."""

    default_error_messages = {"incorrect_type": INVALID_ID}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if as_id(data) is None:
            self.fail("incorrect_type", value=_shown(data))
        return super().to_internal_value(data)


class IdFormField(forms.IntegerField):
    """An id in a query string, for filters and forms."""

    default_error_messages = {"invalid": INVALID_ID}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = as_id(value)
        if number is None:
            raise DjangoValidationError(self.error_messages["invalid"].format(value=_shown(value)), code="invalid")
        return number


class IdFilter(django_filters.NumberFilter):
    """`?vehicle=12`: a whole number; NumberFilter would read 12.5 as a decimal and the lookup would cut it to 12."""

    field_class = IdFormField


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several objects by id (`?site=3&site=7`): each must be an id before the database sees it."""

    def _check_values(self, value):
        for item in value:
            if as_id(item) is None:
                raise DjangoValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)


def query_id(request, name: str) -> int | None:
    """The id in query parameter `name`, None if it is absent or empty; anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    number = as_id(raw)
    if number is None:
        raise ValidationError({name: [ErrorDetail(INVALID_ID.format(value=_shown(raw)), code="invalid")]})
    return number
