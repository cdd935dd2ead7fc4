"""The readiness board in a real browser: signing in lands on it, and a trip changed elsewhere changes the vehicle's
row live, over the dashboard socket, without a reload."""

import os
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations import services as operations
from operations.models import VehicleDepot
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("EVFLEET_SCREENSHOTS")  # a directory: the board is saved there at 1280 and 1440 px


@pytest.fixture
def depot(org):
    now = timezone.now()
    site = SiteFactory(department=org.a, name="Westbrook depot", time_zone="America/New_York")
    cp = ChargePointFactory(site=site, identity="WB-1")
    ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac", max_power_kw=D("11"),
                     status="Available")  # fmt: skip
    model = VehicleModelFactory(name="eTransit", max_ac_kw=D("11"), usable_battery_kwh=D("64"), vehicle_class="van")
    leaves = (now + timedelta(hours=10)).replace(second=0, microsecond=0)
    trips = {}
    for n, (label, soc, km) in enumerate((("W-01", 75.0, 80), ("W-02", 12.0, 140), ("W-03", 55.0, 60))):
        van = VehicleFactory(department=org.a, fleet_number=label, vehicle_model=model, soc_percent=soc)
        VehicleDepot.objects.create(vehicle=van, site=site)
        # (in a thread: the trip's live event is published where Playwright's event loop does not run)
        trips[label] = _in_thread(operations.trip_create, actor=None, vehicle=van, depot=site,
                                  departs_at=leaves + timedelta(minutes=30 * n),
                                  returns_at=leaves + timedelta(hours=8), distance_km=km)  # fmt: skip
    return {"site": site, "trips": trips}


def _shoot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_a_trip_changed_elsewhere_changes_the_board_row_live(org, page, depot):
    _log_in(page, org.fleet_manager_a)  # signing in lands on the board
    row = page.locator("tr[data-vehicle-id]", has_text="W-01")
    expect(row.locator('[data-field="status"] .badge')).to_have_text("Ready")
    expect(page.locator('[data-count="ready"]')).to_have_text("2")
    for width in (1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        _shoot(page, f"board-{width}.png")
    before = row.locator('[data-field="required"]').inner_text()
    page.evaluate("window.notReloaded = true")
    trip = depot["trips"]["W-01"]
    # long enough to need about 90 % (more than its 75 %) in any season: the need per km depends on the day's
    # temperature, so the distance is scaled from the 80 km trip's need rather than fixed
    trip.refresh_from_db()
    reserve = trip.required_soc_percent * trip.reserve_kwh / (trip.driving_kwh + trip.climate_kwh + trip.reserve_kwh)
    per_km = (trip.required_soc_percent - reserve) / 80
    _in_thread(operations.trip_update, actor=org.dispatcher_a, trip=trip, distance_km=round((90 - reserve) / per_km))
    expect(row.locator('[data-field="status"] .badge')).to_have_text("Not plugged in", timeout=10_000)
    expect(row.locator('[data-field="required"]')).not_to_have_text(before)
    expect(page.locator('[data-count="ready"]')).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True  # the row changed in place
