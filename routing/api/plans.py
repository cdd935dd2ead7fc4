"""API of the route plans: `/api/v1/route-plans/` (create with the jobs nested, list, read, delete), and the actions
`solve` (queued; the plan's `status` follows) and `commit` (the routes become operations routes and trips)."""

from django.db import models
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from evfleet.api.base import ScopedModelViewSet, StrictModelSerializer, TypedJSONField, takes_no_body
from operations.api.serializers import LocalTimeField
from routing.models import PlanJob, PlannedRoute, PlannedVisit, RoutePlan
from routing.services import plans as services


class OffsetDateTimeField(serializers.DateTimeField):
    """A moment with its offset: a job's window sent without one is refused, not read on some zone's clock (the
    user's here, the depot's in a CSV)."""

    default_error_messages = {
        "naive": "Give the time with its offset (2030-03-12T08:00:00+01:00, or Z for UTC): without one it is no moment."
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class PlanJobSerializer(StrictModelSerializer):
    serializer_field_mapping = {
        **StrictModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }

    class Meta:
        model = PlanJob
        fields = [
            "id", "sequence", "name", "address", "latitude", "longitude", "demand_kg", "service_minutes",
            "window_start", "window_end",
        ]  # fmt: skip
        read_only_fields = ["id", "sequence"]
        extra_kwargs = {
            "sequence": {"help_text": "Order of the job, 1 first: the order of the list sent."},
            "window_start": {"help_text": "Service may start from then: ISO 8601 with offset, on the service date."},
            "window_end": {"help_text": "Service must start by then: ISO 8601 with offset, after window_start."},
        }
        validators = []

    def validate(self, attrs):
        start, end = attrs.get("window_start"), attrs.get("window_end")
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"window_end": [serializers.ErrorDetail("The window must close after it opens.", code="window_order")]}
            )
        return attrs


class PlannedVisitSerializer(serializers.ModelSerializer):
    job_name = serializers.CharField(source="job.name", read_only=True, allow_null=True, default=None)
    site_name = serializers.CharField(source="site.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = PlannedVisit
        fields = [
            "sequence", "kind", "job", "job_name", "site", "site_name", "arrives_at", "starts_at", "departs_at",
            "battery_kwh", "charge_kwh", "charge_minutes",
        ]  # fmt: skip
        read_only_fields = fields


class PlannedRouteSerializer(serializers.ModelSerializer):
    visits = PlannedVisitSerializer(many=True, read_only=True, help_text="Jobs and charging stops, in order.")

    class Meta:
        model = PlannedRoute
        fields = [
            "number", "vehicle", "distance_km", "energy_kwh", "load_kg", "departs_at", "returns_at",
            "operations_routes", "trips", "visits",
        ]  # fmt: skip
        read_only_fields = fields


RESULT_SCHEMA = {
    "type": "object",
    "description": "Empty until solved. The instance the plan was solved with and the solver's figures.",
    "properties": {
        "vehicles": {"type": "integer"},
        "distance_km": {"type": "number"},
        "seconds": {"type": "number", "description": "Solver time, s."},
        "feasible": {"type": "boolean", "description": "The solver-independent check of the routes."},
        "violations": {"type": "array", "items": {"type": "string"}},
        "rule": {"type": "string", "description": "How a mixed fleet was planned."},
        "battery_kwh": {"type": "number"},
        "payload_kg": {"type": "number"},
        "kwh_per_km": {"type": "number"},
        "speed_kmh": {"type": "number"},
        "recharge_min_per_kwh": {"type": "number"},
        "ambient_c": {"type": "number"},
        "temperature_source": {"type": "string"},
        "reserve_percent": {"type": "number"},
        "distances": {"type": "string", "description": "Where the km between the points came from, in words."},
        "distance_source": {
            "type": "string",
            "enum": ["road_graph", "great_circle"],
            "description": "road_graph: the shortest paths on an imported road graph that holds every point; "
            "great_circle: great-circle km × 1.3 (no graph holds them all).",
        },
        "road_graph": {"type": "string", "nullable": True, "description": "The road graph's region, or null."},
        "clipped_windows": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The jobs whose windows reach beyond the plan's day, cut to it (the routes and trips "
            "use the cut windows).",
        },
    },
}


