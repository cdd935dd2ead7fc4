from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from fleet.connectors import DC_CONNECTORS, ConnectorType


class VINValidator(RegexValidator):
    """ISO 3779 VIN: 17 characters of A-Z and 0-9 without I, O and Q. The message says which rule failed."""

    regex = r"^[A-HJ-NPR-Z0-9]{17}$"
    code = "vin_characters"

    def __call__(self, value):
        value = str(value)
        if len(value) != 17:
            raise ValidationError(
                "A VIN has exactly 17 characters; this one has %(length)s.",
                code="vin_length",
                params={"length": len(value)},
            )
        forbidden = sorted({c for c in value if c in "IOQ"})
        if forbidden:
            raise ValidationError(
                "A VIN never contains I, O or Q (they look like 1 and 0); found %(letters)s. Check the digits 1 and 0.",
                code="vin_forbidden_letter",
                params={"letters": ", ".join(forbidden)},
            )
        if not self.regex.match(value):
            raise ValidationError("A VIN uses only capital letters A-Z and digits 0-9.", code="vin_characters")


validate_vin = VINValidator()
validate_vin.openapi_invalid = "WVWZZZ1JZ3W38652"  # 16 characters (evfleet/api/schema.py: the error examples)


class VINFormField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().upper() if value else value


class VINField(models.CharField):
    """A VIN column that stores the canonical upper-case form whatever case it was typed in."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().upper() if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": VINFormField, **kwargs})


def validate_inlets(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError('List at least one inlet, e.g. ["type2", "ccs2"].', code="inlets_required")
    unknown = [v for v in value if v not in ConnectorType.values]
    if unknown:
        raise ValidationError(
            "Unknown connector type(s) %(unknown)s; use %(allowed)s.",
            code="unknown_connector_type",
            params={"unknown": ", ".join(map(str, unknown)), "allowed": ", ".join(ConnectorType.values)},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each inlet is listed once.", code="duplicate_inlet")


validate_inlets.openapi_schema = lambda: {"minItems": 1, "uniqueItems": True}  # evfleet/api/schema.py
validate_inlets.openapi_invalid = ["type2", "type2"]


def _percent(name: str, **kwargs) -> models.FloatField:
    return models.FloatField(name, validators=[MinValueValidator(0.0), MaxValueValidator(100.0)], **kwargs)


class VehicleModel(TimeStampedModel):
    """A make and model of electric vehicle as catalogued: battery, charging limits and inlets."""

    class VehicleClass(models.TextChoices):
        CAR = "car", "Car"
        VAN = "van", "Van"
        TRUCK = "truck", "Truck"
        BUS = "bus", "Bus"

    make = models.CharField("make", max_length=60)
    name = models.CharField("model", max_length=80)
    variant = models.CharField(
        "variant", max_length=80, blank=True, help_text="Battery, trim or market, e.g. 40 kWh (EU)."
    )
    model_year = models.PositiveSmallIntegerField(
        "model year", validators=[MinValueValidator(2008), MaxValueValidator(2100)]
    )
    vehicle_class = models.CharField("vehicle class", max_length=8, choices=VehicleClass.choices)
    usable_battery_kwh = models.DecimalField(
        "usable battery (kWh)",
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1.0"))],
        help_text="Usable (net) battery capacity in kWh.",
    )
    max_ac_kw = models.DecimalField(
        "max AC power (kW)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.0"))],
        help_text="Onboard charger limit in kW for AC charging.",
    )
    max_dc_kw = models.DecimalField(
        "max DC power (kW)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0"))],
        help_text="Peak DC fast-charging power in kW; empty when the model cannot charge on DC.",
    )
    inlets = models.JSONField(
        "inlets",
        validators=[validate_inlets],
        help_text='Connector types the vehicle\'s inlets accept, e.g. ["type2", "ccs2"].',
    )
    consumption_wh_per_km = models.PositiveIntegerField(
        "consumption (Wh/km)",
        validators=[MinValueValidator(50), MaxValueValidator(3000)],
        help_text="Typical real-world energy use in Wh per km.",
    )
    v2g_capable = models.BooleanField("V2G capable", default=False, help_text="Supports bidirectional charging.")
    payload_kg = models.PositiveIntegerField(
        "payload (kg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(40000)],
        help_text="Load the vehicle may carry in kg (gross vehicle weight minus kerb weight, maker's sheet); "
        "route planning fills vehicles up to it. Empty: not known, the model is not offered for planning.",
    )

    class Meta:
        ordering = ["make", "name", "variant", "model_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["make", "name", "variant", "model_year"],
                name="vehiclemodel_unique_identity",
                violation_error_code="unique",
                violation_error_message="This make, model, variant and year is already in the catalogue.",
            ),
            models.CheckConstraint(condition=Q(usable_battery_kwh__gt=0), name="vehiclemodel_battery_positive"),
        ]

    def __str__(self) -> str:
        variant = f" {self.variant}" if self.variant else ""
        return f"{self.make} {self.name}{variant} ({self.model_year})"

    @property
    def inlet_labels(self) -> list[str]:
        return [ConnectorType(code).label for code in self.inlets if code in ConnectorType.values]

    def clean(self) -> None:
        if self.max_dc_kw is None and isinstance(self.inlets, list) and DC_CONNECTORS & set(self.inlets):
            raise ValidationError(
                {
                    "max_dc_kw": ValidationError(
                        "The inlets include a DC connector; give the peak DC power in kW.", code="dc_power_required"
                    )
                }
            )


CHARGING_IS_DERIVED = (
    "Charging is not set: a vehicle shows as charging while a station charges it (an open session on a "
    "connector in use). Set active, maintenance or retired."
)


class Vehicle(TimeStampedModel):
    """One vehicle of the fleet, with its current state as last reported by telemetry."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CHARGING = "charging", "Charging"
        MAINTENANCE = "maintenance", "In maintenance"
        RETIRED = "retired", "Retired"

    class PriorityClass(models.TextChoices):
        CRITICAL = "critical", "Critical"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"

    vin = VINField(
        "VIN",
        max_length=17,
        unique=True,
        validators=[validate_vin],
        help_text="17-character vehicle identification number (A-Z, 0-9, no I, O or Q).",
    )
    license_plate = models.CharField("license plate", max_length=20, blank=True)
    fleet_number = models.CharField(
        "fleet number", max_length=30, blank=True, help_text="The operator's own unit number."
    )
    department = models.ForeignKey(
        Department,
        verbose_name="department",
        on_delete=models.PROTECT,
        related_name="vehicles",
        db_index=False,  # vehicle_dept_status_idx (department, status) serves every department lookup
    )
    vehicle_model = models.ForeignKey(
        VehicleModel, verbose_name="model", on_delete=models.PROTECT, related_name="vehicles"
    )
    status = models.CharField(
        "status",
        max_length=12,
        choices=Status.choices,
        default=Status.ACTIVE,
        help_text="Set active, maintenance or retired. Reads show charging while an active vehicle has an open "
        "session on a connector in use (Charging, or Occupied in OCPP 2.0.1); charging cannot be set.",
    )
    priority_class = models.CharField(
        "priority class",
        max_length=8,
        choices=PriorityClass.choices,
        default=PriorityClass.NORMAL,
        help_text="Critical vehicles charge first when chargers or power are short.",
    )
    customer = models.ForeignKey(
        "pricing.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicles",
        help_text="Who is billed for its charging (a fleet customer with its contract rates).",
    )
    soc_percent = _percent(
        "state of charge (%)",
        null=True,
        blank=True,
        help_text="Battery state of charge in %, from the newest telemetry.",
    )
    state_of_health_percent = _percent(
        "state of health (%)", default=100.0, help_text="Remaining battery capacity against new, in %."
    )
    odometer_km = models.FloatField(
        "odometer (km)", default=0.0, validators=[MinValueValidator(0.0)], help_text="Odometer reading in km."
    )
    last_latitude = models.FloatField(
        "last latitude (°)", null=True, blank=True, validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)]
    )
    last_longitude = models.FloatField(
        "last longitude (°)", null=True, blank=True, validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)]
    )
    last_telemetry_at = models.DateTimeField("last telemetry", null=True, blank=True, editable=False)

    scope_field = "department"

    class Meta:
        ordering = ["fleet_number", "vin"]
        indexes = [
            # fleet overview: counts by department and status, and the status filter
            models.Index(fields=["department", "status"], name="vehicle_dept_status_idx"),
            # search by plate
            models.Index(fields=["license_plate"], name="vehicle_plate_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(soc_percent__isnull=True) | Q(soc_percent__gte=0, soc_percent__lte=100),
                name="vehicle_soc_in_range",
            ),
            models.CheckConstraint(
                condition=Q(state_of_health_percent__gte=0, state_of_health_percent__lte=100),
                name="vehicle_soh_in_range",
            ),
            models.CheckConstraint(condition=Q(odometer_km__gte=0), name="vehicle_odometer_non_negative"),
        ]

    def __str__(self) -> str:
        label = self.fleet_number or self.license_plate
        return f"{label} ({self.vin})" if label else self.vin

    def clean(self) -> None:
        if self.status == self.Status.CHARGING:
            raise ValidationError({"status": ValidationError(CHARGING_IS_DERIVED, code="derived")})

    def get_current_status_display(self) -> str:
        """The label of the status shown (`current_status`, annotated by fleet.selectors), else the stored one."""
        return self.Status(getattr(self, "current_status", self.status)).label


