"""The stations page updates a connector's badge live when the station reports a new status."""

import asyncio
import time

import pytest
from ocpp.v16 import call as call16
from playwright.sync_api import expect

from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_status_notification_changes_the_badge_without_a_reload(org, page, asgi_live_server):
    charge_point = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-LIVE")
    connector = ConnectorFactory(charge_point=charge_point, evse_id=1)
    _log_in(page, org.fleet_manager_a)
    page.goto("/stations/")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()
    badge = page.locator(f'[data-connector-id="{connector.pk}"] [data-field="connector-status"]')
    expect(badge).to_have_text("Unknown")

    async def report(status, error_code):
        async with station(asgi_live_server, "CP-LIVE", "ocpp1.6") as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            sent = time.monotonic()
            await cp.call(call16.StatusNotification(connector_id=1, error_code=error_code, status=status))
            return sent

    sent = _in_thread(asyncio.run, report("Faulted", "GroundFailure"))
    expect(badge).to_have_text("Faulted", timeout=2_000)
    shown = time.monotonic()
    assert shown - sent < 1.0, f"the badge changed {shown - sent:.2f} s after the StatusNotification"
    expect(page.locator(f'[data-connector-id="{connector.pk}"] [data-field="connector-error"]')).to_have_text(
        "GroundFailure"
    )
    expect(page.locator("#alert-list")).to_contain_text("GroundFailure")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
