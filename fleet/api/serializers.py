from rest_framework import serializers

from evfleet.api.base import StrictModelSerializer
from fleet.connectors import ConnectorType
from fleet.models import CHARGING_IS_DERIVED, TelemetryPoint, Vehicle, VehicleModel, validate_inlets
from fleet.selectors import current_status_of
from fleet.telemetry import MEASUREMENTS


class VehicleModelSerializer(StrictModelSerializer):
    inlets = serializers.ListField(
        child=serializers.ChoiceField(choices=ConnectorType.choices),
        min_length=1,
        validators=[validate_inlets],
        help_text='Connector types the vehicle\'s inlets accept, e.g. ["type2", "ccs2"], each once.',
    )

    class Meta:
        model = VehicleModel
        fields = [
            "id",
            "make",
            "name",
            "variant",
            "model_year",
            "vehicle_class",
            "usable_battery_kwh",
            "max_ac_kw",
            "max_dc_kw",
            "inlets",
            "consumption_wh_per_km",
            "v2g_capable",
            "payload_kg",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


def _shown_status(vehicle: Vehicle) -> str:
    """The status shown everywhere (fleet.selectors.current_status). The annotation of a vehicle just written may
    predate the write: only active and charging are read from it (a write does not change the sessions)."""
    if vehicle.status != Vehicle.Status.ACTIVE:
        return vehicle.status
    shown = getattr(vehicle, "current_status", None)
    return shown if shown in (Vehicle.Status.ACTIVE, Vehicle.Status.CHARGING) else current_status_of(vehicle)


class VehicleSerializer(StrictModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    vehicle_model_name = serializers.CharField(source="vehicle_model.__str__", read_only=True)

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            "license_plate",
            "fleet_number",
            "department",
            "department_name",
            "vehicle_model",
            "vehicle_model_name",
            "status",
            "priority_class",
            "customer",
            "soc_percent",
            "state_of_health_percent",
            "odometer_km",
            "last_latitude",
            "last_longitude",
            "last_telemetry_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "soc_percent",
            "odometer_km",
            "last_latitude",
            "last_longitude",
            "last_telemetry_at",
            "created_at",
            "updated_at",
        ]

    def validate_status(self, value):
        if value == Vehicle.Status.CHARGING:
            raise serializers.ValidationError(CHARGING_IS_DERIVED, code="derived")
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["status"] = _shown_status(instance)
        return data

    def to_internal_value(self, data):
        # VINs are printed in capitals; accept any case and store the canonical form.
        if isinstance(data, dict) and isinstance(data.get("vin"), str):
            data = {**data, "vin": data["vin"].strip().upper()}
        return super().to_internal_value(data)


class TelemetryPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = TelemetryPoint
        fields = ["id", "vehicle", "recorded_at", *MEASUREMENTS]
        read_only_fields = fields


class TelemetryPointInputSerializer(serializers.ModelSerializer):
    """One reading in a bulk batch (documentation of the input; validation is fleet/telemetry.py)."""

    vehicle = serializers.IntegerField(required=False, help_text="Vehicle id; give this or vin.")
    vin = serializers.CharField(required=False, max_length=17, help_text="Vehicle VIN; give this or vehicle.")

    class Meta:
        model = TelemetryPoint
        fields = ["vehicle", "vin", "recorded_at", *MEASUREMENTS]


class TelemetryBulkRequestSerializer(serializers.Serializer):
    points = TelemetryPointInputSerializer(many=True, help_text="1 to 10,000 readings.")


class IngestErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the rejected point in `points`.")
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class IngestReportSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Points newly stored.")
    duplicates = serializers.IntegerField(
        help_text="Points already stored (same vehicle and recorded_at), stored once."
    )
    rejected = serializers.IntegerField(help_text="Points refused; each is listed in errors.")
    vehicles_updated = serializers.IntegerField(help_text="Vehicles whose current state moved to a newer reading.")
    errors = IngestErrorSerializer(many=True)
