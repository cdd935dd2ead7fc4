"""The charging-stop planner (routing/chargestops.py): equal to a brute force on small random networks, hand-made
cases, the charging curve, infeasible trips and bad input. No database."""

import math
import random

import numpy as np
import pytest

from routing.bench.stops import reference
from routing.chargestops import (
    DEFAULT_CURVE,
    DESTINATION,
    ORIGIN,
    Infeasible,
    Leg,
    LegTable,
    Place,
    Problem,
    ProblemError,
    Station,
    cumulative_minutes,
    plan,
)


def brute_force(problem: Problem) -> float:
    """Every walk through the stations, at every station either drive past or stop and charge to every level above
    the arrival level; the only cuts: a partial walk already slower than the best complete one, and walks of more
    than stations + 2 legs. Rounding as the
    module documents (start down, legs, reserve and arrival SoC up); charging time from the cumulative curve."""
    step = problem.step
    top = round(100 / step)
    per_level = problem.battery_kwh * step / 100
    start = math.floor(problem.start_soc / step + 1e-9)
    reserve = math.ceil(problem.reserve_soc / step - 1e-9)
    required = math.ceil(problem.arrival_soc / step - 1e-9)
    stations = {s.id: s for s in problem.stations}
    out: dict[str, list[tuple[str, float, int]]] = {}
    for (a, b), leg in problem.legs.items():
        out.setdefault(a, []).append((b, leg.minutes, math.ceil(leg.kwh / per_level - 1e-9)))
    best = [math.inf]

    def curve(station):
        return cumulative_minutes(
            tuple(problem.curve), problem.peak_kw, station.power_kw, problem.power_factor, problem.battery_kwh, step
        )

    max_legs = len(stations) + 2

    def leave(node: str, level: int, t: float, depth: int = 0) -> None:
        if t >= best[0] or depth >= max_legs:
            return
        for to, minutes, used in out.get(node, []):
            arrive = min(top, level - used)
            if arrive < reserve:
                continue
            if to == DESTINATION:
                if arrive >= required:
                    best[0] = min(best[0], t + minutes)
                continue
            if to == ORIGIN:
                continue
            at_station(to, arrive, t + minutes, depth + 1)

    def at_station(sid: str, level: int, t: float, depth: int) -> None:
        if t >= best[0]:
            return
        leave(sid, level, t, depth)  # drive past
        station = stations[sid]
        if station.available and station.power_kw > 0:
            cum = curve(station)
            for target in range(level + 1, top + 1):
                leave(sid, target, t + station.wait_minutes + cum[target] - cum[level], depth)

    leave(ORIGIN, start, 0.0)
    return best[0]


def random_problem(rng: random.Random, *, stations: int = 5, step: float = 10.0) -> Problem:
    points = {ORIGIN: (0.0, 0.0), DESTINATION: (rng.uniform(100, 250), rng.uniform(-40, 40))}
    station_list = []
    for i in range(stations):
        sid = f"s{i}"
        points[sid] = (rng.uniform(-20, 300), rng.uniform(-60, 60))
        station_list.append(
            Station(
                id=sid,
                name=f"S{i}",
                power_kw=rng.choice((0.0, 22.0, 50.0, 150.0, 300.0)),
                wait_minutes=rng.choice((0.0, 5.0, 15.0)),
                available=rng.random() > 0.15,
            )
        )
    legs = {}
    for a, pa in points.items():
        for b, pb in points.items():
            km = math.dist(pa, pb) * 1.25
            if a != b and a != DESTINATION and b != ORIGIN and km <= 300 and rng.random() > 0.1:
                legs[(a, b)] = Leg(minutes=km / rng.choice((70, 90, 110)) * 60, kwh=km * rng.uniform(0.15, 0.25), km=km)
    return Problem(
        origin=Place("Origin"),
        destination=Place("Destination"),
        stations=station_list,
        legs=legs,
        battery_kwh=rng.choice((40.0, 50.0, 60.0)),
        peak_kw=rng.choice((50.0, 100.0, 200.0)),
        start_soc=float(rng.randint(40, 100)),
        reserve_soc=float(rng.choice((0, 5, 10, 15))),
        arrival_soc=float(rng.choice((15, 20, 30))),
        power_factor=rng.choice((1.0, 0.7)),
        step=step,
    )


