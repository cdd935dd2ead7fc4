"""The pricing pages in a real browser: plotly.js draws the day's prices, the form redraws them for a
customer, and new prices are previewed as a chart before they are saved as a version."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from pricing import services
from pricing.models import Contract
from pricing.tests.factories import DAY_NIGHT, CustomerFactory
from stations.tests.factories import SiteFactory
from tests.browser import _log_in

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
