"""Temperature effects on a lithium-ion traction battery: usable capacity in the cold, internal resistance, and the
share of the vehicle's DC peak power the battery accepts by temperature and state of health.

Plain Python and numpy (no Django); arrays broadcast and scalars are accepted where arrays are.

Usable capacity in the cold (`usable_capacity_factor`)
    The capacity a cold-soaked cell delivers at a low rate (about C/3), relative to 25 °C, interpolated linearly
    between anchor points (continuous, 1.0 from 25 °C up; the small gain above 25 °C is ignored):

    - LFP: 81 % at 0 °C, 68 % at −10 °C, 55 % at −20 °C. Published cell tests of LFP cells (a 10 Ah cell: 80.2 %
      at 0 °C, 66.4 % at −10 °C, 44.1 % at −20 °C; a 20 Ah power cell at 0.3C after 20 h at temperature: 55 % at
      −20 °C), as collected in "In-depth analysis: temperature behaviour of LiFePO4 batteries"
      (https://lithink.com/blogs/news/in-depth-analysis-temperature-behavior-of-lifepo4-batteries). We take the
      power cell at −20 °C, the kind an EV uses.
    - NMC: 94 % at 0 °C, 88 % at −10 °C, 78 % at −20 °C. NMC/graphite keeps more of its capacity in the cold than
      LFP (the LFP cathode's slow solid-state diffusion); low-rate tests of 18650 NMC cells show little loss down to
      −20 °C (TU Munich cold tests, https://kurt.energy/very-low-temperature-tests-by-t-u-munich/). The NMC anchors
      are an assumption within that evidence, not a fit to one cell; replace them with a pack's data when known.
    - Below −20 °C both fall steeply (Nagasubramanian 2001, J. Appl. Electrochem. 31, 99–104: 18650 cells keep
      about 5 % of their 20 °C energy at −40 °C at their test rate); we take 35 % (NMC) and 20 % (LFP) at −40 °C at
      a low rate.
    Self-heating recovers part of the cold loss in driving (Ji, Zhang & Wang 2013, J. Electrochem. Soc. 160(4),
    A636–A649); this factor is the cold-soaked, pessimistic value.

Internal resistance (`resistance_factor`)
    Arrhenius, R(T)/R(25 °C) = exp(Ea/R_gas · (1/T − 1/298.15 K)). Below room temperature the charge-transfer
    resistance dominates and follows Arrhenius (Zhang, Xu & Jow 2004, Electrochim. Acta 49, 1057–1061; Jow et
    al. 2018, J. Electrochem. Soc. 165(2), A361–A367, report 50–70 kJ/mol for the charge-transfer step). We take
    Ea = 48 kJ/mol, the value implied by the lithium-plating-free charge rates of Yang et al. 2018 (below), for
    both chemistries: in both the limiting step in the cold is charge transfer at the graphite anode. Above 25 °C
    the pure Arrhenius law overstates the fall (the ohmic part hardly changes); the DC limit does not use it there.

DC power limit (`dc_power_factor`), derived, not tabled
    The battery accepts the least of the vehicle's peak current and two limits:

    1. Lithium plating. Lithium plates on the graphite anode when the anode's overpotential, current × anode
       resistance, pushes it below 0 V against Li/Li+; the plating-safe current is therefore proportional to
       capacity / resistance: I_plating ∝ (Q / Q_new) / (r_aging · R(T)/R(25 °C)). Yang, Zhang, Ge & Wang 2018
       (PNAS 115(28), 7266–7271, "Fast charging of lithium-ion batteries at all temperatures"): a cell that takes
       4C plating-free at 25 °C takes only 1.5C at 10 °C and C/1.5 at 0 °C; an Arrhenius fit through the origin of
       ln(rate) against 1/T gives Ea = 47.9 kJ/mol (45.9 from 10 °C, 48.5 from 0 °C), hence the 48 kJ/mol above.
       Vehicles are built so the peak is plating-safe from about 20 °C (`FULL_POWER_FROM_C`, an assumption in the
       20–25 °C at which published charging curves reach their peak), so
       plating share = R(20 °C)/R(T) · (SoH/100) / r_aging.
       r_aging is the resistance rise with age: measured (`resistance_percent`, e.g. the aging model's) or, when not
       given, an assumed coupling of 2 % resistance per 1 % of capacity lost (`RESISTANCE_RISE_PER_FADE`): aging
       studies find resistance rising faster than capacity falls (e.g. Schmalstieg et al. 2014, J. Power Sources
       257, 325–334); the factor 2 is our assumption, not their fit.
    2. Heat. The heat I²·R must leave the pack without the cells passing their charging limit. In steady state
       I²·R = h·A·(T_cut − T), so I_heat/I_peak = sqrt((T_cut − T)/(T_cut − T_knee) / r_aging), where T_knee is the
       battery temperature from which the peak would overheat the cells (45 °C NMC, 50 °C LFP, the more thermally
       stable cathode) and T_cut = 60 °C, where charging stops (the upper end of automotive cells' charging range).
       Both temperatures are assumptions within cell data-sheet ranges, not fits. R's fall above 25 °C is left out
       (conservative).

    share = min(1, plating share, heat share): continuous in temperature and state of health, 1.0 from 20 °C to
    45 °C for a new NMC battery, monotone falling below 20 °C and above 45 °C, and lower for a worse state of
    health. Unknown temperature: taken as 25 °C without a temperature reason (the state of health still counts).
"""

