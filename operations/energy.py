"""A trip's energy from the simulation's models: plain Python and numpy, no Django (`operations.need` reads the
database and calls this).

How a trip is priced (docs/operations.md has it with an example):

- **Distance**: the trip's own, else its route's, else measured from the route's stops: great-circle legs
  depot → stops in order → depot (haversine, mean Earth radius 6371.0 km) times ``DETOUR_FACTOR``.
- **Vehicle**: the energy parameters of its catalogue model (``simulation.vehicles.params_for``); a model the
  simulation has no parameters for borrows those of the catalogue model of its class whose rated consumption is
  nearest, and its driving energy is scaled by the ratio of the two rated consumptions (``stand_in_params``).
- **Traffic**: the typical speed and stops per km of the trip's road mix (``simulation.traffic.typical_profile``)
  at each local hour the trip spans (from the departure, in the depot's zone, at most 24 hours), the distance
  spread evenly over those hours. "mixed" is ``MIXED_BLEND``: half urban streets, half arterial roads.
- **Temperature**: the forecast at the depot at the departure (the caller reads it; the climate normals stand in
  when no forecast is stored), held for the whole trip: a morning departure is the cold end of a working day, so
  this errs on the side of more energy.
- **Parts**: ``simulation.energy.segment_energy`` gives traction, auxiliaries, cabin HVAC and battery
  conditioning. *Driving* is traction + auxiliaries (it already counts what the cold does to the drivetrain, the
  air density and the tyres); *heating or cooling* is cabin HVAC + battery conditioning.
- **Reserve**: the department's reserve % (OperationsPolicy) of the usable battery at its state of health.
- **Required SoC** = (driving + climate + reserve) ÷ (usable kWh × state of health), in %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fleet.catalogue import VEHICLE_MODELS
from simulation import traffic
from simulation.energy import AMBIENT_RANGE_C, segment_energy
from simulation.vehicles import EnergyParams, MissingParameters, params_for

EARTH_RADIUS_KM = 6371.0
# Road distance over straight-line distance. ESTIMATED: measured circuity factors of road networks are about
# 1.2 (Ballou, Rahardja & Sakai 2002, "Selected country circuity factors for road and rail network planning",
# Transportation Research Part A 36, 843-848: 1.1-1.4 by country) to 1.4 (Boscoe, Henry & Zdeb 2012, driving vs
# straight-line distance to US hospitals: mean 1.42 over short trips); 1.3 sits between them for delivery rounds.
DETOUR_FACTOR = 1.3
# Road mix -> (road class, share of the distance). ESTIMATED: "mixed" is half town streets, half arterial roads.
MIXED_BLEND = ((traffic.RoadClass.URBAN, 0.5), (traffic.RoadClass.PRIMARY, 0.5))
ROAD_MIX = {
    "urban": ((traffic.RoadClass.URBAN, 1.0),),
    "mixed": MIXED_BLEND,
    "primary": ((traffic.RoadClass.PRIMARY, 1.0),),
    "motorway": ((traffic.RoadClass.MOTORWAY, 1.0),),
    "residential": ((traffic.RoadClass.RESIDENTIAL, 1.0),),
}
MAX_HOURS = 24


class TripEnergyError(ValueError):
    """An input of a trip's energy is out of range; ``field`` names it."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (latitude, longitude) points in degrees, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def round_trip_km(depot: tuple[float, float], stops: Sequence[tuple[float, float]]) -> float:
    """Depot → stops in order → depot: the great-circle legs times ``DETOUR_FACTOR`` (0 without stops)."""
    if not stops:
        return 0.0
    points = [depot, *stops, depot]
    straight = sum(great_circle_km(points[i], points[i + 1]) for i in range(len(points) - 1))
    return straight * DETOUR_FACTOR


@dataclass(frozen=True)
class VehicleEnergyModel:
    """The parameters a vehicle is priced with, the factor on its driving energy and where they come from."""

    params: EnergyParams
    driving_scale: float
    source: str


