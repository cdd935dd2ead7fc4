"""Benchmark part "charging stops" of `bench_routing`: 300 stations in a seeded country-scale layout (motorway
corridors across an 800 × 600 km area, stations every 20-60 km along them and some in between), 200 random trips.
For every trip: the time of `chargestops.plan` and its optimum compared with an independent exact reference, a
plain Dijkstra (scipy's) over the fully expanded (node, SoC level, phase) state graph with no bound and no dominance.
Plus the convergence of the optimum as the SoC step shrinks. Plain Python, no Django."""

from __future__ import annotations

import math
import os
import random
import statistics
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.chargestops import (
    DESTINATION,
    ORIGIN,
    Infeasible,
    Leg,
    LegTable,
    Place,
    Plan,
    Problem,
    Station,
    model,
    plan,
    plan_from_states,
)

ROAD_FACTOR = 1.25  # road km per straight-line km
MAX_LEG_KM = 250.0  # legs in the table: road distance up to this (a longer one passes a station on the way)
KWH_PER_KM = 0.20


def speed_kmh(km: float) -> float:
    """Average speed by leg length: town and ring roads for short legs, motorway for long ones."""
    return 50.0 if km < 10 else 80.0 if km < 40 else 100.0


def _leg(a: tuple[float, float], b: tuple[float, float], rng: random.Random) -> Leg:
    km = math.dist(a, b) * ROAD_FACTOR
    kwh = km * KWH_PER_KM * rng.uniform(0.9, 1.15)
    return Leg(minutes=km / speed_kmh(km) * 60.0, kwh=kwh, km=km)


def network(seed: int = 18, count: int = 300) -> tuple[list[Station], dict[str, tuple[float, float]]]:
    """Stations along six corridors (straight motorways between far-apart cities) and a fifth scattered."""
    rng = random.Random(seed)
    cities = [(rng.uniform(0, 800), rng.uniform(0, 600)) for _ in range(8)]
    corridors = [(cities[i], cities[j]) for i, j in ((0, 1), (2, 3), (4, 5), (6, 7), (0, 5), (3, 6))]
    positions: dict[str, tuple[float, float]] = {}
    stations: list[Station] = []
    scattered = count // 5
    k = 0
    while len(stations) < count - scattered:
        a, b = corridors[k % len(corridors)]
        k += 1
        t = rng.random()
        x = a[0] + (b[0] - a[0]) * t + rng.gauss(0, 3)
        y = a[1] + (b[1] - a[1]) * t + rng.gauss(0, 3)
        stations.append(_station(len(stations), rng))
        positions[stations[-1].id] = (x, y)
    while len(stations) < count:
        stations.append(_station(len(stations), rng))
        positions[stations[-1].id] = (rng.uniform(0, 800), rng.uniform(0, 600))
    return stations, positions


def _station(i: int, rng: random.Random) -> Station:
    return Station(
        id=f"s{i}",
        name=f"Station {i}",
        power_kw=rng.choice((50.0, 50.0, 150.0, 150.0, 150.0, 300.0)),
        wait_minutes=rng.choice((0.0, 0.0, 0.0, 5.0, 10.0, 20.0)),
        available=rng.random() > 0.1,
    )


def station_legs(stations, positions, rng: random.Random) -> LegTable:
    legs: dict[tuple[str, str], Leg] = {}
    for a in stations:
        for b in stations:
            if a.id != b.id and math.dist(positions[a.id], positions[b.id]) * ROAD_FACTOR <= MAX_LEG_KM:
                legs[(a.id, b.id)] = _leg(positions[a.id], positions[b.id], rng)
    return LegTable([s.id for s in stations], legs)


def trip(stations, positions, legs, rng: random.Random, *, step: float = 1.0) -> Problem:
    """A random trip of 250-700 km straight line between two points of the area."""
    while True:
        o = (rng.uniform(0, 800), rng.uniform(0, 600))
        d = (rng.uniform(0, 800), rng.uniform(0, 600))
        if 250 <= math.dist(o, d) <= 700:
            break
    all_legs: dict[tuple[str, str], Leg] = {}
    for station in stations:
        p = positions[station.id]
        if math.dist(o, p) * ROAD_FACTOR <= MAX_LEG_KM:
            all_legs[(ORIGIN, station.id)] = _leg(o, p, rng)
        if math.dist(p, d) * ROAD_FACTOR <= MAX_LEG_KM:
            all_legs[(station.id, DESTINATION)] = _leg(p, d, rng)
    if math.dist(o, d) * ROAD_FACTOR <= MAX_LEG_KM:
        all_legs[(ORIGIN, DESTINATION)] = _leg(o, d, rng)
    return Problem(
        origin=Place("origin", *o),
        destination=Place("destination", *d),
        stations=stations,
        legs=all_legs,
        network=legs,
        battery_kwh=rng.choice((60.0, 75.0, 77.0, 100.0)),
        peak_kw=rng.choice((100.0, 135.0, 175.0, 250.0)),
        start_soc=float(rng.randint(40, 95)),
        reserve_soc=10.0,
        arrival_soc=float(rng.randint(10, 40)),
        power_factor=rng.choice((1.0, 1.0, 0.8)),
        step=step,
    )