def test_the_planner_finds_the_brute_force_optimum_on_two_hundred_random_small_networks():
    rng = random.Random(2026)
    solved = infeasible = 0
    for _ in range(200):
        problem = random_problem(rng, stations=rng.randint(2, 4), step=rng.choice((10.0, 20.0, 25.0)))
        expected = brute_force(problem)
        if math.isinf(expected):
            with pytest.raises(Infeasible):
                plan(problem)
            with pytest.raises(Infeasible):  # the benchmark's reference, checked here too
                reference(problem)
            infeasible += 1
            continue
        result = plan(problem)
        assert result.total_minutes == pytest.approx(expected, abs=1e-6)
        assert reference(problem).total_minutes == pytest.approx(expected, abs=1e-6)
        assert result.total_minutes == pytest.approx(
            result.drive_minutes + result.charge_minutes + result.wait_minutes, abs=1e-6
        )
        solved += 1
    assert solved >= 60 and infeasible >= 5  # both kinds were exercised


def test_the_planner_equals_the_full_state_dijkstra_at_a_one_percent_step():
    rng = random.Random(7)
    for _ in range(40):
        problem = random_problem(rng, stations=8, step=1.0)
        try:
            expected = reference(problem).total_minutes
        except Infeasible:
            with pytest.raises(Infeasible):
                plan(problem)
            continue
        assert plan(problem).total_minutes == pytest.approx(expected, abs=1e-6)


def line(*, stations, legs, start=80.0, reserve=10.0, arrival=20.0, battery=50.0, peak=100.0, step=1.0):
    return Problem(
        origin=Place("A"),
        destination=Place("B"),
        stations=stations,
        legs={k: Leg(*v) for k, v in legs.items()},
        battery_kwh=battery,
        peak_kw=peak,
        start_soc=start,
        reserve_soc=reserve,
        arrival_soc=arrival,
        step=step,
    )


def test_no_stop_is_planned_when_the_start_soc_covers_the_trip():
    problem = line(
        stations=[Station("s", "S", 150)],
        legs={(ORIGIN, DESTINATION): (100, 20), (ORIGIN, "s"): (50, 10), ("s", DESTINATION): (55, 10)},
    )
    result = plan(problem)
    assert result.stops == [] and result.total_minutes == 100 and result.arrival_soc == 40


def test_one_stop_charges_just_enough_to_arrive_with_the_required_soc():
    # 50 kWh battery; 30 kWh to S (60 %), then 25 kWh (50 %) on; arrive with 20 %: leave S with 70 %
    problem = line(
        stations=[Station("s", "S", 50)],
        legs={(ORIGIN, "s"): (120, 30), ("s", DESTINATION): (100, 25)},
        start=80,
    )
    result = plan(problem)
    (stop,) = result.stops
    assert (stop.arrival_soc, stop.charge_to_soc) == (20, 70)
    # 25 kWh at a constant 50 kW (the vehicle's curve is flat to 55 %, then tapers below 50 kW only past 70 %)
    assert stop.charge_minutes == pytest.approx(
        cumulative_minutes(DEFAULT_CURVE, 100, 50, 1.0, 50, 1.0)[70]
        - cumulative_minutes(DEFAULT_CURVE, 100, 50, 1.0, 50, 1.0)[20]
    )
    assert result.kwh_charged == pytest.approx(25)
    assert result.arrival_soc == 20


def test_a_fast_station_on_a_detour_beats_a_slow_one_on_the_way():
    stations = [Station("slow", "Slow", 11), Station("fast", "Fast", 150)]
    legs = {
        (ORIGIN, "slow"): (60, 30),
        ("slow", DESTINATION): (60, 25),
        (ORIGIN, "fast"): (70, 31),
        ("fast", DESTINATION): (70, 26),
    }
    result = plan(line(stations=stations, legs=legs))
    assert [stop.station_id for stop in result.stops] == ["fast"]
    # with no detour cost difference worth it (fast far away), the slow one wins
    legs[(ORIGIN, "fast")] = (400, 31)
    assert [stop.station_id for stop in plan(line(stations=stations, legs=legs)).stops] == ["slow"]


def test_unavailable_and_incompatible_stations_are_never_charging_stops():
    stations = [
        Station("down", "Down", 300, available=False),
        Station("none", "No fitting connector", 0),
        Station("ok", "OK", 22),
    ]
    legs = {}
    for sid in ("down", "none", "ok"):
        legs[(ORIGIN, sid)] = (60, 30)
        legs[(sid, DESTINATION)] = (60, 25)
    result = plan(line(stations=stations, legs=legs))
    assert [stop.station_id for stop in result.stops] == ["ok"]
    only_bad = line(stations=stations[:2], legs={k: v for k, v in legs.items() if "ok" not in k})
    with pytest.raises(Infeasible) as error:
        plan(only_bad)
    assert "no station or the destination is within" in error.value.reason


