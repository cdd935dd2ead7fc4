"""The simulation app's tables, one module per subdomain, re-exported here for Django."""

from simulation.models.feeds import FeedStatus, TrafficReading, WeatherHour

__all__ = ["FeedStatus", "TrafficReading", "WeatherHour"]
