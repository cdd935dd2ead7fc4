"""Write side of charging pricing: tariffs and versions, customers and contracts, dynamic price intervals,
quotes and session costs. The API, the dashboard, the admin and the tasks all call these."""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Max
from django.utils import timezone

from accounts.audit import audited_save, model_create, model_update, snapshot
from accounts.models import User
from charging import selectors
from charging.models import (
    ChargingSession,
    Contract,
    ContractVolumeTier,
    Customer,
    GridSignal,
    LoadPricing,
    MeterSample,
    PriceInterval,
    Tariff,
    TariffVersion,
)
from charging.models.pricing import currency_minor_units
from charging.pricing import engine
from charging.pricing.validation import (
    TariffInvalid,
    curve_multiplier,
    normalized_elements,
    parse_curve,
    parse_elements,
)
from evfleet import formatting
from fleet.models import Vehicle
from stations import selectors as station_selectors
from stations.models import Connector, Site

logger = logging.getLogger(__name__)
INTERVAL = timedelta(minutes=15)
MAX_QUOTE = timedelta(days=7)


class PricingError(ValidationError):
    """A price cannot be computed; `message_dict` names the field to fix."""


# --- tariffs ---------------------------------------------------------------------------------


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


# --- customers and contracts -------------------------------------------------------------------


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


# --- dynamic pricing -------------------------------------------------------------------------


def load_pricing_save(
    *, actor: User | None, site: Site, instance: LoadPricing | None = None, **data: Any
) -> LoadPricing:
    if "curve" in data:
        try:
            parse_curve(data["curve"])
        except TariffInvalid as exc:
            raise ValidationError(exc.errors) from None
    if instance is None:
        return model_create(model=LoadPricing, data={"site": site, **data}, actor=actor)
    return model_update(instance=instance, data=data, actor=actor)


def _measured_load_kw(site: Site, start: datetime, end: datetime) -> Decimal:
    """The site's average draw over [start, end): per connector, the mean of its power readings; summed."""
    per_connector = (
        MeterSample.objects.filter(
            connector__charge_point__site=site, sampled_at__gte=start, sampled_at__lt=end, power_kw__isnull=False
        )
        .values("connector_id")
        .annotate(mean=Avg("power_kw"))
    )
    return Decimal(str(round(sum(row["mean"] for row in per_connector), 2)))


def _interval_values(policy: LoadPricing, site: Site, start: datetime, load_kw: Decimal, signals) -> dict:
    load_percent = (load_kw / site.grid_limit_kw * 100).quantize(Decimal("0.01"))
    signal_load = next((s.load_percent for s in signals if s.load_percent is not None), None)
    signal_price = next((s.price_per_kwh for s in signals if s.price_per_kwh is not None), None)
    effective = max(load_percent, signal_load) if (signal_load is not None and policy.use_grid_load) else load_percent
    multiplier = curve_multiplier(parse_curve(policy.curve), effective).quantize(Decimal("0.0001"))
    adder = Decimal(0)
    if signal_price is not None and policy.grid_price_reference is not None:
        adder = ((signal_price - policy.grid_price_reference) * policy.grid_price_share_percent / 100).quantize(
            Decimal("0.000001")
        )
    return {
        "site": site,
        "starts_at": start,
        "ends_at": start + INTERVAL,
        "site_load_kw": load_kw,
        "load_percent": load_percent,
        "grid_load_percent": signal_load,
        "grid_price_per_kwh": signal_price,
        "multiplier": multiplier,
        "adder": adder,
        "floor_price": policy.floor_price,
        "cap_price": policy.cap_price,
    }


def price_interval_record(
    *, site: Site, starts_at: datetime, policy: LoadPricing | None = None
) -> PriceInterval | None:
    """Set and store the dynamic price of the interval starting at `starts_at`, from the load measured in
    the interval before it. Recording the same interval again returns the stored one."""
    policy = policy or selectors.load_pricing_of(site)
    if policy is None:
        return None
    existing = PriceInterval.objects.filter(site=site, starts_at=starts_at).first()
    if existing is not None:
        return existing
    load_kw = _measured_load_kw(site, starts_at - INTERVAL, starts_at)
    signals = selectors.grid_signals(site, starts_at, starts_at + INTERVAL)
    try:
        with transaction.atomic():
            return PriceInterval.objects.create(**_interval_values(policy, site, starts_at, load_kw, signals))
    except IntegrityError:  # recorded meanwhile by another worker
        return PriceInterval.objects.get(site=site, starts_at=starts_at)


