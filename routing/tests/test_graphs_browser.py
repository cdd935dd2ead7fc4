"""Road graphs in Chromium: the live map draws the imported streets as its "Roads" layer from zoom 13 with no
request leaving 127.0.0.1, and the graphs page moves an import's progress bar as the row changes."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from routing.models import RoadGraph
from routing.tests.test_graphs import _helsinki, _stored
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MANY = re.compile(r"^[1-9]\d{2,}$")  # a hundred segments or more


@pytest.fixture
def helsinki(org):
    return _stored()


@pytest.fixture
def outside(page):
    """Every request the page makes to another host than 127.0.0.1, refused (and recorded)."""
    refused = []

    def guard(route):
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", guard)
    return refused


def test_the_live_map_draws_the_imported_streets_when_zoomed_in(org, helsinki, page, outside):
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "roads.json" in request.url else None)
    _log_in(page, org.dispatcher_a)
    page.goto("/dispatch/map/")
    live_map = page.locator("#live-map")
    expect(page.locator("#live-map[data-basemap-loaded='5']")).to_be_attached(timeout=15_000)
    page.evaluate("EVLiveMap.map.setView([60.171, 24.944], 15)")
    expect(live_map).to_have_attribute("data-roads", MANY, timeout=10_000)  # the streets of the box
    assert page.locator(".leaflet-roads-pane canvas").count() == 1
    assert "bbox=" in asked[-1] and urlsplit(asked[-1]).hostname == "127.0.0.1"
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap contributors")
    # zoomed out to the city, the layer empties itself and asks nothing
    count = len(asked)
    page.evaluate("EVLiveMap.map.setView([60.171, 24.944], 11)")
    expect(live_map).to_have_attribute("data-roads", "zoom")
    assert len(asked) == count
    # the layer can be switched off in the layer control
    page.locator(".leaflet-control-layers").hover()
    roads = page.locator(".leaflet-control-layers-overlays label", has_text="Roads").locator("input")
    expect(roads).to_be_checked()
    page.evaluate("EVLiveMap.map.setView([60.171, 24.944], 15)")
    expect(live_map).to_have_attribute("data-roads", MANY)
    roads.uncheck()
    expect(page.locator(".leaflet-roads-pane canvas")).to_have_count(0)
    assert outside == []


def test_the_graphs_page_follows_an_import_until_it_is_stored(org, page):
    reading = "Reading the drivable roads of Helsinki.osm.pbf"
    graph = RoadGraph.objects.create(
        name="Helsinki", source="x", status="importing", progress_percent=30, message=reading
    )
    _log_in(page, org.admin)
    page.goto("/routing/graphs/")
    row = page.locator(f'tr[data-graph-id="{graph.pk}"]')
    expect(row.locator("progress")).to_have_attribute("value", "30")
    expect(row).to_contain_text("Reading the drivable roads")

    def move(**values):
        RoadGraph.objects.filter(pk=graph.pk).update(**values)

    _in_thread(move, progress_percent=60, message="Keeping the largest strongly connected part")
    expect(row.locator('[data-role="percent"]')).to_have_text("60 %", timeout=10_000)
    expect(row).to_contain_text("Keeping the largest strongly connected part")
    data = _helsinki()
    _in_thread(move, status="ready", progress_percent=100, message="Imported", node_count=data.node_count,
               edge_count=data.edge_count, data=data.to_bytes(), imported_at=graph.created_at,
               south=60.1641, west=24.9352, north=60.1791, east=24.9535)  # fmt: skip
    expect(row.locator('[data-role="status"]')).to_have_text("Ready", timeout=10_000)
    expect(row.locator("progress")).to_be_hidden()
    expect(row).to_contain_text("1,283")  # the page reloaded: counts and bounds
    expect(row).to_contain_text("60.1641")
