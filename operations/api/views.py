import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, parsers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from evfleet.api.base import ScopedModelViewSet, takes_no_body
from evfleet.api.errors import ErrorCode, error_body, exception_body
from evfleet.api.filters import AwareIsoDateTimeFilter, FilterSet
from evfleet.api.ids import IdFilter
from evfleet.api.parsers import JSONParser
from operations import imports, services
from operations.api.serializers import (
    DutyScheduleSerializer,
    ImportFileSerializer,
    ImportResultSerializer,
    ImportTextSerializer,
    OperationsPolicySerializer,
    RouteSerializer,
    TripSerializer,
    VehicleDepotSerializer,
)
from operations.models import DutySchedule, OperationsPolicy, Route, Trip, VehicleDepot


def _require(request, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied()


# --- CSV import -------------------------------------------------------------------------------------------------


class CsvTextParser(parsers.BaseParser):
    """A text/csv body: handed on as bytes (the import reads the encoding and the size itself)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(imports.MAX_BYTES + 1) if stream is not None else b""


DRY_RUN = OpenApiParameter(
    "dry_run", OpenApiTypes.BOOL, OpenApiParameter.QUERY,
    description="true: check every row and store nothing (the answer lists what would be created and each error).",
)  # fmt: skip
IMPORT_REQUEST = {
    "application/json": ImportTextSerializer,
    "multipart/form-data": ImportFileSerializer,
    "text/csv": OpenApiTypes.STR,
}
IMPORT_RESPONSES = {200: ImportResultSerializer, 201: ImportResultSerializer}


def _csv_of(request) -> bytes | str:
    """The CSV of an import request: a text/csv body, a multipart `file`, or JSON {"csv": "..."}."""
    if isinstance(request.data, bytes):
        return request.data
    if request.content_type.startswith("multipart/"):
        unknown = sorted(set(request.data) - {"file"})
        if unknown:
            raise ValidationError(
                {n: [ErrorDetail("Unknown field; send the CSV as `file`.", code="unknown_field")] for n in unknown}
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [ErrorDetail("Attach the CSV file as `file`.", code="required")]})
        return upload.read(imports.MAX_BYTES + 1)
    serializer = ImportTextSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["csv"]


def _dry_run(request) -> bool:
    value = request.query_params.get("dry_run", "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise ValidationError({"dry_run": [ErrorDetail(f"Give true or false; got {value[:20]!r}.", code="invalid")]})
    return value in ("true", "1")


def _import_answer(result: imports.ImportResult) -> Response:
    report = result.as_dict()
    if result.errors:
        bad = len({e.row for e in result.errors if e.row > 1})
        if bad:
            message = (
                f"{bad} of {result.rows} rows have errors; nothing was stored. 'errors' lists each by row (row 1 is "
                "the header), column and reason."
            )
        else:
            message = "The file or its header has errors (row 1 is the header, row 0 the file); nothing was stored."
        return Response({**error_body(ErrorCode.VALIDATION, message), **report}, status=status.HTTP_400_BAD_REQUEST)
    return Response(report, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED)


def _import_examples(kind: str, run) -> dict:
    header = "vehicle,depot,leaves,returns_at,distance_km" if kind == "trips" else "name,vehicle,depot,leaves"
    body = {"csv": f"{header}\nWB-001,Westbrook Depot,2030-01-07 06:30,2030-01-07 15:00,140\n"}
    wrong = run(body["csv"])
    missing = ImportTextSerializer(data={})
    missing.is_valid()
    return {
        "400": {
            "wrong_column": {
                "summary": "A wrong column",
                "description": "The header names a column the import does not know; nothing was read or stored.",
                "x-request-body": body,
                "value": _import_answer(wrong).data,
            },
            "no_csv": {
                "summary": "No CSV",
                "description": 'Send {"csv": "..."}, a multipart `file` or a text/csv body.',
                "x-request-body": {},
                "value": exception_body(exceptions.ValidationError(missing.errors)),
            },
        }
    }


IMPORTERS = {"trips": imports.import_trips, "schedules": imports.import_schedules}


class ImportMixin:
    import_kind = ""  # a key of IMPORTERS

    def run_import(self, request, *, text, dry_run):
        user = request.user if request is not None else None
        return IMPORTERS[self.import_kind](actor=user, user=user, csv_text=text, dry_run=dry_run)

    def get_error_examples(self):
        if getattr(self, "action", None) != "import_csv":
            return {}
        return _import_examples(self.import_kind, lambda text: self.run_import(None, text=text, dry_run=False))

    def _answer_import(self, request):
        dry_run = _dry_run(request)
        return _import_answer(self.run_import(request, text=_csv_of(request), dry_run=dry_run))


IMPORT_ACTION = dict(
    detail=False, methods=["post"], url_path="import", filter_backends=[], pagination_class=None,
    parser_classes=[JSONParser, parsers.MultiPartParser, CsvTextParser],
)  # fmt: skip


# --- routes -----------------------------------------------------------------------------------------------------


def _stop_errors(exc: DjangoValidationError) -> DjangoValidationError:
    """The service names stops 1-based (`stops[1].latitude` is the first); the API's paths are 0-based."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {}
    for name, errors in exc.error_dict.items():
        if name.startswith("stops[") and "]" in name:
            number, rest = name[6:].split("]", 1)
            name = f"stops[{int(number) - 1}]{rest}" if number.isdigit() else name
        renamed[name] = errors
    return DjangoValidationError(renamed)


class RouteViewSet(ScopedModelViewSet):
    """Routes: ordered stops with coordinates and time windows. A write with `stops` replaces all of them."""

    queryset = Route.objects.all()
    serializer_class = RouteSerializer
    filterset_fields = ["department", "road_mix"]
    search_fields = ["name"]
    ordering_fields = ["name", "distance_km", "updated_at"]

    def get_base_queryset(self):
        return Route.objects.prefetch_related("stops")

    @staticmethod
    def _stops(data):
        stops = data.pop("stops", None)
        return None if stops is None else [dict(s) for s in stops]

    def create_object(self, data):
        stops = self._stops(data)
        try:
            return services.route_create(actor=self.request.user, stops=stops or [], **data)
        except DjangoValidationError as exc:
            raise _stop_errors(exc) from None

    def update_object(self, instance, data):
        stops = self._stops(data)
        try:
            route = services.route_update(actor=self.request.user, route=instance, stops=stops, **data)
        except DjangoValidationError as exc:
            raise _stop_errors(exc) from None
        return self.get_base_queryset().get(pk=route.pk)

    def delete_object(self, instance):
        services.route_delete(actor=self.request.user, route=instance)


# --- trips ------------------------------------------------------------------------------------------------------


class TripFilter(FilterSet):
    vehicle = IdFilter(field_name="vehicle_id", help_text="Vehicle id.")
    depot = IdFilter(field_name="depot_id", help_text="Depot (site) id.")
    status = django_filters.MultipleChoiceFilter(choices=Trip.Status.choices)
    departs_after = AwareIsoDateTimeFilter(
        field_name="departs_at",
        lookup_expr="gte",
        help_text="Departing at or after this instant, ISO 8601 with offset.",
    )
    departs_before = AwareIsoDateTimeFilter(
        field_name="departs_at", lookup_expr="lt", help_text="Departing before this instant, ISO 8601 with offset."
    )

    class Meta:
        model = Trip
        fields = ["vehicle", "depot", "status", "route", "schedule"]


class TripViewSet(ImportMixin, ScopedModelViewSet):
    """Trips with their energy need (driving, heating or cooling, reserve) and the SoC required at departure.
    Writes are checked as on the pages: not in the past, no overlap with the vehicle's other trips, within a
    full battery."""

    queryset = Trip.objects.all()
    serializer_class = TripSerializer
    filterset_class = TripFilter
    search_fields = ["notes", "vehicle__fleet_number", "vehicle__vin"]
    ordering_fields = ["departs_at", "returns_at", "required_soc_percent", "updated_at"]
    import_kind = "trips"

    def get_base_queryset(self):
        return Trip.objects.select_related("vehicle", "depot", "route", "department")

    def create_object(self, data):
        return services.trip_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.trip_update(actor=self.request.user, trip=instance, **data)

    def delete_object(self, instance):
        services.trip_delete(actor=self.request.user, trip=instance)

    @extend_schema(request=None, responses={200: TripSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def cancel(self, request, pk=None):
        """Cancel a planned trip (one under way or done cannot be): charging stops planning for it."""
        _require(request, "operations.change_trip")
        trip = services.trip_cancel(actor=request.user, trip=self.get_object())
        return Response(TripSerializer(trip, context={"request": request}).data)

    @extend_schema(request=IMPORT_REQUEST, parameters=[DRY_RUN], responses=IMPORT_RESPONSES)
    @action(**IMPORT_ACTION)
    def import_csv(self, request):
        """Import trips from CSV (columns: docs/operations.md). Every row is checked; nothing is stored unless
        every row is valid; `?dry_run=true` only checks. 400 lists every row's errors."""
        return self._answer_import(request)


# --- duty schedules ---------------------------------------------------------------------------------------------


class DutyScheduleViewSet(ImportMixin, ScopedModelViewSet):
    """Recurring duties (e.g. weekdays 06:30 to 15:00, 140 km) that generate a vehicle's trips ahead."""

    queryset = DutySchedule.objects.all()
    serializer_class = DutyScheduleSerializer
    filterset_fields = ["department", "vehicle", "depot", "route", "active"]
    search_fields = ["name"]
    ordering_fields = ["name", "departs_local", "valid_from", "updated_at"]
    import_kind = "schedules"

    def get_base_queryset(self):
        return DutySchedule.objects.select_related("vehicle", "depot", "route")

    def create_object(self, data):
        return services.schedule_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.schedule_update(actor=self.request.user, schedule=instance, **data)

    def delete_object(self, instance):
        services.schedule_delete(actor=self.request.user, schedule=instance)

    @extend_schema(request=IMPORT_REQUEST, parameters=[DRY_RUN], responses=IMPORT_RESPONSES)
    @action(**IMPORT_ACTION)
    def import_csv(self, request):
        """Import duty schedules from CSV (columns: docs/operations.md); each generates its trips. Nothing is
        stored unless every row is valid; `?dry_run=true` only checks. 400 lists every row's errors."""
        return self._answer_import(request)


# --- depots and policies ----------------------------------------------------------------------------------------


class VehicleDepotViewSet(ScopedModelViewSet):
    """Each vehicle's home depot: where its trips start and whose chargers it uses."""

    queryset = VehicleDepot.objects.all()
    serializer_class = VehicleDepotSerializer
    filterset_fields = ["vehicle", "site"]
    ordering_fields = ["updated_at"]

    def get_base_queryset(self):
        return VehicleDepot.objects.select_related("vehicle", "site").order_by("pk")


class OperationsPolicyViewSet(ScopedModelViewSet):
    """A department's operations rules: the energy reserve kept at every trip's end, how far ahead schedules plan."""

    queryset = OperationsPolicy.objects.all()
    serializer_class = OperationsPolicySerializer
    filterset_fields = ["department"]
    ordering_fields = ["updated_at"]

    def get_base_queryset(self):
        return OperationsPolicy.objects.order_by("pk")