def test_the_reserve_holds_at_every_node_of_the_plan():
    stations = [Station("a", "A1", 150), Station("b", "B1", 150)]
    legs = {(ORIGIN, "a"): (60, 34), ("a", "b"): (60, 20), ("b", DESTINATION): (60, 20), ("a", DESTINATION): (120, 40)}
    # 80 % start, 34 kWh = 68 % → 12 % at A1 (reserve 10 % holds); with a reserve of 15 % A1 cannot be reached
    result = plan(line(stations=stations, legs=legs, reserve=10))
    assert result.stops[0].arrival_soc == 12
    for stop in result.stops:
        assert stop.arrival_soc >= 10
    with pytest.raises(Infeasible) as error:
        plan(line(stations=stations, legs=legs, reserve=15))
    assert error.value.reason.startswith("From A no station or the destination is within")
    assert "15 % reserve" in error.value.reason


def test_an_arrival_soc_the_last_leg_cannot_leave_is_refused_with_the_most_reachable():
    problem = line(
        stations=[Station("s", "S", 150)], legs={(ORIGIN, "s"): (60, 30), ("s", DESTINATION): (60, 30)}, arrival=50
    )
    with pytest.raises(Infeasible) as error:
        plan(problem)
    assert error.value.field == "arrival_soc"
    assert "at most 40 %" in error.value.reason


def test_a_gap_too_long_names_the_last_place_reached_and_the_range():
    stations = [Station("s", "Lonely", 150)]
    legs = {(ORIGIN, "s"): (60, 20, 100.0), ("s", DESTINATION): (300, 60, 300.0)}
    with pytest.raises(Infeasible) as error:
        plan(line(stations=stations, legs=legs))
    reason = error.value.reason
    assert reason.startswith("From Lonely no station or the destination is within the 225 km")
    assert "from full above the 10 % reserve" in reason and "needs 120 %" in reason


def test_the_optimum_never_grows_as_the_soc_step_shrinks():
    rng = random.Random(11)
    checked = 0
    for _ in range(30):
        base = random_problem(rng, stations=6, step=4.0)
        try:
            times = [plan(Problem(**{**base.__dict__, "step": s})).total_minutes for s in (4.0, 2.0, 1.0, 0.5)]
        except Infeasible:
            continue
        assert all(b <= a + 1e-9 for a, b in zip(times, times[1:], strict=False))
        checked += 1
    assert checked >= 10


def test_the_charging_curve_integrates_to_energy_over_power():
    # flat power (cap below the tapered curve everywhere): minutes = kWh / kW × 60
    cum = cumulative_minutes(DEFAULT_CURVE, 400.0, 20.0, 1.0, 60.0, 1.0)
    assert cum[100] == pytest.approx(60.0 / 20.0 * 60.0)
    # the taper: the last 20 % take longer than the first 20 % at a high cap
    fast = cumulative_minutes(DEFAULT_CURVE, 200.0, 300.0, 1.0, 60.0, 1.0)
    assert fast[100] - fast[80] > 2 * (fast[20] - fast[0])

    # against a fine numerical integration of the same curve
    def power(s):
        for (s0, f0), (s1, f1) in zip(DEFAULT_CURVE, DEFAULT_CURVE[1:], strict=False):
            if s0 <= s <= s1:
                return min(200.0 * (f0 + (f1 - f0) * (s - s0) / (s1 - s0)), 120.0) * 0.8
        raise AssertionError

    n = 100_000
    numeric = sum(0.6 / power((i + 0.5) * 100 / n) * (100 / n) for i in range(n)) * 60
    assert cumulative_minutes(DEFAULT_CURVE, 200.0, 120.0, 0.8, 60.0, 1.0)[100] == pytest.approx(numeric, rel=1e-6)


def test_bad_input_names_each_field_and_the_fix():
    with pytest.raises(ProblemError) as error:
        plan(line(stations=[], legs={(ORIGIN, DESTINATION): (10, 1)}, start=5, reserve=10, arrival=120, step=3))
    errors = error.value.errors
    assert set(errors) == {"arrival_soc", "step"}
    assert "between 0 and 100" in errors["arrival_soc"]
    with pytest.raises(ProblemError) as error:
        plan(line(stations=[], legs={(ORIGIN, DESTINATION): (10, 1)}, start=5, reserve=10))
    assert "below the reserve" in error.value.errors["start_soc"]
    with pytest.raises(ProblemError) as error:
        plan(line(stations=[], legs={(ORIGIN, "nowhere"): (10, 1)}))
    assert "unknown node" in error.value.errors["legs"]


