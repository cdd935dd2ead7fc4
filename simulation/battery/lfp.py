"""LFP aging after Naumann et al. 2018 (calendar) and 2020 (cycle).

* M. Naumann, M. Schimpe, P. Keil, H. C. Hesse, A. Jossen: "Analysis and modeling of calendar aging of a
  commercial LiFePO4/graphite cell", J. Energy Storage 17 (2018) 153-169, doi:10.1016/j.est.2018.01.019.
* M. Naumann, F. B. Spingler, A. Jossen: "Analysis and modeling of cycle aging of a commercial LiFePO4/graphite
  cell", J. Power Sources 451 (2020) 227666, doi:10.1016/j.jpowsour.2019.227666.

Cell: Sony (Murata) US26650FTC1, 3.0 Ah. Both papers model capacity loss and resistance rise as products of
stress factors and add the calendar and cycle parts (superposition).

Calendar (t in seconds, T cell temperature in kelvin, SoC as a fraction):

* capacity loss ``Q_loss = k_T(T) · k_SoC(SoC) · √t`` with
  ``k_T = 1.2571e-5 · exp(-17126 / R · (1/T - 1/298.15))`` (1/√s) and ``k_SoC = 2.8575 · (SoC - 0.5)^3 + 0.60225``
* resistance rise ``R_inc = k_T,R(T) · k_SoC,R(SoC) · t`` with
  ``k_T,R = 3.4194e-10 · exp(-71827 / R · (1/T - 1/298.15))`` (1/s) and ``k_SoC,R = -3.3903 · (SoC - 0.5)^2 + 1.5604``

Cycle (FEC full equivalent cycles, DOC depth of cycle as a fraction, C-rate in 1/h):

* capacity loss in percent ``= k_C(C) · k_DOC(DOC) · √FEC`` with ``k_C = 0.0630 · C + 0.0971`` and
  ``k_DOC = 4.0253 · (DOC - 0.6)^3 + 1.0923``
* resistance rise in percent ``= k_C,R(C) · k_DOC,R(DOC) · FEC`` with ``k_C,R = -0.0020 · C + 0.0021`` and
  ``k_DOC,R = 6.8477 · (DOC - 0.5)^3 + 0.91882``

Where the values come from and what could not be confirmed: the papers' text is not in the reference library
this was written from, so the table and equation numbers are not quoted. The capacity parameters and the form
of every stress factor are the same in TUM SimSES (``sony_lfp_calendar.py``, ``sony_lfp_cyclic.py``, from the
authors' institute) and in a second TUM model (``calc_aging_naumann``); BLAST-Lite (NREL) cites the same
resistance values. Two resistance details differ between those sources and are therefore unconfirmed: the
calendar ``k_SoC,R`` is written ``-3.3903 · (SoC-0.5)^2`` in SimSES, ``+3.3903 · (SoC-0.5)^2`` in the second TUM
model and ``-3.3903 · (SoC-0.5)^3`` in BLAST-Lite (SimSES is used here); the cycle ``k_DOC,R`` constant is 0.9182
in SimSES and 0.91882 in BLAST-Lite and the TUM model (0.91882 is used). The resistance rise of LFP is a small
effect either way (about 1.7 % a year at 25 °C, 50 % SoC).

Choices made here, not in the papers: the C-rate is clipped to 0…1 C (the cell's rated maximum charge rate,
and ``k_C,R`` turns negative above 1.05 C); ``k_C,R · k_DOC,R`` is clipped at zero. As for NMC, there is no
temperature term in the cycle part (the cycle tests ran at 25 °C), so lithium plating in the cold is not
modelled.
"""

from __future__ import annotations

import numpy as np

from .chemistry import UniformTable

REFERENCE_CELL_AH = 3.0
GAS_CONSTANT = 8.3144598  # J/(mol K)
T_REF_K = 298.15
SECONDS_PER_DAY = 86_400.0

