"""Multi-vehicle route plans (E-VRPTW): a depot, a day, the vehicles offered and the jobs to serve; the solver's
routes with their visits and charging stops; and, once committed, the operations routes and trips they became."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from evfleet.models import TimeStampedModel


class RoutePlan(TimeStampedModel):
    """A fleet manager's plan for one service day at one depot: which offered vehicle serves which jobs, in what
    order, and where it recharges."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SOLVING = "solving", "Solving"
        SOLVED = "solved", "Solved"
        FAILED = "failed", "Failed"
        COMMITTED = "committed", "Committed"

    department = models.ForeignKey(
        "accounts.Department", verbose_name="department", on_delete=models.PROTECT, related_name="route_plans"
    )
    name = models.CharField("name", max_length=120, help_text="e.g. “Tuesday deliveries”.")
    depot = models.ForeignKey(
        "stations.Site",
        verbose_name="depot",
        on_delete=models.PROTECT,
        related_name="route_plans",
        help_text="Where every route starts and ends; its time zone sets the plan's local times.",
    )
    service_date = models.DateField("service date", help_text="The day the routes are driven (the depot's date).")
    day_starts = models.TimeField(
        "day starts (local time)", default="06:00", help_text="When vehicles may leave the depot, its local time."
    )
    day_ends = models.TimeField(
        "day ends (local time)", default="20:00", help_text="When every vehicle must be back, the depot's local time."
    )
    vehicles = models.ManyToManyField(
        "fleet.Vehicle",
        verbose_name="vehicles offered",
        related_name="route_plans",
        blank=True,
        help_text="The vehicles the solver may use (at most one route each).",
    )
    time_limit_s = models.PositiveSmallIntegerField(
        "solver time limit (s)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="Seconds the solver may search, 1 to 600.",
    )
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    message = models.TextField(
        "message", blank=True, help_text="What the solver or the commit said: why a plan failed, what was assumed."
    )
    result = models.JSONField(
        "solver result",
        default=dict,
        blank=True,
        help_text="The instance's parameters (battery kWh, payload kg, kWh/km, km/h, min/kWh) and the solver's "
        "figures (vehicles, km, seconds, feasibility check).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="created by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    solved_at = models.DateTimeField("solved at", null=True, blank=True)
    committed_at = models.DateTimeField("committed at", null=True, blank=True)

    scope_field = "department"

    class Meta:
        ordering = ["-service_date", "-pk"]
        indexes = [
            # the plan list: a department's plans, newest day first
            models.Index(fields=["department", "-service_date"], name="routeplan_dept_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(day_ends__gt=F("day_starts")), name="routeplan_day_ends_after_start"),
            models.CheckConstraint(
                condition=Q(time_limit_s__gte=1) & Q(time_limit_s__lte=600), name="routeplan_time_limit_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.service_date:%Y-%m-%d})"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SOLVED, self.Status.FAILED)

    def clean(self) -> None:
        errors = {}
        if self.day_starts and self.day_ends and self.day_ends <= self.day_starts:
            errors["day_ends"] = "The day must end after it starts (both the depot's local time, the same day)."
        if self.depot_id and self.department_id and not self.department.path.startswith(self.depot.department.path):
            errors["depot"] = "The depot belongs to another department: choose one of your department's sites."
        if errors:
            raise ValidationError(errors)


class PlanJob(models.Model):
    """A stop to serve: where, how much it loads (kg), how long it takes and when service may start."""

    plan = models.ForeignKey(RoutePlan, verbose_name="plan", on_delete=models.CASCADE, related_name="jobs")
    sequence = models.PositiveSmallIntegerField("order", validators=[MinValueValidator(1)], help_text="1 is the first.")
    name = models.CharField("name", max_length=120, help_text="e.g. the customer; unique in the plan.")
    address = models.CharField("address", max_length=250, blank=True)
    latitude = models.FloatField("latitude (°)", validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)])
    longitude = models.FloatField("longitude (°)", validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)])
    demand_kg = models.FloatField(
        "demand (kg)",
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(40000.0)],
        help_text="Load delivered or picked up at the stop, kg.",
    )
    service_minutes = models.PositiveSmallIntegerField(
        "service (min)", default=0, validators=[MaxValueValidator(600)], help_text="Minutes spent at the stop."
    )
    window_start = models.DateTimeField("window opens", help_text="Service may start from then (stored in UTC).")
    window_end = models.DateTimeField("window closes", help_text="Service must start by then (stored in UTC).")

    scope_field = "plan__department"

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="planjob_order_unique"),
            models.UniqueConstraint(fields=["plan", "name"], name="planjob_name_unique"),
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="planjob_window_ordered"),
            models.CheckConstraint(condition=Q(demand_kg__gte=0), name="planjob_demand_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValidationError({"window_end": "The window must close after it opens."})


class PlannedRoute(models.Model):
    """One vehicle's route of a solved plan: km, kWh, when it leaves and is back; the trips made of it, if any."""

    plan = models.ForeignKey(RoutePlan, verbose_name="plan", on_delete=models.CASCADE, related_name="routes")
    number = models.PositiveSmallIntegerField("route", validators=[MinValueValidator(1)])
    vehicle = models.ForeignKey(
        "fleet.Vehicle", verbose_name="vehicle", on_delete=models.CASCADE, related_name="planned_routes"
    )
    distance_km = models.FloatField("distance (km)", validators=[MinValueValidator(0.0)])
    energy_kwh = models.FloatField(
        "energy (kWh)", validators=[MinValueValidator(0.0)], help_text="Energy driven, charging stops included."
    )
    load_kg = models.FloatField("load (kg)", validators=[MinValueValidator(0.0)])
    departs_at = models.DateTimeField("leaves the depot")
    returns_at = models.DateTimeField("back at the depot")
    operations_routes = models.ManyToManyField(
        "operations.Route",
        verbose_name="operations routes",
        blank=True,
        related_name="+",
        help_text="What the commit made: one route per leg between charging stops.",
    )
    trips = models.ManyToManyField(
        "operations.Trip",
        verbose_name="trips",
        blank=True,
        related_name="planned_routes",
        help_text="One trip per leg: from the depot, or from where the vehicle charged, to the next charge or home.",
    )

    scope_field = "plan__department"

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plannedroute_number_unique"),
            models.UniqueConstraint(fields=["plan", "vehicle"], name="plannedroute_one_per_vehicle"),
            models.CheckConstraint(condition=Q(returns_at__gt=F("departs_at")), name="plannedroute_returns_after"),
        ]

    def __str__(self) -> str:
        return f"Route {self.number} of {self.plan}"


