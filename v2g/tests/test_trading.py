"""The V2G trading LP, the baselines, the online loop and the benchmark's day, on small hand-made cases whose
optimum is known, and on seeded workplace days: the reserve, the departure target, every limit in both
directions, the consent's hours and throughput cap, discharge only where the spread pays, and bad input named."""

import dataclasses

import pytest

from v2g.trading import baselines, lp, online, scenarios
from v2g.trading.evaluate import execute, score
from v2g.trading.problem import Node, Problem, ProblemError, Vehicle


def _vehicle(**extra) -> Vehicle:
    fields = dict(id="ev", node="cp", arrival=0, departure=4, capacity_kwh=60.0, energy_kwh=30.0, target_kwh=30.0,
                  max_charge_kw=10.0, max_discharge_kw=10.0, reserve_kwh=12.0, charge_efficiency=0.95,
                  discharge_efficiency=0.95, degradation_per_kwh=0.01)  # fmt: skip
    fields.update(extra)
    return Vehicle(**fields)


def _problem(buy, sell=None, vehicles=None, site_kw=100.0, **extra) -> Problem:
    nodes = {"site": Node("site", import_kw=site_kw), "cp": Node("cp", import_kw=10.0, parent="site")}
    return Problem(intervals=len(buy), step_hours=1.0, import_price=buy, export_price=sell or buy, nodes=nodes,
                   vehicles=vehicles or [_vehicle()], **extra)  # fmt: skip


def _energy_path(problem, schedule, vehicle):
    energy, path = vehicle.energy_kwh, []
    for t in range(problem.intervals):
        c, d = schedule.charge_kw[vehicle.id][t], schedule.discharge_kw[vehicle.id][t]
        energy += c * vehicle.charge_efficiency - d / vehicle.discharge_efficiency
        path.append(energy)
    return path


def test_flat_prices_never_pay_for_a_round_trip():
    schedule = lp.plan(_problem([0.20] * 4))
    assert all(d == 0 for d in schedule.discharge_kw["ev"])
    assert all(c == 0 for c in schedule.charge_kw["ev"])  # it holds its target already


def test_a_wide_spread_sells_high_and_buys_back_low_down_to_the_reserve_and_back_to_the_target():
    problem = _problem([0.40, 0.40, 0.05, 0.05])
    schedule = lp.plan(problem)
    # it draws the 18 kWh above the 12 kWh reserve in the dear hours (two cheap hours at 10 kW could put back 19)
    assert sum(schedule.discharge_kw["ev"][:2]) == pytest.approx(18.0 * 0.95)
    path = _energy_path(problem, schedule, problem.vehicles[0])
    assert min(path) == pytest.approx(12.0)  # down to the reserve, never below
    assert path[-1] >= 30.0 - 1e-6  # the target at departure
    assert sum(schedule.charge_kw["ev"][2:]) > 0


def test_a_spread_smaller_than_the_losses_and_the_wear_is_left_alone():
    # selling a kWh of battery at 0.20 brings 0.20 × 0.95; buying it back at 0.185 costs 0.185 / 0.95 + wear
    schedule = lp.plan(_problem([0.20, 0.20, 0.185, 0.185]))
    assert sum(schedule.discharge_kw["ev"]) == 0


def test_the_optimum_of_a_one_vehicle_day_matches_the_hand_computation():
    # one interval dear (sell), one cheap (buy back): sell the most the charger gives, rebuy what returns to 30 kWh
    problem = _problem([0.50, 0.05], vehicles=[_vehicle(departure=2, reserve_kwh=0.0)])
    schedule = lp.plan(problem)
    sold = 10.0  # kW for one hour
    drawn = sold / 0.95  # from the battery
    bought = drawn / 0.95  # at the charger, to put it back
    assert bought > 10.0  # more than the charger gives in the hour: it buys back only 10 kW × 0.95
    sold = 10.0 * 0.95 * 0.95  # what it can sell so that the hour at 10 kW refills it
    expected = -0.50 * sold + 0.05 * 10.0 + 0.01 * (10.0 * 0.95 + sold / 0.95)
    assert schedule.discharge_kw["ev"][0] == pytest.approx(sold, abs=1e-4)
    assert schedule.charge_kw["ev"][1] == pytest.approx(10.0, abs=1e-4)
    result = score(problem, execute(problem, schedule), algorithm="lp")
    assert -result.profit == pytest.approx(expected, abs=1e-4)


