from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from evfleet.api.base import ScopedReadOnlyModelViewSet
from evfleet.api.filters import AwareIsoDateTimeFilter, FilterSet
from simulation.api.serializers import TrafficReadingSerializer, WeatherHourSerializer
from simulation.models import TrafficReading, WeatherHour

WEATHER_EXAMPLE = OpenApiExample(
    "An hour from Open-Meteo",
    value={
        "id": 7,
        "site": 3,
        "hour": "2026-12-02T10:00:00Z",
        "temperature_c": 1.4,
        "precipitation_mm": 0.2,
        "snowfall_cm": 0.0,
        "wind_speed_ms": 4.1,
        "wind_direction_deg": 250.0,
        "source": "open-meteo",
        "fetched_at": "2026-12-02T10:00:05Z",
    },
    response_only=True,
)


class WeatherHourFilter(FilterSet):
    after = AwareIsoDateTimeFilter(field_name="hour", lookup_expr="gte")
    before = AwareIsoDateTimeFilter(field_name="hour", lookup_expr="lt")

    class Meta:
        model = WeatherHour
        fields = ["site", "source"]


@extend_schema_view(
    list=extend_schema(
        summary="Hourly weather at your sites",
        description="What the weather feed stored per site and hour (UTC): Open-Meteo's forecast, or the site's "
        "1991–2020 climate normals when no feed is configured (source `normals`). Filter by `site` and by "
        "`after` / `before` (the hour).",
        examples=[WEATHER_EXAMPLE],
    ),
    retrieve=extend_schema(summary="One hour of weather at a site", examples=[WEATHER_EXAMPLE]),
)
class WeatherHourViewSet(ScopedReadOnlyModelViewSet):
    """Hourly weather per site, as the weather feed gave it (read-only; the beat job writes it)."""

    queryset = WeatherHour.objects.select_related("site")
    serializer_class = WeatherHourSerializer
    filterset_class = WeatherHourFilter
    ordering_fields = ["hour"]
    sync_field = "fetched_at"  # an hour is rewritten when fetched again


class TrafficReadingFilter(FilterSet):
    after = AwareIsoDateTimeFilter(field_name="observed_at", lookup_expr="gte")
    before = AwareIsoDateTimeFilter(field_name="observed_at", lookup_expr="lt")

    class Meta:
        model = TrafficReading
        fields = ["site", "road_class", "source"]


@extend_schema_view(
    list=extend_schema(
        summary="Traffic readings near your sites",
        description="The speed on the road nearest each site against its free-flow speed, every 15 minutes: "
        "TomTom's flowSegmentData, or the typical speed profiles when no feed is configured (source `typical`).",
    ),
    retrieve=extend_schema(summary="One traffic reading"),
)
class TrafficReadingViewSet(ScopedReadOnlyModelViewSet):
    """Traffic speeds near each site, as the traffic feed gave them (read-only; the beat job writes them)."""

    queryset = TrafficReading.objects.select_related("site")
    serializer_class = TrafficReadingSerializer
    filterset_class = TrafficReadingFilter
    ordering_fields = ["observed_at"]
    sync_field = "observed_at"  # a reading never changes
