"""Battery-health-aware charging limits: what a vehicle should get, and why, before the optimizer shares power.

- Daily target capped at 80 % (lithium-ion ages faster kept full), unless the next trip needs more: then the
  trip's energy plus a 15 % reserve, up to 100 %.
- Constant current, then constant voltage: above the knee (80 % SoC by default) the rate falls linearly towards
  a trickle at 100 % (the optimizer models it from the SoC each interval reaches).
- DC fast charging takes the share of the vehicle's DC peak the battery accepts, from the battery model
  (`simulation.battery.temperature.dc_power_factor`): a lithium-plating limit falling continuously in the cold
  (the cell's resistance by Arrhenius), a heat limit above about 45 °C, and a worn battery's lower capacity and
  higher resistance lowering both. A reading outside the model's −40…+60 °C is taken at the nearest bound.

Every reduction is written into the request's `reasons`, which the plan's explanation shows.
"""

from dataclasses import dataclass

from simulation.battery.chemistry import Chemistry
from simulation.battery.temperature import MAX_TEMPERATURE_C, MIN_TEMPERATURE_C, dc_power_factor

DAILY_CAP_PERCENT = 80.0
TRIP_RESERVE = 1.15
KNEE_PERCENT = 80.0
TRICKLE_KW = 2.0


@dataclass(frozen=True)
class Battery:
    usable_kwh: float  # when new
    soc_percent: float
    state_of_health_percent: float = 100.0
    temperature_c: float | None = None
    chemistry: Chemistry = Chemistry.NMC


@dataclass
class Limits:
    target_percent: float
    energy_kwh: float
    max_kw: float
    taper_from_soc: float
    taper_end_kw: float
    capacity_kwh: float
    reasons: list[str]


def battery_limits(
    battery: Battery,
    *,
    requested_target_percent: float | None,
    next_trip_kwh: float | None,
    vehicle_max_kw: float,
    connector_max_kw: float,
    dc: bool,
    required_percent: float | None = None,
) -> Limits:
    """The target, the energy to it and the rate limits for one vehicle on one connector. `required_percent` is
    the SoC the vehicle's next planned trip needs at departure (its driving, climate and reserve already in it):
    without a target of its own the vehicle is charged to it, above the daily cap too (the trip needs it)."""
    reasons: list[str] = []
    capacity = battery.usable_kwh * battery.state_of_health_percent / 100.0
    needed = None
    if next_trip_kwh is not None and capacity > 0:
        needed = min(100.0, next_trip_kwh * TRIP_RESERVE / capacity * 100.0)
    asked = requested_target_percent
    trip_needs_more = needed is not None and needed > DAILY_CAP_PERCENT
    if asked is None and required_percent is not None:
        target = min(100.0, max(0.0, required_percent))
    elif asked is not None and asked <= DAILY_CAP_PERCENT:
        target = asked  # an explicit target within the cap stands
    elif trip_needs_more:  # above the cap only as far as the trip needs (and as asked)
        target = needed if asked is None else max(DAILY_CAP_PERCENT, min(asked, needed))
        reasons.append(f"target {target:.0f} %: the next trip needs {next_trip_kwh:.0f} kWh plus a 15 % reserve")
    else:
        target = DAILY_CAP_PERCENT
        if asked is not None:
            reasons.append(f"target capped at {DAILY_CAP_PERCENT:.0f} % for battery health (asked {asked:.0f} %)")
    energy = max(0.0, (target - battery.soc_percent) / 100.0 * capacity)
    rate = min(vehicle_max_kw, connector_max_kw)
    if vehicle_max_kw < connector_max_kw:
        reasons.append(f"{vehicle_max_kw:.0f} kW: the vehicle's {'DC' if dc else 'AC'} limit")
    if dc:
        t, why = battery.temperature_c, []
        if t is not None and not MIN_TEMPERATURE_C <= t <= MAX_TEMPERATURE_C:
            clamped = min(MAX_TEMPERATURE_C, max(MIN_TEMPERATURE_C, t))
            why.append(f"battery reading {t:.0f} °C outside {MIN_TEMPERATURE_C:.0f}…{MAX_TEMPERATURE_C:.0f} °C, "
                       f"taken as {clamped:.0f} °C")  # fmt: skip
            t = clamped
        soh = min(100.0, max(0.0, battery.state_of_health_percent))
        factor, model_why = dc_power_factor(t, soh, battery.chemistry)
        why += model_why
        if factor < 1.0:
            rate *= factor
            reasons.append(f"DC limited to {rate:.0f} kW: " + "; ".join(why))
    if battery.soc_percent + (energy / capacity * 100.0 if capacity else 0.0) > KNEE_PERCENT + 0.01:
        reasons.append(f"rate tapers above {KNEE_PERCENT:.0f} % SoC (constant voltage)")
    return Limits(
        target_percent=target,
        energy_kwh=energy,
        max_kw=rate,
        taper_from_soc=KNEE_PERCENT,
        taper_end_kw=min(rate, TRICKLE_KW),
        capacity_kwh=capacity,
        reasons=reasons,
    )
