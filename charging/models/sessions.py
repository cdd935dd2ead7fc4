from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from fleet.models import Vehicle
from stations.models import ChargePoint, Connector


class IdToken(TimeStampedModel):
    """An RFID card or other identifier a driver presents at a station (OCPP idTag / idToken)."""

    token = models.CharField(
        "token", max_length=36, unique=True, help_text="The idTag the station reads (max 36 characters)."
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="id_tokens")
    vehicle = models.ForeignKey(
        Vehicle,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="id_tokens",
        help_text="The vehicle it identifies.",
    )
    customer = models.ForeignKey(
        "pricing.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="id_tokens",
        help_text="Who is billed for sessions started with it (else the vehicle's customer).",
    )
    is_active = models.BooleanField("active", default=True)
    expires_at = models.DateTimeField("expires at", null=True, blank=True)

    scope_field = "department"

    class Meta:
        ordering = ["token"]

    def __str__(self) -> str:
        return self.token


class ChargingSession(TimeStampedModel):
    """One charging transaction on a connector, from plug-in (or remote start) to its end."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CHARGING = "charging", "Charging"
        SUSPENDED_EV = "suspended_ev", "Suspended by vehicle"
        SUSPENDED_EVSE = "suspended_evse", "Suspended by station"
        FINISHING = "finishing", "Finishing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        ABORTED = "aborted", "Aborted"

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.PROTECT, related_name="sessions")
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="sessions")
    transaction_id = models.CharField("transaction id", max_length=36, help_text="OCPP transactionId.")
    id_tag = models.CharField("id tag", max_length=36, blank=True)
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.SET_NULL, related_name="charging_sessions"
    )
    vehicle_department = models.ForeignKey(
        Department,
        verbose_name="vehicle's department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The department of the vehicle (else of the RFID token) that charged, when it started: it sees "
        "the session too, also at another department's site.",
    )
    authorization_status = models.CharField(
        "authorization",
        max_length=20,
        blank=True,
        help_text="What the central system answered the station for the id tag (OCPP idTagInfo / idTokenInfo "
        "status): Accepted, or the refusal, e.g. Invalid, Blocked, NotAtThisLocation; empty: no tag (yet).",
    )
    status = models.CharField("status", max_length=16, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField("started at")
    ended_at = models.DateTimeField("ended at", null=True, blank=True)
    meter_start_wh = models.FloatField("meter at start (Wh)", default=0.0)
    meter_last_wh = models.FloatField("latest meter (Wh)", default=0.0)
    last_meter_at = models.DateTimeField("latest meter value", null=True, blank=True)
    energy_kwh = models.FloatField("energy delivered (kWh)", default=0.0)
    stop_reason = models.CharField("stop reason", max_length=40, blank=True)
    reason = models.CharField(
        "reason", max_length=255, blank=True, help_text="Why a session failed or was aborted, in words."
    )
    remote_start_command = models.ForeignKey(
        "stations.OcppCommand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The RemoteStart/RequestStartTransaction sent for a session started from the platform.",
    )
    customer = models.ForeignKey(
        "pricing.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        help_text="Who is billed: the RFID token's customer, else the vehicle's.",
    )
    tariff_version = models.ForeignKey(
        "pricing.TariffVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The tariff version the session was priced with; it keeps it when the tariff changes.",
    )
    currency = models.CharField("currency", max_length=3, blank=True)
    cost_excl_tax = models.DecimalField("cost excluding tax", max_digits=14, decimal_places=4, null=True, blank=True)
    cost_tax = models.DecimalField("tax", max_digits=14, decimal_places=4, null=True, blank=True)
    cost_total = models.DecimalField("cost including tax", max_digits=14, decimal_places=4, null=True, blank=True)
    cost_breakdown = models.JSONField(
        "cost breakdown",
        null=True,
        blank=True,
        help_text="The pricing engine's lines: element, interval, quantity, price.",
    )
    priced_at = models.DateTimeField("priced at", null=True, blank=True)
    departure_at = models.DateTimeField(
        "departure",
        null=True,
        blank=True,
        help_text="When the vehicle must leave charged; smart charging plans to it (else its reservation's).",
    )
    target_soc_percent = models.FloatField(
        "target SoC (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1.0), MaxValueValidator(100.0)],
        help_text="Empty: 80 % (battery health), more only when the next trip needs it.",
    )
    next_trip_kwh = models.FloatField(
        "next trip (kWh)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0)],
        help_text="Energy the next trip needs; above 80 % of the battery it lifts the daily cap.",
    )

    scope_field = "charge_point__site__department"
    # accounts.scoping: the vehicle's department sees the session too (read only: the host runs the station)
    also_scope_fields = ("vehicle_department",)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_point", "transaction_id"], name="session_unique_transaction_per_station"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="session_end_after_start",
            ),
            # a vehicle charges at one connector at a time
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(ended_at__isnull=True, vehicle__isnull=False),
                name="session_one_open_per_vehicle",
            ),
        ]
        indexes = [
            # open sessions of a connector (meter values, watchdogs)
            models.Index(fields=["connector", "ended_at"], name="session_connector_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.charge_point_id}/{self.transaction_id}"


class MeterSample(models.Model):
    """Measurands a station reported at one instant: energy register, power, SoC, current, voltage."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="meter_samples")
    session = models.ForeignKey(
        ChargingSession, null=True, blank=True, on_delete=models.CASCADE, related_name="meter_samples"
    )
    sampled_at = models.DateTimeField("sampled at")
    energy_wh = models.FloatField(
        "energy register (Wh)", null=True, blank=True, help_text="Energy.Active.Import.Register in Wh."
    )
    power_kw = models.FloatField("power (kW)", null=True, blank=True, help_text="Power.Active.Import in kW.")
    soc_percent = models.FloatField("state of charge (%)", null=True, blank=True)
    current_a = models.FloatField("current (A)", null=True, blank=True)
    voltage_v = models.FloatField("voltage (V)", null=True, blank=True)

    scope_field = "connector__charge_point__site__department"

    class Meta:
        ordering = ["-sampled_at"]
        indexes = [
            # a session's power and SoC curve
            models.Index(fields=["session", "sampled_at"], name="meter_session_time_idx"),
        ]
        constraints = [
            # A station that sends a MeterValues again (no answer reached it, a replayed queue) repeats readings:
            # one reading per connector and instant, the repeat is not stored (ON CONFLICT DO NOTHING). Its index
            # also serves a connector's readings in time order.
            models.UniqueConstraint(fields=["connector", "sampled_at"], name="meter_sample_one_per_instant"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id} @ {self.sampled_at:%Y-%m-%d %H:%M:%S}"