def _load_intervals(site: Site, start: datetime, end: datetime, *, record: bool) -> tuple[list, str]:
    """The dynamic price in every interval of [start, end): recorded where the time has come (recording what
    is missing when `record`), else forecast from the latest recorded load and the grid signals."""
    policy = selectors.load_pricing_of(site)
    if policy is None:
        return [], ""
    now = timezone.now()
    stored = {p.starts_at: p for p in selectors.price_intervals(site, start - INTERVAL, end)}
    latest = PriceInterval.objects.filter(site=site).aggregate(at=Max("starts_at"))["at"]
    latest_row = stored.get(latest) or (
        PriceInterval.objects.filter(site=site, starts_at=latest).first() if latest else None
    )
    signals = selectors.grid_signals(site, start, end)
    result, forecast = [], False
    moment = selectors.interval_start(start)
    while moment < end:
        row = stored.get(moment)
        if row is None and record and moment <= now:
            row = price_interval_record(site=site, starts_at=moment, policy=policy)
        if row is None:
            forecast = True
            load_kw = latest_row.site_load_kw if latest_row else Decimal(0)
            here = [s for s in signals if s.starts_at <= moment < s.ends_at]
            row = PriceInterval(**_interval_values(policy, site, moment, load_kw, here))
        label = f"site load {row.load_percent.normalize():f} %"
        if row.grid_load_percent is not None:
            label += f", grid load {row.grid_load_percent.normalize():f} %"
        if row.grid_price_per_kwh is not None:
            label += f", grid price {row.grid_price_per_kwh.normalize():f}"
        if row.pk is None:
            label += " (forecast)"
        result.append(
            engine.LoadInterval(
                row.starts_at, row.ends_at, row.multiplier, row.adder, row.floor_price, row.cap_price, label
            )
        )
        moment += INTERVAL
    return result, "forecast from the latest measured load" if forecast else "recorded"


def grid_signals_fetch(*, site: Site, start: datetime, end: datetime, feed=None) -> int:
    """Store what the grid signal feed says for the site over [start, end); a repeated interval is updated.
    All or nothing: an unreadable feed raises FeedError and stores none of it."""
    from charging.gridsignals import configured_feed

    feed = feed or configured_feed()
    source, signals = feed.fetch(site=site, start=start, end=end)
    with transaction.atomic():
        for signal in signals:
            GridSignal.objects.update_or_create(
                site=site,
                source=source,
                starts_at=signal.starts_at,
                defaults={
                    "ends_at": signal.ends_at,
                    "price_per_kwh": signal.price_per_kwh,
                    "load_percent": signal.load_percent,
                },
            )
    return len(signals)


# --- quotes and session costs ------------------------------------------------------------------


@dataclass
class Priced:
    result: engine.Price
    version: TariffVersion
    contract: Contract | None
    customer: Customer | None
    power_kw: Decimal | None = None

    def as_dict(self) -> dict:
        data = self.result.as_dict()
        data.update(
            {
                "tariff_id": self.version.tariff_id,
                "tariff_version": self.version.number,
                "customer_id": self.customer.pk if self.customer else None,
                "contract": self.contract.name if self.contract else None,
            }
        )
        if self.power_kw is not None:
            data["power_kw"] = str(self.power_kw)
        return data


def _pricing_inputs(connector: Connector, customer: Customer | None, start: datetime):
    contract = selectors.contract_at(customer, start)
    if contract is not None and contract.kind == Contract.Kind.TARIFF:
        tariff = contract.tariff
    else:
        tariff = selectors.tariff_for_connector(connector, start)
    if tariff is None:
        raise PricingError(
            {"connector": f"No tariff applies to {connector.label()}: attach one to it, its charge point or its site."}
        )
    version = selectors.version_at(tariff, start)
    if version is None:
        first = tariff.versions.order_by("valid_from").first()
        raise PricingError(
            {
                "start": f"Tariff {tariff.name!r} has no version in force then; its first starts "
                f"{formatting.local(first.valid_from) if first else 'never'}."
            }
        )
    return contract, version


def _calendar(site: Site, start: datetime, end: datetime) -> engine.Calendar:
    holidays, priced_as = selectors.holiday_dates(site, start, end)
    return engine.Calendar(site.time_zone, holidays, priced_as)


