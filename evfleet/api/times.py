"""Times in query strings: ISO 8601 with an offset, from 1970 to 2199, offset at most 14 hours.

Python reads `1416-02-12T14:56:05+17:20`; PostgreSQL refuses an offset beyond ±15:59 and the query failed
with a 500. A time in a filter is checked here and handed on in UTC.
"""

from datetime import UTC, date, datetime, timedelta

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ErrorDetail, ValidationError

EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2200, 1, 1)
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)  # the world's zones run from -12:00 to +14:00
OUT_OF_RANGE = "Give a time from 1970 to 2199 with a UTC offset of at most 14 hours; got {value}."


def plausible_instant(value: datetime) -> datetime | None:
    """`value` in UTC, or None if it is out of range (a naive value is left as it is)."""
    offset = value.utcoffset()
    if offset is None:
        return value if EARLIEST.replace(tzinfo=None) <= value < LATEST.replace(tzinfo=None) else None
    if abs(offset) > MAX_OFFSET:
        return None
    utc = value.astimezone(UTC)
    return utc if EARLIEST <= utc < LATEST else None


class PlausibleIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        checked = plausible_instant(parsed)
        if checked is None:
            raise DjangoValidationError(OUT_OF_RANGE.format(value=parsed.isoformat()), code="out_of_range")
        return checked


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """`?recorded_after=2026-11-24T08:00:00Z`: django-filter's, with the range above."""

    field_class = PlausibleIsoDateTimeField


def query_instant(name: str, moment: datetime) -> datetime:
    """A time a view parsed from query parameter `name`, in UTC; out of range is a 400 naming it."""
    checked = plausible_instant(moment)
    if checked is None:
        detail = OUT_OF_RANGE.format(value=moment.isoformat())
        raise ValidationError({name: [ErrorDetail(detail, code="out_of_range")]})
    return checked
