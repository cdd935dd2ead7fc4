"""Scheduled reports of completed sessions: a daily and a weekly email per department with a CSV."""

from django.core.validators import MaxValueValidator, validate_email
from django.db import models
from django_celery_beat.models import PeriodicTask

from accounts.models import Department


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
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.report} {self.period_start:%Y-%m-%d}"
