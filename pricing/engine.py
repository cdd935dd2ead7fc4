"""The pricing engine: what a charging session costs under an OCPI 2.2.1-style tariff. No Django here.

A tariff is a list of elements; each has price components (ENERGY per kWh, TIME per charging hour,
PARKING_TIME per hour connected without charging, FLAT once per session) and restrictions (time of
day and date in the site's local time, day of week, session kWh, power, duration). As in OCPI, for
each dimension the first element whose restrictions hold and that prices that dimension applies.

The session is cut into segments at every instant where a restriction, the power, a grid-load
interval or a volume tier could change, so every segment is priced by one element per dimension.
Consecutive segments priced alike become one line. Amounts are Decimal throughout and rounded to
the currency's minor unit only for the totals.

Durations are physical time and restrictions are local time. Every instant is held in UTC: Python
adds and subtracts aware datetimes of one zone on the wall clock (01:00 CEST + 6 h is 07:00 CET, seven
hours later on the night the clocks go back), so the local clock is only ever read, never computed with.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

ENERGY, TIME, PARKING_TIME, FLAT = "ENERGY", "TIME", "PARKING_TIME", "FLAT"
DIMENSIONS = (ENERGY, TIME, PARKING_TIME, FLAT)
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# Below this average power a connected vehicle is parking, not charging (meter noise, balancing trickle).
CHARGING_MIN_KW = Decimal("0.1")
HOUR = Decimal(3600)
ZERO = Decimal(0)


# --- the tariff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restrictions:
    """When an element applies. Times and dates are the site's local ones; end_date is exclusive."""

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_power_kw: Decimal | None = None
    max_power_kw: Decimal | None = None
    min_duration_s: int | None = None
    max_duration_s: int | None = None
    day_of_week: frozenset[int] = frozenset()  # 0 = Monday; empty: every day

    @property
    def is_empty(self) -> bool:
        return self == Restrictions()

    def clock_times(self) -> list[time]:
        return [t for t in (self.start_time, self.end_time) if t is not None]

    def holds(self, *, local: datetime, weekday: int, kwh: Decimal, power_kw: Decimal, elapsed_s: Decimal) -> bool:
        clock = local.time().replace(tzinfo=None, fold=0)
        if self.start_time is not None and self.end_time is not None:
            if self.start_time < self.end_time:
                if not self.start_time <= clock < self.end_time:
                    return False
            elif not (clock >= self.start_time or clock < self.end_time):  # across midnight
                return False
        elif (
            self.start_time is not None
            and clock < self.start_time
            or self.end_time is not None
            and clock >= self.end_time
        ):
            return False
        day = local.date()
        if self.start_date is not None and day < self.start_date:
            return False
        if self.end_date is not None and day >= self.end_date:
            return False
        if self.day_of_week and weekday not in self.day_of_week:
            return False
        if self.min_kwh is not None and kwh < self.min_kwh:
            return False
        if self.max_kwh is not None and kwh >= self.max_kwh:
            return False
        if self.min_power_kw is not None and power_kw < self.min_power_kw:
            return False
        if self.max_power_kw is not None and power_kw >= self.max_power_kw:
            return False
        if self.min_duration_s is not None and elapsed_s < self.min_duration_s:
            return False
        return not (self.max_duration_s is not None and elapsed_s >= self.max_duration_s)

    def describe(self) -> str:
        parts = []
        if self.start_time is not None or self.end_time is not None:
            start = self.start_time.strftime("%H:%M") if self.start_time else "00:00"
            end = self.end_time.strftime("%H:%M") if self.end_time else "24:00"
            parts.append(f"{start}–{end}")
        if self.day_of_week:
            parts.append(", ".join(DAYS[d][:3].title() for d in sorted(self.day_of_week)))
        if self.start_date or self.end_date:
            parts.append(f"dates {self.start_date or '…'} to {self.end_date or '…'}")
        for low, high, unit in (
            (self.min_kwh, self.max_kwh, "kWh"),
            (self.min_power_kw, self.max_power_kw, "kW"),
            (
                None if self.min_duration_s is None else Decimal(self.min_duration_s) / 60,
                None if self.max_duration_s is None else Decimal(self.max_duration_s) / 60,
                "min",
            ),
        ):
            if low is not None and high is not None:
                parts.append(f"{_plain(low)}–{_plain(high)} {unit}")
            elif low is not None:
                parts.append(f"≥ {_plain(low)} {unit}")
            elif high is not None:
                parts.append(f"< {_plain(high)} {unit}")
        return ", ".join(parts) or "always"


