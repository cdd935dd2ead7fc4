"""Roaming: which other departments' vehicles may charge at a department's sites."""

from django.db import models

from accounts.models import Department
from evfleet.models import TimeStampedModel


class RoamingPolicy(TimeStampedModel):
    """Which other departments' vehicles a department lets charge at its sites (and at its teams' sites,
    unless a team has a policy of its own). Its own vehicles, its teams' and its parents' always may."""

    class Mode(models.TextChoices):
        NONE = "none", "No other department"
        LISTED = "listed", "The listed departments (and their teams)"
        ORGANISATION = "organisation", "Any department of the same organisation (top-level department)"
        ANY = "any", "Any department"

    department = models.OneToOneField(
        Department,
        verbose_name="host department",
        on_delete=models.CASCADE,
        related_name="roaming_policy",
        help_text="The department whose sites this policy opens to visiting vehicles.",
    )
    mode = models.CharField(
        "visiting vehicles allowed",
        max_length=12,
        choices=Mode.choices,
        default=Mode.NONE,
        help_text="Whose vehicles, besides this department's own, its teams' and its parents', may charge here.",
    )
    allowed_departments = models.ManyToManyField(
        Department,
        verbose_name="listed departments",
        blank=True,
        related_name="+",
        help_text="With 'the listed departments': these departments and their teams may charge here.",
    )

    scope_field = "department"

    class Meta:
        ordering = ["department__path"]
        verbose_name_plural = "roaming policies"

    def __str__(self) -> str:
        return f"Roaming policy of {self.department}"
