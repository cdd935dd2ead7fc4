"""Bad input to the plain models (issue 16, "Bad input"): mismatched shapes, words for numbers, arrays where one
number is meant, and inputs whose result would not be finite are each a ValueError naming the field, never numpy's
own error nor an infinite result."""

from decimal import Decimal

import numpy as np
import pytest

from simulation import climate, energy, traffic
from simulation.battery import aging, health, temperature
from simulation.battery.chemistry import BatteryInputError
from simulation.vehicles import catalogue_params

PARAMS = catalogue_params()[0]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"distance_km": [1.0, 2.0, 3.0], "speed_kmh": [50.0, 60.0]}, "speed_kmh"),
        ({"distance_km": [1.0, 2.0], "ambient_c": [1.0, 2.0, 3.0]}, "ambient_c"),
        ({"distance_km": [1.0, 2.0], "surface": ["dry", "wet", "snow"]}, "surface"),
        ({"speed_kmh": "fast"}, "speed_kmh"),
        ({"headwind_ms": [1, "x"]}, "headwind_ms"),
    ],
)
def test_the_energy_model_names_the_input_of_a_wrong_shape_or_not_a_number(arguments, field):
    values = {"distance_km": 1.0, "speed_kmh": 50.0, "ambient_c": 10.0, **arguments}
    with pytest.raises(energy.EnergyInputError) as caught:
        energy.segment_energy(PARAMS, **values)
    assert caught.value.field == field and field in str(caught.value)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: climate.temperature_c(climate.PLACES[0], [1, 2, 3], [1, 2]), "hour_local"),
        (lambda: climate.temperature_c(climate.PLACES[0], "jan", 1), "month"),
        (lambda: climate.wet_day_probability(climate.PLACES[0], [1, 2]), "month"),
        (lambda: climate.snow_day_probability(climate.PLACES[0], 1.5), "month"),
        (lambda: traffic.congestion_level("urban", [1, 2, 3], [0, 1]), "weekday"),
        (lambda: traffic.congestion_level("urban", "noon", 0), "hour_local"),
    ],
)
def test_climate_and_traffic_name_the_input_of_a_wrong_shape_or_not_a_number(call, field):
    with pytest.raises(ValueError, match=field):
        call()


def test_the_normals_take_coordinates_as_decimals_too():
    assert climate.normals_for(Decimal("52.5"), Decimal("13.4")).place == "Berlin"
    assert climate.normals_for(np.float32(52.5), np.float32(13.4)).place == "Berlin"
    with pytest.raises(climate.ClimateInputError, match="latitude"):
        climate.normals_for(True, 13.4)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: aging.age_increment(
                aging.AgingState.new(2), chemistry="nmc", soc_percent=np.full((2, 5), 50.0), temperature_c=25.0,
                capacity_ah=[1.0, 2.0, 3.0],
            ),
            "capacity_ah",
        ),
        (lambda: aging.age(np.full((1, 5), 50.0), "hot", chemistry="lfp"), "temperature_c"),
        (lambda: aging.age(np.full((1, 5), 50.0), 25.0, chemistry="lfp", window_hours=0), "window_hours"),
        (lambda: aging.age(np.full((1, 5), 50.0), 25.0, chemistry="lfp", window_hours=-5), "window_hours"),
        (lambda: temperature.dc_power_factor(25.0, 90.0, resistance_percent="x"), "resistance_percent"),
        (
            lambda: health.capacity_observation(
                energy_kwh=1e308, soc_start_percent=10, soc_end_percent=90, usable_kwh_new=60
            ),
            "energy_kwh",
        ),
        (
            lambda: health.capacity_observation(
                energy_kwh=40, soc_start_percent=[10, 20], soc_end_percent=90, usable_kwh_new=60
            ),
            "soc_start_percent",
        ),
    ],
)  # fmt: skip
def test_the_battery_models_name_the_input_of_a_wrong_shape_or_without_a_finite_result(call, field):
    with pytest.raises(BatteryInputError) as caught:
        call()
    assert caught.value.field == field