@dataclass(frozen=True)
class PriceComponent:
    type: str
    price: Decimal  # excl. tax, per kWh (ENERGY), per hour (TIME, PARKING_TIME), per session (FLAT)
    step_size: int = 1  # Wh for ENERGY, seconds for TIME and PARKING_TIME


@dataclass(frozen=True)
class Element:
    components: tuple[PriceComponent, ...]
    restrictions: Restrictions = field(default_factory=Restrictions)

    def component(self, dimension: str) -> PriceComponent | None:
        return next((c for c in self.components if c.type == dimension), None)


@dataclass(frozen=True)
class Tariff:
    label: str  # e.g. "Depot standard v3", shown on every line
    currency: str
    minor_units: int  # 2 for EUR, 0 for JPY
    tax_percent: Decimal
    elements: tuple[Element, ...]


# --- what modifies prices ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadInterval:
    """Dynamic pricing in one interval: energy price × multiplier + adder, kept between floor and cap."""

    starts_at: datetime
    ends_at: datetime
    multiplier: Decimal
    adder: Decimal  # per kWh, e.g. the external grid price above its reference
    floor: Decimal | None
    cap: Decimal | None
    label: str  # e.g. "site load 85 %"


@dataclass(frozen=True)
class VolumeTier:
    from_kwh: Decimal  # the customer's energy this month, before this session's, from which it applies
    energy_price: Decimal | None = None
    discount_percent: Decimal | None = None


@dataclass(frozen=True)
class Contract:
    """A fleet customer's special rate. Exactly one of the rate fields is used, by `kind`."""

    label: str
    kind: str  # "discount" | "energy_price" | "volume" (a separate tariff is chosen before pricing)
    discount_percent: Decimal | None = None
    energy_price: Decimal | None = None
    tiers: tuple[VolumeTier, ...] = ()
    month_kwh_before: Decimal = ZERO  # for volume tiers: the customer's kWh this month before this session


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    holidays: frozenset[date] = frozenset()
    holiday_weekday: int = 6  # a holiday is priced as this day of the week (Sunday)


# --- what is priced --------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Cumulative energy since the session started at known instants (UTC), linear in between."""

    points: tuple[tuple[datetime, Decimal], ...]

    def __post_init__(self):
        object.__setattr__(self, "points", tuple((_utc(moment), kwh) for moment, kwh in self.points))

    @classmethod
    def constant_power(cls, *, start: datetime, kwh: Decimal, charging_for: timedelta, connected_for: timedelta):
        """A quote: charge at constant power until `kwh`, then stay connected (parking) until the end."""
        start = _utc(start)  # physical durations: added in UTC, not on a local wall clock
        points = [(start, ZERO), (start + charging_for, kwh)]
        if connected_for > charging_for:
            points.append((start + connected_for, kwh))
        return cls(tuple(points))

    @property
    def start(self) -> datetime:
        return self.points[0][0]

    @property
    def end(self) -> datetime:
        return self.points[-1][0]

    def kwh_at(self, moment: datetime) -> Decimal:
        for (t0, e0), (t1, e1) in zip(self.points, self.points[1:], strict=False):
            if t0 <= moment <= t1:
                if t1 == t0:
                    return e1
                return e0 + (e1 - e0) * _seconds(moment - t0) / _seconds(t1 - t0)
        return self.points[-1][1] if moment >= self.end else ZERO

    def when_kwh(self, kwh: Decimal) -> datetime | None:
        """The first instant at which the cumulative energy reaches `kwh`."""
        for (t0, e0), (t1, e1) in zip(self.points, self.points[1:], strict=False):
            if e0 < kwh <= e1:
                return t0 + timedelta(seconds=float(_seconds(t1 - t0) * (kwh - e0) / (e1 - e0)))
        return None


