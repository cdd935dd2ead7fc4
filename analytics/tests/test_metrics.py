from datetime import date

import pytest
from django.core.exceptions import ValidationError

from analytics.metrics import METRICS, Spec, compute
from analytics.periods import Period
from analytics.tests.world import EXPECTED, PERIOD, build_world

ALL = list(METRICS)


@pytest.fixture
def world(org):
    return build_world(org)


def _rows(result):
    return {row["label"]: row for row in result.rows}


def test_the_totals_equal_the_hand_computed_figures(world):
    result = compute(Spec(metrics=ALL, grouping="total", period=PERIOD, department=world.org.a))
    row = result.rows[0]
    assert {key: row[key] for key in EXPECTED["total"]} == EXPECTED["total"]
    assert result.currency == "EUR"


def test_the_figures_per_vehicle_site_and_day_equal_the_hand_computed_ones(world):
    vehicle_metrics = list(EXPECTED["vehicle"]["V1"])
    by_vehicle = _rows(compute(Spec(vehicle_metrics, "vehicle", PERIOD, world.org.a)))
    assert set(by_vehicle) == {"V1", "V2"}  # V3 is Org B's
    for label, expected in EXPECTED["vehicle"].items():
        assert {k: by_vehicle[label][k] for k in expected} == expected
    by_site = _rows(compute(Spec(list(EXPECTED["site"]["S1"]), "site", PERIOD, world.org.a)))
    assert set(by_site) == {"S1", "S2"}
    for label, expected in EXPECTED["site"].items():
        assert {k: by_site[label][k] for k in expected} == expected
    by_day = _rows(compute(Spec(["sessions", "energy_charged_kwh", "cost"], "day", PERIOD, world.org.a)))
    for label, expected in EXPECTED["day"].items():
        assert {k: by_day[label][k] for k in expected} == expected


def test_a_total_row_sums_the_groups_and_derives_ratios_from_the_sums(world):
    result = compute(Spec(["cost", "distance_km", "cost_per_km"], "vehicle", PERIOD, world.org.a))
    assert result.totals["cost"] == EXPECTED["total"]["cost"]
    assert result.totals["cost_per_km"] == EXPECTED["total"]["cost_per_km"]


def test_department_grouping_folds_each_sub_department_with_its_subtree(world):
    by_department = _rows(compute(Spec(["energy_charged_kwh", "distance_km"], "department", PERIOD, world.org.a)))
    # Org A's own vehicle V1, and Team A1's V2
    assert by_department["Org A"]["energy_charged_kwh"] == 40.0
    assert by_department["Team A1"]["energy_charged_kwh"] == 30.0
    assert by_department["Team A1"]["distance_km"] == 60.0


def test_a_team_manager_sees_only_the_team(world):
    result = compute(Spec(["energy_charged_kwh"], "vehicle", PERIOD), world.org.manager_a1)
    assert set(_rows(result)) == {"V2"}


def test_rankings_order_by_the_chosen_metric(world):
    result = compute(Spec(["energy_charged_kwh", "distance_km"], "vehicle", PERIOD, world.org.a, sort_by="distance_km"))
    assert [(r["rank"], r["label"]) for r in result.rows] == [(1, "V2"), (2, "V1")]


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (dict(metrics=["energy_charged_kwh"], grouping="colour"), "grouping", "Unknown grouping 'colour'"),
        (dict(metrics=["happiness"], grouping="vehicle"), "metrics", "Unknown metric 'happiness'"),
        (dict(metrics=["distance_km"], grouping="site"), "grouping", "cannot be grouped by site"),
        (dict(metrics=["energy_charged_kwh"], grouping="vehicle", sort_by="cost"), "sort_by", "Rank by one of"),
    ],
)
def test_it_refuses_unknown_metrics_and_groupings_naming_the_field(world, spec, field, words):
    with pytest.raises(ValidationError) as caught:
        compute(Spec(period=PERIOD, department=world.org.a, **spec))
    assert field in caught.value.message_dict
    assert words in caught.value.message_dict[field][0]


