"""Charging-stop plans: the fastest plan for a vehicle's long trip (POST charging-stop-plans/) and booking its
stops (POST charging-stop-plans/book/). Nothing is stored by planning; booking stores the reservations."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ScopedViewSetMixin, StrictSerializer
from evfleet.api.errors import django_validation_error_to_drf
from fleet.models import Vehicle
from routing.services import stops as services
from stations.models import Site

PLAN_PERMISSIONS = ("fleet.view_vehicle", "stations.view_site")
BOOK_PERMISSIONS = (*PLAN_PERMISSIONS, "charging.add_reservation")


class ChargingStopRequestSerializer(StrictSerializer):
    vehicle = serializers.PrimaryKeyRelatedField(queryset=Vehicle.objects.select_related("vehicle_model", "department"))
    origin_site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True,
        help_text="Start at this site. Default: origin_latitude/longitude, else the vehicle's last position.",
    )  # fmt: skip
    origin_latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, help_text="°")
    origin_longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, help_text="°")
    destination_site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    destination_latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, help_text="°")
    destination_longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, help_text="°")
    departure_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    start_soc_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False, help_text="%. Default: the vehicle's latest SoC."
    )
    arrival_soc_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False,
        help_text="% required at the destination. Default: 20 % (at least the reserve).",
    )  # fmt: skip
    reserve_percent = serializers.FloatField(
        min_value=0, max_value=50, required=False,
        help_text="% that must hold at every point. Default: the department's operations policy reserve.",
    )  # fmt: skip

    def validate(self, attrs):
        for end in ("origin", "destination"):
            lat, lon = attrs.get(f"{end}_latitude"), attrs.get(f"{end}_longitude")
            if (lat is None) != (lon is None):
                raise serializers.ValidationError(
                    {f"{end}_longitude" if lon is None else f"{end}_latitude": "Give both latitude and longitude."}
                )
        if attrs.get("destination_site") is None and attrs.get("destination_latitude") is None:
            raise serializers.ValidationError(
                {"destination_site": "Give the destination as a site or as destination_latitude/longitude."}
            )
        return attrs


class StopSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    site_name = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    arrives_at = serializers.DateTimeField()
    departs_at = serializers.DateTimeField()
    arrival_soc_percent = serializers.FloatField()
    charge_to_soc_percent = serializers.FloatField()
    wait_minutes = serializers.FloatField()
    charge_minutes = serializers.FloatField()
    energy_kwh = serializers.FloatField()
    power_kw = serializers.FloatField()


class PlaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class TotalsSerializer(serializers.Serializer):
    drive_minutes = serializers.FloatField()
    charge_minutes = serializers.FloatField()
    wait_minutes = serializers.FloatField()
    total_minutes = serializers.FloatField()
    charged_kwh = serializers.FloatField()
    drive_kwh = serializers.FloatField()


class ChargingStopPlanSerializer(serializers.Serializer):
    vehicle = serializers.IntegerField()
    departure_at = serializers.DateTimeField()
    arrival_at = serializers.DateTimeField()
    origin = PlaceSerializer()
    destination = PlaceSerializer()
    start_soc_percent = serializers.FloatField()
    arrival_soc_percent = serializers.FloatField(help_text="% on arrival (the plan's, at least the required)")
    required_arrival_soc_percent = serializers.FloatField()
    reserve_percent = serializers.FloatField()
    ambient_temperature_c = serializers.FloatField()
    battery_temperature_c = serializers.FloatField(
        help_text="the battery at a stop (°C): the air's, or 20 °C when colder (driven and preconditioned)"
    )
    dc_power_factor = serializers.FloatField(help_text="share of the DC peak the battery accepts (temperature, health)")
    candidate_stations = serializers.IntegerField()
    legs = serializers.CharField(
        help_text="Where the legs' km and minutes came from: by road (the fastest paths on the imported road graph "
        "that holds the origin, the stations and the destination) or the great-circle estimate."
    )
    stops = StopSerializer(many=True)
    totals = TotalsSerializer()


class BookedSerializer(ChargingStopPlanSerializer):
    reservations = serializers.ListField(child=serializers.IntegerField(), help_text="ids, one per stop, in order")


def plan_from_request(request):
    serializer = ChargingStopRequestSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data["reserve_percent_"] = data.pop("reserve_percent", None)
    try:
        return services.charging_stop_plan(user=request.user, **data)
    except DjangoValidationError as error:
        raise django_validation_error_to_drf(error) from None


EXAMPLE = OpenApiExample(
    "Berlin to Hamburg",
    value={"vehicle": 12, "origin_latitude": 52.52, "origin_longitude": 13.40, "destination_latitude": 53.55,
           "destination_longitude": 9.99, "start_soc_percent": 35, "arrival_soc_percent": 20},
    request_only=True,
)  # fmt: skip


class ChargingStopPlanView(ScopedViewSetMixin, APIView):
    """The fastest plan (driving, waiting, charging along the vehicle's curve) for a vehicle in your departments,
    with the SoC above the reserve at every point and the required SoC at arrival. An impossible trip is a 400
    on `destination` (which gap is too long) or `arrival_soc_percent`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ChargingStopRequestSerializer, responses={200: ChargingStopPlanSerializer},
                   examples=[EXAMPLE])  # fmt: skip
    def post(self, request):
        if not all(request.user.has_perm(p) for p in PLAN_PERMISSIONS):
            raise PermissionDenied()
        result = plan_from_request(request)
        return Response(ChargingStopPlanSerializer(result.as_dict()).data)


class ChargingStopBookView(ScopedViewSetMixin, APIView):
    """Plan as above and book every stop at its estimated arrival for its wait and charge minutes (charging's
    reservations, never queued); all or nothing: a stop that cannot be booked is a 400 on `stops` naming it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ChargingStopRequestSerializer, responses={201: BookedSerializer}, examples=[EXAMPLE])
    def post(self, request):
        if not all(request.user.has_perm(p) for p in BOOK_PERMISSIONS):
            raise PermissionDenied()
        result = plan_from_request(request)
        try:
            booked = services.charging_stop_plan_book(actor=request.user, result=result)
        except DjangoValidationError as error:
            raise django_validation_error_to_drf(error) from None
        body = {**result.as_dict(), "reservations": [r.pk for r in booked]}
        return Response(BookedSerializer(body).data, status=status.HTTP_201_CREATED)