def test_a_vehicle_without_v2g_or_outside_its_hours_or_over_its_cap_does_not_discharge():
    buy = [0.40, 0.40, 0.05, 0.05]
    assert sum(lp.plan(_problem(buy, vehicles=[_vehicle(max_discharge_kw=0.0)])).discharge_kw["ev"]) == 0
    hours = lp.plan(_problem(buy, vehicles=[_vehicle(discharge_intervals=frozenset({1}))]))
    assert hours.discharge_kw["ev"][0] == 0 and hours.discharge_kw["ev"][1] > 0
    capped = lp.plan(_problem(buy, vehicles=[_vehicle(max_discharge_kwh=3.0)]))
    assert sum(capped.discharge_kw["ev"]) == pytest.approx(3.0, abs=1e-6)


def test_a_vehicle_below_its_reserve_charges_up_to_it_first_and_is_never_discharged_below_it():
    problem = _problem([0.40, 0.40, 0.40, 0.05], vehicles=[_vehicle(energy_kwh=5.0, target_kwh=20.0)])
    schedule = lp.plan(problem)
    path = _energy_path(problem, schedule, problem.vehicles[0])
    assert path[0] == pytest.approx(12.0)  # the 12 kWh reserve within the first hour, though the hour is dear
    assert min(path[1:]) >= 12.0 - 1e-6
    assert path[-1] >= 20.0 - 1e-6


def test_site_limits_hold_both_ways_and_under_a_cut():
    vehicles = [_vehicle(id=f"ev{i}", node=f"cp{i}") for i in range(4)]
    nodes = {"site": Node("site", import_kw=[15.0, 15.0, 5.0, 15.0], export_kw=12.0)}
    nodes.update({f"cp{i}": Node(f"cp{i}", import_kw=10.0, parent="site") for i in range(4)})
    problem = Problem(intervals=4, step_hours=1.0, import_price=[0.40, 0.40, 0.05, 0.05],
                      export_price=[0.40, 0.40, 0.05, 0.05], nodes=nodes, vehicles=vehicles)  # fmt: skip
    schedule = lp.plan(problem)
    for t in range(4):
        net = sum(schedule.net_kw(v.id, t) for v in vehicles)
        assert -12.0 - 1e-6 <= net <= nodes["site"].import_at(t) + 1e-6
    assert score(problem, execute(problem, schedule), algorithm="lp").overload_kwh == 0


def test_the_building_load_counts_at_the_grid_connection():
    problem = _problem([0.40, 0.40, 0.05, 0.05], site_kw=20.0, baseline_kw=[15.0, 15.0, 15.0, 15.0],
                       vehicles=[_vehicle(target_kwh=40.0)])  # fmt: skip
    schedule = lp.plan(problem)
    assert all(schedule.net_kw("ev", t) <= 5.0 + 1e-6 for t in range(4))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"export_price": [0.3, 0.5, 0.3, 0.3]}, "export_price"),
        ({"import_price": [0.3, 0.3]}, "import_price"),
        ({"vehicles": [_vehicle(reserve_kwh=70.0)]}, "vehicles[0].reserve_kwh"),
        ({"vehicles": [_vehicle(departure=0)]}, "vehicles[0].departure"),
        ({"vehicles": [_vehicle(node="nowhere")]}, "vehicles[0].node"),
        ({"vehicles": [_vehicle(charge_efficiency=1.2)]}, "vehicles[0].charge_efficiency"),
        ({"vehicles": [_vehicle(), _vehicle()]}, "vehicles[1].id"),
        ({"carbon_g_per_kwh": [1.0]}, "carbon_g_per_kwh"),
    ],
)
def test_bad_input_names_the_field(change, field):
    problem = _problem([0.3] * 4)
    for name, value in change.items():
        setattr(problem, name, value)
    with pytest.raises(ProblemError) as error:
        lp.plan(problem)
    assert field in error.value.errors


