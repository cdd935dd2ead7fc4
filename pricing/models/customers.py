"""Fleet customers and their contracts: a separate tariff, a discount, a per-kWh price or monthly volume tiers."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from pricing.models.money import MONEY
from pricing.models.tariffs import Tariff


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
        db_table = "charging_customer"
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
        db_table = "charging_contract"
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
        db_table = "charging_contractvolumetier"
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
