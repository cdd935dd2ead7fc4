from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department, default_time_zone, validate_time_zone
from evfleet.models import TimeStampedModel
from fleet.connectors import ConnectorType

validate_ocpp_identity = RegexValidator(
    r"^[A-Za-z0-9._:*\-]{1,48}$",
    message="An OCPP identity has 1 to 48 letters, digits or . _ - : * (it is the last part of the station's URL).",
    code="invalid_identity",
)


class Site(TimeStampedModel):
    """A depot: a place with a grid connection and charge points."""

    name = models.CharField("name", max_length=120)
    department = models.ForeignKey(
        Department, verbose_name="department", on_delete=models.PROTECT, related_name="sites"
    )
    address = models.CharField("address", max_length=250, blank=True)
    latitude = models.FloatField("latitude (°)", validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)])
    longitude = models.FloatField("longitude (°)", validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)])
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA time zone of the site, e.g. Europe/Berlin; tariffs and pages use its local time.",
    )
    grid_limit_kw = models.DecimalField(
        "grid connection limit (kW)",
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="The most power in kW the site may draw from its grid connection.",
    )
    holiday_calendar = models.ForeignKey(
        "pricing.HolidayCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
        help_text="Public holidays here, which tariffs price as the calendar says (a Sunday by default).",
    )
    smart_charging = models.BooleanField(
        "smart charging",
        default=False,
        help_text="Plan every session's power under the site's limits and prices, and send the stations charging "
        "profiles (OCPP SetChargingProfile).",
    )
    carbon_zone = models.ForeignKey(
        "analytics.CarbonZone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
        help_text="The grid region whose carbon intensity prices this site's charging in g CO2e/kWh.",
    )

    scope_field = "department"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="site_unique_name_per_department"),
            models.CheckConstraint(condition=Q(grid_limit_kw__gt=0), name="site_grid_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ChargePoint(TimeStampedModel):
    """A charging station speaking OCPP to this platform, with one or more connectors."""

    class Protocol(models.TextChoices):
        OCPP16 = "ocpp1.6", "OCPP 1.6J"
        OCPP201 = "ocpp2.0.1", "OCPP 2.0.1"

    class Registration(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    class Status(models.TextChoices):
        OPERATIONAL = "operational", "Operational"
        PARTIAL = "partial", "Partially operational"
        MAINTENANCE = "maintenance", "Under maintenance"
        FAULTED = "faulted", "Faulted"
        OFFLINE = "offline", "Offline"

    identity = models.CharField(
        "OCPP identity",
        max_length=48,
        unique=True,
        validators=[validate_ocpp_identity],
        help_text="The station connects to ws://HOST/ocpp/<identity>.",
    )
    site = models.ForeignKey(
        Site,
        verbose_name="site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charge_points",
        help_text="Empty only for an unknown station held as pending until an administrator assigns it.",
    )
    vendor = models.CharField("vendor", max_length=50, blank=True)
    model = models.CharField("model", max_length=50, blank=True)
    serial_number = models.CharField("serial number", max_length=50, blank=True)
    firmware_version = models.CharField("firmware version", max_length=50, blank=True)
    firmware_status = models.CharField("firmware status", max_length=40, blank=True)
    protocol = models.CharField("protocol", max_length=10, choices=Protocol.choices, blank=True)
    registration_status = models.CharField(
        "registration", max_length=10, choices=Registration.choices, default=Registration.ACCEPTED
    )
    password_hash = models.CharField(
        "OCPP password (hashed)",
        max_length=128,
        blank=True,
        editable=False,
        help_text="Security profile 1: the station sends it with HTTP basic auth. Empty: no password required.",
    )
    heartbeat_interval_s = models.PositiveIntegerField(
        "heartbeat interval (s)", default=300, validators=[MinValueValidator(10), MaxValueValidator(86400)]
    )
    is_connected = models.BooleanField("connected", default=False, editable=False)
    connection_token = models.CharField(
        "connection token",
        max_length=80,
        blank=True,
        editable=False,
        help_text="The WebSocket that holds the station (server process and socket); a newer one replaces it, "
        "and only the socket named here marks the station offline when it closes.",
    )
    connection_checked_at = models.DateTimeField(
        "socket confirmed",
        null=True,
        blank=True,
        editable=False,
        help_text="When the server process holding the station's socket last confirmed it open.",
    )
    last_seen_at = models.DateTimeField("last message", null=True, blank=True, editable=False)
    last_heartbeat_at = models.DateTimeField("last heartbeat", null=True, blank=True, editable=False)
    booted_at = models.DateTimeField(
        "last boot",
        null=True,
        blank=True,
        editable=False,
        help_text="Its latest BootNotification: a transaction it does not carry on after it is closed.",
    )
    status = models.CharField("status", max_length=12, choices=Status.choices, default=Status.OFFLINE, editable=False)
    status_since = models.DateTimeField("status since", null=True, blank=True, editable=False)
    circuit = models.ForeignKey(
        "charging.Circuit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charge_points",
        help_text="The feeder or circuit it is wired to (its limit is shared by the charge points on it).",
    )
    max_power_kw = models.DecimalField(
        "max power (kW)",
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="The most the charge point may draw across all its connectors, in kW. Empty: their sum.",
    )

    scope_field = "site__department"

    class Meta:
        ordering = ["identity"]
        indexes = [
            # the heartbeat watchdog: connected stations by last message
            models.Index(fields=["is_connected", "last_seen_at"], name="chargepoint_watchdog_idx"),
        ]

    def __str__(self) -> str:
        return self.identity


class Connector(TimeStampedModel):
    """One plug of a charge point: its standard, power limits and current OCPP status.

    OCPP 1.6 numbers connectors per station only; they are stored as EVSE n with connector 1.
    """

    class CurrentType(models.TextChoices):
        AC = "ac", "AC"
        DC = "dc", "DC"

    class Status(models.TextChoices):
        AVAILABLE = "Available", "Available"
        PREPARING = "Preparing", "Preparing"
        CHARGING = "Charging", "Charging"
        SUSPENDED_EVSE = "SuspendedEVSE", "Suspended by station"
        SUSPENDED_EV = "SuspendedEV", "Suspended by vehicle"
        FINISHING = "Finishing", "Finishing"
        OCCUPIED = "Occupied", "Occupied"
        RESERVED = "Reserved", "Reserved"
        UNAVAILABLE = "Unavailable", "Unavailable"
        FAULTED = "Faulted", "Faulted"
        UNKNOWN = "Unknown", "Unknown (station offline)"

    charge_point = models.ForeignKey(
        ChargePoint, verbose_name="charge point", on_delete=models.CASCADE, related_name="connectors"
    )
    evse_id = models.PositiveSmallIntegerField("EVSE id", default=1, validators=[MinValueValidator(1)])
    connector_id = models.PositiveSmallIntegerField("connector id", default=1, validators=[MinValueValidator(1)])
    connector_type = models.CharField("connector type", max_length=8, choices=ConnectorType.choices)
    current_type = models.CharField("current", max_length=2, choices=CurrentType.choices)
    max_power_kw = models.DecimalField(
        "max power (kW)",
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="kW.",
    )
    max_current_a = models.PositiveIntegerField("max current (A)", validators=[MinValueValidator(1)], help_text="A.")
    nominal_voltage_v = models.PositiveIntegerField(
        "nominal voltage (V)", validators=[MinValueValidator(1)], help_text="V."
    )
    bidirectional = models.BooleanField("bidirectional", default=False, help_text="Can discharge a vehicle (V2G).")
    status = models.CharField("status", max_length=14, choices=Status.choices, default=Status.UNKNOWN, editable=False)
    status_since = models.DateTimeField("status since", null=True, blank=True, editable=False)
    error_code = models.CharField("error code", max_length=50, blank=True, editable=False)
    status_info = models.CharField("status info", max_length=255, blank=True, editable=False)

    scope_field = "charge_point__site__department"

    class Meta:
        ordering = ["charge_point", "evse_id", "connector_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_point", "evse_id", "connector_id"], name="connector_unique_per_evse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_point_id and self.charge_point.identity} #{self.evse_id}/{self.connector_id}"

    def label(self) -> str:
        return f"connector {self.evse_id} of {self.charge_point.identity} ({ConnectorType(self.connector_type).label})"

    def clean(self) -> None:
        dc_only = {ConnectorType.CCS1, ConnectorType.CCS2, ConnectorType.CHADEMO}
        ac_only = {ConnectorType.TYPE1}
        if self.connector_type in dc_only and self.current_type == self.CurrentType.AC:
            raise ValidationError(
                {
                    "current_type": ValidationError(
                        "A %(type)s connector carries DC.", code="dc_connector", params={"type": self.connector_type}
                    )
                }
            )
        if self.connector_type in ac_only and self.current_type == self.CurrentType.DC:
            raise ValidationError(
                {"current_type": ValidationError("A Type 1 connector carries AC.", code="ac_connector")}
            )


class ConnectorStatusChange(models.Model):
    """One status a connector entered, and when: the history behind availability figures."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField("status", max_length=14, choices=Connector.Status.choices)
    error_code = models.CharField("error code", max_length=50, blank=True)
    info = models.CharField("info", max_length=255, blank=True)
    changed_at = models.DateTimeField("changed at")

    scope_field = "connector__charge_point__site__department"

    class Meta:
        ordering = ["-changed_at"]
        indexes = [
            # availability over a period: a connector's changes in time order
            models.Index(fields=["connector", "changed_at"], name="status_change_connector_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id} → {self.status} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class CompatibilityRule(TimeStampedModel):
    """A vehicle inlet that can use a connector type, directly or through a registered adapter."""

    inlet = models.CharField("vehicle inlet", max_length=8, choices=ConnectorType.choices)
    connector_type = models.CharField("connector type", max_length=8, choices=ConnectorType.choices)
    adapter = models.CharField(
        "adapter", max_length=80, blank=True, help_text="Name of the adapter needed; empty for a direct fit."
    )
    max_power_kw = models.DecimalField(
        "power limit (kW)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="Limit in kW the adapter imposes; empty for none.",
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["inlet", "connector_type"]
        constraints = [
            models.UniqueConstraint(fields=["inlet", "connector_type", "adapter"], name="compatibility_rule_unique"),
        ]

    def __str__(self) -> str:
        via = f" via {self.adapter}" if self.adapter else ""
        return f"{self.get_inlet_display()} ← {self.get_connector_type_display()}{via}"


class MaintenanceWindow(TimeStampedModel):
    """A period an operator takes a charge point out of service; it is set Inoperative meanwhile."""

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField("starts at")
    ends_at = models.DateTimeField("ends at")
    reason = models.CharField("reason", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_applied = models.BooleanField("Inoperative sent", default=False, editable=False)
    ended_applied = models.BooleanField("Operative sent", default=False, editable=False)

    scope_field = "charge_point__site__department"

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_end_after_start"),
        ]
        indexes = [models.Index(fields=["charge_point", "starts_at", "ends_at"], name="maintenance_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.charge_point_id}: {self.reason}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": ValidationError("The window ends after it starts.", code="end_before_start")}
            )


class OcppMessage(models.Model):
    """A frame a station sent or received: the raw log an operator reads to see what a station said."""

    class Direction(models.TextChoices):
        IN = "in", "Station → platform"
        OUT = "out", "Platform → station"

    charge_point = models.ForeignKey(
        ChargePoint, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    identity = models.CharField("identity", max_length=48)
    direction = models.CharField("direction", max_length=3, choices=Direction.choices)

    class MessageType(models.IntegerChoices):
        UNPARSABLE = 0, "Unparsable frame"
        CALL = 2, "CALL"
        CALLRESULT = 3, "CALLRESULT"
        CALLERROR = 4, "CALLERROR"

    message_type = models.PositiveSmallIntegerField("message type", choices=MessageType.choices)
    action = models.CharField("action", max_length=50, blank=True)
    unique_id = models.CharField("message id", max_length=64, blank=True)
    payload = models.JSONField("payload", null=True, blank=True)
    raw = models.TextField("raw frame", blank=True, help_text="Kept only for frames that could not be parsed.")
    logged_at = models.DateTimeField("logged at", auto_now_add=True)

    scope_field = "charge_point__site__department"

    class Meta:
        ordering = ["-logged_at", "-id"]
        indexes = [
            # a station's log, newest first
            models.Index(fields=["charge_point", "-logged_at"], name="ocpp_message_cp_idx"),
            # retention pruning
            models.Index(fields=["logged_at"], name="ocpp_message_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} {self.direction} {self.action or self.message_type}"


class OcppCommand(TimeStampedModel):
    """A request the platform sent to a station (remote start, reset, ...) and the station's answer."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the station"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed (CALLERROR)"
        TIMEOUT = "timeout", "No answer in time"
        OFFLINE = "offline", "Station not connected"

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField("action", max_length=50)
    request = models.JSONField("request payload")
    state = models.CharField("state", max_length=10, choices=State.choices, default=State.PENDING)
    response = models.JSONField("response payload", null=True, blank=True)
    error = models.CharField("error", max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField("answered at", null=True, blank=True)

    scope_field = "charge_point__site__department"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["charge_point", "-created_at"], name="ocpp_command_cp_idx")]

    def __str__(self) -> str:
        return f"{self.action} → {self.charge_point_id} ({self.state})"


class Alert(models.Model):
    """A problem detected at a station or a whole site: open while the condition lasts, resolved when it clears."""

    class Kind(models.TextChoices):
        MISSED_HEARTBEAT = "missed_heartbeat", "Missed heartbeats"
        CONNECTOR_FAULT = "connector_fault", "Connector fault"
        STUCK_PREPARING = "stuck_preparing", "Stuck in Preparing"
        STUCK_FINISHING = "stuck_finishing", "Stuck in Finishing"
        NO_ENERGY_FLOW = "no_energy_flow", "Charging without energy flow"
        METER_BACKWARDS = "meter_backwards", "Meter reading went backwards"
        POWER_ABOVE_MAX = "power_above_max", "Power above the connector's maximum"
        REPEATED_FAILURES = "repeated_failures", "Repeated failed sessions"
        NEVER_CONNECTED = "never_connected", "Never connected"
        SITE_OFFLINE = "site_offline", "Whole site offline"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    severity = models.CharField("severity", max_length=8, choices=Severity.choices)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
        help_text="Where it happened: the station's site when it was raised (empty for a station without one).",
    )
    charge_point = models.ForeignKey(
        ChargePoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
        help_text="Empty for an alert about the whole site.",
    )
    connector = models.ForeignKey(Connector, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    message = models.CharField("message", max_length=255)
    details = models.JSONField("details", default=dict, blank=True)
    opened_at = models.DateTimeField("opened at")
    last_seen_at = models.DateTimeField("last seen")
    occurrences = models.PositiveIntegerField("occurrences", default=1)
    resolved_at = models.DateTimeField("resolved at", null=True, blank=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    scope_field = "site__department"

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(charge_point__isnull=False) | Q(site__isnull=False, connector__isnull=True),
                name="alert_at_a_station_or_a_site",
            ),
            # deduplication: one open alert per kind and place (a whole site, station-wide, or one connector)
            models.UniqueConstraint(
                fields=["kind", "site"],
                condition=Q(resolved_at__isnull=True, charge_point__isnull=True),
                name="alert_one_open_per_site",
            ),
            models.UniqueConstraint(
                fields=["kind", "charge_point"],
                condition=Q(resolved_at__isnull=True, connector__isnull=True),
                name="alert_one_open_per_station",
            ),
            models.UniqueConstraint(
                fields=["kind", "connector"],
                condition=Q(resolved_at__isnull=True, connector__isnull=False),
                name="alert_one_open_per_connector",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "-opened_at"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.charge_point_id or f'site {self.site_id}'}"
