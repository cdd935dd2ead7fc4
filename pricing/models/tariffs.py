"""Tariffs and their versions: a price list attached to a place (or to none, for contracts), versioned."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Department
from evfleet.models import TimeStampedModel
from pricing.models.money import validate_currency
from stations.models import ChargePoint, Connector, Site


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
        db_table = "charging_tariff"
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
        db_table = "charging_tariffversion"
        ordering = ["tariff", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "number"], name="tariff_version_unique_number"),
            # the version in force at an instant: tariff = ? AND valid_from <= ? ORDER BY valid_from DESC
            models.UniqueConstraint(fields=["tariff", "valid_from"], name="tariff_version_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.name} v{self.number}"
