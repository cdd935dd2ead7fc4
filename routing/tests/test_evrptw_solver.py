"""The E-VRPTW solver (routing/evrptw/solver.py): its routes pass the independent check, impossible customers are
named, the fleet cap is respected or refused, a seed gives the same plan. Short runs (iteration-capped), no timing."""

import itertools
import random

import pytest

from routing.bench.evrptw import benchmark_dir
from routing.evrptw.check import check
from routing.evrptw.fullcharge import RouteOptimizer
from routing.evrptw.instance import InstanceError, parse, read
from routing.evrptw.solver import solve

SMALL = benchmark_dir() / "small"
needs_instances = pytest.mark.skipif(not SMALL.is_dir(), reason=f"the published instances are not at {SMALL}")

HEADER = "StringID   Type       x          y          demand     ReadyTime  DueDate    ServiceTime\n"
PARAMETERS = """
Q Vehicle fuel tank capacity /50.0/
C Vehicle load capacity /100.0/
r fuel consumption rate /1.0/
g inverse refueling rate /1.0/
v average Velocity /1.0/
"""


def line_instance(*customers: str, **changes) -> str:
    """A depot at 0 on a line, stations at 0 and 30, and the given customer lines."""
    nodes = ["D0 d 0 0 0 0 1000 0", "S0 f 0 0 0 0 1000 0", "S1 f 30 0 0 0 1000 0", *customers]
    return HEADER + "\n".join(nodes) + "\n" + PARAMETERS


def small(name: str):
    return read(SMALL / f"{name}.txt")


@needs_instances
@pytest.mark.parametrize(
    "name", ["c101C5", "r104C5", "rc108C5", "c202C10", "r201C10", "rc201C10", "c103C15", "r105C15", "rc204C15"]
)
def test_the_solvers_routes_pass_the_independent_check_on_small_published_instances(name):
    instance = small(name)
    solution = solve(instance, time_limit_s=20, seed=0, max_iterations=150)
    verdict = check(instance, solution.routes)
    assert verdict.feasible, verdict.violations
    assert solution.vehicles == verdict.vehicles == len(solution.routes)
    assert solution.distance == pytest.approx(verdict.distance)
    assert all(route[0] == 0 and route[-1] == 0 for route in solution.routes)


@needs_instances
def test_the_solver_finds_the_published_optimum_of_c101c5_with_two_vehicles():
    solution = solve(small("c101C5"), time_limit_s=20, seed=0, max_iterations=300)
    assert solution.vehicles == 2
    assert solution.distance == pytest.approx(257.75, abs=0.01)  # Schneider et al. (2014), Table 3


def test_a_customer_beyond_one_battery_is_served_through_a_station():
    # 55 out and 55 back with a battery of 50: recharge at S1 (30) on the way out and on the way back
    instance = parse(line_instance("C1 c 55 0 10 0 1000 5"))
    solution = solve(instance, time_limit_s=10, max_iterations=20)
    assert check(instance, solution.routes).feasible
    assert solution.routes == [[0, 2, 3, 2, 0]]
    assert solution.distance == pytest.approx(110)


def test_a_demand_above_the_capacity_is_refused_naming_the_customer():
    instance = parse(line_instance("C1 c 10 0 10 0 1000 5", "C2 c 20 0 150 0 1000 5"))
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert error.value.field == "customer C2"
    assert "demand 150 is above the vehicle load capacity 100" in str(error.value)


def test_a_time_window_that_closes_before_any_vehicle_can_arrive_is_refused_naming_the_customer():
    instance = parse(line_instance("C1 c 10 0 10 0 1000 5", "C7 c 40 0 10 0 25 5"))
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert error.value.field == "customer C7"
    assert "closes at 25, before a vehicle can reach it (at 40.00 at the earliest)" in str(error.value)


def test_a_customer_out_of_battery_reach_even_via_stations_is_refused_naming_it():
    instance = parse(line_instance("C1 c 10 0 10 0 1000 5", "C9 c 500 0 10 0 1000 5"))
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert error.value.field == "customer C9"
    assert "out of the battery's reach" in str(error.value)


def test_a_customer_reachable_but_without_time_to_get_back_is_refused_naming_it():
    # reached at 55 via S1 (at 85 at the earliest, after recharging 30), but the service takes 900 and the depot
    # closes at 1000: there is no way back in time
    instance = parse(line_instance("C1 c 10 0 10 0 1000 5", "C4 c 55 0 10 0 1000 900"))
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert error.value.field == "customer C4"
    assert "get back to the depot" in str(error.value)


