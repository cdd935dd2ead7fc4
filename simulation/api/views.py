"""State-of-health API: each vehicle's battery health (current, history, observations, prediction with its band),
and the fleet's vehicles nearing a threshold with their predicted dates. Read only and department-scoped."""

import dataclasses

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ScopedReadOnlyModelViewSet, ScopedViewSetMixin
from simulation.api.serializers import NearingSerializer, VehicleHealthDetailSerializer, VehicleHealthSerializer
from simulation.forms import SORT_CHOICES, ThresholdForm, VehicleHealthForm
from simulation.models import VehicleHealth
from simulation.selectors import health as selectors

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
