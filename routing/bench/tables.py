"""Benchmark of many-to-many road tables (``RoadRouter.table``, what a route plan's distance matrix is): random sets
of points on the Helsinki extract and on the synthetic city grid, each table per metric timed (wall and this
process's CPU ms), against the same N × N answered by pair queries (``RoadRouter.route``) on Helsinki, where every
figure is also checked equal. Plain Python, no database."""

from __future__ import annotations

import os
import time

import numpy as np

from routing.bench.queries import _percentiles, grid_city_graph, helsinki_graph
from routing.graph import RoadGraphData
from routing.paths import METRICS, Conditions, RoadRouter, RouteError


def _snaps(router: RoadRouter, graph: RoadGraphData, rng, count: int) -> list:
    used = np.unique(np.concatenate((graph.edge_u, graph.edge_v)))
    nodes = rng.choice(used, count, replace=False)
    return [router.snap(graph.node_lat[n], graph.node_lon[n]) for n in nodes]


def bench_tables(graph: RoadGraphData, params, *, points: int, tables: int, seed: int, pairs: bool) -> dict:
    rng = np.random.default_rng(seed)
    router = RoadRouter(graph)
    conditions = Conditions(params, departs_hour=8.0, weekday=1, ambient_c=-4.0)
    router.edge_costs(conditions)  # the cost arrays are built once per process and kept (as when serving)
    wall = {metric: [] for metric in METRICS}
    cpu = {metric: [] for metric in METRICS}
    pair_wall, worst_difference, compared = {metric: [] for metric in METRICS}, 0.0, 0
    for n in range(tables):
        snaps = _snaps(router, graph, rng, points)
        for metric in METRICS:
            started, started_cpu = time.perf_counter(), time.process_time()
            table = router.table(snaps, metric=metric, conditions=conditions)
            wall[metric].append((time.perf_counter() - started) * 1000)
            cpu[metric].append((time.process_time() - started_cpu) * 1000)
            if not pairs or n:  # the pair queries on the first set only: N × N searches each
                continue
            started = time.perf_counter()
            for i, a in enumerate(snaps):
                for j, b in enumerate(snaps):
                    try:
                        route = router.route(a, b, metric, conditions)
                    except RouteError:
                        if np.isfinite(table.km[i, j]):
                            raise AssertionError(f"{metric} {i}->{j}: a table figure where no road leads") from None
                        continue
                    for x, y in ((route.km, table.km[i, j]), (route.minutes, table.minutes[i, j]),
                                 (route.kwh, table.kwh[i, j])):  # fmt: skip
                        worst_difference = max(worst_difference, abs(x - y) / max(abs(x), 1e-12))
                    compared += 1
            pair_wall[metric].append((time.perf_counter() - started) * 1000)
    out = {
        "graph": graph.meta.get("name", ""),
        "nodes": graph.node_count,
        "points": points,
        "tables_per_metric": tables,
        "table_ms": {metric: _percentiles(ms) for metric, ms in wall.items()},
        "table_cpu_ms": {metric: _percentiles(ms) for metric, ms in cpu.items()},
    }
    if pairs:
        out["same_table_by_pair_queries_ms"] = {metric: round(ms[0], 1) for metric, ms in pair_wall.items()}
        out["pairs_compared"] = compared
        out["worst_relative_difference"] = worst_difference
    return out


def run(*, points: int = 30, tables: int = 20, grid_size: int = 200, seed: int = 0) -> dict:
    """The ``tables`` section of ``bench_routing``: ``points`` random junctions a table, ``tables`` tables a metric
    and graph, the Tesla Model 3-class car of the query benchmark at −4 °C, Tuesday 08:00."""
    from fleet.catalogue import VEHICLE_MODELS
    from simulation.vehicles import params_for

    model = next(m for m in VEHICLE_MODELS if m["vehicle_class"] == "car")
    params = params_for(model["make"], model["name"], model["variant"])
    return {
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "graphs": [
            bench_tables(helsinki_graph(), params, points=points, tables=tables, seed=seed, pairs=True),
            bench_tables(grid_city_graph(grid_size), params, points=points, tables=tables, seed=seed, pairs=False),
        ],
    }
