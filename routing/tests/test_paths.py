"""Route searches on a road graph (routing/paths.py): against brute force, the three metrics' order, one-way
streets, snapping and unreachable destinations, the per-edge costs."""

import math

import numpy as np
import pytest

from routing.bench.queries import grid_city_graph, helsinki_graph
from routing.graph import HIGHWAY_CODE, RoadGraphData
from routing.paths import (
    METRICS,
    SNAP_LIMIT_M,
    Conditions,
    RoadRouter,
    RouteError,
    differences,
    energy_along,
)
from simulation.vehicles import params_for

PARAMS = params_for("Nissan", "Leaf", "40 kWh (EU)")
CLASSES = ["motorway", "primary", "secondary", "tertiary", "residential", "service"]


def graph_of(points, edges, *, elevations=None, name="Testville") -> RoadGraphData:
    """points: [(lat, lon)], edges: [(u, v, length_m, maxspeed or nan, highway)]"""
    return RoadGraphData(
        node_osm_id=np.arange(len(points)),
        node_lat=[p[0] for p in points],
        node_lon=[p[1] for p in points],
        node_elevation_m=elevations if elevations is not None else [math.nan] * len(points),
        edge_u=[e[0] for e in edges],
        edge_v=[e[1] for e in edges],
        edge_length_m=[e[2] for e in edges],
        edge_maxspeed_kmh=[e[3] for e in edges],
        edge_highway=[HIGHWAY_CODE[e[4]] for e in edges],
        edge_osm_way_id=np.arange(len(edges)),
        meta={"name": name},
    )


def random_graph(seed: int, n: int = 7, m: int = 16) -> RoadGraphData:
    rng = np.random.default_rng(seed)
    points = [(60.17 + rng.uniform(0, 0.01), 24.94 + rng.uniform(0, 0.02)) for _ in range(n)]
    edges = []
    for _ in range(m):
        u, v = rng.choice(n, 2, replace=False)
        speed = float(rng.choice([30.0, 50.0, 80.0, math.nan]))
        edges.append((int(u), int(v), float(rng.uniform(100, 3000)), speed, str(rng.choice(CLASSES))))
    return graph_of(points, edges, elevations=rng.uniform(0, 60, n))


def simple_paths(graph: RoadGraphData, source: int, target: int):
    """Every simple path as a list of edge indices (parallel edges give separate paths)."""
    out = {}
    for e in range(graph.edge_count):
        out.setdefault(int(graph.edge_u[e]), []).append(e)
    stack = [(source, [], {source})]
    while stack:
        node, path, seen = stack.pop()
        if node == target:
            yield path
            continue
        for e in out.get(node, []):
            nxt = int(graph.edge_v[e])
            if nxt not in seen:
                stack.append((nxt, [*path, e], seen | {nxt}))


@pytest.mark.parametrize("seed", range(12))
def test_each_metric_finds_the_cheapest_path_that_brute_force_finds(seed):
    graph = random_graph(seed)
    router = RoadRouter(graph)
    conditions = Conditions(PARAMS, departs_hour=17.5, weekday=2, ambient_c=-7.0)
    costs = router.edge_costs(conditions)
    arrays = {"shortest": costs.length_m, "fastest": costs.seconds, "least_energy": costs.kwh}
    checked = 0
    for a in range(graph.node_count):
        for b in range(graph.node_count):
            if a == b:
                continue
            paths = list(simple_paths(graph, a, b))
            origin = router.snap(graph.node_lat[a], graph.node_lon[a])
            destination = router.snap(graph.node_lat[b], graph.node_lon[b], field="destination")
            if origin.node != a or destination.node != b:
                continue  # two junctions on top of each other
            for metric in METRICS:
                if not paths:
                    with pytest.raises(RouteError) as caught:
                        router.route(origin, destination, metric, conditions)
                    assert caught.value.field == "destination"
                    continue
                best = min(sum(arrays[metric][e] for e in p) for p in paths)
                found = router.route(origin, destination, metric, conditions)
                assert sum(arrays[metric][e] for e in found.edges) == pytest.approx(best, rel=1e-9)
                assert [int(graph.edge_u[e]) for e in found.edges] == found.nodes[:-1]
                assert [int(graph.edge_v[e]) for e in found.edges] == found.nodes[1:]
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("seed", range(5))
def test_least_energy_uses_no_more_kwh_fastest_no_more_minutes_and_shortest_no_more_km(seed):
    graph = grid_city_graph(30, seed=seed)
    router = RoadRouter(graph)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        a, b = rng.choice(graph.node_count, 2, replace=False)
        plan = router.routes(
            (graph.node_lat[a], graph.node_lon[a]), (graph.node_lat[b], graph.node_lon[b]),
            params=PARAMS, departs_hour=8, ambient_c=-5.0,
        )  # fmt: skip
        r = plan.routes
        assert r["least_energy"].kwh <= min(r["shortest"].kwh, r["fastest"].kwh) + 1e-9
        assert r["fastest"].minutes <= min(r["shortest"].minutes, r["least_energy"].minutes) + 1e-9
        assert r["shortest"].km <= min(r["fastest"].km, r["least_energy"].km) + 1e-12


