"""NMC aging after Schmalstieg, Käbitz, Ecker and Sauer 2014.

J. Schmalstieg, S. Käbitz, M. Ecker, D. U. Sauer: "A holistic aging model for Li(NiMnCo)O2 based 18650
lithium-ion batteries", J. Power Sources 257 (2014) 325-334, doi:10.1016/j.jpowsour.2014.02.012.
Cell: Sanyo UR18650E, 2.05 Ah; aging data from Ecker et al., J. Power Sources 248 (2014) 839-851.

The model, as published (section 3, "aging model": the calendar and cycle parts are fitted separately and
added):

* relative capacity ``C = 1 - α_cap · t^0.75 - β_cap · √Q``
* relative resistance ``R = 1 + α_res · t^0.75 + β_res · Q``
* calendar (``t`` in days, storage voltage ``V`` in volts, cell temperature ``T`` in kelvin):
  ``α_cap = (7.543 · V - 23.75) · 10^6 · exp(-6976 / T)``,
  ``α_res = (5.270 · V - 16.32) · 10^5 · exp(-5986 / T)``
* cycle (``Q`` charge throughput in Ah of the 2.05 Ah cell, ``V̄`` the cycle's mean voltage, ``ΔDOD`` its depth
  as a fraction):
  ``β_cap = 7.348e-3 · (V̄ - 3.667)^2 + 7.600e-4 + 4.081e-3 · ΔDOD``,
  ``β_res = 2.153e-4 · (V̄ - 3.725)^2 - 1.521e-5 + 2.798e-4 · ΔDOD``

Verification of the constants: the paper's text is not in the reference library this was written from, so
the equation numbers could not be read off it and are not quoted. Every constant above is identical in three
independent reimplementations that cite the paper: NREL BLAST-Lite (``nmc111_gr_Sanyo2Ah_2014.py``, "replicated
as reported by Schmalstieg et al."), TUM SimSES (``SanyoNMCCalendarDegradationModel``) and a TUM EV-fleet
model (``calc_aging_schmalstieg``); no correction was needed.

Choices made here, not in the paper:

* ``Q`` counts charge and discharge (a full cycle of depth ``d`` moves ``2 · d · 2.05`` Ah), as BLAST-Lite and
  SimSES do; throughput of a larger cell is scaled to the 2.05 Ah cell by its full equivalent cycles.
* ``α`` and ``β_res`` are clipped at zero: the linear voltage term turns negative below 3.149 V (α_cap) and
  3.097 V (α_res), and ``β_res`` is negative for shallow cycles (ΔDOD < 5.4 %) near 3.725 V; the model is not
  allowed to heal a cell.
* The cycle part has no temperature and no C-rate term: the cycle tests ran at 35 °C and 1 C. Lithium plating
  when charging in the cold is therefore not modelled.
"""

from __future__ import annotations

import numpy as np

from .chemistry import Chemistry, UniformTable, ocv_cell_v

REFERENCE_CELL_AH = 2.05
CALENDAR_TIME_EXPONENT = 0.75  # t^0.75, t in days
CYCLE_THROUGHPUT_EXPONENT = 0.5  # √Q, Q in Ah

# Calendar: α = (a_v · V + b_v) · scale · exp(-c / T)
ALPHA_CAP = {"a_v": 7.543, "b_v": -23.75, "scale": 1e6, "c_k": 6976.0}
ALPHA_RES = {"a_v": 5.270, "b_v": -16.32, "scale": 1e5, "c_k": 5986.0}
# Cycle: β = a · (V̄ - v0)^2 + b + c · ΔDOD
BETA_CAP = {"a": 7.348e-3, "v0": 3.667, "b": 7.600e-4, "c_dod": 4.081e-3}
BETA_RES = {"a": 2.153e-4, "v0": 3.725, "b": -1.521e-5, "c_dod": 2.798e-4}