from __future__ import annotations

import math

import numpy as np

from simulation.battery.chemistry import (
    TEMPERATURE_RANGE_C,
    BatteryInputError,
    Chemistry,
    checked_range,
    checked_temperature_c,
    chemistry_of,
)

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
REFERENCE_K = 298.15  # 25 °C
KELVIN = 273.15

MIN_TEMPERATURE_C, MAX_TEMPERATURE_C = TEMPERATURE_RANGE_C

# Yang et al. 2018 plating-free rates (4C at 25 °C, 1.5C at 10 °C, C/1.5 at 0 °C): Arrhenius fit, 47.9 kJ/mol.
ACTIVATION_ENERGY_J_PER_MOL = {Chemistry.NMC: 48_000.0, Chemistry.LFP: 48_000.0}

# Usable capacity of a cold-soaked cell at about C/3, relative to 25 °C (sources in the module docstring).
_CAPACITY_ANCHORS_C = (-40.0, -30.0, -20.0, -10.0, 0.0, 10.0, 25.0)
CAPACITY_ANCHORS = {
    Chemistry.NMC: (0.35, 0.60, 0.78, 0.88, 0.94, 0.98, 1.0),
    Chemistry.LFP: (0.20, 0.38, 0.55, 0.68, 0.81, 0.92, 1.0),
}

FULL_POWER_FROM_C = 20.0  # a new battery takes the vehicle's DC peak from this temperature up (assumption)
HEAT_KNEE_C = {Chemistry.NMC: 45.0, Chemistry.LFP: 50.0}  # the peak would overheat the cells from here
HEAT_CUT_C = 60.0  # no charging at or above this battery temperature
RESISTANCE_RISE_PER_FADE = 2.0  # assumed: +2 % resistance per 1 % capacity lost, when no resistance is measured


def check_temperature_c(temperature_c, field: str = "temperature_c") -> np.ndarray:
    """The temperatures as a float array, or BatteryInputError outside −40…+60 °C (or not a number)."""
    return checked_temperature_c(temperature_c, field)


def check_percent(value, field: str) -> np.ndarray:
    """A percentage as a float array, or BatteryInputError outside 0–100 (or not a number)."""
    return checked_range(field, value, 0.0, 100.0, "%")


check_chemistry = chemistry_of


def usable_capacity_factor(temperature_c, chemistry) -> np.ndarray:
    """Share of the 25 °C usable capacity a cold-soaked battery delivers at `temperature_c` (1.0 from 25 °C up)."""
    t = check_temperature_c(temperature_c)
    chem = check_chemistry(chemistry)
    return np.interp(t, _CAPACITY_ANCHORS_C, CAPACITY_ANCHORS[chem])


def resistance_factor(temperature_c, chemistry) -> np.ndarray:
    """Internal resistance relative to 25 °C, Arrhenius with Ea = 48 kJ/mol (sources in the module docstring)."""
    t = check_temperature_c(temperature_c)
    return _arrhenius(t, check_chemistry(chemistry))


def _arrhenius(t_c: np.ndarray, chemistry: Chemistry) -> np.ndarray:
    ea_over_r = ACTIVATION_ENERGY_J_PER_MOL[chemistry] / GAS_CONSTANT_J_PER_MOL_K
    return np.exp(ea_over_r * (1.0 / (t_c + KELVIN) - 1.0 / REFERENCE_K))


