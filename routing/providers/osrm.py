"""An OSRM server (http://project-osrm.org/docs/v5.24.0/api/#route-service), as this adapter asks it:

    GET <EVFLEET_OSRM_URL>/route/v1/driving/{lon},{lat};{lon},{lat}?overview=full&geometries=geojson
    200 {"code": "Ok",
         "routes": [{"geometry": {"type": "LineString", "coordinates": [[24.94, 60.17], ...]},
                     "distance": 2345.6, "duration": 312.4, "legs": [...], ...}],
         "waypoints": [...]}
    400 {"code": "NoRoute", "message": "Impossible route between points"}   (also NoSegment: no road near a point)

Distances are metres, durations seconds, coordinates [longitude, latitude]. The first route is taken.
"""

from __future__ import annotations

from routing.providers.base import ProviderError, ProviderRoute, number, request_json

NO_ROUTE_CODES = {"NoRoute": "no road joins the points", "NoSegment": "a point is not near any road it knows"}


class OsrmProvider:
    name = "osrm"
    label = "OSRM"

    def __init__(self, base_url: str, *, timeout_s: float = 5.0, profile: str = "driving"):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.profile = profile

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> ProviderRoute:
        coordinates = f"{origin[1]:.6f},{origin[0]:.6f};{destination[1]:.6f},{destination[0]:.6f}"
        url = f"{self.base_url}/route/v1/{self.profile}/{coordinates}"
        status, body = request_json(
            self.label, "GET", url, timeout_s=self.timeout_s, params={"overview": "full", "geometries": "geojson"}
        )
        code = body.get("code") if isinstance(body, dict) else None
        if code in NO_ROUTE_CODES:
            raise ProviderError(f"{self.label} found no route: {NO_ROUTE_CODES[code]} ({code})", no_route=True)
        if status != 200 or code != "Ok":
            message = body.get("message", "") if isinstance(body, dict) else ""
            raise ProviderError(f"{self.label} answered HTTP {status}" + (f", {code}: {message}" if code else ""))
        routes = body.get("routes")
        if not isinstance(routes, list) or not routes or not isinstance(routes[0], dict):
            raise ProviderError(f"{self.label}: the answer holds no routes")
        first = routes[0]
        geometry = first.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
            raise ProviderError(
                f"{self.label}: routes[0].geometry is not a GeoJSON LineString (ask geometries=geojson)"
            )
        points = []
        for index, pair in enumerate(geometry.get("coordinates") or []):
            if not isinstance(pair, list) or len(pair) < 2:
                raise ProviderError(f"{self.label}: routes[0].geometry.coordinates[{index}] is not [lon, lat]")
            lon = number(self.label, f"coordinates[{index}][0]", pair[0], low=-180, high=180)
            lat = number(self.label, f"coordinates[{index}][1]", pair[1], low=-90, high=90)
            points.append((lat, lon))
        if len(points) < 2:
            raise ProviderError(f"{self.label}: routes[0].geometry has fewer than two points")
        km = number(self.label, "routes[0].distance", first.get("distance")) / 1000.0
        minutes = number(self.label, "routes[0].duration", first.get("duration")) / 60.0
        return ProviderRoute(self.name, points, km, minutes)
