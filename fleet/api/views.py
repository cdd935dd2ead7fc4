import django_filters
from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from accounts.models import Department
from accounts.scoping import visible_departments
from evfleet.api.base import ScopedModelViewSet, ScopedReadOnlyModelViewSet
from evfleet.api.errors import ErrorCode, PayloadTooLarge, error_body
from evfleet.api.filters import AwareIsoDateTimeFilter as IsoDateTimeFilter
from evfleet.api.filters import FilterBackend, FilterSet
from evfleet.api.ids import IdFilter
from evfleet.api.pagination import TimeCursorPagination
from fleet import selectors, services
from fleet.api.serializers import (
    IngestReportSerializer,
    TelemetryBulkRequestSerializer,
    TelemetryPointSerializer,
    VehicleModelSerializer,
    VehicleSerializer,
)
from fleet.models import TelemetryPoint, Vehicle, VehicleModel
from fleet.telemetry import BatchTooLarge, telemetry_ingest


class VehicleModelViewSet(ScopedModelViewSet):
    """The catalogue of vehicle models: battery, charging power, inlets, consumption."""

    queryset = VehicleModel.objects.all()
    serializer_class = VehicleModelSerializer
    filterset_fields = ["make", "vehicle_class", "model_year", "v2g_capable"]
    search_fields = ["make", "name", "variant"]
    ordering_fields = ["make", "name", "model_year", "usable_battery_kwh", "max_dc_kw"]

    def create_object(self, data):
        return services.vehicle_model_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.vehicle_model_update(actor=self.request.user, vehicle_model=instance, **data)

    def delete_object(self, instance):
        services.vehicle_model_delete(actor=self.request.user, vehicle_model=instance)


def _visible_departments(request):
    return visible_departments(request.user) if request is not None else Department.objects.none()


class VehicleFilter(FilterSet):
    # Offered only within the user's departments, so an unknown id and another department's id look alike.
    department = django_filters.ModelChoiceFilter(queryset=_visible_departments, help_text="Department id (exactly).")
    status = django_filters.MultipleChoiceFilter(
        field_name="current_status",
        choices=Vehicle.Status.choices,
        help_text="The status shown: charging while a station charges an active vehicle, else the one set.",
    )
    priority_class = django_filters.MultipleChoiceFilter(choices=Vehicle.PriorityClass.choices)
    department_tree = IdFilter(
        method="filter_department_tree", help_text="A department id: its vehicles and those of all its teams."
    )
    soc_below = django_filters.NumberFilter(
        field_name="soc_percent", lookup_expr="lt", help_text="State of charge below, in %."
    )
    soc_above = django_filters.NumberFilter(
        field_name="soc_percent", lookup_expr="gte", help_text="State of charge at or above, in %."
    )
    make = django_filters.CharFilter(field_name="vehicle_model__make", lookup_expr="iexact")

    class Meta:
        model = Vehicle
        fields = ["department", "vehicle_model", "status", "priority_class"]

    def filter_department_tree(self, queryset, name, value):
        return queryset.filter(department__path__contains=f"/{int(value)}/")


class VehicleViewSet(ScopedModelViewSet):
    """Vehicles of the user's departments, with their current state from telemetry."""

    queryset = Vehicle.objects.all()
    serializer_class = VehicleSerializer
    filterset_class = VehicleFilter
    search_fields = ["vin", "license_plate", "fleet_number"]
    ordering_fields = [
        "vin",
        "fleet_number",
        "license_plate",
        "soc_percent",
        "odometer_km",
        "last_telemetry_at",
        "status",
    ]

    def get_base_queryset(self):
        return selectors.with_current_status(Vehicle.objects.select_related("department", "vehicle_model"))

    def create_object(self, data):
        return services.vehicle_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.vehicle_update(actor=self.request.user, vehicle=instance, **data)

    def delete_object(self, instance):
        services.vehicle_delete(actor=self.request.user, vehicle=instance)


class TelemetryFilter(FilterSet):
    recorded_after = IsoDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", help_text="From this instant (inclusive), ISO 8601 with offset."
    )
    recorded_before = IsoDateTimeFilter(
        field_name="recorded_at", lookup_expr="lt", help_text="Until this instant (exclusive), ISO 8601 with offset."
    )
    vin = django_filters.CharFilter(field_name="vehicle__vin", lookup_expr="iexact")
    # A plain number, not a model choice: no lookup query, and no hint whether an out-of-scope id exists.
    vehicle = IdFilter(field_name="vehicle_id", help_text="Vehicle id.")

    class Meta:
        model = TelemetryPoint
        fields = ["vehicle"]


TOO_LARGE = {
    "_description": "More than 10,000 points in one request.",
    "too_large": {
        "summary": "Batch over the limit",
        "description": "Split the readings into batches of at most 10,000 points.",
        "value": {
            "code": ErrorCode.PAYLOAD_TOO_LARGE,
            "message": "12000 points sent; at most 10000 per request. Split the batch.",
        },
    },
}


