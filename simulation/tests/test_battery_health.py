"""simulation/battery/health.py: capacity from sessions, the Kalman filter, the prediction band, without a database."""

import numpy as np
import pytest

from simulation.battery.chemistry import BatteryInputError
from simulation.battery.health import (
    AC_EFFICIENCY,
    DC_EFFICIENCY,
    CapacityObservation,
    HealthEstimate,
    capacity_observation,
    date_reaching,
    filter_step,
    predict_band,
)


def test_a_wide_session_gives_the_capacity_corrected_for_charging_losses():
    # 60 kWh battery at 90 %: 54 kWh; 20 → 80 % stores 32.4 kWh, the AC meter counts 32.4 / 0.89
    observation = capacity_observation(energy_kwh=32.4 / AC_EFFICIENCY, soc_start_percent=20.0,
                                       soc_end_percent=80.0, usable_kwh_new=60.0)  # fmt: skip
    assert isinstance(observation, CapacityObservation)
    assert observation.soh_percent == pytest.approx(90.0)
    assert observation.capacity_kwh == pytest.approx(54.0)
    assert observation.window_percent == 60.0
    dc = capacity_observation(energy_kwh=32.4 / DC_EFFICIENCY, soc_start_percent=20.0, soc_end_percent=80.0,
                              usable_kwh_new=60.0, ac=False)  # fmt: skip
    assert dc.soh_percent == pytest.approx(90.0)
    given = capacity_observation(energy_kwh=36.0, soc_start_percent=20.0, soc_end_percent=80.0,
                                 usable_kwh_new=60.0, charging_efficiency=0.9)  # fmt: skip
    assert given.soh_percent == pytest.approx(90.0)


def test_a_window_under_40_percent_gives_no_observation():
    assert capacity_observation(energy_kwh=20.0, soc_start_percent=50.0, soc_end_percent=89.0,
                                usable_kwh_new=60.0) is None  # fmt: skip
    assert capacity_observation(energy_kwh=0.0, soc_start_percent=80.0, soc_end_percent=20.0,
                                usable_kwh_new=60.0) is None  # fmt: skip


def test_a_narrower_window_is_a_less_certain_observation():
    def variance(window):
        energy = window / 100 * 54.0 / AC_EFFICIENCY
        return capacity_observation(energy_kwh=energy, soc_start_percent=10.0, soc_end_percent=10.0 + window,
                                    usable_kwh_new=60.0).variance  # fmt: skip

    assert variance(40.0) > variance(60.0) > variance(90.0) > 0
    assert 1.0 < variance(40.0) < 25.0  # a few points of SoH, not a fraction nor tens


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"energy_kwh": -1.0}, "energy_kwh"),
        ({"soc_start_percent": -5.0}, "soc_start_percent"),
        ({"soc_end_percent": 101.0}, "soc_end_percent"),
        ({"usable_kwh_new": 0.0}, "usable_kwh_new"),
        ({"charging_efficiency": 1.2}, "charging_efficiency"),
        ({"energy_kwh": float("nan")}, "energy_kwh"),
    ],
)
def test_a_bad_session_raises_an_error_naming_the_field(kwargs, field):
    arguments = {"energy_kwh": 30.0, "soc_start_percent": 20.0, "soc_end_percent": 80.0, "usable_kwh_new": 60.0}
    with pytest.raises(BatteryInputError) as raised:
        capacity_observation(**{**arguments, **kwargs})
    assert raised.value.field == field


def _noisy_sessions(true_soh, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        start = float(rng.integers(5, 40))
        end = float(rng.integers(int(start) + 40, 101))
        stored = (end - start) / 100 * 60.0 * true_soh / 100
        metered = stored / AC_EFFICIENCY * (1 + rng.normal(0, 0.02))  # 2 % noise: losses vary, SoC is rounded
        out.append(capacity_observation(energy_kwh=metered, soc_start_percent=start, soc_end_percent=end,
                                        usable_kwh_new=60.0))  # fmt: skip
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_filter_converges_on_the_observed_soh_when_the_model_is_wrong(seed):
    # the model predicts no fade, the sessions show 88 %: after 60 sessions the estimate sits near 88 %
    estimate = HealthEstimate(soh_percent=100.0, variance=1.0)
    for observation in _noisy_sessions(88.0, 60, seed):
        estimate = filter_step(estimate, model_fade_percent=0.0, process_variance=0.05, observation=observation)
    assert estimate.soh_percent == pytest.approx(88.0, abs=1.0)
    assert estimate.variance < 1.0


def test_without_observations_the_filter_follows_the_model_and_grows_less_certain():
    estimate = HealthEstimate(soh_percent=95.0, variance=0.5)
    variances = []
    for _ in range(100):
        estimate = filter_step(estimate, model_fade_percent=0.01, process_variance=0.02)
        variances.append(estimate.variance)
    assert estimate.soh_percent == pytest.approx(94.0)
    assert estimate.variance == pytest.approx(0.5 + 100 * 0.02)
    assert all(a < b for a, b in zip(variances, variances[1:], strict=False))


def test_an_observation_weighs_by_its_variance_against_the_prediction():
    prior = HealthEstimate(soh_percent=90.0, variance=1.0)
    sure = filter_step(prior, model_fade_percent=0.0, process_variance=0.0,
                       observation=HealthEstimate(soh_percent=80.0, variance=1.0))  # fmt: skip
    assert sure.soh_percent == pytest.approx(85.0) and sure.variance == pytest.approx(0.5)
    vague = filter_step(prior, model_fade_percent=0.0, process_variance=0.0,
                        observation=HealthEstimate(soh_percent=80.0, variance=99.0))  # fmt: skip
    assert vague.soh_percent == pytest.approx(89.9)


def test_the_filter_never_goes_above_the_start_nor_below_zero():
    high = filter_step(HealthEstimate(99.0, 4.0), model_fade_percent=0.0, process_variance=0.0,
                       observation=HealthEstimate(soh_percent=112.0, variance=1.0))  # fmt: skip
    assert high.soh_percent == 100.0
    used = filter_step(HealthEstimate(90.0, 4.0), model_fade_percent=0.0, process_variance=0.0,
                       observation=HealthEstimate(soh_percent=97.0, variance=0.1), start_percent=92.0)  # fmt: skip
    assert used.soh_percent == 92.0
    low = filter_step(HealthEstimate(1.0, 1.0), model_fade_percent=5.0, process_variance=0.0)
    assert low.soh_percent == 0.0 and np.isfinite(low.variance)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model_fade_percent": -0.1}, "model_fade_percent"),
        ({"process_variance": float("inf")}, "process_variance"),
        ({"prior": HealthEstimate(101.0, 1.0)}, "prior.soh_percent"),
        ({"prior": HealthEstimate(90.0, -1.0)}, "prior.variance"),
    ],
)
def test_a_bad_filter_step_raises_an_error_naming_the_field(kwargs, field):
    arguments = {"prior": HealthEstimate(90.0, 1.0), "model_fade_percent": 0.01, "process_variance": 0.01}
    with pytest.raises(BatteryInputError) as raised:
        filter_step(**{**arguments, **kwargs})
    assert raised.value.field == field


