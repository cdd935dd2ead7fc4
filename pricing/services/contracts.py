"""Fleet customers and their contracts (one at a time per customer), and the engine's view of a contract."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audited_save, model_create, model_update, snapshot
from accounts.models import User
from pricing import engine
from pricing.models import Contract, ContractVolumeTier, Customer

__all__ = [
    "contract_check",
    "contract_create",
    "contract_update",
    "customer_create",
    "customer_update",
    "engine_contract",
]


def customer_create(*, actor: User | None, **data: Any) -> Customer:
    return model_create(model=Customer, data=data, actor=actor)


def customer_update(*, actor: User | None, customer: Customer, **data: Any) -> Customer:
    return model_update(instance=customer, data=data, actor=actor)


def _tiers_check(kind: str, tiers: list[dict]) -> None:
    if kind == Contract.Kind.VOLUME:
        if not tiers:
            raise ValidationError(
                {"tiers": "A volume contract needs at least one tier: from_kwh and a price or discount."}
            )
        starts = [Decimal(str(t["from_kwh"])) for t in tiers]
        if len(set(starts)) != len(starts):
            raise ValidationError({"tiers": "Two tiers start at the same kWh; give each its own from_kwh."})
        for i, tier in enumerate(tiers):
            if (tier.get("energy_price") is None) == (tier.get("discount_percent") is None):
                raise ValidationError({f"tiers[{i}]": "Give either energy_price or discount_percent, not both."})
    elif tiers:
        raise ValidationError({"tiers": "Only a volume contract has tiers."})


def _overlap_check(contract: Contract) -> None:
    others = Contract.objects.filter(customer_id=contract.customer_id).exclude(pk=contract.pk)
    far = datetime.max.replace(tzinfo=contract.valid_from.tzinfo)
    for other in others.select_for_update():
        if other.valid_from < (contract.valid_until or far) and contract.valid_from < (other.valid_until or far):
            until = (
                f"to {other.valid_until:%Y-%m-%d}" if other.valid_until else "open-ended; end it first (valid_until)"
            )
            raise ValidationError(
                {
                    "valid_from": f"Overlaps the customer's contract {other.name!r} "
                    f"(from {other.valid_from:%Y-%m-%d} {until}); a customer has one contract at a time."
                }
            )


def _contract_fields_check(contract: Contract) -> None:
    needs = {
        Contract.Kind.TARIFF: "tariff",
        Contract.Kind.DISCOUNT: "discount_percent",
        Contract.Kind.ENERGY_PRICE: "energy_price",
    }.get(contract.kind)
    if needs and getattr(contract, needs if needs != "tariff" else "tariff_id") is None:
        raise ValidationError({needs: f"A {contract.get_kind_display().lower()} contract needs {needs}."})
    if contract.kind == Contract.Kind.TARIFF and contract.tariff.department_id != contract.customer.department_id:
        raise ValidationError({"tariff": "The tariff must belong to the customer's department."})


def contract_check(contract: Contract, tiers: list[dict]) -> None:
    """A contract's own rules: the fields its kind needs, its tiers, no overlap with the customer's others."""
    _tiers_check(contract.kind, tiers)
    _contract_fields_check(contract)
    Customer.objects.select_for_update().filter(pk=contract.customer_id).first()  # contracts of one customer in turn
    _overlap_check(contract)


@transaction.atomic
def contract_create(*, actor: User | None, tiers: list[dict] | None = None, **data: Any) -> Contract:
    contract = Contract(**data)
    contract_check(contract, tiers or [])
    audited_save(contract, actor=actor, before=None)
    _tiers_save(contract, tiers or [])
    return contract


@transaction.atomic
def contract_update(
    *, actor: User | None, contract: Contract, tiers: list[dict] | None = None, **data: Any
) -> Contract:
    before = snapshot(contract)
    for name, value in data.items():
        setattr(contract, name, value)
    kept = list(contract.tiers.values("from_kwh", "energy_price", "discount_percent"))
    contract_check(contract, tiers if tiers is not None else kept)
    audited_save(contract, actor=actor, before=before)
    if tiers is not None:
        contract.tiers.all().delete()
        _tiers_save(contract, tiers)
    return contract


def _tiers_save(contract: Contract, tiers: list[dict]) -> None:
    for tier in tiers:
        row = ContractVolumeTier(contract=contract, **tier)
        row.full_clean()
        row.save()


def engine_contract(contract: Contract | None, *, month_kwh_before: Decimal) -> engine.Contract | None:
    if contract is None or contract.kind == Contract.Kind.TARIFF:
        return None
    return engine.Contract(
        label=f"contract {contract.name}",
        kind=contract.kind,
        discount_percent=contract.discount_percent,
        energy_price=contract.energy_price,
        tiers=tuple(engine.VolumeTier(t.from_kwh, t.energy_price, t.discount_percent) for t in contract.tiers.all()),
        month_kwh_before=month_kwh_before,
    )
