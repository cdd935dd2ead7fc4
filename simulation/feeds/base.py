"""The two adapter interfaces, what they answer, their one error, and the strict JSON helpers they share."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from simulation.traffic import RoadClass


class FeedError(Exception):
    """A feed could not be read, or said something unusable (the message names what); nothing of it is stored,
    and the last good data stays."""


@dataclass(frozen=True)
class WeatherPoint:
    """One hour of weather at a place (the hour's start, UTC)."""

    hour: datetime
    temperature_c: float
    precipitation_mm: float
    snowfall_cm: float
    wind_speed_ms: float
    wind_direction_deg: float


@dataclass(frozen=True)
class TrafficPoint:
    """The traffic on the road nearest a point, at one moment."""

    road_class: RoadClass
    frc: str  # the feed's functional road class (TomTom FRC0–FRC6), "" for the typical profiles
    current_speed_kmh: float
    free_flow_speed_kmh: float
    confidence: float | None  # 0–1; None when the source does not say (the typical profiles)
    road_closure: bool
    observed_at: datetime


class WeatherFeed(Protocol):
    """A source of hourly weather. `source` labels stored rows ("normals", "open-meteo")."""

    source: str

    def fetch(
        self, *, latitude: float, longitude: float, time_zone: str, start: datetime, hours: int
    ) -> list[WeatherPoint]:
        """Hourly weather covering at least [start, start + hours) (start: a whole UTC hour). Raises FeedError."""
        ...


class TrafficFeed(Protocol):
    """A source of traffic speeds near a point. `source` labels stored rows ("typical", "tomtom")."""

    source: str

    def fetch(self, *, latitude: float, longitude: float, time_zone: str, at: datetime) -> TrafficPoint:
        """The traffic on the road nearest the point, now (`at`, aware). Raises FeedError."""
        ...


def host_of(url: str) -> str:
    """What a page may show of a feed's address: its host (never the path's key or the query)."""
    return urlsplit(url).hostname or url


def get_json(feed: str, url: str, params: dict[str, Any], timeout_s: float) -> Any:
    """GET `url` with `params` and decode its JSON body; every failure is a FeedError naming the host (never the
    query, which may hold an API key)."""
    host = host_of(url)
    try:
        response = httpx.get(url, params=params, timeout=timeout_s)
    except httpx.TimeoutException:
        raise FeedError(f"{feed} feed {host}: no answer within {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"{feed} feed {host}: cannot connect ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise FeedError(f"{feed} feed {host}: answered HTTP {response.status_code}")
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"{feed} feed {host}: the body is not JSON ({exc})") from None


def number(feed: str, name: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """A finite JSON number in [low, high], else a FeedError naming the field (null is a missing value)."""
    if value is None:
        raise FeedError(f"{feed} feed: {name} is missing (null)")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FeedError(f"{feed} feed: {name} is not a number ({value!r})")
    if low is not None and high is not None and not low <= value <= high:
        raise FeedError(f"{feed} feed: {name}={value!r} is outside {low:g} to {high:g}")
    return float(value)
