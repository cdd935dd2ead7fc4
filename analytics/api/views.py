"""Analytics API: the dashboard's data, any report (JSON or a file), trends, the environmental report, the metric
catalogue; saved reports with their runs; emission factors and offsets."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import services
from analytics.api.serializers import (
    CarbonIntensitySerializer,
    CarbonOffsetSerializer,
    CarbonZoneSerializer,
    ConsumptionReportSerializer,
    IceBaselineSerializer,
    ReportRunSerializer,
    SavedReportSerializer,
)
from analytics.consumption import consumption_report
from analytics.dashboard import compare, dashboard, environment, trends
from analytics.forms import PeriodForm, ReportQueryForm
from analytics.metrics import GROUPINGS, METRICS, compute, metric_groupings
from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone, IceBaseline, ReportRun, SavedReport
from analytics.periods import RELATIVE
from analytics.reporting.exports import EXPORTERS
from analytics.summary import export_report
from analytics.views import local_today
from evfleet.api.base import ScopedModelViewSet, ScopedReadOnlyModelViewSet, ScopedViewSetMixin, takes_no_body
from evfleet.api.errors import ErrorSerializer, django_validation_error_to_drf

VIEW = "analytics.view_vehicleday"
# A report in each format it is made in: JSON in the body, the others as a file (Content-Disposition: attachment).
REPORT_FILES = {
    (200, content_type): OpenApiTypes.OBJECT if fmt == "json" else OpenApiTypes.BINARY
    for fmt, (_exporter, content_type) in EXPORTERS.items()
}
PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        enum=list(RELATIVE),
        description="A relative period (default last_30_days) or custom with start and end.",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First local day of a custom period."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last local day of a custom period (included)."),
    OpenApiParameter("department", int, description="A department of yours (with its sub-departments)."),
]
REPORT_PARAMETERS = [
    *PERIOD_PARAMETERS,
    OpenApiParameter(
        "metrics",
        str,
        required=True,
        description="Comma-separated metric keys (GET /api/v1/analytics/metrics/ lists them).",
    ),
    OpenApiParameter("grouping", str, enum=list(GROUPINGS), description="How rows are grouped."),
    OpenApiParameter("sort_by", str, description="Rank rows by this metric."),
    OpenApiParameter(
        "compare_to",
        str,
        enum=["previous", "year_before"],
        description="Add the figures of the period before or of a year before, with the change.",
    ),
    OpenApiParameter("site", int, many=True, description="Only these sites."),
    OpenApiParameter("vehicle_model", int, many=True, description="Only these vehicle models."),
    OpenApiParameter("vehicle_class", str, many=True, description="Only these vehicle classes."),
    OpenApiParameter("format", str, enum=["json", "csv", "xlsx", "pdf"], description="json (default) or a file."),
]


def jsonable(value: Any) -> Any:
    """Money stays exact (Decimal as a string); dates and times in ISO 8601."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _require(request, permission: str = VIEW) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied()


def _form(request, form_class, defaults: dict | None = None):
    data = request.query_params.copy()
    data.pop("format", None)
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    form = form_class(data, user=request.user, today=local_today(request.user))
    if not form.is_valid():
        raise ValidationError(
            {field if field != "__all__" else "non_field_errors": list(errors) for field, errors in form.errors.items()}
        )
    return form.cleaned_data


def _file_response(result, fmt: str, stem: str, spec, user, compare_to=None):
    try:
        content, content_type, extension = export_report(result, spec, fmt, user, compare_to)
    except ValueError as exc:
        raise ValidationError({"format": [str(exc)]}) from None
    response = HttpResponse(content, content_type=content_type)
    if fmt != "json":
        response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


class FileFormatMixin:
    """`?format=csv|xlsx|pdf|json` names the file to make, not one of DRF's renderers: negotiation falls back to
    JSON for errors instead of answering 404."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class AnalyticsView(FileFormatMixin, ScopedViewSetMixin, APIView):
    """No model of its own: the metrics engine scopes the figures; the mixin gives the user's time zone."""

    permission_classes = [IsAuthenticated]


