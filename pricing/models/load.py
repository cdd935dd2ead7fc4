"""Dynamic pricing: a site's load-based pricing, the grid's signals, and the price recorded for each interval."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from evfleet.models import TimeStampedModel
from pricing.models.money import MONEY
from stations.models import Site


class LoadPricing(TimeStampedModel):
    """A site's dynamic pricing: energy prices follow the load on its grid connection and, when present, the
    grid's own price or load signal, through a curve, between a floor and a cap."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="load_pricing")
    is_active = models.BooleanField("active", default=True)
    curve = models.JSONField(
        "curve",
        help_text="Points [load %, price multiplier], load rising, e.g. [[0, 0.9], [50, 1.0], [90, 1.4]]; "
        "linear in between, flat beyond.",
    )
    floor_price = models.DecimalField(
        "floor (per kWh)", **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    cap_price = models.DecimalField(
        "cap (per kWh)", **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    use_grid_load = models.BooleanField(
        "use the grid's load signal",
        default=True,
        help_text="When a grid load figure is present, price by the higher of it and the site's own load.",
    )
    grid_price_reference = models.DecimalField(
        "grid price reference (per kWh)",
        **MONEY,
        null=True,
        blank=True,
        help_text="A grid price above this adds to the energy price, below it takes off (by the share below).",
    )
    grid_price_share_percent = models.DecimalField(
        "grid price passed on (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    scope_field = "site__department"

    class Meta:
        db_table = "charging_loadpricing"
        ordering = ["site"]
        verbose_name = "load-based pricing"
        verbose_name_plural = "load-based pricing"
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_price__isnull=True)
                | Q(cap_price__isnull=True)
                | Q(cap_price__gte=models.F("floor_price")),
                name="load_pricing_cap_above_floor",
            )
        ]

    def __str__(self) -> str:
        return f"Load pricing at {self.site}"


class GridSignal(models.Model):
    """An external figure for a site's grid over an interval: a price (e.g. day-ahead) or the grid's load."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="grid_signals")
    starts_at = models.DateTimeField("starts at")
    ends_at = models.DateTimeField("ends at")
    price_per_kwh = models.DecimalField("grid price (per kWh)", **MONEY, null=True, blank=True)
    load_percent = models.DecimalField(
        "grid load (%)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(200))],
    )
    source = models.CharField("source", max_length=60, help_text="Who published it, e.g. the grid operator's feed.")
    received_at = models.DateTimeField("received at", auto_now_add=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    scope_field = "site__department"

    class Meta:
        db_table = "charging_gridsignal"
        ordering = ["site", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "source", "starts_at"], name="grid_signal_unique_interval"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="grid_signal_ends_after_start"),
            models.CheckConstraint(
                condition=Q(price_per_kwh__isnull=False) | Q(load_percent__isnull=False),
                name="grid_signal_has_a_value",
            ),
        ]
        indexes = [
            # signals overlapping a period at a site
            models.Index(fields=["site", "starts_at", "ends_at"], name="grid_signal_site_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_at:%Y-%m-%d %H:%M}"


class PriceInterval(models.Model):
    """What dynamic pricing applied at a site in one 15-minute interval: the load behind it and the factor set.

    The price for an interval is set from the load measured in the interval before it, so that a driver
    can see it in advance; sessions are priced from these records."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="price_intervals")
    starts_at = models.DateTimeField("starts at")
    ends_at = models.DateTimeField("ends at")
    site_load_kw = models.DecimalField(
        "site load (kW)", max_digits=10, decimal_places=2, help_text="Average power drawn in the interval before."
    )
    load_percent = models.DecimalField("site load (% of the grid limit)", max_digits=7, decimal_places=2)
    grid_load_percent = models.DecimalField("grid load (%)", max_digits=6, decimal_places=2, null=True, blank=True)
    grid_price_per_kwh = models.DecimalField("grid price (per kWh)", **MONEY, null=True, blank=True)
    multiplier = models.DecimalField("price multiplier", max_digits=8, decimal_places=4)
    adder = models.DecimalField("added per kWh", **MONEY, default=Decimal(0))
    floor_price = models.DecimalField("floor (per kWh)", **MONEY, null=True, blank=True)
    cap_price = models.DecimalField("cap (per kWh)", **MONEY, null=True, blank=True)
    recorded_at = models.DateTimeField("recorded at", auto_now_add=True)

    scope_field = "site__department"

    class Meta:
        db_table = "charging_priceinterval"
        ordering = ["site", "-starts_at"]
        constraints = [models.UniqueConstraint(fields=["site", "starts_at"], name="price_interval_unique_start")]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_at:%Y-%m-%d %H:%M} ×{self.multiplier}"
