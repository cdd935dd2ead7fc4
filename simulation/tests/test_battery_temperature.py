"""simulation/battery/temperature.py: cold capacity, Arrhenius resistance and the DC power share, without a database."""

import math

import numpy as np
import pytest

from simulation.battery.chemistry import BatteryInputError, Chemistry
from simulation.battery.temperature import (
    dc_power_factor,
    dc_power_share,
    resistance_factor,
    usable_capacity_factor,
)

CHEMISTRIES = list(Chemistry)


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_usable_capacity_is_whole_at_25_degrees_and_falls_steadily_in_the_cold(chemistry):
    temperatures = np.arange(-40.0, 25.5, 1.0)
    factors = usable_capacity_factor(temperatures, chemistry)
    assert usable_capacity_factor(25.0, chemistry) == 1.0
    assert usable_capacity_factor(40.0, chemistry) == 1.0  # no gain above 25 °C is counted
    assert np.all(np.diff(factors) >= 0) and np.all(np.diff(factors[:-15]) > 0)
    assert np.all((factors > 0) & (factors <= 1))


def test_lfp_loses_more_capacity_in_the_cold_than_nmc_as_the_cell_data_show():
    # LFP power cell at 0.3C: 55 % at -20 °C; NMC keeps more
    assert usable_capacity_factor(-20.0, Chemistry.LFP) == pytest.approx(0.55)
    assert usable_capacity_factor(-10.0, Chemistry.LFP) == pytest.approx(0.68)
    for t in (-20.0, -10.0, 0.0):
        assert usable_capacity_factor(t, Chemistry.NMC) > usable_capacity_factor(t, Chemistry.LFP)


def test_resistance_follows_arrhenius_with_48_kj_per_mol():
    assert resistance_factor(25.0, "nmc") == pytest.approx(1.0)
    expected = math.exp(48_000 / 8.314462618 * (1 / 273.15 - 1 / 298.15))
    assert resistance_factor(0.0, "nmc") == pytest.approx(expected)
    assert resistance_factor([-20.0, 0.0, 25.0, 45.0], "lfp").tolist() == sorted(
        resistance_factor([-20.0, 0.0, 25.0, 45.0], "lfp").tolist(), reverse=True
    )


def test_the_cold_dc_share_reproduces_yang_et_al_plating_free_rates():
    # Yang et al. 2018: 4C at 25 °C, 1.5C at 10 °C, C/1.5 at 0 °C; the vehicle's peak is plating-safe from 20 °C
    headroom = float(resistance_factor(20.0, "nmc"))
    assert dc_power_factor(10.0, 100.0)[0] == pytest.approx(1.5 / 4 * headroom, rel=0.05)
    assert dc_power_factor(0.0, 100.0)[0] == pytest.approx((1 / 1.5) / 4 * headroom, rel=0.05)


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_the_dc_share_is_continuous_full_from_20_to_35_degrees_and_monotone_below(chemistry):
    temperatures = np.arange(-40.0, 20.01, 0.25)
    shares = dc_power_share(temperatures, 100.0, chemistry)
    assert np.all(np.diff(shares) > 0)
    assert np.max(np.abs(np.diff(shares))) < 0.03  # no step anywhere on a quarter-degree grid
    assert np.all(dc_power_share(np.arange(20.0, 35.01, 0.5), 100.0, chemistry) == 1.0)
    hot = dc_power_share(np.arange(50.0, 60.01, 0.5), 100.0, chemistry)
    assert np.all(np.diff(hot) < 0) and hot[-1] == 0.0


def test_a_worse_state_of_health_lowers_the_dc_share_at_every_temperature():
    temperatures = np.array([-20.0, -10.0, 0.0, 10.0, 25.0, 45.0, 55.0])
    new, at_80, at_70 = (dc_power_share(temperatures, soh) for soh in (100.0, 80.0, 70.0))
    assert np.all(at_80 <= new) and np.all(at_70 <= at_80)
    assert np.all(at_70 < new)
    assert new[4] == 1.0 and at_80[4] < 1.0


def test_a_measured_resistance_replaces_the_assumed_rise_with_age():
    assumed = dc_power_factor(25.0, 80.0)[0]
    assert dc_power_factor(25.0, 80.0, resistance_percent=200.0)[0] < assumed
    assert dc_power_factor(25.0, 80.0, resistance_percent=100.0)[0] > assumed


def test_the_reasons_say_which_limit_binds_in_words():
    share, reasons = dc_power_factor(-5.0, 100.0)
    assert reasons == [f"battery at -5 °C: {share * 100:.0f} % of DC power (lithium-plating limit; resistance ×8.7 of "
                       "25 °C)"]  # fmt: skip
    share, reasons = dc_power_factor(50.0, 100.0)
    assert reasons == [f"battery at 50 °C: {share * 100:.0f} % of DC power (heat limit above 45 °C)"]
    share, reasons = dc_power_factor(5.0, 75.0)
    assert [r.split(":")[0] for r in reasons] == ["battery at 5 °C", "state of health 75 %"]
    assert dc_power_factor(25.0, 100.0) == (1.0, [])


def test_an_unknown_temperature_gives_full_power_to_a_new_battery_without_a_reason():
    assert dc_power_factor(None, 100.0) == (1.0, [])
    share, reasons = dc_power_factor(None, 60.0)
    assert share < 1.0 and len(reasons) == 1 and reasons[0].startswith("state of health 60 %")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: usable_capacity_factor(-41.0, "nmc"), "temperature_c"),
        (lambda: resistance_factor([20.0, 61.0], "nmc"), "temperature_c"),
        (lambda: resistance_factor(float("nan"), "nmc"), "temperature_c"),
        (lambda: dc_power_factor(70.0, 100.0), "temperature_c"),
        (lambda: dc_power_factor(20.0, 101.0), "soh_percent"),
        (lambda: dc_power_factor(20.0, -1.0), "soh_percent"),
        (lambda: dc_power_factor(20.0, 90.0, "nca"), "chemistry"),
        (lambda: dc_power_factor(20.0, 90.0, resistance_percent=-5.0), "resistance_percent"),
    ],
)
def test_bad_input_raises_an_error_naming_the_field_and_range(call, field):
    with pytest.raises(BatteryInputError) as raised:
        call()
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")
    assert isinstance(raised.value, ValueError)


def test_the_dc_share_is_never_nan_nor_outside_0_to_1_over_the_whole_range():
    t, soh = np.meshgrid(np.arange(-40.0, 60.01, 0.5), np.arange(0.0, 100.01, 2.5))
    shares = dc_power_share(t, soh, "lfp")
    assert np.all(np.isfinite(shares)) and np.all((shares >= 0) & (shares <= 1))
