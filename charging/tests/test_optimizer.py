"""The smart-charging optimizer (charging/optimizer/) without a database: small hand-built problems whose right
answer is known by hand, and seeded depot days checked against invariants (limits, deadlines, taper, dominance
over the baselines)."""

import functools
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from charging.optimizer import baselines, evaluate, lp, online, scenarios
from charging.optimizer.problem import LimitNode, Problem, ProblemError, Schedule
from charging.optimizer.profiles import Battery, battery_limits
from charging.tests.optimizer_helpers import (
    HOUR,
    WEIGHT,
    assert_within_limits,
    breaches,
    delivered_by_departure,
    req,
    site_problem,
    taper_breaches,
    weighted_unmet,
)
from simulation.battery.chemistry import Chemistry
from simulation.battery.temperature import dc_power_factor

QUARTER = timedelta(minutes=15)
TOL_KWH = 1e-6
CONTROLLED = ["round_robin", "earliest_deadline_first", "least_laxity_first"]  # every baseline but uncontrolled


def _with_site_limit(problem: Problem, site_kw) -> Problem:
    """The same problem with another site limit (a copy: to check a re-plan against the limit it was given)."""
    nodes = dict(problem.nodes)
    nodes["site"] = LimitNode("site", site_kw, None, "site")
    return Problem(start=problem.start, step=problem.step, intervals=problem.intervals, price=list(problem.price),
                   nodes=nodes, requests=list(problem.requests), baseline_kw=problem.baseline_kw)  # fmt: skip


@functools.cache
def _depot(vehicles: int, tight: bool, seed: int):
    problem = scenarios.depot_day(vehicles, seed=seed, tight=tight)
    schedules = {"optimal": lp.solve(problem)}
    schedules.update({name: baselines.BASELINES[name](problem) for name in CONTROLLED})
    return problem, schedules


DEPOT_DAYS = [(10, False, 1), (50, False, 2), (200, False, 3), (10, True, 4), (50, True, 5), (200, True, 6)]
FEASIBLE_DAYS = [day for day in DEPOT_DAYS if not day[1]]


# --- 1. limits ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("vehicles", "tight", "seed"), DEPOT_DAYS)
def test_no_limit_is_exceeded_on_seeded_depot_days(vehicles, tight, seed):
    problem, schedules = _depot(vehicles, tight, seed)
    assert schedules["optimal"].status == "optimal"
    for schedule in schedules.values():
        assert_within_limits(problem, schedule)


def test_the_uncontrolled_baseline_does_exceed_the_limits_so_the_checks_can_fail():
    problem, _ = _depot(50, False, 2)
    schedule = baselines.uncontrolled(problem)
    assert evaluate.violations(problem, schedule)
    assert breaches(problem, schedule)


