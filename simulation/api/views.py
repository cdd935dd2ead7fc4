"""The simulation API: the weather and traffic the feeds stored per site; each vehicle's battery health (current,
history, observations, prediction with its band) and the fleet's vehicles nearing a threshold. Read only and
department-scoped."""

import dataclasses

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ScopedReadOnlyModelViewSet, ScopedViewSetMixin
from evfleet.api.filters import AwareIsoDateTimeFilter, FilterSet
from evfleet.api.ids import as_id
from simulation.api.serializers import (
    NearingSerializer,
    TrafficReadingSerializer,
    VehicleHealthDetailSerializer,
    VehicleHealthSerializer,
    WeatherHourSerializer,
)
from simulation.forms import SORT_CHOICES, ThresholdForm, VehicleHealthForm
from simulation.models import TrafficReading, VehicleHealth, WeatherHour
from simulation.selectors import health as selectors

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


VIEW = "simulation.view_vehiclehealth"


def _form(request, form_class):
    data = request.query_params.copy()
    data.pop("format", None)
    form = form_class(data)
    if not form.is_valid():
        raise ValidationError(
            {
                field if field != "__all__" else "non_field_errors": [
                    ErrorDetail(message, code=error.code or "invalid") for error in errors for message in error.messages
                ]
                for field, errors in form.errors.as_data().items()
            }
        )
    return form.cleaned_data


def _out_of_range(field: str, message: str) -> dict:
    return {
        "summary": f"{field} out of range",
        "value": {
            "code": "validation_error",
            "message": f"Invalid input in: {field}. See 'fields' for each problem.",
            "fields": {field: [{"code": "max_value", "message": message}]},
        },
    }


THRESHOLD = OpenApiParameter(
    "threshold_percent",
    float,
    description="State of health in %, from 50 to 100 (default 80).",
)


class VehicleHealthViewSet(ScopedReadOnlyModelViewSet):
    """Each vehicle's battery health as the nightly job left it; by the vehicle's id, with its history, capacity
    observations and the prediction of its state of health under its own usage with the 95 % band."""

    queryset = VehicleHealth.objects.select_related("vehicle")
    serializer_class = VehicleHealthSerializer
    lookup_field = "vehicle"
    filterset_fields = ["vehicle", "chemistry"]
    ordering_fields = ["soh_percent", "updated_at"]
    error_examples = {
        "400": {
            "horizon_days": _out_of_range(
                "horizon_days", "The prediction reaches 3650 days ahead; ask for at most that."
            )
        }
    }

    def initial(self, request, *args, **kwargs):
        # The lookup is the vehicle (a foreign key): Django's overflow guard covers only the primary key, so an id
        # beyond 64 bits would reach the database (a 500 on SQLite); it is no vehicle, a 404.
        if self.lookup_field in kwargs and as_id(kwargs[self.lookup_field]) is None:
            raise Http404
        super().initial(request, *args, **kwargs)

    def get_serializer_class(self):
        return VehicleHealthDetailSerializer if self.action == "retrieve" else VehicleHealthSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("history_days", int, description="Days of history, 1 to 3650 (default 365)."),
            OpenApiParameter("horizon_days", int, description="Days of prediction, 1 to 3650 (default 3650)."),
            THRESHOLD,
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        query = _form(request, VehicleHealthForm)
        data = selectors.vehicle_health(vehicle=row.vehicle, history_days=query["history_days"])
        found = selectors.crossing(row.prediction, query["threshold_percent"])
        row.history = data["history"]
        row.observations = data["observations"]
        row.prediction = selectors.prediction_until(row.prediction, query["horizon_days"])["points"]
        row.reaches = {"threshold_percent": query["threshold_percent"], **dataclasses.asdict(found)}
        return Response(self.get_serializer(row).data)


class NearingThresholdView(ScopedViewSetMixin, APIView):
    """The vehicles whose predicted state of health (its 95 % band) reaches a threshold within the prediction (ten
    years), with the current SoH and the earliest, expected and latest dates, soonest first."""

    permission_classes = [IsAuthenticated]
    error_examples = {
        "400": {
            "threshold_percent": _out_of_range("threshold_percent", "Give a threshold from 50 to 100 %."),
        }
    }

    @extend_schema(
        parameters=[
            THRESHOLD,
            OpenApiParameter(
                "sort",
                str,
                enum=[key for key, _label in SORT_CHOICES],
                description="Order: expected (default), earliest, latest, soh or vehicle; '-' before it: descending.",
            ),
        ],
        responses={200: NearingSerializer},
    )
    def get(self, request):
        if not request.user.has_perm(VIEW):
            raise PermissionDenied()
        query = _form(request, ThresholdForm)
        rows = selectors.vehicles_nearing(
            user=request.user, threshold_percent=query["threshold_percent"], sort=query["sort"]
        )
        return Response(
            NearingSerializer(
                {"threshold_percent": query["threshold_percent"], "count": len(rows), "results": rows}
            ).data
        )
