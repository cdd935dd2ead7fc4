"""The fast plan (lp.plan: min-cost flow, the least peak under a demand charge, the taper repair) against the LP
and against independent checks, on seeded depot days and on small problems whose answer is known by hand; and
the online replay with a forecast."""

import functools
from dataclasses import replace

import pytest

from charging.optimizer import evaluate, lp, online, scenarios
from charging.optimizer.problem import ProblemError
from charging.tests.optimizer_helpers import (
    HOUR,
    assert_within_limits,
    delivered_by_departure,
    req,
    site_problem,
    taper_breaches,
    weighted_unmet,
)

DAYS = [
    # (vehicles, kind, seed): plain, tight (more energy asked than the site can give) and demand-charge days; a
    # demand charge of 12 per kW outweighs the price spread (the least peak is best), one of 1 does not (searched)
    (10, "plain", 31), (120, "plain", 32), (10, "tight", 33), (120, "tight", 34),
    (10, "demand", 35), (120, "demand", 36), (40, "small demand", 37), (120, "small demand", 38),
]  # fmt: skip


def _day(vehicles: int, kind: str, seed: int):
    charge = {"demand": 12.0, "small demand": 1.0}.get(kind, 0.0)
    return scenarios.depot_day(vehicles, seed=seed, tight=kind == "tight", demand_charge=charge)


@functools.cache
def _planned(vehicles: int, kind: str, seed: int):
    problem = _day(vehicles, kind, seed)
    schedule, details = lp.plan_details(_day(vehicles, kind, seed))
    return problem, schedule, details, lp.solve(_day(vehicles, kind, seed))


@pytest.mark.parametrize(("vehicles", "kind", "seed"), DAYS)
def test_the_fast_plan_keeps_every_limit_and_taper(vehicles, kind, seed):
    problem, schedule, _details, _optimum = _planned(vehicles, kind, seed)
    assert_within_limits(problem, schedule)
    assert taper_breaches(problem, schedule) == []


@pytest.mark.parametrize(("vehicles", "kind", "seed"), [day for day in DAYS if day[1] != "tight"])
def test_the_fast_plan_meets_every_deadline_and_costs_within_half_a_percent_of_the_lp(vehicles, kind, seed):
    problem, schedule, details, optimum = _planned(vehicles, kind, seed)
    assert evaluate.score(problem, optimum).delivered_percent == pytest.approx(100.0)  # the day is feasible
    for r in problem.requests:
        assert delivered_by_departure(problem, schedule, r) >= r.energy_kwh - 1e-3, r.id
    ours, best = evaluate.score(problem, schedule).cost, evaluate.score(problem, optimum).cost
    assert best - 1e-6 <= ours <= best * 1.005
    if details["gap"] is not None:  # the reported gap is an upper bound of the true one
        assert schedule.objective <= optimum.objective * (1 + details["gap"]) + 1e-6
        assert details["lower_bound"] <= optimum.objective + 1e-6


@pytest.mark.parametrize(("vehicles", "kind", "seed"), [day for day in DAYS if day[1] == "tight"])
def test_on_a_tight_day_the_fast_plan_leaves_no_more_weighted_need_unmet_than_the_lp(vehicles, kind, seed):
    problem, schedule, _details, optimum = _planned(vehicles, kind, seed)
    assert weighted_unmet(problem, schedule) <= weighted_unmet(problem, optimum) * 1.001 + 1e-6
    critical = [r for r in problem.requests if r.priority == "critical"]
    assert sum(schedule.unmet_kwh[r.id] for r in critical) <= sum(optimum.unmet_kwh[r.id] for r in critical) + 1e-3