class RoutePlanSerializer(StrictModelSerializer):
    jobs = PlanJobSerializer(
        many=True,
        max_length=services.MAX_JOBS,
        help_text=f"The stops to serve, 1 to {services.MAX_JOBS}; sent whole when the plan is made.",
    )
    routes = PlannedRouteSerializer(many=True, read_only=True, help_text="The solved routes; empty until solved.")
    day_starts = LocalTimeField(required=False, help_text="When vehicles may leave, the depot's local time (06:00).")
    day_ends = LocalTimeField(required=False, help_text="When every vehicle is back, the depot's local time (20:00).")
    result = TypedJSONField(schema=RESULT_SCHEMA, read_only=True)

    class Meta:
        model = RoutePlan
        fields = [
            "id", "department", "name", "depot", "service_date", "day_starts", "day_ends", "vehicles",
            "time_limit_s", "status", "message", "result", "created_by", "solved_at", "committed_at", "jobs",
            "routes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "status", "message", "created_by", "solved_at", "committed_at", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {
            "department": {
                "required": False,
                "help_text": "Default: the depot's department when it is yours or below it, else yours.",
            },
            "vehicles": {"help_text": "Ids of the vehicles offered, at least one, of the plan's department."},
        }


EXAMPLE = {
    "name": "Tuesday deliveries",
    "depot": 3,
    "service_date": "2030-03-12",
    "day_starts": "07:00",
    "day_ends": "18:00",
    "vehicles": [11, 12],
    "time_limit_s": 30,
    "jobs": [
        {
            "name": "Bakery Mitte", "latitude": 52.53, "longitude": 13.385, "demand_kg": 120, "service_minutes": 10,
            "window_start": "2030-03-12T08:00:00+01:00", "window_end": "2030-03-12T10:00:00+01:00",
        }
    ],
}  # fmt: skip


@extend_schema(examples=[OpenApiExample("A plan with one job", value=EXAMPLE, request_only=True)])
class RoutePlanViewSet(ScopedModelViewSet):
    """Multi-vehicle route plans (E-VRPTW): jobs with demand (kg), service (min) and time windows, served by the
    vehicles offered within their payload and battery, recharging at the depot and the department's sites. A plan
    is refused whole when it cannot be served (the error names the job and why). `solve` queues the solver;
    `commit` makes each route operations routes and trips (one per leg between charges), all or nothing."""

    queryset = RoutePlan.objects.all()
    serializer_class = RoutePlanSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    filterset_fields = ["department", "depot", "status", "service_date"]
    search_fields = ["name"]
    ordering_fields = ["service_date", "updated_at"]

    def get_base_queryset(self):
        return RoutePlan.objects.select_related("depot").prefetch_related(
            "vehicles",
            "jobs",
            "routes__visits__job",
            "routes__visits__site",
            "routes__trips",
            "routes__operations_routes",
        )

    def create_object(self, data):
        data = dict(data)
        jobs = [dict(j) for j in data.pop("jobs", [])]
        vehicles = list(data.pop("vehicles", []))
        if "department" not in data:
            data["department"] = services.plan_department(actor=self.request.user, depot=data["depot"])
        plan = services.plan_create(actor=self.request.user, vehicles=vehicles, jobs=jobs, **data)
        return self.get_base_queryset().get(pk=plan.pk)

    def delete_object(self, instance):
        services.plan_delete(actor=self.request.user, plan=instance)

    def _answer(self, request, plan):
        plan = self.get_base_queryset().get(pk=plan.pk)
        return Response(RoutePlanSerializer(plan, context={"request": request}).data)

    @extend_schema(request=None, responses={200: RoutePlanSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def solve(self, request, pk=None):
        """Queue the solve: `status` becomes "solving", then "solved" (with `routes`) or "failed" (with `message`)."""
        if not request.user.has_perm("routing.change_routeplan"):
            raise PermissionDenied()
        plan = services.plan_solve(actor=request.user, plan=self.get_object())
        return self._answer(request, plan)

    @extend_schema(request=None, responses={200: RoutePlanSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def commit(self, request, pk=None):
        """Make each solved route operations routes and trips of its vehicle, one per leg between charging stops (a
        trip of operations knows no charging stop), all or nothing; a
        refusal of operations (an overlapping trip, a departure in the past…) names the route (`routes[N]`)."""
        if not request.user.has_perms(["routing.change_routeplan", "operations.add_trip", "operations.add_route"]):
            raise PermissionDenied()
        plan = services.plan_commit(actor=request.user, plan=self.get_object())
        return self._answer(request, plan)
