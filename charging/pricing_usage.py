"""Charging's side of pricing's port (pricing/usage.py): the figures pricing reads from charging's data, a site's
measured load from the meter samples and a customer's kWh this month from the sessions. Registered in
ChargingConfig.ready()."""

from datetime import datetime
from decimal import Decimal

from charging import selectors


class ChargingUsage:
    """pricing.usage.UsageSource, answered from charging's meter samples and sessions."""

    def site_load_kw(self, site, start: datetime, end: datetime) -> Decimal:
        return selectors.site_load_kw(site, start, end)

    def customer_month_kwh(self, customer, *, before: datetime, time_zone: str) -> Decimal:
        return selectors.customer_month_kwh(customer, before=before, time_zone=time_zone)
