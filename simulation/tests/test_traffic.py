"""Typical speed profiles by road class, hour and weekday, and profiles from live readings (plain Python)."""

import numpy as np
import pytest

from simulation import traffic
from simulation.traffic import Regime, RoadClass, TrafficInputError

MONDAY, SATURDAY, SUNDAY = 0, 5, 6


@pytest.mark.parametrize("road_class", list(RoadClass))
def test_at_night_every_road_flows_freely_near_its_free_flow_speed(road_class):
    profile = traffic.typical_profile(road_class, 3, MONDAY)
    assert profile.regime == Regime.FREE_FLOW
    assert profile.speed_kmh == pytest.approx(traffic.FREE_FLOW_KMH[road_class], rel=0.05)


def test_urban_rush_hours_are_stop_and_go_and_slower_than_midday():
    morning = traffic.typical_profile(RoadClass.URBAN, 8, MONDAY)
    evening = traffic.typical_profile(RoadClass.URBAN, 17, MONDAY)
    midday = traffic.typical_profile(RoadClass.URBAN, 12, MONDAY)
    assert morning.regime == evening.regime == Regime.STOP_AND_GO
    assert evening.speed_kmh < midday.speed_kmh < traffic.FREE_FLOW_KMH[RoadClass.URBAN]
    assert evening.stops_per_km > midday.stops_per_km


def test_motorways_are_congested_at_peaks_but_not_stop_and_go():
    assert traffic.typical_profile(RoadClass.MOTORWAY, 17, MONDAY).regime == Regime.CONGESTED


def test_weekends_have_no_morning_peak():
    weekday = traffic.typical_speed_kmh(RoadClass.URBAN, 8, MONDAY)
    assert traffic.typical_speed_kmh(RoadClass.URBAN, 8, SATURDAY) > weekday
    assert traffic.typical_speed_kmh(RoadClass.URBAN, 8, SUNDAY) > weekday


def test_speeds_are_vectorized_and_continuous_over_fractional_hours_and_midnight():
    hours = np.arange(0, 24, 0.5)[None, :]
    days = np.arange(7)[:, None]
    speeds = traffic.typical_speed_kmh(RoadClass.PRIMARY, hours, days)
    assert speeds.shape == (7, 48)
    assert np.isfinite(speeds).all() and (speeds > 0).all()
    # Sunday 23:30 lies between Sunday 23:00 and Monday 00:00
    late = float(traffic.typical_speed_kmh(RoadClass.URBAN, 23.5, SUNDAY))
    ends = sorted([float(traffic.typical_speed_kmh(RoadClass.URBAN, 23, SUNDAY)),
                   float(traffic.typical_speed_kmh(RoadClass.URBAN, 0, MONDAY))])  # fmt: skip
    assert ends[0] <= late <= ends[1]


@pytest.mark.parametrize(
    ("current", "free", "regime"),
    [(50, 50, Regime.FREE_FLOW), (60, 50, Regime.FREE_FLOW), (35, 50, Regime.CONGESTED), (20, 50, Regime.STOP_AND_GO),
     (0, 50, Regime.STOP_AND_GO)],
)  # fmt: skip
def test_a_live_reading_gives_its_regime_by_the_ratio_to_free_flow(current, free, regime):
    profile = traffic.profile_from_speed(RoadClass.URBAN, current, free)
    assert profile.regime == regime
    assert profile.speed_kmh == current
    assert profile.stops_per_km == traffic.STOPS_PER_KM[RoadClass.URBAN][regime]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: traffic.typical_profile("lane", 3, 0), "road_class"),
        (lambda: traffic.typical_profile(RoadClass.URBAN, 24, 0), "hour_local"),
        (lambda: traffic.typical_profile(RoadClass.URBAN, 3, 7), "weekday"),
        (lambda: traffic.typical_speed_kmh(RoadClass.URBAN, 3, 1.5), "weekday"),
        (lambda: traffic.profile_from_speed(RoadClass.URBAN, -5, 50), "current_kmh"),
        (lambda: traffic.profile_from_speed(RoadClass.URBAN, 5, 0), "free_flow_kmh"),
        (lambda: traffic.profile_from_speed(RoadClass.URBAN, float("nan"), 50), "current_kmh"),
    ],
)
def test_bad_input_is_an_error_naming_the_field(call, field):
    with pytest.raises(TrafficInputError, match=field):
        call()
