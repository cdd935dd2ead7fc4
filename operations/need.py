"""A trip's energy need: what the battery must hold at departure (driving, heating or cooling, the reserve), as
kWh and as the required SoC. `compute` fills the trip's need fields; `check_range` refuses a trip the vehicle
cannot drive on a full battery.

The database reads live here (the trip's distance, route stops, vehicle model, the depot's forecast, the
department's reserve); the arithmetic is `operations.energy` (the simulation's energy and traffic models; its
docstring and docs/operations.md say how each part is made and where its figures come from)."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from operations import energy
from operations.models import OperationsPolicy, Trip
from simulation.selectors.feeds import weather_at

DEFAULT_RESERVE_PERCENT = 10.0


@dataclass(frozen=True)
class Need:
    driving_kwh: float
    climate_kwh: float
    reserve_kwh: float
    capacity_kwh: float  # usable kWh at the state of health
    ambient_temperature_c: float | None
    temperature_source: str
    distance_km: float = 0.0
    distance_source: str = ""  # "trip", "route" or "stops (estimated)"
    mean_speed_kmh: float = 0.0
    vehicle_source: str = ""

    @property
    def total_kwh(self) -> float:
        return self.driving_kwh + self.climate_kwh + self.reserve_kwh

    @property
    def required_soc_percent(self) -> float:
        return energy.required_soc_percent(self.total_kwh, self.capacity_kwh)


def reserve_percent(department_id: int) -> float:
    policy = OperationsPolicy.objects.filter(department_id=department_id).only("reserve_percent").first()
    return policy.reserve_percent if policy else DEFAULT_RESERVE_PERCENT


def capacity_kwh(vehicle) -> float:
    """Usable kWh at the vehicle's state of health."""
    return float(vehicle.vehicle_model.usable_battery_kwh) * float(vehicle.state_of_health_percent) / 100.0


def trip_distance(trip: Trip) -> tuple[float, str]:
    """(km, source): the trip's own distance, else its route's, else measured from the route's stops."""
    if trip.distance_km is not None:
        return float(trip.distance_km), "trip"
    if trip.route_id is None:
        return 0.0, ""
    if trip.route.distance_km is not None:
        return float(trip.route.distance_km), "route"
    stops = [(s.latitude, s.longitude) for s in sorted(trip.route.stops.all(), key=lambda s: s.sequence)]
    depot = (trip.depot.latitude, trip.depot.longitude)
    return energy.round_trip_km(depot, stops), "stops (estimated)"


def trip_distance_km(trip: Trip) -> float:
    return trip_distance(trip)[0]


def vehicle_model(vehicle) -> energy.VehicleEnergyModel:
    model = vehicle.vehicle_model
    return energy.stand_in_params(
        model.make, model.name, model.variant, model.vehicle_class, model.consumption_wh_per_km
    )


def estimate(trip: Trip, *, reserve: float | None = None, now=None) -> Need:
    """The trip's need (nothing saved). `reserve` (%) overrides the department's policy."""
    vehicle = trip.vehicle
    capacity = capacity_kwh(vehicle)
    reserve = reserve_percent(trip.department_id) if reserve is None else reserve
    distance, distance_source = trip_distance(trip)
    weather = weather_at(trip.depot, trip.departs_at, now=now)
    local = trip.departs_at.astimezone(ZoneInfo(trip.depot.time_zone))
    hours = (trip.returns_at - trip.departs_at).total_seconds() / 3600 if trip.returns_at else 1.0
    model = vehicle_model(vehicle)
    parts = energy.trip_energy(
        model,
        distance_km=distance,
        road_mix=trip.road_mix,
        departs_hour_local=local.hour + local.minute / 60,
        weekday=local.weekday(),
        hours=hours,
        ambient_c=weather.temperature_c,
    )
    return Need(
        driving_kwh=round(parts.driving_kwh, 3),
        climate_kwh=round(parts.climate_kwh, 3),
        reserve_kwh=round(energy.reserve_kwh(capacity, reserve), 3),
        capacity_kwh=capacity,
        ambient_temperature_c=weather.temperature_c,
        temperature_source=weather.source,
        distance_km=round(distance, 1),
        distance_source=distance_source,
        mean_speed_kmh=round(parts.mean_speed_kmh, 1),
        vehicle_source=model.source,
    )


def compute(trip: Trip, *, reserve: float | None = None) -> Need:
    """Fill the trip's need fields (not saved). `reserve` (%): the department's, when the caller has read it."""
    need = estimate(trip, reserve=reserve)
    trip.driving_kwh, trip.climate_kwh, trip.reserve_kwh = need.driving_kwh, need.climate_kwh, need.reserve_kwh
    trip.ambient_temperature_c, trip.temperature_source = need.ambient_temperature_c, need.temperature_source[:20]
    trip.required_soc_percent = round(need.required_soc_percent, 1)
    trip.need_computed_at = timezone.now()
    return need


def check_range(trip: Trip, need: Need) -> None:
    """Refuse a trip whose need (reserve included) is more than the battery holds at its state of health."""
    if need.total_kwh > need.capacity_kwh:
        raise ValidationError(
            {
                "distance_km": f"This trip needs {need.total_kwh:.0f} kWh (driving {need.driving_kwh:.0f}, "
                f"heating or cooling {need.climate_kwh:.0f}, reserve {need.reserve_kwh:.0f}) for "
                f"{need.distance_km:.0f} km, more than {trip.vehicle}'s {need.capacity_kwh:.0f} kWh on a full "
                "battery, and no charging stop is planned: shorten the distance, split it into two trips or give "
                "it to a vehicle with a larger battery."
            },
            code="beyond_range",
        )
