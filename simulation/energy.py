"""Energy a vehicle draws from its battery over road segments: road load, stops, HVAC, battery conditioning.

Plain Python and numpy, no Django; every argument broadcasts (scalars or arrays of one shape), so 100,000
segments are one call. The equations (docs/simulation-energy.md has them with the parameter table):

Traction, per segment at constant mean speed v (m/s), head wind w (m/s), grade s = grade_percent / 100:

    F_aero  = 1/2 rho(T) CdA (v + w) |v + w|,     rho(T) = 101325 / (287.05 (T + 273.15))   (ideal gas, sea level)
    F_roll  = Crr k_surface k_T(T) m g cos(atan s),   k_T = 1 + Kt (25 - T)   (ISO 28580 temperature correction)
    F_grade = m g sin(atan s)
    E_wheel = (F_aero + F_roll + F_grade) d
    E_road  = E_wheel / eta_drive               if E_wheel >= 0
            = E_wheel * eta_drive               if E_wheel <  0   (downhill: the motor brakes and recovers)
    E_stops = n_stops d  1/2 m_eff v_peak^2 (1 / eta_drive - eta_regen),   m_eff = 1.05 m,  v_peak = 1.6 v
    eta_drive(T) = drivetrain_efficiency (1 - cold_drivetrain_per_k clip(20 - T, 0, 30))   (calibrated, AAA 2019)

(road-load formulation as in Fiori, Ahn & Rakha 2016, Applied Energy 168, 257-268, and Genikomsakis &
Mitrentsis 2017, Transp. Res. D 50, 98-118: the kinetic energy of each stop-start is spent at the drivetrain
efficiency and partly returned by regenerative braking). ``v_peak`` is the speed reached between stops when
``speed_kmh`` is the mean over the segment including the stops: 1.6 x the mean, from the EPA urban cycle
(UDDS: mean 31.5 km/h, micro-trip peaks 40-90 km/h, root mean square of the peaks about 50 km/h).

Cabin HVAC, from the steady cabin heat balance at the set point T_set = 21 °C:

    Q_cabin = UA_cabin (T_set - T) - Q_gain      (> 0 heating, < 0 cooling; W)
    P_hvac  = min(|Q_cabin| / COP, P_max)
    COP heating: heat pump 2.0 + 0.06 T, clipped to [1, 3.5] (falls to 1 near -17 °C, where the resistive backup
                 takes over); resistive 1.0.   COP cooling: 2.5 - 0.05 (T - 25), clipped to [1.2, 2.5].

(the fall of heat-pump COP with ambient temperature follows the measurements reviewed in Zhang, Li, Wang & Wu
2018, "A review of heat pump systems for electric vehicles", Renew. Sust. Energy Rev. 70, about 2 at 0 °C and
1.2-1.5 near -15 °C; the AC level is typical mobile air conditioning at 25-45 °C, set against AAA 2019 at 35 °C).

Battery conditioning: the battery management holds the pack inside [keep_above, keep_below] while driving;
the pack loses UA_batt (keep_above - T) to a colder ambient and gains the I^2 R losses (loss_fraction x the
traction power); heating covers the difference (the heat pump's COP where fitted, else 1); cooling removes
UA_batt (T - keep_below) plus the losses through the AC (cooling COP).

Auxiliaries: auxiliary_kw x time. Time = distance / mean speed.

Totals are never NaN and never negative: when regeneration downhill exceeds everything else drawn, the segment's
traction is clipped so the total equals the auxiliary load (the surplus charges the battery, which this
consumption model does not count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.vehicles import EnergyParams

G = 9.81
SET_POINT_C = 21.0
ROTATING_MASS_FACTOR = 1.05
PEAK_TO_MEAN_SPEED = 1.6
# Rolling resistance on a wet or snow-covered road relative to dry. Wet: a 0.5-1 mm water film adds about
# 10-20 % (Ejsmont, Sommer, Swieczko-Zurek & Wieczorek, "Influence of road wetness on tire-pavement rolling
# resistance", J. Civil Eng. Architecture 2015). Snow: a thin compacted or loose snow layer raises car-tyre
# rolling resistance by a factor of about 1.5-2 (Gillespie 1992, *Fundamentals of Vehicle Dynamics*, ch. 4;
# Sandberg (ed.) 2011, MIRIAM SP1 report "Rolling resistance - basic information and state-of-the-art").
SURFACE_FACTOR = {"dry": 1.0, "wet": 1.15, "snow": 1.6}

AMBIENT_RANGE_C = (-40.0, 60.0)
SPEED_RANGE_KMH = (0.0, 250.0)
STOPS_RANGE_PER_KM = (0.0, 20.0)
HEADWIND_RANGE_MS = (-40.0, 40.0)
GRADE_RANGE_PERCENT = (-30.0, 30.0)
PAYLOAD_RANGE_KG = (0.0, 40_000.0)


class EnergyInputError(ValueError):
    """An input of the energy model is outside its allowed range (``field`` names it)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class EnergyBreakdown:
    """Battery energy per segment (kWh arrays of the broadcast input shape)."""

    distance_km: np.ndarray
    traction_kwh: np.ndarray
    hvac_kwh: np.ndarray
    conditioning_kwh: np.ndarray
    auxiliary_kwh: np.ndarray
    total_kwh: np.ndarray

    @property
    def wh_per_km(self) -> np.ndarray:
        """Total per distance (Wh/km); 0 for a zero-length segment."""
        out = np.zeros_like(self.total_kwh)
        np.divide(self.total_kwh * 1000.0, self.distance_km, out=out, where=self.distance_km > 0)
        return out


