"""Quotes: the price of a planned charge, and of an hour of a tariff's day for the preview chart, with the same
engine and breakdown as a finished session (which charging prices: charging/services/session_costs.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError

from evfleet import formatting
from fleet.models import Vehicle
from pricing import engine, selectors
from pricing.models import Contract, Customer, TariffVersion
from pricing.services.contracts import engine_contract
from pricing.services.load import load_intervals
from pricing.services.tariffs import engine_tariff
from pricing.usage import source as usage_source
from pricing.validation import curve_multiplier, parse_curve
from stations import selectors as station_selectors
from stations.models import Connector, Site

__all__ = [
    "MAX_QUOTE",
    "Priced",
    "PricingError",
    "engine_calendar",
    "price_preview",
    "pricing_inputs",
    "quote",
]

MAX_QUOTE = timedelta(days=7)


class PricingError(ValidationError):
    """A price cannot be computed; `message_dict` names the field to fix."""


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


def pricing_inputs(
    connector: Connector, customer: Customer | None, start: datetime
) -> tuple[Contract | None, TariffVersion]:
    """The customer's contract in force at `start` and the tariff version that prices a charge at `connector` then:
    a separate-tariff contract's, else the connector's posted one. PricingError when there is none."""
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


def engine_calendar(site: Site, start: datetime, end: datetime) -> engine.Calendar:
    """The site's time zone and holidays over [start, end), for the engine."""
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
    contract, version = pricing_inputs(connector, customer, start)
    month = (
        usage_source().customer_month_kwh(customer, before=start, time_zone=site.time_zone) if customer else Decimal(0)
    )
    load, _ = load_intervals(site, usage.start, usage.end, record=False)
    result = engine.price(
        engine_tariff(version),
        usage,
        engine_calendar(site, usage.start, usage.end),
        load=load,
        contract=engine_contract(contract, month_kwh_before=month),
    )
    return Priced(result, version, contract, customer, power)


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
    calendar = engine_calendar(site, start_local, start_local + timedelta(days=1)) if site else engine.Calendar("UTC")
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