def test_every_impossible_customer_is_listed_not_only_the_first():
    instance = parse(line_instance("C1 c 10 0 150 0 1000 5", "C2 c 500 0 10 0 1000 5"))
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert "customer C1" in str(error.value) and "customer C2" in str(error.value)


def test_more_vehicles_needed_for_the_load_than_max_vehicles_is_refused_before_solving():
    instance = parse(line_instance("C1 c 10 0 60 0 1000 5", "C2 c 20 0 60 0 1000 5", "C3 c 25 0 60 0 1000 5"))
    instance.max_vehicles = 1
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5)
    assert error.value.field == "max_vehicles"
    assert "at least 2 vehicles" in str(error.value) and "1 available" in str(error.value)


def test_time_windows_needing_more_vehicles_than_max_vehicles_are_refused_after_the_search():
    # both served at the same time, 20 apart in opposite directions: two vehicles are needed whatever the load
    instance = parse(line_instance("C1 c 20 0 10 20 25 5", "C2 c -20 0 10 20 25 5"))
    instance.max_vehicles = 1
    with pytest.raises(InstanceError) as error:
        solve(instance, time_limit_s=5, max_iterations=30)
    assert error.value.field == "max_vehicles"
    assert "no plan found with 1 vehicles" in str(error.value) and "the best needs 2" in str(error.value)


@needs_instances
def test_max_vehicles_is_respected_when_the_jobs_fit():
    instance = small("c101C5")
    instance.max_vehicles = 2
    solution = solve(instance, time_limit_s=20, seed=0, max_iterations=300)
    assert solution.vehicles <= 2
    assert check(instance, solution.routes).feasible  # check counts the vehicles against max_vehicles too


@needs_instances
def test_the_same_seed_gives_the_same_plan():
    instance = small("r102C15")
    first = solve(instance, time_limit_s=30, seed=7, max_iterations=80)
    second = solve(instance, time_limit_s=30, seed=7, max_iterations=80)
    assert first.routes == second.routes
    assert first.distance == second.distance


@needs_instances
def test_station_placement_under_full_recharge_always_passes_the_check():
    instance = small("rc108C15")
    optimizer = RouteOptimizer(instance)
    rng = random.Random(3)
    found = 0
    for _ in range(200):
        order = rng.sample(instance.customers, rng.randint(1, 4))
        result = optimizer.best(order)
        if result is None:
            continue
        found += 1
        distance, route = result
        assert [n for n in route if instance.nodes[n].kind == "customer"] == order
        partial = check(instance, [route])
        assert not [v for v in partial.violations if "served 0 times" not in v]
        assert distance == pytest.approx(partial.distance)
    assert found > 20


@needs_instances
def test_station_placement_finds_the_shortest_feasible_route_with_at_most_one_station_per_leg():
    instance = small("c101C5")
    optimizer = RouteOptimizer(instance, candidates=len(instance.stations))
    customers = instance.customers
    stations = instance.stations
    for order in itertools.permutations(customers, 2):
        best = None
        for legs in itertools.product([None, *stations], repeat=3):
            route = [0]
            for leg, stop in zip(legs, [*order, 0], strict=True):
                route += ([leg] if leg is not None else []) + [stop]
            verdict = check(instance, [route])
            if not [v for v in verdict.violations if "served 0 times" not in v]:
                best = verdict.distance if best is None else min(best, verdict.distance)
        result = optimizer.best(order)
        assert (result is None) == (best is None), order
        if best is not None:
            assert result[0] == pytest.approx(best), order


def test_an_instance_without_stations_and_with_instant_recharging_is_solved():
    text = HEADER + "D0 d 0 0 0 0 1000 0\nC1 c 10 0 10 0 1000 5\nC2 c 0 10 10 0 1000 5\nC3 c -10 0 10 0 1000 5\n"
    instance = parse(text + PARAMETERS.replace("/1.0/\nv", "/0.0/\nv"))
    assert instance.recharge_rate == 0 and instance.stations == []
    solution = solve(instance, time_limit_s=10, max_iterations=20)
    assert check(instance, solution.routes).feasible
    assert solution.vehicles == 1 and solution.distance == pytest.approx(20 + 2 * 200**0.5)
