"""Analytics: the daily rollups the dashboard reads, the emission factors, offsets, and saved reports."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_celery_beat.models import PeriodicTask

from accounts.models import Department
from evfleet.models import TimeStampedModel
from fleet.models import Vehicle, VehicleModel
from notifications.models import validate_recipients
from stations.models import Connector, Site

# --- Emission factors -------------------------------------------------------------------------------------------


class CarbonZone(TimeStampedModel):
    """A grid region (e.g. "DE"): its yearly average carbon intensity, used where no hourly figure exists."""

    code = models.CharField(
        "zone code", max_length=40, unique=True, help_text="Grid region code, e.g. DE, FR, GB, US-CAL-CISO."
    )
    name = models.CharField("name", max_length=120)
    gco2e_per_kwh = models.FloatField(
        "regional factor (g CO2e/kWh)",
        validators=[MinValueValidator(0.0), MaxValueValidator(2000.0)],
        help_text="Average emissions of the grid's electricity in g CO2e per kWh.",
    )
    renewable_percent = models.FloatField(
        "renewable share (%)",
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
        help_text="Average share of renewable generation in %.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class CarbonIntensity(models.Model):
    """The grid's carbon intensity in one hour of a zone, as a grid operator or a data provider reported it."""

    zone = models.ForeignKey(CarbonZone, on_delete=models.CASCADE, related_name="intensities")
    hour_start = models.DateTimeField("hour", help_text="Start of the hour, ISO 8601 with offset.")
    gco2e_per_kwh = models.FloatField(
        "carbon intensity (g CO2e/kWh)", validators=[MinValueValidator(0.0), MaxValueValidator(2000.0)]
    )
    renewable_percent = models.FloatField(
        "renewable share (%)", null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(100.0)]
    )
    updated_at = models.DateTimeField("updated at", auto_now=True)

    class Meta:
        ordering = ["zone", "hour_start"]
        verbose_name_plural = "carbon intensities"
        constraints = [
            # its index serves the rollup's "hours of a zone in a window"
            models.UniqueConstraint(fields=["zone", "hour_start"], name="carbon_intensity_one_per_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.hour_start:%Y-%m-%d %H:00}: {self.gco2e_per_kwh:.0f} g/kWh"


class IceBaseline(TimeStampedModel):
    """The combustion vehicle an electric one of a class replaces: its fuel economy and the fuel's emissions."""

    class Fuel(models.TextChoices):
        DIESEL = "diesel", "Diesel"
        PETROL = "petrol", "Petrol"
        CNG = "cng", "CNG (kg)"

    vehicle_class = models.CharField(
        "vehicle class", max_length=8, choices=VehicleModel.VehicleClass.choices, unique=True
    )
    fuel = models.CharField("fuel", max_length=8, choices=Fuel.choices)
    litres_per_100km = models.FloatField(
        "fuel economy (l/100 km)",
        validators=[MinValueValidator(0.1), MaxValueValidator(200.0)],
        help_text="Fuel used per 100 km in litres (kg for CNG).",
    )
    kg_co2e_per_litre = models.FloatField(
        "fuel emission factor (kg CO2e/l)",
        validators=[MinValueValidator(0.1), MaxValueValidator(10.0)],
        help_text="Emissions of burning one litre (kg for CNG) in kg CO2e.",
    )

    class Meta:
        ordering = ["vehicle_class"]
        verbose_name = "combustion baseline"

    def __str__(self) -> str:
        return f"{self.get_vehicle_class_display()}: {self.litres_per_100km} l/100 km {self.get_fuel_display()}"

    @property
    def g_per_km(self) -> float:
        return self.litres_per_100km / 100.0 * self.kg_co2e_per_litre * 1000.0


class CarbonOffset(TimeStampedModel):
    """Carbon offset certificates a department bought and retired."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="carbon_offsets")
    registry = models.CharField("registry", max_length=60, help_text="e.g. Verra (VCS), Gold Standard, Puro.earth.")
    project = models.CharField("project", max_length=200, blank=True)
    serial_number = models.CharField("serial number", max_length=120, blank=True)
    quantity_t_co2e = models.DecimalField(
        "quantity (t CO2e)",
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="Tonnes of CO2e the certificates cover.",
    )
    vintage = models.PositiveSmallIntegerField(
        "vintage", validators=[MinValueValidator(1990), MaxValueValidator(2100)], help_text="Year of the reduction."
    )
    retired_on = models.DateField("retired on", help_text="Counts against the emissions of the period it falls in.")
    price_total = models.DecimalField(
        "price paid",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What the certificates cost, in `currency`; never negative.",
    )
    currency = models.CharField("currency", max_length=3, blank=True)

    scope_field = "department"

    class Meta:
        ordering = ["-retired_on", "pk"]
        indexes = [models.Index(fields=["department", "retired_on"], name="offset_dept_retired_idx")]

    def __str__(self) -> str:
        return f"{self.quantity_t_co2e} t CO2e ({self.registry}, {self.vintage})"


# --- Daily rollups: rebuilt per local day by analytics.rollup, read by the dashboard and the reports -----------


class VehicleDay(models.Model):
    """What a vehicle did on one local day of its department: distance, the energy it used driving, the day's
    conditions (temperature, speed, stops) and the energy its model expected for them."""

    class TemperatureSource(models.TextChoices):
        WEATHER = "weather", "Stored weather"
        NORMALS = "normals", "Climate normals"

    class ExpectationMissing(models.TextChoices):
        NO_MODEL = "no_model", "No energy parameters for the vehicle model"
        NO_SPEED = "no_speed", "No speed or driving time in the telemetry"
        NO_TEMPERATURE = "no_temperature", "No weather and no position or site for climate normals"
        OUT_OF_RANGE = "out_of_range", "Conditions outside the energy model's range"

    day = models.DateField("day (department's local date)")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.CASCADE, related_name="+", db_index=False)
    distance_km = models.FloatField("distance (km)", default=0.0)
    energy_consumed_kwh = models.FloatField("energy consumed (kWh)", default=0.0, help_text="Driving, from power.")
    telemetry_points = models.PositiveIntegerField("readings", default=0)
    # the conditions of the day's driving and what the energy model expects for them (analytics/consumption.py)
    ambient_temperature_c = models.FloatField(
        "ambient temperature (°C)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-60.0), MaxValueValidator(70.0)],
        help_text="Mean outside temperature in °C over the hours the vehicle drove (weighted by distance).",
    )
    temperature_source = models.CharField(
        "temperature from",
        max_length=10,
        choices=TemperatureSource.choices,
        blank=True,
        help_text="Stored weather at the vehicle's site, else the climate normals at its position.",
    )
    temperature_place = models.CharField(
        "temperature place", max_length=120, blank=True, help_text="The site or the climate station's place."
    )
    mean_speed_kmh = models.FloatField(
        "mean driving speed (km/h)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0)],
        help_text="Time-weighted speed while moving, in km/h (from telemetry speed; else distance / driving time).",
    )
    stops = models.PositiveIntegerField("stops", default=0, help_text="Times the speed fell from moving to 0.")
    expected_energy_kwh = models.FloatField(
        "expected energy (kWh)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0)],
        help_text="What the vehicle model's energy model predicts for the day's distance, speed and temperature, "
        "in kWh; empty when it cannot (see `expected_missing`).",
    )
    expected_missing = models.CharField(
        "no expectation because", max_length=16, choices=ExpectationMissing.choices, blank=True
    )

    scope_field = "department"

    class Meta:
        ordering = ["day", "vehicle"]
        constraints = [models.UniqueConstraint(fields=["vehicle", "day"], name="vehicle_day_unique")]
        indexes = [
            # every dashboard query: a period of days in a department subtree
            models.Index(fields=["day", "department"], name="vehicle_day_day_dept_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.day}"


class ChargingDay(models.Model):
    """The sessions that started on one local day of a site, per vehicle and currency: energy, cost, emissions."""

    day = models.DateField("day (site's local date)")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicle = models.ForeignKey(Vehicle, null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        help_text="The vehicle's department; the site's for sessions of unknown vehicles.",
    )
    vehicle_model = models.ForeignKey(
        VehicleModel, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField("currency", max_length=3, blank=True)
    sessions = models.PositiveIntegerField("sessions", default=0)
    energy_kwh = models.FloatField("energy charged (kWh)", default=0.0)
    cost_total = models.DecimalField("cost including tax", max_digits=16, decimal_places=4, default=Decimal(0))
    emissions_kg = models.FloatField("emissions (kg CO2e)", default=0.0)
    renewable_kwh = models.FloatField("renewable energy (kWh)", default=0.0)
    hourly_intensity_kwh = models.FloatField(
        "energy with an hourly carbon figure (kWh)", default=0.0, help_text="The rest used the regional factor."
    )

    scope_field = "department"

    class Meta:
        ordering = ["day", "site", "vehicle"]
        indexes = [
            # every dashboard query: a period of days in a department subtree
            models.Index(fields=["day", "department"], name="charging_day_day_dept_idx"),
            # rebuilding a site's days
            models.Index(fields=["site", "day"], name="charging_day_site_idx"),
            # one vehicle's days (the dashboard's top vehicles, a vehicle filter)
            models.Index(fields=["vehicle", "day"], name="charging_day_vehicle_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.vehicle_id}"


class ChargingGroupDay(models.Model):
    """ChargingDay summed over vehicles: per local day, department, vehicle model, site and currency. What every
    figure that does not need single vehicles reads (a few hundred rows a day, whatever the fleet's size)."""

    day = models.DateField("day (site's local date)")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicle_model = models.ForeignKey(
        VehicleModel, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField("currency", max_length=3, blank=True)
    sessions = models.PositiveIntegerField("sessions", default=0)
    energy_kwh = models.FloatField("energy charged (kWh)", default=0.0)
    cost_total = models.DecimalField("cost including tax", max_digits=18, decimal_places=4, default=Decimal(0))
    emissions_kg = models.FloatField("emissions (kg CO2e)", default=0.0)
    renewable_kwh = models.FloatField("renewable energy (kWh)", default=0.0)

    scope_field = "department"

    class Meta:
        ordering = ["day", "site"]
        indexes = [
            models.Index(fields=["day", "department"], name="charging_group_day_dept_idx"),
            models.Index(fields=["site", "day"], name="charging_group_site_idx"),  # rebuilding a site's days
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.department_id}/{self.vehicle_model_id}"


class UsageGroupDay(models.Model):
    """VehicleDay summed over vehicles: per local day, department and vehicle model."""

    day = models.DateField("day (department's local date)")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicles = models.PositiveIntegerField("vehicles reporting", default=0)
    distance_km = models.FloatField("distance (km)", default=0.0)
    energy_consumed_kwh = models.FloatField("energy consumed (kWh)", default=0.0)

    scope_field = "department"

    class Meta:
        ordering = ["day", "department"]
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "vehicle_model"], name="usage_group_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}/{self.vehicle_model_id}"


class SiteDay(models.Model):
    """A site on one local day: the peak of its 15-minute demand, and how its connectors were used."""

    day = models.DateField("day (site's local date)")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    connectors = models.PositiveIntegerField("connectors", default=0)
    energy_kwh = models.FloatField("energy delivered (kWh)", default=0.0, help_text="Delivered during the day.")
    peak_kw = models.FloatField("peak demand (kW)", default=0.0, help_text="Highest 15-minute average power.")
    peak_at = models.DateTimeField("peak at", null=True)
    grid_limit_kw = models.FloatField("grid limit (kW)", null=True)
    occupied_hours = models.FloatField("connector hours in use (h)", default=0.0)
    available_hours = models.FloatField(
        "connector hours available (h)", default=0.0, help_text="Not faulted or unavailable."
    )
    total_hours = models.FloatField("connector hours (h)", default=0.0)

    scope_field = "department"

    class Meta:
        ordering = ["day", "site"]
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="site_day_unique")]
        indexes = [models.Index(fields=["day", "department"], name="site_day_day_dept_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}"


class ConnectorDay(models.Model):
    """One connector on one local day of its site: hours in use and hours available."""

    day = models.DateField("day (site's local date)")
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    sessions = models.PositiveIntegerField("sessions", default=0)
    occupied_hours = models.FloatField("hours in use (h)", default=0.0)
    available_hours = models.FloatField("hours available (h)", default=0.0)
    total_hours = models.FloatField("hours (h)", default=0.0)

    scope_field = "department"

    class Meta:
        ordering = ["day", "connector"]
        constraints = [models.UniqueConstraint(fields=["connector", "day"], name="connector_day_unique")]
        indexes = [models.Index(fields=["day", "department"], name="connector_day_day_dept_idx")]

    def __str__(self) -> str:
        return f"{self.connector_id} {self.day}"


class RollupState(models.Model):
    """Up to which moment the rollups are complete, so the nightly job knows where to start."""

    key = models.CharField(max_length=40, unique=True)
    value = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


# --- Saved and scheduled reports --------------------------------------------------------------------------------


class SavedReport(TimeStampedModel):
    """A report a user built: metrics, grouping, filters and a relative or fixed period; optionally emailed."""

    class Schedule(models.TextChoices):
        NONE = "", "Not scheduled"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Mondays)"
        MONTHLY = "monthly", "Monthly (1st)"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        JSON = "json", "JSON"

    name = models.CharField("name", max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports")
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="saved_reports",
        help_text="The department (with its sub-departments) the report covers.",
    )
    metrics = models.JSONField("metrics", help_text="Metric keys, e.g. energy_charged_kwh, cost, distance_km.")
    grouping = models.CharField("grouping", max_length=20)
    filters = models.JSONField("filters", default=dict, blank=True, help_text="site, vehicle_model, vehicle_class.")
    period = models.CharField(
        "period", max_length=20, help_text="A relative period (last_30_days, last_month, …) or 'custom'."
    )
    start = models.DateField("from", null=True, blank=True, help_text="First day of a custom period.")
    end = models.DateField("to", null=True, blank=True, help_text="Last day of a custom period (inclusive).")
    sort_by = models.CharField("rank by", max_length=40, blank=True, help_text="A metric key; ranks rows by it.")
    schedule = models.CharField("schedule", max_length=8, choices=Schedule.choices, blank=True, default="")
    send_at_hour = models.PositiveSmallIntegerField(
        "send at (hour)", default=7, validators=[MaxValueValidator(23)], help_text="0-23, department time."
    )
    format = models.CharField("attachment format", max_length=4, choices=Format.choices, default=Format.PDF)
    recipients = models.CharField(
        "recipients",
        max_length=500,
        blank=True,
        validators=[validate_recipients],
        help_text="Comma-separated addresses; empty: the owner.",
    )
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    scope_field = "department"

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="saved_report_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from analytics.periods import RELATIVE, Period, check

        if self.period not in RELATIVE:
            raise ValidationError({"period": f"Unknown period {self.period!r}: choose one of {', '.join(RELATIVE)}."})
        if self.period == "custom":
            if self.start is None or self.end is None:
                raise ValidationError({"end" if self.start else "start": "A custom period needs both days."})
            check(Period(self.start, self.end))


def report_upload_to(run: "ReportRun", filename: str) -> str:
    return f"reports/{run.report_id}/{filename}"


class ReportRun(models.Model):
    """One generated report: the file, the period it covered, who received it, and how it went."""

    class Status(models.TextChoices):
        GENERATED = "generated", "Generated"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, retrying"
        FAILED = "failed", "Failed"

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField("trigger", max_length=10, default="schedule", help_text="schedule or manual.")
    status = models.CharField("status", max_length=10, choices=Status.choices)
    format = models.CharField("format", max_length=4, choices=SavedReport.Format.choices)
    period_start = models.DateField("from", null=True)
    period_end = models.DateField("to", null=True)
    file = models.FileField("file", upload_to=report_upload_to, blank=True)
    size_bytes = models.PositiveIntegerField("size (bytes)", default=0)
    rows = models.PositiveIntegerField("rows", default=0)
    recipients = models.CharField("sent to", max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField("attempts", default=1)
    error = models.CharField("error", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("generation time (ms)", default=0)
    created_at = models.DateTimeField("generated at", auto_now_add=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    scope_field = "report__department"

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["report", "created_at"], name="report_run_report_idx")]

    def __str__(self) -> str:
        return f"{self.report} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def filename(self) -> str:
        """The name people get the file under: the report's name, its period and the format."""
        from django.utils.text import slugify

        stem = slugify(self.report.name)[:60] or "report"
        period = (
            f"-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}" if self.period_start and self.period_end else ""
        )
        return f"{stem}{period}.{self.format}"
