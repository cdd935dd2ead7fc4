from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from simulation.models import FeedStatus, TrafficReading, WeatherHour


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
