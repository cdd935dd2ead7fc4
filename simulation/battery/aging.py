"""Battery aging of many vehicles from their SoC and battery-temperature series.

Models: NMC after Schmalstieg et al. 2014 (``nmc.py``), LFP after Naumann et al. 2018 and 2020 (``lfp.py``).

Superposition, as both papers do: capacity loss = calendar loss + cycle loss, resistance rise = calendar rise
+ cycle rise, each part integrated on its own.

Changing conditions, as both papers' groups do in their simulations (ISEA's and TUM's SimSES): the calendar
part continues from a *virtual time*, the time the cell would have needed under the current conditions to
reach its present loss, and the cycle part from a *virtual throughput* in the same way. For a power law
``L = k · x^p`` one virtual-time step from ``L`` over ``Δx`` is ``L_new = k · ((L/k)^(1/p) + Δx)^p``, which is
exactly ``L_new^(1/p) = L^(1/p) + k^(1/p) · Δx``. That form is used here: it is the step-by-step method, applied
at every sample for the calendar part (every hour for hourly data) and at every rainflow cycle for the cycle
part, without a Python loop over steps. Linear laws (resistance rise for LFP, NMC cycle resistance) simply add.

Cycles: the SoC series of a call (a window, e.g. a week) is counted with rainflow (``rainflow.py``); cycles
that straddle two calls are counted as half cycles in each (throughput is kept exactly: the last SoC of a
window is carried in the state and prepended to the next one). NMC uses each cycle's depth and its mean
voltage (OCV at the cycle's mean SoC); LFP uses each cycle's depth and the vehicle's mean C-rate in the window
(mean |ΔSoC| per hour over the steps in which the SoC moved), since only SoC samples are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import lfp, nmc
from .chemistry import BatteryInputError, Chemistry, checked_soc_percent, checked_temperature_c, chemistry_of
from .rainflow import extract_cycles

DEFAULT_WINDOW_HOURS = 168

_MODELS = {Chemistry.NMC: nmc, Chemistry.LFP: lfp}
_CALENDAR_POWER = {Chemistry.NMC: 1.0 / nmc.CALENDAR_TIME_EXPONENT, Chemistry.LFP: 2.0}
_CALENDAR_RES_POWER = {Chemistry.NMC: 1.0 / nmc.CALENDAR_TIME_EXPONENT, Chemistry.LFP: 1.0}


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=float)


@dataclass
class AgingState:
    """Aging of n vehicles so far; every field is an array of shape (n,). Losses and rises are fractions."""

    calendar_capacity_loss: np.ndarray
    cycle_capacity_loss: np.ndarray
    calendar_resistance_rise: np.ndarray
    cycle_resistance_rise: np.ndarray
    throughput_ah: np.ndarray  # charge + discharge, Ah of the pack (or of the model's cell when no capacity given)
    full_equivalent_cycles: np.ndarray
    elapsed_days: np.ndarray
    last_soc_percent: np.ndarray = field(default=None)  # NaN until a first window was aged

    def __post_init__(self):
        if self.last_soc_percent is None:
            self.last_soc_percent = np.full(len(self.calendar_capacity_loss), np.nan)

    @classmethod
    def new(cls, n: int) -> AgingState:
        if int(n) < 0:
            raise BatteryInputError("n", "must be 0 or more vehicles")
        n = int(n)
        return cls(_zeros(n), _zeros(n), _zeros(n), _zeros(n), _zeros(n), _zeros(n), _zeros(n), np.full(n, np.nan))

    @property
    def n(self) -> int:
        return len(self.calendar_capacity_loss)


def _checked_inputs(state, soc_percent, temperature_c, hours_per_step):
    soc = checked_soc_percent(soc_percent)
    if soc.ndim == 1:
        soc = soc[np.newaxis, :]
    if soc.ndim != 2 or soc.shape[0] != state.n:
        raise BatteryInputError("soc_percent", f"must have shape (n_vehicles={state.n}, steps), got {soc.shape}")
    temperature = checked_temperature_c(temperature_c)
    if temperature.ndim == 1 and temperature.shape[0] == state.n and soc.shape[1] != state.n:
        temperature = temperature[:, np.newaxis]  # one temperature per vehicle
    try:
        temperature = np.broadcast_to(temperature, soc.shape)
    except ValueError as exc:
        raise BatteryInputError("temperature_c", f"must broadcast to {soc.shape}, got {temperature.shape}") from exc
    try:
        hours = float(hours_per_step)
    except (TypeError, ValueError) as exc:
        raise BatteryInputError("hours_per_step", "must be a number of hours > 0") from exc
    if not np.isfinite(hours) or hours <= 0:
        raise BatteryInputError("hours_per_step", f"must be a finite number of hours > 0 (got {hours_per_step!r})")
    return soc, temperature, hours


def age_increment(
    state: AgingState,
    *,
    chemistry,
    soc_percent,
    temperature_c,
    hours_per_step: float = 1.0,
    capacity_ah=None,
) -> AgingState:
    """The state after one more window of samples, soc/temperature of shape (n, steps); ``state`` is not changed.

    ``temperature_c`` is the cell temperature; it broadcasts against ``soc_percent`` (a scalar, one value per
    vehicle of shape (n,) or (n, 1), or one per sample). ``capacity_ah`` (scalar or (n,)) only scales the
    reported ``throughput_ah``; the models themselves work on full equivalent cycles.
    """
    chem = chemistry_of(chemistry)
    soc, temperature, hours = _checked_inputs(state, soc_percent, temperature_c, hours_per_step)
    model = _MODELS[chem]
    n, steps = soc.shape
    if steps == 0:
        return replace(state)
    step_days = hours / 24.0

    # Calendar part: L^(1/p) grows by Σ rate · Δt (virtual time, every sample).
    cap_rate, res_rate = model.calendar_rates(soc, temperature + 273.15)
    p_cap, p_res = _CALENDAR_POWER[chem], _CALENDAR_RES_POWER[chem]
    calendar_cap = (state.calendar_capacity_loss**p_cap + cap_rate.sum(axis=1) * step_days) ** (1.0 / p_cap)
    calendar_res = (state.calendar_resistance_rise**p_res + res_rate.sum(axis=1) * step_days) ** (1.0 / p_res)

    # Cycle part: rainflow over the window, continuing from the last SoC of the previous window.
    previous = np.where(np.isfinite(state.last_soc_percent), state.last_soc_percent, soc[:, 0])
    path = np.concatenate([previous[:, np.newaxis], soc], axis=1)
    moves = np.abs(np.diff(path, axis=1))
    fec = moves.sum(axis=1) / 200.0
    cycles = extract_cycles(path)
    if chem is Chemistry.NMC:
        d_cap_sq, d_res = nmc.cycle_increments(cycles.range, cycles.mean, cycles.count)
    else:
        moving = moves > 0
        moving_steps = moving.sum(axis=1)
        c_rate = np.divide(moves.sum(axis=1) / 100.0 / hours, moving_steps, out=np.zeros(n), where=moving_steps > 0)
        d_cap_sq, d_res = lfp.cycle_increments(cycles.range, c_rate[cycles.row], cycles.count)
    cycle_cap = np.sqrt(state.cycle_capacity_loss**2 + np.bincount(cycles.row, weights=d_cap_sq, minlength=n))
    cycle_res = state.cycle_resistance_rise + np.bincount(cycles.row, weights=d_res, minlength=n)

    if capacity_ah is None:
        capacity_ah = model.REFERENCE_CELL_AH
    try:
        capacity = np.asarray(capacity_ah, dtype=float)
    except (TypeError, ValueError):
        raise BatteryInputError("capacity_ah", "must be a finite capacity > 0 Ah") from None
    if capacity.size and (not np.isfinite(capacity).all() or capacity.min() <= 0):
        raise BatteryInputError("capacity_ah", "must be a finite capacity > 0 Ah")
    if capacity.shape not in ((), (n,), (n, 1)):
        raise BatteryInputError("capacity_ah", f"must be one capacity or one per vehicle ({n},), got {capacity.shape}")
    if capacity.ndim == 2:
        capacity = capacity[:, 0]

    return AgingState(
        calendar_capacity_loss=calendar_cap,
        cycle_capacity_loss=cycle_cap,
        calendar_resistance_rise=calendar_res,
        cycle_resistance_rise=cycle_res,
        throughput_ah=state.throughput_ah + fec * 2.0 * capacity,
        full_equivalent_cycles=state.full_equivalent_cycles + fec,
        elapsed_days=state.elapsed_days + steps * step_days,
        last_soc_percent=soc[:, -1].copy(),
    )


def capacity_percent(state: AgingState) -> np.ndarray:
    """Remaining capacity, percent of new: 100 at the start, never above 100, never below 0, never NaN."""
    loss = np.nan_to_num(state.calendar_capacity_loss + state.cycle_capacity_loss, nan=1.0, posinf=1.0)
    return 100.0 * np.clip(1.0 - loss, 0.0, 1.0)


def resistance_percent(state: AgingState) -> np.ndarray:
    """Internal resistance, percent of new: 100 at the start, never below 100, never NaN."""
    rise = np.nan_to_num(state.calendar_resistance_rise + state.cycle_resistance_rise, nan=0.0, posinf=1e6)
    return 100.0 * (1.0 + np.maximum(rise, 0.0))


def age(
    soc_percent,
    temperature_c,
    *,
    chemistry,
    hours_per_step: float = 1.0,
    window_hours: float = DEFAULT_WINDOW_HOURS,
    capacity_ah=None,
) -> AgingState:
    """Age new batteries through a whole series (n, steps), in windows of ``window_hours`` to bound memory."""
    soc = checked_soc_percent(soc_percent)
    if soc.ndim == 1:
        soc = soc[np.newaxis, :]
    temperature = checked_temperature_c(temperature_c)
    if temperature.ndim == 1 and temperature.shape[0] == soc.shape[0] and soc.shape[1] != soc.shape[0]:
        temperature = temperature[:, np.newaxis]
    if soc.ndim != 2:
        raise BatteryInputError("soc_percent", f"must have shape (n_vehicles, steps), got {soc.shape}")
    try:
        temperature = np.broadcast_to(temperature, soc.shape)
    except ValueError as exc:
        raise BatteryInputError("temperature_c", f"must broadcast to {soc.shape}, got {temperature.shape}") from exc
    state = AgingState.new(soc.shape[0])
    _, _, hours = _checked_inputs(state, soc[:, :0], 20.0, hours_per_step)
    try:
        window_h = float(window_hours)
        if not window_h > 0:
            raise ValueError(window_h)
        window = max(1, int(round(window_h / hours)))
    except (TypeError, ValueError, OverflowError) as exc:
        raise BatteryInputError("window_hours", f"must be a finite number of hours > 0 (got {window_hours!r})") from exc
    for first in range(0, soc.shape[1], window):
        state = age_increment(
            state,
            chemistry=chemistry,
            soc_percent=soc[:, first : first + window],
            temperature_c=temperature[:, first : first + window],
            hours_per_step=hours_per_step,
            capacity_ah=capacity_ah,
        )
    return state