def _band(**overrides):
    days = np.arange(0.0, 3651.0, 30.0)
    arguments = {"soh_percent": 92.0, "variance": 1.0, "model_path_percent": 97.0 - 2.0 * days / 365.0,
                 "days": days, "process_variance_per_day": 0.002}  # fmt: skip
    return days, predict_band(**{**arguments, **overrides})


def test_the_band_follows_the_models_fade_from_the_estimate_and_widens_with_time():
    days, (mean, low, high) = _band()
    assert mean[0] == pytest.approx(92.0)
    assert mean[-1] == pytest.approx(92.0 - 2.0 * days[-1] / 365.0)  # the model's fade, shifted to the estimate
    width = high - low
    assert np.all(np.diff(width) >= -1e-9) and width[-1] > 2 * width[0]
    assert np.all(low <= mean) and np.all(mean <= high)
    assert np.all(np.diff(high) <= 1e-12) and np.all(np.diff(mean) <= 0)  # SoH never recovers
    assert low[0] == pytest.approx(92.0 - 1.959964, abs=1e-4)


def test_the_band_stays_within_zero_and_the_start():
    _, (mean, low, high) = _band(soh_percent=99.5, variance=9.0, model_path_percent=np.linspace(97.0, 0.0, 122))
    for curve in (mean, low, high):
        assert np.all(np.isfinite(curve)) and np.all((curve >= 0) & (curve <= 100.0))


def test_date_reaching_interpolates_the_crossing_of_low_mean_and_high():
    days = np.array([0.0, 100.0, 200.0, 300.0])
    mean = np.array([90.0, 85.0, 80.0, 75.0])
    low = np.array([88.0, 82.0, 76.0, 70.0])
    high = np.array([92.0, 88.0, 84.0, 81.0])
    assert date_reaching(80.0, days, mean, low, high) == (pytest.approx(100 + 100 * 2 / 6), 200.0, None)
    assert date_reaching(95.0, days, mean, low, high) == (0.0, 0.0, 0.0)
    assert date_reaching(60.0, days, mean, low, high) == (None, None, None)


def test_date_reaching_on_a_predicted_band_orders_earliest_expected_latest():
    days, (mean, low, high) = _band()
    earliest, expected, latest = date_reaching(80.0, days, mean, low, high)
    # 92 % now, 2 points a year: 80 % after six years
    assert expected == pytest.approx(6 * 365.0, abs=1.0)
    assert earliest < expected < latest


def test_predict_band_refuses_paths_it_cannot_read():
    with pytest.raises(BatteryInputError) as raised:
        _band(model_path_percent=np.array([97.0, 96.0]))
    assert raised.value.field == "model_path_percent"
    with pytest.raises(BatteryInputError) as raised:
        _band(days=np.arange(10.0, 3661.0, 30.0))
    assert raised.value.field == "model_now_percent"


def test_an_observation_far_beyond_the_estimate_in_points_and_standard_deviations_is_an_outlier():
    from simulation.battery.health import HealthEstimate, is_outlier

    estimate = HealthEstimate(soh_percent=95.0, variance=1.0)
    entered_as_new = HealthEstimate(soh_percent=75.0, variance=3.0)  # 20 points, 10 σ: learnt, not refused
    wrong_meter = HealthEstimate(soh_percent=45.0, variance=3.0)  # 50 points: set aside
    assert not is_outlier(estimate, entered_as_new)
    assert is_outlier(estimate, wrong_meter)
    assert not is_outlier(estimate, wrong_meter, min_points=60.0)
    assert not is_outlier(HealthEstimate(soh_percent=95.0, variance=100.0), wrong_meter)  # 50 points is 4.9 σ