def test_the_baselines_charge_at_the_ends_of_the_stay():
    problem = _problem([0.3] * 4, vehicles=[_vehicle(target_kwh=40.0)])
    fast, late = baselines.as_fast_as_possible(problem), baselines.as_late_as_possible(problem)
    assert fast.charge_kw["ev"][0] == 10.0 and fast.charge_kw["ev"][3] == 0
    assert late.charge_kw["ev"][3] == 10.0 and late.charge_kw["ev"][0] == 0
    for schedule in (fast, late):
        assert score(problem, execute(problem, schedule), algorithm="x").satisfaction_min == pytest.approx(1.0)


def _online(day, forecast=None):
    problem = day.problem
    root = problem.root()
    before = Node(root.id, import_kw=day.normal_limit_kw, export_kw=root.export_kw)

    def expected(t):
        visited = len({v.node for v in problem.vehicles if v.arrival <= t})
        return forecast.ahead(t, chargers_visited=visited)

    executed, _, plans = online.run(problem, revealed_limits={day.event.start: root}, initial_root=before,
                                    expected=expected if forecast else None)  # fmt: skip
    return score(problem, executed, algorithm="online"), plans


@pytest.fixture(scope="module")
def forecast():
    return scenarios.Forecast(samples=10)


@pytest.mark.parametrize("seed", [4, 11])
def test_online_on_a_workplace_day_keeps_every_limit_and_serves_everyone(seed, forecast):
    day = scenarios.workplace_day(seed)
    result, plans = _online(day, forecast)
    assert result.overload_kwh == 0  # seed 4: a forecast vehicle once offset a real export in the plan
    assert result.satisfaction_min == pytest.approx(1.0, abs=1e-6)
    assert plans >= len({v.arrival for v in day.problem.vehicles})
    oracle = lp.plan(day.problem)
    best = score(day.problem, execute(day.problem, oracle), algorithm="oracle")
    fast = score(day.problem, execute(day.problem, baselines.as_fast_as_possible(day.problem)), algorithm="fast")
    assert fast.overload_kwh > 0 and best.overload_kwh == 0
    assert fast.profit < result.profit <= best.profit + 1e-6
    assert best.cycled_kwh > 0  # the day's spread pays for some V2G


def test_the_event_cuts_the_import_limit_for_its_hour():
    day = scenarios.workplace_day(3)
    root = day.problem.root()
    assert day.event.end - day.event.start == 4
    assert root.import_at(day.event.start) == pytest.approx(65.0)
    assert root.import_at(day.event.end) == pytest.approx(100.0)


def test_forecast_placeholders_add_up_to_the_chargers_not_yet_visited(forecast):
    ahead = forecast.ahead(0, chargers_visited=20)
    first = [v for v in ahead if v.id.endswith("-0")]
    assert sum(v.max_charge_kw for v in first) == pytest.approx(5 * scenarios.CHARGER_KW)
    assert all(v.forecast and v.max_discharge_kw == 0 for v in ahead)
    assert not [v for v in forecast.ahead(0, chargers_visited=25) if v.id.endswith("-0")]


def test_a_vehicle_that_leaves_after_the_horizon_is_planned_to_the_horizons_end():
    problem = _problem([0.3, 0.3], vehicles=[dataclasses.replace(_vehicle(), departure=9, target_kwh=55.0)])
    schedule = lp.plan(problem)
    assert sum(schedule.charge_kw["ev"]) == pytest.approx(20.0)  # both hours flat out, short of 55 kWh
