"""Where weather and traffic come from: one adapter interface each, an offline default and an HTTP adapter.

- weather: `WeatherFeed` (`base.py`); `NormalsWeather` (offline, the site's climate normals) and
  `OpenMeteoWeather` (Open-Meteo's hourly forecast JSON), in `weather.py`;
- traffic: `TrafficFeed`; `TypicalTraffic` (offline, the typical speed profiles) and `TomTomTraffic`
  (TomTom Traffic Flow `flowSegmentData` JSON), in `traffic.py`.

Plain Python (httpx for HTTP); the services in `simulation/services/feeds.py` choose the adapter from settings,
store what it answers and keep the last good data when it fails (`FeedError`).
"""

from simulation.feeds.base import FeedError, TrafficFeed, TrafficPoint, WeatherFeed, WeatherPoint
from simulation.feeds.traffic import TomTomTraffic, TypicalTraffic
from simulation.feeds.weather import NormalsWeather, OpenMeteoWeather

__all__ = [
    "FeedError",
    "NormalsWeather",
    "OpenMeteoWeather",
    "TomTomTraffic",
    "TrafficFeed",
    "TrafficPoint",
    "TypicalTraffic",
    "WeatherFeed",
    "WeatherPoint",
]
