"""The climate normals table and the hourly temperature made from it (plain Python, no database)."""

import numpy as np
import pytest

from simulation import climate
from simulation.climate import ClimateInputError, MonthlyNormals

REQUIRED = {
    "Berlin", "Hamburg", "Munich", "Oslo", "Stockholm", "London", "Paris", "Madrid", "Rome", "Amsterdam",
    "Warsaw", "New York", "Chicago", "Los Angeles", "Phoenix", "Toronto",
}  # fmt: skip


def test_the_table_covers_the_fleet_regions_and_every_place_names_its_source():
    names = {p.place for p in climate.PLACES}
    assert names >= REQUIRED
    for place in climate.PLACES:
        assert "1991–2020" in place.source
        assert "approximate" in place.source  # not re-checked against the published table: said so
        assert all(len(v) == 12 for v in (place.mean_c, place.daily_range_c, place.wet_days, place.snow_days))


def test_each_place_has_a_plausible_year():
    for place in climate.PLACES:
        warmest, coldest = max(place.mean_c), min(place.mean_c)
        assert -10 < coldest < warmest < 40, place.place
        assert all(0 < r < 20 for r in place.daily_range_c), place.place
        assert all(0 <= d <= 31 for d in (*place.wet_days, *place.snow_days)), place.place
    # northern hemisphere: July warmer than January everywhere in the table
    assert all(p.mean_c[6] > p.mean_c[0] for p in climate.PLACES)


@pytest.mark.parametrize(
    ("lat", "lon", "place"),
    [
        (52.58, 13.33, "Berlin"),  # the demo's Berlin depots
        (40.68, -73.95, "New York"),  # Brooklyn Yard
        (48.2, 11.6, "Munich"),
        (59.9, 10.7, "Oslo"),
        (33.5, -112.1, "Phoenix"),
        (43.7, -79.4, "Toronto"),
    ],
)
def test_a_site_takes_the_normals_of_the_nearest_place(lat, lon, place):
    assert climate.normals_for(lat, lon).place == place


def test_the_nearest_place_is_found_across_the_date_line_by_great_circle_distance():
    assert climate.great_circle_km(0, 179.9, 0, -179.9) == pytest.approx(22.2, abs=0.1)
    assert climate.great_circle_km(52.52, 13.405, 48.857, 2.352) == pytest.approx(878, abs=5)  # Berlin-Paris


def test_the_daily_cycle_has_its_minimum_near_five_and_its_maximum_near_fifteen():
    berlin = climate.normals_for(52.5, 13.4)
    hours = np.arange(0, 24, 0.25)
    temps = climate.temperature_c(berlin, 7, hours)
    assert hours[np.argmin(temps)] == 5.0
    assert hours[np.argmax(temps)] == 15.0
    assert temps.max() - temps.min() == pytest.approx(berlin.daily_range_c[6])
    assert temps.mean() == pytest.approx(berlin.mean_c[6], abs=0.6)


def test_mid_month_is_the_months_mean_and_month_ends_lie_between_neighbours():
    berlin = climate.normals_for(52.5, 13.4)
    # the cycle is 0 where the cosine crosses: 10:00 on the rising half
    assert float(climate.temperature_c(berlin, 1, 10.0, 15)) == pytest.approx(berlin.mean_c[0])
    end_of_january = float(climate.temperature_c(berlin, 1, 10.0, 31))
    assert berlin.mean_c[0] < end_of_january < berlin.mean_c[1]
    start_of_january = float(climate.temperature_c(berlin, 1, 10.0, 1))
    assert berlin.mean_c[0] < start_of_january < berlin.mean_c[11]  # December is warmer than January in Berlin


def test_it_is_vectorized_over_months_hours_and_days():
    berlin = climate.normals_for(52.5, 13.4)
    months = np.arange(1, 13)[:, None]
    hours = np.arange(24)[None, :]
    temps = climate.temperature_c(berlin, months, hours)
    assert temps.shape == (12, 24)
    assert np.isfinite(temps).all()
    assert float(temps[6, 15]) == pytest.approx(float(climate.temperature_c(berlin, 7, 15)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"month": 13, "hour_local": 3}, "month"),
        ({"month": 0, "hour_local": 3}, "month"),
        ({"month": 1.5, "hour_local": 3}, "month"),
        ({"month": 1, "hour_local": 24}, "hour_local"),
        ({"month": 1, "hour_local": -1}, "hour_local"),
        ({"month": 1, "hour_local": float("nan")}, "hour_local"),
        ({"month": 1, "hour_local": 3, "day_of_month": 32}, "day_of_month"),
    ],
)
def test_out_of_range_input_is_an_error_naming_the_field(kwargs, field):
    berlin = climate.normals_for(52.5, 13.4)
    with pytest.raises(ClimateInputError, match=field):
        climate.temperature_c(berlin, **kwargs)


@pytest.mark.parametrize(("lat", "lon", "field"), [(91, 0, "latitude"), (0, 181, "longitude"), ("x", 0, "latitude")])
def test_coordinates_outside_the_globe_are_refused(lat, lon, field):
    with pytest.raises(ClimateInputError, match=field):
        climate.normals_for(lat, lon)


def test_a_table_row_without_twelve_months_is_refused():
    with pytest.raises(ClimateInputError, match="mean_c"):
        MonthlyNormals("Nowhere", (1.0,) * 11, (5.0,) * 12, (1,) * 12, (0,) * 12, "test")


def test_wet_and_snow_day_probabilities_come_from_the_day_counts():
    oslo = climate.normals_for(59.9, 10.7)
    assert climate.wet_day_probability(oslo, 1) == pytest.approx(oslo.wet_days[0] / 31)
    assert climate.snow_day_probability(oslo, 7) == 0.0
