"""State of health: each vehicle's integrated aging state and filtered estimate, its daily history, and the capacity
observations made from charging sessions. The physics is in `simulation/battery/` (plain Python); these tables
keep what the daily job (`simulation.services.health.vehicle_health_update`) computed."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from evfleet.models import TimeStampedModel
from fleet.models import Vehicle
from stations.models import Connector

PERCENT = [MinValueValidator(0.0), MaxValueValidator(100.0)]
NON_NEGATIVE = [MinValueValidator(0.0)]


class Chemistry(models.TextChoices):
    """The cell chemistries the aging models know (simulation.battery.chemistry.Chemistry, by value)."""

    NMC = "nmc", "NMC (Schmalstieg et al. 2014)"
    LFP = "lfp", "LFP (Naumann et al. 2018, 2020)"


class VehicleHealth(TimeStampedModel):
    """A vehicle's battery as the daily job left it: the model's aging state, the filtered state of health and the
    prediction it made from the vehicle's own usage."""

    vehicle = models.OneToOneField(
        Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="battery_health"
    )
    chemistry = models.CharField(
        "chemistry", max_length=8, choices=Chemistry.choices, help_text="The cell chemistry the aging model used."
    )
    pack_assumed = models.BooleanField(
        "pack assumed",
        default=False,
        help_text="The vehicle model is not in the pack catalogue: the pack is the documented fallback for its class.",
    )
    aging_state = models.JSONField(
        "aging state",
        default=dict,
        help_text="The aging model's state (simulation.battery.aging.AgingState), one number per field: capacity "
        "loss fractions (0–1), resistance rises (fractions), charge throughput (Ah), elapsed days.",
    )
    model_soh_percent = models.FloatField(
        "model SoH (%)", validators=PERCENT, help_text="Capacity against new in %, from the aging model alone."
    )
    resistance_percent = models.FloatField(
        "resistance (%)",
        validators=[MinValueValidator(100.0)],
        help_text="Internal resistance against new in % (100 = new), from the aging model.",
    )
    throughput_kwh = models.FloatField(
        "throughput (kWh)", validators=NON_NEGATIVE, help_text="Energy cycled through the pack since new, in kWh."
    )
    soh_percent = models.FloatField(
        "state of health (%)",
        validators=PERCENT,
        help_text="The filtered estimate in %: the model corrected by the capacity observations (Kalman filter).",
    )
    variance = models.FloatField(
        "variance (%²)", validators=NON_NEGATIVE, help_text="Variance of the filtered estimate, in %² (SoH points)."
    )
    integrated_through = models.DateField(
        "integrated through",
        help_text="The last day (UTC) whose telemetry has been aged in; the next run starts after it.",
    )
    last_soc_percent = models.FloatField(
        "last SoC (%)",
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="The SoC at the end of the last integrated day, held over a day without telemetry.",
    )
    last_temperature_c = models.FloatField(
        "last battery temperature (°C)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-40.0), MaxValueValidator(60.0)],
        help_text="The battery temperature at the end of the last integrated day, in °C.",
    )
    prediction = models.JSONField(
        "prediction",
        default=dict,
        blank=True,
        help_text="SoH ahead under the vehicle's last 30 days of use repeated: days from integrated_through, mean, "
        "low and high of the 95 % band, each in %.",
    )

    scope_field = "vehicle__department"

    class Meta:
        verbose_name = "vehicle battery health"
        verbose_name_plural = "vehicle battery health"
        ordering = ["soh_percent"]
        constraints = [
            models.CheckConstraint(
                condition=Q(soh_percent__gte=0, soh_percent__lte=100), name="vehiclehealth_soh_in_range"
            ),
            models.CheckConstraint(
                condition=Q(model_soh_percent__gte=0, model_soh_percent__lte=100),
                name="vehiclehealth_model_soh_in_range",
            ),
            models.CheckConstraint(condition=Q(variance__gte=0), name="vehiclehealth_variance_non_negative"),
            models.CheckConstraint(condition=Q(throughput_kwh__gte=0), name="vehiclehealth_throughput_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.soh_percent:.1f} %"


class HealthDay(models.Model):
    """One vehicle's state of health at the end of one day: the model's, the filtered estimate and what fed it."""

    id = models.BigAutoField(primary_key=True)
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="vehicle", on_delete=models.CASCADE, related_name="health_days", db_index=False
    )
    day = models.DateField("day", help_text="The day (UTC) whose telemetry was aged in.")
    model_soh_percent = models.FloatField(
        "model SoH (%)", validators=PERCENT, help_text="Capacity against new in %, from the aging model alone."
    )
    soh_percent = models.FloatField(
        "state of health (%)", validators=PERCENT, help_text="The filtered estimate in % at the end of the day."
    )
    variance = models.FloatField("variance (%²)", validators=NON_NEGATIVE, help_text="Its variance, in %².")
    resistance_percent = models.FloatField(
        "resistance (%)", validators=[MinValueValidator(100.0)], help_text="Internal resistance against new, in %."
    )
    throughput_kwh = models.FloatField(
        "throughput (kWh)", validators=NON_NEGATIVE, help_text="Energy cycled through the pack since new, in kWh."
    )
    telemetry_hours = models.PositiveSmallIntegerField(
        "hours with telemetry",
        validators=[MaxValueValidator(24)],
        help_text="Hours of the day with a reading (0: aged at rest at the last SoC and the local temperature).",
    )
    soc_profile_percent = models.JSONField(
        "hourly SoC (%)",
        default=list,
        help_text="The day's SoC by UTC hour (24 values, gaps held), in %: the usage the prediction repeats.",
    )
    temperature_profile_c = models.JSONField(
        "hourly battery temperature (°C)",
        default=list,
        help_text="The day's battery temperature by UTC hour (24 values, gaps held), in °C.",
    )
    observation_used = models.BooleanField(
        "observation used", default=False, help_text="A capacity observation of this day corrected the estimate."
    )

    scope_field = "vehicle__department"

    class Meta:
        verbose_name = "health day"
        ordering = ["vehicle", "day"]
        constraints = [
            # one row per vehicle and day (the job's idempotency); its index serves a vehicle's history by date
            models.UniqueConstraint(fields=["vehicle", "day"], name="healthday_one_per_vehicle_day"),
            models.CheckConstraint(
                condition=Q(soh_percent__gte=0, soh_percent__lte=100), name="healthday_soh_in_range"
            ),
            models.CheckConstraint(condition=Q(variance__gte=0), name="healthday_variance_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.day}: {self.soh_percent:.1f} %"


class CapacityObservation(models.Model):
    """A capacity estimate from one charge over a wide SoC window: metered kWh ÷ ΔSoC, corrected for losses."""

    id = models.BigAutoField(primary_key=True)
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name="vehicle",
        on_delete=models.CASCADE,
        related_name="capacity_observations",
        db_index=False,  # capacityobs_vehicle_time_idx (vehicle, observed_at) serves it
    )
    observed_at = models.DateTimeField("observed at", help_text="When the charge ended.")
    energy_kwh = models.FloatField(
        "energy (kWh)", validators=NON_NEGATIVE, help_text="Energy metered by the station over the charge, in kWh."
    )
    soc_start_percent = models.FloatField("SoC at start (%)", validators=PERCENT, help_text="First SoC reported, %.")
    soc_end_percent = models.FloatField("SoC at end (%)", validators=PERCENT, help_text="Last SoC reported, %.")
    current_type = models.CharField(
        "current",
        max_length=2,
        choices=Connector.CurrentType.choices,
        help_text="AC or DC charge (their losses differ).",
    )
    soh_percent = models.FloatField(
        "observed SoH (%)",
        validators=[MinValueValidator(0.0)],
        help_text="Capacity the charge implies against the usable capacity when new, in % (may exceed 100: noise).",
    )
    variance = models.FloatField(
        "variance (%²)", validators=NON_NEGATIVE, help_text="How uncertain the observation is, in %²."
    )
    source = models.CharField(
        "source", max_length=30, help_text='Where the charge comes from, e.g. "charging.session".'
    )
    source_id = models.BigIntegerField("source id", help_text="The record's id in its source, e.g. the session id.")
    used_on = models.DateField(
        "used on",
        null=True,
        blank=True,
        help_text="The day whose filter step it corrected (empty: not yet used).",
    )
    rejected = models.BooleanField(
        "rejected as an outlier",
        default=False,
        help_text="Too far from the estimate to be believed (over 25 points and 6 standard deviations away): kept, "
        "not used.",
    )

    scope_field = "vehicle__department"

    class Meta:
        verbose_name = "capacity observation"
        ordering = ["-observed_at"]
        constraints = [
            # a session is observed once, however often the job runs
            models.UniqueConstraint(fields=["source", "source_id"], name="capacityobs_one_per_source_record"),
            models.CheckConstraint(
                condition=Q(soc_end_percent__gt=models.F("soc_start_percent")), name="capacityobs_soc_rises"
            ),
            models.CheckConstraint(condition=Q(energy_kwh__gte=0), name="capacityobs_energy_non_negative"),
            models.CheckConstraint(condition=Q(variance__gte=0), name="capacityobs_variance_non_negative"),
        ]
        indexes = [
            # a vehicle's observations in time order (the chart, the day's filter step)
            models.Index(fields=["vehicle", "observed_at"], name="capacityobs_vehicle_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} @ {self.observed_at:%Y-%m-%d %H:%M}: {self.soh_percent:.1f} %"
