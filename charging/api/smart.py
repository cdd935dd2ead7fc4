"""Smart-charging API: a site's circuits, its plans with their explanation, re-planning now, and what-if plans."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import scoped
from charging.api.serializers import MAX_TRIP_KWH
from charging.models import ChargingPlan, Circuit
from charging.optimizer.problem import PRIORITIES
from charging.services import smart
from evfleet.api.base import (
    ScopedModelViewSet,
    ScopedReadOnlyModelViewSet,
    ScopedViewSetMixin,
    StrictModelSerializer,
    StrictSerializer,
    takes_no_body,
)
from evfleet.api.errors import django_validation_error_to_drf
from fleet.models import Vehicle
from stations.models import Connector, Site


class CircuitSerializer(StrictModelSerializer):
    class Meta:
        model = Circuit
        fields = ["id", "site", "name", "parent", "max_power_kw", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        instance = Circuit(
            **{
                **({f.name: getattr(self.instance, f.name) for f in Circuit._meta.fields} if self.instance else {}),
                **attrs,
            }
        )
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        return attrs


class ChargingPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChargingPlan
        fields = [
            "id",
            "site",
            "trigger",
            "created_at",
            "starts_at",
            "step_minutes",
            "intervals",
            "status",
            "solve_ms",
            "objective",
            "energy_cost",
            "currency",
            "applied",
            "limit_kw",
            "price",
            "schedule",
            "explanation",
        ]


class CircuitViewSet(ScopedModelViewSet):
    """Circuits (feeders) of a site: the charge points wired to one share its limit (kW). They may nest."""

    queryset = Circuit.objects.select_related("site")
    serializer_class = CircuitSerializer
    filterset_fields = ["site"]


class ChargingPlanViewSet(ScopedReadOnlyModelViewSet):
    """Every plan made for a site (newest first): the trigger, the power per session and interval, and why."""

    queryset = ChargingPlan.objects.all()
    serializer_class = ChargingPlanSerializer
    filterset_fields = ["site", "trigger", "applied"]
    sync_field = "created_at"  # a plan never changes; a new one replaces it


class SitePlanView(ScopedViewSetMixin, APIView):
    """The site's current plan and its explanation (GET); re-plan now and, with smart charging on, send the
    stations their profiles (POST)."""

    permission_classes = [IsAuthenticated]

    def _site(self, request, site_id: int) -> Site:
        if not request.user.has_perm("charging.view_chargingplan"):
            raise PermissionDenied()
        return get_object_or_404(scoped(Site.objects.select_related("carbon_zone"), request.user), pk=site_id)

    @extend_schema(responses={200: ChargingPlanSerializer})
    def get(self, request, site_id: int):
        site = self._site(request, site_id)
        plan = smart.current_plan(site)
        if plan is None:
            return Response(
                {"code": "not_found", "message": f"No plan for {site.name} yet: POST to this address to plan now."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(ChargingPlanSerializer(plan).data)

    @extend_schema(request=None, responses={201: ChargingPlanSerializer})
    @takes_no_body
    def post(self, request, site_id: int):
        if not request.user.has_perm("charging.add_chargingplan"):
            raise PermissionDenied()
        site = self._site(request, site_id)
        plan = smart.plan_site(site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=site.smart_charging)
        if plan.status == "invalid":
            raise ValidationError(plan.explanation["errors"])
        return Response(ChargingPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class WhatIfVehicleSerializer(StrictSerializer):
    vehicle = serializers.PrimaryKeyRelatedField(queryset=Vehicle.objects.all(), required=False, allow_null=True)
    connector = serializers.PrimaryKeyRelatedField(queryset=Connector.objects.select_related("charge_point"))
    soc_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False, help_text="Default: the vehicle's latest SoC."
    )
    target_soc_percent = serializers.FloatField(
        min_value=1, max_value=100, required=False, help_text="Default: 80 % (battery health)."
    )
    next_trip_kwh = serializers.FloatField(
        min_value=0, max_value=MAX_TRIP_KWH, required=False, help_text="Energy the next trip needs, kWh (0 to 2,000)."
    )
    arrival = serializers.DateTimeField(required=False, help_text="Default: now.")
    departure = serializers.DateTimeField(required=False, help_text="Default: the end of the horizon.")
    priority = serializers.ChoiceField(choices=PRIORITIES, required=False)
    battery_temperature_c = serializers.FloatField(
        min_value=-40, max_value=60, required=False,
        help_text="°C, -40 to 60 (the battery model's range). Default: the vehicle's newest telemetry reading, as a "
        "real plan reads it (DC power follows the battery model: less in the cold, above 45 °C and when worn).",
    )  # fmt: skip
    state_of_health_percent = serializers.FloatField(
        min_value=1, max_value=100, required=False,
        help_text="%. Default: the vehicle's, as a real plan reads it (capacity, and DC power by the battery model).",
    )  # fmt: skip

    def validate(self, attrs):
        vehicle = attrs.get("vehicle")
        soc = attrs.get("soc_percent", vehicle.soc_percent if vehicle else None)
        target = attrs.get("target_soc_percent")
        if soc is not None and target is not None and target < soc:
            raise serializers.ValidationError(
                {"target_soc_percent": f"The target ({target} %) is below the current SoC ({soc} %)."}
            )
        if attrs.get("arrival") and attrs.get("departure") and attrs["departure"] <= attrs["arrival"]:
            raise serializers.ValidationError({"departure": "The departure must be after the arrival."})
        if vehicle is None and soc is None:
            attrs.setdefault("priority", "normal")
        return attrs


class WhatIfSerializer(StrictSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    include_current = serializers.BooleanField(default=True, help_text="Plan them together with today's sessions.")
    vehicles = WhatIfVehicleSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        for index, v in enumerate(attrs["vehicles"]):
            if v["connector"].charge_point.site_id != attrs["site"].pk:
                raise serializers.ValidationError({"vehicles": {index: {"connector": "Not a connector of this site."}}})
        return attrs


class WhatIfView(ScopedViewSetMixin, APIView):
    """A plan for the vehicles given (with or without the site's current sessions), computed and explained but
    never sent to the stations. A vehicle that cannot be served is listed with the reason."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=WhatIfSerializer, responses={201: ChargingPlanSerializer})
    def post(self, request):
        if not request.user.has_perm("charging.add_chargingplan"):  # a what-if is kept as a plan
            raise PermissionDenied()
        serializer = WhatIfSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        for v in data["vehicles"]:
            if v.get("vehicle") is not None:
                from stations.selectors import incompatibility_reason

                reason = incompatibility_reason(v["vehicle"], v["connector"])
                v["cannot"] = reason
        plan = smart.what_if(site=data["site"], vehicles=data["vehicles"], include_current=data["include_current"])
        if plan.status == "invalid":
            raise ValidationError(plan.explanation["errors"])
        return Response(ChargingPlanSerializer(plan).data, status=status.HTTP_201_CREATED)
