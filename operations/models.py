"""The fleet's work: where vehicles go (routes and their stops), when (trips, and the duty schedules that
generate them), from which depot, and what each trip needs of the battery at departure."""

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from fleet.models import Vehicle

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RoadMix(models.TextChoices):
    """The kind of road a trip mostly runs on: sets its typical speed by hour, its stops per km (simulation.traffic)."""

    URBAN = "urban", "Urban streets"
    MIXED = "mixed", "Mixed (urban and arterial)"
    PRIMARY = "primary", "Arterial roads"
    MOTORWAY = "motorway", "Motorway"
    RESIDENTIAL = "residential", "Residential streets"


class OperationsPolicy(TimeStampedModel):
    """A department's rules for its trips: the energy reserve kept at every trip's end."""

    department = models.OneToOneField(
        Department, verbose_name="department", on_delete=models.CASCADE, related_name="operations_policy"
    )
    reserve_percent = models.FloatField(
        "reserve (% of usable battery)",
        default=10.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(50.0)],
        help_text="Energy a vehicle must still hold when it returns, in % of its usable battery (0 to 50).",
    )
    schedule_days = models.PositiveSmallIntegerField(
        "trips generated ahead (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How many days ahead duty schedules create their trips (1 to 60).",
    )

    scope_field = "department"

    class Meta:
        verbose_name = "operations policy"
        verbose_name_plural = "operations policies"

    def __str__(self) -> str:
        return f"Operations policy of {self.department}"


class VehicleDepot(TimeStampedModel):
    """Where a vehicle is based: the depot it leaves from and returns to, and whose chargers it uses."""

    vehicle = models.OneToOneField(Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="depot")
    site = models.ForeignKey(
        "stations.Site", verbose_name="depot", on_delete=models.CASCADE, related_name="based_vehicles"
    )

    scope_field = "vehicle__department"

    class Meta:
        verbose_name = "vehicle's depot"
        verbose_name_plural = "vehicles' depots"

    def __str__(self) -> str:
        return f"{self.vehicle} at {self.site}"

    def clean(self) -> None:
        if self.vehicle_id and self.site_id and not self.vehicle.department.path.startswith(self.site.department.path):
            raise ValidationError(
                {"site": "The depot belongs to another department than the vehicle: choose one of its own sites."}
            )


class Route(TimeStampedModel):
    """A round the fleet drives: ordered stops with time windows. Its distance is given or measured from the
    stops (great-circle legs from the depot and back, times a detour factor)."""

    department = models.ForeignKey(
        Department, verbose_name="department", on_delete=models.PROTECT, related_name="routes"
    )
    name = models.CharField("name", max_length=120)
    road_mix = models.CharField(
        "road mix",
        max_length=12,
        choices=RoadMix.choices,
        default=RoadMix.MIXED,
        help_text="Where the route mostly runs.",
    )
    distance_km = models.FloatField(
        "distance (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(2000.0)],
        help_text="Driven distance of the whole round in km, depot to depot; empty: measured from the stops.",
    )
    notes = models.TextField("notes", blank=True)

    scope_field = "department"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="route_name_unique_per_department"),
        ]

    def __str__(self) -> str:
        return self.name


