"""The simulation app's tables, one module per subdomain, re-exported here for Django."""

from simulation.models.feeds import FeedStatus, TrafficReading, WeatherHour
from simulation.models.health import CapacityObservation, Chemistry, HealthDay, VehicleHealth

__all__ = [
    "CapacityObservation",
    "Chemistry",
    "FeedStatus",
    "HealthDay",
    "TrafficReading",
    "VehicleHealth",
    "WeatherHour",
]
