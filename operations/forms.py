"""Forms of the operations pages. Times are entered in the depot's local time and distances in the department's
unit (km or mi); the forms turn them into UTC instants and km for the services, which hold the rules."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError

from accounts.scoping import visible_departments
from evfleet import formatting
from evfleet.forms import INPUT_FORMATS, DatePicker, DateTimePicker
from operations.models import WEEKDAYS, DutySchedule, OperationsPolicy, RoadMix, Route, RouteStop, Trip
from operations.selectors import depot_choices, route_list, vehicle_choices
from operations.services import local_datetime

WEEKDAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
DAY_SPANS = [(1, "that day"), (3, "3 days"), (7, "7 days"), (14, "14 days")]
DST_NOTE = (
    "In the depot's local time. A time the clocks skip (spring) moves forward by the gap; one that happens twice "
    "(autumn) is its first occurrence."
)


def km_from(value, unit: str) -> float | None:
    """A distance entered in `unit` (km or mi), in km."""
    if value is None:
        return None
    return float(value) * float(formatting.KM_PER_MILE) if unit == formatting.MI else float(value)


def in_unit(km, unit: str) -> float | None:
    value = formatting.km_to(km, unit)
    return None if value is None else round(float(value), 1)


def _choices_for(form: forms.Form, user) -> None:
    """A trip's or a schedule's form: the user's vehicles, depots and routes to choose from, and their distance unit."""
    form.unit = formatting.current_distance_unit()
    form.fields["vehicle"].queryset = vehicle_choices(user=user)
    form.fields["depot"].queryset = depot_choices(user=user)
    form.fields["route"].queryset = route_list(user=user).prefetch_related(None)


class VehicleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.fleet_number or obj.vin
        return f"{name} · {obj.vehicle_model}" if obj.vehicle_model_id else name


class WallClockField(forms.Field):
    """A date and time as on the depot's wall clock (naive): the form puts it in the depot's zone."""

    widget = DateTimePicker

    def to_python(self, value):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        for fmt in INPUT_FORMATS:
            try:
                return datetime.strptime(value, fmt)
            except (TypeError, ValueError):
                continue
        raise ValidationError("Enter a date and time like 2026-06-10 08:00 (the picker does it for you).")


class DepotChoice(forms.ModelChoiceField):
    """A depot with the zone its times are entered in."""

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.time_zone}"


def depot_instant(naive: datetime, zone: ZoneInfo) -> tuple[datetime, str]:
    """The wall-clock time at the depot as a UTC instant, as the schedules read it (operations.services.
    local_datetime), and a note when the change of the clocks moved or chose it."""
    instant = local_datetime(naive.date(), naive.time(), zone)
    shown = instant.astimezone(zone)
    if shown.replace(tzinfo=None) != naive:
        return instant, (
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks go forward): "
            f"taken as {shown:%H:%M} {shown.tzname()}."
        )
    other = naive.replace(tzinfo=zone, fold=1)
    if other.utcoffset() != naive.replace(tzinfo=zone, fold=0).utcoffset():
        return instant, (
            f"{naive:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back): taken as the first, "
            f"{shown:%H:%M} {shown.tzname()}."
        )
    return instant, ""