def _alpha(params, voltage_v, temperature_k):
    voltage_term = np.maximum(params["a_v"] * np.asarray(voltage_v) + params["b_v"], 0.0)
    return voltage_term * params["scale"] * np.exp(-params["c_k"] / np.asarray(temperature_k))


def alpha_cap(voltage_v, temperature_k):
    """Calendar capacity-fade rate, 1/day^0.75."""
    return _alpha(ALPHA_CAP, voltage_v, temperature_k)


def alpha_res(voltage_v, temperature_k):
    """Calendar resistance-rise rate, 1/day^0.75."""
    return _alpha(ALPHA_RES, voltage_v, temperature_k)


def _beta(params, mean_voltage_v, dod_fraction):
    v = np.asarray(mean_voltage_v)
    return params["a"] * (v - params["v0"]) ** 2 + params["b"] + params["c_dod"] * np.asarray(dod_fraction)


def beta_cap(mean_voltage_v, dod_fraction):
    """Cycle capacity-fade rate, 1/√Ah (always positive with the published constants)."""
    return _beta(BETA_CAP, mean_voltage_v, dod_fraction)


def beta_res(mean_voltage_v, dod_fraction):
    """Cycle resistance-rise rate, 1/Ah, clipped at zero."""
    return np.maximum(_beta(BETA_RES, mean_voltage_v, dod_fraction), 0.0)


def calendar_capacity_loss(soc_percent, temperature_c, days):
    """Closed form for constant storage: ``α_cap(V(SoC), T) · t^0.75`` as a fraction."""
    v = ocv_cell_v(Chemistry.NMC, soc_percent)
    return alpha_cap(v, np.asarray(temperature_c) + 273.15) * np.asarray(days, dtype=float) ** 0.75


def cycle_capacity_loss(dod_percent, mean_soc_percent, throughput_ah):
    """Closed form for repeated identical cycles: ``β_cap(V̄, ΔDOD) · √Q`` as a fraction (Q of the 2.05 Ah cell)."""
    v = ocv_cell_v(Chemistry.NMC, mean_soc_percent)
    return beta_cap(v, np.asarray(dod_percent) / 100.0) * np.sqrt(np.asarray(throughput_ah, dtype=float))


# Kernels used by aging.py. The virtual-time step L_new = α·((L/α)^(1/p) + Δt)^p is, for piecewise-constant α,
# the same as L_new^(1/p) = L^(1/p) + α^(1/p)·Δt; so the calendar part only needs α^(1/p) per step, summed.
_CAL_POWER = 1.0 / CALENDAR_TIME_EXPONENT


def _voltage_term(params):
    def term(soc):
        voltage = ocv_cell_v(Chemistry.NMC, soc)
        return (np.maximum(params["a_v"] * voltage + params["b_v"], 0.0) * params["scale"]) ** _CAL_POWER

    return term


_VOLTAGE_TERMS = UniformTable(_voltage_term(ALPHA_CAP), _voltage_term(ALPHA_RES))
_OCV = UniformTable(lambda soc: ocv_cell_v(Chemistry.NMC, soc))


def calendar_rates(soc_percent: np.ndarray, temperature_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: (α_cap^(4/3), α_res^(4/3)) in 1/day, the growth rates of L^(4/3) and R^(4/3)."""
    voltage_cap, voltage_res = _VOLTAGE_TERMS.all(soc_percent)
    inverse_t = 1.0 / temperature_k
    voltage_cap *= np.exp((-ALPHA_CAP["c_k"] * _CAL_POWER) * inverse_t)
    voltage_res *= np.exp((-ALPHA_RES["c_k"] * _CAL_POWER) * inverse_t)
    return voltage_cap, voltage_res


def cycle_increments(range_percent, mean_percent, count):
    """Per rainflow cycle: (increment of L_cyc^2, increment of R_cyc), throughput of the reference cell."""
    dod = range_percent / 100.0
    throughput_ah = count * 2.0 * dod * REFERENCE_CELL_AH
    v = _OCV(mean_percent)
    return beta_cap(v, dod) ** 2 * throughput_ah, beta_res(v, dod) * throughput_ah
