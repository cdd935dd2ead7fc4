"""Route providers: "route between two points → geometry, km, minutes". The built-in road graph is the offline
default (``GraphProvider``); an OSRM and a Valhalla server are used when their URL is configured
(``EVFLEET_OSRM_URL``, ``EVFLEET_VALHALLA_URL``). Whatever gives the geometry, the energy is ours: the simulation's
consumption model along it (``routing.paths.energy_along``, at the provider's distance ÷ time).
"""

from __future__ import annotations

from routing.paths import Conditions, RoadRouter
from routing.providers.base import ProviderError, ProviderRoute, RouteProvider
from routing.providers.osrm import OsrmProvider
from routing.providers.valhalla import ValhallaProvider

__all__ = [
    "GraphProvider",
    "OsrmProvider",
    "ProviderError",
    "ProviderRoute",
    "RouteProvider",
    "ValhallaProvider",
    "external_providers",
]


class GraphProvider:
    """The offline default: the fastest route on an imported road graph."""

    name = "graph"
    label = "Road graph"

    def __init__(self, router: RoadRouter, conditions: Conditions):
        self.router, self.conditions = router, conditions

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> ProviderRoute:
        start = self.router.snap(*origin, field="origin")
        end = self.router.snap(*destination, field="destination")
        found = self.router.route(start, end, "fastest", self.conditions)
        return ProviderRoute(self.name, found.polyline, found.km, found.minutes)


def external_providers(*, osrm_url: str = "", valhalla_url: str = "", timeout_s: float = 5.0) -> list[RouteProvider]:
    """The HTTP providers whose URL is set, in this order: OSRM, Valhalla."""
    providers: list[RouteProvider] = []
    if osrm_url:
        providers.append(OsrmProvider(osrm_url, timeout_s=timeout_s))
    if valhalla_url:
        providers.append(ValhallaProvider(valhalla_url, timeout_s=timeout_s))
    return providers
