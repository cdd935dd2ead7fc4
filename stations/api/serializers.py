from rest_framework import serializers

from evfleet.api.base import StrictModelSerializer, StrictSerializer
from stations import selectors
from stations.models import (
    Alert,
    ChargePoint,
    CompatibilityRule,
    Connector,
    ConnectorStatusChange,
    MaintenanceWindow,
    OcppCommand,
    OcppMessage,
    Site,
)
from stations.ocpp.commands import COMMANDS


class SiteSerializer(StrictModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="Derived: operational, partial, faulted or offline, from the site's charge points."
    )

    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "department",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "grid_limit_kw",
            "holiday_calendar",
            "carbon_zone",
            "smart_charging",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_status(self, site: Site) -> str:
        return selectors.site_status(site)


class ConnectorSerializer(StrictModelSerializer):
    class Meta:
        model = Connector
        fields = [
            "id",
            "charge_point",
            "evse_id",
            "connector_id",
            "connector_type",
            "current_type",
            "max_power_kw",
            "max_current_a",
            "nominal_voltage_v",
            "bidirectional",
            "status",
            "status_since",
            "error_code",
            "status_info",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "status_since", "error_code", "status_info", "created_at", "updated_at"]


class NestedConnectorSerializer(ConnectorSerializer):
    class Meta(ConnectorSerializer.Meta):
        fields = [f for f in ConnectorSerializer.Meta.fields if f not in ("charge_point", "created_at", "updated_at")]
        read_only_fields = fields


class ChargePointSerializer(StrictModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        min_length=16,
        max_length=40,
        help_text="OCPP security profile 1: the station's basic-auth password (16 to 40 characters); empty: none.",
    )
    has_password = serializers.SerializerMethodField()
    connectors = NestedConnectorSerializer(many=True, read_only=True)
    # Declared: a read-only model field loses allow_blank, and the schema would not admit "" (never connected).
    protocol = serializers.ChoiceField(
        choices=ChargePoint.Protocol.choices,
        allow_blank=True,
        read_only=True,
        help_text="The OCPP version the station last connected with; empty until it first connects.",
    )

    class Meta:
        model = ChargePoint
        fields = [
            "id",
            "identity",
            "site",
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "firmware_status",
            "protocol",
            "registration_status",
            "heartbeat_interval_s",
            "circuit",
            "max_power_kw",
            "password",
            "has_password",
            "is_connected",
            "last_seen_at",
            "last_heartbeat_at",
            "status",
            "status_since",
            "connectors",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "firmware_status",
            "protocol",
            "is_connected",
            "last_seen_at",
            "last_heartbeat_at",
            "status",
            "status_since",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        circuit = attrs.get("circuit", getattr(self.instance, "circuit", None))
        site = attrs.get("site", getattr(self.instance, "site", None))
        if circuit is not None and (site is None or circuit.site_id != site.pk):
            raise serializers.ValidationError(
                {"circuit": f"{circuit.name} is a circuit of {circuit.site}, not of {site}."}
            )
        return attrs

    def validate_site(self, site):
        user = self.context["request"].user
        if site is None and not user.is_admin:
            raise serializers.ValidationError(
                "Choose a site; only administrators keep stations unassigned.", code="required"
            )
        return site

    def get_has_password(self, charge_point: ChargePoint) -> bool:
        return bool(charge_point.password_hash)


class MaintenanceWindowSerializer(StrictModelSerializer):
    class Meta:
        model = MaintenanceWindow
        fields = ["id", "charge_point", "starts_at", "ends_at", "reason", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]


class CommandRequestSerializer(StrictSerializer):
    action = serializers.ChoiceField(
        choices=sorted({a for actions in COMMANDS.values() for a in actions}),
        help_text="OCPP action; 1.6 and 2.0.1 names differ (RemoteStartTransaction vs RequestStartTransaction).",
    )
    vehicle = serializers.IntegerField(
        required=False,
        help_text="Remote start only: the vehicle to charge. Its compatibility with the connector is checked and its "
        "RFID token is used when the payload names none.",
    )
    payload = serializers.DictField(
        default=dict, help_text='The OCPP request payload in the protocol\'s own camelCase, e.g. {"type": "Soft"}.'
    )


class OcppCommandSerializer(serializers.ModelSerializer):
    class Meta:
        model = OcppCommand
        fields = [
            "id",
            "charge_point",
            "action",
            "request",
            "state",
            "response",
            "error",
            "requested_by",
            "created_at",
            "answered_at",
        ]
        read_only_fields = fields


class OcppMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = OcppMessage
        fields = [
            "id",
            "charge_point",
            "identity",
            "direction",
            "message_type",
            "action",
            "unique_id",
            "payload",
            "raw",
            "logged_at",
        ]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "severity",
            "site",
            "charge_point",
            "connector",
            "message",
            "details",
            "opened_at",
            "last_seen_at",
            "occurrences",
            "resolved_at",
        ]
        read_only_fields = fields


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConnectorStatusChange
        fields = ["status", "error_code", "info", "changed_at"]
        read_only_fields = fields


class AvailabilitySerializer(serializers.Serializer):
    connector = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    available_seconds = serializers.FloatField()
    period_seconds = serializers.FloatField()
    availability_percent = serializers.FloatField(help_text="Share of the period the connector could serve, in %.")


class CompatibilityRuleSerializer(StrictModelSerializer):
    class Meta:
        model = CompatibilityRule
        fields = ["id", "inlet", "connector_type", "adapter", "max_power_kw", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class CompatibleConnectorSerializer(serializers.Serializer):
    connector = NestedConnectorSerializer()
    charge_point = serializers.IntegerField(source="connector.charge_point_id")
    charge_point_identity = serializers.CharField(source="connector.charge_point.identity")
    site = serializers.IntegerField(
        source="connector.charge_point.site_id",
        allow_null=True,
        help_text="The charge point's site; null for a station not yet assigned to one (administrators see those).",
    )
    power_kw = serializers.DecimalField(max_digits=6, decimal_places=1, help_text="Power the vehicle would get, in kW.")
    limited_by = serializers.ChoiceField(choices=["connector", "vehicle", "adapter"])
    adapter = serializers.CharField(help_text="Adapter needed; empty for a direct fit.")
