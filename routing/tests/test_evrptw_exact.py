"""The exact E-VRPTW model: the small Schneider et al. instances solved to proven optimality (routes checked by the
solver-independent ``check``, values compared with the published table), and a brute-force cross-check on tiny
synthetic instances.

The 15-customer instances with wide time windows (c202C15, c208C15, r202C15, r209C15, rc202C15, rc204C15) take
from tens of seconds to minutes each; they are in the benchmark (``routing.bench.exact``), not here."""

from __future__ import annotations

import csv
import itertools
import math
import random
from pathlib import Path

import pytest

from routing.evrptw import exact
from routing.evrptw.check import check
from routing.evrptw.exact import solve_exact
from routing.evrptw.instance import Instance, InstanceError, Node, read

DATA = Path(__file__).parent / "data"
INSTANCES = DATA / "evrptw_small"
SLOW = {"c202C15", "c208C15", "r202C15", "r209C15", "rc202C15", "rc204C15"}


def published() -> dict[str, dict]:
    lines = [line for line in (DATA / "evrptw_small_optimal.csv").read_text().splitlines() if not line.startswith("#")]
    return {row["instance"]: row for row in csv.DictReader(lines)}


PUBLISHED = published()
FAST = sorted(name for name in PUBLISHED if name not in SLOW)
# published values that the exhaustive search contradicts: what it proves instead, and why (asserted, not skipped)
CONTRADICTED = {
    # the paper's m=1, f=253.92: of the 31 customer sets only 15 can be served by one vehicle, and the five together
    # are not one of them; CPLEX 20.1 on Schneider's model agrees: m=2, f=253.930685538 (github.com/jmanzolli/E-VRPTW)
    "rc108C5": (2, 253.93),
}


def test_the_reference_table_lists_every_small_instance_once():
    assert sorted(PUBLISHED) == sorted(path.stem for path in INSTANCES.glob("*.txt"))
    assert len(PUBLISHED) == 36


@pytest.mark.parametrize("name", FAST)
def test_a_small_instance_is_solved_to_proven_optimality_with_routes_that_pass_the_independent_check(name):
    instance = read(INSTANCES / f"{name}.txt")

    result = solve_exact(instance, time_limit_s=120)

    assert result.optimal, f"{name}: not proven ({result.method}, {result.seconds:.1f} s)"
    verdict = check(instance, result.routes)
    assert verdict.feasible, verdict.violations
    assert verdict.vehicles == result.vehicles == len(result.routes)
    assert verdict.distance == pytest.approx(result.distance, abs=1e-6)
    assert result.bound == pytest.approx(result.distance, abs=1e-5)
    row = PUBLISHED[name]
    if row["proven_optimal"] == "true":
        vehicles, distance = CONTRADICTED.get(name, (int(row["vehicles"]), float(row["distance"])))
        assert result.vehicles == vehicles
        assert abs(result.distance - distance) <= 0.01
    else:  # the published value is an upper bound: proven optimal is never worse, lexicographically
        assert (result.vehicles, round(result.distance, 2)) <= (int(row["vehicles"]), float(row["distance"]))


@pytest.mark.parametrize(("name", "method"), [("c205C10", "bounded"), ("rc201C10", "single route")])
def test_the_paths_for_large_enumerations_find_the_same_optimum_as_the_full_one(monkeypatch, name, method):
    """Forcing the paths the large 15-customer instances take on instances the full enumeration also solves: the
    distance-bounded enumeration (two vehicles, proven by the failed search for a single route) and the search
    for one route serving everybody."""
    instance = read(INSTANCES / f"{name}.txt")
    full = solve_exact(instance)
    monkeypatch.setattr(exact, "QUICK_LABELS", 50)

    other = solve_exact(instance)

    assert (full.method, other.method) == ("full", method)
    assert full.optimal and other.optimal
    assert (other.vehicles, round(other.distance, 6)) == (full.vehicles, round(full.distance, 6))
    assert check(instance, other.routes).feasible


def test_a_time_limit_too_short_for_the_proof_says_so():
    instance = read(INSTANCES / "r209C15.txt")

    result = solve_exact(instance, time_limit_s=0.5)

    assert not result.optimal
    assert result.bound <= result.distance
    if result.routes:
        assert check(instance, result.routes).feasible


# --- tiny synthetic instances against brute force ------------------------------------------------------------


def tiny_instance(seed: int, customers: int, stations: int) -> Instance:
    rng = random.Random(seed)
    nodes = [Node("D0", "depot", 50.0, 50.0, due=600.0)]
    for k in range(stations):
        nodes.append(Node(f"S{k}", "station", rng.uniform(20, 80), rng.uniform(20, 80), due=600.0))
    for k in range(customers):
        ready = rng.uniform(0, 300)
        nodes.append(
            Node(
                f"C{k}",
                "customer",
                rng.uniform(20, 80),
                rng.uniform(20, 80),
                demand=rng.choice([10.0, 20.0, 30.0]),
                ready=ready,
                due=ready + rng.uniform(40, 250),
                service=10.0,
            )
        )
    return Instance(
        name=f"tiny{seed}",
        nodes=nodes,
        battery_capacity=rng.uniform(45, 80),  # short enough that many routes need a station
        load_capacity=50.0,
        consumption_rate=1.0,
        recharge_rate=rng.choice([0.5, 1.0, 3.47]),
        velocity=1.0,
    )