def test_re_planning_the_tapering_vehicles_in_parts_keeps_limits_tapers_and_priorities(monkeypatch):
    monkeypatch.setattr(lp, "REPLAN_PART", 7)  # a 120-vehicle tight day: dozens of parts
    problem = _day(120, "tight", 34)
    schedule, details = lp.plan_details(_day(120, "tight", 34))
    assert details["taper_replanned"] > 7
    assert_within_limits(problem, schedule)
    assert taper_breaches(problem, schedule) == []
    _problem, _schedule, _details, optimum = _planned(120, "tight", 34)
    assert weighted_unmet(problem, schedule) <= weighted_unmet(problem, optimum) * 1.01 + 1e-6


def _without_taper(problem):
    return replace(problem, requests=[replace(r, taper_from_soc=None) for r in problem.requests])


@pytest.mark.parametrize(("vehicles", "seed"), [(10, 41), (150, 42)])
def test_under_a_demand_charge_the_least_peak_is_the_lps_peak_and_the_plan_is_the_lps_optimum(vehicles, seed):
    # without the taper the flow at the least peak is the LP exactly: same peak, same cost
    problem = _without_taper(scenarios.depot_day(vehicles, seed=seed, demand_charge=12.0))
    schedule, details = lp.plan_details(problem)
    optimum = lp.solve(problem)
    ours, best = evaluate.score(problem, schedule), evaluate.score(problem, optimum)
    assert ours.peak_kw == pytest.approx(best.peak_kw, abs=2 * lp.PEAK_MARGIN_KW)  # the margin, and Newton's steps
    assert ours.cost == pytest.approx(best.cost, rel=1e-4)
    assert details["lower_bound"] <= optimum.objective + 1e-6


def test_a_small_demand_charge_is_searched_down_to_the_lps_peak():
    problem = _without_taper(scenarios.depot_day(150, seed=43, demand_charge=0.5))
    schedule, details = lp.plan_details(problem)
    optimum = lp.solve(problem)
    ours, best = evaluate.score(problem, schedule), evaluate.score(problem, optimum)
    assert ours.cost == pytest.approx(best.cost, rel=2e-4)
    assert details["gap"] < 1e-3
    assert details["lower_bound"] <= optimum.objective + 1e-6


# --- the billing period's peak so far ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
def test_power_up_to_the_peak_so_far_costs_no_demand_charge(fast):
    # 20 kWh in 4 hours, the first hour cheap. With no floor, 5 kW flat (8.50, see test_optimizer). A peak of 10
    # kW is already paid for this month: 10 kWh in the cheap hour, 10 more at 0.20 (earliest first), and one kW
    # more would save 0.10 for 1.00: 0.10*10 + 0.20*10 + 1.00*10 = 13.00. With 20 kW paid: all in the cheap hour.
    solve = lp.plan if fast else lp.solve
    price = [0.10, 0.20, 0.20, 0.20]
    for floor, power, cost in ((10.0, [10.0, 10.0, 0.0, 0.0], 13.00), (20.0, [20.0, 0.0, 0.0, 0.0], 22.00)):
        problem = site_problem([req("a", 20.0, max_kw=20.0)], price=price, demand_charge_per_kw=1.0,
                               peak_floor_kw=floor)  # fmt: skip
        schedule = solve(problem)
        assert schedule.power_kw["a"] == pytest.approx(power, abs=0.02)
        assert evaluate.score(problem, schedule).cost == pytest.approx(cost, abs=0.02)


@pytest.mark.parametrize(
    ("field", "extra"),
    [("peak_floor_kw", {"peak_floor_kw": -1.0}), ("demand_charge_per_kw", {"demand_charge_per_kw": -0.5})],
)
def test_a_negative_peak_so_far_or_demand_charge_is_refused_naming_the_field(field, extra):
    problem = site_problem([req("a", 10.0)], **extra)
    for solve in (lp.solve, lp.plan):
        with pytest.raises(ProblemError) as caught:
            solve(problem)
        assert field in caught.value.errors