def test_the_three_routes_differ_where_a_fast_arterial_detours():
    # 0 -> 2 straight through a residential street (1.0 km at 30), or round by a 70 km/h arterial (1.6 km)
    points = [(60.17, 24.94), (60.175, 24.95), (60.17, 24.958)]
    edges = [
        (0, 2, 1000.0, 30.0, "residential"),
        (0, 1, 800.0, 70.0, "primary"),
        (1, 2, 800.0, 70.0, "primary"),
    ]
    router = RoadRouter(graph_of(points, edges))
    plan = router.routes(points[0], points[2], params=PARAMS, departs_hour=3, ambient_c=15.0)
    assert plan.routes["shortest"].edges == [0]
    assert plan.routes["fastest"].edges == [1, 2]
    assert plan.routes["fastest"].minutes < plan.routes["shortest"].minutes
    assert plan.routes["shortest"].km == pytest.approx(1.0)
    diff = differences(plan.routes)
    assert diff["shortest"]["km_percent"] == pytest.approx(-37.5)
    assert diff["fastest"] == {"km_percent": 0.0, "kwh_percent": 0.0, "minutes": 0.0}


def test_a_one_way_street_is_only_driven_its_way():
    points = [(60.17, 24.94), (60.17, 24.95), (60.175, 24.945)]
    edges = [(0, 1, 600.0, 50.0, "tertiary"), (1, 2, 700.0, 50.0, "tertiary"), (2, 0, 700.0, 50.0, "tertiary")]
    router = RoadRouter(graph_of(points, edges))
    there = router.routes(points[0], points[1], params=PARAMS)
    back = router.routes(points[1], points[0], params=PARAMS)
    assert there.routes["shortest"].nodes == [0, 1]
    assert back.routes["shortest"].nodes == [1, 2, 0]
    assert back.routes["shortest"].km == pytest.approx(1.4)


def test_parallel_edges_use_the_cheapest_one_of_each_metric():
    points = [(60.17, 24.94), (60.17, 24.96)]
    edges = [(0, 1, 1200.0, 30.0, "residential"), (0, 1, 1500.0, 80.0, "primary")]
    router = RoadRouter(graph_of(points, edges))
    plan = router.routes(points[0], points[1], params=PARAMS, departs_hour=3)
    assert plan.routes["shortest"].edges == [0]
    assert plan.routes["fastest"].edges == [1]


def test_an_unreachable_destination_is_named_and_explained():
    points = [(60.17, 24.94), (60.17, 24.95), (60.18, 24.94), (60.18, 24.95)]
    edges = [(0, 1, 600.0, 50.0, "tertiary"), (1, 0, 600.0, 50.0, "tertiary"), (2, 3, 600.0, 50.0, "tertiary")]
    router = RoadRouter(graph_of(points, edges))
    with pytest.raises(RouteError) as caught:
        router.routes(points[0], points[3], params=PARAMS)
    assert caught.value.field == "destination"
    assert "no road of 'Testville' leads from the origin to the destination" in caught.value.message


def test_a_point_outside_the_region_names_the_point_and_the_region():
    router = RoadRouter(random_graph(1))
    with pytest.raises(RouteError) as caught:
        router.routes((60.17, 24.94), (48.85, 2.35), params=PARAMS)
    assert caught.value.field == "destination"
    assert "outside the imported region 'Testville'" in caught.value.message
    with pytest.raises(RouteError) as caught:
        router.snap(float("nan"), 24.9)
    assert caught.value.field == "origin"


