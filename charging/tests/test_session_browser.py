"""The session page in a real browser: it follows the station live, and stopping from it asks first."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from charging.services import meter_values, transactions
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from stations import services as station_services
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_session_page_follows_the_station_live(org, page):
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-LIVE-S", is_connected=True)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("22"), status="Charging")  # fmt: skip
    session = SessionFactory(connector=connector, vehicle=VehicleFactory(department=org.a), status="charging",
                             transaction_id="55", started_at=timezone.now() - timedelta(minutes=20))  # fmt: skip
    _log_in(page, org.dispatcher_a)
    page.goto(f"/sessions/{session.pk}/")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Charging")

    reading = {"energy_wh": 2500.0, "power_kw": 10.5, "soc_percent": 48.2}
    _in_thread(meter_values.meter_values_record, charge_point_id=cp.pk, evse_id=1, connector_id=1,
               transaction_id="55", samples=[(timezone.now(), reading)])  # fmt: skip
    expect(page.locator("#session-power")).to_have_text("10.5 kW", timeout=5_000)
    expect(page.locator("#session-soc")).to_have_text("48.2 %")
    expect(page.locator("#session-energy")).to_have_text("2.5 kWh")
    assert page.evaluate("document.getElementById('chart-power').data[0].y.slice(-1)[0]") == 10.5  # drawn too

    _in_thread(station_services.connector_status_update, charge_point_id=cp.pk, evse_id=1, connector_id=1,
               status="SuspendedEV")  # fmt: skip
    expect(page.locator("#session-status")).to_have_text("Suspended by vehicle", timeout=5_000)
    _in_thread(transactions.transaction_stop, charge_point_id=cp.pk, transaction_id="55", meter_stop_wh=3000.0,
               timestamp=timezone.now(), reason="Local")  # fmt: skip
    expect(page.locator("#session-status")).to_have_text("Completed", timeout=5_000)
    expect(page.locator("#session-power")).to_have_text("0.0 kW")
    expect(page.locator("#session-stop")).to_have_count(0)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened


def test_stopping_from_the_session_page_asks_first(org, page):
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-STOP", is_connected=True)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, status="Preparing")
    session = SessionFactory(connector=connector, vehicle=VehicleFactory(department=org.a), status="pending",
                             transaction_id="pending-1", started_at=timezone.now())  # fmt: skip
    _log_in(page, org.dispatcher_a)
    page.goto(f"/sessions/{session.pk}/")
    page.locator("#session-stop").click()
    page.wait_for_url(f"**/sessions/{session.pk}/stop/")
    page.get_by_role("link", name="Keep charging").click()
    page.wait_for_url(f"**/sessions/{session.pk}/")
    session.refresh_from_db()
    assert session.ended_at is None
    page.locator("#session-stop").click()
    page.get_by_role("button", name="Stop charging").click()
    expect(page.locator("#session-status")).to_have_text("Aborted")
    session.refresh_from_db()
    assert session.status == "aborted"
