from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.dashboard import KPI_METRICS, compare, dashboard, environment, trends
from analytics.metrics import Spec
from analytics.periods import Period
from analytics.tests.world import EXPECTED, NOW, PERIOD, build_world


@pytest.fixture
def world(org):
    return build_world(org)


def test_the_dashboard_shows_the_hand_computed_figures_of_the_users_department(world):
    data = dashboard(world.org.fleet_manager_a, PERIOD, now=NOW)
    assert data["kpis"] == {k: EXPECTED["total"][k] for k in KPI_METRICS}
    vehicles = {r["label"]: r for r in data["vehicles"]}
    assert set(vehicles) == {"V1", "V2"}
    for label, expected in EXPECTED["vehicle"].items():
        assert {k: vehicles[label][k] for k in expected} == expected
    sites = {r["label"]: r for r in data["sites"]}
    assert sites["S1"]["connector_utilization_percent"] == 2.6
    assert sites["S2"]["peak_of_grid_limit_percent"] == 40.0
    assert [d["sessions"] for d in data["daily"]] == [2, 1]
    assert data["daily"][0]["cost"] == Decimal("16.50")
    assert {p["site"]: p["peak_kw"] for p in data["site_peaks"]} == {"S1": [40.0, 0.0], "S2": [0.0, 20.0]}


def test_a_team_manager_sees_the_team_only(world):
    data = dashboard(world.org.manager_a1, PERIOD, now=NOW)
    assert data["kpis"]["energy_charged_kwh"] == 30.0
    assert [r["label"] for r in data["vehicles"]] == ["V2"]
    assert [r["label"] for r in data["sites"]] == ["S2"]


def test_vehicles_leaving_soon_without_enough_charge_are_at_risk(world):
    from charging.models import Reservation

    now = datetime(2026, 3, 2, 6, tzinfo=UTC)
    world.v1.soc_percent = 20.0
    world.v1.save()
    world.v2.soc_percent = 75.0
    world.v2.save()
    # V1: 1 h on C1 (min(150 kW, 115 kW DC) = 115 kW) of a 64 kWh battery: 20 % + 180 % -> ready
    # V2: 10 min on C3 (115 kW): 75 % + 115 * (10/60) / 64 * 100 = 75 + 29.9 -> ready; 2 min: 75 + 6 = 81 -> ready
    # V1 with 5 minutes: 20 + 115 * (5/60) / 64 * 100 = 34.97 -> at risk against 80 %
    Reservation.objects.create(vehicle=world.v1, site=world.s1, connector=world.c1, starts_at=now,
                               ends_at=now + timedelta(minutes=5), departure_at=now + timedelta(hours=2),
                               status=Reservation.Status.CONFIRMED)  # fmt: skip
    Reservation.objects.create(vehicle=world.v2, site=world.s2, connector=world.c3, starts_at=now,
                               ends_at=now + timedelta(minutes=10), departure_at=now + timedelta(hours=3),
                               status=Reservation.Status.CONFIRMED)  # fmt: skip
    risk = dashboard(world.org.fleet_manager_a, PERIOD, now=now)["at_risk"]
    assert [(r["label"], r["expected_soc_percent"], r["target_soc_percent"]) for r in risk] == [("V1", 35.0, 80.0)]


def test_the_soc_distribution_counts_vehicles_per_band(world):
    world.v1.soc_percent = 15.0
    world.v1.save()
    world.v2.soc_percent = 100.0
    world.v2.save()
    bands = {
        b["band"]: b["vehicles"] for b in dashboard(world.org.fleet_manager_a, PERIOD, now=NOW)["soc_distribution"]
    }
    assert bands["10–20 %"] == 1 and bands["90–100 %"] == 1 and sum(bands.values()) == 2


def test_period_over_period_shows_the_change(world):
    result = compare(Spec(["energy_charged_kwh"], "vehicle", Period(date(2026, 1, 11), date(2026, 1, 11)), world.org.a),
                     "previous")  # fmt: skip
    row = {r["label"]: r for r in result.rows}["V2"]
    assert (row["energy_charged_kwh"], row["energy_charged_kwh__before"]) == (20.0, 10.0)
    assert (row["energy_charged_kwh__change"], row["energy_charged_kwh__change_percent"]) == (10.0, 100.0)
    assert result.rows[0]["rank"] == 1


def test_the_environment_report_nets_offsets_from_emissions(world):
    data = environment(world.org.fleet_manager_a, PERIOD)
    assert data["totals"]["charging_emissions_kg"] == 24.4
    assert data["totals"]["offsets_kg"] == 10.0
    assert data["totals"]["net_emissions_kg"] == 14.4
    assert {r["label"]: r["ice_baseline_kg"] for r in data["by_class"]} == {"Car": 9.0, "Van": 6.8}
    assert [c["registry"] for c in data["certificates"]] == ["Gold Standard"]


def test_the_forecast_learns_a_weekly_pattern_and_reports_its_backtest_error():
    from analytics.forecast import forecast

    days = [date(2026, 1, 5) + timedelta(days=n) for n in range(140)]
    values = [100.0 + 0.5 * n + (40.0 if d.weekday() < 5 else 0.0) for n, d in enumerate(days)]
    result = forecast(days, values)
    assert len(result.days) == 28 and result.days[0] == days[-1] + timedelta(days=1)
    expected = [100.0 + 0.5 * (140 + n) + (40.0 if d.weekday() < 5 else 0.0) for n, d in enumerate(result.days)]
    assert max(abs(a - b) for a, b in zip(result.mean, expected, strict=True)) < 1e-6
    assert result.backtest_mape is not None and result.backtest_mape < 1e-6
    assert all(lo <= m <= hi for lo, m, hi in zip(result.lower, result.mean, result.upper, strict=True))


def test_trends_need_two_weeks_of_history(world):
    data = trends(world.org.fleet_manager_a, None, PERIOD.last)
    assert data["energy"] is None and "at least 14 days" in data["message"]
    assert data["history"]["energy_kwh"] == [50.0, 20.0]


def test_a_vehicle_whose_next_trip_it_cannot_make_is_at_risk_with_the_reason(world):
    from charging.services.readiness import REASONS
    from operations import services as operations

    now = datetime(2026, 3, 2, 6, tzinfo=UTC)
    world.v1.soc_percent = 12.0
    world.v1.save()
    world.v2.soc_percent = 95.0
    world.v2.save()
    for vehicle, site in ((world.v1, world.s1), (world.v2, world.s2)):
        operations.trip_create(actor=None, now=now, vehicle=vehicle, depot=site, departs_at=now + timedelta(hours=3),
                               returns_at=now + timedelta(hours=9), distance_km=150)  # fmt: skip
    risk = dashboard(world.org.fleet_manager_a, PERIOD, now=now)["at_risk"]
    assert [r["label"] for r in risk] == ["V1"]  # V2 holds enough for its trip
    assert risk[0]["target_soc_percent"] > 12.0
    assert risk[0]["reason"].startswith(tuple(REASONS.values()))  # charging's readiness says why
