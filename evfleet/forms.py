"""Form fields shared by the pages: date and time pickers read in the zone the page speaks (the user's
department's), with a clear error for a local time that the change of the clocks makes ambiguous or skips."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

PICKER_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
INPUT_FORMATS = [PICKER_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

SKIPPED = (
    "%(value)s does not exist in %(zone)s: the clocks go forward from %(before)s to %(after)s that night. "
    "Choose a time before %(before)s or from %(after)s on."
)
TWICE = (
    "%(value)s happens twice in %(zone)s: the clocks go back from %(after)s to %(before)s that night, so it "
    "could mean %(first)s or %(second)s. Choose a time outside that hour."
)


class DateTimePicker(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=PICKER_FORMAT)


class DatePicker(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _change(value: datetime, zone, offset_before: timedelta, offset_after: timedelta) -> tuple[str, str]:
    """The wall-clock times just before and just after the change of the clocks near `value`: ("02:00", "03:00")."""
    low, high = sorted([value - offset_before, value - offset_after])  # the change lies between, in UTC
    moment = low
    while moment < high and moment.replace(tzinfo=UTC).astimezone(zone).utcoffset() == offset_before:
        moment += timedelta(minutes=1)
    return (moment + offset_before).strftime("%H:%M"), (moment + offset_after).strftime("%H:%M")


def local_instant(value: datetime, zone) -> datetime:
    """A wall-clock time in `zone` as an aware instant; ValidationError naming the change of the clocks if the
    clocks skip that time (spring) or pass it twice (autumn)."""
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = value.strftime("%Y-%m-%d %H:%M")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:  # the clocks jump over it
        before, after = _change(value, zone, first.utcoffset(), second.utcoffset())
        raise ValidationError(SKIPPED, code="nonexistent_time",
                              params={"value": shown, "zone": str(zone), "before": before, "after": after})  # fmt: skip
    before, after = _change(value, zone, first.utcoffset(), second.utcoffset())
    raise ValidationError(TWICE, code="ambiguous_time", params={
        "value": shown, "zone": str(zone), "before": after, "after": before,
        "first": f"{first:%H:%M} {first.tzname()}", "second": f"{second:%H:%M} {second.tzname()}"})  # fmt: skip


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` picker read in the active zone (the user's department's), DST-safe."""

    widget = DateTimePicker
    input_formats = INPUT_FORMATS

    def to_python(self, value):
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else self._instant(value)
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        for fmt in self.input_formats:
            try:
                naive = datetime.strptime(value, fmt)
            except (TypeError, ValueError):
                continue
            return self._instant(naive)
        try:  # an exact instant with its offset (a link or a program: 2026-06-10T08:00:00+02:00) is unambiguous
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (TypeError, ValueError, AttributeError):
            moment = None
        if moment is not None and timezone.is_aware(moment):
            return moment
        raise ValidationError(
            "Enter a date and time like 2026-06-10 08:00 (the picker does it for you).", code="invalid"
        )

    def _instant(self, naive: datetime) -> datetime:
        try:
            return local_instant(naive, timezone.get_current_timezone())
        except ValidationError as exc:  # the message names the field: it may show away from it (a page's top)
            label = self.label or ""
            raise ValidationError(f"{label}: {exc.messages[0]}" if label else exc.messages[0], code=exc.code) from None

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # the picker shows wall-clock time
        return value
