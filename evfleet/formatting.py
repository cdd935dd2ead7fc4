"""How figures, times and keys read to people: one set of helpers for pages, emails, PDF reports and notifications.

Numbers get thousands separators and a unit (`1,234.5 kWh`, `0.20 €/kWh`), money the currency's minor unit
(EUR 2 places, JPY 0), distances the department's unit (km or mi), times the zone they are shown in with its
abbreviation where it matters (`2026-06-10 14:30 CEST`), keys a label (`last_30_days` → "Last 30 days").
The template filters in `evfleet/templatetags/formatting.py` wrap these; services and tasks composing a message
for someone call them with the recipient's zone and unit (`zone_of(user)`, `distance_unit_of(user)`).

API JSON is not formatted here: it stays ISO 8601 in UTC with plain decimals.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from asgiref.local import Local
from babel.numbers import get_currency_precision, get_currency_symbol
from django.conf import settings
from django.utils import timezone

EMPTY = "–"
KM_PER_MILE = Decimal("1.609344")
KM, MI = "km", "mi"
DISTANCE_UNITS = {KM: "kilometres", MI: "miles"}
MAX_PRICE_DECIMALS = 4  # a unit price shows the minor unit, and more decimals only where it has them (0.2345 €/kWh)

_active = Local()  # the distance unit of the request being served (set by accounts.middleware), like the time zone


# --- numbers ----------------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))  # str() first: 2.675 stays 2.675, not 2.67499999…
    except (InvalidOperation, ValueError, TypeError):
        return None


def rounded(value, decimals: int) -> Decimal | None:
    """The value rounded half up (away from zero) to `decimals` places, as people round, not as floats do."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return None
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def number(value, decimals: int = 1, *, empty: str = EMPTY) -> str:
    """`1234.56` → "1,234.6": thousands separators and a fixed number of decimals; None → "–"."""
    value = rounded(value, decimals)
    if value is None:
        return empty
    if value == 0:
        value = abs(value)  # no "-0.0"
    return f"{value:,.{decimals}f}"


def integer(value, *, empty: str = EMPTY) -> str:
    return number(value, 0, empty=empty)


def with_unit(value, unit: str, decimals: int = 1, *, empty: str = EMPTY) -> str:
    text = number(value, decimals, empty="")
    return f"{text} {unit}" if text else empty


def energy(kwh, decimals: int = 1) -> str:
    """`12.3456` → "12.3 kWh"."""
    return with_unit(kwh, "kWh", decimals)


def power(kw, decimals: int = 1) -> str:
    """`22` → "22.0 kW"."""
    return with_unit(kw, "kW", decimals)


def percent(value, decimals: int = 0) -> str:
    """`45.4` → "45 %"."""
    return with_unit(value, "%", decimals)


# --- money ------------------------------------------------------------------------------------


def minor_units(currency: str) -> int:
    """How many decimals the currency's amounts have (ISO 4217): EUR 2, JPY 0, KWD 3; 2 if unknown or empty."""
    if not currency:
        return 2
    try:
        return get_currency_precision(currency.upper())
    except (KeyError, ValueError, AttributeError):
        return 2


def currency_symbol(currency: str) -> str:
    """EUR → "€", USD → "$", GBP → "£", JPY → "¥"; a code without a symbol of its own stays the code (CHF)."""
    if not currency:
        return ""
    try:
        return get_currency_symbol(currency.upper(), locale="en")
    except (KeyError, ValueError, AttributeError):
        return currency.upper()


def money(amount, currency: str = "", *, empty: str = EMPTY) -> str:
    """`1234.5, "EUR"` → "1,234.50 €"; `0.36016284, "EUR"` → "0.36 €"; `1234.5, "JPY"` → "1,235 ¥"."""
    text = number(amount, minor_units(currency), empty="")
    if not text:
        return empty
    symbol = currency_symbol(currency)
    return f"{text} {symbol}" if symbol else text


def price_decimals(amount, currency: str) -> int:
    """The minor unit, or more (up to 4) when the price has them: 0.2 → 2, 0.2345 → 4, 0.36016284 → 4."""
    minor = minor_units(currency)
    value = _decimal(amount)
    if value is None or not value.is_finite():
        return minor
    value = rounded(value, MAX_PRICE_DECIMALS).normalize()
    return max(minor, min(MAX_PRICE_DECIMALS, -value.as_tuple().exponent))


def unit_price(amount, currency: str, unit: str, *, empty: str = EMPTY) -> str:
    """`0.2, "EUR", "kWh"` → "0.20 €/kWh"; `9.5, "EUR", "kW"` → "9.50 €/kW"."""
    text = number(amount, price_decimals(amount, currency), empty="")
    if not text:
        return empty
    return f"{text} {currency_symbol(currency) or currency}/{unit}"


# --- distance ---------------------------------------------------------------------------------


def activate_distance_unit(unit: str) -> None:
    _active.distance_unit = unit if unit in DISTANCE_UNITS else KM


def deactivate_distance_unit() -> None:
    if hasattr(_active, "distance_unit"):
        del _active.distance_unit


def current_distance_unit() -> str:
    return getattr(_active, "distance_unit", KM)


def km_to(km, unit: str | None = None) -> Decimal | None:
    """A distance in km in `unit` (the active one by default)."""
    value = _decimal(km)
    if value is None:
        return None
    return value / KM_PER_MILE if (unit or current_distance_unit()) == MI else value


