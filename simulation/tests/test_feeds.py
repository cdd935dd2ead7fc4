"""The weather and traffic feeds against local fake servers on 127.0.0.1 speaking Open-Meteo's and TomTom's
formats (no internet): good data stored; a malformed, failing, unreachable or incomplete feed keeps the last good
data and its status shows the error and the age; the page and the API, scoped and in constant queries."""

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings

from simulation import tasks
from simulation.feeds import FeedError, OpenMeteoWeather, TomTomTraffic
from simulation.models import FeedStatus, TrafficReading, WeatherHour
from simulation.selectors import feeds as selectors
from simulation.services import feeds as services
from simulation.traffic import RoadClass
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 12, 2, 10, tzinfo=UTC)
KEY = "secret-tomtom-key"


@pytest.fixture
def fake():
    """A fake feed server: answers `state["status"]` with `state["body"]` (an object, JSON-encoded, or raw bytes),
    after `state["delay_s"]`; records each request's path and query."""
    state = {"status": 200, "body": {}, "delay_s": 0.0, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            parsed = urlparse(self.path)
            state["requests"].append((parsed.path, parse_qs(parsed.query)))
            if state["delay_s"]:
                time.sleep(state["delay_s"])
            body = state["body"]
            raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(state["status"])
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout test)
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    state["weather_url"] = f"{base}/v1/forecast"
    state["traffic_url"] = f"{base}/traffic/services/4/flowSegmentData/absolute/10/json"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def forecast(start: datetime = T, hours: int = 48, **hourly_overrides) -> dict:
    """An Open-Meteo /v1/forecast body as the adapter asks for it (timezone=UTC, wind_speed_unit=ms)."""
    day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
    times = [(day0 + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M") for i in range(hours)]
    hourly = {
        "time": times,
        "temperature_2m": [round(-2.0 + 0.1 * i, 1) for i in range(hours)],
        "precipitation": [0.4 if i % 5 == 0 else 0.0 for i in range(hours)],
        "snowfall": [0.0] * hours,
        "wind_speed_10m": [4.2] * hours,
        "wind_direction_10m": [250] * hours,
    }
    hourly.update(hourly_overrides)
    return {
        "latitude": 52.52,
        "longitude": 13.419998,
        "generationtime_ms": 0.05,
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": 38.0,
        "hourly_units": {
            "time": "iso8601",
            "temperature_2m": "°C",
            "precipitation": "mm",
            "snowfall": "cm",
            "wind_speed_10m": "m/s",
            "wind_direction_10m": "°",
        },
        "hourly": hourly,
    }


def flow(**overrides) -> dict:
    """A TomTom flowSegmentData body (version 4, absolute, json)."""
    data = {
        "frc": "FRC2",
        "currentSpeed": 41,
        "freeFlowSpeed": 52,
        "currentTravelTime": 88,
        "freeFlowTravelTime": 69,
        "confidence": 0.96,
        "roadClosure": False,
        "coordinates": {"coordinate": [{"latitude": 52.52, "longitude": 13.40}]},
        "@version": "traffic-service-flow 1.0.120",
    }
    data.update(overrides)
    return {"flowSegmentData": {k: v for k, v in data.items() if v is not ...}}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- weather -----------------------------------------------------------------------------------------------------


def test_the_open_meteo_feed_is_asked_in_its_format_and_every_hour_is_stored(org, fake):
    site = SiteFactory(department=org.a, latitude=52.52, longitude=13.405)
    fake["body"] = forecast()
    result = services.weather_fetch(feed=OpenMeteoWeather(fake["weather_url"], 5), now=T + timedelta(minutes=7))
    assert result.stored == 48 and result.errors == []
    path, query = fake["requests"][0]
    assert path == "/v1/forecast"
    assert query["latitude"] == ["52.5200"] and query["longitude"] == ["13.4050"]
    assert query["hourly"] == ["temperature_2m,precipitation,snowfall,wind_speed_10m,wind_direction_10m"]
    assert query["timezone"] == ["UTC"] and query["wind_speed_unit"] == ["ms"]
    hour = WeatherHour.objects.get(site=site, hour=T)
    assert (hour.temperature_c, hour.precipitation_mm, hour.wind_speed_ms, hour.wind_direction_deg) == (
        -1.0, 0.4, 4.2, 250.0,
    )  # fmt: skip
    assert hour.source == "open-meteo"
    status = FeedStatus.objects.get(feed="weather")
    assert status.source == "127.0.0.1" and status.last_error == ""
    assert status.last_success_at == T + timedelta(minutes=7)


def test_wind_in_kmh_is_converted_to_metres_per_second(org, fake):
    site = SiteFactory(department=org.a)
    body = forecast(wind_speed_10m=[36.0] * 48)
    body["hourly_units"]["wind_speed_10m"] = "km/h"
    fake["body"] = body
    services.weather_fetch(feed=OpenMeteoWeather(fake["weather_url"], 5), now=T)
    assert WeatherHour.objects.get(site=site, hour=T).wind_speed_ms == pytest.approx(10.0)


def test_the_hourly_beat_job_reads_the_configured_feed(org, fake, settings):
    site = SiteFactory(department=org.a)
    now = datetime.now(UTC)
    fake["body"] = forecast(start=now, hours=72)
    settings.WEATHER_URL = fake["weather_url"]
    assert tasks.weather_fetch.apply().get() == 72, FeedStatus.objects.get(feed="weather").last_error
    assert selectors.weather_at(site, now).source == "open-meteo"


def _weather_problem(body_or_status):
    """Turn a case into what the fake server answers."""
    if isinstance(body_or_status, int):
        return {"status": body_or_status, "body": {"reason": "internal error"}}
    return {"status": 200, "body": body_or_status}


def _gap() -> dict:
    body = forecast()
    for name, values in body["hourly"].items():
        body["hourly"][name] = values[:11] + values[12:]  # 11:00 is missing
    return body


WEATHER_FAILURES = [
    pytest.param(b"<html>maintenance</html>", "not JSON", id="malformed body"),
    pytest.param(b'{"hourly": {"time": [', "not JSON", id="truncated JSON"),
    pytest.param(500, "HTTP 500", id="server error"),
    pytest.param(_gap(), "jumps from 2026-12-02T10:00 to 2026-12-02T12:00", id="missing hour"),
    pytest.param(forecast(hours=12), "no entry for 2026-12-02T13:00Z", id="too few hours"),
    pytest.param(forecast(temperature_2m=[None] * 48), "temperature_2m[0] (2026-12-02T00:00) is missing", id="null"),
    pytest.param(
        forecast(wind_speed_10m=["fast"] * 48), "wind_speed_10m[0] (2026-12-02T00:00) is not a number", id="non-numeric"
    ),  # fmt: skip
    pytest.param(
        forecast(precipitation=[True] * 48), "precipitation[0] (2026-12-02T00:00) is not a number", id="boolean"
    ),  # fmt: skip
    pytest.param(forecast(temperature_2m=[75.0] * 48), "outside -40 to 60", id="implausible temperature"),
    pytest.param(forecast(snowfall=[0.0] * 47), "hourly.snowfall has 47 values for 48 hours", id="short list"),
    pytest.param(
        {**forecast(), "hourly": {"time": forecast()["hourly"]["time"]}},
        "hourly.temperature_2m is missing",
        id="missing variable",
    ),  # fmt: skip
    pytest.param({**forecast(), "utc_offset_seconds": 3600}, "utc_offset_seconds", id="not UTC"),
    pytest.param([1, 2, 3], "expected a JSON object", id="a list"),
]


@pytest.mark.parametrize(("answer", "message"), WEATHER_FAILURES)
def test_an_unusable_weather_answer_keeps_the_last_good_hours_and_shows_the_error(org, fake, answer, message):
    site = SiteFactory(department=org.a, name="Depot Nord")
    feed = OpenMeteoWeather(fake["weather_url"], 5)
    fake["body"] = forecast()
    services.weather_fetch(feed=feed, now=T)
    fake.update(_weather_problem(answer))
    later = T + timedelta(hours=3)
    result = services.weather_fetch(feed=feed, now=later)
    assert result.stored == 0 and len(result.errors) == 1
    assert WeatherHour.objects.filter(site=site).count() == 48  # the last good data stays
    assert WeatherHour.objects.get(site=site, hour=T).temperature_c == -1.0
    status = FeedStatus.objects.get(feed="weather")
    assert message in status.last_error and status.last_error.startswith("Depot Nord: weather feed")
    assert (status.last_attempt_at, status.last_success_at) == (later, T)
    health = {h.feed: h for h in selectors.feed_health(later)}["weather"]
    assert health.stale and health.age == timedelta(hours=3)
    assert message in health.problem and "older than 2 fetch periods" in health.problem


def test_an_unreachable_weather_feed_keeps_the_last_good_hours(org, fake):
    site = SiteFactory(department=org.a)
    fake["body"] = forecast()
    services.weather_fetch(feed=OpenMeteoWeather(fake["weather_url"], 5), now=T)
    dead = OpenMeteoWeather(f"http://127.0.0.1:{closed_port()}/v1/forecast", 2)
    result = services.weather_fetch(feed=dead, now=T + timedelta(hours=1))
    assert "cannot connect" in result.errors[0]
    assert WeatherHour.objects.filter(site=site).count() == 48
    assert "cannot connect" in FeedStatus.objects.get(feed="weather").last_error


def test_a_weather_feed_that_does_not_answer_in_time_is_an_error_naming_the_timeout(fake):
    fake["body"], fake["delay_s"] = forecast(), 1.5
    with pytest.raises(FeedError, match=r"no answer within 0\.3 s"):
        OpenMeteoWeather(fake["weather_url"], 0.3).fetch(
            latitude=52.5, longitude=13.4, time_zone="Europe/Berlin", start=T, hours=24
        )


def test_one_failing_site_does_not_stop_the_others(org, fake):
    good = SiteFactory(department=org.a, name="Good")
    SiteFactory(department=org.b, name="Bad", latitude=40.7, longitude=-74.0)
    feed = OpenMeteoWeather(fake["weather_url"], 5)

    class HalfBroken:
        source = feed.source
        url = feed.url

        def fetch(self, **kwargs):
            if kwargs["latitude"] == 40.7:
                raise FeedError("weather feed: hourly.time is missing or empty")
            return feed.fetch(**kwargs)

    fake["body"] = forecast()
    result = services.weather_fetch(feed=HalfBroken(), now=T)
    assert WeatherHour.objects.filter(site=good).count() == 48
    assert result.errors == ["Bad: weather feed: hourly.time is missing or empty"]
    assert FeedStatus.objects.get(feed="weather").last_success_at is None


# --- the offline defaults ----------------------------------------------------------------------------------------


def test_without_a_url_the_weather_comes_from_the_sites_climate_normals(org, settings):
    settings.WEATHER_URL = ""
    site = SiteFactory(department=org.a, latitude=52.58, longitude=13.33, time_zone="Europe/Berlin")
    result = services.weather_fetch(now=datetime(2026, 7, 15, 13, tzinfo=UTC))  # 15:00 in Berlin (CEST)
    assert result.stored == services.WEATHER_HOURS
    hour = WeatherHour.objects.get(site=site, hour=datetime(2026, 7, 15, 13, tzinfo=UTC))
    assert hour.source == "normals"
    assert hour.temperature_c == pytest.approx(20.0 + 10.5 / 2, abs=0.1)  # Berlin's July mean + half its range
    status = FeedStatus.objects.get(feed="weather")
    assert status.source == "normals (offline default)" and "climate normals" in status.warning


def test_without_a_url_the_traffic_comes_from_the_typical_profiles(org, settings):
    settings.TRAFFIC_URL = ""
    site = SiteFactory(department=org.a, time_zone="Europe/Berlin")
    services.traffic_fetch(now=datetime(2026, 12, 7, 16, tzinfo=UTC))  # Monday 17:00 in Berlin
    reading = TrafficReading.objects.get(site=site)
    assert reading.source == "typical" and reading.road_class == RoadClass.URBAN
    assert reading.current_speed_kmh < 0.6 * reading.free_flow_speed_kmh  # the urban evening peak
    assert "typical speed profiles" in FeedStatus.objects.get(feed="traffic").warning


def test_weather_at_falls_back_to_the_normals_when_nothing_is_stored_and_says_so(org):
    site = SiteFactory(department=org.a, latitude=40.68, longitude=-73.95, time_zone="America/New_York")
    weather = selectors.weather_at(site, datetime(2026, 1, 15, 20, tzinfo=UTC))  # 15:00 in New York
    assert weather.source == "normals" and weather.age is None
    assert weather.temperature_c == pytest.approx(0.9 + 6.4 / 2, abs=0.1)
    assert (weather.precipitation_mm, weather.wind_speed_ms) == (0.0, 0.0)


def test_weather_at_reads_the_stored_hour_with_its_age(org, fake):
    site = SiteFactory(department=org.a)
    fake["body"] = forecast()
    services.weather_fetch(feed=OpenMeteoWeather(fake["weather_url"], 5), now=T)
    weather = selectors.weather_at(site, T + timedelta(hours=2, minutes=30), now=T + timedelta(hours=1))
    assert weather == selectors.WeatherAt(-0.8, 0.0, 4.2, "open-meteo", timedelta(hours=1))
    with pytest.raises(ValueError, match="aware"):
        selectors.weather_at(site, datetime(2026, 1, 1))  # noqa: DTZ001


# --- traffic -----------------------------------------------------------------------------------------------------


def test_the_tomtom_feed_is_asked_in_its_format_and_the_reading_stored(org, fake, settings):
    site = SiteFactory(department=org.a, latitude=52.52, longitude=13.405)
    fake["body"] = flow()
    settings.TRAFFIC_URL, settings.TRAFFIC_KEY = fake["traffic_url"], KEY
    assert tasks.traffic_fetch.apply().get() == 1
    path, query = fake["requests"][0]
    assert path == "/traffic/services/4/flowSegmentData/absolute/10/json"
    assert query == {"point": ["52.52000,13.40500"], "unit": ["KMPH"], "key": [KEY]}
    reading = TrafficReading.objects.get(site=site)
    assert (reading.road_class, reading.frc, reading.current_speed_kmh, reading.free_flow_speed_kmh) == (
        RoadClass.PRIMARY, "FRC2", 41.0, 52.0,
    )  # fmt: skip
    assert reading.confidence == 0.96 and reading.source == "tomtom"
    assert FeedStatus.objects.get(feed="traffic").source == "127.0.0.1"


@pytest.mark.parametrize(("frc", "road_class"), [("FRC0", "motorway"), ("FRC4", "urban"), ("FRC6", "residential")])
def test_tomtom_road_classes_map_to_the_models_road_classes(org, fake, frc, road_class):
    SiteFactory(department=org.a)
    fake["body"] = flow(frc=frc)
    services.traffic_fetch(feed=TomTomTraffic(fake["traffic_url"], KEY, 5), now=T)
    assert TrafficReading.objects.get().road_class == road_class


def test_traffic_readings_older_than_the_retention_are_deleted_by_the_next_run(org, fake):
    SiteFactory(department=org.a)
    fake["body"] = flow()
    feed = TomTomTraffic(fake["traffic_url"], KEY, 5)
    services.traffic_fetch(feed=feed, now=T)
    services.traffic_fetch(feed=feed, now=T + timedelta(days=29))
    services.traffic_fetch(feed=feed, now=T + timedelta(days=31))
    assert sorted(TrafficReading.objects.values_list("observed_at", flat=True)) == [
        T + timedelta(days=29), T + timedelta(days=31),
    ]  # fmt: skip


def test_a_closed_road_reads_zero_speed(org, fake):
    SiteFactory(department=org.a)
    fake["body"] = flow(roadClosure=True, currentSpeed=52)
    services.traffic_fetch(feed=TomTomTraffic(fake["traffic_url"], KEY, 5), now=T)
    reading = TrafficReading.objects.get()
    assert reading.road_closure and reading.current_speed_kmh == 0.0


TRAFFIC_FAILURES = [
    pytest.param(b"<html>busy</html>", "not JSON", id="malformed body"),
    pytest.param(500, "HTTP 500", id="server error"),
    pytest.param(403, "HTTP 403", id="refused key"),
    pytest.param({"flowSegment": {}}, "'flowSegmentData' object", id="wrong shape"),
    pytest.param(flow(currentSpeed=...), "lacks currentSpeed", id="missing field"),
    pytest.param(flow(freeFlowSpeed="52"), "freeFlowSpeed is not a number", id="non-numeric"),
    pytest.param(flow(confidence=1.7), "confidence=1.7 is outside 0 to 1", id="confidence out of range"),
    pytest.param(flow(currentSpeed=-3), "currentSpeed=-3 is outside", id="negative speed"),
    pytest.param(flow(frc="FRC9"), "frc is 'FRC9'", id="unknown road class"),
    pytest.param(flow(roadClosure="no"), "roadClosure is not true or false", id="closure not boolean"),
]


@pytest.mark.parametrize(("answer", "message"), TRAFFIC_FAILURES)
def test_an_unusable_traffic_answer_keeps_the_last_reading_and_the_status_shows_the_error(org, fake, answer, message):
    site = SiteFactory(department=org.a, name="Depot Süd")
    feed = TomTomTraffic(fake["traffic_url"], KEY, 5)
    fake["body"] = flow()
    services.traffic_fetch(feed=feed, now=T)
    fake.update(_weather_problem(answer))
    later = T + timedelta(minutes=45)
    services.traffic_fetch(feed=feed, now=later)
    assert list(TrafficReading.objects.filter(site=site).values_list("observed_at", "current_speed_kmh")) == [(T, 41.0)]
    status = FeedStatus.objects.get(feed="traffic")
    assert message in status.last_error and status.last_error.startswith("Depot Süd: traffic feed")
    assert KEY not in status.last_error
    assert (status.last_attempt_at, status.last_success_at) == (later, T)
    health = {h.feed: h for h in selectors.feed_health(later)}["traffic"]
    assert health.stale and health.age == timedelta(minutes=45)


def test_an_unreachable_traffic_feed_keeps_the_last_reading_and_never_shows_the_key(org, fake):
    SiteFactory(department=org.a)
    fake["body"] = flow()
    services.traffic_fetch(feed=TomTomTraffic(fake["traffic_url"], KEY, 5), now=T)
    dead = TomTomTraffic(f"http://127.0.0.1:{closed_port()}/traffic/json", KEY, 2)
    result = services.traffic_fetch(feed=dead, now=T + timedelta(minutes=15))
    assert "cannot connect" in result.errors[0] and KEY not in result.errors[0]
    assert TrafficReading.objects.count() == 1


def test_a_traffic_feed_that_does_not_answer_in_time_is_an_error(fake):
    fake["body"], fake["delay_s"] = flow(), 1.5
    with pytest.raises(FeedError, match="no answer within"):
        TomTomTraffic(fake["traffic_url"], KEY, 0.3).fetch(latitude=52.5, longitude=13.4, time_zone="UTC", at=T)


# --- status, schedule, page and API ------------------------------------------------------------------------------


def test_a_feed_is_stale_after_two_periods_without_success_and_fresh_before():
    FeedStatus.objects.create(feed="weather", source="x", last_attempt_at=T, last_success_at=T)
    FeedStatus.objects.create(feed="traffic", source="y", last_attempt_at=T, last_success_at=T)
    fresh = {h.feed: h for h in selectors.feed_health(T + timedelta(minutes=29))}
    assert not fresh["weather"].stale and not fresh["traffic"].stale
    later = {h.feed: h for h in selectors.feed_health(T + timedelta(minutes=31))}
    assert not later["weather"].stale and later["traffic"].stale
    assert {h.feed: h for h in selectors.feed_health(T + timedelta(hours=2, minutes=1))}["weather"].stale


def test_both_jobs_are_on_the_beat_schedule_with_expiry_under_their_period():
    entries = {e["task"]: e for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    for task, period in [("simulation.tasks.weather_fetch", 3600), ("simulation.tasks.traffic_fetch", 900)]:
        assert entries[task]["schedule"].total_seconds() == period
        assert entries[task]["options"]["expires"] < period


def _stored_conditions(site, now):
    WeatherHour.objects.create(
        site=site, hour=now.replace(minute=0, second=0, microsecond=0), temperature_c=-3.5, precipitation_mm=1.2,
        snowfall_cm=0.5, wind_speed_ms=6.0, wind_direction_deg=90, source="open-meteo",
        fetched_at=now - timedelta(minutes=20),
    )  # fmt: skip
    TrafficReading.objects.create(
        site=site, latitude=site.latitude, longitude=site.longitude, road_class="urban", frc="FRC3",
        current_speed_kmh=23, free_flow_speed_kmh=48, confidence=0.9, observed_at=now - timedelta(minutes=5),
        source="tomtom",
    )  # fmt: skip


def test_the_page_shows_each_feeds_age_and_a_warning_with_the_error_when_it_failed(org, client):
    now = datetime.now(UTC)
    site = SiteFactory(department=org.a, name="Depot Nord")
    _stored_conditions(site, now)
    FeedStatus.objects.create(
        feed="weather", source="api.open-meteo.com", last_attempt_at=now, last_success_at=now - timedelta(hours=3),
        last_error="Depot Nord: weather feed api.open-meteo.com: answered HTTP 500",
    )  # fmt: skip
    FeedStatus.objects.create(feed="traffic", source="api.tomtom.com", last_attempt_at=now, last_success_at=now)
    client.force_login(org.fleet_manager_a)
    response = client.get("/simulation/feeds/")
    assert response.status_code == 200
    html = response.content.decode()
    weather_row = html[html.index('data-feed="weather"') : html.index('data-feed="traffic"')]
    assert "3 h" in weather_row and "Stale" in weather_row and "answered HTTP 500" in weather_row
    assert "older than 2 fetch periods" in weather_row
    traffic_row = html[html.index('data-feed="traffic"') : html.index("</table>", html.index('data-feed="traffic"'))]
    assert "Current" in traffic_row and "Stale" not in traffic_row
    assert "-3.5 °C" in html and "1.2 mm/h" in html and "6.0 m/s" in html
    assert "23 km/h" in html and "free flow 48 km/h" in html and "20 min old" in html and "5 min old" in html


def test_the_page_gives_speeds_in_mph_where_the_department_counts_in_miles(org, client):
    now = datetime.now(UTC)
    org.a.distance_unit = "mi"
    org.a.save(update_fields=["distance_unit"])
    _stored_conditions(SiteFactory(department=org.a, name="Depot Nord"), now)
    client.force_login(org.fleet_manager_a)
    html = client.get("/simulation/feeds/").content.decode()
    assert "14 mph" in html and "free flow 30 mph" in html and "13.4 mph" in html
    assert "km/h" not in html and "m/s" not in html


def test_the_page_warns_that_a_feed_never_fetched(org, client):
    client.force_login(org.fleet_manager_a)
    html = client.get("/simulation/feeds/").content.decode()
    assert html.count("Never fetched yet.") == 2


def test_the_page_shows_only_the_users_departments_sites(org, client):
    now = datetime.now(UTC)
    _stored_conditions(SiteFactory(department=org.a, name="A yard"), now)
    _stored_conditions(SiteFactory(department=org.a1, name="A1 yard"), now)
    _stored_conditions(SiteFactory(department=org.b, name="B yard"), now)
    client.force_login(org.fleet_manager_b)
    html = client.get("/simulation/feeds/").content.decode()
    assert "B yard" in html and "A yard" not in html and "A1 yard" not in html
    client.force_login(org.fleet_manager_a)
    html = client.get("/simulation/feeds/").content.decode()
    assert "A yard" in html and "A1 yard" in html and "B yard" not in html


def test_the_page_needs_a_login(client):
    response = client.get("/simulation/feeds/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    now = datetime.now(UTC)
    for i in range(count):
        site = SiteFactory(department=org.a)
        if i % 2 == 0:
            _stored_conditions(site, now)  # the others fall back to the normals and show no traffic
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(10):
        response = client.get("/simulation/feeds/")
    assert response.status_code == 200


def test_the_stations_page_links_to_the_feeds(org, client):
    client.force_login(org.fleet_manager_a)
    assert 'href="/simulation/feeds/"' in client.get("/stations/").content.decode()


def test_the_weather_api_lists_the_users_sites_filtered_by_site(org, api, django_assert_max_num_queries):
    now = datetime.now(UTC)
    mine, other_mine = SiteFactory(department=org.a), SiteFactory(department=org.a1)
    theirs = SiteFactory(department=org.b)
    for site in (mine, other_mine, theirs):
        _stored_conditions(site, now)
    client = api(org.fleet_manager_a)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/weather/", {"site": mine.pk})
    assert response.status_code == 200
    assert [row["site"] for row in response.json()["results"]] == [mine.pk]
    all_rows = api(org.fleet_manager_a).get("/api/v1/weather/").json()["results"]
    assert {row["site"] for row in all_rows} == {mine.pk, other_mine.pk}
    assert api(org.fleet_manager_b).get("/api/v1/weather/", {"site": mine.pk}).json()["results"] == []
    traffic = api(org.analyst_b).get("/api/v1/traffic-readings/").json()["results"]
    assert [row["site"] for row in traffic] == [theirs.pk]


def test_the_offline_weather_warning_names_no_organisations_places(org):
    SiteFactory(department=org.a, latitude=52.52, longitude=13.40)  # Berlin
    SiteFactory(department=org.b, latitude=40.71, longitude=-74.01)  # New York, another organisation's
    services.weather_fetch()
    warning = FeedStatus.objects.get(feed="weather").warning
    assert "climate normals" in warning
    assert "New York" not in warning and "Berlin" not in warning
