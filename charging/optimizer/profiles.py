"""Battery-health-aware charging limits: what a vehicle should get, and why, before the optimizer shares power.

- Daily target capped at 80 % (lithium-ion ages faster kept full), unless the next trip needs more: then the
  trip's energy plus a 15 % reserve, up to 100 %.
- Constant current, then constant voltage: above the knee (80 % SoC by default) the rate falls linearly towards
  a trickle at 100 % (the optimizer models it from the SoC each interval reaches).
- DC fast charging is reduced in the cold (below 10 °C: 50 %; below 0 °C: 25 %), in the heat (above 40 °C: 50 %)
  and for worn batteries (state of health below 80 %: 70 %; below 70 %: 50 %).

Every reduction is written into the request's `reasons`, which the plan's explanation shows.
"""

from dataclasses import dataclass

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
) -> Limits:
    """The target, the energy to it and the rate limits for one vehicle on one connector."""
    reasons: list[str] = []
    capacity = battery.usable_kwh * battery.state_of_health_percent / 100.0
    needed = None
    if next_trip_kwh is not None and capacity > 0:
        needed = min(100.0, next_trip_kwh * TRIP_RESERVE / capacity * 100.0)
    asked = requested_target_percent
    trip_needs_more = needed is not None and needed > DAILY_CAP_PERCENT
    if asked is not None and asked <= DAILY_CAP_PERCENT:
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
        factor, why = 1.0, []
        t = battery.temperature_c
        if t is not None and t < 0:
            factor, why = 0.25, [f"battery at {t:.0f} °C (below 0 °C: 25 % of DC power)"]
        elif t is not None and t < 10:
            factor, why = 0.5, [f"battery at {t:.0f} °C (below 10 °C: 50 % of DC power)"]
        elif t is not None and t > 40:
            factor, why = 0.5, [f"battery at {t:.0f} °C (above 40 °C: 50 % of DC power)"]
        soh = battery.state_of_health_percent
        if soh < 70:
            factor, why = min(factor, 0.5), why + [f"state of health {soh:.0f} % (below 70 %: 50 % of DC power)"]
        elif soh < 80:
            factor, why = min(factor, 0.7), why + [f"state of health {soh:.0f} % (below 80 %: 70 % of DC power)"]
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