class RouteStop(models.Model):
    """One stop of a route, in order, with the window in which it must be served (the depot's local time)."""

    route = models.ForeignKey(Route, verbose_name="route", on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField(
        "order", validators=[MinValueValidator(1)], help_text="1 is the first stop."
    )
    name = models.CharField("name", max_length=120)
    address = models.CharField("address", max_length=250, blank=True)
    latitude = models.FloatField("latitude (°)", validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)])
    longitude = models.FloatField("longitude (°)", validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)])
    window_opens = models.TimeField("window opens", null=True, blank=True, help_text="Local time, e.g. 08:00.")
    window_closes = models.TimeField("window closes", null=True, blank=True, help_text="Local time, e.g. 10:30.")
    service_minutes = models.PositiveSmallIntegerField(
        "service time (min)", default=0, validators=[MaxValueValidator(600)], help_text="Minutes spent at the stop."
    )

    scope_field = "route__department"

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="route_stop_order_unique"),
            models.CheckConstraint(
                condition=Q(window_opens__isnull=True)
                | Q(window_closes__isnull=True)
                | Q(window_closes__gt=models.F("window_opens")),
                name="route_stop_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.name}"

    def clean(self) -> None:
        if self.window_opens and self.window_closes and self.window_closes <= self.window_opens:
            raise ValidationError({"window_closes": "The window must close after it opens."})


def validate_weekdays(value: str) -> None:
    days = [d.strip().lower() for d in value.split(",") if d.strip()]
    wrong = [d for d in days if d not in WEEKDAYS]
    if wrong or not days:
        raise ValidationError(
            f"Weekdays are a comma-separated list of {', '.join(WEEKDAYS)}"
            + (f"; {', '.join(wrong)} is not one." if wrong else "; give at least one."),
            code="invalid_weekdays",
        )


class DutySchedule(TimeStampedModel):
    """A vehicle's recurring duty, e.g. weekdays 06:30 to 15:00, 140 km: it generates the vehicle's trips."""

    department = models.ForeignKey(
        Department, verbose_name="department", on_delete=models.PROTECT, related_name="duty_schedules"
    )
    name = models.CharField("name", max_length=120)
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="duty_schedules"
    )
    depot = models.ForeignKey(
        "stations.Site", verbose_name="depot", on_delete=models.PROTECT, related_name="duty_schedules",
        help_text="Where the duty starts and ends; its time zone sets the local times.",
    )  # fmt: skip
    weekdays = models.CharField(
        "weekdays",
        max_length=27,
        default="mon,tue,wed,thu,fri",
        validators=[validate_weekdays],
        help_text="Comma-separated: mon,tue,wed,thu,fri,sat,sun.",
    )
    departs_local = models.TimeField("departs (local time)", help_text="e.g. 06:30, the depot's local time.")
    returns_local = models.TimeField(
        "returns (local time)", help_text="e.g. 15:00; a time before the departure means the next day."
    )
    route = models.ForeignKey(
        Route, verbose_name="route", null=True, blank=True, on_delete=models.PROTECT, related_name="duty_schedules"
    )
    distance_km = models.FloatField(
        "distance (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(2000.0)],
        help_text="Distance per duty in km when no route is given.",
    )
    road_mix = models.CharField("road mix", max_length=12, choices=RoadMix.choices, default=RoadMix.MIXED)
    valid_from = models.DateField("valid from")
    valid_until = models.DateField("valid until", null=True, blank=True, help_text="Empty: until further notice.")
    active = models.BooleanField("active", default=True)

    scope_field = "department"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(route__isnull=False) | Q(distance_km__isnull=False), name="duty_route_or_distance"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="duty_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def weekday_numbers(self) -> list[int]:
        return [WEEKDAYS.index(d.strip().lower()) for d in self.weekdays.split(",") if d.strip()]

    def clean(self) -> None:
        errors = {}
        if self.route_id is None and self.distance_km is None:
            errors["distance_km"] = "Give a route or a distance in km."
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors["valid_until"] = "The schedule must end on or after the day it starts."
        if self.departs_local is not None and self.departs_local == self.returns_local:
            errors["returns_local"] = (
                "The return must differ from the departure (a later time, or earlier for the next day)."
            )
        if self.vehicle_id and self.department_id and self.vehicle.department_id != self.department_id:
            errors["vehicle"] = "The vehicle belongs to another department."
        if self.route_id and self.department_id and self.route.department_id != self.department_id:
            errors["route"] = "The route belongs to another department."
        if errors:
            raise ValidationError(errors)


