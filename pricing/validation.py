"""Reading tariff elements and load curves from their stored (OCPI 2.2.1) JSON, with errors by field path.

Tariff elements are stored as OCPI writes them (`price_components`, `restrictions` with `start_time`
"HH:MM", `day_of_week` names, `min_power` in kW, durations in seconds), with prices as decimal strings
so that no float ever touches money. `parse_elements` turns them into engine objects or raises
`TariffInvalid` with one message per offending path, e.g. `elements[1].restrictions.end_time`.
"""

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from itertools import combinations

from pricing.engine import DAYS, DIMENSIONS, Element, PriceComponent, Restrictions

RESTRICTION_KEYS = {
    "start_time",
    "end_time",
    "start_date",
    "end_date",
    "min_kwh",
    "max_kwh",
    "min_power",
    "max_power",
    "min_duration",
    "max_duration",
    "day_of_week",
}
UNSUPPORTED = {"min_current", "max_current", "reservation"}
COMPONENT_KEYS = {"type", "price", "step_size", "vat"}
MAX_ELEMENTS = 50
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class TariffInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _decimal(value, path: str, errors: dict, *, minimum: Decimal | None = Decimal(0)) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[path] = 'Give a number as a string, e.g. "0.35".'
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[path] = f"{value!r} is not a number."
        return None
    if not number.is_finite():
        errors[path] = "Give a finite number."
        return None
    if minimum is not None and number < minimum:
        errors[path] = f"Must be at least {minimum}; negative prices and limits are not allowed."
        return None
    return number


def _restrictions(raw, path: str, errors: dict) -> Restrictions:
    if raw is None:
        return Restrictions()
    if not isinstance(raw, dict):
        errors[path] = "Give an object of restrictions, or leave it out."
        return Restrictions()
    for key in raw:
        if key in UNSUPPORTED:
            errors[f"{path}.{key}"] = f"{key} is not supported here; use min_power / max_power (kW)."
        elif key not in RESTRICTION_KEYS:
            errors[f"{path}.{key}"] = f"Unknown restriction; use one of {', '.join(sorted(RESTRICTION_KEYS))}."
    values = {}
    for key in ("start_time", "end_time"):
        if raw.get(key) is not None:
            match = TIME_RE.match(str(raw[key]))
            if match is None:
                errors[f"{path}.{key}"] = "Give a local time as HH:MM, 00:00 to 23:59."
            else:
                values[key] = time(int(match[1]), int(match[2]))
    if "start_time" in values and values["start_time"] == values.get("end_time"):
        errors[f"{path}.end_time"] = (
            "The tier ends when it starts. For the whole day leave out both times; a tier across "
            "midnight has its end before its start (22:00 to 06:00)."
        )
    for key in ("start_date", "end_date"):
        if raw.get(key) is not None:
            try:
                values[key] = date.fromisoformat(str(raw[key]))
            except ValueError:
                errors[f"{path}.{key}"] = "Give a date as YYYY-MM-DD."
    if "start_date" in values and "end_date" in values and values["end_date"] <= values["start_date"]:
        errors[f"{path}.end_date"] = "The end date (exclusive) must be after the start date."
    for low, high, unit in (("min_kwh", "max_kwh", "kWh"), ("min_power", "max_power", "kW")):
        for key in (low, high):
            if raw.get(key) is not None:
                values[key] = _decimal(raw[key], f"{path}.{key}", errors)
        if values.get(low) is not None and values.get(high) is not None and values[high] <= values[low]:
            errors[f"{path}.{high}"] = f"{high} must be above {low} ({unit})."
    for key in ("min_duration", "max_duration"):
        if raw.get(key) is not None:
            if isinstance(raw[key], bool) or not isinstance(raw[key], int) or raw[key] < 0:
                errors[f"{path}.{key}"] = "Give whole seconds, 0 or more."
            else:
                values[key] = raw[key]
    durations = (values.get("min_duration"), values.get("max_duration"))
    if None not in durations and durations[1] <= durations[0]:
        errors[f"{path}.max_duration"] = "max_duration must be above min_duration (seconds)."
    days = set()
    if raw.get("day_of_week") is not None:
        names = raw["day_of_week"]
        if not isinstance(names, list) or not names:
            errors[f"{path}.day_of_week"] = 'Give a non-empty list of days, e.g. ["SATURDAY", "SUNDAY"].'
        else:
            for name in names:
                if name not in DAYS:
                    errors[f"{path}.day_of_week"] = f"{name!r} is not a day; use {', '.join(DAYS)}."
                elif DAYS.index(name) in days:
                    errors[f"{path}.day_of_week"] = f"{name} is listed twice."
                else:
                    days.add(DAYS.index(name))
    return Restrictions(
        start_time=values.get("start_time"),
        end_time=values.get("end_time"),
        start_date=values.get("start_date"),
        end_date=values.get("end_date"),
        min_kwh=values.get("min_kwh"),
        max_kwh=values.get("max_kwh"),
        min_power_kw=values.get("min_power"),
        max_power_kw=values.get("max_power"),
        min_duration_s=values.get("min_duration"),
        max_duration_s=values.get("max_duration"),
        day_of_week=frozenset(days),
    )


