from rest_framework import serializers

from analytics.forms import METRIC_CHOICES
from analytics.metrics import GROUPINGS
from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone, IceBaseline, ReportRun, SavedReport
from analytics.periods import RELATIVE
from analytics.services import FIELDS
from evfleet.api.base import StrictModelSerializer, TypedJSONField
from fleet.models import VehicleModel


class CarbonZoneSerializer(StrictModelSerializer):
    class Meta:
        model = CarbonZone
        fields = ["id", "code", "name", "gco2e_per_kwh", "renewable_percent"]


def whole_hour(value) -> None:
    if value.minute or value.second or value.microsecond:
        raise serializers.ValidationError("Give the start of an hour (minutes and seconds zero), e.g. 14:00.")


# What the validator admits, for the OpenAPI schema (evfleet/api/schema.py): minutes and seconds zero, with an
# offset in whole hours (the minutes are read in your department's time zone).
whole_hour.openapi_schema = lambda: {
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:00(?::00(?:\.0+)?)?(?:Z|[+-][0-9]{2}:00)$"
}
whole_hour.openapi_invalid = "2026-11-24T14:30:00Z"


class CarbonIntensitySerializer(StrictModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", queryset=CarbonZone.objects.all())

    class Meta:
        model = CarbonIntensity
        fields = ["id", "zone", "hour_start", "gco2e_per_kwh", "renewable_percent"]
        validators = []  # an hour already stored is replaced (the view upserts), not refused
        extra_kwargs = {"hour_start": {"validators": [whole_hour]}}


class IceBaselineSerializer(StrictModelSerializer):
    g_co2e_per_km = serializers.FloatField(source="g_per_km", read_only=True)

    class Meta:
        model = IceBaseline
        fields = ["id", "vehicle_class", "fuel", "litres_per_100km", "kg_co2e_per_litre", "g_co2e_per_km"]


class CarbonOffsetSerializer(StrictModelSerializer):
    class Meta:
        model = CarbonOffset
        fields = [
            "id",
            "department",
            "registry",
            "project",
            "serial_number",
            "quantity_t_co2e",
            "vintage",
            "retired_on",
            "price_total",
            "currency",
        ]


_IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}}
# What analytics.services._check_filters admits: ids of things you can see, known vehicle classes.
REPORT_FILTERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": "Only rows of these; each list holds ids you can see (vehicle_class: class names).",
    "properties": {
        "site": _IDS,
        "vehicle_model": _IDS,
        "vehicle": _IDS,
        "vehicle_class": {"type": "array", "items": {"type": "string", "enum": VehicleModel.VehicleClass.values}},
    },
}


class SavedReportSerializer(StrictModelSerializer):
    metrics = serializers.ListField(child=serializers.ChoiceField(choices=METRIC_CHOICES), allow_empty=False)
    grouping = serializers.ChoiceField(choices=list(GROUPINGS.items()))
    period = serializers.ChoiceField(choices=list(RELATIVE.items()))
    owner = serializers.StringRelatedField(read_only=True)
    filters = TypedJSONField(
        schema={"$ref": "#/components/schemas/ReportFilters"},
        components={"ReportFilters": REPORT_FILTERS_SCHEMA},
        required=False,
        help_text='{"site": [ids], "vehicle_model": [ids], "vehicle_class": ["van", ...]}',
    )

    class Meta:
        model = SavedReport
        fields = ["id", "owner", *FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ReportRunSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "report",
            "trigger",
            "status",
            "format",
            "period_start",
            "period_end",
            "rows",
            "size_bytes",
            "recipients",
            "attempts",
            "error",
            "duration_ms",
            "created_at",
            "download",
        ]

    def get_download(self, run) -> str | None:
        return f"/api/v1/report-runs/{run.pk}/download/" if run.file else None


# --- Expected against actual consumption (read only: the shape of GET /api/v1/analytics/consumption/) ----------


class _ConsumptionFigures(serializers.Serializer):
    days = serializers.IntegerField(help_text="Vehicle days with distance.")
    distance_km = serializers.FloatField(help_text="Distance driven, km.")
    energy_consumed_kwh = serializers.FloatField(help_text="Driving energy from telemetry power, kWh.")
    modelled_distance_km = serializers.FloatField(help_text="Distance on the days with an expectation, km.")
    expected_energy_kwh = serializers.FloatField(allow_null=True, help_text="The model's expectation, kWh.")
    actual_kwh_per_100km = serializers.FloatField(allow_null=True, help_text="Over every driven day.")
    actual_modelled_kwh_per_100km = serializers.FloatField(
        allow_null=True, help_text="Over the days with an expectation (what the ratio compares)."
    )
    expected_kwh_per_100km = serializers.FloatField(allow_null=True)
    ratio = serializers.FloatField(allow_null=True, help_text="Actual ÷ expected over the days with an expectation.")


class ConsumptionBandSerializer(_ConsumptionFigures):
    band = serializers.CharField(help_text="below_minus_10, minus_10_to_0, 0_to_10, …, above_30, or unknown.")
    label = serializers.CharField()
    low_c = serializers.FloatField(allow_null=True, help_text="Included, °C.")
    high_c = serializers.FloatField(allow_null=True, help_text="Excluded, °C.")
    vehicles = serializers.IntegerField()


class ConsumptionVehicleSerializer(_ConsumptionFigures):
    vehicle = serializers.IntegerField()
    label = serializers.CharField()
    vehicle_model = serializers.CharField()
    mean_temperature_c = serializers.FloatField(allow_null=True, help_text="Distance-weighted, °C.")
    excess_percent = serializers.FloatField(allow_null=True, help_text="(ratio − 1) × 100.")
    no_model = serializers.BooleanField(help_text="Its vehicle model has no energy parameters.")
    flagged = serializers.BooleanField(
        help_text="Drew more than thresholds.excess_percent above the model over at least "
        "thresholds.min_distance_km with an expectation."
    )


class _ConsumptionThresholds(serializers.Serializer):
    excess_percent = serializers.FloatField()
    min_distance_km = serializers.FloatField()


class _ConsumptionPeriod(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class _ConsumptionTotal(_ConsumptionFigures):
    vehicles = serializers.IntegerField()


class ConsumptionReportSerializer(serializers.Serializer):
    period = _ConsumptionPeriod()
    thresholds = _ConsumptionThresholds()
    total = _ConsumptionTotal()
    bands = ConsumptionBandSerializer(many=True)
    vehicles = ConsumptionVehicleSerializer(many=True)
    flagged = ConsumptionVehicleSerializer(many=True)
    no_model_vehicles = serializers.IntegerField()
    days_without_expectation = serializers.DictField(
        child=serializers.IntegerField(), help_text="Days by reason: no_model, no_speed, no_temperature, …"
    )
