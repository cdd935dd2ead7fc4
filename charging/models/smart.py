"""Smart charging: the circuits (feeders) between a site's grid connection and its charge points, and the plans
the optimizer made for a site, with their explanation."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from evfleet.models import TimeStampedModel
from stations.models import Site


class Circuit(TimeStampedModel):
    """A feeder or circuit of a site: the charge points wired to it share its limit. Circuits may nest."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="circuits")
    name = models.CharField("name", max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", help_text="Empty: the site."
    )
    max_power_kw = models.DecimalField(
        "max power (kW)",
        max_digits=9,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="The most the circuit may carry, in kW.",
    )

    scope_field = "site__department"

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="circuit_unique_name_per_site")]

    def __str__(self) -> str:
        return f"{self.site}: {self.name}"

    def clean(self) -> None:
        if self.parent_id is not None and self.parent.site_id != self.site_id:
            raise ValidationError({"parent": "The parent circuit must be at the same site."})
        seen, node = {self.pk}, self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": "A circuit cannot be below itself."})
            seen.add(node.pk)
            node = node.parent


class ChargingPlan(models.Model):
    """One plan of a site: power per session per 15-minute interval over the horizon, why, and what it costs."""

    class Trigger(models.TextChoices):
        ARRIVAL = "arrival", "A vehicle arrived"
        DEPARTURE = "departure", "A vehicle left"
        METER = "meter", "A meter reading was off the plan"
        PRICE = "price", "A price changed"
        LIMIT = "limit", "A limit changed"
        FAULT = "fault", "A station fault"
        PERIODIC = "periodic", "The horizon moved on"
        MANUAL = "manual", "Asked for"
        TRIP = "trip", "A trip changed"
        WHAT_IF = "what_if", "What-if (not applied)"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="charging_plans")
    trigger = models.CharField("trigger", max_length=10, choices=Trigger.choices)
    created_at = models.DateTimeField("planned at", auto_now_add=True)
    starts_at = models.DateTimeField("horizon start")
    step_minutes = models.PositiveSmallIntegerField("interval (minutes)", default=15)
    intervals = models.PositiveSmallIntegerField("intervals", validators=[MaxValueValidator(672)])
    status = models.CharField("solver status", max_length=20)
    solve_ms = models.FloatField("solve time (ms)")
    objective = models.FloatField("objective", null=True, blank=True)
    energy_cost = models.DecimalField(
        "planned energy cost", max_digits=14, decimal_places=4, null=True, blank=True, help_text="At the plan's prices."
    )
    currency = models.CharField("currency", max_length=3, blank=True)
    applied = models.BooleanField("sent to the stations", default=False)
    limit_kw = models.JSONField("site limit per interval (kW)", default=list)
    price = models.JSONField("price per interval (per kWh)", default=list)
    schedule = models.JSONField(
        "power per session (kW)", default=dict, help_text='{"<session or request id>": [kW per interval]}'
    )
    explanation = models.JSONField("explanation", default=dict)

    scope_field = "site__department"

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["site", "created_at"], name="plan_site_created_idx")]  # a site's latest plan

    def __str__(self) -> str:
        return f"{self.site} {self.created_at:%Y-%m-%d %H:%M} ({self.trigger})"
