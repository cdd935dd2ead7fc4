"""Pricing: tariffs and their versions, fleet customers and their contracts, holidays, dynamic pricing."""

from datetime import date
from decimal import Decimal

import holidays as holiday_data
from babel.numbers import get_currency_precision, list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from stations.models import ChargePoint, Connector, Site

MONEY = {"max_digits": 12, "decimal_places": 6}  # unit prices: sub-cent precision (0.123456 per kWh)
TOTAL = {"max_digits": 14, "decimal_places": 4}  # session amounts, rounded to the currency's minor unit


def validate_currency(value: str) -> None:
    if value not in list_currencies() or value != value.upper():
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code; use e.g. EUR, USD, GBP, JPY.")


# What the validators admit, for the OpenAPI schema (evfleet/api/schema.py).
validate_currency.openapi_component = "Currency"
validate_currency.openapi_schema = lambda: {
    "type": "string",
    "enum": sorted(code for code in list_currencies() if code == code.upper()),
    "description": "An ISO 4217 currency code, e.g. EUR.",
}
validate_currency.openapi_invalid = "EUX"


def currency_minor_units(code: str) -> int:
    return get_currency_precision(code)


def validate_country(value: str) -> None:
    if value and value not in holiday_data.list_supported_countries():
        raise ValidationError(f"No holiday data for {value!r}; use an ISO 3166 country code such as DE, FR, US.")


