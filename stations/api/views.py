import time
from datetime import timedelta

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from evfleet.api.base import ScopedModelViewSet, ScopedReadOnlyModelViewSet, ScopedViewSetMixin
from evfleet.api.filters import BooleanFilter, FilterSet
from evfleet.api.ids import query_id
from evfleet.api.pagination import PageNumberPagination
from evfleet.api.times import query_instant
from fleet import selectors as fleet_selectors
from stations import selectors, services
from stations.api.serializers import (
    AlertSerializer,
    AvailabilitySerializer,
    ChargePointSerializer,
    CommandRequestSerializer,
    CompatibilityRuleSerializer,
    CompatibleConnectorSerializer,
    ConnectorSerializer,
    MaintenanceWindowSerializer,
    OcppCommandSerializer,
    OcppMessageSerializer,
    SiteSerializer,
    StatusChangeSerializer,
)
from stations.models import (
    Alert,
    ChargePoint,
    CompatibilityRule,
    Connector,
    MaintenanceWindow,
    OcppCommand,
    OcppMessage,
    Site,
)
from stations.ocpp.commands import command_problem

MAX_WAIT_S = 30


def _require(request, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied()


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


REMOTE_STARTS = {"RemoteStartTransaction": ("connectorId", "idTag"), "RequestStartTransaction": ("evseId", "idToken")}


def _remote_start_for_vehicle(
    request, charge_point: ChargePoint, action_name: str, payload: dict, vehicle_id: int
) -> dict:
    """A remote start for a named vehicle: it must fit the connector; its RFID token becomes the id tag."""
    if action_name not in REMOTE_STARTS:
        raise _field_error(
            "vehicle", "vehicle goes only with RemoteStartTransaction or RequestStartTransaction.", "invalid"
        )
    vehicle = fleet_selectors.vehicle_list(user=request.user).filter(pk=vehicle_id).first()
    if vehicle is None:
        raise _field_error("vehicle", f"No vehicle with id {vehicle_id} in your departments.", "does_not_exist")
    evse_field, tag_field = REMOTE_STARTS[action_name]
    if not isinstance(payload.get(evse_field), int):
        raise _field_error("payload", f"Name the connector with {evse_field} to start a vehicle on it.", "required")
    connector = charge_point.connectors.filter(evse_id=payload[evse_field]).first()
    if connector is None:
        raise _field_error(
            "payload", f"{charge_point.identity} has no connector {payload[evse_field]}.", "does_not_exist"
        )
    incompatible = selectors.incompatibility_error(vehicle, connector)
    if incompatible is not None:
        raise _field_error("vehicle", incompatible.message, selectors.INCOMPATIBLE_CONNECTOR)
    if tag_field not in payload:
        token = vehicle.id_tokens.filter(is_active=True).values_list("token", flat=True).first()
        if token is None:
            raise _field_error(
                "vehicle", f"{vehicle} has no active RFID token; give {tag_field} in the payload.", "no_token"
            )
        payload = {**payload, tag_field: token if tag_field == "idTag" else {"idToken": token, "type": "ISO14443"}}
    return payload


def _instant(request, name: str):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _field_error(
            name,
            f"Give {name} as ISO 8601 with offset, e.g. 2026-11-01T00:00:00Z (encode + as %2B).",
            "invalid_datetime",
        )
    return query_instant(name, moment)


def _period(request, default_days: int = 30):
    """?start=&end= as ISO 8601 instants (default: the last `default_days` days); the future is cut off."""
    now = timezone.now()
    end = min(_instant(request, "end") or now, now)
    start = _instant(request, "start") or end - timedelta(days=default_days)
    if end <= start:
        raise _field_error("end", "end must come after start, and start must lie in the past.", "end_before_start")
    return start, end


class SiteViewSet(ScopedModelViewSet):
    """Depots: location, time zone, grid connection limit and derived status."""

    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_fields = ["department"]
    search_fields = ["name", "address"]
    ordering_fields = ["name", "grid_limit_kw"]

    def get_queryset(self):
        return selectors.site_list(user=self.request.user)

    def delete_object(self, instance):
        services.site_delete(actor=self.request.user, site=instance)


class ChargePointFilter(FilterSet):
    class Meta:
        model = ChargePoint
        fields = ["site", "status", "is_connected", "protocol", "registration_status"]


class ChargePointViewSet(ScopedModelViewSet):
    """Charge points with their connectors; commands and the raw OCPP log hang below each one."""

    queryset = ChargePoint.objects.all()
    serializer_class = ChargePointSerializer
    filterset_class = ChargePointFilter
    search_fields = ["identity", "vendor", "model", "serial_number"]
    ordering_fields = ["identity", "status", "last_seen_at"]
    paged_actions = ("list", "commands", "messages")

    def get_queryset(self):
        return selectors.charge_point_list(user=self.request.user)

    def create_object(self, data):
        return services.charge_point_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.charge_point_update(actor=self.request.user, charge_point=instance, **data)

    @extend_schema(methods=["GET"], responses={200: OcppCommandSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=CommandRequestSerializer,
        responses={201: OcppCommandSerializer},
        parameters=[
            OpenApiParameter(
                "wait", int, description="POST: seconds (0-30) to wait for the station's answer; default 10."
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], url_path="commands", permission_classes=[IsAuthenticated])
    def commands(self, request, pk=None):
        """GET: the commands sent to this station, newest first. POST: send one (its request is checked
        against the station's OCPP schema first) and wait up to `wait` seconds for the answer; the result
        has state pending, accepted, rejected, failed, timeout or offline."""
        _require(request, "stations.view_chargepoint", "stations.view_ocppcommand")
        if request.method == "POST":
            _require(request, "stations.add_ocppcommand")
        charge_point = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(charge_point.commands.all())
            return self.get_paginated_response(OcppCommandSerializer(page, many=True).data)
        body = CommandRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action_name, payload = body.validated_data["action"], body.validated_data["payload"]
        if "vehicle" in body.validated_data:
            payload = _remote_start_for_vehicle(
                request, charge_point, action_name, payload, body.validated_data["vehicle"]
            )
        problem = command_problem(protocol=charge_point.protocol, action=action_name, payload=payload)
        if problem:
            raise _field_error(*problem, code="invalid_command")
        try:
            wait = min(max(int(request.query_params.get("wait", 10)), 0), MAX_WAIT_S)
        except ValueError:
            raise _field_error("wait", "wait is a whole number of seconds from 0 to 30.", "invalid") from None
        with transaction.atomic():
            command = services.command_request(
                charge_point=charge_point, action=action_name, request=payload, actor=request.user
            )
        if not charge_point.is_connected:
            command = services.command_complete(
                command_id=command.pk, state=OcppCommand.State.OFFLINE, error="not connected"
            )
        deadline = time.monotonic() + wait
        while command.state == OcppCommand.State.PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
            command.refresh_from_db()
        return Response(OcppCommandSerializer(command).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=OcppMessageSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="messages")
    def messages(self, request, pk=None):
        """What the station said and was told: the raw OCPP log, newest first."""
        _require(request, "stations.view_ocppmessage")
        charge_point = self.get_object()
        page = self.paginate_queryset(OcppMessage.objects.filter(charge_point=charge_point))
        return self.get_paginated_response(OcppMessageSerializer(page, many=True).data)


class ConnectorViewSet(ScopedModelViewSet):
    """Connectors: standard, power limits, live OCPP status, status history and availability."""

    queryset = Connector.objects.all()
    serializer_class = ConnectorSerializer
    filterset_fields = ["charge_point", "connector_type", "current_type", "status", "bidirectional"]
    ordering_fields = ["max_power_kw", "status_since"]
    paged_actions = ("list", "status_history")

    def get_queryset(self):
        return selectors.connector_list(user=self.request.user)

    @extend_schema(
        responses=AvailabilitySerializer,
        parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
    )
    @action(detail=True, methods=["get"])
    def availability(self, request, pk=None):
        """Share of [start, end) (default: the last 30 days) the connector was able to serve, in %."""
        connector = self.get_object()
        start, end = _period(request)
        result = selectors.connector_availability(connector=connector, start=start, end=end)
        return Response(
            {
                "connector": connector.pk,
                "start": start,
                "end": end,
                "available_seconds": result.available_s,
                "period_seconds": result.period_s,
                "availability_percent": result.percent,
            }
        )

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-history")
    def status_history(self, request, pk=None):
        _require(request, "stations.view_connectorstatuschange")
        connector = self.get_object()
        page = self.paginate_queryset(connector.status_history.all())
        return self.get_paginated_response(StatusChangeSerializer(page, many=True).data)


class MaintenanceWindowViewSet(ScopedModelViewSet):
    """Planned maintenance; a window that has begun sets the station Inoperative (ChangeAvailability)."""

    queryset = MaintenanceWindow.objects.all()
    serializer_class = MaintenanceWindowSerializer
    filterset_fields = ["charge_point"]

    def get_base_queryset(self):
        return MaintenanceWindow.objects.select_related("charge_point")

    def create_object(self, data):
        return services.maintenance_window_create(actor=self.request.user, **data)

    def delete_object(self, instance):
        services.maintenance_window_delete(actor=self.request.user, window=instance)


class AlertFilter(FilterSet):
    open = BooleanFilter(field_name="resolved_at", lookup_expr="isnull", help_text="true: only open alerts.")

    class Meta:
        model = Alert
        fields = ["kind", "severity", "site", "charge_point", "connector"]


class AlertViewSet(ScopedReadOnlyModelViewSet):
    """Problems detected at stations and whole sites, open until their condition clears."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["opened_at", "severity"]


class OcppCommandViewSet(ScopedReadOnlyModelViewSet):
    """Every command sent to a station and its answer (poll one after POSTing it with wait=0)."""

    queryset = OcppCommand.objects.all()
    serializer_class = OcppCommandSerializer
    filterset_fields = ["charge_point", "action", "state"]


class CompatibilityRuleViewSet(ScopedModelViewSet):
    """Which vehicle inlet fits which connector type, directly or through an adapter (data, not code)."""

    queryset = CompatibilityRule.objects.all()
    serializer_class = CompatibilityRuleSerializer
    filterset_fields = ["inlet", "connector_type", "is_active"]


class CompatibleConnectorViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET /vehicles/{id}/compatible-connectors/: connectors the vehicle can use and the power it would get."""

    serializer_class = CompatibleConnectorSerializer
    pagination_class = PageNumberPagination
    queryset = Connector.objects.none()
    filter_backends = []  # its own parameters, below: a ranking the selector computes, not a filtered table
    sync_field = None

    @extend_schema(
        parameters=[
            OpenApiParameter("site", int, description="Only this site's connectors."),
            OpenApiParameter(
                "available", bool, description="true: only connectors Available now on a connected station."
            ),
        ]
    )
    def list(self, request, vehicle_pk=None):
        _require(request, "stations.view_connector")
        vehicle = get_object_or_404(fleet_selectors.vehicle_list(user=request.user), pk=vehicle_pk)
        site_id = query_id(request, "site")
        available = request.query_params.get("available", "").lower() in ("1", "true", "yes")
        found = selectors.compatible_connectors(
            vehicle=vehicle, user=request.user, site_id=site_id, available_only=available
        )
        page = self.paginate_queryset(found)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
