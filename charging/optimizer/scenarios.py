"""Reproducible depot days for the benchmark and the tests (seeded).

A depot with one charger per vehicle: 22 kW AC charge points of two connectors that share 33 kW, and every
tenth one a 150 kW DC charger; charge points in groups of ten on a feeder, feeders under the site's grid
connection. The site's limit is well below the sum of the charger ratings. The day runs from noon to noon in 96
quarter hours with a time-of-use price (cheap at night, dear in the evening peak) and, optionally, a demand
charge per kW of the day's peak. Vehicles arrive mostly in the afternoon and evening and leave in the morning,
needing 10-70 kWh (a few critical ones more, on DC). A short day (`short=True`) gives the site a limit of
4 % of the chargers' rating, well below what the vehicles ask over their stays.

A workplace day (`workplace_day`) is the other shape: vehicles arrive in the morning, top up at 11 kW and leave
in the afternoon, all of one priority, under a site limit that cannot give everyone all they ask.
"""

import random
from datetime import UTC, datetime, timedelta

from charging.optimizer.problem import LimitNode, Problem, Request

INTERVALS = 96
STEP = timedelta(minutes=15)


def price_curve(intervals: int = INTERVALS) -> list[float]:
    """Noon to noon: 0.28 until 17:00, 0.42 to 21:00, 0.30 to 23:00, 0.16 overnight to 06:00, 0.26 after."""
    prices = []
    for t in range(intervals):
        hour = (12 + t * 0.25) % 24
        if 17 <= hour < 21:
            prices.append(0.42)
        elif 21 <= hour < 23:
            prices.append(0.30)
        elif hour >= 23 or hour < 6:
            prices.append(0.16)
        elif 6 <= hour < 12:
            prices.append(0.26)
        else:
            prices.append(0.28)
    return prices


SHORT_SITE_SHARE = 0.04  # a short day's site limit, as a share of the chargers' rating


def depot_day(vehicles: int, seed: int = 1, site_share: float = 0.3, demand_charge: float = 0.0,
              tight: bool = False, short: bool = False) -> Problem:  # fmt: skip
    """A depot day with `vehicles` vehicles. `site_share`: the site's limit as a share of all charger ratings.
    `tight`: ask more energy than the batteries' taper lets in during the stay. `short`: a site limit of
    SHORT_SITE_SHARE, far below what the vehicles ask (power is short: priorities and fair shares decide)."""
    if short:
        site_share = SHORT_SITE_SHARE
    rng = random.Random(seed)
    nodes: dict[str, LimitNode] = {}
    requests: list[Request] = []
    charge_points = (vehicles + 1) // 2
    rating = 0.0
    for cp in range(charge_points):
        feeder = f"feeder-{cp // 10}"
        dc = cp % 10 == 9
        if feeder not in nodes:
            nodes[feeder] = LimitNode(feeder, 0.0, "site", "feeder")  # set below
        cp_id = f"cp-{cp}"
        nodes[cp_id] = LimitNode(cp_id, 150.0 if dc else 33.0, feeder, "charge_point")
        for c in range(2):
            index = cp * 2 + c
            if index >= vehicles:
                break
            connector = f"{cp_id}-{c + 1}"
            kw = 150.0 if dc else 22.0
            nodes[connector] = LimitNode(connector, kw, cp_id, "connector")
            rating += kw
            arrival = max(0, min(70, int(rng.gauss(22, 8))))  # around 17:30
            stay = int(rng.uniform(36, 72))  # 9 to 18 hours
            departure = min(INTERVALS, arrival + stay)
            priority = rng.choices(["critical", "normal", "low"], weights=[1, 7, 2])[0]
            capacity = rng.choice([60.0, 77.0, 90.0])
            soc = rng.uniform(10, 50)
            target = 80.0 if rng.random() > 0.15 else 95.0
            energy = (target - soc) / 100 * capacity
            if tight:
                energy *= 1.6
            vehicle_kw = min(kw, 11.0 if not dc and rng.random() < 0.4 else kw)
            requests.append(
                Request(id=f"ev-{index}", node=connector, arrival=arrival, departure=departure,
                        energy_kwh=round(min(energy, vehicle_kw * stay * 0.25), 3), max_kw=vehicle_kw,
                        priority=priority, soc_percent=soc, capacity_kwh=capacity, taper_from_soc=80.0,
                        taper_end_kw=min(vehicle_kw, 3.0))
            )  # fmt: skip
    site_limit = max(rating * site_share, 50.0)
    feeders = [n for n in nodes.values() if n.kind == "feeder"]
    for feeder in feeders:  # each feeder may carry 60 % of its chargers' rating, at least a tenth of the site
        below = sum(nodes[c].limit_at(0) for c in nodes if c.startswith("cp-") and nodes[c].parent == feeder.id)
        nodes[feeder.id] = LimitNode(feeder.id, max(0.6 * below, site_limit / 10), "site", "feeder")
    nodes["site"] = LimitNode("site", site_limit, None, "site")
    return Problem(
        start=datetime(2026, 6, 1, 10, tzinfo=UTC),  # noon in Berlin
        step=STEP,
        intervals=INTERVALS,
        price=price_curve(),
        nodes=nodes,
        requests=requests,
        demand_charge_per_kw=demand_charge,
    )


def workplace_price_curve(intervals: int = INTERVALS) -> list[float]:
    """From 06:00: 0.30 per kWh, 0.24 from 11:00 to 15:00 (midday solar)."""
    return [0.24 if 11 <= (6 + t * 0.25) % 24 < 15 else 0.30 for t in range(intervals)]


def workplace_day(vehicles: int = 117, site_kw: float = 60.0, seed: int = 1) -> Problem:
    """A workplace garage from 06:00: 11 kW AC charge points of two connectors (22 kW each), every vehicle of
    normal priority arriving around 08:00 and staying 6 to 10 hours, topping up from 56-72 % to 80 %. With the
    defaults (117 vehicles, 60 kW) the site can give about 62 % of what they ask."""
    rng = random.Random(seed)
    nodes: dict[str, LimitNode] = {"site": LimitNode("site", site_kw, None, "site")}
    requests: list[Request] = []
    for index in range(vehicles):
        cp_id = f"cp-{index // 2}"
        nodes.setdefault(cp_id, LimitNode(cp_id, 22.0, "site", "charge_point"))
        connector = f"{cp_id}-{index % 2 + 1}"
        nodes[connector] = LimitNode(connector, 11.0, cp_id, "connector")
        arrival = max(0, min(20, int(rng.gauss(8, 3))))  # around 08:00
        departure = min(INTERVALS, arrival + int(rng.uniform(24, 40)))
        capacity = rng.choice([50.0, 60.0, 77.0])
        soc = rng.uniform(56, 72)
        requests.append(
            Request(id=f"ev-{index}", node=connector, arrival=arrival, departure=departure,
                    energy_kwh=round((80.0 - soc) / 100 * capacity, 3), max_kw=11.0, soc_percent=soc,
                    capacity_kwh=capacity, taper_from_soc=80.0, taper_end_kw=3.0)
        )  # fmt: skip
    return Problem(
        start=datetime(2026, 6, 1, 4, tzinfo=UTC),  # 06:00 in Berlin
        step=STEP,
        intervals=INTERVALS,
        price=workplace_price_curve(),
        nodes=nodes,
        requests=requests,
    )
