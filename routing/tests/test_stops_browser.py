"""The charging-stops page in a real browser: a dispatcher plans Berlin to Hamburg, Leaflet draws the trip and its
stops from local assets (no CSP violation), and the stops are booked with one click."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from charging.models import Reservation
from routing.tests.test_stops_service import BERLIN, HAMBURG, corridor  # noqa: F401  (the fixture)
from stations.tests.factories import SiteFactory
from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("EVFLEET_SCREENSHOTS")  # a folder: the test saves the page there at 1280 and 1440 px


def test_a_dispatcher_plans_the_trip_sees_it_on_the_map_and_books_the_stops(org, page, corridor):  # noqa: F811
    failed = []  # every request the page makes answers (Leaflet's default marker images once did not)
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    _log_in(page, org.dispatcher_a)
    vehicle = corridor["vehicle"]
    page.goto(
        f"/routing/charging-stops/?vehicle={vehicle.pk}&destination_latitude={HAMBURG[0]}"
        f"&destination_longitude={HAMBURG[1]}"
    )
    expect(page.locator("#stops-map .stops-pin.stop").first).to_be_visible()
    stops = page.locator(".stops-result table tbody tr")
    count = stops.count()
    assert count >= 1
    assert page.locator("#stops-map .stops-pin.stop").count() == count
    expect(page.locator("#stops-map .stops-pin.origin")).to_have_text("A")
    expect(page.locator("#stops-map .stops-pin.destination")).to_have_text("B")
    # the offline basemap under the trip: land, borders, coast, cities (the streets only where a graph is imported)
    expect(page.locator("#stops-map")).to_have_attribute("data-basemap-loaded", "5")
    assert failed == []
    if SHOTS:
        for width, height in ((1280, 800), (1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(Path(SHOTS) / f"stops-{width}.png"), full_page=True)
    page.get_by_role("button", name="Book these stops").click()
    expect(page.locator("body")).to_contain_text("Booked")
    assert Reservation.objects.filter(vehicle=vehicle).count() == count


def test_site_names_in_the_maps_tooltips_are_text_not_markup(org, page, corridor):  # noqa: F811
    """A site's name is anyone's input (a fleet manager names a site): the tooltips show it as text, so a name that
    looks like markup puts no element into the page (stored XSS)."""
    payload = '<img src="x" class="injected" onerror="document.body.dataset.injected=1">'
    for name, site in corridor["sites"].items():
        site.name = f"{name} {payload}"
        site.save(update_fields=["name"])
    origin = SiteFactory(department=org.a, name=f"Depot {payload}", latitude=BERLIN[0], longitude=BERLIN[1])
    _log_in(page, org.dispatcher_a)
    page.goto(
        f"/routing/charging-stops/?vehicle={corridor['vehicle'].pk}&origin_site={origin.pk}"
        f"&destination_latitude={HAMBURG[0]}&destination_longitude={HAMBURG[1]}"
    )
    pins = page.locator("#stops-map .leaflet-marker-icon")
    stop = pins.filter(has=page.locator(".stops-pin.stop")).first
    expect(stop).to_be_visible()
    stop.hover()
    tooltip = page.locator("#stops-map .leaflet-tooltip")
    expect(tooltip).to_contain_text("1. ")
    expect(tooltip).to_contain_text(payload)
    pins.filter(has=page.locator(".stops-pin.origin")).hover()  # the origin's pin "A"
    expect(page.locator("#stops-map .leaflet-tooltip").filter(has_text="Origin: Depot")).to_contain_text(payload)
    assert page.locator(".injected").count() == 0
    assert page.evaluate("document.body.dataset.injected") is None