@pytest.mark.parametrize(("vehicles", "seed"), [(10, 11), (50, 12), (200, 13)])
def test_no_limit_is_exceeded_with_a_per_interval_site_limit_and_a_building_load(vehicles, seed):
    base = scenarios.depot_day(vehicles, seed=seed, tight=True)
    full = base.root().limit_at(0)
    site = [full * (0.55 + 0.45 * ((t * 7) % 24) / 24) for t in range(base.intervals)]  # curtailed at times
    building = [full * (0.10 + 0.25 * ((t // 4) % 6) / 6) for t in range(base.intervals)]
    assert all(s - b > 0 for s, b in zip(site, building))
    problem = _with_site_limit(base, site)
    problem.baseline_kw = building
    schedules = [lp.solve(problem)] + [baselines.BASELINES[name](problem) for name in CONTROLLED]
    assert schedules[0].status == "optimal"
    for schedule in schedules:
        assert_within_limits(problem, schedule)
    # the building's load counts: the site limit binds somewhere in our plan
    site_kw = schedules[0].site_kw(problem.intervals)
    assert any(abs(site_kw[t] + building[t] - site[t]) < 1e-6 for t in range(problem.intervals))


def test_a_building_load_is_taken_off_the_site_limit():
    problem = site_problem([req("a", 40.0, max_kw=30.0)], site_kw=[50.0] * 4, baseline_kw=[35.0, 20.0, 45.0, 40.0])
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([15.0, 25.0, 0.0, 0.0], abs=1e-6)
    assert_within_limits(problem, schedule)


# --- 2. deadlines --------------------------------------------------------------------------------------------------


def test_deadlines_are_met_even_when_waiting_for_the_cheap_hours_would_save_money():
    # dear now, cheap later; A must leave after two hours and takes the 11 kW it can, B gets the rest of the
    # 20 kW site and then all 20 kW once A is gone: the only schedule that meets both deadlines
    a = req("a", 22.0, max_kw=11.0, departure=2)
    b = req("b", 58.0, max_kw=20.0)
    problem = site_problem([a, b], site_kw=20.0, price=[0.40, 0.40, 0.10, 0.10])
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([11.0, 11.0, 0.0, 0.0], abs=1e-6)
    assert schedule.power_kw["b"] == pytest.approx([9.0, 9.0, 20.0, 20.0], abs=1e-6)
    assert schedule.unmet_kwh == pytest.approx({"a": 0.0, "b": 0.0}, abs=1e-6)
    assert_within_limits(problem, schedule)


def test_staggered_arrivals_all_get_their_energy_by_departure():
    requests = [
        req("a", 30.0, max_kw=11.0, arrival=0, departure=8),
        req("b", 15.0, max_kw=22.0, arrival=2, departure=4),
        req("c", 40.0, max_kw=22.0, arrival=3, departure=8),
        req("d", 0.0, max_kw=11.0, arrival=1, departure=5),  # already full
    ]
    problem = site_problem(
        requests, site_kw=25.0, intervals=8, step=HOUR, price=[0.3, 0.3, 0.4, 0.4, 0.2, 0.1, 0.1, 0.2]
    )
    schedule = lp.solve(problem)
    for r in requests:
        assert delivered_by_departure(problem, schedule, r) == pytest.approx(r.energy_kwh, abs=TOL_KWH), r.id
        assert schedule.unmet_kwh[r.id] == pytest.approx(0.0, abs=TOL_KWH)
    assert_within_limits(problem, schedule)


@pytest.mark.parametrize(("vehicles", "tight", "seed"), FEASIBLE_DAYS)
def test_every_deadline_is_met_on_feasible_depot_days(vehicles, tight, seed):
    problem, schedules = _depot(vehicles, tight, seed)
    # feasible: a limit-respecting baseline already serves everyone
    assert sum(schedules["earliest_deadline_first"].unmet_kwh.values()) < 0.01
    schedule = schedules["optimal"]
    for r in problem.requests:
        assert schedule.unmet_kwh[r.id] == pytest.approx(0.0, abs=1e-5), r.id
        assert delivered_by_departure(problem, schedule, r) == pytest.approx(r.energy_kwh, abs=1e-5), r.id
    assert evaluate.score(problem, schedule).ready_percent == 100.0


# --- 3. cost -------------------------------------------------------------------------------------------------------


def test_one_vehicle_charges_only_in_the_cheap_hours_when_they_are_enough():
    problem = site_problem([req("a", 22.0, max_kw=11.0)], price=[0.40, 0.10, 0.40, 0.10])
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([0.0, 11.0, 0.0, 11.0], abs=1e-6)
    assert evaluate.score(problem, schedule).energy_cost == pytest.approx(2.20, abs=1e-9)
    assert schedule.objective == pytest.approx(2.20, abs=1e-3)  # plus the tie-breaking bias


def test_a_demand_charge_makes_spreading_beat_peaking():
    # 20 kWh in 4 hours: all in the cheap first hour costs 0.10*20 + 1.00*20 kW peak = 22.00; spread at 5 kW:
    # 5*(0.10+0.20*3) + 1.00*5 = 8.50, and every other split costs more (each kW of peak above 5 saves at most
    # 0.10 of energy per kWh moved into the cheap hour)
    requests = [req("a", 20.0, max_kw=20.0)]
    price = [0.10, 0.20, 0.20, 0.20]
    without = lp.solve(site_problem(requests, price=price))
    assert without.power_kw["a"] == pytest.approx([20.0, 0.0, 0.0, 0.0], abs=1e-6)
    problem = site_problem(requests, price=price, demand_charge_per_kw=1.0)
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([5.0, 5.0, 5.0, 5.0], abs=1e-6)
    assert evaluate.score(problem, schedule).cost == pytest.approx(8.50, abs=1e-6)
    assert schedule.objective == pytest.approx(8.50, abs=1e-3)
    assert evaluate.score(problem, without).cost == pytest.approx(22.00, abs=1e-6)


def test_a_demand_charge_fills_the_valleys_of_the_building_load():
    # the building alone peaks at 15 kW; 20 kWh fit under that peak only in the two 5 kW hours
    problem = site_problem([req("a", 20.0, max_kw=20.0)], price=[0.20] * 4, baseline_kw=[15.0, 5.0, 5.0, 15.0],
                       demand_charge_per_kw=1.0)  # fmt: skip
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([0.0, 10.0, 10.0, 0.0], abs=1e-6)
    score = evaluate.score(problem, schedule)
    assert score.peak_kw == pytest.approx(15.0, abs=1e-6)
    assert score.cost == pytest.approx(0.20 * 20 + 15.0, abs=1e-6)


def test_a_carbon_weight_shifts_energy_to_the_cleaner_hours():
    requests = [req("a", 20.0, max_kw=10.0)]
    carbon = [500.0, 100.0, 400.0, 50.0]
    plain = lp.solve(site_problem(requests, carbon_g_per_kwh=carbon))  # no weight: the tie goes to the earliest hours
    assert plain.power_kw["a"] == pytest.approx([10.0, 10.0, 0.0, 0.0], abs=1e-6)
    problem = site_problem(requests, carbon_g_per_kwh=carbon, carbon_price_per_kg=0.10)
    schedule = lp.solve(problem)
    assert schedule.power_kw["a"] == pytest.approx([0.0, 10.0, 0.0, 10.0], abs=1e-6)
    # 10 kWh at 0.30 + 0.10 €/kg * 0.100 kg, and 10 kWh at 0.30 + 0.10 * 0.050
    assert schedule.objective == pytest.approx(10 * 0.31 + 10 * 0.305, abs=1e-3)


@pytest.mark.parametrize(("vehicles", "tight", "seed"), FEASIBLE_DAYS)
def test_the_optimal_plan_costs_no_more_than_any_baseline_on_feasible_depot_days(vehicles, tight, seed):
    problem, schedules = _depot(vehicles, tight, seed)
    ours = evaluate.score(problem, schedules["optimal"]).energy_cost
    for name in CONTROLLED:
        assert ours <= evaluate.score(problem, schedules[name]).energy_cost + 1e-6, name


@pytest.mark.parametrize(("vehicles", "tight", "seed"), [day for day in DEPOT_DAYS if day[1]])
def test_the_optimal_plan_leaves_no_more_weighted_need_unmet_than_any_baseline_on_tight_depot_days(
    vehicles, tight, seed
):
    problem, schedules = _depot(vehicles, tight, seed)
    ours = weighted_unmet(problem, schedules["optimal"])
    assert ours > 0  # tight indeed
    slack = 0.01 * sum(WEIGHT.values()) + 1e-3  # what the fair-share term may trade, at most
    for name in CONTROLLED:
        assert ours <= weighted_unmet(problem, schedules[name]) + slack, name


# --- 4. priorities and fair shares ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [("critical", "normal"), ("normal", "low"), ("critical", "low")])
def test_the_higher_priority_gets_all_it_needs_when_energy_is_short(first, second):
    # 10 kW for two hours: 20 kWh for 30 kWh of need; the lower priority is listed first and is cheaper to serve
    requests = [
        req("lower", 15.0, priority=second, departure=2),
        req("higher", 15.0, priority=first, departure=2),
    ]
    problem = site_problem(requests, site_kw=10.0, intervals=2)
    schedule = lp.solve(problem)
    assert delivered_by_departure(problem, schedule, requests[1]) == pytest.approx(15.0, abs=1e-6)
    assert schedule.unmet_kwh["higher"] == pytest.approx(0.0, abs=1e-6)
    assert delivered_by_departure(problem, schedule, requests[0]) == pytest.approx(5.0, abs=1e-6)
    assert schedule.unmet_kwh["lower"] == pytest.approx(10.0, abs=1e-6)
    assert_within_limits(problem, schedule)


def test_critical_then_normal_then_low_with_three_classes():
    requests = [req("low", 12.0, priority="low"), req("normal", 12.0), req("critical", 12.0, priority="critical")]
    problem = site_problem(requests, site_kw=10.0, intervals=3)  # 30 kWh for 36
    schedule = lp.solve(problem)
    assert schedule.unmet_kwh == pytest.approx({"critical": 0.0, "normal": 0.0, "low": 6.0}, abs=1e-6)


def test_equal_priorities_share_a_shortage_in_proportion_to_need():
    requests = [req("a", 20.0), req("b", 40.0)]
    problem = site_problem(requests, site_kw=15.0, intervals=2)  # 30 kWh for 60
    schedule = lp.solve(problem)
    assert delivered_by_departure(problem, schedule, requests[0]) == pytest.approx(10.0, abs=1e-6)
    assert delivered_by_departure(problem, schedule, requests[1]) == pytest.approx(20.0, abs=1e-6)
    assert schedule.unmet_kwh == pytest.approx({"a": 10.0, "b": 20.0}, abs=1e-6)


def test_fair_shares_hold_within_a_class_after_a_higher_class_is_served():
    requests = [
        req("a", 20.0),
        req("crit", 10.0, priority="critical"),
        req("b", 40.0),
        req("lo", 5.0, priority="low"),
    ]
    problem = site_problem(requests, site_kw=20.0, intervals=2)  # 40 kWh: 10 critical, then 30 for 60 of normal need
    schedule = lp.solve(problem)
    assert schedule.unmet_kwh == pytest.approx({"crit": 0.0, "a": 10.0, "b": 20.0, "lo": 5.0}, abs=1e-6)


# --- 5. CC-CV taper ------------------------------------------------------------------------------------------------


def test_a_vehicle_above_the_knee_starts_at_the_tapered_rate_and_follows_it_down():
    # a 200 kWh bus at 85 %, knee 80 %, 50 kW falling to 5 kW at 100 %: 38.75 kW at 85 %; 20 kWh to 95 %
    bus = req("bus", 20.0, max_kw=50.0, departure=8, soc_percent=85.0, capacity_kwh=200.0, taper_from_soc=80.0,
               taper_end_kw=5.0)  # fmt: skip
    problem = site_problem([bus], intervals=8, step=QUARTER)
    for schedule in [lp.solve(problem)] + [baselines.BASELINES[name](problem) for name in CONTROLLED]:
        assert schedule.power_kw["bus"][0] == pytest.approx(38.75, abs=1e-6), schedule.algorithm
        assert taper_breaches(problem, schedule) == []
        assert schedule.unmet_kwh["bus"] == pytest.approx(0.0, abs=1e-6)
    # by hand: 38.75 kW for 15 min (9.6875 kWh), then 38.75 - 1.125 kW per kWh received = 27.8516 kW, then the rest
    ours = lp.solve(problem).power_kw["bus"]
    assert ours[1] == pytest.approx(38.75 - 1.125 * 9.6875, abs=1e-6)


def test_a_vehicle_crossing_the_knee_never_exceeds_the_taper_at_the_soc_it_reached():
    car = req("car", 12.0, max_kw=40.0, departure=8, soc_percent=70.0, capacity_kwh=40.0, taper_from_soc=80.0,
               taper_end_kw=4.0)  # fmt: skip
    problem = site_problem([car], intervals=8, step=QUARTER, price=[0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5])
    schedule = lp.solve(problem)
    assert taper_breaches(problem, schedule) == []
    assert max(schedule.power_kw["car"]) == pytest.approx(40.0, abs=1e-6)  # full rate below the knee
    assert sum(schedule.power_kw["car"]) * 0.25 == pytest.approx(12.0, abs=1e-6)
    # an unconstrained greedy plan would break the taper, so the check can fail
    greedy = Schedule("greedy", {"car": [40.0, 20.0, 0, 0, 0, 0, 0, 0]}, {"car": 0.0}, 0.0)  # 13 kW at 95 %
    assert taper_breaches(problem, greedy)


@pytest.mark.parametrize(("vehicles", "tight", "seed"), DEPOT_DAYS)
def test_no_vehicle_exceeds_its_taper_on_seeded_depot_days(vehicles, tight, seed):
    problem, schedules = _depot(vehicles, tight, seed)
    assert any(r.tapers for r in problem.requests)
    for schedule in schedules.values():
        assert taper_breaches(problem, schedule) == []


# --- 6. battery-health limits --------------------------------------------------------------------------------------


def _limits(battery, *, target=None, trip=None, vehicle_kw=150.0, connector_kw=150.0, dc=True):
    return battery_limits(battery, requested_target_percent=target, next_trip_kwh=trip, vehicle_max_kw=vehicle_kw,
                          connector_max_kw=connector_kw, dc=dc)  # fmt: skip


def test_the_daily_target_is_capped_at_80_percent_with_the_reason():
    limits = _limits(Battery(usable_kwh=77.0, soc_percent=30.0), target=100.0)
    assert limits.target_percent == 80.0
    assert limits.energy_kwh == pytest.approx(0.50 * 77.0)
    assert "target capped at 80 % for battery health (asked 100 %)" in limits.reasons
    assert not any("tapers" in reason for reason in limits.reasons)  # 80 % is the knee: no taper


def test_no_target_asked_means_80_percent_without_a_cap_reason():
    limits = _limits(Battery(usable_kwh=60.0, soc_percent=50.0))
    assert limits.target_percent == 80.0
    assert limits.energy_kwh == pytest.approx(18.0)
    assert limits.reasons == []


def test_a_target_below_the_cap_is_kept_and_a_target_below_the_soc_needs_nothing():
    assert _limits(Battery(usable_kwh=60.0, soc_percent=50.0), target=70.0).energy_kwh == pytest.approx(12.0)
    above = _limits(Battery(usable_kwh=60.0, soc_percent=75.0), target=60.0)
    assert above.energy_kwh == 0.0


def test_a_long_next_trip_lifts_the_cap_to_the_trip_plus_a_15_percent_reserve():
    # 45 kWh * 1.15 = 51.75 kWh of a 60 kWh battery: 86.25 %
    limits = _limits(Battery(usable_kwh=60.0, soc_percent=20.0), target=100.0, trip=45.0)
    assert limits.target_percent == pytest.approx(86.25)
    assert limits.energy_kwh == pytest.approx((86.25 - 20.0) / 100 * 60.0)
    assert any("the next trip needs 45 kWh plus a 15 % reserve" in reason for reason in limits.reasons)
    assert any("tapers above 80 %" in reason for reason in limits.reasons)
    # a trip longer than the battery: 100 %, never more
    full = _limits(Battery(usable_kwh=60.0, soc_percent=20.0), target=100.0, trip=55.0)
    assert full.target_percent == 100.0
    assert full.energy_kwh == pytest.approx(48.0)
    # a short trip does not lift the cap
    short = _limits(Battery(usable_kwh=60.0, soc_percent=20.0), target=100.0, trip=30.0)
    assert short.target_percent == 80.0
    assert any("capped at 80 %" in reason for reason in short.reasons)


def test_a_long_next_trip_lifts_the_cap_even_when_no_target_was_asked():
    # profiles.py: "Daily target capped at 80 %, unless the next trip needs more: then the trip's energy plus a
    # 15 % reserve, up to 100 %" -- charging/services/smart.py passes target=None with a next trip
    limits = _limits(Battery(usable_kwh=60.0, soc_percent=20.0), target=None, trip=45.0)
    assert limits.target_percent == pytest.approx(86.25)


@pytest.mark.parametrize(
    ("temperature", "health", "phrases"),
    [
        (-5.0, 100.0, ["battery at -5 °C", "lithium-plating limit"]),
        (5.0, 100.0, ["battery at 5 °C", "lithium-plating limit"]),
        (50.0, 100.0, ["battery at 50 °C", "heat limit above 45 °C"]),
        (20.0, 75.0, ["state of health 75 %"]),
        (20.0, 65.0, ["state of health 65 %"]),
        (5.0, 75.0, ["battery at 5 °C", "state of health 75 %"]),
        (-5.0, 65.0, ["battery at -5 °C", "state of health 65 %"]),
    ],
)
def test_dc_charging_is_derated_by_the_battery_model_for_cold_heat_and_worn_batteries_with_reasons(
    temperature, health, phrases
):
    # the share comes from simulation.battery.temperature, not a table of its own
    factor, _ = dc_power_factor(temperature, health)
    assert 0.0 < factor < 1.0
    battery = Battery(usable_kwh=80.0, soc_percent=20.0, state_of_health_percent=health, temperature_c=temperature)
    limits = _limits(battery, vehicle_kw=120.0, connector_kw=150.0)
    assert limits.max_kw < 120.0
    assert limits.max_kw == pytest.approx(120.0 * factor)
    assert limits.capacity_kwh == pytest.approx(80.0 * health / 100.0)
    derated = [reason for reason in limits.reasons if reason.startswith("DC limited to")]
    assert len(derated) == 1
    assert f"DC limited to {120.0 * factor:.0f} kW" in derated[0]
    for phrase in phrases:
        assert phrase in derated[0]
    assert limits.taper_end_kw == pytest.approx(min(limits.max_kw, 2.0))


def _dc_kw(temperature, health=100.0, chemistry=Chemistry.NMC):
    battery = Battery(usable_kwh=80.0, soc_percent=20.0, state_of_health_percent=health, temperature_c=temperature,
                      chemistry=chemistry)  # fmt: skip
    return _limits(battery, vehicle_kw=120.0, connector_kw=150.0).max_kw


@pytest.mark.parametrize("chemistry", list(Chemistry))
def test_dc_power_rises_steadily_with_temperature_below_20_degrees_and_is_full_from_20_to_35(chemistry):
    cold = [_dc_kw(t, chemistry=chemistry) for t in range(-20, 21, 5)]
    assert all(a < b for a, b in zip(cold, cold[1:], strict=False))  # no steps: every 5 K warmer charges faster
    assert cold[0] < 0.1 * 120.0  # at -20 °C the plating limit leaves under a tenth
    assert 0.4 * 120.0 < _dc_kw(10.0, chemistry=chemistry) < 0.6 * 120.0  # Yang et al. 2018: 1.5C of 4C at 10 °C
    assert [_dc_kw(t, chemistry=chemistry) for t in range(20, 36, 5)] == [120.0] * 4


def test_a_hot_battery_gets_less_dc_power_the_hotter_it_is_and_none_at_60_degrees():
    hot = [_dc_kw(t) for t in (45.0, 50.0, 55.0, 60.0)]
    assert hot[0] == 120.0
    assert hot[1] > hot[2] > hot[3] == 0.0


def test_a_worse_state_of_health_means_less_dc_power():
    at_25 = [_dc_kw(25.0, health) for health in (100.0, 90.0, 80.0, 70.0, 60.0)]
    assert at_25[0] == 120.0
    assert all(a >= b for a, b in zip(at_25, at_25[1:], strict=False))
    assert at_25[2] < 120.0 and at_25[3] < at_25[2] and at_25[4] < at_25[3]
    assert _dc_kw(0.0, 70.0) < _dc_kw(0.0, 100.0)  # in the cold too


def test_a_battery_reading_outside_the_models_range_is_taken_at_its_bound_with_the_reason():
    limits = _limits(Battery(usable_kwh=80.0, soc_percent=20.0, temperature_c=-55.0), vehicle_kw=120.0)
    assert limits.max_kw == pytest.approx(120.0 * dc_power_factor(-40.0, 100.0)[0])
    assert any("battery reading -55 °C outside -40…60 °C, taken as -40 °C" in r for r in limits.reasons)


def test_dc_charging_of_a_healthy_battery_at_a_mild_temperature_is_not_derated():
    limits = _limits(Battery(usable_kwh=80.0, soc_percent=20.0, temperature_c=20.0), vehicle_kw=150.0)
    assert limits.max_kw == 150.0
    assert limits.reasons == []


def test_ac_charging_is_never_derated():
    battery = Battery(usable_kwh=60.0, soc_percent=20.0, state_of_health_percent=60.0, temperature_c=-15.0)
    limits = _limits(battery, vehicle_kw=11.0, connector_kw=22.0, dc=False)
    assert limits.max_kw == 11.0
    assert not any("DC" in reason for reason in limits.reasons)
    assert "11 kW: the vehicle's AC limit" in limits.reasons
    hot = _limits(Battery(usable_kwh=60.0, soc_percent=20.0, temperature_c=45.0), vehicle_kw=22.0, connector_kw=22.0,
                  dc=False)  # fmt: skip
    assert hot.max_kw == 22.0
    assert hot.reasons == []


# --- 7. re-planning ------------------------------------------------------------------------------------------------


def test_freezing_the_past_and_adding_an_arrival_keeps_the_past_and_the_limits():
    problem = scenarios.depot_day(49, seed=21)
    problem.nodes["cp-24-2"] = LimitNode("cp-24-2", 22.0, "cp-24", "connector")  # the charge point's free connector
    planner = lp.LpPlanner(problem)
    first = planner.solve()
    before = {request_id: list(series) for request_id, series in first.power_kw.items()}
    planner.freeze(40, first.power_kw)
    newcomer = req("late", 30.0, max_kw=11.0, arrival=40, departure=90, node="cp-24-2")
    planner.add(newcomer)
    second = planner.solve()
    assert second.status == "optimal"
    for request_id, series in before.items():
        assert second.power_kw[request_id][:40] == pytest.approx(series[:40], abs=1e-9), request_id
    assert second.power_kw["late"][:40] == [0.0] * 40
    assert delivered_by_departure(problem, second, newcomer) == pytest.approx(30.0, abs=1e-6)
    assert_within_limits(problem, second)


def test_an_arrival_reported_late_gets_no_power_in_the_executed_past():
    # B plugged in at 0 but the planner learns of it at 2, after intervals 0 and 1 were executed without it
    problem = site_problem([req("a", 10.0, max_kw=10.0)], site_kw=20.0, connectors=["c-b"])
    planner = lp.LpPlanner(problem)
    first = planner.solve()
    planner.freeze(2, first.power_kw)
    planner.add(req("b", 20.0, max_kw=10.0, arrival=0, departure=4))
    second = planner.solve()
    assert second.power_kw["a"][:2] == pytest.approx(first.power_kw["a"][:2], abs=1e-9)
    assert second.power_kw["b"][:2] == [0.0, 0.0]  # nothing was delivered to it then
    assert second.power_kw["b"][2:] == pytest.approx([10.0, 10.0], abs=1e-6)


def test_removing_a_faulted_vehicle_moves_its_power_to_the_others():
    # 20 kW for three 10 kW vehicles that each need 40 kWh: the site binds every hour. C's 26.7 kWh share cannot
    # all come in the first two hours (10 kW), so A and B had less than 20 kW between them later
    requests = [req("a", 40.0, max_kw=10.0), req("b", 40.0, max_kw=10.0), req("c", 40.0, max_kw=10.0)]
    problem = site_problem(requests, site_kw=20.0)
    planner = lp.LpPlanner(problem)
    first = planner.solve()
    planner.freeze(2, first.power_kw)
    planner.remove("c")
    second = planner.solve()
    for request_id in "abc":
        assert second.power_kw[request_id][:2] == pytest.approx(first.power_kw[request_id][:2], abs=1e-9)
    assert second.power_kw["c"][2:] == [0.0, 0.0]
    later_before = sum(first.power_kw["a"][2:]) + sum(first.power_kw["b"][2:])
    later_after = sum(second.power_kw["a"][2:]) + sum(second.power_kw["b"][2:])
    assert later_before < 40.0 - 1.0
    assert later_after == pytest.approx(40.0, abs=1e-6)  # both at their full 10 kW: the site's 20 kW
    assert_within_limits(problem, second)


def test_lowering_the_site_limit_is_obeyed_by_the_new_plan():
    requests = [req("a", 30.0), req("b", 30.0)]
    problem = site_problem(requests, site_kw=60.0)
    planner = lp.LpPlanner(problem)
    first = planner.solve()
    planner.freeze(1, first.power_kw)
    for t in (1, 2, 3):
        planner.set_limit("site", t, 12.0)
    second = planner.solve()
    assert max(first.site_kw(4)[1:]) > 12.0  # the old plan breaks the new limit
    assert max(second.site_kw(4)[1:]) <= 12.0 + 1e-6
    assert_within_limits(_with_site_limit(problem, [60.0, 12.0, 12.0, 12.0]), second)
    assert second.unmet_kwh == pytest.approx({"a": 0.0, "b": 0.0}, abs=1e-6)


def test_lowering_a_limit_that_never_bound_adds_it_to_the_plan():
    # the 50 kW connector never binds an 11 kW vehicle (no row in the model) until it is derated to 4 kW
    problem = site_problem([req("a", 22.0, max_kw=11.0)])
    planner = lp.LpPlanner(problem)
    assert planner.solve().power_kw["a"] == pytest.approx([11.0, 11.0, 0.0, 0.0], abs=1e-6)
    planner.set_limit("c-a", 1, 4.0)
    assert planner.solve().power_kw["a"] == pytest.approx([11.0, 4.0, 7.0, 0.0], abs=1e-6)


def test_lowering_the_site_limit_still_leaves_room_for_the_building_load():
    # the site's 50 kW connection carries a 20 kW building; cut to 30 kW at t=2, 10 kW are left for charging
    problem = site_problem([req("a", 80.0, max_kw=30.0)], site_kw=50.0, baseline_kw=[20.0] * 4)
    planner = lp.LpPlanner(problem)
    assert planner.solve().power_kw["a"] == pytest.approx([30.0, 30.0, 20.0, 0.0], abs=1e-6)
    planner.set_limit("site", 2, 30.0)
    schedule = planner.solve()
    assert schedule.power_kw["a"][2] <= 10.0 + 1e-6, schedule.power_kw["a"]
    assert_within_limits(_with_site_limit(problem, [50.0, 50.0, 30.0, 50.0]), schedule)


def test_a_new_price_shifts_energy_to_the_cheaper_hours():
    problem = site_problem([req("a", 20.0, max_kw=10.0)])
    planner = lp.LpPlanner(problem)
    assert planner.solve().power_kw["a"] == pytest.approx([10.0, 10.0, 0.0, 0.0], abs=1e-6)
    planner.set_price(0, 0.90)
    planner.set_price(1, 0.90)
    schedule = planner.solve()
    assert schedule.power_kw["a"] == pytest.approx([0.0, 0.0, 10.0, 10.0], abs=1e-6)
    assert evaluate.score(problem, schedule).energy_cost == pytest.approx(6.0, abs=1e-6)


def test_a_price_spike_never_outweighs_a_vehicles_need():
    # lp.py: "no price ever outweighs a vehicle's need"; a fresh solve at these prices charges the vehicle
    problem = site_problem([req("a", 20.0, max_kw=10.0, priority="low")])
    planner = lp.LpPlanner(problem)
    planner.solve()
    for t in range(4):
        planner.set_price(t, 50.0)
    assert lp.solve(site_problem([req("a", 20.0, max_kw=10.0, priority="low")], price=[50.0] * 4)).unmet_kwh["a"] == 0
    schedule = planner.solve()
    assert schedule.unmet_kwh["a"] == pytest.approx(0.0, abs=1e-6), schedule.power_kw


def test_a_rejected_arrival_leaves_the_planner_usable():
    problem = site_problem([req("a", 10.0)], connectors=["c-b"])
    planner = lp.LpPlanner(problem)
    planner.solve()
    with pytest.raises(ProblemError) as raised:
        planner.add(req("x", 10.0, node="nowhere"))
    assert "requests[1].node" in raised.value.errors
    planner.add(req("b", 10.0))
    schedule = planner.solve()
    assert "x" not in schedule.power_kw
    assert schedule.unmet_kwh["b"] == pytest.approx(0.0, abs=1e-6)


# --- 8. bad input --------------------------------------------------------------------------------------------------


def _bad(case):
    ok = req("ok", 10.0)
    if case == "departure":
        return site_problem([ok, req("bad", 10.0, arrival=3, departure=1)]), "requests[1].departure"
    if case == "energy":
        return site_problem([ok, req("bad", -5.0)]), "requests[1].energy_kwh"
    if case == "unknown node":
        problem = site_problem([ok])
        problem.requests.append(req("bad", 10.0, node="cp-99-1"))
        return problem, "requests[1].node"
    if case == "zero connector limit":
        problem = site_problem([ok, req("bad", 10.0)])
        problem.nodes["c-bad"] = LimitNode("c-bad", 0.0, "site", "connector")
        return problem, "nodes.c-bad.max_kw"
    if case == "negative site limit":
        return site_problem([ok], site_kw=-10.0), "nodes.site.max_kw"
    if case == "zero in a per-interval limit":
        return site_problem([ok], site_kw=[50.0, 0.0, 50.0, 50.0]), "nodes.site.max_kw"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "departure",
        "energy",
        "unknown node",
        "zero connector limit",
        "negative site limit",
        "zero in a per-interval limit",
    ],
)
def test_bad_input_raises_a_problem_error_naming_the_field(case):
    problem, field = _bad(case)
    with pytest.raises(ProblemError) as raised:
        lp.solve(problem)
    assert list(raised.value.errors) == [field]
    assert field in str(raised.value)
    if field.startswith("requests"):
        assert "bad" in raised.value.errors[field]  # names the vehicle too
    with pytest.raises(ProblemError):
        lp.LpPlanner(problem)


def test_a_vehicle_no_connector_can_serve_is_listed_with_a_reason_and_the_others_are_planned():
    requests = [req("a", 20.0, max_kw=11.0), req("stuck", 30.0, max_kw=0.0), req("b", 10.0, max_kw=11.0)]
    problem = site_problem(requests, site_kw=15.0)
    schedule = lp.solve(problem)
    assert schedule.status == "optimal"
    assert list(schedule.cannot_serve) == ["stuck"]
    assert "no compatible connector" in schedule.cannot_serve["stuck"]
    assert schedule.power_kw["stuck"] == [0.0] * 4
    assert schedule.unmet_kwh["stuck"] == 30.0
    assert schedule.unmet_kwh["a"] == pytest.approx(0.0, abs=1e-6)
    assert schedule.unmet_kwh["b"] == pytest.approx(0.0, abs=1e-6)
    assert_within_limits(problem, schedule)
    for name in CONTROLLED:  # the baselines skip it without a crash too
        other = baselines.BASELINES[name](problem)
        assert other.power_kw["stuck"] == [0.0] * 4
        assert other.unmet_kwh["a"] == pytest.approx(0.0, abs=1e-6)


def test_a_vehicle_outside_the_horizon_cannot_be_served_and_says_why():
    problem = site_problem([req("a", 10.0), req("tomorrow", 10.0, arrival=6, departure=9)])
    schedule = lp.solve(problem)
    assert "not plugged in within the planning horizon" in schedule.cannot_serve["tomorrow"]
    assert schedule.unmet_kwh["a"] == pytest.approx(0.0, abs=1e-6)


# --- 8. ties between deadlines (issue 13, item 14) ------------------------------------------------------------------


def _x_y_and_b():
    # flat prices, a 10 kW site: X due at hour 2 and Y at hour 3 need 10 kWh each; B, unannounced, arrives at hour
    # 1 and needs 10 kWh by hour 2
    return site_problem([req("X", 10.0, departure=2), req("Y", 10.0, departure=3),
                         req("B", 10.0, arrival=1, departure=2)], site_kw=10.0, intervals=3)  # fmt: skip


def test_with_flat_prices_an_unannounced_arrival_finds_the_hour_the_earlier_deadline_left_free():
    # online once charged Y first (a tie at flat prices), so X and B then shared hour 1: 20 kWh of 30
    problem = _x_y_and_b()
    replayed, _stats = online.replay(_x_y_and_b())
    assert replayed.power_kw["X"][0] == pytest.approx(10.0, abs=1e-6)  # the earlier deadline charges first
    for schedule in (replayed, baselines.earliest_deadline_first(_x_y_and_b()), lp.solve(_x_y_and_b())):
        assert evaluate.score(problem, schedule).delivered_percent == pytest.approx(100.0), schedule.algorithm
        assert_within_limits(problem, schedule)


def test_the_fast_plan_breaks_ties_towards_the_earlier_deadline_too():
    # 60 vehicles (the min-cost flow, not the LP), the later deadlines listed first: at flat prices each of those
    # due at hour 2 charges in hour 0, and hour 1 stays free for whoever comes
    requests = [req(f"y{i}", 10.0, departure=3) for i in range(30)] + [
        req(f"x{i}", 10.0, departure=2) for i in range(30)
    ]
    schedule = lp.plan(site_problem(requests, site_kw=300.0, intervals=3, connector_kw=22.0))
    assert schedule.notes[0].startswith("min-cost flow")
    assert [schedule.power_kw[f"x{i}"][0] for i in range(30)] == [pytest.approx(10.0, abs=1e-3)] * 30
    assert [schedule.power_kw[f"y{i}"][0] for i in range(30)] == [pytest.approx(0.0, abs=1e-3)] * 30


def test_a_price_a_cent_lower_still_beats_the_tie_breaks():
    # a week of quarter hours, where the tie-breaks are largest: the last interval is a cent cheaper per kWh
    problem = site_problem([req("a", 5.0, max_kw=20.0, departure=672)], intervals=672, step=QUARTER,
                           price=[0.31] * 671 + [0.30])  # fmt: skip
    for schedule in (lp.solve(problem), lp.plan(problem)):
        assert schedule.power_kw["a"][671] == pytest.approx(20.0, abs=1e-6)


def _random_flat_day(seed: int) -> Problem:
    """A small day of one class at flat prices: vehicles arriving and leaving at random, one site limit."""
    rng = random.Random(seed)
    intervals = rng.choice([6, 8, 12, 16])
    requests = []
    for i in range(rng.randint(2, 7)):
        arrival = rng.randint(0, intervals - 2)
        requests.append(req(f"v{i}", round(rng.uniform(2, 30), 2), max_kw=rng.choice([7.0, 11.0, 22.0]),
                            arrival=arrival, departure=rng.randint(arrival + 1, intervals)))  # fmt: skip
    return site_problem(requests, site_kw=rng.choice([10.0, 15.0, 22.0, 30.0]), intervals=intervals,
                        connector_kw=22.0)  # fmt: skip


def test_online_never_delivers_less_than_earliest_deadline_first_on_random_flat_price_days():
    # one class only: with priorities, serving a critical vehicle first may rightly cost a normal one's energy
    worse = []
    for seed in range(2000, 2200):
        problem = _random_flat_day(seed)
        replayed = evaluate.score(problem, online.replay(_random_flat_day(seed))[0]).delivered_percent
        deadline_first = evaluate.score(problem, baselines.earliest_deadline_first(problem)).delivered_percent
        if replayed < deadline_first - 1e-6:
            worse.append((seed, round(replayed, 3), round(deadline_first, 3)))
    assert worse == []


# --- quiet (issue 13, item 15) -------------------------------------------------------------------------------------


def test_planning_prints_nothing_on_stdout(capfd):
    # HiGHS printed its banner from C on stdout with the first model a process made (a management command's JSON,
    # a worker's log): a fresh process plans with the LP, the fast path and the warm planner
    code = (
        "from charging.optimizer import lp, scenarios; lp.solve(scenarios.depot_day(10, seed=1)); "
        "lp.plan(scenarios.depot_day(60, seed=1)); lp.LpPlanner(scenarios.depot_day(5, seed=2)).solve()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
    out, _err = capfd.readouterr()
    assert out == ""
