import pytest
from charging.models import ChargingPlan
from charging.services import smart
from stations.models import Connector
from dispatch.tests.test_depot import _depot
from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_screens(org, page):
    site = _depot(org.a, connectors=6, sessions=3)
    c = Connector.objects.filter(charge_point__site=site).order_by("pk").last()
    Connector.objects.filter(pk=c.pk).update(status="Faulted", error_code="GroundFailure")
    smart.plan_site(site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=False)
    for role in ("dispatcher", "technician"):
        page.context.clear_cookies()
        _log_in(page, getattr(org, f"{role}_a"))
        for width in (1280, 1440):
            page.set_viewport_size({"width": width, "height": 1100})
            page.goto(f"/dispatch/depots/{site.pk}/")
            page.locator("[data-testid=chart-depot-load] .main-svg").first.wait_for()
            page.screenshot(path=f"/tmp/depot_{role}_{width}.png", full_page=True)
    page.goto("/dispatch/depots/")
    page.screenshot(path="/tmp/depot_list.png", full_page=True)