def test_a_report_for_a_department_the_user_cannot_see_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        compute(Spec(["energy_charged_kwh"], "vehicle", PERIOD, world.org.b), world.org.fleet_manager_a)
    assert "cannot see the department Org B" in caught.value.message_dict["department"][0]


def test_periods_that_end_before_they_start_or_run_too_long_are_refused(settings):
    from analytics.periods import check, resolve

    with pytest.raises(ValidationError) as caught:
        resolve("custom", date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 9))
    assert "ends (2026-01-09) before it starts" in caught.value.message_dict["end"][0]
    settings.ANALYTICS_MAX_PERIOD_DAYS = 100
    with pytest.raises(ValidationError) as caught:
        check(Period(date(2026, 1, 1), date(2026, 6, 1)))
    assert "the most is 100" in caught.value.message_dict["end"][0]


def test_relative_periods_resolve_to_whole_local_days():
    from analytics.periods import resolve

    today = date(2026, 3, 15)
    assert resolve("last_month", today) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert resolve("last_7_days", today) == Period(date(2026, 3, 8), date(2026, 3, 14))
    assert resolve("last_12_months", today) == Period(date(2025, 3, 1), date(2026, 2, 28))
    assert Period(date(2026, 2, 1), date(2026, 2, 28)).previous() == Period(date(2026, 1, 1), date(2026, 1, 31))
    assert Period(date(2026, 2, 1), date(2026, 2, 28)).year_before() == Period(date(2025, 2, 1), date(2025, 2, 28))


def test_the_rollup_gives_the_same_rows_when_run_again(world):
    from analytics.models import ChargingDay, SiteDay, VehicleDay
    from analytics.rollup import rollup_range
    from analytics.tests.world import NOW

    before = [list(m.objects.order_by("pk").values_list(flat=False)) for m in (ChargingDay, SiteDay, VehicleDay)]
    rollup_range(PERIOD.first, PERIOD.last, now=NOW)
    after = [m.objects.count() for m in (ChargingDay, SiteDay, VehicleDay)]
    assert after == [len(rows) for rows in before]
    assert compute(Spec(["energy_charged_kwh"], "total", PERIOD, world.org.a)).rows[0]["energy_charged_kwh"] == 70.0


def test_the_periodic_rollup_rebuilds_the_start_day_of_a_session_that_ended_since(world):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from analytics.rollup import rollup_recent
    from charging.models import ChargingSession
    from charging.tests.factories import SessionFactory
    from stations.tests.factories import ConnectorFactory

    now = datetime(2026, 1, 20, 12, tzinfo=UTC)
    rollup_recent(now=now - timedelta(hours=1))  # the previous run
    connector = ConnectorFactory(charge_point=world.c1.charge_point, evse_id=9)
    long_one = SessionFactory(connector=connector, vehicle=world.v1, started_at=datetime(2026, 1, 11, 20, tzinfo=UTC),
                              ended_at=None, status=ChargingSession.Status.CHARGING, energy_kwh=5.0)  # fmt: skip
    ChargingSession.objects.filter(pk=long_one.pk).update(
        status=ChargingSession.Status.COMPLETED, ended_at=now - timedelta(minutes=5), energy_kwh=30.0,
        currency="EUR", cost_total=Decimal("9.00"), updated_at=now - timedelta(minutes=5),
    )  # fmt: skip
    rollup_recent(now=now)
    result = compute(Spec(["energy_charged_kwh", "cost"], "total", PERIOD, world.org.a))
    assert (result.rows[0]["energy_charged_kwh"], result.rows[0]["cost"]) == (100.0, Decimal("32.50"))


def test_the_rollup_command_rebuilds_a_range_and_refuses_a_backwards_one(world):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("rollup_analytics", "--from", "2026-01-10", "--to", "2026-01-11", stdout=out)
    assert "Rebuilt 2026-01-10 to 2026-01-11" in out.getvalue()
    assert compute(Spec(["energy_charged_kwh"], "total", PERIOD, world.org.a)).rows[0]["energy_charged_kwh"] == 70.0
    with pytest.raises(CommandError, match="before --from"):
        call_command("rollup_analytics", "--from", "2026-01-11", "--to", "2026-01-10")
