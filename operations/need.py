"""A trip's energy need: what the battery must hold at departure (driving, heating or cooling, the reserve), as
kWh and as the required SoC. `compute` fills the trip's need fields; `check_range` refuses a trip the vehicle
cannot drive on a full battery.

This first version prices driving with the vehicle model's rated consumption; the simulation's energy model
(temperature, traffic, road mix) replaces it (issue 17, item 2)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from operations.models import OperationsPolicy, Trip

DEFAULT_RESERVE_PERCENT = 10.0


@dataclass(frozen=True)
class Need:
    driving_kwh: float
    climate_kwh: float
    reserve_kwh: float
    capacity_kwh: float
    ambient_temperature_c: float | None
    temperature_source: str

    @property
    def total_kwh(self) -> float:
        return self.driving_kwh + self.climate_kwh + self.reserve_kwh

    @property
    def required_soc_percent(self) -> float:
        return 100.0 * self.total_kwh / self.capacity_kwh if self.capacity_kwh else 100.0


def reserve_percent(department_id: int) -> float:
    policy = OperationsPolicy.objects.filter(department_id=department_id).only("reserve_percent").first()
    return policy.reserve_percent if policy else DEFAULT_RESERVE_PERCENT


def capacity_kwh(vehicle) -> float:
    return float(vehicle.vehicle_model.usable_battery_kwh) * vehicle.state_of_health_percent / 100.0


def trip_distance_km(trip: Trip) -> float:
    distance = trip.effective_distance_km()
    return float(distance or 0.0)


def estimate(trip: Trip, *, reserve: float | None = None) -> Need:
    vehicle = trip.vehicle
    capacity = capacity_kwh(vehicle)
    reserve = reserve_percent(trip.department_id) if reserve is None else reserve
    driving = trip_distance_km(trip) * vehicle.vehicle_model.consumption_wh_per_km / 1000.0
    return Need(round(driving, 3), 0.0, round(capacity * reserve / 100.0, 3), capacity, None, "")


def compute(trip: Trip) -> Need:
    """Fill the trip's need fields (not saved)."""
    need = estimate(trip)
    trip.driving_kwh, trip.climate_kwh, trip.reserve_kwh = need.driving_kwh, need.climate_kwh, need.reserve_kwh
    trip.ambient_temperature_c, trip.temperature_source = need.ambient_temperature_c, need.temperature_source
    trip.required_soc_percent = round(need.required_soc_percent, 1)
    trip.need_computed_at = timezone.now()
    return need


def check_range(trip: Trip, need: Need) -> None:
    if need.total_kwh > need.capacity_kwh:
        raise ValidationError(
            {
                "distance_km": f"This trip needs {need.total_kwh:.0f} kWh (driving {need.driving_kwh:.0f}, "
                f"heating or cooling {need.climate_kwh:.0f}, reserve {need.reserve_kwh:.0f}), more than "
                f"{trip.vehicle}'s {need.capacity_kwh:.0f} kWh on a full battery, and no charging stop is planned: "
                "shorten it, split it into two trips or give it to a vehicle with a larger battery."
            },
            code="beyond_range",
        )
