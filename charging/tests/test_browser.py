"""The pricing pages in a real browser: plotly.js draws the day's prices, the form redraws them for a
customer, and new prices are previewed as a chart before they are saved as a version."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from charging import services
from charging.models import Contract
from charging.services import meter_values, transactions
from charging.tests.factories import DAY_NIGHT, CustomerFactory, SessionFactory
from fleet.tests.factories import VehicleFactory
from stations import services as station_services
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Y = "document.getElementById('chart-price').data[0].y"  # the values plotly.js drew


@pytest.fixture
def tariff(org):
    return services.tariff_create(
        actor=None, name="South standard", department=org.a, currency="EUR",
        site=SiteFactory(department=org.a, name="South"),  # Europe/Berlin
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), tax_percent=D("19"), elements=DAY_NIGHT,
    )  # fmt: skip


def test_the_tariff_chart_is_drawn_and_redrawn_for_a_customer(org, page, tariff):
    customer = CustomerFactory(department=org.a, name="ACME")
    services.contract_create(
        actor=None, customer=customer, name="ACME", kind=Contract.Kind.DISCOUNT,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), discount_percent=D("10"),
    )  # fmt: skip
    _log_in(page, org.fleet_manager_a)
    page.goto("/pricing/")
    page.get_by_role("link", name="South standard").click()
    page.wait_for_url(f"**/pricing/tariffs/{tariff.pk}/")
    form = page.get_by_role("form", name="Price preview")
    form.locator('input[name="date"]').fill("2026-06-10")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**date=2026-06-10*")
    expect(page.locator("#chart-price .main-svg").first).to_be_visible()
    expect(page.locator("#chart-price .scatterlayer path.js-line")).to_have_count(1)  # the step line
    expect(page.locator("#chart-price .gtitle")).to_contain_text("Wed 10 Jun 2026")
    assert page.evaluate(Y)[7] == 0.357  # 07:00, day price 0.30 plus 19 % tax

    form.locator('select[name="customer"]').select_option(label="ACME")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**customer={customer.pk}*")
    expect(page.locator("#chart-price .gtitle")).to_contain_text("for ACME")
    assert page.evaluate(Y)[7] == 0.3213  # 10 % off
    expect(form.locator('input[name="date"]')).to_have_value("2026-06-10")  # the day was kept


def test_new_prices_are_previewed_then_saved(org, page, tariff):
    _log_in(page, org.fleet_manager_a)
    page.goto(f"/pricing/tariffs/{tariff.pk}/versions/new/")
    expect(page.locator("#id_el-0-energy_price")).to_have_value("0.20")  # rows start from v1
    page.fill("#id_version-valid_from", "2026-12-01T00:00")  # a datetime-local picker
    page.fill("#id_el-0-energy_price", "0.25")  # the night row, 22:00 to 07:00
    page.get_by_role("button", name="Preview the day").click()
    expect(page.locator("#chart-price .main-svg").first).to_be_visible()
    expect(page.locator("#chart-price .gtitle")).to_contain_text("draft")
    assert page.evaluate(Y)[23] == 0.2975  # 0.25 × 1.19
    assert tariff.versions.count() == 1  # a preview stores nothing
    expect(page.locator("#id_el-0-energy_price")).to_have_value("0.25")  # the edit is kept

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/pricing/tariffs/{tariff.pk}/")
    expect(page.get_by_text("saved.")).to_be_visible()
    version = tariff.versions.get(number=2)
    assert version.elements[0]["price_components"][0]["price"] == "0.25"


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
