"""A port: what smart charging reads of a site's history that analytics keeps (its daily rollups and the
grid's hourly carbon intensity). Charging sits below analytics in the layers (docs/architecture.md) and
imports nothing of it; analytics plugs its source in from `AnalyticsConfig.ready()`."""

from datetime import date, datetime
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class SiteHistory(Protocol):
    def peak_kw(self, *, site_id: int, first_day: date, last_day: date) -> float:
        """The site's highest 15-minute demand over its local days [first_day, last_day], kW (0 without data)."""

    def carbon_by_hour(self, *, zone_id: int, start: datetime, end: datetime) -> dict[datetime, float]:
        """g CO2e/kWh of the grid zone per hour reported in [start, end), keyed by the hour's start (UTC)."""


_source: SiteHistory | None = None


def register(source: SiteHistory) -> None:
    global _source
    _source = source


def site_history() -> SiteHistory:
    if _source is None:
        raise ImproperlyConfigured("No site history source: analytics registers one in AnalyticsConfig.ready().")
    return _source
