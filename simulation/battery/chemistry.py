"""Cell chemistries, their open-circuit-voltage curves, and input checks shared by the battery models.

Two chemistries are modelled, each by the cell its aging study was made on:

* ``Chemistry.NMC``: Sanyo UR18650E, graphite / Li(NiMnCo)O2, 2.05 Ah, the cell of Ecker et al. 2014
  (J. Power Sources 248, 839-851) and Schmalstieg et al. 2014 (J. Power Sources 257, 325-334). Nickel-rich
  layered oxides (NCA in Panasonic-made Tesla cells, NMC 622/712/811 elsewhere) are mapped here too: the
  aging models in this package have no separate NCA parameter set.
* ``Chemistry.LFP``: Sony (Murata) US26650FTC1, graphite / LiFePO4, 3.0 Ah, the cell of Naumann et al. 2018
  (J. Energy Storage 17, 153-169) and 2020 (J. Power Sources 451, 227666).

OCV curves (tabulated points, linearly interpolated):

* NMC: Sanyo UR18650E, read every 5 % SoC from the table NREL's BLAST-Lite ships for this cell
  (``blast/models/nmc111_gr_Sanyo2Ah_2014.py``: Ecker et al. 2014 at 0/10 % SoC, the rest digitised from
  Schmalstieg et al. 2014, Fig. 1).
* LFP: Sony US26650, read from the OCV table of TUM's SimSES (``CLFP_Sony_US26650_OCV.csv``, measured by
  Naumann at TUM EES; Naumann, PhD thesis, TU Munich 2018), denser at both ends where the curve bends.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

SOC_RANGE_PERCENT = (0.0, 100.0)
TEMPERATURE_RANGE_C = (-40.0, 60.0)


class Chemistry(StrEnum):
    NMC = "nmc"
    LFP = "lfp"


class BatteryInputError(ValueError):
    """A battery-model input outside its allowed range (or NaN); ``field`` names the argument."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def checked_range(field: str, values, low: float, high: float, unit: str) -> np.ndarray:
    """``values`` as a float array, or BatteryInputError naming ``field`` and the allowed range."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise BatteryInputError(field, f"must be numbers in {low:g}…{high:g} {unit}") from exc
    if array.size and not np.isfinite(array).all():
        raise BatteryInputError(field, f"must be finite numbers in {low:g}…{high:g} {unit} (got NaN or inf)")
    if array.size and (array.min() < low or array.max() > high):
        bad = array.min() if array.min() < low else array.max()
        raise BatteryInputError(field, f"must lie in {low:g}…{high:g} {unit} (got {bad:g})")
    return array


def checked_soc_percent(values, field: str = "soc_percent") -> np.ndarray:
    return checked_range(field, values, *SOC_RANGE_PERCENT, "%")


def checked_temperature_c(values, field: str = "temperature_c") -> np.ndarray:
    return checked_range(field, values, *TEMPERATURE_RANGE_C, "°C")


def chemistry_of(value) -> Chemistry:
    try:
        return Chemistry(value)
    except ValueError as exc:
        allowed = ", ".join(c.value for c in Chemistry)
        raise BatteryInputError("chemistry", f"must be one of {allowed} (got {value!r})") from exc


# (SoC %, OCV V) per cell; see the module docstring for the sources.
OCV_TABLES: dict[Chemistry, tuple[tuple[float, ...], tuple[float, ...]]] = {
    Chemistry.NMC: (
        (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100),
        (
            3.331, 3.420, 3.491, 3.544, 3.581, 3.608, 3.627, 3.641, 3.655, 3.673, 3.697,
            3.732, 3.775, 3.821, 3.869, 3.915, 3.965, 4.019, 4.073, 4.118, 4.162,
        ),
    ),
    Chemistry.LFP: (
        (
            0, 0.5, 1, 2, 3, 5, 7.5, 10, 12.5, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85,
            90, 95, 97.5, 98.5, 99, 99.5, 100,
        ),
        (
            2.286, 2.683, 2.783, 2.895, 2.967, 3.065, 3.146, 3.197, 3.207, 3.212, 3.234, 3.255, 3.270,
            3.283, 3.292, 3.297, 3.299, 3.301, 3.303, 3.306, 3.311, 3.319, 3.334, 3.340, 3.342, 3.345,
            3.347, 3.352, 3.362, 3.396, 3.530,
        ),
    ),
}  # fmt: skip


def ocv_cell_v(chemistry, soc_percent) -> np.ndarray:
    """Open-circuit voltage of one cell (V) at ``soc_percent`` (0…100), same shape as the input."""
    points_soc, points_v = OCV_TABLES[chemistry_of(chemistry)]
    soc = checked_soc_percent(soc_percent)
    return np.interp(soc, points_soc, points_v)


class UniformTable:
    """Functions of SoC sampled on a fine uniform grid (0…100 %), read back by index arithmetic.

    Faster than ``np.interp`` on tens of millions of points, and several functions share one index
    computation; with 0.05 % spacing the linear interpolation between samples differs from the sampled
    functions by far less than the models' own uncertainty. Inputs must already be checked to lie in 0…100.
    """

    def __init__(self, *functions, points: int = 2001):
        self.scale = (points - 1) / 100.0
        grid = np.linspace(0.0, 100.0, points)
        self.values = [np.asarray(function(grid), dtype=float) for function in functions]
        self.slopes = [np.append(np.diff(values), 0.0) for values in self.values]

    def all(self, soc_percent: np.ndarray) -> list[np.ndarray]:
        position = soc_percent * self.scale
        index = position.astype(np.intp)
        fraction = position - index
        return [values[index] + fraction * slopes[index] for values, slopes in zip(self.values, self.slopes)]

    def __call__(self, soc_percent: np.ndarray) -> np.ndarray:
        return self.all(soc_percent)[0]
