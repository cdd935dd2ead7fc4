"""State of health per vehicle: capacity observed in charging sessions, a scalar Kalman filter weighing the aging
model's predicted fade against those observations, and the prediction of SoH at future dates with a 95 % band.

Plain Python and numpy (no Django). States of health are in % of the usable capacity when new.

Capacity observations (`capacity_observation`)
    capacity = energy metered × charging efficiency ÷ (ΔSoC / 100); SoH = capacity ÷ usable capacity new × 100.
    Efficiency from the grid meter to the cells, when the session does not say: AC 0.89 (on-board charger;
    field measurements of Level 2 charging average 89–90 %, and a 2021 Tesla Model Y's EPA certification shows
    77.7 kWh stored of 87.9 kWh drawn, 88 %), DC 0.94 (an assumption: the off-board charger's conversion
    losses fall before its DC meter; cable, contactors, cell resistance and the pack's thermal management remain,
    about 5–7 %). Sources: Car and Driver, "EVs Explained: Charging
    Losses" (https://news.yahoo.com/evs-explained-charging-losses-160100480.html); Reick et al. 2021, "Influence
    of Charging Losses on Energy Consumption and CO2 Emissions of Battery-Electric Vehicles", Vehicles 3(4),
    736–748; Schram et al. 2020, "Empirical Evaluation of V2G Round-trip Efficiency" (87 % round trip AC).
    Only windows of at least 40 % ΔSoC count. The variance is the sum of relative error terms, times SoH²:
    - the two SoC readings: the BMS's SoC estimate (σ 1 % each, an assumption) and the display's 1 % steps
      (quantization, uniform: σ² = 1/12 each), so var(ΔSoC) = 2·(1 + 1/12) %², relative var(ΔSoC)/ΔSoC²: a
      40 % window is four times as uncertain in variance as an 80 % window;
    - the efficiency: uniform over its ±0.01 range, σ = 0.02/√12;
    - the meter: 0.5 % (half the ±1 % of an accuracy-class meter).

The filter (`filter_step`)
    A scalar Kalman filter on SoH. Predict: x⁻ = x − model fade over the step, P⁻ = P + Q (the process variance:
    how far the real fade may stray from the model's in that step). Correct, when an observation z with variance R
    arrives: K = P⁻ / (P⁻ + R), x = x⁻ + K·(z − x⁻), P = (1 − K)·P⁻. Without observations the estimate follows the
    model and its variance grows; with them it converges on what the sessions show. The estimate is clipped to
    [0, start] (never above the starting SoH, never negative); the variance stays positive and finite.

Prediction (`predict_band`, `date_reaching`)
    mean(t) = SoH now + (model path(t) − model now): the model's future fade under the vehicle's own usage, shifted
    to the filtered estimate; variance(t) = P + q·t (a random walk of the model's error, q per day); the 95 % band
    is mean ± 1.96·√variance, clipped to [0, start] and never rising with time (SoH does not recover).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.battery.chemistry import BatteryInputError
from simulation.battery.temperature import check_percent

MIN_WINDOW_PERCENT = 40.0
AC_EFFICIENCY = 0.89  # grid meter to cells, AC (0.88–0.90)
DC_EFFICIENCY = 0.94  # DC meter to cells (0.93–0.95)
EFFICIENCY_SIGMA = 0.02 / math.sqrt(12.0)  # uniform over the ±0.01 range
SOC_ESTIMATE_SIGMA_PERCENT = 1.0  # the BMS's SoC estimate, per reading (assumption)
SOC_QUANTUM_PERCENT = 1.0  # SoC reported in whole percent
METER_SIGMA = 0.005  # relative, half an accuracy-class meter's ±1 %
Z95 = 1.959963984540054
MIN_VARIANCE = 1e-9


@dataclass(frozen=True)
class HealthEstimate:
    """A vehicle's state of health: the filter's estimate (% of new) and its variance (%²)."""

    soh_percent: float
    variance: float


@dataclass(frozen=True)
class CapacityObservation:
    """One charging session's capacity estimate: SoH (% of new), its variance (%²), the SoC window it spans."""

    soh_percent: float
    variance: float
    window_percent: float
    capacity_kwh: float
    charging_efficiency: float