def test_the_fast_plan_of_nobody_costs_the_peak_so_far():
    problem = site_problem([], step=HOUR, demand_charge_per_kw=2.0, peak_floor_kw=30.0)
    schedule, details = lp.plan_details(problem)
    assert schedule.objective == pytest.approx(60.0)
    assert details["lower_bound"] == pytest.approx(60.0)


# --- online, with a forecast ------------------------------------------------------------------------------------


def test_a_forecast_makes_the_online_replay_spread_the_first_arrivals_under_the_evening_peak():
    problem = scenarios.depot_day(100, seed=2, demand_charge=12.0)
    offline = evaluate.score(problem, lp.solve(problem))
    blind, _ = online.replay(scenarios.depot_day(100, seed=2, demand_charge=12.0))
    last_week = scenarios.depot_day(100, seed=1002).requests
    informed, stats = online.replay(scenarios.depot_day(100, seed=2, demand_charge=12.0), forecast=last_week)
    blind_score, informed_score = evaluate.score(problem, blind), evaluate.score(problem, informed)
    for score in (blind_score, informed_score):
        assert score.limit_violations == 0
        assert score.delivered_percent == pytest.approx(100.0)
    assert informed_score.peak_kw < blind_score.peak_kw
    assert informed_score.cost < blind_score.cost
    assert informed_score.cost <= offline.cost * 1.05
    assert set(informed.power_kw) == {r.id for r in problem.requests}  # the placeholders are never executed
    assert stats["replans"] > 0


# --- found in review ---------------------------------------------------------------------------------------------


def _many(count: int, need: float, *, site_kw: float, intervals: int, priority: str = "normal", **extra):
    return site_problem([req(f"v{i}", need, arrival=0, departure=intervals, priority=priority)
                         for i in range(count)], site_kw=site_kw, intervals=intervals, connector_kw=22.0,
                        **extra)  # fmt: skip


def test_when_the_limits_cannot_carry_all_the_energy_the_least_peak_is_still_found_from_below():
    # 60 vehicles x 15 kWh through a 60 kW site in 8 hours: 480 kWh of 900 can be carried, at a peak of 60 kW.
    # Starting Newton from all the energy asked (112.5 kW) would overshoot and claim a bound above the optimum
    problem = _many(60, 15.0, site_kw=60.0, intervals=8, demand_charge_per_kw=10.0)
    schedule, details = lp.plan_details(problem)
    optimum = lp.solve(_many(60, 15.0, site_kw=60.0, intervals=8, demand_charge_per_kw=10.0))
    assert details["peak_kw"] == pytest.approx(60.0, abs=2 * lp.PEAK_MARGIN_KW)
    assert details["lower_bound"] <= optimum.objective + 1e-6
    assert evaluate.score(problem, schedule).peak_kw == pytest.approx(60.0, abs=1e-6)


def test_a_need_that_is_not_whole_watt_hours_is_not_charged_as_unmet():
    # 10.0004 kWh each: the flow counts whole Wh, and the 0.4 Wh it rounds away is no critical shortfall
    problem = _many(60, 10.0004, site_kw=1000.0, intervals=4, priority="critical")
    schedule, details = lp.plan_details(problem)
    optimum = lp.solve(_many(60, 10.0004, site_kw=1000.0, intervals=4, priority="critical"))
    assert schedule.objective == pytest.approx(optimum.objective, abs=60 * 0.0005 * 0.30)  # half a Wh each at most
    assert details["lower_bound"] <= optimum.objective + 1e-6
    assert schedule.status == "optimal" and all(v == 0 for v in schedule.unmet_kwh.values())


@pytest.mark.parametrize("fast", [False, True])
def test_an_expected_arrival_never_takes_energy_from_a_vehicle_that_is_there(fast):
    # 15 kW for 4 hours (60 kWh): the low-priority van gets its 40 kWh, the placeholder the rest
    site = {"demand_charge_per_kw": 5.0}
    requests = [req("session-1", 40.0, departure=4, priority="low"),
                req("expected-9", 40.0, departure=4, priority="expected", node="site")]  # fmt: skip
    problem = site_problem(requests, site_kw=15.0, **site)
    schedule = (lp.plan if fast else lp.solve)(problem)
    assert schedule.unmet_kwh["session-1"] == pytest.approx(0.0, abs=1e-6)
    assert schedule.unmet_kwh["expected-9"] == pytest.approx(20.0, abs=1e-3)


