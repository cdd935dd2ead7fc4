"""The OSRM and Valhalla adapters against local fake servers on 127.0.0.1 speaking their formats (no internet),
and the route plan falling back to the road graph when a provider fails."""

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from evfleet.env import env_url
from routing.paths import energy_along
from routing.providers import GraphProvider, OsrmProvider, ProviderError, ValhallaProvider, external_providers
from routing.providers.valhalla import decode_polyline6, encode_polyline6
from routing.services.paths import Place, route_plan_compute
from routing.tests.test_paths_api import city  # noqa: F401 (the fixture)
from simulation.vehicles import params_for

LINE = [(60.1700, 24.9400), (60.1712, 24.9431), (60.1725, 24.9460)]
OSRM_OK = {
    "code": "Ok",
    "routes": [{"geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in LINE]},
                "distance": 1234.5, "duration": 180.0, "legs": [], "weight": 180.0, "weight_name": "routability"}],
    "waypoints": [{"location": [24.94, 60.17], "name": ""}, {"location": [24.946, 60.1725], "name": ""}],
}  # fmt: skip
VALHALLA_OK = {
    "trip": {"status": 0, "status_message": "Found route between points", "units": "kilometers", "language": "en-US",
             "legs": [{"shape": encode_polyline6(LINE), "summary": {"length": 1.3, "time": 200.0}}],
             "summary": {"length": 1.3, "time": 200.0}, "locations": []},
}  # fmt: skip


