import csv

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from charging import selectors, services
from charging.api.serializers import (
    AlternativeSerializer,
    ReservationPolicySerializer,
    ReservationSerializer,
    RoamingPolicySerializer,
    SessionDetailSerializer,
    SessionNeedsSerializer,
    SessionSerializer,
    SessionStartSerializer,
)
from charging.models import (
    ChargingSession,
    Reservation,
    ReservationPolicy,
    RoamingPolicy,
)
from evfleet.api.base import (
    ScopedModelViewSet,
    ScopedReadOnlyModelViewSet,
    ScopedViewSetMixin,
    takes_no_body,
)
from evfleet.api.errors import django_validation_error_to_drf
from evfleet.api.filters import AwareIsoDateTimeFilter, FilterSet
from evfleet.api.ids import IdFilter, query_id
from evfleet.api.times import query_instant
from evfleet.spreadsheet import csv_row


def _require(request, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied()


def _field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


class SessionFilter(FilterSet):
    site = IdFilter(field_name="charge_point__site")
    started_after = AwareIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = AwareIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    ended_after = AwareIsoDateTimeFilter(
        field_name="ended_at", lookup_expr="gte", help_text="Sessions that ended at or after this instant."
    )
    vehicle_search = django_filters.CharFilter(
        method="filter_vehicle_search",
        help_text="Text in the vehicle's fleet number, licence plate or VIN (not a visiting vehicle's VIN).",
    )
    priced_after = AwareIsoDateTimeFilter(
        field_name="priced_at",
        lookup_expr="gte",
        help_text="Sessions priced (or re-priced) at or after this instant: their cost is final from then on.",
    )

    class Meta:
        model = ChargingSession
        fields = ["vehicle", "customer", "status", "connector", "charge_point"]

    def filter_vehicle_search(self, queryset, name, value):
        text = value.strip()
        return queryset.filter(
            Q(vehicle__vin__icontains=text, vehicle_hidden=False)  # as the sessions page searches
            | Q(vehicle__fleet_number__icontains=text)
            | Q(vehicle__license_plate__icontains=text)
        )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "id", "transaction_id", "site", "charge_point", "connector", "vehicle", "customer", "status", "started_at",
    "ended_at", "energy_kwh", "tariff", "currency", "cost_excl_tax", "cost_tax", "cost_total",
]  # fmt: skip