class Trip(TimeStampedModel):
    """A vehicle's trip: when and where it leaves, what it drives, when it is back, and what it needs of the
    battery at departure (computed by `operations.energy`, with its parts)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        UNDER_WAY = "under_way", "Under way"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.PLANNED, Status.UNDER_WAY)

    department = models.ForeignKey(
        Department, verbose_name="department", on_delete=models.PROTECT, related_name="trips"
    )
    vehicle = models.ForeignKey(Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="trips")
    depot = models.ForeignKey(
        "stations.Site", verbose_name="departs from (depot)", on_delete=models.PROTECT, related_name="trips"
    )
    departs_at = models.DateTimeField("departure")
    returns_at = models.DateTimeField("expected return")
    route = models.ForeignKey(
        Route, verbose_name="route", null=True, blank=True, on_delete=models.PROTECT, related_name="trips"
    )
    distance_km = models.FloatField(
        "distance (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(2000.0)],
        help_text="Distance in km when no route is given (a route's own distance otherwise).",
    )
    road_mix = models.CharField("road mix", max_length=12, choices=RoadMix.choices, default=RoadMix.MIXED)
    schedule = models.ForeignKey(
        DutySchedule,
        verbose_name="duty schedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trips",
    )
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.PLANNED)
    departed_at = models.DateTimeField("left at", null=True, blank=True)
    returned_at = models.DateTimeField("back at", null=True, blank=True)
    notes = models.CharField("notes", max_length=250, blank=True)
    # The energy need, computed when the trip is saved and again when the forecast or the vehicle changes.
    driving_kwh = models.FloatField("driving (kWh)", null=True, blank=True, editable=False)
    climate_kwh = models.FloatField("heating or cooling (kWh)", null=True, blank=True, editable=False)
    reserve_kwh = models.FloatField("reserve (kWh)", null=True, blank=True, editable=False)
    ambient_temperature_c = models.FloatField("forecast temperature (°C)", null=True, blank=True, editable=False)
    temperature_source = models.CharField("temperature from", max_length=20, blank=True, editable=False)
    required_soc_percent = models.FloatField(
        "required SoC at departure (%)", null=True, blank=True, editable=False,
        help_text="State of charge the vehicle needs when it leaves: driving, heating or cooling and the reserve.",
    )  # fmt: skip
    need_computed_at = models.DateTimeField("need computed", null=True, blank=True, editable=False)

    scope_field = "department"

    class Meta:
        ordering = ["departs_at", "pk"]
        indexes = [
            models.Index(fields=["vehicle", "departs_at"], name="trip_vehicle_departs_idx"),
            models.Index(fields=["department", "departs_at"], name="trip_dept_departs_idx"),
            models.Index(fields=["depot", "departs_at"], name="trip_depot_departs_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(returns_at__gt=models.F("departs_at")), name="trip_returns_after_departure"
            ),
            models.CheckConstraint(
                condition=Q(route__isnull=False) | Q(distance_km__isnull=False), name="trip_route_or_distance"
            ),
            models.CheckConstraint(
                condition=Q(required_soc_percent__isnull=True) | Q(required_soc_percent__gte=0),
                name="trip_required_soc_non_negative",
            ),
            models.UniqueConstraint(fields=["schedule", "departs_at"], name="trip_once_per_schedule_departure"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.departs_at:%Y-%m-%d %H:%M} UTC"

    @property
    def need_kwh(self) -> float | None:
        if self.driving_kwh is None:
            return None
        return self.driving_kwh + (self.climate_kwh or 0.0) + (self.reserve_kwh or 0.0)

    def effective_distance_km(self) -> float | None:
        if self.distance_km is not None:
            return self.distance_km
        return self.route.distance_km if self.route_id else None

    def clean(self) -> None:
        errors = {}
        if self.departs_at and self.returns_at and self.returns_at <= self.departs_at:
            errors["returns_at"] = "The expected return must be after the departure."
        if self.route_id is None and self.distance_km is None:
            errors["distance_km"] = "Give a route or a distance in km."
        if self.vehicle_id and self.department_id and self.vehicle.department_id != self.department_id:
            errors["vehicle"] = "The vehicle belongs to another department than the trip."
        if self.route_id and self.department_id and self.route.department_id != self.department_id:
            errors["route"] = "The route belongs to another department than the trip."
        if self.depot_id and self.department_id and self.depot.department_id != self.department_id:
            dept_path = getattr(self.department, "path", "")
            if not dept_path.startswith(self.depot.department.path):
                errors["depot"] = (
                    "The depot belongs to another department: choose one of the trip's department's sites."
                )
        if not errors and self.vehicle_id and self.departs_at and self.returns_at and self.status in self.ACTIVE:
            overlapping = (
                Trip.objects.filter(
                    vehicle_id=self.vehicle_id,
                    status__in=self.ACTIVE,
                    departs_at__lt=self.returns_at,
                    returns_at__gt=self.departs_at,
                )
                .exclude(pk=self.pk)
                .order_by("departs_at")
                .first()
            )
            if overlapping is not None:
                # in the depot's zone, as the trip pages show it (the department's when no depot is set yet)
                zone = ZoneInfo(self.depot.time_zone if self.depot_id else self.department.time_zone)
                start, end = overlapping.departs_at.astimezone(zone), overlapping.returns_at.astimezone(zone)
                errors["departs_at"] = (
                    f"{self.vehicle} already has a trip from {start:%Y-%m-%d %H:%M} to {end:%H:%M} {end:%Z} "
                    f"(trip {overlapping.pk}); move this one or that one."
                )
        if errors:
            raise ValidationError(errors)