CAL_CAP = {"k_ref": 1.2571e-5, "ea": 17126.0, "c": 2.8575, "d": 0.60225}  # k_ref in 1/√s
CAL_RES = {"k_ref": 3.4194e-10, "ea": 71827.0, "c": -3.3903, "d": 1.5604}  # k_ref in 1/s
CYC_CAP = {"a": 0.0630, "b": 0.0971, "c": 4.0253, "d": 1.0923, "doc0": 0.6}  # percent per √FEC
CYC_RES = {"a": -0.0020, "b": 0.0021, "c": 6.8477, "d": 0.91882, "doc0": 0.5}  # percent per FEC
MAX_C_RATE = 1.0


def k_temperature(params, temperature_k):
    return params["k_ref"] * np.exp(-params["ea"] / GAS_CONSTANT * (1.0 / np.asarray(temperature_k) - 1.0 / T_REF_K))


def k_soc_cap(soc_fraction):
    return CAL_CAP["c"] * (np.asarray(soc_fraction) - 0.5) ** 3 + CAL_CAP["d"]


def k_soc_res(soc_fraction):
    return CAL_RES["c"] * (np.asarray(soc_fraction) - 0.5) ** 2 + CAL_RES["d"]


def k_cycle_cap(c_rate, doc_fraction):
    """Cycle capacity stress factor, percent per √FEC."""
    c = np.clip(c_rate, 0.0, MAX_C_RATE)
    return (CYC_CAP["a"] * c + CYC_CAP["b"]) * (
        CYC_CAP["c"] * (np.asarray(doc_fraction) - CYC_CAP["doc0"]) ** 3 + CYC_CAP["d"]
    )


def k_cycle_res(c_rate, doc_fraction):
    """Cycle resistance stress factor, percent per FEC, clipped at zero."""
    c = np.clip(c_rate, 0.0, MAX_C_RATE)
    k = (CYC_RES["a"] * c + CYC_RES["b"]) * (
        CYC_RES["c"] * (np.asarray(doc_fraction) - CYC_RES["doc0"]) ** 3 + CYC_RES["d"]
    )
    return np.maximum(k, 0.0)


def calendar_capacity_loss(soc_percent, temperature_c, days):
    """Closed form for constant storage, as a fraction."""
    seconds = np.asarray(days, dtype=float) * SECONDS_PER_DAY
    k = k_temperature(CAL_CAP, np.asarray(temperature_c) + 273.15) * k_soc_cap(np.asarray(soc_percent) / 100.0)
    return k * np.sqrt(seconds)


def cycle_capacity_loss(doc_percent, c_rate, fec):
    """Closed form for repeated identical cycles, as a fraction."""
    return k_cycle_cap(c_rate, np.asarray(doc_percent) / 100.0) * np.sqrt(np.asarray(fec, dtype=float)) / 100.0


# Kernels for aging.py. Virtual time for a √t law: L_new^2 = L^2 + k^2·Δt (exact for piecewise-constant k).
_SOC_TERMS = UniformTable(lambda soc: k_soc_cap(soc / 100.0) ** 2, lambda soc: k_soc_res(soc / 100.0))


def calendar_rates(soc_percent: np.ndarray, temperature_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: (k^2 for capacity, growth rate of L^2, and k for resistance), both per day."""
    inv = 1.0 / temperature_k - 1.0 / T_REF_K
    cap = (CAL_CAP["k_ref"] ** 2 * SECONDS_PER_DAY) * np.exp((-2.0 * CAL_CAP["ea"] / GAS_CONSTANT) * inv)
    res = (CAL_RES["k_ref"] * SECONDS_PER_DAY) * np.exp((-CAL_RES["ea"] / GAS_CONSTANT) * inv)
    soc_cap, soc_res = _SOC_TERMS.all(soc_percent)
    soc_cap *= cap
    soc_res *= res
    return soc_cap, soc_res


def cycle_increments(range_percent, c_rate, count):
    """Per rainflow cycle: (increment of L_cyc^2, increment of R_cyc); FEC of a cycle = count · depth."""
    doc = range_percent / 100.0
    fec = count * doc
    return (k_cycle_cap(c_rate, doc) / 100.0) ** 2 * fec, k_cycle_res(c_rate, doc) / 100.0 * fec