def add_service_errors(form: forms.Form, exc: ValidationError, fields: dict[str, str]) -> None:
    """Put a service's errors next to the form's fields (`fields`: model field → form field), the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = fields.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


class TripFilterForm(forms.Form):
    depot = forms.ModelChoiceField(queryset=None, required=False, empty_label="All depots")
    day = forms.DateField(required=False, widget=DatePicker, label="From")
    days = forms.TypedChoiceField(choices=DAY_SPANS, coerce=int, required=False, empty_value=3, label="For")
    vehicle = forms.CharField(
        required=False, label="Vehicle", widget=forms.TextInput(attrs={"placeholder": "Fleet number, plate or VIN"})
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Trip.Status.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depot"].queryset = depot_choices(user=user)


class TripForm(forms.Form):
    vehicle = VehicleChoice(queryset=None)
    depot = DepotChoice(queryset=None, label="Departs from (depot)", help_text="Its time zone sets the times below.")
    departs_local = WallClockField(label="Departure", help_text=DST_NOTE)
    returns_local = WallClockField(label="Expected return", help_text="In the depot's local time.")
    route = forms.ModelChoiceField(queryset=None, required=False, empty_label="No route: give a distance")
    distance = forms.FloatField(required=False, min_value=0.1)
    road_mix = forms.ChoiceField(choices=RoadMix.choices, initial=RoadMix.MIXED, label="Road mix")
    notes = forms.CharField(required=False, max_length=250)

    FIELDS = {"departs_at": "departs_local", "returns_at": "returns_local", "distance_km": "distance"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _choices_for(self, user)
        self.fields["distance"].label = f"Distance ({self.unit})"
        self.fields["distance"].help_text = f"Depot to depot, in {formatting.DISTANCE_UNITS[self.unit]}, when no route."
        self.notes_on_time: list[str] = []

    @classmethod
    def initial_for(cls, trip: Trip, unit: str) -> dict:
        zone = ZoneInfo(trip.depot.time_zone)
        return {
            "vehicle": trip.vehicle_id, "depot": trip.depot_id, "route": trip.route_id, "road_mix": trip.road_mix,
            "departs_local": trip.departs_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0),
            "returns_local": trip.returns_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0),
            "distance": in_unit(trip.distance_km, unit), "notes": trip.notes,
        }  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("route") and data.get("distance") is None and "distance" not in self.errors:
            self.add_error("distance", "Choose a route or give a distance.")
        depot = data.get("depot")
        if depot is not None:
            zone = ZoneInfo(depot.time_zone)
            for name in ("departs_local", "returns_local"):
                if data.get(name) is not None:
                    data[name], note = depot_instant(data[name], zone)
                    if note:
                        self.notes_on_time.append(note)
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "vehicle": data["vehicle"], "depot": data["depot"], "departs_at": data["departs_local"],
            "returns_at": data["returns_local"], "route": data["route"],
            "distance_km": km_from(data["distance"], self.unit), "road_mix": data["road_mix"], "notes": data["notes"],
        }  # fmt: skip


class WeekdaysField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=list(WEEKDAY_LABELS.items()), **kwargs)


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. Morning round, north")
    vehicle = VehicleChoice(queryset=None)
    depot = DepotChoice(queryset=None, help_text="Where the duty starts and ends; its time zone sets the times.")
    weekdays = WeekdaysField(label="Weekdays")
    departs_local = forms.TimeField(
        label="Departs", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), help_text=DST_NOTE
    )
    returns_local = forms.TimeField(
        label="Returns",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="In the depot's local time; a time before the departure means the next day.",
    )
    route = forms.ModelChoiceField(queryset=None, required=False, empty_label="No route: give a distance")
    distance = forms.FloatField(required=False, min_value=0.1)
    road_mix = forms.ChoiceField(choices=RoadMix.choices, initial=RoadMix.MIXED, label="Road mix")
    valid_from = forms.DateField(widget=DatePicker)
    valid_until = forms.DateField(widget=DatePicker, required=False, help_text="Empty: until further notice.")
    active = forms.BooleanField(required=False, initial=True, help_text="Only an active schedule makes trips.")

    FIELDS = {"distance_km": "distance"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _choices_for(self, user)
        self.fields["distance"].label = f"Distance per duty ({self.unit})"
        self.fields["distance"].help_text = f"In {formatting.DISTANCE_UNITS[self.unit]}, when no route is given."

    @classmethod
    def initial_for(cls, schedule: DutySchedule, unit: str) -> dict:
        return {
            "name": schedule.name, "vehicle": schedule.vehicle_id, "depot": schedule.depot_id,
            "weekdays": [d.strip() for d in schedule.weekdays.split(",") if d.strip()],
            "departs_local": schedule.departs_local, "returns_local": schedule.returns_local,
            "route": schedule.route_id, "distance": in_unit(schedule.distance_km, unit), "road_mix": schedule.road_mix,
            "valid_from": schedule.valid_from, "valid_until": schedule.valid_until, "active": schedule.active,
        }  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("route") and data.get("distance") is None and "distance" not in self.errors:
            self.add_error("distance", "Choose a route or give a distance.")
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"], "vehicle": data["vehicle"], "depot": data["depot"],
            "department": data["vehicle"].department,
            "weekdays": ",".join(d for d in WEEKDAYS if d in data["weekdays"]),
            "departs_local": data["departs_local"], "returns_local": data["returns_local"], "route": data["route"],
            "distance_km": km_from(data["distance"], self.unit), "road_mix": data["road_mix"],
            "valid_from": data["valid_from"], "valid_until": data["valid_until"], "active": data["active"],
        }  # fmt: skip


class RouteForm(forms.ModelForm):
    distance = forms.FloatField(required=False, min_value=0.1)
    field_order = ["name", "department", "road_mix", "distance", "notes"]

    class Meta:
        model = Route
        fields = ["department", "name", "road_mix", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    FIELDS = {"distance_km": "distance"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = formatting.current_distance_unit()
        self.fields["department"].queryset = visible_departments(user)
        if user.department_id and not self.instance.pk:
            self.fields["department"].initial = user.department_id
        self.fields["distance"].label = f"Distance ({self.unit})"
        self.fields["distance"].help_text = (
            f"The whole round, depot to depot, in {formatting.DISTANCE_UNITS[self.unit]}; empty: measured from the "
            "stops."
        )
        if self.instance.pk:
            self.fields["distance"].initial = in_unit(self.instance.distance_km, self.unit)

    def validate_unique(self):
        """The service checks the name (its error is put next to the field)."""

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "department": data["department"], "name": data["name"], "road_mix": data["road_mix"],
            "notes": data["notes"], "distance_km": km_from(data["distance"], self.unit),
        }  # fmt: skip


TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StopForm(forms.ModelForm):
    class Meta:
        model = RouteStop
        fields = ["name", "address", "latitude", "longitude", "window_opens", "window_closes", "service_minutes"]
        widgets = {"window_opens": TIME_INPUT, "window_closes": TIME_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_minutes"].required = False
        self.fields["service_minutes"].label = "Service (min)"
        self.fields["latitude"].label, self.fields["longitude"].label = "Latitude (°)", "Longitude (°)"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", field.label)
            field.widget.attrs["class"] = f"stop-{name}"

    def validate_unique(self):
        """The route's stops are numbered by the service."""

    def stop_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self._meta.fields}
        if data["service_minutes"] is None:
            data["service_minutes"] = 0
        data["address"] = data["address"] or ""
        return data


# A plain formset: the service replaces the route's stops with the rows in their order (operations.services);
# an empty row is left out.
StopFormSet = forms.formset_factory(StopForm, extra=1, can_delete=True, can_order=True)  # an empty row to fill


class DepotAssignForm(forms.Form):
    vehicles = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="No home depot", label="Depot")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicles"].queryset = vehicle_choices(user=user)
        self.fields["site"].queryset = depot_choices(user=user)
        self.fields["vehicles"].error_messages["required"] = "Tick the vehicles to base at the depot."
        if not user.has_perm("operations.delete_vehicledepot"):  # a dispatcher moves vehicles, never unbases them
            self.fields["site"].required, self.fields["site"].empty_label = True, "Choose a depot"


class PolicyForm(forms.ModelForm):
    class Meta:
        model = OperationsPolicy
        fields = ["reserve_percent", "schedule_days"]


STOP_ROWS_ADDED = 1  # rows the "Add a stop" button adds
