"""The live map in Chromium: the offline basemap draws with no request leaving 127.0.0.1, the map fits the fleet,
labels show at depot zoom, filters hide and show, and a telemetry update moves a vehicle's marker live."""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fleet.models import Vehicle
from fleet.telemetry import telemetry_ingest
from fleet.tests.factories import VehicleFactory
from operations.models import VehicleDepot
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a, name="Depot Nord", latitude=52.58, longitude=13.33)
    cp = ChargePointFactory(site=site)
    ConnectorFactory(charge_point=cp, status="Available")
    ConnectorFactory(charge_point=cp, status="Charging")
    for number, (lat, lon, soc) in enumerate([(52.5803, 13.3302, 76.0), (52.52, 13.40, 12.0)], start=1):
        vehicle = VehicleFactory(department=org.a, fleet_number=f"N-{number}", soc_percent=soc)
        Vehicle.objects.filter(pk=vehicle.pk).update(last_latitude=lat, last_longitude=lon)
        VehicleDepot.objects.create(vehicle=vehicle, site=site)
    other = SiteFactory(department=org.b, name="Yard B", latitude=40.68, longitude=-73.95)
    VehicleFactory(department=org.b, fleet_number="B-1", last_latitude=40.68, last_longitude=-73.95)
    ChargePointFactory(site=other)
    return site


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
    page.on("websocket", lambda socket: refused.append(socket.url) if "127.0.0.1" not in socket.url else None)
    return refused


def _marker(page, label):
    return page.locator(".vmarker", has=page.locator(".vlabel", has_text=label))


def test_the_map_draws_its_offline_basemap_and_the_fleet_with_no_request_leaving_the_site(org, page, depot, outside):
    _log_in(page, org.fleet_manager_a)
    page.goto("/dispatch/map/")
    # land, borders and coast as vector paths in the basemap pane; the cities as labels
    expect(page.locator("#live-map[data-basemap-loaded='5']")).to_be_attached(timeout=15_000)
    assert page.locator(".leaflet-basemap-pane path").count() >= 3
    expect(page.locator(".place-name", has_text="Berlin")).to_be_attached()
    expect(page.locator(".leaflet-control-scale-line").first).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("Natural Earth")
    # fitted to the fleet: zoomed in on Berlin, where the depot and the vehicles show with their labels
    assert page.evaluate("EVLiveMap.map.getZoom()") >= 10
    expect(page.locator(".smarker .slabel", has_text="Depot Nord · 1/2 free")).to_be_visible()
    expect(_marker(page, "N-1")).to_be_visible()
    # zoomed into the depot, the vehicle parked 30 m from it gets its label too (no longer crowded by the depot's)
    page.evaluate("EVLiveMap.map.setView([52.58, 13.33], 17)")
    expect(_marker(page, "N-1").locator(".vlabel")).to_be_visible()
    expect(page.locator(".smarker .slabel", has_text="Depot Nord")).to_be_visible()
    page.get_by_role("button", name="Fit to what is shown").click()
    expect(_marker(page, "N-2")).to_have_class(re.compile(r"\bvs-away low\b"))
    assert page.locator(".vlabel", has_text="B-1").count() == 0 and "Yard B" not in page.content()
    # a popup with the vehicle's figures and its page
    _marker(page, "N-2").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("12 %")
    expect(popup).to_contain_text("Parked away")
    assert popup.get_by_role("link", name="Vehicle page →").get_attribute("href").startswith("/fleet/vehicles/")
    # filters: only low SoC, then one status off
    page.get_by_label("Only SoC below 20 %").check()
    expect(_marker(page, "N-1")).to_have_count(0)
    expect(_marker(page, "N-2")).to_have_count(1)
    page.get_by_label("Only SoC below 20 %").uncheck()
    page.locator('input[name="status"][value="away"]').uncheck()
    expect(_marker(page, "N-2")).to_have_count(0)
    expect(_marker(page, "N-1")).to_have_count(1)
    assert outside == []


def test_a_telemetry_update_moves_a_vehicles_marker_live(org, page, depot, outside):
    vehicle = Vehicle.objects.get(fleet_number="N-1")
    _log_in(page, org.fleet_manager_a)
    page.goto("/dispatch/map/")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()
    marker = page.locator(f'.vmarker[data-vehicle-id="{vehicle.pk}"]')
    expect(marker).to_have_attribute("data-lat", "52.5803")
    before = marker.bounding_box()

    result = _in_thread(
        telemetry_ingest,
        actor=org.integrator_a,
        points=[
            {
                "vehicle": vehicle.pk,
                "recorded_at": timezone.now().isoformat(),
                "soc_percent": 15.0,
                "latitude": 52.55,
                "longitude": 13.37,
            }
        ],
    )
    assert (result.accepted, result.rejected) == (1, 0)

    expect(marker).to_have_attribute("data-lat", "52.55", timeout=5_000)
    expect(marker).to_have_attribute("data-lon", "13.37")
    expect(marker).to_have_attribute("data-status", "away")  # 3.6 km from its depot now
    expect(marker).to_have_class(re.compile(r"\bvs-away low\b"))
    after = marker.bounding_box()
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    assert page.url.endswith("/dispatch/map/")  # no reload
    assert outside == []


# 1x1 transparent PNG: what the routed tile server answers
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_with_a_tile_server_set_the_map_draws_its_tiles_over_the_basemap(org, page, depot, settings):
    settings.EVFLEET_MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.EVFLEET_MAP_ATTRIBUTION = "© Example tiles"
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {  # as settings.py builds it when the variable is set at start-up
        "DIRECTIVES": {**directives, "img-src": [*directives["img-src"], "https://tiles.example.org"]}
    }
    tiles = []

    def tile_server(route):  # answered here: nothing leaves the machine
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.context.route("https://tiles.example.org/**", tile_server)
    _log_in(page, org.fleet_manager_a)
    page.goto("/dispatch/map/")
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached(timeout=10_000)
    assert tiles and all(re.fullmatch(r"https://tiles\.example\.org/\d+/\d+/\d+\.png", url) for url in tiles)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© Example tiles")
    expect(
        page.locator("#live-map[data-basemap-loaded='4']")
    ).to_be_attached()  # land, borders, coast, roads under them
    assert page.locator(".place-name").count() == 0  # the tiles carry their own names