class SessionViewSet(ScopedReadOnlyModelViewSet):
    """Charging sessions with their cost; the detail has the line-by-line breakdown."""

    queryset = ChargingSession.objects.all()
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["started_at", "energy_kwh", "cost_total"]
    filtered_actions = ("list", "export")

    def get_queryset(self):
        return selectors.session_list(user=self.request.user)

    def get_serializer_class(self):
        return SessionDetailSerializer if self.action == "retrieve" else SessionSerializer

    def _hosted(self) -> ChargingSession:
        """A session to change: only the department of its site may (the vehicle's department only sees it)."""
        session = self.get_object()
        if not session.at_own_site:
            raise PermissionDenied(
                f"Session {session.pk} is at another department's site: only that department may stop it or set its "
                "needs."
            )
        return session

    @extend_schema(request=SessionStartSerializer, responses={201: SessionDetailSerializer})
    def create(self, request):
        """Start charging a vehicle at a connector now (a remote start). The session is pending until the
        station reports its transaction, and fails if the station refuses."""
        _require(request, "charging.add_chargingsession")
        serializer = SessionStartSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        needs = {name: data.pop(name) for name in services.NEEDS if name in data}
        try:
            with transaction.atomic():
                session = services.session_start(actor=request.user, **data)
                if needs:
                    services.session_needs_update(session=session, actor=request.user, **needs)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        session = self.get_queryset().get(pk=session.pk)
        return Response(SessionDetailSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SessionNeedsSerializer, responses={200: SessionDetailSerializer})
    @action(detail=True, methods=["post"])
    def needs(self, request, pk=None):
        """Set when the vehicle must leave, its target SoC or its next trip's energy: smart charging re-plans."""
        _require(request, "charging.change_chargingsession")
        session = self._hosted()
        serializer = SessionNeedsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            services.session_needs_update(session=session, actor=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        return Response(SessionDetailSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses={202: SessionDetailSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def stop(self, request, pk=None):
        """Stop a session: a remote stop to the station (or, before it started, cancel it)."""
        _require(request, "charging.change_chargingsession")
        session = self._hosted()
        try:
            services.session_stop(actor=request.user, session=session)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        return Response(SessionDetailSerializer(self.get_queryset().get(pk=pk)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered sessions as CSV, with cost columns (streamed)."""
        sessions = self.filter_queryset(self.get_queryset())
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(EXPORT_COLUMNS)
            for s in sessions.iterator(chunk_size=2000):
                version = s.tariff_version
                yield writer.writerow(
                    csv_row([  # names typed by people: never a live formula in a spreadsheet
                        s.pk, s.transaction_id, s.charge_point.site.name if s.charge_point.site_id else "",
                        s.charge_point.identity, s.connector.evse_id, selectors.session_vehicle_column(s),
                        s.customer.name if s.customer_id else "", s.status, s.started_at.isoformat(),
                        s.ended_at.isoformat() if s.ended_at else "", s.energy_kwh,
                        f"{version.tariff.name} v{version.number}" if version else "", s.currency,
                        s.cost_excl_tax if s.cost_excl_tax is not None else "",
                        s.cost_tax if s.cost_tax is not None else "",
                        s.cost_total if s.cost_total is not None else "",
                    ])
                )  # fmt: skip

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="sessions.csv"'
        return response


class ReservationFilter(FilterSet):
    after = AwareIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    before = AwareIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Reservation
        fields = ["vehicle", "site", "connector", "status"]


def _alternatives_params(request) -> dict:
    from django.utils.dateparse import parse_datetime

    from fleet import selectors as fleet_selectors
    from stations import selectors as station_selectors

    params, user = request.query_params, request.user
    ids = {name: query_id(request, name) for name in ("vehicle", "connector", "site")}
    vehicle = fleet_selectors.vehicle_list(user=user).filter(pk=ids["vehicle"] or 0).first()
    if vehicle is None:
        raise _field_error("vehicle", "Give a vehicle id in your departments.", "required")
    connector = site = None
    if ids["connector"]:
        connector = station_selectors.connector_list(user=user).filter(pk=ids["connector"]).first()
        if connector is None:
            raise _field_error("connector", "No such connector in your departments.", "does_not_exist")
        site = connector.charge_point.site
    elif ids["site"]:
        site = station_selectors.site_list(user=user).filter(pk=ids["site"]).first()
    if site is None:
        raise _field_error("site", "Give a connector, or a site in your departments.", "required")
    window = {}
    for name in ("starts_at", "ends_at"):
        moment = parse_datetime(params.get(name, ""))
        if moment is None or moment.tzinfo is None:
            raise _field_error(name, "Give an ISO 8601 time with its offset, e.g. 2026-06-10T08:00:00Z.", "invalid")
        window[name] = query_instant(name, moment)
    if window["ends_at"] <= window["starts_at"]:
        raise _field_error("ends_at", "The window must end after it starts.", "invalid")
    return {"vehicle": vehicle, "site": site, "connector": connector, **window}


class ReservationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Bookings of connectors: confirmed, queued by priority, pre-empted by a critical vehicle, cancelled.
    Every decision is recorded with its reason."""

    queryset = Reservation.objects.select_related("vehicle", "site", "connector__charge_point").prefetch_related(
        "decisions__actor"
    )
    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter
    ordering_fields = ["starts_at", "created_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        try:
            serializer.instance = services.reservation_request(
                actor=self.request.user,
                vehicle=data["vehicle"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                site=data.get("site"),
                connector=data.get("requested_connector"),
                departure_at=data.get("departure_at"),
                queue=data.get("queue", True),
            )
        except DjangoValidationError as exc:  # the service says "connector"; this API calls it requested_connector
            errors = django_validation_error_to_drf(exc).detail
            renamed = {("requested_connector" if k == "connector" else k): v for k, v in errors.items()}
            raise ValidationError(renamed) from None

    @extend_schema(request=None, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def cancel(self, request, pk=None):
        """Cancel a queued or held reservation; a held connector is offered to the queue."""
        _require(request, "charging.change_reservation")
        reservation = self.get_object()
        try:
            services.reservation_cancel(actor=request.user, reservation=reservation)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        return Response(ReservationSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("vehicle", int, required=True),
            OpenApiParameter("connector", int, description="The connector wanted (or give site)."),
            OpenApiParameter("site", int, description="Any compatible connector at this site."),
            OpenApiParameter("starts_at", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("ends_at", OpenApiTypes.DATETIME, required=True),
        ],
        responses={200: AlternativeSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def alternatives(self, request):
        """For a window a vehicle cannot get: other compatible connectors free in the same window, else the
        earliest window of the same length on the connector wanted."""
        params = _alternatives_params(request)
        options = services.alternatives(**params)
        return Response([option.as_dict() for option in options])


class ReservationPolicyViewSet(ScopedModelViewSet):
    """Per site: the longest booking, the no-show grace, whether critical vehicles may pre-empt."""

    queryset = ReservationPolicy.objects.select_related("site")
    serializer_class = ReservationPolicySerializer
    filterset_fields = ["site"]


class RoamingPolicyViewSet(ScopedModelViewSet):
    """Per department: which other departments' vehicles may charge at its sites (its teams' too, unless a team
    has its own). Stations' Authorize, StartTransaction and TransactionEvent are answered by it."""

    queryset = RoamingPolicy.objects.select_related("department").prefetch_related("allowed_departments")
    serializer_class = RoamingPolicySerializer
    filterset_fields = ["department", "mode"]

    def create_object(self, data):
        return services.roaming_policy_save(
            actor=self.request.user,
            department=data["department"],
            mode=data.get("mode", RoamingPolicy.Mode.NONE),
            allowed_departments=data.get("allowed_departments", []),
        )

    def update_object(self, instance, data):
        return services.roaming_policy_save(
            actor=self.request.user,
            department=data.get("department", instance.department),
            mode=data.get("mode", instance.mode),
            allowed_departments=data.get("allowed_departments", list(instance.allowed_departments.all())),
            policy=instance,
        )

    def delete_object(self, instance):
        services.roaming_policy_delete(actor=self.request.user, policy=instance)
