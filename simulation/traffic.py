"""Typical traffic speeds by road class, hour and weekday, and the same reading made from a live speed.

The offline default of the traffic feed and the traffic input of the energy model (speed and stops per km).

How the typical profile is built (the basis, and what is estimated):

- **Congestion level by hour**: the TomTom Traffic Index expresses congestion as the extra travel time over
  free flow (a "congestion level" of 40 % means a trip takes 1.4 times as long). Its city reports show the same
  shape everywhere: almost none at night, a morning peak around 07:00–09:00 and a higher evening peak around
  16:00–18:00 on working days, a weak midday hump on Saturdays and little on Sundays; in large European and
  North American cities the weekday evening peak reaches about 60–80 % and the all-day average about 25–40 %.
  `URBAN_CONGESTION` below is an ESTIMATED hour-by-hour curve of that shape and size (a typical large city,
  not one city's published figures).
- **By road class**: motorways and arterial roads see less of the city's congestion than inner-city streets
  (TomTom reports its "highways" index well below the city's); the factors `CLASS_SHARE` are ESTIMATED.
- **Free-flow speeds** per class are ESTIMATED from common limits (EU/US): motorway 110 km/h (the mix of cars
  and 80–90 km/h trucks), primary/arterial 70, urban street 45 (50 km/h limit with junctions), residential 28
  (30 km/h zones).
- **Regime** from the ratio of current to free-flow speed, using the bands TomTom's Route Monitoring colours
  by (developer.tomtom.com, "Segment information"): ≥ 80 % of free flow is free flow; 60–80 % congested; below
  60 % (its red band) stop-and-go.
- **Stops per km** per class and regime are ESTIMATED from the order of magnitude of standard drive cycles
  (the urban parts of WLTC and CADC/Artemis stop about 1–3 times per km; motorway parts not at all; stop-and-go
  queues several times per km).

Plain Python and numpy; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class TrafficInputError(ValueError):
    """A traffic lookup got a value outside its range; the message names the field and the range."""


class RoadClass(StrEnum):
    MOTORWAY = "motorway"
    PRIMARY = "primary"
    URBAN = "urban"
    RESIDENTIAL = "residential"


class Regime(StrEnum):
    FREE_FLOW = "free_flow"
    CONGESTED = "congested"
    STOP_AND_GO = "stop_and_go"


@dataclass(frozen=True)
class SpeedProfile:
    """The average speed on a road and how it is driven: stops per km and the traffic regime."""

    speed_kmh: float
    stops_per_km: float
    regime: Regime


FREE_FLOW_KMH = {RoadClass.MOTORWAY: 110.0, RoadClass.PRIMARY: 70.0, RoadClass.URBAN: 45.0, RoadClass.RESIDENTIAL: 28.0}
CLASS_SHARE = {RoadClass.MOTORWAY: 0.55, RoadClass.PRIMARY: 0.8, RoadClass.URBAN: 1.0, RoadClass.RESIDENTIAL: 0.45}
# stops per km by regime, estimated (see the module docstring)
STOPS_PER_KM = {
    RoadClass.MOTORWAY: {Regime.FREE_FLOW: 0.0, Regime.CONGESTED: 0.3, Regime.STOP_AND_GO: 2.0},
    RoadClass.PRIMARY: {Regime.FREE_FLOW: 0.4, Regime.CONGESTED: 1.0, Regime.STOP_AND_GO: 3.0},
    RoadClass.URBAN: {Regime.FREE_FLOW: 1.5, Regime.CONGESTED: 2.5, Regime.STOP_AND_GO: 5.0},
    RoadClass.RESIDENTIAL: {Regime.FREE_FLOW: 2.0, Regime.CONGESTED: 3.0, Regime.STOP_AND_GO: 5.0},
}
FREE_FLOW_RATIO = 0.8  # current / free-flow speed at or above which traffic flows freely (TomTom's green bands)
STOP_AND_GO_RATIO = 0.6  # below it: stop-and-go (TomTom's red band)

# Estimated congestion level (extra travel time, fraction) on urban streets, local hours 0–23.
# fmt: off
URBAN_CONGESTION = np.array([
    # 0     1     2     3     4     5     6     7     8     9     10    11    12    13    14    15    16    17    18    19    20    21    22    23  # noqa: E501
    [0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.25, 0.60, 0.72, 0.45, 0.30, 0.30, 0.32, 0.32, 0.38, 0.50, 0.70, 0.78, 0.55, 0.32, 0.18, 0.12, 0.08, 0.05],  # Mon-Thu  # noqa: E501
    [0.03, 0.02, 0.02, 0.02, 0.03, 0.07, 0.22, 0.55, 0.65, 0.42, 0.32, 0.34, 0.38, 0.42, 0.52, 0.66, 0.76, 0.70, 0.48, 0.30, 0.18, 0.14, 0.10, 0.06],  # Friday  # noqa: E501
    [0.05, 0.04, 0.03, 0.02, 0.02, 0.03, 0.05, 0.08, 0.12, 0.18, 0.24, 0.30, 0.32, 0.30, 0.28, 0.27, 0.26, 0.24, 0.20, 0.15, 0.12, 0.10, 0.08, 0.07],  # Saturday  # noqa: E501
    [0.06, 0.05, 0.04, 0.03, 0.02, 0.02, 0.03, 0.04, 0.06, 0.09, 0.13, 0.16, 0.17, 0.17, 0.17, 0.18, 0.19, 0.18, 0.15, 0.12, 0.10, 0.08, 0.06, 0.04],  # Sunday  # noqa: E501
])
# fmt: on
_DAY_ROW = np.array([0, 0, 0, 0, 1, 2, 3])  # weekday (Monday 0) -> row of URBAN_CONGESTION


def _road_class(road_class) -> RoadClass:
    try:
        return RoadClass(road_class)
    except ValueError:
        allowed = ", ".join(c.value for c in RoadClass)
        raise TrafficInputError(f"road_class must be one of {allowed}, got {road_class!r}") from None


def _checked(name: str, values, low: float, high: float, *, high_open: bool) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TrafficInputError(f"{name} must be numbers in [{low:g}, {high:g}], got {values!r:.40}") from None
    bad = ~np.isfinite(array) | (array < low) | ((array >= high) if high_open else (array > high))
    if bad.any():
        bracket = ")" if high_open else "]"
        raise TrafficInputError(f"{name} must lie in [{low:g}, {high:g}{bracket}, got {array[bad].flat[0]:g}")
    return array


def congestion_level(road_class, hours, weekdays) -> np.ndarray:
    """The typical extra travel time over free flow (fraction) for the road class at local hours and weekdays
    (Monday 0 ... Sunday 6). Fractional hours interpolate linearly between whole hours."""
    rc = _road_class(road_class)
    hour = _checked("hour_local", hours, 0, 24, high_open=True)
    day = _checked("weekday", weekdays, 0, 6, high_open=False)
    if not np.all(day == np.floor(day)):
        raise TrafficInputError("weekday must be a whole number from 0 (Monday) to 6 (Sunday)")
    try:
        hour, day = np.broadcast_arrays(hour, day)
    except ValueError:
        raise TrafficInputError(
            f"hour_local and weekday must broadcast to one shape, got {hour.shape} and {day.shape}"
        ) from None
    row = _DAY_ROW[day.astype(int)]
    low = np.floor(hour).astype(int)
    high = (low + 1) % 24
    next_row = np.where(high == 0, _DAY_ROW[(day.astype(int) + 1) % 7], row)
    weight = hour - low
    level = URBAN_CONGESTION[row, low] * (1 - weight) + URBAN_CONGESTION[next_row, high] * weight
    return level * CLASS_SHARE[rc]


def typical_speed_kmh(road_class, hours, weekdays) -> np.ndarray:
    """Typical average speed (km/h): free flow ÷ (1 + congestion level). Vectorized over hours and weekdays."""
    rc = _road_class(road_class)
    return FREE_FLOW_KMH[rc] / (1.0 + congestion_level(rc, hours, weekdays))


def regime_for_ratio(ratio: float) -> Regime:
    if ratio >= FREE_FLOW_RATIO:
        return Regime.FREE_FLOW
    if ratio >= STOP_AND_GO_RATIO:
        return Regime.CONGESTED
    return Regime.STOP_AND_GO


def _profile(rc: RoadClass, speed_kmh: float, ratio: float) -> SpeedProfile:
    regime = regime_for_ratio(ratio)
    return SpeedProfile(speed_kmh=float(speed_kmh), stops_per_km=STOPS_PER_KM[rc][regime], regime=regime)


def typical_profile(road_class, hour_local: float, weekday: int) -> SpeedProfile:
    """The typical speed, stops per km and regime for the road class at a local hour (0 to <24) on a weekday
    (Monday 0 ... Sunday 6)."""
    rc = _road_class(road_class)
    speed = float(typical_speed_kmh(rc, hour_local, weekday))
    return _profile(rc, speed, speed / FREE_FLOW_KMH[rc])


def profile_from_speed(road_class, current_kmh: float, free_flow_kmh: float) -> SpeedProfile:
    """The profile a live reading describes (e.g. TomTom's currentSpeed and freeFlowSpeed). A current speed
    above free flow counts as free flow. A closed road (current 0) is stop-and-go at 0 km/h."""
    rc = _road_class(road_class)
    current = float(_checked("current_kmh", current_kmh, 0, 400, high_open=False))
    free = float(_checked("free_flow_kmh", free_flow_kmh, 0, 400, high_open=False))
    if free <= 0:
        raise TrafficInputError(f"free_flow_kmh must be above 0 km/h, got {free:g}")
    return _profile(rc, current, min(1.0, current / free))