# --- the result ---------------------------------------------------------------------------------


@dataclass
class Line:
    dimension: str
    element: int  # index in the tariff's elements
    restriction: str
    starts_at: datetime
    ends_at: datetime
    quantity: Decimal  # kWh, hours, or 1 (FLAT)
    list_unit_price: Decimal
    unit_price: Decimal
    adjustments: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        return {ENERGY: "kWh", TIME: "h", PARKING_TIME: "h", FLAT: "session"}[self.dimension]

    @property
    def subtotal(self) -> Decimal:
        return self.quantity * self.unit_price

    def as_dict(self) -> dict:
        data = {
            "dimension": self.dimension,
            "element": self.element,
            "restriction": self.restriction,
            "starts_at": self.starts_at.astimezone(UTC).isoformat(),
            "ends_at": self.ends_at.astimezone(UTC).isoformat(),
            "quantity": _plain(self.quantity),
            "unit": self.unit,
            "list_unit_price": _plain(self.list_unit_price),
            "unit_price": _plain(self.unit_price),
            "adjustments": list(self.adjustments),
            "subtotal": _plain(self.subtotal),
        }
        if self.dimension in (TIME, PARKING_TIME):
            data["minutes"] = _plain(self.quantity * 60)
        return data


@dataclass
class Price:
    tariff: str
    currency: str
    tax_percent: Decimal
    lines: list[Line]
    total_excl_tax: Decimal
    tax: Decimal
    total: Decimal
    energy_kwh: Decimal
    unrounded_excl_tax: Decimal

    def as_dict(self) -> dict:
        return {
            "tariff": self.tariff,
            "currency": self.currency,
            "tax_percent": _plain(self.tax_percent),
            "energy_kwh": _plain(self.energy_kwh),
            "lines": [line.as_dict() for line in self.lines],
            "unrounded_excl_tax": _plain(self.unrounded_excl_tax),
            "total_excl_tax": str(self.total_excl_tax),
            "tax": str(self.tax),
            "total": str(self.total),
        }


# --- the computation ----------------------------------------------------------------------------


def price(
    tariff: Tariff,
    usage: Usage,
    calendar: Calendar,
    *,
    load: Sequence[LoadInterval] = (),
    contract: Contract | None = None,
) -> Price:
    zone = ZoneInfo(calendar.time_zone)
    start, end = usage.start, usage.end
    lines: list[Line] = []
    cuts = sorted(_cut_points(tariff, usage, zone, load, contract))
    for a, b in zip(cuts, cuts[1:], strict=False):
        hours = _seconds(b - a) / HOUR
        kwh_a = usage.kwh_at(a)
        energy = usage.kwh_at(b) - kwh_a
        power = energy / hours if hours else ZERO
        local = a.astimezone(zone)
        weekday = calendar.holiday_weekday if local.date() in calendar.holidays else local.weekday()
        facts = {"local": local, "weekday": weekday, "kwh": kwh_a, "power_kw": power, "elapsed_s": _seconds(a - start)}
        charging = power >= CHARGING_MIN_KW
        quantities = {ENERGY: energy, TIME: hours if charging else ZERO, PARKING_TIME: ZERO if charging else hours}
        for dimension, quantity in quantities.items():
            if quantity <= 0:
                continue
            found = _first_element(tariff, dimension, facts)
            if found is None:
                continue
            index, element, component = found
            unit_price, adjustments = _adjusted(dimension, component.price, a, load, contract, contract_kwh=kwh_a)
            line = Line(
                dimension,
                index,
                element.restrictions.describe(),
                a,
                b,
                quantity,
                component.price,
                unit_price,
                adjustments,
            )
            _append(lines, line)
    flat = _first_element(
        tariff,
        FLAT,
        {
            "local": start.astimezone(zone),
            "weekday": _weekday(start, zone, calendar),
            "kwh": ZERO,
            "power_kw": ZERO,
            "elapsed_s": ZERO,
        },
    )
    if flat is not None:
        index, element, component = flat
        unit_price, adjustments = _adjusted(FLAT, component.price, start, load, contract, contract_kwh=ZERO)
        lines.insert(
            0,
            Line(
                FLAT,
                index,
                element.restrictions.describe(),
                start,
                end,
                Decimal(1),
                component.price,
                unit_price,
                adjustments,
            ),
        )
    lines.extend(_step_rounding(tariff, lines))
    unrounded = sum((line.subtotal for line in lines), ZERO)
    quantum = Decimal(1).scaleb(-tariff.minor_units)
    total_excl = unrounded.quantize(quantum, rounding=ROUND_HALF_UP)
    total = (unrounded * (1 + tariff.tax_percent / 100)).quantize(quantum, rounding=ROUND_HALF_UP)
    return Price(
        tariff=tariff.label,
        currency=tariff.currency,
        tax_percent=tariff.tax_percent,
        lines=lines,
        total_excl_tax=total_excl,
        tax=total - total_excl,
        total=total,
        energy_kwh=usage.kwh_at(end),
        unrounded_excl_tax=unrounded,
    )