def test_a_point_inside_the_bounds_but_far_from_any_road_says_how_far():
    # an L of roads: the empty corner of its bounding box is ~1.6 km from the nearest junction
    points = [(60.17, 24.94), (60.20, 24.94), (60.17, 25.00)]
    edges = [(0, 1, 3300.0, 50.0, "primary"), (0, 2, 3300.0, 50.0, "primary")]
    router = RoadRouter(graph_of(points, edges))
    with pytest.raises(RouteError) as caught:
        router.snap(60.195, 24.995, field="origin")
    assert caught.value.field == "origin"
    assert "m from the nearest road of 'Testville'" in caught.value.message
    snap = router.snap(60.1705, 24.9405)
    assert snap.node == 0 and 0 < snap.distance_m < SNAP_LIMIT_M


def test_energy_counts_the_grade_and_recovers_some_downhill():
    points = [(60.17, 24.94), (60.17, 24.95)]
    edges = [(0, 1, 1000.0, 50.0, "tertiary"), (1, 0, 1000.0, 50.0, "tertiary")]
    flat = RoadRouter(graph_of(points, edges)).edge_costs(Conditions(PARAMS, ambient_c=20.0)).kwh
    hill = (
        RoadRouter(graph_of(points, edges, elevations=[0.0, 40.0])).edge_costs(Conditions(PARAMS, ambient_c=20.0)).kwh
    )
    assert flat[0] == pytest.approx(flat[1])
    assert hill[0] > flat[0] > hill[1] >= 0.0  # up 4 % costs more, down recovers, never below 0


def test_time_follows_the_hours_traffic_and_energy_the_temperature():
    graph = random_graph(3)
    router = RoadRouter(graph)
    night = router.edge_costs(Conditions(PARAMS, departs_hour=3, weekday=1, ambient_c=10.0))
    peak = router.edge_costs(Conditions(PARAMS, departs_hour=17, weekday=1, ambient_c=10.0))
    cold = router.edge_costs(Conditions(PARAMS, departs_hour=3, weekday=1, ambient_c=-15.0))
    assert (peak.seconds > night.seconds).all()
    assert cold.kwh.sum() > night.kwh.sum()
    # an untagged residential street: the class's default limit (30 km/h) x 0.9 at night
    graph = graph_of([(60.17, 24.94), (60.17, 24.95)], [(0, 1, 900.0, math.nan, "residential")])
    costs = RoadRouter(graph).edge_costs(Conditions(PARAMS, departs_hour=3, weekday=1))
    assert costs.speed_kmh[0] == pytest.approx(27.0 / (1 + 0.02 * 0.45))


def test_cost_arrays_are_cached_per_hour_and_temperature_bucket():
    router = RoadRouter(random_graph(4))
    first = router.edge_costs(Conditions(PARAMS, departs_hour=8.2, ambient_c=-4.4))
    assert router.edge_costs(Conditions(PARAMS, departs_hour=8.9, ambient_c=-3.6)) is first
    assert router.edge_costs(Conditions(PARAMS, departs_hour=9.0, ambient_c=-4.0)) is not first
    with pytest.raises(RouteError) as caught:
        router.edge_costs(Conditions(PARAMS, ambient_c=80.0))
    assert caught.value.field == "ambient_c"


def test_energy_along_an_external_route_uses_its_mean_speed():
    slow = energy_along(PARAMS, km=10.0, minutes=30.0, ambient_c=0.0)
    fast = energy_along(PARAMS, km=10.0, minutes=8.0, ambient_c=0.0)
    assert slow > 0 and fast > 0 and slow != fast
    assert energy_along(PARAMS, km=0.0, minutes=0.0, ambient_c=0.0) == 0.0


def test_helsinki_routes_join_two_streets_of_the_extract():
    graph = helsinki_graph()
    router = RoadRouter(graph)
    # Kamppi (Runeberginkatu side) to the Esplanadi, both inside the extract
    plan = router.routes((60.1690, 24.9330 + 0.005), (60.1675, 24.9480), params=PARAMS, departs_hour=8, ambient_c=-3)
    for route in plan.routes.values():
        assert 0.5 < route.km < 5.0
        assert route.polyline[0] == (graph.node_lat[route.nodes[0]], graph.node_lon[route.nodes[0]])
    assert plan.routes["least_energy"].kwh <= plan.routes["fastest"].kwh
    assert len(router.road_lines()) > 1000


# --- one-to-many and many-to-many (RoadRouter.table) --------------------------------------------------------------


