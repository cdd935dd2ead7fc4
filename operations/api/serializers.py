from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evfleet.api.base import StrictModelSerializer, StrictSerializer
from operations.models import DutySchedule, OperationsPolicy, Route, RouteStop, Trip, VehicleDepot

NEED_FIELDS = [
    "driving_kwh", "climate_kwh", "reserve_kwh", "need_kwh", "ambient_temperature_c", "temperature_source",
    "required_soc_percent", "need_computed_at",
]  # fmt: skip


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "06:30"})
class LocalTimeField(serializers.TimeField):
    """A local time of day, HH:MM (seconds allowed on input): the depot's wall clock, no offset."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class LocalTimesSerializer(StrictModelSerializer):
    serializer_field_mapping = {**StrictModelSerializer.serializer_field_mapping, models.TimeField: LocalTimeField}


class RouteStopSerializer(LocalTimesSerializer):
    class Meta:
        model = RouteStop
        fields = [
            "sequence", "name", "address", "latitude", "longitude", "window_opens", "window_closes",
            "service_minutes",
        ]  # fmt: skip
        read_only_fields = ["sequence"]
        extra_kwargs = {"sequence": {"help_text": "Order of the stop, 1 first: the order of the list sent."}}
        validators = []

    def validate(self, attrs):
        # A PATCH of the route is partial, and DRF carries that into the nested stops: each stop is whole anyway.
        errors = {
            name: serializers.ErrorDetail("This field is required.", code="required")
            for name in ("name", "latitude", "longitude")
            if name not in attrs
        }
        opens, closes = attrs.get("window_opens"), attrs.get("window_closes")
        if opens and closes and closes <= opens:
            errors["window_closes"] = serializers.ErrorDetail(
                "The window must close after it opens.", code="window_order"
            )
        if errors:
            raise serializers.ValidationError({name: [error] for name, error in errors.items()})
        return attrs


class RouteSerializer(StrictModelSerializer):
    stops = RouteStopSerializer(
        many=True,
        required=False,
        help_text="The stops in order, each with its coordinates; sending them replaces all the route's stops.",
    )

    class Meta:
        model = Route
        fields = ["id", "department", "name", "road_mix", "distance_km", "notes", "stops", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class TripSerializer(StrictModelSerializer):
    need_kwh = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Driving + heating or cooling + reserve, kWh."
    )

    class Meta:
        model = Trip
        fields = [
            "id", "department", "vehicle", "depot", "departs_at", "returns_at", "route", "distance_km", "road_mix",
            "schedule", "status", "departed_at", "returned_at", "notes", *NEED_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "department", "schedule", "status", "departed_at", "returned_at", *NEED_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {
            "department": {"help_text": "The vehicle's department."},
            "departs_at": {"help_text": "When the vehicle leaves its depot (ISO 8601 with offset); not in the past."},
            "status": {"help_text": "planned, under_way, completed or cancelled; cancel with POST .../cancel/."},
        }
        validators = []  # the service checks the model's rules (overlap, past, range) and names the field


class DutyScheduleSerializer(LocalTimesSerializer):
    class Meta:
        model = DutySchedule
        fields = [
            "id", "department", "name", "vehicle", "depot", "weekdays", "departs_local", "returns_local", "route",
            "distance_km", "road_mix", "valid_from", "valid_until", "active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class VehicleDepotSerializer(StrictModelSerializer):
    class Meta:
        model = VehicleDepot
        fields = ["id", "vehicle", "site", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class OperationsPolicySerializer(StrictModelSerializer):
    class Meta:
        model = OperationsPolicy
        fields = ["id", "department", "reserve_percent", "schedule_days", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ImportTextSerializer(StrictSerializer):
    csv = serializers.CharField(
        trim_whitespace=False,
        help_text="The CSV text (header line first). Or send the file as multipart `file`, or as a text/csv body.",
    )


class ImportFileSerializer(StrictSerializer):
    file = serializers.FileField(help_text="The CSV file, UTF-8, at most 5 MB.")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row of the file: 1 is the header line, 0 the file as a whole.")
    field = serializers.CharField(help_text="The column, empty for the row or file as a whole.")
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Data rows read (the header not counted).")
    valid_rows = serializers.IntegerField(help_text="Rows without an error.")
    created = serializers.IntegerField(help_text="Rows stored: 0 on a dry run or when any row has an error.")
    dry_run = serializers.BooleanField()
    errors = RowErrorSerializer(many=True, help_text="Every row's errors, by row and column.")