def _weekday(moment: datetime, zone: ZoneInfo, calendar: Calendar) -> int:
    local = moment.astimezone(zone)
    return calendar.holiday_weekday if local.date() in calendar.holidays else local.weekday()


def _first_element(tariff: Tariff, dimension: str, facts: dict) -> tuple[int, Element, PriceComponent] | None:
    for index, element in enumerate(tariff.elements):
        component = element.component(dimension)
        if component is not None and element.restrictions.holds(**facts):
            return index, element, component
    return None


def _adjusted(
    dimension: str,
    list_price: Decimal,
    moment: datetime,
    load: Sequence[LoadInterval],
    contract: Contract | None,
    *,
    contract_kwh: Decimal,
) -> tuple[Decimal, tuple[str, ...]]:
    """The unit price after the grid-load curve (energy only) and the customer's contract."""
    unit, notes = list_price, []
    if contract is not None and contract.kind == "energy_price" and dimension == ENERGY:
        return contract.energy_price, (f"{contract.label}: contract price {_plain(contract.energy_price)}/kWh",)
    if dimension == ENERGY:
        interval = next((i for i in load if i.starts_at <= moment < i.ends_at), None)
        if interval is not None:
            unit = unit * interval.multiplier + interval.adder
            note = f"{interval.label}: ×{_plain(interval.multiplier)}"
            if interval.adder:
                note += f" {'+' if interval.adder > 0 else '−'} {_plain(abs(interval.adder))}/kWh"
            if interval.cap is not None and unit > interval.cap:
                unit, note = interval.cap, note + f", capped at {_plain(interval.cap)}"
            if interval.floor is not None and unit < interval.floor:
                unit, note = interval.floor, note + f", floor {_plain(interval.floor)}"
            notes.append(note)
    if contract is None:
        return unit, tuple(notes)
    if contract.kind == "discount":
        unit = unit * (100 - contract.discount_percent) / 100
        notes.append(f"{contract.label}: −{_plain(contract.discount_percent)} %")
    elif contract.kind == "volume" and dimension == ENERGY:
        month = contract.month_kwh_before + contract_kwh
        tier = next((t for t in sorted(contract.tiers, key=lambda t: -t.from_kwh) if month >= t.from_kwh), None)
        if tier is not None and tier.energy_price is not None:
            unit = tier.energy_price
            notes.append(f"{contract.label}: ≥ {_plain(tier.from_kwh)} kWh this month, {_plain(unit)}/kWh")
        elif tier is not None and tier.discount_percent:
            unit = unit * (100 - tier.discount_percent) / 100
            notes.append(
                f"{contract.label}: ≥ {_plain(tier.from_kwh)} kWh this month, −{_plain(tier.discount_percent)} %"
            )
    return unit, tuple(notes)


