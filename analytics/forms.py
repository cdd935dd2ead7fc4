"""Forms of the analytics pages and API: a period with a department, a report query, and the report builder.
The same forms parse the API's query strings, so pages and API give the same errors."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from accounts.scoping import scoped, visible_departments
from analytics import periods
from analytics.metrics import GROUPINGS, METRICS, Spec, validate
from analytics.models import SavedReport
from evfleet.api.ids import IdMultipleChoiceField
from evfleet.forms import DatePicker
from fleet.models import Vehicle, VehicleModel
from stations.models import Site

METRIC_CHOICES = [(key, f"{m.label} ({m.unit})" if m.unit else m.label) for key, m in METRICS.items()]
COMPARE_CHOICES = [("", "No comparison"), *periods.COMPARISONS.items()]


class CommaSeparatedMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts repeated parameters (?metrics=a&metrics=b) and comma-separated ones (?metrics=a,b)."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for v in values for part in str(v).split(",") if part.strip()]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        unknown = [v for v in value if not self.valid_value(v)]
        if unknown:
            raise ValidationError(
                f"Unknown metric {', '.join(map(repr, unknown))}: choose from {', '.join(k for k, _ in self.choices)}.",
                code="invalid_choice",
            )


class PeriodForm(forms.Form):
    """A period (relative or custom dates) and a department of the user's subtree."""

    period = forms.ChoiceField(choices=list(periods.RELATIVE.items()), required=False, initial="last_30_days")
    start = forms.DateField(required=False, widget=DatePicker, help_text="First day, for custom dates.")
    end = forms.DateField(required=False, widget=DatePicker, help_text="Last day, included.")
    department = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my departments")

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.today = user, today
        self.fields["department"].queryset = visible_departments(user).order_by("path")
        self.fields["department"].error_messages["invalid_choice"] = (
            "You cannot see that department (or it does not exist): choose your own or one below it."
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["period_obj"] = periods.resolve(
                data.get("period") or "last_30_days", self.today, data.get("start"), data.get("end")
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


class ReportQueryForm(PeriodForm):
    """Metrics, grouping, filters, ranking and an optional comparison, over a period."""

    metrics = CommaSeparatedMultipleChoiceField(choices=METRIC_CHOICES)
    grouping = forms.ChoiceField(choices=list(GROUPINGS.items()), initial="vehicle")
    sort_by = forms.CharField(required=False, help_text="Rank rows by this metric.")
    compare_to = forms.ChoiceField(choices=COMPARE_CHOICES, required=False)
    site = IdMultipleChoiceField(queryset=None, required=False)
    vehicle_model = IdMultipleChoiceField(queryset=VehicleModel.objects.all(), required=False)
    vehicle_class = forms.MultipleChoiceField(choices=VehicleModel.VehicleClass.choices, required=False)
    vehicle = IdMultipleChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, user=user, today=today, **kwargs)
        self.fields["site"].queryset = scoped(Site.objects.all(), user).order_by("name")
        self.fields["vehicle"].queryset = scoped(Vehicle.objects.all(), user)
        self.fields["grouping"].error_messages["invalid_choice"] = (
            "Unknown grouping %(value)s: choose one of " + ", ".join(GROUPINGS) + "."
        )

    def filters(self) -> dict:
        data = self.cleaned_data
        out = {}
        if data.get("site"):
            out["site"] = [s.pk for s in data["site"]]
        if data.get("vehicle_model"):
            out["vehicle_model"] = [m.pk for m in data["vehicle_model"]]
        if data.get("vehicle_class"):
            out["vehicle_class"] = list(data["vehicle_class"])
        if data.get("vehicle"):
            out["vehicle"] = [v.pk for v in data["vehicle"]]
        return out

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        spec = Spec(
            metrics=data["metrics"],
            grouping=data["grouping"],
            period=data["period_obj"],
            department=data.get("department"),
            filters=self.filters(),
            sort_by=data.get("sort_by") or "",
        )
        try:
            validate(spec, self.user)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return data
        data["spec"] = spec
        return data


class SavedReportForm(forms.ModelForm):
    """The report builder."""

    metrics = forms.MultipleChoiceField(choices=METRIC_CHOICES, widget=forms.CheckboxSelectMultiple)
    grouping = forms.ChoiceField(choices=list(GROUPINGS.items()))
    period = forms.ChoiceField(choices=list(periods.RELATIVE.items()), initial="last_month")
    sort_by = forms.ChoiceField(choices=[("", "Don't rank"), *METRIC_CHOICES], required=False)
    site = forms.ModelMultipleChoiceField(queryset=None, required=False, help_text="Only these sites.")
    vehicle_model = forms.ModelMultipleChoiceField(queryset=VehicleModel.objects.all(), required=False)
    vehicle_class = forms.MultipleChoiceField(choices=VehicleModel.VehicleClass.choices, required=False)

    class Meta:
        model = SavedReport
        fields = [
            "name",
            "department",
            "metrics",
            "grouping",
            "period",
            "start",
            "end",
            "sort_by",
            "format",
            "schedule",
            "send_at_hour",
            "recipients",
        ]
        widgets = {"start": DatePicker, "end": DatePicker}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["department"].queryset = visible_departments(user).order_by("path")
        self.fields["site"].queryset = scoped(Site.objects.all(), user).order_by("name")
        filters = (self.instance.filters or {}) if self.instance.pk else {}
        for name in ("site", "vehicle_model", "vehicle_class"):
            if name in filters:
                self.initial[name] = filters[name]
        if not self.instance.pk and user.department_id and not self.initial.get("department"):
            self.initial["department"] = user.department_id

    def report_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["sort_by"] = data["sort_by"] or ""
        filters = {}
        if self.cleaned_data.get("site"):
            filters["site"] = [s.pk for s in self.cleaned_data["site"]]
        if self.cleaned_data.get("vehicle_model"):
            filters["vehicle_model"] = [m.pk for m in self.cleaned_data["vehicle_model"]]
        if self.cleaned_data.get("vehicle_class"):
            filters["vehicle_class"] = list(self.cleaned_data["vehicle_class"])
        data["filters"] = filters
        return data
