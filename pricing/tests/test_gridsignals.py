"""The grid signal feed adapter against a local fake feed on 127.0.0.1 (no internet)."""

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from pricing import services, tasks
from pricing.gridsignals import FeedError, JsonFeed
from pricing.models import GridSignal, LoadPricing
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 6, 10, 4, tzinfo=UTC)


@pytest.fixture
def feed_server():
    """A fake grid operator: answers whatever `state["body"]` is, records the queries it got."""
    state = {"body": {}, "queries": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state["queries"].append(parse_qs(urlparse(self.path).query))
            raw = state["body"] if isinstance(state["body"], bytes) else json.dumps(state["body"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/signals"
    yield state
    server.shutdown()


def _interval(minutes: int, price: str | None = "0.18", load: str | None = "64.5") -> dict:
    start = T + timedelta(minutes=minutes)
    item = {"starts_at": start.isoformat().replace("+00:00", "Z"),
            "ends_at": (start + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")}  # fmt: skip
    if price is not None:
        item["price_per_kwh"] = price
    if load is not None:
        item["load_percent"] = load
    return item


def test_the_feed_is_read_for_each_priced_site_and_updates_its_intervals(org, feed_server, settings):
    site = SiteFactory(department=org.a)
    LoadPricing.objects.create(site=site, curve=[[0, 1], [100, 2]])
    feed_server["body"] = {"source": "tso-day-ahead", "intervals": [_interval(0), _interval(15, load=None)]}
    stored = services.grid_signals_fetch(site=site, start=T, end=T + timedelta(hours=1),
                                         feed=JsonFeed(feed_server["url"], 5))  # fmt: skip
    assert stored == 2
    query = feed_server["queries"][0]
    assert query["site"] == [str(site.pk)] and query["start"] == ["2026-06-10T04:00:00Z"]
    feed_server["body"] = {"source": "tso-day-ahead", "intervals": [_interval(0, price="0.25")]}
    settings.GRID_SIGNAL_URL = feed_server["url"]
    assert tasks.grid_signals_fetch.apply().get() == 1  # the beat job, through the configured feed
    signals = GridSignal.objects.filter(site=site, source="tso-day-ahead").order_by("starts_at")
    assert [(s.price_per_kwh, s.load_percent) for s in signals] == [(D("0.25"), D("64.5")), (D("0.18"), None)]


@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        {"data": []},
        {"intervals": [{"starts_at": "yesterday"}]},
        {"intervals": [_interval(0), _interval(15, price=None, load=None)]},
        {"intervals": [_interval(0, load="250")]},
    ],
)
def test_an_unusable_feed_stores_nothing(org, feed_server, body):
    site = SiteFactory(department=org.a)
    feed_server["body"] = body
    with pytest.raises(FeedError):
        services.grid_signals_fetch(
            site=site, start=T, end=T + timedelta(hours=1), feed=JsonFeed(feed_server["url"], 5)
        )
    assert not GridSignal.objects.exists()


def test_without_a_feed_the_beat_job_does_nothing(org, settings):
    settings.GRID_SIGNAL_URL = ""
    LoadPricing.objects.create(site=SiteFactory(department=org.a), curve=[[0, 1], [100, 2]])
    assert tasks.grid_signals_fetch.apply().get() == 0