def test_a_removed_vehicle_leaves_the_fair_shares_of_its_class_alone():
    # three low vans share 10 kWh (a third each); when one leaves, the other two share it half and half
    problem = site_problem([req(x, 10.0, departure=1, priority="low") for x in "abc"], site_kw=10.0)
    planner = lp.LpPlanner(problem)
    assert [planner.solve().power_kw[x][0] for x in "abc"] == [pytest.approx(10 / 3, abs=1e-6)] * 3
    planner.remove("c")
    schedule = planner.solve()
    assert [schedule.power_kw[x][0] for x in "ab"] == [pytest.approx(5.0, abs=1e-6)] * 2


@pytest.mark.parametrize(("vehicles", "seed"), [(80, 5), (100, 7)])
def test_on_a_tight_day_with_a_demand_charge_the_repair_keeps_the_peak_near_the_lps(vehicles, seed):
    # the vehicles short even at full speed were once planned flat out regardless of the peak (2.2x the LP's)
    problem = scenarios.depot_day(vehicles, seed=seed, tight=True, demand_charge=12.0)
    schedule = lp.plan(problem)
    optimum = lp.solve(scenarios.depot_day(vehicles, seed=seed, tight=True, demand_charge=12.0))
    ours, best = evaluate.score(problem, schedule), evaluate.score(problem, optimum)
    assert ours.limit_violations == 0
    assert weighted_unmet(problem, schedule) <= weighted_unmet(problem, optimum) * 1.001 + 1e-6
    assert ours.peak_kw <= best.peak_kw * 1.2


# --- fair shares when power is short (issue 13, item 13) -----------------------------------------------------------


def _least_share(problem, schedule) -> dict[str, float]:
    """Each class's least share of need (what the LP's fair-share rows hold up), from the schedule's power."""
    out: dict[str, float] = {}
    for r in problem.requests:
        if r.energy_kwh > 1e-9:
            got = min(delivered_by_departure(problem, schedule, r), r.energy_kwh) / r.energy_kwh
            out[r.priority] = min(out.get(r.priority, 1.0), got)
    return out


@functools.cache
def _workplace():
    problem = scenarios.workplace_day()  # 117 vehicles of one class under 60 kW: about 62 % of what they ask
    schedule, details = lp.plan_details(scenarios.workplace_day())
    return problem, schedule, details, lp.solve(scenarios.workplace_day())


def test_on_a_short_workplace_day_the_fast_plan_shares_the_shortage_as_the_lp_does():
    # the fast path once gave 10 of the 117 vehicles nothing and 20 under a quarter of their need
    problem, schedule, _details, optimum = _workplace()
    assert len(problem.requests) == 117 and problem.root().limit_at(0) == 60.0
    best = _least_share(problem, optimum)["normal"]
    assert best > 0.6  # the LP gives everyone at least 60 %
    assert _least_share(problem, schedule)["normal"] >= best - 0.01
    assert all(delivered_by_departure(problem, schedule, r) > 0 for r in problem.requests)
    assert_within_limits(problem, schedule)
    assert taper_breaches(problem, schedule) == []
    assert evaluate.score(problem, schedule).delivered_percent == pytest.approx(
        evaluate.score(problem, optimum).delivered_percent, abs=0.01
    )


def test_the_fast_plans_objective_counts_the_fair_share_term_so_it_is_never_below_the_lps():
    problem, schedule, details, optimum = _workplace()
    assert schedule.objective >= optimum.objective - 1e-6
    assert details["lower_bound"] <= optimum.objective + 1e-6
    assert details["least_share"]["normal"] == pytest.approx(_least_share(problem, schedule)["normal"], abs=1e-6)
    assert "least share" in schedule.notes[0]


