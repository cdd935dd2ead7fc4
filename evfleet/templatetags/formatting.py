"""Template filters for figures, times and keys people read: `{% load formatting %}`. They wrap
`evfleet.formatting`, which emails, notifications and PDF reports use too, so every surface shows the same.

    {{ session.cost_total|money:session.currency }}   1,234.56 €      (the currency's minor unit)
    {{ price|unit_price:"EUR/kWh" }}                  0.20 €/kWh
    {{ session.energy_kwh|kwh }}                      12.3 kWh
    {{ kw|kw }}  {{ soc|pct }}  {{ n|num:2 }}  {{ n|int }}
    {{ vehicle.odometer_km|distance }}                12,345.6 mi     (the department's unit)
    {{ cost_per_km|per_distance }}                    the figure per mi where the unit is miles
    {% distance_unit %}                               km or mi, for headings
    {{ reservation.starts_at|when }}                  2026-06-10 14:30 CEST  (the page's zone, named)
    {{ r.starts_at|window:r.ends_at }}                2026-06-10 14:30–16:00 CEST
    {{ "last_30_days"|label }}                        Last 30 days
    {{ command.response|readable }}                   Accepted
"""

from datetime import datetime

from django import template

from evfleet import formatting

register = template.Library()


@register.filter
def num(value, decimals=1):
    return formatting.number(value, int(decimals))


@register.filter(name="int")
def integer(value):
    return formatting.integer(value)


@register.filter
def money(amount, currency=""):
    return formatting.money(amount, currency or "")


@register.filter
def unit_price(amount, currency_per_unit="EUR/kWh"):
    """`currency_per_unit` is e.g. "EUR/kWh" (the currency, then the unit the price is for)."""
    currency, _, unit = str(currency_per_unit).partition("/")
    return formatting.unit_price(amount, currency, unit or "kWh")


@register.filter
def kwh(value, decimals=1):
    return formatting.energy(value, int(decimals))


@register.filter
def kw(value, decimals=1):
    return formatting.power(value, int(decimals))


@register.filter
def pct(value, decimals=0):
    return formatting.percent(value, int(decimals))


@register.filter
def distance(km, decimals=1):
    return formatting.distance(km, None, int(decimals))


@register.filter
def per_distance(value, decimals=2):
    """A figure per km (a cost, g CO2e, kWh/100 km) per the department's unit, as a number."""
    return formatting.number(formatting.per_km_to(value), int(decimals))


@register.simple_tag
def distance_unit():
    return formatting.current_distance_unit()


def _instant(value):
    """A datetime, or an ISO 8601 text of one (as stored in JSON: cost breakdowns, plan explanations)."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


@register.filter
def when(moment, fmt="%Y-%m-%d %H:%M"):
    """An instant in the page's zone, with the zone's abbreviation."""
    return formatting.local(_instant(moment), None, fmt)


@register.filter
def window(start, end):
    """From `start` to `end` in the page's zone: "2026-06-10 14:30–16:00 CEST"."""
    start, end = _instant(start), _instant(end)
    if start is None or end is None:
        return formatting.local(start)
    return formatting.span(start, end)


@register.filter
def hours(start, end):
    """The same without the date, for lines of one day: "14:30–16:00 CEST"."""
    start, end = _instant(start), _instant(end)
    if start is None or end is None:
        return formatting.local(start, None, "%H:%M")
    return formatting.span(start, end, with_date=False)


@register.filter
def label(key):
    return formatting.label(key)


@register.filter
def readable(value):
    return formatting.readable(value)


@register.filter
def price_num(amount, currency=""):
    """A unit price without its unit, for a table whose heading names it: the minor unit, up to 4 decimals."""
    return formatting.number(amount, formatting.price_decimals(amount, currency or ""))


@register.filter
def money_num(amount, currency=""):
    """An amount without its currency, for a table whose heading names it: the currency's minor unit."""
    return formatting.number(amount, formatting.minor_units(currency or ""))


@register.filter
def distance_num(km, decimals=1):
    """A distance in the department's unit without the unit, for a table whose heading names it."""
    return formatting.number(formatting.km_to(km), int(decimals))


@register.filter
def per_distance_price(value, currency=""):
    """A cost per km as a price per the department's unit: "0.261 €/km", "0.42 $/mi"."""
    return formatting.unit_price(formatting.per_km_to(value), currency or "", formatting.current_distance_unit())