def _aging_resistance(soh: np.ndarray, resistance_percent) -> np.ndarray:
    if resistance_percent is None:
        return 1.0 + RESISTANCE_RISE_PER_FADE * (100.0 - soh) / 100.0
    try:
        r = np.asarray(resistance_percent, dtype=float)
    except (TypeError, ValueError):
        raise BatteryInputError("resistance_percent", "must be a positive number (100 = new)") from None
    if r.size and (not np.all(np.isfinite(r)) or np.any(r <= 0.0)):
        raise BatteryInputError("resistance_percent", "must be a positive number (100 = new)")
    return np.maximum(r, 100.0) / 100.0  # a resistance below new is taken as new


def dc_power_limits(temperature_c, soh_percent, chemistry=Chemistry.NMC, *, resistance_percent=None):
    """The three parts of the DC limit, vectorized: (cold share, health share, heat share). The plating limit is
    cold share × health share; the accepted share is min(1, plating, heat) (`dc_power_share`)."""
    t = check_temperature_c(temperature_c)
    soh = check_percent(soh_percent, "soh_percent")
    chem = check_chemistry(chemistry)
    r_aging = _aging_resistance(soh, resistance_percent)
    cold = _arrhenius(np.asarray(FULL_POWER_FROM_C), chem) / _arrhenius(t, chem)
    health = (soh / 100.0) / r_aging
    knee = HEAT_KNEE_C[chem]
    heat = np.sqrt(np.clip(HEAT_CUT_C - t, 0.0, None) / (HEAT_CUT_C - knee) / r_aging)
    return cold, health, heat


def dc_power_share(temperature_c, soh_percent, chemistry=Chemistry.NMC, *, resistance_percent=None) -> np.ndarray:
    """The share of the vehicle's DC peak the battery accepts, vectorized (0 … 1; never NaN)."""
    cold, health, heat = dc_power_limits(temperature_c, soh_percent, chemistry, resistance_percent=resistance_percent)
    return np.clip(np.minimum(np.minimum(cold * health, heat), 1.0), 0.0, 1.0)


def dc_power_factor(
    temperature_c: float | None,
    soh_percent: float,
    chemistry: Chemistry | str = Chemistry.NMC,
    *,
    resistance_percent: float | None = None,
) -> tuple[float, list[str]]:
    """The share of the vehicle's DC peak power the battery accepts, and the reasons in words.

    `temperature_c` None (unknown): taken as 25 °C with no temperature reason; the state of health still counts.
    `resistance_percent` (100 = new), when known, replaces the assumed resistance rise with age."""
    known = temperature_c is not None
    t = float(check_temperature_c(temperature_c)) if known else 25.0
    soh = float(check_percent(soh_percent, "soh_percent"))
    chem = check_chemistry(chemistry)
    cold, health, heat = (float(x) for x in dc_power_limits(t, soh, chem, resistance_percent=resistance_percent))
    plating = cold * health
    share = min(1.0, plating, heat)
    share = 0.0 if not math.isfinite(share) else max(0.0, share)
    reasons: list[str] = []
    if share >= 1.0:
        return 1.0, reasons
    if plating <= heat:  # the lithium-plating limit binds
        if known and cold < 1.0:
            r25 = float(_arrhenius(np.asarray(t), chem))
            reasons.append(
                f"battery at {t:.0f} °C: {min(cold, 1.0) * 100:.0f} % of DC power "
                f"(lithium-plating limit; resistance ×{r25:.1f} of 25 °C)"
            )
        if health < 1.0 and known and cold < 1.0:
            reasons.append(f"state of health {soh:.0f} %: ×{health:.2f} on that limit (less capacity, more resistance)")
        elif health < 1.0:
            reasons.append(
                f"state of health {soh:.0f} %: {share * 100:.0f} % of DC power "
                f"(lithium-plating limit: less capacity, more resistance)"
            )
    else:  # the heat limit binds
        knee = HEAT_KNEE_C[chem]
        if known and t > knee:
            reasons.append(f"battery at {t:.0f} °C: {heat * 100:.0f} % of DC power (heat limit above {knee:.0f} °C)")
        else:
            reasons.append(
                f"state of health {soh:.0f} %: {heat * 100:.0f} % of DC power "
                f"(more resistance, more heat{f' at {t:.0f} °C' if known else ''})"
            )
    return share, reasons