def _append(lines: list[Line], line: Line) -> None:
    """Extend the last line of the same dimension when it is priced alike and ends where this starts."""
    for previous in reversed(lines):
        if previous.dimension != line.dimension:
            continue
        if (
            previous.ends_at == line.starts_at
            and previous.element == line.element
            and previous.unit_price == line.unit_price
            and previous.adjustments == line.adjustments
        ):
            previous.ends_at = line.ends_at
            previous.quantity += line.quantity
            return
        break
    lines.append(line)


def _step_rounding(tariff: Tariff, lines: list[Line]) -> list[Line]:
    """OCPI step_size: a dimension's total is billed in whole steps of its last element's step size."""
    extra = []
    for dimension, unit in ((ENERGY, Decimal(1000)), (TIME, HOUR), (PARKING_TIME, HOUR)):
        billed = [line for line in lines if line.dimension == dimension]
        if not billed:
            continue
        last = billed[-1]
        step = tariff.elements[last.element].component(dimension).step_size
        if step <= 1:
            continue
        total_units = sum((line.quantity for line in billed), ZERO) * unit  # Wh or seconds
        rounded = Decimal(math.ceil(total_units / step) * step)
        if rounded > total_units:
            extra.append(
                replace(
                    last,
                    quantity=(rounded - total_units) / unit,
                    starts_at=last.ends_at,
                    restriction=f"step size {step} {'Wh' if dimension == ENERGY else 's'}",
                )
            )
    return extra


def _cut_points(tariff: Tariff, usage: Usage, zone: ZoneInfo, load: Sequence[LoadInterval], contract) -> set:
    start, end = usage.start, usage.end
    cuts = {start, end}
    cuts.update(t for t, _ in usage.points)
    clock = {time(0, 0)}
    for element in tariff.elements:
        r = element.restrictions
        clock.update(r.clock_times())
        for seconds in (r.min_duration_s, r.max_duration_s):
            if seconds is not None:
                cuts.add(start + timedelta(seconds=seconds))
        for kwh in (r.min_kwh, r.max_kwh):
            if kwh is not None:
                cuts.add(usage.when_kwh(kwh))
    if contract is not None and contract.kind == "volume":
        for tier in contract.tiers:
            cuts.add(usage.when_kwh(tier.from_kwh - contract.month_kwh_before))
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        for moment in clock:
            for fold in (0, 1):  # the repeated hour in autumn happens twice
                cuts.add(datetime.combine(day, moment, tzinfo=zone).replace(fold=fold).astimezone(UTC))
        day += timedelta(days=1)
    # Where the clock jumps, a clock time may not exist (spring) or come again (autumn): a piece must not straddle
    # the jump, or its start's clock time would not hold for all of it.
    cuts.update(_offset_changes(zone, start, end))
    for interval in load:
        cuts.update((interval.starts_at, interval.ends_at))
    return {_utc(c) for c in cuts if c is not None and start <= c <= end}


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in [start, end] at which the zone's UTC offset changes (daylight saving), to the second."""
    changes = []
    low, last = math.floor(start.timestamp()), math.ceil(end.timestamp())
    while low < last:
        high = min(low + 3600, last)  # no zone changes its offset twice within an hour
        before = _offset_at(zone, low)
        if _offset_at(zone, high) != before:
            a, b = low, high  # the offset is `before` at a, not at b: halve until they are a second apart
            while b - a > 1:
                middle = (a + b) // 2
                a, b = (middle, b) if _offset_at(zone, middle) == before else (a, middle)
            changes.append(datetime.fromtimestamp(b, UTC))
        low = high
    return changes


def _offset_at(zone: ZoneInfo, timestamp: int) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, zone).utcoffset()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"An instant needs its time zone: {moment.isoformat()} has none.")
    return moment.astimezone(UTC)


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def _plain(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (up to 10 decimals)."""
    text = f"{value.quantize(Decimal('1e-10')) if value.as_tuple().exponent < -10 else value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