def per_km_to(value, unit: str | None = None) -> Decimal | None:
    """A figure per km (cost, g CO2e) per `unit`: per mile is 1.609344 times the figure per km."""
    value = _decimal(value)
    if value is None:
        return None
    return value * KM_PER_MILE if (unit or current_distance_unit()) == MI else value


def distance(km, unit: str | None = None, decimals: int = 1) -> str:
    """`16.09344` km → "16.1 km", or "10.0 mi" where the department counts in miles."""
    unit = unit or current_distance_unit()
    return with_unit(km_to(km, unit), unit, decimals)


# --- time -------------------------------------------------------------------------------------


def zone_of(user=None) -> tzinfo:
    """The zone a person reads times in: their department's; else (an administrator, nobody) the zone active now
    (a request's) or the default zone."""
    department = getattr(user, "department", None) if user is not None else None
    if department is not None and getattr(department, "time_zone", ""):
        return ZoneInfo(department.time_zone)
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return timezone.get_current_timezone()
    return ZoneInfo(settings.EVFLEET_DEFAULT_TIME_ZONE)


def distance_unit_of(user=None) -> str:
    department = getattr(user, "department", None) if user is not None else None
    return getattr(department, "distance_unit", "") or KM


def zone_name(moment: datetime) -> str:
    """The abbreviation of the zone in force at that (aware) moment: CET, CEST, EDT; "UTC+03" where the zone has
    no letters for it."""
    name = moment.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def local(moment: datetime | None, zone: tzinfo | str | None = None, fmt: str = "%Y-%m-%d %H:%M", *,
          with_zone: bool = True, empty: str = EMPTY) -> str:  # fmt: skip
    """An instant in `zone` (the active one by default): "2026-06-10 14:30 CEST"."""
    if moment is None:
        return empty
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    moment = timezone.localtime(moment, zone or timezone.get_current_timezone())
    text = moment.strftime(fmt)
    return f"{text} {zone_name(moment)}" if with_zone else text


def span(start: datetime, end: datetime, zone: tzinfo | str | None = None, *, with_date: bool = True) -> str:
    """A window in `zone`: "2026-06-10 14:30–16:00 CEST", the end's date written when it is another day, its zone
    when it differs (a window across a change of the clocks)."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    zone = zone or timezone.get_current_timezone()
    a, b = timezone.localtime(start, zone), timezone.localtime(end, zone)
    first = a.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    second = b.strftime("%H:%M" if a.date() == b.date() else "%Y-%m-%d %H:%M")
    if zone_name(a) != zone_name(b):
        return f"{first} {zone_name(a)}–{second} {zone_name(b)}"
    return f"{first}–{second} {zone_name(b)}"


def day(value: date | datetime | None, *, empty: str = EMPTY) -> str:
    """A day as "2026-06-10" (a datetime: its local day in the active zone)."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


# --- labels -----------------------------------------------------------------------------------

UNIT_WORDS = {"kwh": "kWh", "kw": "kW", "km": "km", "mi": "mi", "kg": "kg", "percent": "%", "pct": "%", "eur": "€",
              "ms": "ms", "s": "s", "h": "h", "t": "t", "gco2e": "g CO2e"}  # fmt: skip
# Keys with a label of their own; apps add theirs at start-up (register_labels: report periods, metrics, groupings).
LABELS = {
    "soc": "SoC",
    "soc_percent": "SoC (%)",
    "vin": "VIN",
    "ocpp": "OCPP",
    "co2e": "CO2e",
    "efficiency_kwh_per_100km": "Efficiency (kWh/100 km)",
    "cost_per_km": "Cost per km",
    "gco2e_per_km": "g CO2e per km",
}
_WORDS = {"soc": "SoC", "co2e": "CO2e", "vin": "VIN", "id": "ID", "ocpp": "OCPP", "rfid": "RFID", "ac": "AC",
          "dc": "DC", "evse": "EVSE", "api": "API", "csv": "CSV", "pdf": "PDF", "ice": "combustion"}  # fmt: skip


def register_labels(labels: Mapping[str, str]) -> None:
    """An app's keys and their labels (analytics: `last_30_days` → "Last 30 days"), for `label()` everywhere."""
    LABELS.update(labels)


def label(key, labels: Mapping[str, str] | None = None) -> str:
    """A key people read: a known label (`last_30_days` → "Last 30 days"), else its words with the unit last in
    parentheses (`energy_charged_kwh` → "Energy charged (kWh)", `peak_demand_kw` → "Peak demand (kW)")."""
    if key is None:
        return ""
    key = str(key)
    if labels and key in labels:
        return labels[key]
    if key in LABELS:
        return LABELS[key]
    words = [w for w in re.split(r"[_\s]+", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key.strip())) if w]
    if not words:
        return ""
    unit = UNIT_WORDS.get(words[-1].lower()) if len(words) > 1 else None
    if unit:
        words = words[:-1]
    text = " ".join(_WORDS.get(w.lower(), w.lower()) for w in words)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def readable(value) -> str:
    """A small structure as text: `{'status': 'Accepted'}` → "Accepted", `{'a': 1, 'b': 'x'}` → "A: 1, B: x",
    a list → its items joined; anything else as it is."""
    if value is None or value == "" or value == {} or value == []:
        return EMPTY
    if isinstance(value, Mapping):
        if set(value) == {"status"}:
            return readable(value["status"])
        return ", ".join(f"{label(k)}: {readable(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(readable(v) for v in value)
    return str(value)