def test_sixty_vans_on_a_short_site_each_get_the_same_share_after_the_critical_ones():
    # 10 critical and 50 normal vans of 10 kWh, 60 kW for 8 hours (480 kWh): the critical ones get all 100 kWh,
    # the 50 normal ones share 380 kWh, 7.6 kWh each
    requests = [req(f"c{i}", 10.0, departure=8, priority="critical") for i in range(10)]
    requests += [req(f"n{i}", 10.0, departure=8) for i in range(50)]
    problem = site_problem(requests, site_kw=60.0, intervals=8, connector_kw=22.0)
    schedule = lp.plan(problem)
    assert schedule.notes[0].startswith("min-cost flow")  # the fast path, not the full LP
    for r in requests:
        expected = 10.0 if r.priority == "critical" else 7.6
        assert delivered_by_departure(problem, schedule, r) == pytest.approx(expected, abs=2e-3), r.id
    assert_within_limits(problem, schedule)


SHORT_DAYS = [(120, 41), (120, 42), (120, 43), (150, 45)]  # seeded depot days, the site 4 % of the chargers


@functools.cache
def _short(vehicles: int, seed: int):
    problem = scenarios.depot_day(vehicles, seed=seed, short=True)
    schedule, details = lp.plan_details(scenarios.depot_day(vehicles, seed=seed, short=True))
    return problem, schedule, details, lp.solve(scenarios.depot_day(vehicles, seed=seed, short=True))


@pytest.mark.parametrize(("vehicles", "seed"), SHORT_DAYS)
def test_on_a_short_depot_day_each_class_keeps_within_a_point_of_the_lps_least_share(vehicles, seed):
    problem, schedule, details, optimum = _short(vehicles, seed)
    assert evaluate.score(problem, optimum).delivered_percent < 95.0  # short indeed
    ours, best = _least_share(problem, schedule), _least_share(problem, optimum)
    for priority, share in best.items():
        assert ours[priority] >= share - 0.01, priority
    assert_within_limits(problem, schedule)
    assert taper_breaches(problem, schedule) == []
    critical = [r for r in problem.requests if r.priority == "critical"]
    assert sum(schedule.unmet_kwh[r.id] for r in critical) <= sum(optimum.unmet_kwh[r.id] for r in critical) + 1e-3
    assert details["lower_bound"] <= optimum.objective + 1e-6
    assert schedule.objective <= optimum.objective * (1 + details["gap"]) + 1e-6


@pytest.mark.xfail(strict=True, reason="known gap: the taper split leaves the low class 1.4 points below the LP here")
def test_on_a_150_vehicle_short_day_the_low_class_keeps_within_a_point_of_the_lps_least_share():
    # the LP gives every low vehicle 5.6 %; the fast path's split of the normal vehicles' tapers leaves 4.2 %
    problem, schedule, _details, optimum = _short(150, 43)
    assert _least_share(problem, schedule)["low"] >= _least_share(problem, optimum)["low"] - 0.01


def test_on_a_short_day_with_a_demand_charge_the_shares_and_the_bound_hold_under_the_peak():
    problem = scenarios.depot_day(120, seed=42, short=True, demand_charge=0.5)  # a small charge: the peak searched
    schedule, details = lp.plan_details(scenarios.depot_day(120, seed=42, short=True, demand_charge=0.5))
    optimum = lp.solve(scenarios.depot_day(120, seed=42, short=True, demand_charge=0.5))
    ours, best = _least_share(problem, schedule), _least_share(problem, optimum)
    for priority, share in best.items():
        assert ours[priority] >= share - 0.01, priority
    assert_within_limits(problem, schedule)
    assert taper_breaches(problem, schedule) == []
    assert details["lower_bound"] <= optimum.objective + 1e-6