def _checked(field: str, value, low: float, high: float) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise EnergyInputError(field, f"must be numbers (allowed {low:g} to {high:g}), got {value!r:.40}") from None
    if np.isnan(array).any():
        raise EnergyInputError(field, f"NaN is not allowed (allowed {low:g} to {high:g})")
    if (array < low).any() or (array > high).any():
        bad = array[(array < low) | (array > high)].flat[0]
        raise EnergyInputError(field, f"{bad:g} is outside the allowed {low:g} to {high:g}")
    return array


def _check_shapes(**arrays: np.ndarray) -> None:
    """EnergyInputError naming the first input whose shape does not broadcast with those before it."""
    shape: tuple[int, ...] = ()
    for name, array in arrays.items():
        try:
            shape = np.broadcast_shapes(shape, np.shape(array))
        except ValueError:
            raise EnergyInputError(
                name, f"shape {np.shape(array)} does not broadcast with the other inputs' shape {shape}"
            ) from None


def _surface_factor(surface) -> np.ndarray | float:
    if isinstance(surface, str):
        if surface not in SURFACE_FACTOR:
            raise EnergyInputError("surface", f"{surface!r} is not one of {', '.join(SURFACE_FACTOR)}")
        return SURFACE_FACTOR[surface]
    names = np.asarray(surface, dtype=str)
    unknown = set(np.unique(names)) - set(SURFACE_FACTOR)
    if unknown:
        raise EnergyInputError("surface", f"{sorted(unknown)[0]!r} is not one of {', '.join(SURFACE_FACTOR)}")
    factor = np.empty(names.shape, dtype=float)
    for name, value in SURFACE_FACTOR.items():
        factor[names == name] = value
    return factor


def air_density_kg_m3(ambient_c) -> np.ndarray:
    """Dry air at sea-level pressure (ideal gas)."""
    return 101_325.0 / (287.05 * (np.asarray(ambient_c, dtype=float) + 273.15))


def heating_cop(ambient_c, heat_pump: bool) -> np.ndarray:
    """Coefficient of performance of cabin heating: a heat pump's falls with the ambient; resistive is 1."""
    ambient = np.asarray(ambient_c, dtype=float)
    if not heat_pump:
        return np.ones_like(ambient)
    return np.clip(2.0 + 0.06 * ambient, 1.0, 3.5)