def quote(
    *,
    connector: Connector,
    start: datetime,
    vehicle: Vehicle | None = None,
    customer: Customer | None = None,
    energy_kwh: Decimal | None = None,
    duration: timedelta | None = None,
    power_kw: Decimal | None = None,
) -> Priced:
    """The price of charging at `connector` from `start`: `energy_kwh`, `duration` or both (then the rest of
    the time is parking). Power: the given one, else what the vehicle would get there, else the connector's."""
    if energy_kwh is None and duration is None:
        raise PricingError({"energy_kwh": "Give the expected energy (kWh), the duration, or both."})
    if duration is not None and (duration <= timedelta(0) or duration > MAX_QUOTE):
        raise PricingError({"duration_minutes": "Give a duration above 0 and at most 7 days (10080 minutes)."})
    if energy_kwh is not None and energy_kwh <= 0:
        raise PricingError({"energy_kwh": "Give a positive energy in kWh."})
    if vehicle is not None:
        incompatible = station_selectors.incompatibility_error(vehicle, connector)
        if incompatible is not None:
            raise PricingError({"vehicle": incompatible})
        fit = station_selectors.vehicle_fit(vehicle, connector, station_selectors.active_rules())
        power = power_kw or fit.power_kw
        customer = customer or vehicle.customer
    else:
        power = power_kw or connector.max_power_kw
    if energy_kwh is None:
        energy_kwh = power * Decimal(duration.total_seconds()) / 3600
    charging_for = timedelta(seconds=float(energy_kwh / power * 3600))
    if duration is not None and charging_for > duration:
        raise PricingError(
            {
                "energy_kwh": f"{energy_kwh} kWh take {charging_for.total_seconds() / 60:.0f} minutes at {power} kW, "
                f"longer than the {duration.total_seconds() / 60:.0f} minutes given."
            }
        )
    if charging_for > MAX_QUOTE:
        raise PricingError({"energy_kwh": f"{energy_kwh} kWh at {power} kW take longer than 7 days."})
    usage = engine.Usage.constant_power(
        start=start, kwh=energy_kwh, charging_for=charging_for, connected_for=duration or charging_for
    )
    site = connector.charge_point.site
    contract, version = _pricing_inputs(connector, customer, start)
    month = selectors.customer_month_kwh(customer, before=start, time_zone=site.time_zone) if customer else Decimal(0)
    load, _ = _load_intervals(site, usage.start, usage.end, record=False)
    result = engine.price(
        engine_tariff(version),
        usage,
        _calendar(site, usage.start, usage.end),
        load=load,
        contract=engine_contract(contract, month_kwh_before=month),
    )
    return Priced(result, version, contract, customer, power)


def session_usage(session: ChargingSession) -> engine.Usage:
    """The session's cumulative energy from its meter readings (kWh since the start)."""
    start_wh = Decimal(str(session.meter_start_wh))
    points = [(session.started_at, Decimal(0))]
    readings = session.meter_samples.filter(energy_wh__isnull=False).order_by("sampled_at")
    for moment, energy_wh in readings.values_list("sampled_at", "energy_wh"):
        if session.started_at < moment < session.ended_at and math.isfinite(energy_wh):  # NaN, ±inf: no reading
            kwh = max((Decimal(str(energy_wh)) - start_wh) / 1000, points[-1][1])  # never backwards
            points.append((moment, kwh))
    final = max(Decimal(str(session.energy_kwh)).quantize(Decimal("0.001")), points[-1][1])
    points.append((session.ended_at, final))
    return engine.Usage(tuple(points))