class DashboardView(AnalyticsView):
    """Everything the fleet dashboard shows for a period: key figures, figures by vehicle (top 15 by energy), model,
    department and site, per day, each site's daily peak against its grid limit, the SoC distribution now and the
    vehicles at risk of leaving under-charged."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _require(request)
        data = _form(request, PeriodForm)
        return Response(jsonable(dashboard(request.user, data["period_obj"], data.get("department"))))


class ReportView(AnalyticsView):
    """Any metrics, grouped, filtered, ranked and optionally compared with an earlier period: as JSON (the same
    document as the JSON export) or as a CSV, XLSX or PDF file."""

    @extend_schema(parameters=REPORT_PARAMETERS, responses=REPORT_FILES)
    def get(self, request):
        _require(request)
        data = _form(request, ReportQueryForm, {"grouping": "vehicle"})
        spec, how = data["spec"], data.get("compare_to")
        result = compare(spec, how, request.user) if how else compute(spec, request.user)
        fmt = request.query_params.get("format", "json")
        stem = f"evfleet-{spec.grouping}-{spec.period.first}-{spec.period.last}"
        return _file_response(result, fmt, stem, spec, request.user, how)


class TrendsView(AnalyticsView):
    """Daily energy and cost (up to a year up to yesterday) with a 4-week forecast, its 95 % band and the backtest
    MAPE on the last 4 weeks held out."""

    @extend_schema(parameters=PERIOD_PARAMETERS[3:], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _require(request)
        data = _form(request, PeriodForm)
        return Response(
            jsonable(trends(request.user, data.get("department"), local_today(request.user) - timedelta(days=1)))
        )


class EnvironmentView(AnalyticsView):
    """The emissions-reduction report: charging emissions (hourly grid intensity where known), the combustion
    baseline, avoided and net emissions, renewable share, g CO2e/km, by vehicle class and month, and the offsets
    retired."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _require(request)
        data = _form(request, PeriodForm)
        return Response(jsonable(environment(request.user, data["period_obj"], data.get("department"))))


class ConsumptionView(AnalyticsView):
    """Expected against actual driving consumption (kWh/100 km) by outside-temperature band and by vehicle, with
    the vehicles drawing far more than their model expects flagged (thresholds in the answer)."""

    error_examples = {
        "400": {
            "end_before_start": {
                "summary": "Dates reversed",
                "value": {
                    "code": "validation_error",
                    "message": "Invalid input in: end. See 'fields' for each problem.",
                    "fields": {"end": [{"code": "invalid", "message": "The period ends (2026-01-10) before it starts "
                                        "(2026-01-11): give an end on or after the start."}]},
                },
            },
            "unknown_period": {
                "summary": "Unknown period",
                "value": {
                    "code": "validation_error",
                    "message": "Invalid input in: period. See 'fields' for each problem.",
                    "fields": {"period": [{"code": "invalid", "message": "Select a valid choice. last_week "
                                           "is not one of the available choices."}]},
                },
            },
        }
    }  # fmt: skip

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: ConsumptionReportSerializer})
    def get(self, request):
        _require(request)
        data = _form(request, PeriodForm)
        return Response(jsonable(consumption_report(request.user, data["period_obj"], data.get("department"))))