def reference(problem: Problem) -> Plan:
    """The exact optimum by a plain Dijkstra (scipy's) over the fully expanded state graph: every (node, level,
    phase) state, every drive and every one-level charge as an edge; no bound, no dominance, no pruning.
    Independent of the planner's search (it shares only the discrete model: the same rounding of the start SoC,
    the legs and the charging curve). Phase 0: just arrived, the wait not paid; phase 1: charging, wait paid."""
    m = model(problem)
    width = m.levels + 1
    dest = m.n + 1
    levels = np.arange(width)

    def state(node, level, phase):
        return (node * width + level) * 2 + phase

    sources, targets, costs = [], [], []
    for node in range(m.n + 2):
        cum = m.cum[node]
        if cum is not None:  # one more level of charge, paying the wait when it is the first
            steps = np.diff(np.asarray(cum))
            for phase in (0, 1):
                sources.append(state(node, levels[:-1], phase))
                targets.append(state(node, levels[1:], 1))
                costs.append(steps + (m.wait[node] if phase == 0 else 0.0))
        # every leg from every level: rows are the node's legs, columns the levels it leaves with
        to, used = m.to[node][:, None], m.used[node][:, None]
        arrive = np.minimum(m.levels, levels[None, :] - used)
        ok = (arrive >= m.reserve) & ((to != dest) | (arrive >= m.required))
        rows, leave = np.nonzero(ok)
        for phase in (0, 1):
            sources.append(state(node, leave, phase))
            targets.append(state(m.to[node][rows], arrive[ok], 0))
            costs.append(m.minutes[node][rows])
    size = (m.n + 2) * width * 2
    src, dst, cost = np.concatenate(sources), np.concatenate(targets), np.concatenate(costs)
    if any(len(np.unique(to)) < len(to) for to in m.to):
        # two legs between the same nodes: keep the cheaper edge of a pair of states (csr_matrix would add them)
        order = np.lexsort((cost, dst, src))
        src, dst, cost = src[order], dst[order], cost[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, cost = src[first], dst[first], cost[first]
    graph = csr_matrix((cost, (src, dst)), shape=(size, size))
    dist, pred = dijkstra(graph, directed=True, indices=state(0, m.start, 0), return_predecessors=True)
    ends = state(dest, levels[m.required :], 0)
    end = int(ends[np.argmin(dist[ends])])
    if not math.isfinite(dist[end]):
        raise Infeasible("The reference found no plan.")
    chain = []
    s = end
    while s >= 0:
        node, rest = divmod(s, width * 2)
        chain.append((node, rest // 2, float(dist[s]), rest % 2))
        s = int(pred[s])
    chain.reverse()
    return plan_from_states(m, problem, chain)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _summary(ms: list[float]) -> dict:
    return {
        "mean": round(statistics.fmean(ms), 2),
        "p50": round(_percentile(ms, 0.5), 2),
        "p95": round(_percentile(ms, 0.95), 2),
        "max": round(max(ms), 2),
    }


def convergence(problem: Problem, steps=(5.0, 2.0, 1.0, 0.5, 0.25)) -> list[dict]:
    """The optimum of one trip as the SoC step shrinks: it falls toward the continuous optimum (rounding is
    conservative) and the change between steps shrinks."""
    rows = []
    for step in steps:
        p = Problem(**{**problem.__dict__, "step": step})
        started = time.perf_counter()
        result = plan(p)
        rows.append(
            {
                "step_percent": step,
                "total_minutes": round(result.total_minutes, 3),
                "stops": len(result.stops),
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
        )
    return rows


def run(*, quick: bool = False) -> dict:
    """The benchmark's JSON part: per-query times, equality with the reference on every case, convergence."""
    cases = 20 if quick else 200
    rng = random.Random(1818)
    stations, positions = network()
    legs = station_legs(stations, positions, rng)
    times: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()
    reference_seconds = 0.0
    equal = 0
    infeasible = 0
    mismatches: list[dict] = []
    stops: list[int] = []
    labels: list[int] = []
    convergence_case = None
    for case in range(cases):
        problem = trip(stations, positions, legs, rng)
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            result = plan(problem)
        except Infeasible:
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            infeasible += 1
            reference_started = time.perf_counter()
            try:
                reference(problem)
            except Infeasible:
                equal += 1
            else:
                mismatches.append({"case": case, "planner": "infeasible"})
            reference_seconds += time.perf_counter() - reference_started
            continue
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        reference_started = time.perf_counter()
        expected = reference(problem)
        reference_seconds += time.perf_counter() - reference_started
        if abs(result.total_minutes - expected.total_minutes) <= 1e-6:
            equal += 1
        else:
            mismatches.append({"case": case, "planner": result.total_minutes, "reference": expected.total_minutes})
        stops.append(len(result.stops))
        labels.append(result.labels)
        if convergence_case is None and len(result.stops) >= 2:
            convergence_case = problem
    ms = [t * 1000 for t in times]
    cpu_ms = [t * 1000 for t in cpu]
    return {
        "network": {
            "stations": len(stations),
            "legs_between_stations": sum(len(row[0]) for row in legs.rows),
            "max_leg_km": MAX_LEG_KM,
            "area_km": [800, 600],
            "soc_step_percent": 1.0,
        },
        "cases": cases,
        "infeasible_cases": infeasible,
        "equal_to_reference": equal,
        "mismatches": mismatches[:10],
        "ms_per_query": _summary(ms),
        "cpu_ms_per_query": _summary(cpu_ms),  # the process's CPU time: less sensitive to other jobs
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "reference_seconds": round(reference_seconds, 1),
        "target_ms_per_query": 100,
        "stops_per_plan": {"mean": round(statistics.fmean(stops), 2) if stops else 0, "max": max(stops, default=0)},
        # node rows expanded by the search (work done)
        "expansions_per_query": {
            "mean": round(statistics.fmean(labels)) if labels else 0,
            "max": max(labels, default=0),
        },
        "convergence": convergence(convergence_case) if convergence_case and not quick else [],
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(quick=False), indent=2))
