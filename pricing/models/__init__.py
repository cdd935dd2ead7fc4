"""Pricing's models. They were charging's until issue 15 and keep their tables (`db_table = "charging_<model>"`),
so the move lost no row: tariffs and versions, holiday calendars, customers and contracts, load-based pricing,
grid signals and the recorded price intervals."""

from pricing.models.calendars import Holiday, HolidayCalendar, Weekday, validate_country
from pricing.models.customers import Contract, ContractVolumeTier, Customer
from pricing.models.load import GridSignal, LoadPricing, PriceInterval
from pricing.models.money import MONEY, TOTAL, currency_minor_units, validate_currency
from pricing.models.tariffs import Tariff, TariffVersion

__all__ = [
    "MONEY",
    "TOTAL",
    "Contract",
    "ContractVolumeTier",
    "Customer",
    "GridSignal",
    "Holiday",
    "HolidayCalendar",
    "LoadPricing",
    "PriceInterval",
    "Tariff",
    "TariffVersion",
    "Weekday",
    "currency_minor_units",
    "validate_country",
    "validate_currency",
]
