"""Reservations: a vehicle books a connector (or any compatible one at a site) for a time window."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from evfleet.models import TimeStampedModel
from fleet.models import Vehicle
from stations.models import Connector, Site

PRIORITY_RANK = {Vehicle.PriorityClass.CRITICAL: 0, Vehicle.PriorityClass.NORMAL: 1, Vehicle.PriorityClass.LOW: 2}


class ReservationPolicy(TimeStampedModel):
    """A site's rules for reservations: longest booking, no-show grace, and whether critical vehicles may
    pre-empt low-priority bookings."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="reservation_policy")
    allow_preemption = models.BooleanField(
        "critical vehicles may pre-empt",
        default=True,
        help_text="A critical vehicle may take a low-priority vehicle's confirmed booking (never one under way).",
    )
    max_duration_minutes = models.PositiveIntegerField(
        "longest reservation (min)", default=480, validators=[MinValueValidator(15), MaxValueValidator(7 * 24 * 60)]
    )
    no_show_grace_minutes = models.PositiveIntegerField(
        "no-show grace (min)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="A reservation whose vehicle has not started charging this long after its start is released.",
    )

    scope_field = "site__department"

    class Meta:
        ordering = ["site"]
        verbose_name_plural = "reservation policies"

    def __str__(self) -> str:
        return f"Reservation policy of {self.site}"


class Reservation(TimeStampedModel):
    """A booking of a connector for a vehicle and a window, or a request waiting in the site's queue."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        CONFIRMED = "confirmed", "Confirmed"
        ACTIVE = "active", "Active (held at the station)"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"
        PREEMPTED = "preempted", "Pre-empted"
        EXPIRED = "expired", "Expired"

    HOLDING = (Status.CONFIRMED, Status.ACTIVE)  # these occupy their connector's window

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="reservations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="reservations")
    requested_connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The connector asked for; empty: any compatible connector at the site.",
    )
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reservations",
        help_text="The connector held; empty while queued.",
    )
    starts_at = models.DateTimeField("starts at")
    ends_at = models.DateTimeField("ends at")
    departure_at = models.DateTimeField(
        "departure", null=True, blank=True, help_text="When the vehicle must leave charged; orders the queue."
    )
    priority_class = models.CharField(
        "priority class", max_length=8, choices=Vehicle.PriorityClass.choices, help_text="The vehicle's, when asked."
    )
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField("reason", max_length=255, blank=True, help_text="Why it is in its status.")
    session = models.ForeignKey(
        "charging.ChargingSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="reservations"
    )
    expiry_warned_at = models.DateTimeField(
        "owner warned", null=True, blank=True, help_text="When the owner was told the hold will lapse."
    )
    held_at_station = models.DateTimeField(
        "ReserveNow sent", null=True, blank=True, help_text="When the station was asked to hold the connector."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "site__department"

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="reservation_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "active"]) | Q(connector__isnull=False),
                name="reservation_holds_a_connector",
            ),
            # On PostgreSQL also an exclusion constraint (migration 0007): no two holding reservations of one
            # connector overlap in time.
        ]
        indexes = [
            # overlap checks: holding reservations of a connector around a window
            models.Index(fields=["connector", "starts_at", "ends_at"], name="reservation_connector_time_idx"),
            # a site's queue and the minute job's due reservations
            models.Index(fields=["site", "status", "starts_at"], name="reservation_site_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} ({self.status})"


class ReservationDecision(models.Model):
    """One decision about a reservation and its reason: confirmed, queued, pre-empted, offered, released…"""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField("action", max_length=20)
    reason = models.CharField("reason", max_length=300)
    details = models.JSONField("details", default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("decided at", auto_now_add=True)

    scope_field = "reservation__site__department"

    class Meta:
        ordering = ["reservation", "decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.reason}"