def _equal_to_reference(problem: Problem) -> bool:
    """Plan and reference agree (both infeasible, or the same optimum); the plan's own figures add up."""
    try:
        expected = reference(problem).total_minutes
    except Infeasible:
        with pytest.raises(Infeasible):
            plan(problem)
        return False
    result = plan(problem)
    assert result.total_minutes == pytest.approx(expected, abs=1e-6)
    assert result.total_minutes == pytest.approx(
        result.drive_minutes + result.charge_minutes + result.wait_minutes, abs=1e-6
    )
    assert result.arrival_soc >= math.ceil(problem.arrival_soc / problem.step - 1e-9) * problem.step - 1e-9
    return True


def test_legs_that_recuperate_energy_never_change_the_optimum():
    # downhill legs (negative kWh) can raise the SoC, capped at 100 %: the bound then drops its energy part
    rng = random.Random(31)
    solved = 0
    for _ in range(40):
        base = random_problem(rng, stations=6, step=rng.choice((1.0, 2.0, 5.0)))
        legs = {
            key: Leg(leg.minutes, -leg.kwh * rng.uniform(0.05, 0.3), leg.km) if rng.random() < 0.25 else leg
            for key, leg in base.legs.items()
        }
        solved += _equal_to_reference(Problem(**{**base.__dict__, "legs": legs}))
    assert solved >= 15


def test_socs_between_levels_round_as_documented_even_below_the_reserve():
    # a start SoC rounded down below the reserve rounded up: the origin may be left so, no node reached so
    rng = random.Random(5)
    solved = 0
    for _ in range(50):
        base = random_problem(rng, stations=5, step=1.0)
        reserve = rng.choice((9.5, 10.4, 12.7))
        problem = Problem(
            **{**base.__dict__, "reserve_soc": reserve, "start_soc": reserve + rng.choice((0.0, 0.3, 50.5, 70.2))}
        )
        solved += _equal_to_reference(problem)
    assert solved >= 10


def test_a_trip_leg_that_doubles_a_network_leg_is_a_second_way_between_the_two_stations():
    # the network has s0 → s1 slow and frugal; the trip adds s0 → s1 fast and hungry: both are kept
    stations = [Station("s0", "S0", 150), Station("s1", "S1", 50)]
    network = LegTable(["s0", "s1"], {("s0", "s1"): Leg(150, 8), ("s1", "s0"): Leg(150, 8)})
    drive = []
    for fast_kwh in (9.0, 30.0):
        problem = Problem(
            origin=Place("A"),
            destination=Place("B"),
            stations=stations,
            legs={(ORIGIN, "s0"): Leg(30, 20), ("s0", "s1"): Leg(60, fast_kwh), ("s1", DESTINATION): Leg(40, 12)},
            network=network,
            battery_kwh=50,
            peak_kw=150,
            start_soc=50,
            reserve_soc=10,
            arrival_soc=20,
        )
        assert _equal_to_reference(problem)
        drive.append(plan(problem).drive_minutes)
    assert drive[0] == pytest.approx(30 + 60 + 40)  # the fast leg, which here needs no more energy


def test_the_planner_equals_the_reference_on_trips_of_the_benchmark_network():
    from routing.bench.stops import network, station_legs, trip

    rng = random.Random(1818)
    stations, positions = network()
    legs = station_legs(stations, positions, rng)
    for _ in range(3):
        _equal_to_reference(trip(stations, positions, legs, rng))


def test_a_network_from_arrays_is_the_network_from_legs_and_names_a_bad_leg():
    legs = {("a", "b"): Leg(10, 2, 12), ("c", "a"): Leg(20, 4), ("a", "c"): Leg(30, 6, 40), ("b", "b"): Leg(1, 1)}
    from_legs = LegTable(["a", "b", "c"], legs)
    from_arrays = LegTable.from_arrays(
        ["a", "b", "c"], [1, 3, 1, 2], [2, 1, 3, 2], [10, 20, 30, 1], [2, 4, 6, 1], [12, math.nan, 40, math.nan]
    )
    for row_legs, row_arrays in zip(from_legs.rows, from_arrays.rows, strict=True):
        for x, y in zip(row_legs, row_arrays, strict=True):
            assert np.array_equal(x, y, equal_nan=True)
    assert from_legs.rows[1][0].tolist() == [2, 3] and from_legs.rows[2][0].tolist() == []  # no leg to itself
    with pytest.raises(ProblemError) as error:
        LegTable.from_arrays(["a", "b"], [1, 2], [2, 1], [10, 0], [1, 1], [math.nan, math.nan])
    assert error.value.errors["legs"] == "Leg b → a: minutes must be above 0 and kWh a number."