def stand_in_params(
    make: str, name: str, variant: str, vehicle_class: str, rated_wh_per_km: float | None
) -> VehicleEnergyModel:
    """The model's own parameters, or (a model the simulation has none for) those of the catalogue model of the
    same class whose rated consumption is nearest, its driving scaled by rated ÷ the stand-in's rated."""
    try:
        return VehicleEnergyModel(params_for(make, name, variant), 1.0, "simulation parameters of the model")
    except MissingParameters:
        pass
    same_class = [m for m in VEHICLE_MODELS if m["vehicle_class"] == vehicle_class] or list(VEHICLE_MODELS)
    rated = float(rated_wh_per_km) if rated_wh_per_km else None
    nearest = min(same_class, key=lambda m: abs(m["consumption_wh_per_km"] - (rated or 0.0)))
    params = params_for(nearest["make"], nearest["name"], nearest["variant"])
    scale = rated / nearest["consumption_wh_per_km"] if rated else 1.0
    return VehicleEnergyModel(
        params,
        scale,
        f"stand-in: {nearest['make']} {nearest['name']} ({nearest['variant']}) scaled to the rated "
        f"{rated or nearest['consumption_wh_per_km']:.0f} Wh/km",
    )


@dataclass(frozen=True)
class TripEnergy:
    driving_kwh: float
    climate_kwh: float
    mean_speed_kmh: float


def trip_energy(
    model: VehicleEnergyModel,
    *,
    distance_km: float,
    road_mix: str,
    departs_hour_local: float,
    weekday: int,
    hours: float,
    ambient_c: float,
) -> TripEnergy:
    """Driving and heating-or-cooling energy (kWh) of a trip: the distance spread over the local hours it spans,
    each hour at the road mix's typical speed and stops per km, at ``ambient_c`` throughout."""
    if not math.isfinite(distance_km) or distance_km < 0:
        raise TripEnergyError("distance_km", f"must be a distance of 0 km or more, got {distance_km!r}")
    if road_mix not in ROAD_MIX:
        raise TripEnergyError("road_mix", f"must be one of {', '.join(ROAD_MIX)}, got {road_mix!r}")
    if distance_km == 0:
        return TripEnergy(0.0, 0.0, 0.0)
    ambient = min(max(float(ambient_c), AMBIENT_RANGE_C[0]), AMBIENT_RANGE_C[1])
    n_hours = max(1, min(MAX_HOURS, math.ceil(hours))) if math.isfinite(hours) else 1
    distances, speeds, stops = [], [], []
    for k in range(n_hours):
        at = departs_hour_local + k
        hour, day = at % 24, (weekday + int(at // 24)) % 7
        for road_class, share in ROAD_MIX[road_mix]:
            profile = traffic.typical_profile(road_class, hour, day)
            distances.append(distance_km * share / n_hours)
            speeds.append(profile.speed_kmh)
            stops.append(profile.stops_per_km)
    energy = segment_energy(
        model.params,
        distance_km=np.array(distances),
        speed_kmh=np.array(speeds),
        ambient_c=ambient,
        stops_per_km=np.array(stops),
    )
    driving = float(np.sum(energy.traction_kwh + energy.auxiliary_kwh)) * model.driving_scale
    climate = float(np.sum(energy.hvac_kwh + energy.conditioning_kwh))
    hours_driven = float(np.sum(np.array(distances) / np.array(speeds)))
    return TripEnergy(driving, climate, distance_km / hours_driven if hours_driven else 0.0)


def reserve_kwh(capacity_kwh: float, reserve_percent: float) -> float:
    """The reserve: ``reserve_percent`` of the capacity (usable kWh at the state of health)."""
    return capacity_kwh * reserve_percent / 100.0


def required_soc_percent(total_kwh: float, capacity_kwh: float) -> float:
    """Total ÷ capacity (usable kWh × state of health), in %; 100 without a capacity."""
    return 100.0 * total_kwh / capacity_kwh if capacity_kwh > 0 else 100.0
