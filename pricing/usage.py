"""The port through which pricing reads what charging measured; pricing imports nothing of charging.

Two figures pricing needs are charging's data: a site's measured load (load-based pricing sets an interval's
price from the load of the interval before it, read from the meter samples) and a customer's energy so far this
month (monthly volume tiers, read from the sessions). Charging implements `UsageSource` and registers it from its
AppConfig.ready() (`charging/pricing_usage.py`); until one is registered, asking for a figure raises
`NoUsageSource` instead of pricing with a load or a month of 0.
"""

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class UsageSource(Protocol):
    def site_load_kw(self, site, start: datetime, end: datetime) -> Decimal:
        """The site's average draw over [start, end), in kW (per connector the mean of its readings, summed)."""
        ...

    def customer_month_kwh(self, customer, *, before: datetime, time_zone: str) -> Decimal:
        """The customer's energy in the calendar month (local to `time_zone`) of `before`, from sessions started
        earlier, in kWh."""
        ...


class NoUsageSource(ImproperlyConfigured):
    """Pricing was asked for a measured figure, and no app has registered where those come from."""


_source: UsageSource | None = None


def register(source: UsageSource) -> None:
    """Where measured load and customer energy come from (charging registers its adapter in its ready())."""
    global _source
    _source = source


def source() -> UsageSource:
    if _source is None:
        raise NoUsageSource(
            "pricing.usage: no usage source is registered, so a site's measured load and a customer's kWh this "
            "month cannot be read. The charging app registers one in ChargingConfig.ready() "
            "(pricing.usage.register(...)): is 'charging' in INSTALLED_APPS?"
        )
    return _source
