"""What a route provider answers, its one error, and the strict JSON reading the HTTP adapters share (plain Python
and httpx, no Django)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx


class ProviderError(Exception):
    """A provider gave no usable route; the message says which provider and why (no route, an error status, no
    answer in time, a body that is not its format). ``no_route`` is True when the server found no road between
    the points (the points' fault, not the server's)."""

    def __init__(self, message: str, *, no_route: bool = False):
        self.no_route = no_route
        super().__init__(message)


@dataclass(frozen=True)
class ProviderRoute:
    """A route between two points as a provider gives it: the line (latitude, longitude pairs), km and minutes."""

    source: str
    polyline: list[tuple[float, float]]
    km: float
    minutes: float


class RouteProvider(Protocol):
    """Route between two points → geometry, km, minutes. ``name`` labels the answer ("graph", "osrm", …)."""

    name: str
    label: str

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> ProviderRoute:
        """The provider's (fastest) car route between two (latitude, longitude) points. Raises ProviderError."""
        ...


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


def request_json(label: str, method: str, url: str, *, timeout_s: float, **kwargs) -> tuple[int, Any]:
    """(status, decoded JSON body); a transport failure or a body that is not JSON is a ProviderError naming the
    provider and host. Routing servers answer errors with a JSON body too, so the status is the caller's to read."""
    host = host_of(url)
    try:
        response = httpx.request(method, url, timeout=timeout_s, **kwargs)
    except httpx.TimeoutException:
        raise ProviderError(f"{label} ({host}) gave no answer within {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise ProviderError(f"{label} ({host}): cannot connect ({type(exc).__name__})") from None
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        if response.status_code >= 500:
            raise ProviderError(f"{label} ({host}) answered HTTP {response.status_code}") from None
        raise ProviderError(f"{label} ({host}): the answer (HTTP {response.status_code}) is not JSON") from None
    return response.status_code, body


def number(label: str, name: str, value: Any, *, low: float = 0.0, high: float = 1e7) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProviderError(f"{label}: {name} is not a number ({value!r:.40})")
    if not low <= value <= high:
        raise ProviderError(f"{label}: {name}={value!r} is outside {low:g} to {high:g}")
    return float(value)
