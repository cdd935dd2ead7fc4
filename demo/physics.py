"""The demo fleet's weather and driving energy from the simulation's models, so that its telemetry agrees with
what the models expect: each depot's climate normals (with their daily cycle) and the energy model of each
vehicle's catalogue model at the speed and temperature of each step.

Each vehicle draws a few per cent more or less than its model (a driver's style, 94–110 %), and two draw far
more, so the consumption page has something to flag: NW-003's cab heater stays on, WB-057 runs on
under-inflated tyres."""

import zlib
from datetime import datetime
from functools import lru_cache

from fleet.demo import DemoPhysics
from fleet.models import Vehicle, VehicleModel
from simulation import climate
from simulation.energy import segment_energy
from simulation.vehicles import MissingParameters, params_for

OVER_CONSUMERS = {"NW-003": 1.45, "WB-057": 1.35}  # fleet number -> share of the model's energy


def _style(fleet_number: str) -> float:
    """A driver's style, the same on every run: 0.94 to 1.10 of the model."""
    return 0.94 + (zlib.crc32(fleet_number.encode()) % 1000) / 1000 * 0.16


@lru_cache(maxsize=64)
def _normals(depot: tuple[float, float]) -> climate.MonthlyNormals:
    return climate.normals_for(*depot)


def ambient_c(depot: tuple[float, float], local: datetime) -> float:
    """The depot's typical air temperature at that local time of year and day."""
    hour = local.hour + local.minute / 60
    return float(climate.temperature_c(_normals(depot), local.month, hour, local.day))


@lru_cache(maxsize=20_000)
def _kwh_per_km(make: str, name: str, variant: str, speed_kmh: int, ambient_c: int) -> float | None:
    try:
        params = params_for(make, name, variant)
    except MissingParameters:
        return None
    energy = segment_energy(params, distance_km=1.0, speed_kmh=float(speed_kmh), ambient_c=float(ambient_c))
    return float(energy.total_kwh)


def driving_kwh(vehicle: Vehicle, model: VehicleModel, km: float, speed_kmh: float, ambient_c: float) -> float:
    """The model's energy for the step (speed and temperature rounded to whole units, cached), times the vehicle's
    style; a model the simulation has no parameters for draws its catalogue figure."""
    clipped = min(60.0, max(-40.0, ambient_c))
    per_km = _kwh_per_km(model.make, model.name, model.variant, round(speed_kmh), round(clipped))
    if per_km is None:
        per_km = model.consumption_wh_per_km / 1000.0
    factor = OVER_CONSUMERS.get(vehicle.fleet_number, _style(vehicle.fleet_number))
    return km * per_km * factor


SIMULATED_PHYSICS = DemoPhysics(ambient_c=ambient_c, driving_kwh=driving_kwh)