def cooling_cop(ambient_c) -> np.ndarray:
    """Coefficient of performance of the air conditioning, falling as the ambient rises."""
    return np.clip(2.5 - 0.05 * (np.asarray(ambient_c, dtype=float) - 25.0), 1.2, 2.5)


def drivetrain_efficiency(params: EnergyParams, ambient_c) -> np.ndarray:
    """Battery-to-wheel efficiency, lower in the cold (cold gear oil and bearing grease, higher internal
    resistance of a cold pack): ``cold_drivetrain_per_k`` per kelvin below 20 °C, at most 30 K."""
    cold_k = np.clip(20.0 - np.asarray(ambient_c, dtype=float), 0.0, 30.0)
    return params.drivetrain_efficiency * (1.0 - params.cold_drivetrain_per_k * cold_k)


def hvac_kw(params: EnergyParams, ambient_c) -> np.ndarray:
    """Electrical power of the cabin HVAC holding 21 °C at this ambient (kW, steady state)."""
    ambient = np.asarray(ambient_c, dtype=float)
    load_w = params.cabin_ua_w_per_k * (SET_POINT_C - ambient) - params.cabin_gain_w
    heating = np.maximum(load_w, 0.0) / heating_cop(ambient, params.heat_pump)
    cooling = np.maximum(-load_w, 0.0) / cooling_cop(ambient)
    return np.minimum((heating + cooling) / 1000.0, params.hvac_max_kw)


def conditioning_kw(params: EnergyParams, ambient_c, traction_kw) -> np.ndarray:
    """Electrical power holding the pack inside its window while driving (kW)."""
    thermal = params.battery_thermal
    ambient = np.asarray(ambient_c, dtype=float)
    losses_w = thermal.loss_fraction * np.maximum(np.asarray(traction_kw, dtype=float), 0.0) * 1000.0
    heat_w = thermal.ua_w_per_k * np.maximum(thermal.keep_above_c - ambient, 0.0) - losses_w
    cop_heat = heating_cop(ambient, params.heat_pump)
    heating = np.maximum(heat_w, 0.0) / cop_heat if thermal.heated else np.zeros_like(heat_w)
    hot = ambient > thermal.keep_below_c
    cool_w = np.where(hot, thermal.ua_w_per_k * (ambient - thermal.keep_below_c) + losses_w, 0.0)
    cooling = cool_w / cooling_cop(ambient) if thermal.cooled else np.zeros_like(cool_w)
    return (heating + cooling) / 1000.0


