from rest_framework import serializers

from accounts.models import Department
from charging import selectors
from charging.models import (
    ChargingSession,
    Reservation,
    ReservationDecision,
    ReservationPolicy,
    RoamingPolicy,
)
from evfleet.api.base import StrictModelSerializer, StrictSerializer
from fleet.models import Vehicle
from stations.models import Connector


class SessionSerializer(serializers.ModelSerializer):
    """A session from charging.selectors.session_list, whose annotations say what the reader may see of its
    vehicle: a host sees a visiting vehicle's fleet number or plate and department, not its id, VIN or tag."""

    site = serializers.IntegerField(source="charge_point.site_id", read_only=True)
    tariff = serializers.SerializerMethodField()
    vehicle = serializers.SerializerMethodField(
        help_text="The vehicle's id; null when unknown, or withheld (vehicle_hidden)."
    )
    vehicle_label = serializers.SerializerMethodField(
        help_text="Fleet number, else plate; the VIN only for a vehicle of your departments."
    )
    vehicle_department_name = serializers.CharField(
        source="vehicle_department.name", read_only=True, default=None, help_text="The vehicle's (or token's)."
    )
    vehicle_hidden = serializers.BooleanField(
        read_only=True,
        help_text="True for a visiting vehicle of a department outside yours: its id, VIN and RFID tag are withheld.",
    )
    id_tag = serializers.SerializerMethodField(help_text="The RFID tag it started with; null when withheld.")

    class Meta:
        model = ChargingSession
        fields = [
            "id",
            "transaction_id",
            "site",
            "charge_point",
            "connector",
            "vehicle",
            "vehicle_label",
            "vehicle_department",
            "vehicle_department_name",
            "vehicle_hidden",
            "customer",
            "id_tag",
            "authorization_status",
            "status",
            "started_at",
            "ended_at",
            "energy_kwh",
            "stop_reason",
            "reason",
            "remote_start_command",
            "tariff",
            "currency",
            "cost_excl_tax",
            "cost_tax",
            "cost_total",
            "priced_at",
            "departure_at",
            "target_soc_percent",
            "next_trip_kwh",
        ]

    def get_tariff(self, session) -> str | None:
        version = session.tariff_version
        return f"{version.tariff.name} v{version.number}" if version else None

    def get_vehicle(self, session) -> int | None:
        return None if session.vehicle_hidden else session.vehicle_id

    def get_vehicle_label(self, session) -> str | None:
        return selectors.session_vehicle_label(session)

    def get_id_tag(self, session) -> str | None:
        return None if session.vehicle_hidden else session.id_tag


class SessionDetailSerializer(SessionSerializer):
    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "cost_breakdown"]


# The largest trip energy we accept: above any battery on the road (a heavy truck's is under 1,000 kWh). Without
# a bound 1e308 kWh was planned for.
MAX_TRIP_KWH = 2000


class SessionNeedsSerializer(StrictSerializer):
    departure_at = serializers.DateTimeField(required=False, help_text="When the vehicle must leave charged.")
    target_soc_percent = serializers.FloatField(min_value=1, max_value=100, required=False,
                                                help_text="Default: 80 % (battery health).")  # fmt: skip
    next_trip_kwh = serializers.FloatField(
        min_value=0, max_value=MAX_TRIP_KWH, required=False, help_text="kWh, 0 to 2,000. Above 80 %, lifts the cap."
    )


class SessionStartSerializer(SessionNeedsSerializer):
    vehicle = serializers.PrimaryKeyRelatedField(queryset=Vehicle.objects.select_related("vehicle_model"))
    connector = serializers.PrimaryKeyRelatedField(queryset=Connector.objects.select_related("charge_point__site"))


class ReservationDecisionSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who decided: a username; null: the system."
    )

    class Meta:
        model = ReservationDecision
        fields = ["action", "reason", "details", "actor", "decided_at"]


class ReservationSerializer(StrictModelSerializer):
    queue = serializers.BooleanField(
        write_only=True,
        default=True,
        help_text="When nothing is free: join the site's queue (true) or be refused with the alternatives (false).",
    )
    decisions = ReservationDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "vehicle",
            "site",
            "requested_connector",
            "connector",
            "starts_at",
            "ends_at",
            "departure_at",
            "priority_class",
            "status",
            "reason",
            "session",
            "held_at_station",
            "queue",
            "decisions",
            "created_at",
        ]
        read_only_fields = [
            "connector",
            "priority_class",
            "status",
            "reason",
            "session",
            "held_at_station",
            "created_at",
        ]
        extra_kwargs = {
            "site": {"required": False, "allow_null": True},
            "requested_connector": {"help_text": "A specific connector; leave out to book any compatible one at site."},
        }


class ReservationPolicySerializer(StrictModelSerializer):
    class Meta:
        model = ReservationPolicy
        fields = ["id", "site", "allow_preemption", "max_duration_minutes", "no_show_grace_minutes"]


class RoamingPolicySerializer(StrictModelSerializer):
    allowed_departments = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Department.objects.all(),
        help_text="With mode 'listed': the departments (and their teams) whose vehicles may charge at the host's "
        "sites; any department's id, also outside your own tree. Not the host itself, its teams or its parents.",
    )

    class Meta:
        model = RoamingPolicy
        fields = ["id", "department", "mode", "allowed_departments", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        # Listing a department lets its vehicles charge here and shows nothing of it: not scoped to yours.
        fields["allowed_departments"].child_relation.queryset = Department.objects.all()
        return fields


class AlternativeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["other_connector", "later_window"])
    connector = serializers.IntegerField()
    connector_label = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    power_kw = serializers.CharField()
