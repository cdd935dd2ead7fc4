"""Dashboard and admin forms of pricing: tariffs and their versions (one row per tariff element, or the OCPI JSON
for experts)."""

import json
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.scoping import scoped, visible_departments
from evfleet.forms import LocalDateTimeField
from pricing.engine import DAYS
from pricing.models import Tariff, TariffVersion
from pricing.validation import TariffInvalid, normalized_elements
from stations.models import ChargePoint, Connector, Site

PRICE_FIELDS = (
    ("ENERGY", "energy_price"),
    ("TIME", "time_price"),
    ("PARKING_TIME", "parking_price"),
    ("FLAT", "flat_fee"),
)
STEP_FIELDS = {"ENERGY": "energy_step", "TIME": "time_step", "PARKING_TIME": "parking_step"}


def _price(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=Decimal(0), max_digits=12, decimal_places=6,
                              help_text=help_text)  # fmt: skip


class ElementForm(forms.Form):
    """One tariff element: its prices and when it applies (all restrictions optional)."""

    energy_price = _price("Energy", "per kWh")
    time_price = _price("Charging time", "per hour")
    parking_price = _price("Parking", "per hour connected, not charging")
    flat_fee = _price("Session fee", "once per session")
    start_time = forms.TimeField(
        label="From",
        required=False,
        help_text="local HH:MM",
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    end_time = forms.TimeField(label="To", required=False, help_text="before From = across midnight",
                               widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))  # fmt: skip
    days = forms.MultipleChoiceField(
        label="Days",
        required=False,
        choices=[(d, d[:3].title()) for d in DAYS],
        widget=forms.CheckboxSelectMultiple,
        help_text="none = every day; holidays count as the site calendar says",
    )
    min_kwh = forms.DecimalField(label="From kWh", required=False, min_value=Decimal(0))
    max_kwh = forms.DecimalField(label="Below kWh", required=False, min_value=Decimal(0))
    min_power = forms.DecimalField(label="From kW", required=False, min_value=Decimal(0))
    max_power = forms.DecimalField(label="Below kW", required=False, min_value=Decimal(0))
    min_duration = forms.IntegerField(label="After min", required=False, min_value=0)
    max_duration = forms.IntegerField(label="Before min", required=False, min_value=0)
    energy_step = forms.IntegerField(required=False, widget=forms.HiddenInput)
    time_step = forms.IntegerField(required=False, widget=forms.HiddenInput)
    parking_step = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def to_element(self) -> dict | None:
        data = self.cleaned_data
        components = []
        for kind, name in PRICE_FIELDS:
            if data.get(name) is not None:
                component = {"type": kind, "price": str(data[name])}
                step = data.get(STEP_FIELDS.get(kind, ""))
                if step and step > 1:
                    component["step_size"] = step
                components.append(component)
        if not components:
            return None
        restrictions = {}
        for key in ("start_time", "end_time"):
            if data.get(key) is not None:
                restrictions[key] = data[key].strftime("%H:%M")
        if data.get("days"):
            restrictions["day_of_week"] = [d for d in DAYS if d in data["days"]]
        for key in ("min_kwh", "max_kwh", "min_power", "max_power"):
            if data.get(key) is not None:
                restrictions[key] = str(data[key])
        for key in ("min_duration", "max_duration"):
            if data.get(key) is not None:
                restrictions[key] = data[key] * 60
        element = {"price_components": components}
        if restrictions:
            element["restrictions"] = restrictions
        return element


def element_initial(element: dict) -> dict:
    """A stored element as the row form's initial values."""
    initial = {}
    names = dict(PRICE_FIELDS)
    for component in element.get("price_components", []):
        initial[names[component["type"]]] = Decimal(component["price"])
        if component["type"] in STEP_FIELDS and component.get("step_size", 1) > 1:
            initial[STEP_FIELDS[component["type"]]] = component["step_size"]
    r = element.get("restrictions") or {}
    for key in ("start_time", "end_time"):
        if key in r:
            initial[key] = r[key]
    if "day_of_week" in r:
        initial["days"] = r["day_of_week"]
    for key in ("min_kwh", "max_kwh", "min_power", "max_power"):
        if key in r:
            initial[key] = Decimal(str(r[key]))
    for key in ("min_duration", "max_duration"):
        if key in r:
            initial[key] = r[key] // 60
    return initial


ElementFormSet = forms.formset_factory(ElementForm, extra=2, max_num=50)


class VersionForm(forms.Form):
    """A new version of a tariff's prices (the elements come from the row formset or the JSON)."""

    valid_from = LocalDateTimeField(
        label="Valid from", help_text="Your department's local time; the new prices start then.", initial=timezone.now
    )
    tax_percent = forms.DecimalField(
        label="Tax rate (%)", min_value=Decimal(0), max_value=Decimal(100), decimal_places=3
    )
    note = forms.CharField(label="What changed", required=False, max_length=200)
    elements_json = forms.CharField(
        label="OCPI elements (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text="Optional, for experts: when filled in, it replaces the rows above.",
    )


def elements_from(formset, version_form) -> list[dict]:
    """The elements a user entered, validated; raises ValidationError keyed like the API's fields."""
    raw = (version_form.cleaned_data.get("elements_json") or "").strip()
    if raw:
        try:
            elements = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError({"elements_json": f"Not valid JSON: {exc.msg} at line {exc.lineno}."}) from None
    else:
        elements = [e for e in (form.to_element() for form in formset.forms) if e]
    try:
        return normalized_elements(elements)
    except TariffInvalid as exc:
        raise ValidationError({"elements": [f"{path}: {message}" for path, message in exc.errors.items()]}) from None


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = [
            "name",
            "department",
            "currency",
            "site",
            "charge_point",
            "connector",
            "valid_until",
            "demand_charge_per_kw",
        ]
        field_classes = {"valid_until": LocalDateTimeField}
        help_texts = {"site": "Attach to one place at most: a site, a charge point or a connector (the most "
                      "specific wins). None: a tariff for contracts."}  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = visible_departments(user)
        self.fields["site"].queryset = scoped(Site.objects.all(), user)
        self.fields["charge_point"].queryset = scoped(ChargePoint.objects.select_related("site"), user)
        self.fields["connector"].queryset = scoped(Connector.objects.select_related("charge_point"), user)

    def clean(self):
        data = super().clean()
        attached = [name for name in ("site", "charge_point", "connector") if data.get(name)]
        if len(attached) > 1:
            raise ValidationError({attached[1]: "Attach the tariff to one place only."})
        return data


class TariffVersionAdminForm(forms.ModelForm):
    """The admin's form for a new version: the elements as OCPI JSON, validated like the API's."""

    class Meta:
        model = TariffVersion
        fields = ["tariff", "valid_from", "tax_percent", "elements", "note"]

    def clean_elements(self):
        try:
            return normalized_elements(self.cleaned_data["elements"])
        except TariffInvalid as exc:
            raise ValidationError([f"{path}: {message}" for path, message in exc.errors.items()]) from None
