"""The charging-stops page in a real browser: a dispatcher plans Berlin to Hamburg, Leaflet draws the trip and its
stops from local assets (no CSP violation), and the stops are booked with one click."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from charging.models import Reservation
from routing.tests.test_stops_service import HAMBURG, corridor  # noqa: F401  (the fixture)
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
