"""Forms of the state-of-health page and API: the same forms parse the API's query strings, so the page and the API
give the same errors, each naming its field."""

from django import forms

from simulation.selectors.health import (
    DEFAULT_THRESHOLD_PERCENT,
    HISTORY_DAYS,
    MAX_HORIZON_DAYS,
    SORTS,
    THRESHOLD_RANGE_PERCENT,
)

LOW, HIGH = THRESHOLD_RANGE_PERCENT
SORT_CHOICES = [*SORTS.items(), *((f"-{key}", f"{label}, descending") for key, label in SORTS.items())]


class ThresholdForm(forms.Form):
    """Which vehicles the fleet view lists: those whose predicted SoH reaches the threshold, sorted."""

    threshold_percent = forms.FloatField(
        required=False,
        min_value=LOW,
        max_value=HIGH,
        label="Threshold (%)",
        help_text=f"State of health in %, from {LOW:g} to {HIGH:g} (default {DEFAULT_THRESHOLD_PERCENT:g}).",
        error_messages={
            "min_value": f"Give a threshold from {LOW:g} to {HIGH:g} %%.",
            "max_value": f"Give a threshold from {LOW:g} to {HIGH:g} %%.",
        },
        widget=forms.NumberInput(attrs={"step": "0.5", "placeholder": f"{DEFAULT_THRESHOLD_PERCENT:g}"}),
    )
    sort = forms.ChoiceField(
        required=False,
        choices=SORT_CHOICES,
        label="Sort by",
    )

    def clean_threshold_percent(self) -> float:
        value = self.cleaned_data["threshold_percent"]
        return DEFAULT_THRESHOLD_PERCENT if value is None else value

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "expected"


class VehicleHealthForm(forms.Form):
    """How much of one vehicle's health the API answers: days of history, days of prediction, the threshold."""

    history_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        help_text=f"Days of history, 1 to {MAX_HORIZON_DAYS} (default {HISTORY_DAYS}).",
        error_messages={
            "min_value": f"Ask for 1 to {MAX_HORIZON_DAYS} days of history.",
            "max_value": f"Ask for 1 to {MAX_HORIZON_DAYS} days of history.",
        },
    )
    horizon_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        help_text=f"Days of prediction, 1 to {MAX_HORIZON_DAYS} (default {MAX_HORIZON_DAYS}): what the nightly job "
        "predicts.",
        error_messages={
            "min_value": f"Ask for 1 to {MAX_HORIZON_DAYS} days of prediction.",
            "max_value": f"The prediction reaches {MAX_HORIZON_DAYS} days ahead; ask for at most that.",
        },
    )
    threshold_percent = ThresholdForm.base_fields["threshold_percent"]

    def clean_history_days(self) -> int:
        return self.cleaned_data["history_days"] or HISTORY_DAYS

    def clean_horizon_days(self) -> int:
        return self.cleaned_data["horizon_days"] or MAX_HORIZON_DAYS

    def clean_threshold_percent(self) -> float:
        value = self.cleaned_data["threshold_percent"]
        return DEFAULT_THRESHOLD_PERCENT if value is None else value
