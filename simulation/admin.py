from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from simulation.models import CapacityObservation, FeedStatus, HealthDay, TrafficReading, VehicleHealth, WeatherHour


@admin.register(WeatherHour)
class WeatherHourAdmin(ReadOnlyAdmin):
    list_display = ["site", "hour", "temperature_c", "precipitation_mm", "snowfall_cm", "wind_speed_ms", "source"]
    list_filter = ["source"]
    list_select_related = ["site"]
    date_hierarchy = "hour"


@admin.register(TrafficReading)
class TrafficReadingAdmin(ReadOnlyAdmin):
    list_display = ["site", "observed_at", "road_class", "current_speed_kmh", "free_flow_speed_kmh", "source"]
    list_filter = ["source", "road_class"]
    list_select_related = ["site"]
    date_hierarchy = "observed_at"


@admin.register(FeedStatus)
class FeedStatusAdmin(ReadOnlyAdmin):
    """The feeds' health is written by the beat jobs only (not department data: every admin sees it)."""

    list_display = ["feed", "source", "last_attempt_at", "last_success_at", "last_error"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VehicleHealth)
class VehicleHealthAdmin(ReadOnlyAdmin):
    """Written by the nightly state-of-health job only (simulation.services.health)."""

    list_display = ["vehicle", "soh_percent", "variance", "model_soh_percent", "chemistry", "integrated_through"]
    list_filter = ["chemistry", "pack_assumed"]
    list_select_related = ["vehicle"]
    search_fields = ["vehicle__vin", "vehicle__fleet_number"]


@admin.register(HealthDay)
class HealthDayAdmin(ReadOnlyAdmin):
    list_display = ["vehicle", "day", "soh_percent", "model_soh_percent", "telemetry_hours", "observation_used"]
    list_filter = ["observation_used"]
    list_select_related = ["vehicle"]
    date_hierarchy = "day"


@admin.register(CapacityObservation)
class CapacityObservationAdmin(ReadOnlyAdmin):
    list_display = ["vehicle", "observed_at", "soh_percent", "soc_start_percent", "soc_end_percent", "current_type"]
    list_filter = ["current_type", "source"]
    list_select_related = ["vehicle"]
    date_hierarchy = "observed_at"
