"""The pricing API's serializers: tariffs and versions (the OCPI elements as OpenAPI components), customers and
contracts, holiday calendars, load-based pricing, grid signals, price intervals and quotes."""

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from evfleet.api.base import StrictModelSerializer, StrictSerializer, TypedJSONField
from fleet.models import Vehicle
from pricing.engine import DAYS, DIMENSIONS
from pricing.models import (
    Contract,
    ContractVolumeTier,
    Customer,
    GridSignal,
    Holiday,
    HolidayCalendar,
    LoadPricing,
    PriceInterval,
    Tariff,
    TariffVersion,
)
from pricing.validation import MAX_ELEMENTS
from stations.models import Connector

ELEMENTS_HELP = (
    "OCPI 2.2.1 tariff elements, in order; for each dimension the first element whose restrictions hold "
    'applies. Example: [{"price_components": [{"type": "ENERGY", "price": "0.25"}], "restrictions": '
    '{"start_time": "22:00", "end_time": "07:00"}}, {"price_components": [{"type": "ENERGY", "price": "0.35"}, '
    '{"type": "PARKING_TIME", "price": "3.00", "step_size": 300}]}]. Prices exclude tax, per kWh (ENERGY), '
    "per hour (TIME = charging, PARKING_TIME = connected, not charging) or per session (FLAT). Restrictions: "
    "start_time/end_time (site local HH:MM; end before start crosses midnight), start_date/end_date, "
    "day_of_week, min_kwh/max_kwh, min_power/max_power (kW), min_duration/max_duration (s)."
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# The shapes pricing/validation.py checks, as OpenAPI components. Numbers there are decimal strings
# ("0.35") or JSON numbers, never negative.
PRICING_COMPONENTS = {
    "NonNegativeDecimal": {
        "oneOf": [
            {"type": "string", "pattern": r"^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$", "example": "0.35"},
            {"type": "number", "minimum": 0},
        ],
        "description": 'A number, 0 or more: a decimal string ("0.35", so no precision is lost) or a JSON number.',
    },
    "TariffPriceComponent": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "price"],
        "properties": {
            "type": {"type": "string", "enum": list(DIMENSIONS), "description": "What is priced; once per element."},
            "price": {
                "allOf": [_ref("NonNegativeDecimal")],
                "description": "Excluding tax: per kWh (ENERGY), per hour (TIME, PARKING_TIME), per session (FLAT).",
            },
            "step_size": {
                "type": "integer",
                "minimum": 1,
                "default": 1,
                "description": "Billing step: Wh (ENERGY) or seconds (TIME, PARKING_TIME).",
            },
            "vat": {
                "type": "number",
                "description": "Accepted from OCPI and not kept: the version's tax_percent applies.",
            },
        },
    },
    "TariffRestrictions": {
        "type": "object",
        "additionalProperties": False,
        "nullable": True,
        "description": "When the element applies; every restriction given must hold. Times are the site's local time.",
        "properties": {
            **{
                key: {
                    "type": "string",
                    "nullable": True,
                    "pattern": "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$",
                    "description": "HH:MM, local; an end before the start crosses midnight; not equal to the other.",
                }
                for key in ("start_time", "end_time")
            },
            **{
                key: {
                    "type": "string",
                    "format": "date",
                    "nullable": True,
                    "description": "YYYY-MM-DD; the end is exclusive.",
                }
                for key in ("start_date", "end_date")
            },
            **{
                key: {"allOf": [_ref("NonNegativeDecimal")], "nullable": True, "description": f"{unit}; max above min."}
                for key, unit in (("min_kwh", "kWh"), ("max_kwh", "kWh"), ("min_power", "kW"), ("max_power", "kW"))
            },
            **{
                key: {"type": "integer", "minimum": 0, "nullable": True, "description": "Seconds; max above min."}
                for key in ("min_duration", "max_duration")
            },
            "day_of_week": {
                "type": "array",
                "nullable": True,
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "enum": list(DAYS)},
            },
        },
    },
    "TariffElement": {
        "type": "object",
        "additionalProperties": False,
        "required": ["price_components"],
        "properties": {
            "price_components": {"type": "array", "minItems": 1, "items": _ref("TariffPriceComponent")},
            "restrictions": _ref("TariffRestrictions"),
        },
    },
}
ELEMENTS_SCHEMA = {"type": "array", "minItems": 1, "maxItems": MAX_ELEMENTS, "items": _ref("TariffElement")}


def elements_field(**kwargs) -> TypedJSONField:
    return TypedJSONField(schema=ELEMENTS_SCHEMA, components=PRICING_COMPONENTS, help_text=ELEMENTS_HELP, **kwargs)


LOAD_CURVE_SCHEMA = {
    "type": "array",
    "minItems": 2,
    "items": {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": _ref("NonNegativeDecimal"),
        "description": "[load in % of the grid limit (0 to 200, rising from point to point), price multiplier (> 0)]",
    },
}


