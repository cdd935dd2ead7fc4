"""Tariffs and their versions: created with the first version, edited only by new versions; the engine's view of
a version."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audited_save, snapshot
from accounts.models import User
from evfleet import formatting
from pricing import engine
from pricing.models import Tariff, TariffVersion, currency_minor_units
from pricing.validation import TariffInvalid, normalized_elements, parse_elements
from stations.models import Connector, Site

__all__ = [
    "engine_tariff",
    "tariff_create",
    "tariff_update",
    "tariff_version_create",
]


def _elements_or_error(elements: Any) -> list[dict]:
    try:
        return normalized_elements(elements)
    except TariffInvalid as exc:
        raise ValidationError(exc.errors) from None


def _attachment_department_check(tariff: Tariff) -> None:
    place = (
        tariff.connector.charge_point.site
        if tariff.connector_id
        else (tariff.charge_point.site if tariff.charge_point_id else tariff.site)
    )
    if place is not None and place.department_id != tariff.department_id:
        raise ValidationError(
            {"department": f"The tariff belongs to {place.department}, the department of site {place}."}
        )


@transaction.atomic
def tariff_create(
    *,
    actor: User | None,
    name: str,
    department,
    currency: str,
    valid_from: datetime,
    tax_percent: Decimal,
    elements: Any,
    site: Site | None = None,
    charge_point=None,
    connector: Connector | None = None,
    valid_until: datetime | None = None,
    note: str = "",
    demand_charge_per_kw: Decimal | None = None,
) -> Tariff:
    """A tariff and its first version, together or not at all."""
    stored = _elements_or_error(elements)
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationError({"valid_until": "Must be after the first version's valid_from."})
    tariff = Tariff(
        name=name,
        department=department,
        currency=currency,
        site=site,
        charge_point=charge_point,
        connector=connector,
        valid_until=valid_until,
        demand_charge_per_kw=demand_charge_per_kw,
    )
    _attachment_department_check(tariff)
    audited_save(tariff, actor=actor, before=None)
    _version_save(
        tariff, number=1, valid_from=valid_from, tax_percent=tax_percent, elements=stored, note=note, actor=actor
    )
    return tariff


def tariff_update(*, actor: User | None, tariff: Tariff, **data: Any) -> Tariff:
    """Rename or re-attach a tariff; its prices change only through new versions."""
    if "currency" in data and data["currency"] != tariff.currency and tariff.versions.exists():
        raise ValidationError(
            {"currency": "A tariff's currency cannot change: its versions are priced in it. Create a new tariff."}
        )
    before = snapshot(tariff)
    for name, value in data.items():
        setattr(tariff, name, value)
    _attachment_department_check(tariff)
    return audited_save(tariff, actor=actor, before=before)


@transaction.atomic
def tariff_version_create(
    *,
    actor: User | None,
    tariff: Tariff,
    valid_from: datetime,
    tax_percent: Decimal,
    elements: Any,
    note: str = "",
) -> TariffVersion:
    """Edit a tariff: its new prices from `valid_from` on. Versions before stay as they were, and sessions
    priced with them keep them."""
    stored = _elements_or_error(elements)
    Tariff.objects.select_for_update().filter(pk=tariff.pk).first()  # versions of one tariff one at a time
    latest = tariff.versions.order_by("-number").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise ValidationError(
            {
                "valid_from": f"Must be after {formatting.local(latest.valid_from, formatting.zone_of(actor))}, "
                f"when version {latest.number} starts."
            }
        )
    return _version_save(
        tariff,
        number=(latest.number + 1) if latest else 1,
        valid_from=valid_from,
        tax_percent=tax_percent,
        elements=stored,
        note=note,
        actor=actor,
    )


def _version_save(tariff, *, number, valid_from, tax_percent, elements, note, actor) -> TariffVersion:
    version = TariffVersion(
        tariff=tariff,
        number=number,
        valid_from=valid_from,
        tax_percent=tax_percent,
        elements=elements,
        note=note,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return audited_save(version, actor=actor, before=None)


def engine_tariff(version: TariffVersion) -> engine.Tariff:
    tariff = version.tariff
    return engine.Tariff(
        label=f"{tariff.name} v{version.number}",
        currency=tariff.currency,
        minor_units=currency_minor_units(tariff.currency),
        tax_percent=version.tax_percent,
        elements=parse_elements(version.elements),
    )
