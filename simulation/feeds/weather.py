"""Weather adapters: the site's climate normals (offline) and Open-Meteo's hourly forecast.

Open-Meteo (https://open-meteo.com/en/docs), as this adapter asks for it:

    GET <EVFLEET_WEATHER_URL, e.g. https://api.open-meteo.com/v1/forecast>?latitude=52.52&longitude=13.41
        &hourly=temperature_2m,precipitation,snowfall,wind_speed_10m,wind_direction_10m
        &timezone=UTC&wind_speed_unit=ms&forecast_days=2
    200 {"latitude": 52.52, "longitude": 13.42, "utc_offset_seconds": 0, "timezone": "GMT", ...,
         "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "precipitation": "mm", "snowfall": "cm",
                          "wind_speed_10m": "m/s", "wind_direction_10m": "°"},
         "hourly": {"time": ["2026-12-02T00:00", "2026-12-02T01:00", ...],
                    "temperature_2m": [1.3, 1.1, ...], "precipitation": [0.0, ...], "snowfall": [0.0, ...],
                    "wind_speed_10m": [3.4, ...], "wind_direction_10m": [250, ...]}}

Times are local to `timezone` (UTC here) without an offset. A missing value is null. Read strictly: every
variable present, as long as `time`, in the units above (wind in km/h is converted), one entry per hour without
gaps, covering the hours asked for; anything else is a FeedError naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from simulation import climate
from simulation.feeds.base import FeedError, WeatherPoint, get_json, number

HOUR = timedelta(hours=1)
VARIABLES = ("temperature_2m", "precipitation", "snowfall", "wind_speed_10m", "wind_direction_10m")
UNITS = {
    "temperature_2m": {"°C": 1.0},
    "precipitation": {"mm": 1.0},
    "snowfall": {"cm": 1.0},
    "wind_speed_10m": {"m/s": 1.0, "km/h": 1 / 3.6},
    "wind_direction_10m": {"°": 1.0},
}
# plausible ranges; the temperature range is the one the simulation models accept (issue 16, "Bad input")
RANGES = {
    "temperature_2m": (-40.0, 60.0),
    "precipitation": (0.0, 500.0),
    "snowfall": (0.0, 500.0),
    "wind_speed_10m": (0.0, 120.0),
    "wind_direction_10m": (0.0, 360.0),
}


class NormalsWeather:
    """Offline default: the temperature of the nearest place's 1991–2020 normals with its daily cycle
    (`simulation.climate`). Normals hold no hourly rain, snow or wind: those are 0 (a dry, calm typical hour);
    `climate.wet_day_probability` gives the chance of a wet day."""

    source = "normals"

    def fetch(
        self, *, latitude: float, longitude: float, time_zone: str, start: datetime, hours: int
    ) -> list[WeatherPoint]:
        normals = climate.normals_for(latitude, longitude)
        zone = ZoneInfo(time_zone)
        points = []
        for i in range(hours):
            hour = start + i * HOUR
            local = hour.astimezone(zone)
            temperature = float(climate.temperature_c(normals, local.month, local.hour + local.minute / 60, local.day))
            points.append(WeatherPoint(hour, round(temperature, 1), 0.0, 0.0, 0.0, 0.0))
        return points


class OpenMeteoWeather:
    """Open-Meteo's hourly forecast over HTTP (the format in the module docstring)."""

    source = "open-meteo"

    def __init__(self, url: str, timeout_s: float, forecast_days: int = 2):
        self.url, self.timeout_s, self.forecast_days = url, timeout_s, forecast_days

    def fetch(
        self, *, latitude: float, longitude: float, time_zone: str, start: datetime, hours: int
    ) -> list[WeatherPoint]:
        params = {
            "latitude": f"{latitude:.4f}",
            "longitude": f"{longitude:.4f}",
            "hourly": ",".join(VARIABLES),
            "timezone": "UTC",
            "wind_speed_unit": "ms",
            "forecast_days": self.forecast_days,
        }
        body = get_json("weather", self.url, params, self.timeout_s)
        points = parse_forecast(body)
        have = {p.hour for p in points}
        for i in range(hours):
            wanted = start + i * HOUR
            if wanted not in have:
                raise FeedError(f"weather feed: hourly.time has no entry for {wanted:%Y-%m-%dT%H:%M}Z (missing hour)")
        return points


def _time(index: int, raw) -> datetime:
    if not isinstance(raw, str):
        raise FeedError(f"weather feed: hourly.time[{index}] is not a time ({raw!r})")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise FeedError(f"weather feed: hourly.time[{index}] is not an ISO 8601 time ({raw!r})") from None
    if value.tzinfo is not None and value.utcoffset() != timedelta(0):
        raise FeedError(f"weather feed: hourly.time[{index}] is not in UTC ({raw!r})")
    value = value.replace(tzinfo=UTC)
    if value.minute or value.second or value.microsecond:
        raise FeedError(f"weather feed: hourly.time[{index}] is not a whole hour ({raw!r})")
    return value


def parse_forecast(body) -> list[WeatherPoint]:
    """The hours of an Open-Meteo forecast body, checked (see the module docstring); FeedError names the field."""
    if not isinstance(body, dict):
        raise FeedError("weather feed: expected a JSON object")
    if body.get("utc_offset_seconds", 0) != 0:
        raise FeedError(f"weather feed: utc_offset_seconds is {body['utc_offset_seconds']!r}; ask with timezone=UTC")
    hourly, units = body.get("hourly"), body.get("hourly_units")
    if not isinstance(hourly, dict):
        raise FeedError("weather feed: 'hourly' is missing or not an object")
    if not isinstance(units, dict):
        raise FeedError("weather feed: 'hourly_units' is missing or not an object")
    times = hourly.get("time")
    if not isinstance(times, list) or not times:
        raise FeedError("weather feed: hourly.time is missing or empty")
    scale = {}
    for name in VARIABLES:
        values = hourly.get(name)
        if not isinstance(values, list):
            raise FeedError(f"weather feed: hourly.{name} is missing")
        if len(values) != len(times):
            raise FeedError(f"weather feed: hourly.{name} has {len(values)} values for {len(times)} hours")
        unit = units.get(name)
        if unit not in UNITS[name]:
            raise FeedError(f"weather feed: hourly_units.{name} is {unit!r}; expected {' or '.join(UNITS[name])}")
        scale[name] = UNITS[name][unit]
    hours = [_time(i, raw) for i, raw in enumerate(times)]
    for i in range(1, len(hours)):
        if hours[i] - hours[i - 1] != HOUR:
            raise FeedError(
                f"weather feed: hourly.time jumps from {times[i - 1]} to {times[i]} (missing or repeated hours)"
            )
    points = []
    for i, hour in enumerate(hours):
        values = {}
        for name in VARIABLES:
            low, high = RANGES[name]
            raw = number("weather", f"hourly.{name}[{i}] ({times[i]})", hourly[name][i])
            values[name] = raw * scale[name]
            if not low <= values[name] <= high:
                raise FeedError(f"weather feed: hourly.{name}[{i}] ({times[i]})={raw!r} is outside {low:g} to {high:g}")
        points.append(
            WeatherPoint(
                hour=hour,
                temperature_c=values["temperature_2m"],
                precipitation_mm=values["precipitation"],
                snowfall_cm=values["snowfall"],
                wind_speed_ms=values["wind_speed_10m"],
                wind_direction_deg=values["wind_direction_10m"],
            )
        )
    return points