def segment_energy(
    params: EnergyParams,
    *,
    distance_km,
    speed_kmh,
    ambient_c,
    stops_per_km=0.0,
    headwind_ms=0.0,
    grade_percent=0.0,
    surface="dry",
    payload_kg=0.0,
    hvac=True,
    road_load_ambient_c=None,
) -> EnergyBreakdown:
    """Battery energy of each segment: ``speed_kmh`` is the segment's mean speed including its stops.

    Raises :class:`EnergyInputError` naming the field for NaN, a negative distance or speed, an ambient outside
    -40...+60 °C, or another input outside its range (see the ``*_RANGE`` constants).

    ``road_load_ambient_c`` (default: ``ambient_c``) is the temperature of the road-load terms (air density, tyre
    temperature): a chassis dynamometer applies road load set up at its own temperature, so a dynamometer test in
    a climatic chamber is modelled with the set-up temperature here."""
    distance = _checked("distance_km", distance_km, 0.0, 1e5)
    speed = _checked("speed_kmh", speed_kmh, *SPEED_RANGE_KMH)
    ambient = _checked("ambient_c", ambient_c, *AMBIENT_RANGE_C)
    stops = _checked("stops_per_km", stops_per_km, *STOPS_RANGE_PER_KM)
    wind = _checked("headwind_ms", headwind_ms, *HEADWIND_RANGE_MS)
    grade = _checked("grade_percent", grade_percent, *GRADE_RANGE_PERCENT)
    payload = _checked("payload_kg", payload_kg, *PAYLOAD_RANGE_KG)
    road_ambient = (
        ambient
        if road_load_ambient_c is None
        else _checked("road_load_ambient_c", road_load_ambient_c, *AMBIENT_RANGE_C)
    )
    surface_factor = _surface_factor(surface)
    hvac_on = np.asarray(hvac, dtype=bool)
    _check_shapes(
        distance_km=distance, speed_kmh=speed, ambient_c=ambient, road_load_ambient_c=road_ambient,
        stops_per_km=stops, headwind_ms=wind, grade_percent=grade, payload_kg=payload,
        surface=np.asarray(surface_factor), hvac=hvac_on,
    )  # fmt: skip
    distance, speed, ambient, road_ambient, stops, wind, grade, payload, surface_factor, hvac_on = np.broadcast_arrays(
        distance, speed, ambient, road_ambient, stops, wind, grade, payload, surface_factor, hvac_on
    )
    if ((speed <= 0.0) & (distance > 0.0)).any():
        raise EnergyInputError("speed_kmh", "must be above 0 where distance_km is above 0")

    mass = params.mass_kg + payload
    v = speed / 3.6
    air = v + wind
    theta = np.arctan(grade / 100.0)
    k_temperature = np.maximum(1.0 + params.tyre_temperature_coefficient * (25.0 - road_ambient), 0.7)
    force_n = (
        0.5 * air_density_kg_m3(road_ambient) * params.drag_area_m2 * air * np.abs(air)
        + params.rolling_resistance * surface_factor * k_temperature * mass * G * np.cos(theta)
        + mass * G * np.sin(theta)
    )
    wheel_kwh = force_n * distance * 1000.0 / 3.6e6
    eta = drivetrain_efficiency(params, ambient)
    road_kwh = np.where(wheel_kwh >= 0.0, wheel_kwh / eta, wheel_kwh * eta)
    v_peak = PEAK_TO_MEAN_SPEED * v
    stop_j = 0.5 * ROTATING_MASS_FACTOR * mass * v_peak**2 * (1.0 / eta - params.regen_efficiency)
    stops_kwh = stops * distance * stop_j / 3.6e6
    traction_kwh = road_kwh + stops_kwh

    hours = np.zeros_like(distance)
    np.divide(distance, speed, out=hours, where=speed > 0.0)
    traction_kw = np.zeros_like(distance)
    np.divide(traction_kwh, hours, out=traction_kw, where=hours > 0.0)
    hvac_kwh = np.where(hvac_on, hvac_kw(params, ambient) * hours, 0.0)
    conditioning_kwh = conditioning_kw(params, ambient, traction_kw) * hours
    auxiliary_kwh = params.auxiliary_kw * hours
    # Regeneration downhill may exceed what the heater and the battery draw: never let the total fall below
    # the auxiliary load (the surplus would charge the battery; a consumption model does not count it).
    traction_kwh = np.maximum(traction_kwh, -(hvac_kwh + conditioning_kwh))
    total_kwh = traction_kwh + hvac_kwh + conditioning_kwh + auxiliary_kwh
    return EnergyBreakdown(
        distance_km=distance.astype(float),
        traction_kwh=traction_kwh,
        hvac_kwh=hvac_kwh,
        conditioning_kwh=conditioning_kwh,
        auxiliary_kwh=auxiliary_kwh,
        total_kwh=total_kwh,
    )


def consumption_wh_per_km(params: EnergyParams, *, speed_kmh, ambient_c, **conditions) -> float | np.ndarray:
    """Consumption at the battery (Wh/km) at this mean speed and ambient; other conditions as ``segment_energy``.

    A float for scalar inputs, else an array."""
    breakdown = segment_energy(params, distance_km=1.0, speed_kmh=speed_kmh, ambient_c=ambient_c, **conditions)
    result = breakdown.wh_per_km
    return float(result) if result.ndim == 0 else result
