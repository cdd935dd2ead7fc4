"""A Valhalla server (https://valhalla.github.io/valhalla/api/turn-by-turn/api-reference/), as this adapter asks it:

    POST <EVFLEET_VALHALLA_URL>/route
         {"locations": [{"lat": 60.17, "lon": 24.94}, {"lat": 60.18, "lon": 24.95}], "costing": "auto",
          "units": "kilometers"}
    200 {"trip": {"status": 0, "units": "kilometers",
                  "legs": [{"shape": "<encoded polyline, 6 decimals>", "summary": {"length": 2.35, "time": 312.4}}],
                  "summary": {"length": 2.35, "time": 312.4}}}
    400 {"error_code": 442, "error": "No path could be found for input", "status_code": 400, ...}
        (171: "No suitable edges near location"; 170-175 and 442 mean no route between these points)

``shape`` is Google's encoded polyline with 1e6 precision (polyline6); lengths are km (units asked), times s.
"""

from __future__ import annotations

from routing.providers.base import ProviderError, ProviderRoute, number, request_json

NO_ROUTE_ERRORS = {170, 171, 172, 442, 443}


def decode_polyline6(shape: str) -> list[tuple[float, float]]:
    """(latitude, longitude) pairs of an encoded polyline at 6 decimals. ValueError on a malformed string."""
    points, index, lat, lon = [], 0, 0, 0
    while index < len(shape):
        deltas = []
        for _ in range(2):
            result, shift = 0, 0
            while True:
                if index >= len(shape):
                    raise ValueError("the shape ends inside a number")
                byte = ord(shape[index]) - 63
                index += 1
                if not 0 <= byte < 64:
                    raise ValueError(f"character {shape[index - 1]!r} is not polyline code")
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        points.append((lat / 1e6, lon / 1e6))
    return points


def encode_polyline6(points: list[tuple[float, float]]) -> str:
    """The inverse of ``decode_polyline6`` (tests and fakes speak Valhalla's format with it)."""
    out, last = [], (0, 0)
    for lat, lon in points:
        now = (round(lat * 1e6), round(lon * 1e6))
        for delta in (now[0] - last[0], now[1] - last[1]):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last = now
    return "".join(out)


class ValhallaProvider:
    name = "valhalla"
    label = "Valhalla"

    def __init__(self, base_url: str, *, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> ProviderRoute:
        request = {
            "locations": [{"lat": origin[0], "lon": origin[1]}, {"lat": destination[0], "lon": destination[1]}],
            "costing": "auto",
            "units": "kilometers",
        }
        status, body = request_json(
            self.label, "POST", f"{self.base_url}/route", timeout_s=self.timeout_s, json=request
        )
        if status != 200:
            code = body.get("error_code") if isinstance(body, dict) else None
            error = body.get("error", "") if isinstance(body, dict) else ""
            if code in NO_ROUTE_ERRORS:
                raise ProviderError(f"{self.label} found no route: {error} ({code})", no_route=True)
            raise ProviderError(f"{self.label} answered HTTP {status}" + (f", {code}: {error}" if code else ""))
        trip = body.get("trip") if isinstance(body, dict) else None
        if not isinstance(trip, dict) or not isinstance(trip.get("legs"), list) or not trip["legs"]:
            raise ProviderError(f"{self.label}: the answer holds no trip.legs")
        if trip.get("units", "kilometers") not in ("kilometers", "km"):
            raise ProviderError(f"{self.label}: trip.units is {trip.get('units')!r}, asked for kilometers")
        points: list[tuple[float, float]] = []
        for index, leg in enumerate(trip["legs"]):
            shape = leg.get("shape") if isinstance(leg, dict) else None
            if not isinstance(shape, str):
                raise ProviderError(f"{self.label}: trip.legs[{index}].shape is missing")
            try:
                decoded = decode_polyline6(shape)
            except ValueError as exc:
                raise ProviderError(f"{self.label}: trip.legs[{index}].shape is not a polyline6: {exc}") from None
            points.extend(decoded if not points else decoded[1:])
        if len(points) < 2 or any(abs(lat) > 90 or abs(lon) > 180 for lat, lon in points):
            raise ProviderError(f"{self.label}: trip.legs[].shape is not a line of WGS84 points (polyline6 expected)")
        summary = trip.get("summary")
        if not isinstance(summary, dict):
            raise ProviderError(f"{self.label}: trip.summary is missing")
        km = number(self.label, "trip.summary.length", summary.get("length"))
        minutes = number(self.label, "trip.summary.time", summary.get("time")) / 60.0
        return ProviderRoute(self.name, points, km, minutes)