class TariffVersionSerializer(StrictModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    elements = elements_field()
    valid_from = serializers.DateTimeField(
        required=False, help_text="When these prices start (default: now); after the latest version's start."
    )

    class Meta:
        model = TariffVersion
        fields = ["id", "number", "valid_from", "tax_percent", "elements", "note", "created_by", "created_at"]
        read_only_fields = ["number", "created_by", "created_at"]


class TariffSerializer(StrictModelSerializer):
    attached_to = serializers.CharField(read_only=True)
    current_version = serializers.SerializerMethodField()
    versions = serializers.IntegerField(source="versions.count", read_only=True)
    # The first version, given with the tariff on create.
    valid_from = serializers.DateTimeField(write_only=True, required=False, help_text="First version's start.")
    tax_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, write_only=True, required=False, min_value=Decimal(0), max_value=Decimal(100)
    )
    elements = elements_field(write_only=True, required=False)
    note = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)

    class Meta:
        model = Tariff
        fields = [
            "id",
            "name",
            "department",
            "currency",
            "site",
            "charge_point",
            "connector",
            "valid_until",
            "demand_charge_per_kw",
            "attached_to",
            "current_version",
            "versions",
            "valid_from",
            "tax_percent",
            "elements",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_current_version(self, tariff: Tariff) -> dict | None:
        now = timezone.now()
        version = next((v for v in tariff.versions.all() if v.valid_from <= now), None)  # prefetched, newest first
        return TariffVersionSerializer(version).data if version else None

    def validate(self, attrs):
        if self.instance is None:
            missing = [name for name in ("tax_percent", "elements") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    dict.fromkeys(missing, "Required with a new tariff: its first version's prices.")
                )
        else:
            given = [name for name in ("valid_from", "tax_percent", "elements", "note") if name in attrs]
            if given:
                raise serializers.ValidationError(
                    dict.fromkeys(given, "Prices change through a new version: POST /tariffs/{id}/versions/.")
                )
        return attrs


class VolumeTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractVolumeTier
        fields = ["from_kwh", "energy_price", "discount_percent"]


class ContractSerializer(StrictModelSerializer):
    tiers = VolumeTierSerializer(many=True, required=False, help_text="Volume contracts: the monthly steps.")

    class Meta:
        model = Contract
        fields = [
            "id",
            "customer",
            "name",
            "kind",
            "valid_from",
            "valid_until",
            "tariff",
            "discount_percent",
            "energy_price",
            "tiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Contract rules (one at a time per customer, the fields a kind needs) are checked by the service.
        validators = []


class CustomerSerializer(StrictModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "kind",
            "department",
            "billed_department",
            "billing_email",
            "tax_id",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class HolidayCalendarSerializer(StrictModelSerializer):
    extra_days = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = HolidayCalendar
        fields = ["id", "name", "country", "subdivision", "priced_as", "extra_days"]


class LoadPricingSerializer(StrictModelSerializer):
    curve = TypedJSONField(
        schema=LOAD_CURVE_SCHEMA,
        components=PRICING_COMPONENTS,
        help_text="Points [load %, price multiplier], load rising, e.g. [[0, 0.9], [50, 1.0], [90, 1.4]]; "
        "linear in between, flat beyond.",
    )

    class Meta:
        model = LoadPricing
        fields = [
            "id",
            "site",
            "is_active",
            "curve",
            "floor_price",
            "cap_price",
            "use_grid_load",
            "grid_price_reference",
            "grid_price_share_percent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class GridSignalSerializer(StrictModelSerializer):
    class Meta:
        model = GridSignal
        fields = ["id", "site", "starts_at", "ends_at", "price_per_kwh", "load_percent", "source", "received_at"]
        read_only_fields = ["received_at"]

    def validate(self, attrs):
        if attrs.get("ends_at") and attrs.get("starts_at") and attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "Must be after starts_at."})
        if attrs.get("price_per_kwh") is None and attrs.get("load_percent") is None:
            raise serializers.ValidationError({"price_per_kwh": "Give price_per_kwh, load_percent or both."})
        return attrs


class PriceIntervalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceInterval
        fields = [
            "id",
            "site",
            "starts_at",
            "ends_at",
            "site_load_kw",
            "load_percent",
            "grid_load_percent",
            "grid_price_per_kwh",
            "multiplier",
            "adder",
            "floor_price",
            "cap_price",
            "recorded_at",
        ]


class QuoteSerializer(StrictSerializer):
    """The input of a price quote."""

    connector = serializers.PrimaryKeyRelatedField(queryset=Connector.objects.select_related("charge_point__site"))
    vehicle = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.select_related("vehicle_model", "customer"),
        required=False,
        allow_null=True,
        help_text="Checked for compatibility; its customer's contract applies unless `customer` is given.",
    )
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    start = serializers.DateTimeField(required=False, help_text="Default: now.")
    energy_kwh = serializers.DecimalField(max_digits=9, decimal_places=3, required=False, min_value=Decimal("0.001"))
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=7 * 24 * 60)
    power_kw = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.1"),
        help_text="Default: what the vehicle would get at the connector, else the connector's maximum.",
    )


class PriceLineSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["ENERGY", "TIME", "PARKING_TIME", "FLAT"])
    element = serializers.IntegerField(help_text="Index of the tariff element that applied.")
    restriction = serializers.CharField(help_text="The element's restrictions, in words.")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    quantity = serializers.CharField(help_text="kWh, hours or 1 (FLAT), exact.")
    unit = serializers.CharField()
    minutes = serializers.CharField(required=False)
    list_unit_price = serializers.CharField(help_text="The tariff's price, before adjustments.")
    unit_price = serializers.CharField()
    adjustments = serializers.ListField(child=serializers.CharField(), help_text="Load pricing, contract.")
    subtotal = serializers.CharField(help_text="Exact; rounding happens on the totals only.")


class PriceSerializer(serializers.Serializer):
    tariff = serializers.CharField()
    tariff_id = serializers.IntegerField()
    tariff_version = serializers.IntegerField()
    customer_id = serializers.IntegerField(allow_null=True)
    contract = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    tax_percent = serializers.CharField()
    energy_kwh = serializers.CharField()
    power_kw = serializers.CharField(required=False)
    lines = PriceLineSerializer(many=True)
    unrounded_excl_tax = serializers.CharField()
    total_excl_tax = serializers.CharField()
    tax = serializers.CharField()
    total = serializers.CharField()