@transaction.atomic
def session_price(*, session_id: int) -> ChargingSession | None:
    """Price a finished session with the tariff version in force at its start; store the cost and lines.
    Pricing it again (a task retried) computes the same result with the same version."""
    session = (
        ChargingSession.objects.select_for_update(of=("self",))
        .select_related("connector__charge_point__site", "customer", "tariff_version__tariff")
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.ended_at is None:
        return session
    site = session.connector.charge_point.site
    if site is None:
        return session
    try:
        contract, version = _pricing_inputs(session.connector, session.customer, session.started_at)
    except PricingError as exc:  # no tariff there (yet): the session stays unpriced, and says why
        session.cost_breakdown = {"error": " ".join(m for ms in exc.message_dict.values() for m in ms)}
        session.save(update_fields=["cost_breakdown", "updated_at"])
        logger.info("Session %s not priced: %s", session.pk, session.cost_breakdown["error"])
        return session
    if not (math.isfinite(session.meter_start_wh) and math.isfinite(session.energy_kwh)):
        return session_price_failed(
            session_id=session.pk,
            reason=f"its energy ({session.energy_kwh} kWh from a meter start of {session.meter_start_wh} Wh) is not "
            "a number; correct the session's meter figures, then price it again.",
        )
    if session.tariff_version_id is not None:
        version = session.tariff_version
    usage = session_usage(session)
    month = (
        selectors.customer_month_kwh(session.customer, before=session.started_at, time_zone=site.time_zone)
        if session.customer
        else Decimal(0)
    )
    load, _ = _load_intervals(site, usage.start, usage.end, record=True)
    result = engine.price(
        engine_tariff(version),
        usage,
        _calendar(site, usage.start, usage.end),
        load=load,
        contract=engine_contract(contract, month_kwh_before=month),
    )
    cost_field = ChargingSession._meta.get_field("cost_total")
    if not all(
        abs(v) < Decimal(10) ** (cost_field.max_digits - cost_field.decimal_places)
        for v in (result.total_excl_tax, result.tax, result.total)
    ):
        return session_price_failed(
            session_id=session.pk,
            reason=f"its cost ({result.total} {result.currency} for {session.energy_kwh} kWh) is beyond what a session "
            "can cost; correct the session's meter figures, then price it again.",
        )
    priced = Priced(result, version, contract, session.customer)
    session.tariff_version = version
    session.currency = result.currency
    session.cost_excl_tax, session.cost_tax, session.cost_total = result.total_excl_tax, result.tax, result.total
    session.cost_breakdown = priced.as_dict()
    session.priced_at = timezone.now()
    session.save(
        update_fields=[
            "tariff_version",
            "currency",
            "cost_excl_tax",
            "cost_tax",
            "cost_total",
            "cost_breakdown",
            "priced_at",
            "updated_at",
        ]
    )
    from charging.services.notices import cost_threshold_check

    cost_threshold_check(session)
    return session


def session_price_failed(*, session_id: int, reason: str) -> ChargingSession | None:
    """A session could not be priced, for good: it stays unpriced and says why (its page shows "Not priced: …",
    the API its cost_breakdown). A session priced before keeps its price."""
    session = ChargingSession.objects.filter(pk=session_id).first()
    if session is None or session.cost_total is not None:
        return session
    session.cost_breakdown = {"error": reason[:500]}
    session.save(update_fields=["cost_breakdown", "updated_at"])
    logger.error("Session %s not priced: %s", session_id, reason)
    return session


def price_preview(
    *, version: TariffVersion, site: Site | None, day, customer: Customer | None, load_percent: Decimal | None
) -> list[dict]:
    """Price per kWh (incl. tax) for each hour of a local day: what one kWh charged at the start of the hour
    costs, for the chosen customer and grid load. Feeds the dashboard's step chart."""
    from zoneinfo import ZoneInfo

    zone_name = site.time_zone if site else "UTC"
    zone = ZoneInfo(zone_name)
    start_local = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    contract = selectors.contract_at(customer, start_local)  # a separate-tariff contract shows as this tariff
    eng_contract = engine_contract(contract, month_kwh_before=Decimal(0))
    policy = selectors.load_pricing_of(site) if site else None
    tariff = engine_tariff(version)
    points = []
    hour = start_local
    calendar = _calendar(site, start_local, start_local + timedelta(days=1)) if site else engine.Calendar("UTC")
    while hour.date() == day:
        moment = hour.astimezone(engine.UTC)
        load = []
        if policy is not None and load_percent is not None:
            multiplier = curve_multiplier(parse_curve(policy.curve), load_percent)
            load = [
                engine.LoadInterval(
                    moment,
                    moment + timedelta(hours=1),
                    multiplier,
                    Decimal(0),
                    policy.floor_price,
                    policy.cap_price,
                    f"load {load_percent} %",
                )
            ]
        usage = engine.Usage(((moment, Decimal(0)), (moment + timedelta(minutes=1), Decimal(1))))
        result = engine.price(tariff, usage, calendar, load=load, contract=eng_contract)
        energy = [line for line in result.lines if line.dimension == engine.ENERGY]
        unit = energy[0].unit_price if energy else Decimal(0)
        points.append(
            {
                "hour": hour.strftime("%H:%M"),
                "starts_at": moment.isoformat(),
                "energy_price": str(unit),
                "energy_price_incl_tax": str((unit * (1 + tariff.tax_percent / 100)).quantize(Decimal("0.0001"))),
                "element": energy[0].element if energy else None,
            }
        )
        hour = (hour.astimezone(engine.UTC) + timedelta(hours=1)).astimezone(zone)
    return points
