from rest_framework import serializers

from simulation.models import TrafficReading, WeatherHour


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