BULK_ERROR_EXAMPLES = {
    "400": {
        "no_valid_point": {
            "summary": "No valid point",
            "description": "Nothing was stored; fix each listed point and send the batch again. Every problem of a "
            "point is listed.",
            "x-request-body": {"points": [{"vin": "WVWZZZE1ZPP000001", "recorded_at": "2026-11-24T08:00:00"}]},
            "value": {
                "code": ErrorCode.VALIDATION,
                "message": "None of the 1 points is valid; 'errors' lists each by index, field and reason.",
                "received": 1,
                "accepted": 0,
                "duplicates": 0,
                "rejected": 1,
                "vehicles_updated": 0,
                "errors": [
                    {
                        "index": 0,
                        "field": "vin",
                        "code": "unknown_vehicle",
                        "message": "No vehicle with VIN WVWZZZE1ZPP000001 in your departments.",
                    },
                    {
                        "index": 0,
                        "field": "recorded_at",
                        "code": "naive_datetime",
                        "message": "recorded_at needs a UTC offset (Z or +01:00) so the instant is unambiguous.",
                    },
                ],
            },
        },
        "no_points": {
            "summary": "Body without points",
            "description": "The body is an object with a non-empty `points` list.",
            "x-request-body": {"points": []},
            "value": {
                "code": ErrorCode.VALIDATION,
                "message": "Invalid input in: points. See 'fields' for each problem.",
                "fields": {
                    "points": [
                        {
                            "code": "required",
                            "message": 'Send a JSON object {"points": [...]} with 1 to 10,000 readings.',
                        }
                    ]
                },
            },
        },
    },
    "413": TOO_LARGE,
}


class TelemetryViewSet(ScopedReadOnlyModelViewSet):
    """Vehicle readings, newest first (cursor-paginated); filter by vehicle and time range."""

    queryset = TelemetryPoint.objects.all()
    serializer_class = TelemetryPointSerializer
    filterset_class = TelemetryFilter
    pagination_class = TimeCursorPagination
    filter_backends = [FilterBackend]
    # Readings never change and carry the vehicle's clock, not the time they arrived: no updated_after here.
    # Sync with recorded_after and the time cursor (a reading that arrives late, for an earlier time, is missed).
    sync_field = None

    @extend_schema(
        request=TelemetryBulkRequestSerializer,
        responses={200: IngestReportSerializer},
        examples=[
            OpenApiExample(
                "Two readings",
                request_only=True,
                value={
                    "points": [
                        {
                            "vin": "WVWZZZE1ZPP000001",
                            "recorded_at": "2026-11-24T08:00:00Z",
                            "soc_percent": 81.5,
                            "odometer_km": 12034.2,
                        },
                        {
                            "vehicle": 17,
                            "recorded_at": "2026-11-24T08:00:00+01:00",
                            "latitude": 52.52,
                            "longitude": 13.40,
                            "speed_kmh": 42,
                        },
                    ]
                },
            ),
            OpenApiExample(
                "Partial acceptance",
                response_only=True,
                status_codes=["200"],
                value={
                    "received": 3,
                    "accepted": 1,
                    "duplicates": 1,
                    "rejected": 1,
                    "vehicles_updated": 1,
                    "errors": [
                        {
                            "index": 2,
                            "field": "soc_percent",
                            "code": "out_of_range",
                            "message": "soc_percent must lie between 0 and 100 %; got 104.",
                        }
                    ],
                },
            ),
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[], pagination_class=None)
    def bulk(self, request):
        """Store up to 10,000 readings. Valid points are stored (a repeat of a stored point counts as a
        duplicate, stored once); each invalid point is reported by index, field and reason. The answer
        is 200 when at least one point was valid, else 400 with the same report."""
        data = request.data
        if not isinstance(data, dict) or not isinstance(data.get("points"), list) or not data["points"]:
            raise ValidationError(
                {"points": ['Send a JSON object {"points": [...]} with 1 to 10,000 readings.']}, code="required"
            )
        unknown = sorted(set(data) - {"points"})
        if unknown:
            raise ValidationError(
                {
                    name: [ErrorDetail("Unknown field; the body has only 'points'.", code="unknown_field")]
                    for name in unknown
                }
            )
        limit = settings.TELEMETRY_BULK_MAX_POINTS
        try:
            result = telemetry_ingest(actor=request.user, points=data["points"])
        except BatchTooLarge as exc:
            raise PayloadTooLarge(f"{exc.size} points sent; at most {limit} per request. Split the batch.") from None
        report = result.as_dict()
        if result.accepted + result.duplicates:
            return Response(report, status=status.HTTP_200_OK)
        message = f"None of the {result.received} points is valid; 'errors' lists each by index, field and reason."
        return Response({**error_body(ErrorCode.VALIDATION, message), **report}, status=status.HTTP_400_BAD_REQUEST)

    def get_error_examples(self):
        return BULK_ERROR_EXAMPLES if self.action == "bulk" else {}