validate_country.openapi_component = "Country"
validate_country.openapi_schema = lambda: {
    "type": "string",
    "enum": sorted(code for code in holiday_data.list_supported_countries() if len(code) == 2),
    "description": "An ISO 3166 country code with holiday data, e.g. DE.",
}
validate_country.openapi_invalid = "XX"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class HolidayCalendar(TimeStampedModel):
    """Public holidays of a country or region, plus the operator's own days; tariffs price them as a Sunday."""

    name = models.CharField("name", max_length=80, unique=True)
    country = models.CharField(
        "country", max_length=2, blank=True, validators=[validate_country], help_text="ISO 3166 code, e.g. DE."
    )
    subdivision = models.CharField(
        "region", max_length=10, blank=True, help_text="The region's code within the country, e.g. BY for Bavaria."
    )
    priced_as = models.PositiveSmallIntegerField(
        "priced as", choices=Weekday.choices, default=Weekday.SUNDAY, help_text="Which day's prices a holiday gets."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.country and self.subdivision:
            try:
                holiday_data.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError:
                raise ValidationError({"subdivision": f"{self.country} has no region {self.subdivision!r}."}) from None

    def dates(self, years: list[int], extra: list[date] | None = None) -> frozenset[date]:
        found = set(extra or [])
        if self.country:
            found.update(holiday_data.country_holidays(self.country, subdiv=self.subdivision or None, years=years))
        return frozenset(found)


class Holiday(models.Model):
    """A day an operator prices as a holiday in one calendar (besides the public ones)."""

    calendar = models.ForeignKey(HolidayCalendar, on_delete=models.CASCADE, related_name="extra_days")
    date = models.DateField("date")
    name = models.CharField("name", max_length=80)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Customer(TimeStampedModel):
    """A company or an internal department that is billed for charging; vehicles and RFID tokens belong to one."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        INTERNAL = "internal", "Internal department"

    name = models.CharField("name", max_length=120)
    kind = models.CharField("kind", max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text="The department that manages this customer (who may see and bill it).",
    )
    billed_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For an internal customer: the department charged internally.",
    )
    billing_email = models.EmailField("billing email", blank=True)
    tax_id = models.CharField("tax id", max_length=40, blank=True, help_text="VAT or other tax registration number.")
    is_active = models.BooleanField("active", default=True)

    scope_field = "department"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="customer_unique_name_per_department"),
            models.CheckConstraint(
                condition=Q(kind="internal") | Q(billed_department__isnull=True),
                name="customer_billed_department_internal_only",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tariff(TimeStampedModel):
    """A price list: attached to a site, a charge point or a connector (the most specific wins), or, attached
    to none, a tariff that contracts give their customers. Its prices live in versions."""

    name = models.CharField("name", max_length=120)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tariffs")
    currency = models.CharField(
        "currency", max_length=3, validators=[validate_currency], help_text="ISO 4217 code, e.g. EUR."
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="tariffs")
    charge_point = models.ForeignKey(
        ChargePoint, null=True, blank=True, on_delete=models.CASCADE, related_name="tariffs"
    )
    connector = models.ForeignKey(Connector, null=True, blank=True, on_delete=models.CASCADE, related_name="tariffs")
    valid_until = models.DateTimeField(
        "valid until",
        null=True,
        blank=True,
        help_text="Empty: open-ended. After it, the next less specific tariff applies (e.g. the site's after a "
        "connector's promotion).",
    )
    demand_charge_per_kw = models.DecimalField(
        "demand charge (per kW)",
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="What the site pays per kW of its highest 15-minute demand in a period; smart charging "
        "weighs it against energy prices. Empty: none.",
    )

    scope_field = "department"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="tariff_unique_name_per_department"),
            models.CheckConstraint(
                condition=(
                    Q(site__isnull=True, charge_point__isnull=True)
                    | Q(site__isnull=True, connector__isnull=True)
                    | Q(charge_point__isnull=True, connector__isnull=True)
                ),
                name="tariff_one_attachment",
            ),
            # one tariff per place: the lookup for a connector reads at most one of each
            models.UniqueConstraint(fields=["site"], condition=Q(site__isnull=False), name="tariff_one_per_site"),
            models.UniqueConstraint(
                fields=["charge_point"], condition=Q(charge_point__isnull=False), name="tariff_one_per_charge_point"
            ),
            models.UniqueConstraint(
                fields=["connector"], condition=Q(connector__isnull=False), name="tariff_one_per_connector"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def attached_to(self) -> str:
        if self.connector_id:
            return f"connector {self.connector}"
        if self.charge_point_id:
            return f"charge point {self.charge_point}"
        if self.site_id:
            return f"site {self.site}"
        return "contracts only"


class TariffVersion(models.Model):
    """One version of a tariff's prices, in force from `valid_from` until the next version's; never edited."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("version")
    valid_from = models.DateTimeField("valid from")
    tax_percent = models.DecimalField(
        "tax rate (%)",
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Added to the prices, which are all excluding tax.",
    )
    elements = models.JSONField(
        "elements", help_text="OCPI 2.2.1 tariff elements: price_components and restrictions; prices excluding tax."
    )
    note = models.CharField("note", max_length=200, blank=True, help_text="What changed, for the record.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("created at", auto_now_add=True)

    scope_field = "tariff__department"

    class Meta:
        ordering = ["tariff", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "number"], name="tariff_version_unique_number"),
            # the version in force at an instant: tariff = ? AND valid_from <= ? ORDER BY valid_from DESC
            models.UniqueConstraint(fields=["tariff", "valid_from"], name="tariff_version_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.name} v{self.number}"


class Contract(TimeStampedModel):
    """A customer's special rate for a period: its own tariff, a discount, a per-kWh price or monthly volume tiers."""

    class Kind(models.TextChoices):
        TARIFF = "tariff", "Separate tariff"
        DISCOUNT = "discount", "Percentage discount"
        ENERGY_PRICE = "energy_price", "Per-kWh price"
        VOLUME = "volume", "Monthly volume tiers"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    name = models.CharField("name", max_length=120)
    kind = models.CharField("kind", max_length=12, choices=Kind.choices)
    valid_from = models.DateTimeField("valid from")
    valid_until = models.DateTimeField("valid until", null=True, blank=True, help_text="Empty: open-ended.")
    tariff = models.ForeignKey(
        Tariff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        help_text="For a separate tariff: the tariff the customer pays everywhere instead of the posted one.",
    )
    discount_percent = models.DecimalField(
        "discount (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
        help_text="Taken off every price of the tariff in force, after dynamic pricing.",
    )
    energy_price = models.DecimalField(
        "energy price (per kWh)",
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Replaces the tariff's energy price (excluding tax); time and parking fees still apply.",
    )

    scope_field = "customer__department"

    class Meta:
        ordering = ["customer", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="tariff", tariff__isnull=False)
                    | Q(kind="discount", discount_percent__isnull=False)
                    | Q(kind="energy_price", energy_price__isnull=False)
                    | Q(kind="volume")
                ),
                name="contract_rate_matches_kind",
            ),
        ]
        indexes = [
            # the contract in force for a customer at an instant
            models.Index(fields=["customer", "valid_from"], name="contract_customer_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.name}"


class ContractVolumeTier(models.Model):
    """One step of a monthly volume contract: from this many kWh in the month on, this price or discount."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="tiers")
    from_kwh = models.DecimalField(
        "from (kWh this month)", max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal(0))]
    )
    energy_price = models.DecimalField(
        "energy price (per kWh)", **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    discount_percent = models.DecimalField(
        "discount (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["contract", "from_kwh"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "from_kwh"], name="volume_tier_unique_start"),
            models.CheckConstraint(
                condition=Q(energy_price__isnull=True, discount_percent__isnull=False)
                | Q(energy_price__isnull=False, discount_percent__isnull=True),
                name="volume_tier_price_or_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"≥ {self.from_kwh} kWh"


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
        ordering = ["site", "-starts_at"]
        constraints = [models.UniqueConstraint(fields=["site", "starts_at"], name="price_interval_unique_start")]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_at:%Y-%m-%d %H:%M} ×{self.multiplier}"
