"""Route plans API: the shortest, fastest and least-energy routes for a vehicle between two places, compared."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ApiViewMixin, StrictSerializer
from fleet.models import Vehicle
from routing.paths import RouteError
from routing.services.paths import Place, route_plan_compute
from stations.models import Site

PERMISSIONS = ("routing.view_roadgraph", "fleet.view_vehicle")
PLACE_FORMS = "Give either a site or both latitude and longitude."


class PlaceSerializer(StrictSerializer):
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True, help_text="A site of your departments."
    )
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, help_text="Degrees (WGS84).")
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, help_text="Degrees (WGS84).")

    def validate(self, attrs):
        site = attrs.get("site")
        has_point = "latitude" in attrs or "longitude" in attrs
        if site is not None and has_point:
            raise serializers.ValidationError({"site": f"Both a site and coordinates were given. {PLACE_FORMS}"})
        if site is None:
            missing = [name for name in ("latitude", "longitude") if name not in attrs]
            if missing:
                raise serializers.ValidationError(dict.fromkeys(missing, f"This field is required. {PLACE_FORMS}"))
        return attrs


class RoadRouteRequestSerializer(StrictSerializer):
    vehicle = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.select_related("vehicle_model", "department"),
        help_text="A vehicle of your departments: its model's energy parameters and its state of health count.",
    )
    origin = PlaceSerializer()
    destination = PlaceSerializer()
    departs_at = serializers.DateTimeField(
        required=False, help_text="Departure (the hour's typical traffic and the forecast temperature). Default: now."
    )


class RouteDifferenceSerializer(serializers.Serializer):
    km_percent = serializers.FloatField(help_text="Distance against the fastest route, %.")
    kwh_percent = serializers.FloatField(help_text="Energy against the fastest route, %.")
    minutes = serializers.FloatField(help_text="Driving time against the fastest route, minutes (+ is longer).")


class PlannedRouteSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["shortest", "fastest", "least_energy"], help_text="What it minimises.")
    label = serializers.CharField()
    km = serializers.FloatField(help_text="Distance, km.")
    minutes = serializers.FloatField(help_text="Driving time at the hour's typical traffic, minutes.")
    kwh = serializers.FloatField(help_text="Battery energy with the vehicle's model at the forecast temperature, kWh.")
    battery_percent = serializers.FloatField(help_text="kWh as % of the usable battery at its state of health.")
    vs_fastest = RouteDifferenceSerializer()
    polyline = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[latitude, longitude] pairs along the route.",
    )


class ProviderRouteSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["osrm", "valhalla"])
    label = serializers.CharField()
    km = serializers.FloatField(allow_null=True, help_text="Its distance, km (null when it failed).")
    minutes = serializers.FloatField(allow_null=True, help_text="Its driving time, minutes.")
    kwh = serializers.FloatField(allow_null=True, help_text="Our energy model along it at its mean speed, kWh.")
    polyline = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    error = serializers.CharField(help_text="Why it gave no route; empty when it did.")


class RoadRouteSerializer(serializers.Serializer):
    vehicle = serializers.IntegerField()
    region = serializers.CharField(help_text="The imported road graph searched.")
    departs_at = serializers.DateTimeField()
    ambient_c = serializers.FloatField(help_text="Temperature at the origin at departure, °C.")
    temperature_source = serializers.CharField(help_text='The weather feed\'s source, or "normals".')
    vehicle_source = serializers.CharField(help_text="Where the vehicle's energy parameters come from.")
    capacity_kwh = serializers.FloatField(help_text="Usable battery at the state of health, kWh.")
    origin_snap_m = serializers.FloatField(help_text="From the origin to the nearest junction, m.")
    destination_snap_m = serializers.FloatField(help_text="From the destination to the nearest junction, m.")
    routes = PlannedRouteSerializer(many=True)
    providers = ProviderRouteSerializer(many=True, help_text="The configured OSRM / Valhalla servers' routes.")


EXAMPLE = {
    "vehicle": 12,
    "origin": {"latitude": 60.1699, "longitude": 24.9384},
    "destination": {"site": 3},
    "departs_at": "2026-12-03T07:30:00Z",
}


class RoadRouteView(ApiViewMixin, APIView):
    """The shortest, fastest and least-energy routes for one of your vehicles from an origin to a destination (a
    site, or coordinates inside an imported road graph), each measured in km, minutes and kWh. Nothing is
    stored. A point outside every imported graph, far from any road, or with no road joining the two is a 400
    naming `origin` or `destination`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RoadRouteRequestSerializer,
        responses={200: RoadRouteSerializer},
        examples=[OpenApiExample("From a point to a site", value=EXAMPLE, request_only=True)],
    )
    def post(self, request):
        if not request.user.has_perms(PERMISSIONS):
            raise PermissionDenied()
        serializer = RoadRouteRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        places = {}
        for name in ("origin", "destination"):
            given = data[name]
            site = given.get("site")
            places[name] = (
                Place(site.latitude, site.longitude, site) if site else Place(given["latitude"], given["longitude"])
            )
        try:
            result = route_plan_compute(
                vehicle=data["vehicle"],
                origin=places["origin"],
                destination=places["destination"],
                departs_at=data.get("departs_at") or timezone.now(),
            )
        except RouteError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        plan = result.plan.as_dict()
        body = {
            "vehicle": result.vehicle.pk,
            "region": result.region,
            "departs_at": result.departs_at,
            "ambient_c": result.ambient_c,
            "temperature_source": result.temperature_source,
            "vehicle_source": result.vehicle_source,
            "capacity_kwh": result.capacity_kwh,
            "origin_snap_m": plan["origin_snap_m"],
            "destination_snap_m": plan["destination_snap_m"],
            "routes": result.comparison(),
            "providers": [p.as_dict() for p in result.providers],
        }
        return Response(RoadRouteSerializer(body).data)