def _components(raw, path: str, errors: dict) -> tuple[PriceComponent, ...]:
    if not isinstance(raw, list) or not raw:
        errors[path] = 'Give at least one price component: {"type": "ENERGY", "price": "0.35"}.'
        return ()
    components, seen = [], set()
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            errors[where] = "Give an object with type and price."
            continue
        for key in item:
            if key not in COMPONENT_KEYS:
                errors[f"{where}.{key}"] = "Unknown field; use type, price, step_size."
        kind = item.get("type")
        if kind not in DIMENSIONS:
            errors[f"{where}.type"] = f"Use one of {', '.join(DIMENSIONS)}."
            continue
        if kind in seen:
            errors[f"{where}.type"] = f"{kind} is priced twice in this element; keep one."
            continue
        seen.add(kind)
        amount = _decimal(item.get("price"), f"{where}.price", errors)
        step = item.get("step_size", 1)
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            errors[f"{where}.step_size"] = "Give a whole number of Wh (ENERGY) or seconds (TIME), 1 or more."
            step = 1
        if amount is not None:
            components.append(PriceComponent(kind, amount, step))
    return tuple(components)


def _windows(r: Restrictions) -> list[tuple[int, int]]:
    """The minutes of the day an element's clock restriction covers, as [start, end) ranges."""
    start = r.start_time.hour * 60 + r.start_time.minute if r.start_time else 0
    end = r.end_time.hour * 60 + r.end_time.minute if r.end_time else 1440
    return [(start, end)] if start < end else [(start, 1440), (0, end)]


def _others(r: Restrictions) -> tuple:
    return (r.min_kwh, r.max_kwh, r.min_power_kw, r.max_power_kw, r.min_duration_s, r.max_duration_s)


def _dates_meet(a: Restrictions, b: Restrictions) -> bool:
    start = max(a.start_date or date.min, b.start_date or date.min)
    end = min(a.end_date or date.max, b.end_date or date.max)
    return start < end


def _conflicts(elements: list[Element], errors: dict) -> None:
    """Two elements pricing the same dimension must not fight over the same time: OCPI would silently
    take the first. A catch-all element must come after every restricted one."""
    for (i, a), (j, b) in combinations(enumerate(elements), 2):
        shared = {c.type for c in a.components} & {c.type for c in b.components}
        if not shared:
            continue
        ra, rb = a.restrictions, b.restrictions
        dims = ", ".join(sorted(shared))
        if ra.is_empty or ra == rb:
            errors[f"elements[{j}].restrictions"] = (
                f"Never applies: element {i} already prices {dims} "
                + ("at all times" if ra.is_empty else "under the same restrictions")
                + ". Put the catch-all element last, or give this one other restrictions."
            )
            continue
        has_clock = (ra.start_time or ra.end_time) and (rb.start_time or rb.end_time)
        same_days = not ra.day_of_week or not rb.day_of_week or (ra.day_of_week & rb.day_of_week)
        if has_clock and same_days and _others(ra) == _others(rb) and _dates_meet(ra, rb):
            overlap = any(s1 < e2 and s2 < e1 for s1, e1 in _windows(ra) for s2, e2 in _windows(rb))
            if overlap:
                errors[f"elements[{j}].restrictions.start_time"] = (
                    f"{rb.describe()} overlaps {ra.describe()} of element {i} for {dims}. "
                    "Make the tiers meet end to start (07:00-22:00 and 22:00-07:00)."
                )


