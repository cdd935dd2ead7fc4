"""Notifications: what users hear about sessions, reservations, station problems and thresholds, on
which channel (in the dashboard, by email, by browser push), with a log of every delivery; and the scheduled
session reports by email.

The models moved here from `charging` (issue 15) with their tables: each keeps its `charging_<model>` table,
its constraint and index names, so no row moved."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Q
from django_celery_beat.models import PeriodicTask

from accounts.models import Department


class Event(models.TextChoices):
    SESSION_STARTED = "session.started", "Session started"
    SESSION_SUSPENDED = "session.suspended", "Session suspended"
    SESSION_COMPLETED = "session.completed", "Session completed"
    SESSION_FAILED = "session.failed", "Session failed"
    RESERVATION_CONFIRMED = "reservation.confirmed", "Reservation confirmed"
    RESERVATION_PREEMPTED = "reservation.preempted", "Reservation pre-empted"
    RESERVATION_EXPIRING = "reservation.expiring", "Reservation expiring"
    RESERVATION_NO_SHOW = "reservation.no_show", "Reservation no-show"
    STATION_ALERT = "station.alert", "Charging issue at a station"
    SOC_AT_DEPARTURE = "threshold.soc_at_departure", "SoC low at departure"
    SESSION_COST = "threshold.session_cost", "Session cost above threshold"
    REPORT_FAILED = "report.failed", "Scheduled report failed"
    CONSUMPTION_HIGH = "vehicle.consumption_high", "Vehicle uses more energy than its model"
    VEHICLE_NOT_READY = "vehicle.not_ready", "Vehicle will not be ready for its trip"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the dashboard"
    EMAIL = "email", "Email"
    PUSH = "push", "Browser push"


# What a user receives until they choose: everything in the dashboard; by email and push, what needs action.
ACTIONABLE = {
    Event.SESSION_FAILED,
    Event.RESERVATION_PREEMPTED,
    Event.RESERVATION_EXPIRING,
    Event.RESERVATION_NO_SHOW,
    Event.STATION_ALERT,
    Event.SOC_AT_DEPARTURE,
    Event.SESSION_COST,
    Event.REPORT_FAILED,
    Event.VEHICLE_NOT_READY,
}


# Too frequent at a busy depot to be on by default anywhere; each user may turn them on.
ROUTINE = {Event.SESSION_STARTED, Event.SESSION_COMPLETED}


def default_enabled(event: str, channel: str) -> bool:
    if event in ROUTINE:
        return False
    return channel == Channel.IN_APP or event in ACTIONABLE


class Notification(models.Model):
    """One thing a user was told; repeats of the same thing within the folding window count here, once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField("event", max_length=40, choices=Event.choices)
    title = models.CharField("title", max_length=200)
    body = models.TextField("text", blank=True)
    link = models.CharField("link", max_length=300, blank=True, help_text="A dashboard page about it.")
    data = models.JSONField("data", default=dict, blank=True)
    dedup_key = models.CharField("same-thing key", max_length=120, blank=True)
    repeats = models.PositiveIntegerField("times", default=1, help_text="How often it happened in the window.")
    shown_in_app = models.BooleanField("in the dashboard list", default=True)
    created_at = models.DateTimeField("first at", auto_now_add=True)
    last_at = models.DateTimeField("last at", auto_now=True)
    read_at = models.DateTimeField("read at", null=True, blank=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    class Meta:
        db_table = "charging_notification"
        ordering = ["-last_at", "-pk"]
        indexes = [
            # the unread list and badge
            models.Index(fields=["user", "read_at", "-last_at"], name="notification_user_unread_idx"),
            # folding: the same thing for the same user recently
            models.Index(fields=["user", "event", "dedup_key", "last_at"], name="notification_fold_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class NotificationPreference(models.Model):
    """A user's choice for one event on one channel (absent: the default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    event = models.CharField("event", max_length=40, choices=Event.choices)
    channel = models.CharField("channel", max_length=8, choices=Channel.choices)
    enabled = models.BooleanField("on", default=True)

    class Meta:
        db_table = "charging_notificationpreference"
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="notification_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event} {self.channel}: {'on' if self.enabled else 'off'}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (from PushManager.subscribe with the platform's VAPID key)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField("endpoint", max_length=600, unique=True)
    p256dh = models.CharField("p256dh key", max_length=200, help_text="The browser's public key, base64url.")
    auth = models.CharField("auth secret", max_length=60, help_text="base64url.")
    user_agent = models.CharField("browser", max_length=200, blank=True)
    created_at = models.DateTimeField("subscribed at", auto_now_add=True)

    class Meta:
        db_table = "charging_pushsubscription"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} push {self.endpoint[:40]}"


class Delivery(models.Model):
    """One attempt chain to bring a notification to a user on one channel: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField("channel", max_length=8, choices=Channel.choices)
    status = models.CharField("status", max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("attempts", default=0)
    error = models.CharField("last error", max_length=300, blank=True)
    created_at = models.DateTimeField("queued at", auto_now_add=True)
    sent_at = models.DateTimeField("sent at", null=True, blank=True)

    class Meta:
        db_table = "charging_delivery"
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class ThresholdRule(models.Model):
    """A threshold an admin sets for a department: SoC below X % at departure, or a session costing above Y."""

    class Kind(models.TextChoices):
        SOC_AT_DEPARTURE = "soc_at_departure", "SoC below (%) at departure"
        SESSION_COST = "session_cost", "Session cost above (in its currency)"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="threshold_rules")
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    threshold = models.DecimalField(
        "threshold", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))],
        help_text="% of SoC, or an amount in the session's currency.",
    )  # fmt: skip
    is_active = models.BooleanField("active", default=True)

    scope_field = "department"

    class Meta:
        db_table = "charging_thresholdrule"
        ordering = ["department", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["department", "kind"], name="threshold_rule_one_per_kind"),
            models.CheckConstraint(
                condition=~Q(kind="soc_at_departure") | Q(threshold__lte=100),
                name="threshold_soc_is_a_percentage",
                violation_error_message="A SoC threshold is a percentage: give 0 to 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_kind_display()} {self.threshold}"


# --- Scheduled reports of completed sessions: a daily and a weekly email per department with a CSV -----------


def validate_recipients(value: str) -> None:
    for address in [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]:
        validate_email(address)


# What the validator admits, for the OpenAPI schema (evfleet/api/schema.py): addresses separated by , or ;.
validate_recipients.openapi_schema = lambda: {
    "type": "string",
    "pattern": r"^[,;\s]*(?:[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+[,;\s]*)*$",
}
validate_recipients.openapi_invalid = "fleet@example.com, dispatch"


class SessionReport(models.Model):
    """One department's daily or weekly session report; its schedule is a django-celery-beat task."""

    class Period(models.TextChoices):
        DAILY = "daily", "Daily (yesterday)"
        WEEKLY = "weekly", "Weekly (last Monday to Sunday)"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="session_reports")
    period = models.CharField("period", max_length=6, choices=Period.choices)
    recipients = models.CharField(
        "recipients",
        max_length=500,
        blank=True,
        validators=[validate_recipients],
        help_text="Comma-separated addresses; empty: the department's fleet managers.",
    )
    send_at_hour = models.PositiveSmallIntegerField(
        "send at (hour, department time)",
        default=6,
        validators=[MaxValueValidator(23)],
        help_text="0-23, in the department's time zone.",
    )
    is_active = models.BooleanField("active", default=True)
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    scope_field = "department"

    class Meta:
        db_table = "charging_sessionreport"
        ordering = ["department", "period"]
        constraints = [models.UniqueConstraint(fields=["department", "period"], name="session_report_one_per_period")]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_period_display()}"


class SessionReportRun(models.Model):
    """One generated report: the period it covered, who got it, its figures and the attached CSV's size."""

    report = models.ForeignKey(SessionReport, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateTimeField("from")
    period_end = models.DateTimeField("to")
    recipients = models.CharField("sent to", max_length=500, blank=True)
    figures = models.JSONField("figures", default=dict)
    csv_rows = models.PositiveIntegerField("CSV rows", default=0)
    status = models.CharField("status", max_length=10, default="sent")
    error = models.CharField("error", max_length=300, blank=True)
    created_at = models.DateTimeField("generated at", auto_now_add=True)

    scope_field = "report__department"

    class Meta:
        db_table = "charging_sessionreportrun"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.report} {self.period_start:%Y-%m-%d}"