@pytest.fixture
def fake():
    """A fake routing server: answers `state["status"]` with `state["body"]` (JSON, or bytes as they are) after
    `state["delay"]` seconds; records each request's path, query and JSON body."""
    state = {"status": 200, "body": {}, "delay": 0.0, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, payload=None):
            parts = urlsplit(self.path)
            state["requests"].append({"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                                      "json": payload})  # fmt: skip
            time.sleep(state["delay"])
            raw = state["body"] if isinstance(state["body"], bytes) else json.dumps(state["body"]).encode()
            try:
                self.send_response(state["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def do_GET(self):  # noqa: N802
            self._answer()

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(json.loads(self.rfile.read(length) or b"null"))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_osrm_is_asked_in_its_format_and_its_route_is_read(fake):
    fake["body"] = OSRM_OK
    route = OsrmProvider(fake["url"] + "/").route((60.17, 24.94), (60.1725, 24.946))
    request = fake["requests"][0]
    assert request["path"] == "/route/v1/driving/24.940000,60.170000;24.946000,60.172500"
    assert request["query"] == {"overview": ["full"], "geometries": ["geojson"]}
    assert route.polyline == LINE and route.km == pytest.approx(1.2345) and route.minutes == pytest.approx(3.0)
    assert route.source == "osrm"


def test_valhalla_is_asked_in_its_format_and_its_route_is_read(fake):
    fake["body"] = VALHALLA_OK
    route = ValhallaProvider(fake["url"]).route((60.17, 24.94), (60.1725, 24.946))
    request = fake["requests"][0]
    assert request["method"] == "POST" and request["path"] == "/route"
    assert request["json"] == {"locations": [{"lat": 60.17, "lon": 24.94}, {"lat": 60.1725, "lon": 24.946}],
                               "costing": "auto", "units": "kilometers"}  # fmt: skip
    assert route.polyline == LINE and route.km == 1.3 and route.minutes == pytest.approx(200 / 60)


def test_polyline6_round_trips_and_refuses_garbage():
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453), (-33.868820, 151.209296)]
    assert decode_polyline6(encode_polyline6(points)) == points
    assert decode_polyline6("") == []
    with pytest.raises(ValueError):
        decode_polyline6("_p~iF~ps|U_")  # ends inside a number


@pytest.mark.parametrize(
    ("status", "body", "message", "no_route"),
    [
        (400, {"code": "NoRoute", "message": "Impossible route between points"},
         "OSRM found no route: no road joins the points (NoRoute)", True),
        (400, {"code": "NoSegment", "message": "Could not find a matching segment"},
         "a point is not near any road it knows", True),
        (500, b"<html>Internal Server Error</html>", "answered HTTP 500", False),
        (503, {"code": "Busy"}, "OSRM answered HTTP 503, Busy", False),
        (200, {"code": "Ok", "routes": []}, "the answer holds no routes", False),
        (200, {"code": "Ok", "routes": [{"geometry": "abc", "distance": 1, "duration": 1}]},
         "not a GeoJSON LineString", False),
        (200, {"code": "Ok", "routes": [{**OSRM_OK["routes"][0], "distance": "far"}]},
         "routes[0].distance is not a number", False),
        (200, b"not json", "is not JSON", False),
    ],
)  # fmt: skip
def test_osrm_errors_say_what_went_wrong(fake, status, body, message, no_route):
    fake["status"], fake["body"] = status, body
    with pytest.raises(ProviderError) as caught:
        OsrmProvider(fake["url"]).route((60.17, 24.94), (60.18, 24.95))
    assert message in str(caught.value)
    assert caught.value.no_route is no_route


@pytest.mark.parametrize(
    ("status", "body", "message", "no_route"),
    [
        (400, {"error_code": 442, "error": "No path could be found for input", "status_code": 400},
         "Valhalla found no route: No path could be found for input (442)", True),
        (400, {"error_code": 171, "error": "No suitable edges near location", "status_code": 400}, "(171)", True),
        (500, {"error_code": 199, "error": "Unknown"}, "Valhalla answered HTTP 500, 199: Unknown", False),
        (200, {"trip": {"legs": []}}, "no trip.legs", False),
        (200, {"trip": {**VALHALLA_OK["trip"], "legs": [{"shape": "~~~~", "summary": {}}]}},
         "is not a polyline6", False),
        (200, {"trip": {**VALHALLA_OK["trip"], "units": "miles"}}, "trip.units is 'miles'", False),
        (200, {"trip": {**VALHALLA_OK["trip"], "summary": {"length": -1, "time": 3}}},
         "trip.summary.length=-1 is outside", False),
    ],
)  # fmt: skip
def test_valhalla_errors_say_what_went_wrong(fake, status, body, message, no_route):
    fake["status"], fake["body"] = status, body
    with pytest.raises(ProviderError) as caught:
        ValhallaProvider(fake["url"]).route((60.17, 24.94), (60.18, 24.95))
    assert message in str(caught.value)
    assert caught.value.no_route is no_route


def test_a_slow_or_absent_server_is_a_clear_timeout_or_connection_error(fake):
    fake["delay"], fake["body"] = 1.0, OSRM_OK
    with pytest.raises(ProviderError, match=r"OSRM \(127.0.0.1\) gave no answer within 0.2 s"):
        OsrmProvider(fake["url"], timeout_s=0.2).route((60.17, 24.94), (60.18, 24.95))
    with pytest.raises(ProviderError, match=r"Valhalla \(127.0.0.1\): cannot connect"):
        ValhallaProvider("http://127.0.0.1:9", timeout_s=0.5).route((60.17, 24.94), (60.18, 24.95))


def test_only_configured_providers_are_used_and_bad_urls_fail_loudly(monkeypatch):
    assert external_providers() == []
    names = [p.name for p in external_providers(osrm_url="http://osrm:5000", valhalla_url="http://valhalla:8002")]
    assert names == ["osrm", "valhalla"]
    monkeypatch.setenv("EVFLEET_OSRM_URL", "osrm.example.org:5000")
    with pytest.raises(ImproperlyConfigured, match="EVFLEET_OSRM_URL must start with one of http://, https://"):
        env_url("EVFLEET_OSRM_URL", schemes=("http", "https"))


DEPARTS = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_a_providers_route_is_measured_with_our_energy_model(city, fake, settings):  # noqa: F811
    fake["body"] = OSRM_OK
    settings.OSRM_URL = fake["url"]
    origin, destination = Place(**city.origin), Place(city.site.latitude, city.site.longitude, city.site)
    result = route_plan_compute(vehicle=city.vehicle, origin=origin, destination=destination, departs_at=DEPARTS)
    [osrm] = result.providers
    assert osrm.error == "" and osrm.km == pytest.approx(1.2345) and osrm.polyline == LINE
    params = params_for("Nissan", "Leaf", "40 kWh (EU)")
    assert osrm.kwh == pytest.approx(energy_along(params, km=1.2345, minutes=3.0, ambient_c=result.ambient_c))


@pytest.mark.django_db
def test_a_failing_provider_leaves_the_graphs_routes_and_says_why(city, fake, settings):  # noqa: F811
    fake["status"], fake["body"] = 502, b"Bad Gateway"
    settings.VALHALLA_URL = fake["url"]
    origin, destination = Place(**city.origin), Place(city.site.latitude, city.site.longitude, city.site)
    result = route_plan_compute(vehicle=city.vehicle, origin=origin, destination=destination, departs_at=DEPARTS)
    assert len(result.routes) == 3
    [valhalla] = result.providers
    assert valhalla.kwh is None
    assert valhalla.error == "Valhalla (127.0.0.1) answered HTTP 502; the road graph's routes are shown."


def test_the_offline_default_is_the_graphs_fastest_route():
    from routing.bench.queries import grid_city_graph
    from routing.paths import Conditions, RoadRouter

    graph = grid_city_graph(10)
    router = RoadRouter(graph)
    conditions = Conditions(params_for("Nissan", "Leaf", "40 kWh (EU)"))
    a, b = (graph.node_lat[0], graph.node_lon[0]), (graph.node_lat[99], graph.node_lon[99])
    route = GraphProvider(router, conditions).route(a, b)
    fastest = router.routes(a, b, params=conditions.params, departs_hour=conditions.departs_hour).routes["fastest"]
    assert route.source == "graph" and route.km == fastest.km and route.minutes == fastest.minutes
