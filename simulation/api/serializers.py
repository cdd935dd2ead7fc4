"""Serializers of the simulation API: the feeds' weather and traffic, and the state of health (read only: beat jobs
write them)."""

from rest_framework import serializers

from evfleet.api.base import StrictModelSerializer
from simulation.models import CapacityObservation, HealthDay, TrafficReading, VehicleHealth, WeatherHour
from simulation.selectors.health import OBSERVATION_FIELDS


class WeatherHourSerializer(serializers.ModelSerializer):
    class Meta:
        model = WeatherHour
        fields = [
            "id",
            "site",
            "hour",
            "temperature_c",
            "precipitation_mm",
            "snowfall_cm",
            "wind_speed_ms",
            "wind_direction_deg",
            "source",
            "fetched_at",
        ]
        read_only_fields = fields


class TrafficReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrafficReading
        fields = [
            "id",
            "site",
            "latitude",
            "longitude",
            "road_class",
            "frc",
            "current_speed_kmh",
            "free_flow_speed_kmh",
            "confidence",
            "road_closure",
            "observed_at",
            "source",
        ]
        read_only_fields = fields


class VehicleHealthSerializer(StrictModelSerializer):
    """A vehicle's battery health as the nightly job left it (the prediction is in the vehicle's detail)."""

    vin = serializers.CharField(source="vehicle.vin", read_only=True)
    fleet_number = serializers.CharField(source="vehicle.fleet_number", read_only=True)
    department = serializers.IntegerField(source="vehicle.department_id", read_only=True)

    class Meta:
        model = VehicleHealth
        fields = [
            "id",
            "vehicle",
            "vin",
            "fleet_number",
            "department",
            "soh_percent",
            "variance",
            "model_soh_percent",
            "resistance_percent",
            "throughput_kwh",
            "chemistry",
            "pack_assumed",
            "integrated_through",
            "updated_at",
        ]
        read_only_fields = fields


class HealthDaySerializer(StrictModelSerializer):
    class Meta:
        model = HealthDay
        fields = [
            "day",
            "model_soh_percent",
            "soh_percent",
            "variance",
            "resistance_percent",
            "throughput_kwh",
            "telemetry_hours",
            "observation_used",
        ]
        read_only_fields = fields


class CapacityObservationSerializer(StrictModelSerializer):
    class Meta:
        model = CapacityObservation
        fields = list(OBSERVATION_FIELDS)
        read_only_fields = fields


class PredictionPointSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day.")
    days = serializers.IntegerField(help_text="Days after the last integrated day.")
    mean_percent = serializers.FloatField(help_text="Predicted state of health, %.")
    low_percent = serializers.FloatField(help_text="Low edge of the 95 % band, %.")
    high_percent = serializers.FloatField(help_text="High edge of the 95 % band, %.")


class CrossingSerializer(serializers.Serializer):
    threshold_percent = serializers.FloatField(help_text="The state of health asked about, %.")
    earliest = serializers.DateField(
        allow_null=True, help_text="When the band's low edge reaches it (null: not within the prediction)."
    )
    expected = serializers.DateField(allow_null=True, help_text="When the predicted mean reaches it.")
    latest = serializers.DateField(allow_null=True, help_text="When the band's high edge reaches it.")


class VehicleHealthDetailSerializer(VehicleHealthSerializer):
    """One vehicle's health with its history, its capacity observations and the prediction with its band."""

    history = HealthDaySerializer(many=True, read_only=True)
    observations = CapacityObservationSerializer(many=True, read_only=True)
    prediction = PredictionPointSerializer(many=True, read_only=True)
    reaches = CrossingSerializer(read_only=True)

    class Meta(VehicleHealthSerializer.Meta):
        fields = [*VehicleHealthSerializer.Meta.fields, "history", "observations", "prediction", "reaches"]
        read_only_fields = fields


class NearingRowSerializer(serializers.Serializer):
    vehicle = serializers.IntegerField(source="vehicle.pk")
    vin = serializers.CharField(source="vehicle.vin")
    fleet_number = serializers.CharField(source="vehicle.fleet_number")
    department = serializers.IntegerField(source="vehicle.department_id")
    soh_percent = serializers.FloatField(help_text="The filtered state of health now, %.")
    variance = serializers.FloatField(help_text="Its variance, %².")
    earliest = serializers.DateField(help_text="When the band's low edge reaches the threshold.")
    expected = serializers.DateField(allow_null=True, help_text="When the predicted mean reaches it.")
    latest = serializers.DateField(allow_null=True, help_text="When the band's high edge reaches it.")


class NearingSerializer(serializers.Serializer):
    threshold_percent = serializers.FloatField()
    count = serializers.IntegerField()
    results = NearingRowSerializer(many=True)
