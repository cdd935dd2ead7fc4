"""Every page in Chromium under the Content-Security-Policy: the `page` fixture (tests/browser.py) fails the test on
any violation the browser reports, so these walks prove that the pages, their charts, the admin, the API reference
and the service worker all work inside the policy."""

import pytest
from playwright.sync_api import expect

from analytics.tests.world import build_world
from tests.browser import PASSWORD, _log_in
from tests.test_csp import pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(org):
    return build_world(org)


def test_every_dashboard_and_admin_page_runs_without_a_policy_violation(world, page):
    _log_in(page, world.org.fleet_manager_a)
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()  # the WebSocket is allowed

    for path in [*pages(world), "/api/v1/", "/api/v1/vehicles/"]:  # and DRF's browsable API
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    page.goto(f"/fleet/vehicles/{world.v1.pk}/")
    page.wait_for_selector("#chart-soc .main-svg")  # plotly.js drew inside the policy
    page.goto("/analytics/?period=custom&start=2026-01-10&end=2026-01-11")
    expect(page.locator("[data-figure] .main-svg").first).to_be_visible()


def test_the_service_worker_registers_under_the_policy(world, page):
    _log_in(page, world.org.fleet_manager_a)
    page.goto("/notifications/")
    scope = page.evaluate("navigator.serviceWorker.register('/sw.js').then((r) => r.scope)")
    assert scope.endswith("/")
    page.evaluate("navigator.serviceWorker.ready")


def test_a_confirmation_asks_before_a_report_is_deleted_without_an_inline_handler(world, page):
    from analytics.models import SavedReport

    _log_in(page, world.org.fleet_manager_a)
    pages(world)  # creates the saved report
    report = SavedReport.objects.get()
    page.goto(f"/analytics/reports/{report.pk}/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete").click()
    assert questions == ["Delete this report and its history?"]
    assert SavedReport.objects.filter(pk=report.pk).exists()  # dismissed: not sent


def test_the_public_pages_and_the_api_reference_run_without_a_policy_violation(db, page):
    for path in ["/accounts/login/", "/accounts/password-reset/", "/admin/login/", "/api/guide/"]:
        assert page.goto(path).status == 200, path
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("EV Fleet API", timeout=60_000)
    page.goto("/api/redoc/")
    # ReDoc fetches and lays out the whole schema first
    expect(page.locator("#redoc-container h1").first).to_contain_text("EV Fleet API", timeout=60_000)
    page.wait_for_load_state("networkidle")


def test_the_locked_out_sign_in_page_runs_without_a_policy_violation(org, page, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.fill("#id_username", "analyst-a")
        page.fill("#id_password", f"guess-{n}")
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#locked-out")).to_contain_text("Too many failed sign-ins")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#locked-out")).to_be_visible()