def brute_force(instance: Instance) -> tuple[int, float] | None:
    """Every partition of the customers into routes, every order of each route, and before every leg any
    sequence of distinct stations (repeating a station inside one leg never helps: the battery was full
    there already); each candidate judged by ``check``. The best (vehicles, distance), or None."""
    customers = instance.customers
    stations = instance.stations
    detours = [list(p) for r in range(len(stations) + 1) for p in itertools.permutations(stations, r)]
    best_route: dict[frozenset, float] = {}
    for size in range(1, len(customers) + 1):
        for group in itertools.combinations(customers, size):
            for order in itertools.permutations(group):
                stops = [*order, 0]
                for choice in itertools.product(detours, repeat=len(stops)):
                    route = [0]
                    for detour, stop in zip(choice, stops, strict=True):
                        route.extend(detour)
                        route.append(stop)
                    verdict = check(instance, [route])
                    if all("served 0 times" in violation for violation in verdict.violations):
                        key = frozenset(group)
                        best_route[key] = min(best_route.get(key, math.inf), verdict.distance)

    def partitions(items: list[int]):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for size in range(len(rest) + 1):
            for others in itertools.combinations(rest, size):
                remaining = [item for item in rest if item not in others]
                for tail in partitions(remaining):
                    yield [frozenset((first, *others)), *tail]

    best = None
    for partition in partitions(customers):
        if all(group in best_route for group in partition):
            value = (len(partition), sum(best_route[group] for group in partition))
            best = value if best is None or value < best else best
    return best


# (seed, customers, stations): plans with and without recharging, of one to four vehicles, and one instance with a
# customer nobody can serve (brute force finds no plan, the exact model names the customer)
TINY = [(1, 4, 1), (2, 4, 1), (8, 4, 1), (9, 4, 1), (14, 4, 1), (7, 3, 2), (8, 3, 2), (9, 3, 2), (13, 3, 2)]


@pytest.mark.parametrize(("seed", "customers", "stations"), TINY)
def test_the_exact_model_matches_brute_force_on_tiny_instances(seed, customers, stations):
    instance = tiny_instance(seed, customers, stations)
    expected = brute_force(instance)

    if expected is None:
        with pytest.raises(InstanceError):
            solve_exact(instance)
        return
    result = solve_exact(instance)

    assert result.optimal
    assert check(instance, result.routes).feasible
    assert result.vehicles == expected[0]
    assert result.distance == pytest.approx(expected[1], abs=1e-6)


def test_the_tiny_instances_exercise_stations_and_several_vehicles():
    """The brute-force cases are not trivial: some optimal plans recharge on the way, some need two vehicles."""
    recharges, fleets = 0, 0
    for seed, customers, stations in TINY:
        instance = tiny_instance(seed, customers, stations)
        try:
            result = solve_exact(instance)
        except InstanceError:
            continue
        recharges += any(instance.nodes[node].kind == "station" for route in result.routes for node in route)
        fleets += result.vehicles > 1
    assert recharges >= 5 and fleets >= 5


# --- hand-made cases ----------------------------------------------------------------------------------------------


def line_instance(**changes) -> Instance:
    """A customer 100 away on a line, stations at 40 and 80, a battery of 50: the only way is through both
    stations in a row, each way."""
    nodes = [
        Node("D0", "depot", 0.0, 0.0, due=1000.0),
        Node("S1", "station", 40.0, 0.0, due=1000.0),
        Node("S2", "station", 80.0, 0.0, due=1000.0),
        Node("C1", "customer", 100.0, 0.0, demand=10.0, ready=0.0, due=changes.pop("due", 500.0), service=10.0),
    ]
    values = dict(battery_capacity=50.0, load_capacity=100.0, consumption_rate=1.0, recharge_rate=1.0, velocity=1.0)
    return Instance(name="line", nodes=nodes, **(values | changes))


def test_a_route_may_need_two_stations_in_a_row():
    instance = line_instance()

    result = solve_exact(instance)

    assert result.optimal
    assert result.routes == [[0, 1, 2, 3, 2, 1, 0]]
    assert result.distance == pytest.approx(200.0)
    assert check(instance, result.routes).feasible


def test_a_customer_no_vehicle_can_reach_in_its_window_is_named():
    instance = line_instance(due=90.0)  # 100 away: even driving straight through takes longer

    with pytest.raises(InstanceError) as error:
        solve_exact(instance)

    assert error.value.field == "customer C1"
    assert "time window" in error.value.message


def test_too_few_vehicles_is_named():
    instance = read(INSTANCES / "c101C5.txt")  # needs two vehicles
    instance.max_vehicles = 1

    with pytest.raises(InstanceError) as error:
        solve_exact(instance)

    assert error.value.field == "max_vehicles"


def test_the_benchmark_part_reports_vehicles_distance_proof_check_and_the_published_value():
    from routing.bench.exact import run

    report = run(names=["c101C5", "rc108C5"])

    assert report["part"] == "exact" and report["solved"] == 2
    assert report["proven_optimal"] == report["feasible"] == 2
    first, second = report["instances"]
    assert (first["instance"], first["vehicles"], first["distance"], first["published_distance"]) == (
        "c101C5",
        2,
        257.7475,
        257.75,
    )
    assert (second["vehicles"], second["published_vehicles"]) == (2, 1)  # the paper's m=1 for rc108C5 (see above)
    assert first["seconds"] >= 0 and first["violations"] == []