class TelemetryPoint(models.Model):
    """One reading a vehicle reported at a moment: charge, odometer, position, speed, temperature, power."""

    id = models.BigAutoField(primary_key=True)
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="telemetry", db_index=False
    )
    recorded_at = models.DateTimeField(
        "recorded at", help_text="When the vehicle took the reading, ISO 8601 with offset."
    )
    soc_percent = _percent("state of charge (%)", null=True, blank=True)
    odometer_km = models.FloatField(
        "odometer (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(10_000_000.0)],
        help_text="Odometer reading in km.",
    )
    latitude = models.FloatField(
        "latitude (°)", null=True, blank=True, validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)]
    )
    longitude = models.FloatField(
        "longitude (°)", null=True, blank=True, validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)]
    )
    speed_kmh = models.FloatField(
        "speed (km/h)", null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(300.0)]
    )
    battery_temperature_c = models.FloatField(
        "battery temperature (°C)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-60.0), MaxValueValidator(100.0)],
    )
    power_kw = models.FloatField(
        "power (kW)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-1000.0), MaxValueValidator(1000.0)],
        help_text="Battery power in kW: positive while charging, negative while driving or discharging.",
    )

    scope_field = "vehicle__department"

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "telemetry point"
        constraints = [
            # One reading per vehicle and instant (ingest idempotency). Its index, (vehicle, recorded_at),
            # also serves every per-vehicle time-range query and "newest point of a vehicle".
            models.UniqueConstraint(fields=["vehicle", "recorded_at"], name="telemetry_unique_vehicle_time"),
        ]
        indexes = [
            # fleet-wide "latest readings" listing and retention by age
            models.Index(fields=["recorded_at"], name="telemetry_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} @ {self.recorded_at:%Y-%m-%d %H:%M:%S}"
