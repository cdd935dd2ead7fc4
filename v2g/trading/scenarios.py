"""Reproducible workplace V2G days for the benchmark and the tests (seeded), in the shape of EV2Gym's
V2GProfitMax case: 25 bidirectional chargers of ±22 kW under one 100 kW transformer, 112 quarter hours from 05:00,
workplace arrivals and stays, day-ahead prices, and one demand-response event that cuts the transformer's import
limit by 35 % for 60 minutes.

What is ours (EV2Gym draws from ElaadNL and Dutch day-ahead prices we do not ship):
- prices: an hourly day-ahead curve in €/kWh (night 0.08, a morning peak of 0.15 at 08:00, a midday solar dip to
  0.05, an evening peak of 0.22 at 18:00), each hour scaled by a seeded factor of 0.8-1.2; import pays the
  day-ahead price plus a 0.03 €/kWh fee, export earns the day-ahead price (so export never pays more than import);
- vehicles: one per charger arriving at 08:15 ± 1 h (normal, 06:00-11:00), staying 8.5 ± 1.5 h (3-11 h); a third
  of the chargers take a second, shorter visit after the first leaves; batteries of 50-80 kWh holding 25-60 %;
  each asks 8-35 kWh more, at most what 70 % of its stay at full rate gives and at most 90 % of its battery;
- a reserve of 20 % of the battery (the way home), a wear cost of 0.015 €/kWh through the battery, 95 % efficiency
  each way;
- the event: a start drawn between 10:00 and 16:00, 4 intervals long.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from v2g.trading.problem import Node, Problem, Vehicle

INTERVALS = 112
STEP_HOURS = 0.25
START_HOUR = 5.0
CHARGERS = 25
CHARGER_KW = 22.0
TRANSFORMER_KW = 100.0
DR_CUT = 0.35
DR_INTERVALS = 4
IMPORT_FEE = 0.03
RESERVE_SHARE = 0.20
WEAR_PER_KWH = 0.015
EFFICIENCY = 0.95

# (hour, €/kWh) anchors of the day-ahead shape, linear in between, repeated after 24 h
_SHAPE = ((0, 0.08), (5, 0.08), (8, 0.15), (10, 0.09), (13, 0.05), (16, 0.12), (18, 0.22), (21, 0.12), (24, 0.08))


def _shape(hour: float) -> float:
    hour %= 24.0
    for (h0, p0), (h1, p1) in zip(_SHAPE, _SHAPE[1:], strict=False):
        if h0 <= hour <= h1:
            return p0 + (p1 - p0) * (hour - h0) / (h1 - h0)
    return _SHAPE[-1][1]


@dataclass
class Event:
    """A demand-response event: the root's import limit is `limit_kw` in [start, end)."""

    start: int
    end: int
    limit_kw: float


@dataclass
class Day:
    problem: Problem  # everything, the event included: what the oracle sees
    event: Event
    normal_limit_kw: float


def hour_of(t: int) -> float:
    return START_HOUR + t * STEP_HOURS


def workplace_day(seed: int, *, chargers: int = CHARGERS, transformers: int = 1) -> Day:
    """The day of `seed`. `transformers` > 1 repeats the site under a common root (for the scaling figure)."""
    rng = random.Random(seed)
    factors = [rng.uniform(0.8, 1.2) for _ in range(int(INTERVALS * STEP_HOURS) + 2)]
    day_ahead = [_shape(hour_of(t)) * factors[int(t * STEP_HOURS)] for t in range(INTERVALS)]
    start = rng.randrange(int((10 - START_HOUR) / STEP_HOURS), int((16 - START_HOUR) / STEP_HOURS))
    event = Event(start, start + DR_INTERVALS, TRANSFORMER_KW * transformers * (1 - DR_CUT))
    nodes: dict[str, Node] = {}
    root_limit = [TRANSFORMER_KW * transformers] * INTERVALS
    for t in range(event.start, event.end):
        root_limit[t] = event.limit_kw
    nodes["site"] = Node("site", import_kw=root_limit, export_kw=TRANSFORMER_KW * transformers)
    vehicles: list[Vehicle] = []
    for tr in range(transformers):
        parent = "site"
        if transformers > 1:
            parent = f"transformer-{tr}"
            nodes[parent] = Node(parent, import_kw=TRANSFORMER_KW, parent="site")
        for ch in range(chargers):
            node = f"cp-{tr}-{ch}"
            nodes[node] = Node(node, import_kw=CHARGER_KW, parent=parent)
            visits = [_visit(rng, earliest=None)]
            if rng.random() < 1 / 3:
                visits.append(_visit(rng, earliest=visits[0][1] + 1))
            for k, (arrival, departure) in enumerate(visits):
                if departure - arrival < 4 or arrival >= INTERVALS:
                    continue
                vehicles.append(_vehicle(rng, f"{node}-{k}", node, arrival, min(departure, INTERVALS)))
    problem = Problem(
        intervals=INTERVALS,
        step_hours=STEP_HOURS,
        import_price=[p + IMPORT_FEE for p in day_ahead],
        export_price=day_ahead,
        nodes=nodes,
        vehicles=vehicles,
    )
    return Day(problem, event, TRANSFORMER_KW * transformers)