def _pair_measures(router, origin, destination, metric, conditions):
    try:
        route = router.route(origin, destination, metric, conditions)
    except RouteError:
        return None
    return route.km, route.minutes, route.kwh


@pytest.mark.parametrize("seed", range(8))
def test_a_table_holds_the_pair_queries_km_minutes_and_kwh_and_inf_where_no_road_leads(seed):
    graph = random_graph(seed)
    router = RoadRouter(graph)
    conditions = Conditions(PARAMS, departs_hour=7.5, weekday=4, ambient_c=-9.0)
    snaps = [router.snap(graph.node_lat[n], graph.node_lon[n]) for n in range(graph.node_count)]
    unreachable = 0
    for metric in METRICS:
        table = router.table(snaps, metric=metric, conditions=conditions)
        assert table.km.shape == table.minutes.shape == table.kwh.shape == (len(snaps), len(snaps))
        for i, a in enumerate(snaps):
            for j, b in enumerate(snaps):
                pair = _pair_measures(router, a, b, metric, conditions)
                if pair is None:
                    assert (i, j) in table.unreachable()
                    assert math.isinf(table.km[i, j]) and math.isinf(table.minutes[i, j])
                    unreachable += 1
                    continue
                measured = (table.km[i, j], table.minutes[i, j], table.kwh[i, j])
                assert measured == pytest.approx(pair, rel=1e-9, abs=1e-12)
    assert unreachable > 0  # the random graphs have one-way dead ends: the inf branch is exercised


def test_a_one_to_many_table_from_a_repeated_source_answers_each_row():
    graph = grid_city_graph(15, seed=2)
    router = RoadRouter(graph)
    depot = router.snap(graph.node_lat[7], graph.node_lon[7])
    stops = [router.snap(graph.node_lat[n], graph.node_lon[n], field="destination") for n in (0, 40, 99, 180, 224)]
    table = router.table([depot, depot], stops)  # no conditions: km only, by the shortest paths
    assert table.minutes is None and table.kwh is None
    assert table.km.shape == (2, 5)
    assert np.array_equal(table.km[0], table.km[1])
    for j, stop in enumerate(stops):
        assert table.km[0, j] == pytest.approx(router.route(depot, stop, "shortest", Conditions(PARAMS)).km, rel=1e-9)
    assert router.table([], stops).km.shape == (0, 5)


def test_a_table_by_time_or_energy_needs_the_conditions_and_a_known_metric():
    graph = random_graph(2)
    router = RoadRouter(graph)
    snaps = [router.snap(graph.node_lat[0], graph.node_lon[0])]
    with pytest.raises(RouteError) as caught:
        router.table(snaps, metric="fastest")
    assert caught.value.field == "conditions"
    with pytest.raises(RouteError) as caught:
        router.table(snaps, metric="scenic", conditions=Conditions(PARAMS))
    assert caught.value.field == "metric"


def test_a_helsinki_table_between_the_demo_rounds_stops_equals_the_pair_queries():
    graph = helsinki_graph()
    router = RoadRouter(graph)
    conditions = Conditions(PARAMS, departs_hour=8, weekday=1, ambient_c=-3.0)
    places = [(60.1700, 24.9410), (60.17142, 24.94509), (60.16980, 24.95209), (60.16489, 24.94790),
              (60.17714, 24.94879), (60.16477, 24.93830)]  # fmt: skip
    snaps = [router.snap(lat, lon) for lat, lon in places]
    for metric in METRICS:
        table = router.table(snaps, metric=metric, conditions=conditions)
        assert not table.unreachable()  # the import keeps the strongly connected part only
        for i, a in enumerate(snaps):
            for j, b in enumerate(snaps):
                pair = _pair_measures(router, a, b, metric, conditions)
                assert (table.km[i, j], table.minutes[i, j], table.kwh[i, j]) == pytest.approx(pair, rel=1e-9)


def test_the_table_benchmark_checks_its_tables_against_the_pair_queries():
    from routing.bench.tables import bench_tables

    out = bench_tables(grid_city_graph(12, seed=3), PARAMS, points=6, tables=2, seed=1, pairs=True)
    assert out["pairs_compared"] == 3 * 6 * 6 and out["worst_relative_difference"] < 1e-9
    assert set(out["table_ms"]) == set(METRICS) and out["same_table_by_pair_queries_ms"]["shortest"] > 0