class MetricCatalogueView(AnalyticsView):
    """The metrics (key, label, unit, meaning, the groupings each allows), groupings and periods."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _require(request)
        return Response(
            {
                "metrics": [
                    {
                        "key": m.key,
                        "label": m.label,
                        "unit": m.column("currency").unit,  # money: "currency" or "currency/km"
                        "kind": m.kind,
                        "description": m.description,
                        "groupings": sorted(metric_groupings(m)),
                    }
                    for m in METRICS.values()
                ],
                "groupings": GROUPINGS,
                "periods": RELATIVE,
            }
        )


class SavedReportViewSet(FileFormatMixin, ScopedModelViewSet):
    """Saved reports: metrics, grouping, filters and period under a name; optionally emailed on a schedule."""

    queryset = SavedReport.objects.select_related("department", "owner")
    serializer_class = SavedReportSerializer
    filterset_fields = ["department", "schedule", "grouping"]
    search_fields = ["name"]

    def _save(self, instance, data):
        try:
            return services.saved_report_save(actor=self.request.user, instance=instance, **data)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None

    def create_object(self, data):
        return self._save(None, data)

    def update_object(self, instance, data):
        return self._save(instance, data)

    def delete_object(self, instance):
        services.saved_report_delete(report=instance, actor=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv", "xlsx", "pdf"])],
        responses=REPORT_FILES,
    )
    @action(detail=True, methods=["get"])
    def render(self, request, pk=None):
        """Compute the report now and return it in the format asked (default: its own). Not kept in the history,
        which holds what was sent."""
        report = self.get_object()
        fmt = request.query_params.get("format") or report.format
        if fmt not in SavedReport.Format.values:
            raise ValidationError({"format": [f"Unknown format {fmt!r}: choose csv, xlsx, json or pdf."]})
        try:
            content, content_type, filename = services.report_render(
                report=report, fmt=fmt, today=local_today(request.user), user=request.user
            )
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        response = HttpResponse(content, content_type=content_type)
        if fmt != "json":
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def send(self, request, pk=None):
        """Generate and email the report now, as its schedule would (retried on failure)."""
        report = self.get_object()
        if not request.user.has_perm("analytics.change_savedreport") or not services.saved_report_may_edit(
            report, request.user
        ):
            raise PermissionDenied()
        if not services.report_recipients(report):  # refused now, not failed later in the worker
            raise ValidationError({"recipients": [services.NO_RECIPIENTS]})
        from analytics.tasks import saved_report_send

        saved_report_send.delay(report_id=report.pk, trigger="manual")
        return Response({"queued": True, "report": report.pk}, status=status.HTTP_202_ACCEPTED)


class ReportRunViewSet(ScopedReadOnlyModelViewSet):
    """The history of generated reports, with their files."""

    queryset = ReportRun.objects.select_related("report")
    serializer_class = ReportRunSerializer
    filterset_fields = ["report", "status", "trigger"]

    @extend_schema(
        responses={
            **REPORT_FILES,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The run has no file: it failed, or its file was deleted after the retention period.",
                examples=[
                    OpenApiExample(
                        "No file",
                        {
                            "code": "validation_error",
                            "message": "Invalid input in: file. See 'fields' for each problem.",
                            "fields": {
                                "file": [{"code": "invalid", "message": "This run failed before a file was made."}]
                            },
                        },
                    )
                ],
            ),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        run = self.get_object()
        if not run.file:
            raise ValidationError({"file": [services.no_file_reason(run)]})
        return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.filename)


class CarbonOffsetViewSet(ScopedModelViewSet):
    """Carbon offset certificates a department retired (quantity, vintage, registry)."""

    queryset = CarbonOffset.objects.select_related("department")
    serializer_class = CarbonOffsetSerializer
    filterset_fields = ["department", "registry", "vintage"]


class CarbonZoneViewSet(ScopedModelViewSet):
    """Grid regions and their yearly carbon factor (administrators edit them)."""

    queryset = CarbonZone.objects.all()
    serializer_class = CarbonZoneSerializer


class CarbonIntensityViewSet(mixins.CreateModelMixin, ScopedReadOnlyModelViewSet):
    """Hourly grid carbon intensity per zone. POST one object or a list (a provider's feed); an hour already
    stored is replaced."""

    queryset = CarbonIntensity.objects.select_related("zone")
    serializer_class = CarbonIntensitySerializer
    filterset_fields = ["zone", "zone__code"]

    @extend_schema(
        request=CarbonIntensitySerializer(many=True, allow_empty=False),
        responses={201: CarbonIntensitySerializer(many=True)},
    )
    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        extra = {"allow_empty": False} if many else {}  # an empty feed is a mistake, not a success
        serializer = self.get_serializer(data=request.data, many=many, **extra)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data if many else [serializer.validated_data]
        saved = services.carbon_intensities_save(actor=request.user, rows=rows)
        return Response(CarbonIntensitySerializer(saved, many=True).data, status=status.HTTP_201_CREATED)


class IceBaselineViewSet(ScopedModelViewSet):
    """The combustion baseline per vehicle class (fuel economy and fuel emission factor)."""

    queryset = IceBaseline.objects.all()
    serializer_class = IceBaselineSerializer