def _finite(value, field: str, *, minimum: float | None = None, positive: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BatteryInputError(field, f"must be a number (got {value!r})") from None
    if not math.isfinite(v) or (positive and v <= 0) or (minimum is not None and v < minimum):
        need = "a positive number" if positive else f"a number of at least {minimum:g}" if minimum is not None else ""
        raise BatteryInputError(field, f"must be {need or 'a finite number'} (got {value!r})")
    return v


def _scalar(value: np.ndarray, field: str) -> float:
    if np.ndim(value) != 0:
        raise BatteryInputError(field, f"must be one number, got shape {np.shape(value)}")
    return float(value)


def capacity_observation(
    *,
    energy_kwh: float,
    soc_start_percent: float,
    soc_end_percent: float,
    usable_kwh_new: float,
    charging_efficiency: float | None = None,
    ac: bool = True,
) -> CapacityObservation | None:
    """The capacity a session shows (kWh metered × efficiency ÷ ΔSoC), or None when the window is under 40 %."""
    energy = _finite(energy_kwh, "energy_kwh", minimum=0.0)
    start = _scalar(check_percent(soc_start_percent, "soc_start_percent"), "soc_start_percent")
    end = _scalar(check_percent(soc_end_percent, "soc_end_percent"), "soc_end_percent")
    usable = _finite(usable_kwh_new, "usable_kwh_new", positive=True)
    if charging_efficiency is None:
        eta = AC_EFFICIENCY if ac else DC_EFFICIENCY
    else:
        eta = _finite(charging_efficiency, "charging_efficiency", positive=True)
        if eta > 1.0:
            raise BatteryInputError("charging_efficiency", f"must lie within 0 (excluded) and 1 (got {eta!r})")
    window = end - start
    if window < MIN_WINDOW_PERCENT:
        return None
    capacity = energy * eta / (window / 100.0)
    soh = capacity / usable * 100.0
    if not math.isfinite(soh):
        raise BatteryInputError("energy_kwh", f"gives no finite capacity (got {energy_kwh!r} kWh)")
    var_window = 2.0 * (SOC_ESTIMATE_SIGMA_PERCENT**2 + SOC_QUANTUM_PERCENT**2 / 12.0)
    relative = var_window / window**2 + (EFFICIENCY_SIGMA / eta) ** 2 + METER_SIGMA**2
    return CapacityObservation(
        soh_percent=soh,
        variance=max(MIN_VARIANCE, soh * soh * relative if soh > 0 else relative * 100.0**2),
        window_percent=window,
        capacity_kwh=capacity,
        charging_efficiency=eta,
    )


def filter_step(
    prior: HealthEstimate,
    *,
    model_fade_percent: float,
    process_variance: float,
    observation: CapacityObservation | HealthEstimate | None = None,
    start_percent: float = 100.0,
) -> HealthEstimate:
    """One step of the scalar Kalman filter: the model predicts the fade, an observation (if any) corrects it."""
    x = float(check_percent(prior.soh_percent, "prior.soh_percent"))
    p = _finite(prior.variance, "prior.variance", minimum=0.0)
    fade = _finite(model_fade_percent, "model_fade_percent", minimum=0.0)
    q = _finite(process_variance, "process_variance", minimum=0.0)
    ceiling = float(check_percent(start_percent, "start_percent"))
    x, p = x - fade, p + q
    if observation is not None:
        z = _finite(observation.soh_percent, "observation.soh_percent")
        r = _finite(observation.variance, "observation.variance", positive=True)
        gain = p / (p + r) if p + r > 0 else 0.0
        x, p = x + gain * (z - x), (1.0 - gain) * p
    return HealthEstimate(soh_percent=min(ceiling, max(0.0, x)), variance=max(MIN_VARIANCE, p))


OUTLIER_SIGMA = 6.0  # an observation this many standard deviations of the innovation away is set aside...
OUTLIER_MIN_POINTS = 25.0  # ...and at least this many points of SoH away


def is_outlier(
    estimate: HealthEstimate,
    observation: CapacityObservation | HealthEstimate,
    *,
    gate_sigma: float = OUTLIER_SIGMA,
    min_points: float = OUTLIER_MIN_POINTS,
) -> bool:
    """Whether an observation is too far from the estimate to be believed (innovation gating): |z − x| beyond
    `gate_sigma` standard deviations of the innovation, √(P + R), and beyond `min_points` of SoH. A wrong meter
    reading or a mis-reported SoC (a battery seeming at 40 % of new) then leaves the estimate alone instead of
    pulling it hard. The floor in points keeps the gate from refusing what the filter must learn: a vehicle
    entered as new whose battery is at 80 % is 20 points off a confident estimate, many standard deviations, and
    is believed."""
    x = float(check_percent(estimate.soh_percent, "estimate.soh_percent"))
    p = _finite(estimate.variance, "estimate.variance", minimum=0.0)
    z = _finite(observation.soh_percent, "observation.soh_percent")
    r = _finite(observation.variance, "observation.variance", positive=True)
    gate = _finite(gate_sigma, "gate_sigma", positive=True)
    floor = _finite(min_points, "min_points", minimum=0.0)
    return abs(z - x) > max(gate * math.sqrt(p + r), floor)


def predict_band(
    *,
    soh_percent: float,
    variance: float,
    model_path_percent,
    days,
    process_variance_per_day: float,
    model_now_percent: float | None = None,
    start_percent: float = 100.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, low, high) SoH at `days` from now: the model's path shifted onto the estimate, with a 95 % band.

    `model_path_percent[i]`: the aging model's SoH `days[i]` days from now under the vehicle's usage, continuing
    from its current state; `model_now_percent`: the model's SoH now (default: the path's first value, which then
    must be at day 0)."""
    soh = float(check_percent(soh_percent, "soh_percent"))
    p = _finite(variance, "variance", minimum=0.0)
    q = _finite(process_variance_per_day, "process_variance_per_day", minimum=0.0)
    ceiling = float(check_percent(start_percent, "start_percent"))
    path = np.asarray(model_path_percent, dtype=float)
    t = np.asarray(days, dtype=float)
    if path.shape != t.shape or path.ndim != 1 or path.size == 0:
        raise BatteryInputError("model_path_percent", "must be a non-empty 1-d array the shape of days")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(np.diff(t) < 0):
        raise BatteryInputError("days", "must be finite, at least 0 and ascending")
    check_percent(path, "model_path_percent")
    if model_now_percent is None:
        if t[0] != 0:
            raise BatteryInputError("model_now_percent", "is needed when days do not start at 0")
        now = float(path[0])
    else:
        now = float(check_percent(model_now_percent, "model_now_percent"))
    mean = np.minimum.accumulate(np.clip(soh + (path - now), 0.0, min(soh, ceiling)))
    sigma = np.sqrt(p + q * t)
    low = np.clip(mean - Z95 * sigma, 0.0, ceiling)
    high = np.minimum.accumulate(np.clip(mean + Z95 * sigma, 0.0, ceiling))
    return mean, low, high


def _first_crossing(threshold: float, days: np.ndarray, curve: np.ndarray) -> float | None:
    below = np.nonzero(curve <= threshold)[0]
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0:
        return float(days[0])
    d0, d1, c0, c1 = days[i - 1], days[i], curve[i - 1], curve[i]
    return float(d0 + (d1 - d0) * (c0 - threshold) / (c0 - c1))  # c0 > threshold >= c1


def date_reaching(threshold_percent: float, days, mean, low, high) -> tuple[float | None, float | None, float | None]:
    """(earliest, expected, latest) day the SoH reaches `threshold_percent`: when the band's low edge, the mean
    and the high edge first fall to it (linear between samples); None where it is not reached within `days`."""
    threshold = float(check_percent(threshold_percent, "threshold_percent"))
    t = np.asarray(days, dtype=float)
    curves = [np.asarray(c, dtype=float) for c in (low, mean, high)]
    if any(c.shape != t.shape for c in curves) or t.ndim != 1:
        raise BatteryInputError("days", "days, mean, low and high must be 1-d arrays of one shape")
    earliest, expected, latest = (_first_crossing(threshold, t, c) for c in curves)
    return earliest, expected, latest
