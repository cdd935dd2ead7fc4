"""The analytics pages in a real browser: plotly.js draws the hand-computed fleet of world.py (10-11 January
2026), the period form redraws it, the comparison plots both periods, and the report builder saves a report
whose preview and PDF come from the same figures, or names the metric that cannot be grouped that way."""

import re

import pytest
from playwright.sync_api import expect

from analytics.models import SavedReport
from analytics.tests.world import build_world
from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD_QS = "period=custom&start=2026-01-10&end=2026-01-11"


def data(testid: str) -> str:
    """The traces plotly.js drew in a chart (Plotly keeps them on the element)."""
    return f"document.querySelector('[data-testid={testid}]').data"


@pytest.fixture
def world(org):
    return build_world(org)  # it seeds the migration's zones and baselines again after a transactional flush


def test_the_dashboard_draws_every_chart_and_the_period_form_redraws_them(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto(f"/analytics/?{PERIOD_QS}")
    charts = page.locator("[data-figure]")
    expect(charts).to_have_count(7)
    for i in range(7):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    assert page.evaluate("[...document.querySelectorAll('[data-figure]')].every(el => el.data.length > 0)")
    assert page.evaluate(f"{data('chart-daily')}[0].y") == [50, 20]  # kWh on the 10th and the 11th
    expect(page.locator("[data-kpi=energy_charged_kwh]")).to_have_text("70.0 kWh")
    expect(page.locator("[data-kpi=cost]")).to_have_text("23.50 €")

    form = page.get_by_role("form", name="Period")
    form.locator('select[name="period"]').select_option(label="Custom dates")
    form.get_by_label("From").fill("2026-01-10")
    form.get_by_label("To", exact=True).fill("2026-01-10")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**end=2026-01-10*")
    expect(page.locator("[data-kpi=energy_charged_kwh]")).to_have_text("50.0 kWh")
    expect(page.locator("[data-kpi=cost]")).to_have_text("16.50 €")
    expect(page.locator("[data-testid=chart-daily] .main-svg").first).to_be_visible()
    assert page.evaluate(f"{data('chart-daily')}[0].y") == [50]


def test_the_comparison_plots_the_period_beside_the_one_before(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto(
        "/analytics/compare/?period=custom&start=2026-01-11&end=2026-01-11"
        "&metrics=energy_charged_kwh&grouping=vehicle&compare_to=previous"
    )
    expect(page.locator("[data-testid=chart-compare] .main-svg").first).to_be_visible()
    traces = page.evaluate(data("chart-compare"))
    assert [(t["type"], t["name"]) for t in traces] == [
        ("bar", "11 Jan 2026 – 11 Jan 2026"), ("bar", "10 Jan 2026 – 10 Jan 2026"),
    ]  # fmt: skip
    # V1 charged only the day before: it is listed with 0 now (-100 %)
    assert [(t["x"], t["y"]) for t in traces] == [(["V2", "V1"], [20, 0]), (["V2", "V1"], [10, 40])]
    v2 = page.locator("#compare-table tbody tr", has_text="V2")
    expect(v2.locator("td")).to_have_text(["1", "V2", "20.0", "10.0", "10.0", "100.0"])  # rank, now, before, change


def test_the_environment_page_draws_its_chart_and_the_charging_emissions(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto(f"/analytics/environment/?{PERIOD_QS}")
    expect(page.locator("[data-testid=chart-environment] .main-svg").first).to_be_visible()
    traces = page.evaluate(data("chart-environment"))
    assert [(t["name"], t["y"]) for t in traces] == [
        ("Combustion baseline", [15.8]), ("Charging emissions", [24.4]), ("Net after offsets", [14.4]),
    ]  # fmt: skip
    expect(page.locator("[data-kpi=charging_emissions_kg]")).to_have_text("24.4 kg")


def test_a_report_is_built_previewed_and_downloaded_as_pdf(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto("/analytics/reports/new/")
    page.fill("#id_name", "Energy by vehicle")
    expect(page.locator("#id_department option:checked")).to_have_text("Org A")  # the user's own, preselected
    page.get_by_label("Energy charged (kWh)", exact=True).check()
    page.get_by_label("Charging cost", exact=True).check()
    page.select_option("#id_grouping", label="Vehicle")
    page.select_option("#id_period", label="Custom dates")
    page.fill("#id_start", "2026-01-10")
    page.fill("#id_end", "2026-01-11")
    page.get_by_role("button", name="Save report").click()
    page.wait_for_url(re.compile(r"/analytics/reports/\d+/$"))
    expect(page.get_by_text("saved.")).to_be_visible()
    assert SavedReport.objects.get().metrics == ["energy_charged_kwh", "cost"]
    expect(page.locator("#preview-table tbody tr", has_text="V1").locator("td")).to_have_text(["V1", "40.0", "12.00"])
    expect(page.locator("#preview-table tfoot th")).to_have_text(["Total", "70.0", "23.50"])

    with page.expect_download() as info:
        page.get_by_role("link", name="PDF", exact=True).click()
    assert info.value.suggested_filename.endswith(".pdf")
    with open(info.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"


def test_a_metric_that_cannot_be_grouped_that_way_is_refused_on_the_form(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto("/analytics/reports/new/")
    page.fill("#id_name", "Distance by site")
    page.get_by_label("Distance (km)", exact=True).check()
    page.select_option("#id_grouping", label="Site")
    page.get_by_role("button", name="Save report").click()
    expect(page.get_by_text("cannot be grouped by site")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/analytics/reports/new/$"))
    expect(page.get_by_label("Distance (km)", exact=True)).to_be_checked()  # the choice is kept
    assert not SavedReport.objects.exists()