class PlannedVisit(models.Model):
    """A stop of a planned route, in order: a job served, or a charging stop at a site with its kWh and minutes."""

    class Kind(models.TextChoices):
        JOB = "job", "Job"
        CHARGE = "charge", "Charging stop"

    route = models.ForeignKey(PlannedRoute, verbose_name="route", on_delete=models.CASCADE, related_name="visits")
    sequence = models.PositiveSmallIntegerField("order", validators=[MinValueValidator(1)])
    kind = models.CharField("kind", max_length=6, choices=Kind.choices)
    job = models.ForeignKey(PlanJob, verbose_name="job", null=True, blank=True, on_delete=models.CASCADE)
    site = models.ForeignKey(
        "stations.Site", verbose_name="charging site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrives_at = models.DateTimeField("arrives")
    starts_at = models.DateTimeField("service or charging starts", help_text="After any wait for the window.")
    departs_at = models.DateTimeField("leaves")
    battery_kwh = models.FloatField("battery on arrival (kWh)", help_text="Usable energy left when it arrives.")
    km_from_previous = models.FloatField(
        "distance from the previous stop (km)", default=0.0, validators=[MinValueValidator(0.0)]
    )
    charge_kwh = models.FloatField("charged (kWh)", default=0.0, validators=[MinValueValidator(0.0)])
    charge_minutes = models.FloatField("charging (min)", default=0.0, validators=[MinValueValidator(0.0)])

    scope_field = "route__plan__department"

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="plannedvisit_order_unique"),
            models.CheckConstraint(
                condition=(Q(kind="job") & Q(job__isnull=False)) | (Q(kind="charge") & Q(site__isnull=False)),
                name="plannedvisit_job_or_site",
            ),
            models.CheckConstraint(condition=Q(departs_at__gte=F("arrives_at")), name="plannedvisit_leaves_after"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.job or self.site}"