def _visit(rng: random.Random, earliest: int | None) -> tuple[int, int]:
    if earliest is None:
        hour = min(11.0, max(6.0, rng.gauss(8.25, 1.0)))
        stay = min(11.0, max(3.0, rng.gauss(8.5, 1.5)))
    else:
        hour = hour_of(earliest) + rng.uniform(0.0, 2.0)
        stay = rng.uniform(2.0, 5.0)
    arrival = round((hour - START_HOUR) / STEP_HOURS)
    return arrival, arrival + round(stay / STEP_HOURS)


def _vehicle(rng: random.Random, vid: str, node: str, arrival: int, departure: int) -> Vehicle:
    capacity = rng.uniform(50.0, 80.0)
    energy = capacity * rng.uniform(0.25, 0.60)
    reachable = (departure - arrival) * STEP_HOURS * CHARGER_KW * EFFICIENCY * 0.7
    need = min(rng.uniform(8.0, 35.0), reachable, 0.9 * capacity - energy)
    return Vehicle(
        id=vid,
        node=node,
        arrival=arrival,
        departure=departure,
        capacity_kwh=capacity,
        energy_kwh=energy,
        target_kwh=energy + max(0.0, need),
        max_charge_kw=CHARGER_KW,
        max_discharge_kw=CHARGER_KW,
        reserve_kwh=RESERVE_SHARE * capacity,
        charge_efficiency=EFFICIENCY,
        discharge_efficiency=EFFICIENCY,
        degradation_per_kwh=WEAR_PER_KWH,
    )


class Forecast:
    """The online planner's forecast of the vehicles still to come, learnt from `samples` days that are not
    benchmarked (seeds from `first_seed` on): per arrival interval, one charge-only placeholder under the root the
    size of the average arrivals there (power, battery, energy and need scaled by how many arrive then).

    A workplace's chargers have their regular users: first visits (one per charger and day) and later, shorter
    ones. At interval t the first-visit placeholders still ahead are scaled so that they add up to the chargers
    that have had no vehicle yet (what the operator sees), the later visits keep their average."""

    def __init__(self, *, samples: int = 40, first_seed: int = 100_000, chargers: int = CHARGERS):
        self.chargers = chargers
        groups: dict[tuple[bool, int], list[Vehicle]] = {}
        for k in range(samples):
            for v in workplace_day(first_seed + k, chargers=chargers).problem.vehicles:
                groups.setdefault((v.id.endswith("-0"), v.arrival), []).append(v)
        self.first: list[Vehicle] = []
        self.later: list[Vehicle] = []
        for (first, arrival), group in sorted(groups.items()):
            (self.first if first else self.later).append(_placeholder(group, arrival, len(group) / samples))

    def ahead(self, t: int, *, chargers_visited: int) -> list[Vehicle]:
        """The placeholders for the vehicles expected after interval t, `chargers_visited` chargers having had
        their first vehicle by then."""
        first = [v for v in self.first if v.arrival > t]
        expected = sum(v.max_charge_kw for v in first) / CHARGER_KW
        scale = max(0, self.chargers - chargers_visited) / expected if expected > 1e-9 else 0.0
        first = [_scaled(v, scale) for v in first] if scale > 0 else []
        return first + [v for v in self.later if v.arrival > t]


def _placeholder(group: list[Vehicle], arrival: int, share: float) -> Vehicle:
    def mean(values):
        return sum(values) / len(values)

    capacity = share * mean([v.capacity_kwh for v in group])
    energy = share * mean([v.energy_kwh for v in group])
    return Vehicle(
        id=f"expected-{arrival}-{group[0].id.rsplit('-', 1)[1]}",
        node="site",
        arrival=arrival,
        departure=min(INTERVALS, arrival + max(1, round(mean([v.departure - v.arrival for v in group])))),
        capacity_kwh=capacity,
        energy_kwh=energy,
        target_kwh=min(capacity, energy + share * mean([v.target_kwh - v.energy_kwh for v in group])),
        max_charge_kw=share * CHARGER_KW,
        reserve_kwh=share * mean([v.reserve_kwh for v in group]),
        charge_efficiency=EFFICIENCY,
        discharge_efficiency=EFFICIENCY,
        degradation_per_kwh=WEAR_PER_KWH,
        forecast=True,
    )


def _scaled(v: Vehicle, scale: float) -> Vehicle:
    return dataclasses.replace(
        v,
        capacity_kwh=v.capacity_kwh * scale,
        energy_kwh=v.energy_kwh * scale,
        target_kwh=v.target_kwh * scale,
        max_charge_kw=v.max_charge_kw * scale,
        reserve_kwh=v.reserve_kwh * scale,
    )