def parse_elements(raw) -> tuple[Element, ...]:
    errors: dict[str, str] = {}
    if not isinstance(raw, list) or not raw:
        raise TariffInvalid({"elements": "Give a list of at least one tariff element."})
    if len(raw) > MAX_ELEMENTS:
        raise TariffInvalid({"elements": f"At most {MAX_ELEMENTS} elements."})
    elements = []
    for i, item in enumerate(raw):
        path = f"elements[{i}]"
        if not isinstance(item, dict):
            errors[path] = "Give an object with price_components and, optionally, restrictions."
            continue
        for key in item:
            if key not in ("price_components", "restrictions"):
                errors[f"{path}.{key}"] = "Unknown field; use price_components and restrictions."
        components = _components(item.get("price_components"), f"{path}.price_components", errors)
        restrictions = _restrictions(item.get("restrictions"), f"{path}.restrictions", errors)
        elements.append(Element(components, restrictions))
    if not errors:
        _conflicts(elements, errors)
    if errors:
        raise TariffInvalid(errors)
    return tuple(elements)


def normalized_elements(raw) -> list[dict]:
    """The elements as stored: validated, prices as decimal strings, empty restrictions left out."""
    parse_elements(raw)
    stored = []
    for item in raw:
        components = [
            {"type": c["type"], "price": str(Decimal(str(c["price"]))), "step_size": c.get("step_size", 1)}
            for c in item["price_components"]
        ]
        element = {"price_components": components}
        restrictions = {k: v for k, v in (item.get("restrictions") or {}).items() if v is not None}
        for key in ("min_kwh", "max_kwh", "min_power", "max_power"):
            if key in restrictions:
                restrictions[key] = str(Decimal(str(restrictions[key])))
        if restrictions:
            element["restrictions"] = restrictions
        stored.append(element)
    return stored


def parse_curve(raw) -> list[tuple[Decimal, Decimal]]:
    """A load curve: [[load %, price multiplier], ...], load strictly increasing from 0 to 200 %."""
    if not isinstance(raw, list) or len(raw) < 2:
        raise TariffInvalid({"curve": "Give at least two points [load %, multiplier], e.g. [[0, 0.9], [100, 1.5]]."})
    points, errors = [], {}
    for i, point in enumerate(raw):
        path = f"curve[{i}]"
        if not isinstance(point, list | tuple) or len(point) != 2:
            errors[path] = "Give a pair [load %, multiplier]."
            continue
        load = _decimal(point[0], f"{path}[0]", errors)
        factor = _decimal(point[1], f"{path}[1]", errors)
        if load is not None and load > 200:
            errors[f"{path}[0]"] = "Load is a percentage of the grid limit, 0 to 200."
        if factor is not None and factor <= 0:
            errors[f"{path}[1]"] = "The multiplier must be above 0."
        if load is not None and factor is not None:
            if points and load <= points[-1][0]:
                errors[f"{path}[0]"] = "Load values must increase from one point to the next."
            points.append((load, factor))
    if errors:
        raise TariffInvalid(errors)
    return points


def curve_multiplier(points: list[tuple[Decimal, Decimal]], load_percent: Decimal) -> Decimal:
    """Piecewise linear between the points, flat beyond the first and last."""
    if load_percent <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if load_percent <= x1:
            return y0 + (y1 - y0) * (load_percent - x0) / (x1 - x0)
    return points[-1][1]
