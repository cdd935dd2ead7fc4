"""The smart-charging pages in a real browser: a manager re-plans a depot and plotly.js draws the plan (one stacked
trace per vehicle under the site's 15 kW, the limit and the actual power), the vehicles table explains it, and
the roles see, re-plan or are kept out."""

from datetime import timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from charging.models import ChargingPlan, Circuit, MeterSample
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from pricing.tests.factories import DAY_NIGHT, TariffFactory, TariffVersionFactory
from stations.models import OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = "document.querySelector('[data-testid=chart-plan]').data"  # the traces plotly.js drew


@pytest.fixture
def depot(org):
    now = timezone.now()
    site = SiteFactory(department=org.a, name="Smart depot", grid_limit_kw=D("15"), smart_charging=True)
    TariffVersionFactory(tariff=TariffFactory(department=org.a, site=site), elements=DAY_NIGHT)
    feeder = Circuit.objects.create(site=site, name="Feeder 1", max_power_kw=D("20"))
    cp = ChargePointFactory(site=site, identity="SMART-1", protocol="ocpp1.6", circuit=feeder, is_connected=True)
    ac = dict(connector_type="type2", current_type="ac", max_power_kw=D("22"), max_current_a=32)
    c1, c2, _c3 = (ConnectorFactory(charge_point=cp, evse_id=i, **ac) for i in (1, 2, 3))
    model = VehicleModelFactory(name="Smart van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    v1 = VehicleFactory(department=org.a, fleet_number="S-1", vehicle_model=model, soc_percent=20.0)
    v2 = VehicleFactory(department=org.a, fleet_number="S-2", vehicle_model=model, soc_percent=50.0,
                        priority_class="critical")  # fmt: skip
    SessionFactory(connector=c1, vehicle=v1, status="charging", started_at=now - timedelta(minutes=30), ended_at=None,
                   transaction_id="501", departure_at=now + timedelta(hours=10))  # fmt: skip
    SessionFactory(connector=c2, vehicle=v2, status="charging", started_at=now - timedelta(minutes=20), ended_at=None,
                   transaction_id="502", departure_at=now + timedelta(hours=6), target_soc_percent=95.0)  # fmt: skip
    MeterSample.objects.create(connector=c1, sampled_at=now - timedelta(minutes=20), power_kw=11.0)
    return site


def _replan(page):
    page.get_by_role("button", name="Re-plan now").click()
    expect(page.get_by_text("Re-planned in")).to_be_visible()
    expect(page.locator("[data-testid=chart-plan] .main-svg").first).to_be_visible()


def test_a_manager_replans_a_site_and_the_plan_is_drawn_under_its_limit(org, page, depot):
    _log_in(page, org.fleet_manager_a)
    page.goto("/smart-charging/")
    row = page.locator("#smart-sites tbody tr", has_text="Smart depot")
    expect(row.locator("td").nth(1)).to_have_text("on")
    row.get_by_role("link", name="Smart depot").click()
    page.wait_for_url(f"**/smart-charging/sites/{depot.pk}/")
    expect(page.get_by_text("No plan yet for this site.")).to_be_visible()
    _replan(page)
    expect(page.get_by_text("sent to the stations")).to_be_visible()  # smart charging is on
    sent = OcppCommand.objects.filter(charge_point__site=depot, action="SetChargingProfile")
    assert sorted(c.request["csChargingProfiles"]["transactionId"] for c in sent) == [501, 502]
    traces = {t["name"]: t for t in page.evaluate(PLAN)}
    assert set(traces) == {"S-1", "S-2", "Site limit", "Actual"}
    stacked = [t for t in traces.values() if t.get("stackgroup") == "plan"]
    assert sorted(t["name"] for t in stacked) == ["S-1", "S-2"]
    assert set(traces["Site limit"]["y"]) == {15}
    assert all(sum(kw) <= 15 + 1e-6 for kw in zip(*(t["y"] for t in stacked), strict=True))
    assert 11.0 in traces["Actual"]["y"]  # the meter reading of 20 minutes ago
    plan = ChargingPlan.objects.get(site=depot)
    first = plan.starts_at.astimezone(ZoneInfo(depot.time_zone)).strftime("%Y-%m-%d %H:%M")
    assert traces["S-1"]["x"][0] == first  # Berlin, the zone of both the site and the user
    expect(page.locator("[data-testid=chart-plan] .xtitle")).to_have_text("Local time at the site (Europe/Berlin)")


def test_the_vehicles_table_shows_each_vehicles_soc_at_departure_and_why(org, page, depot):
    _log_in(page, org.fleet_manager_a)
    page.goto(f"/smart-charging/sites/{depot.pk}/")
    _replan(page)
    rows = page.locator("#plan-vehicles tbody tr")
    expect(rows).to_have_count(2)
    for label in ("S-1", "S-2"):
        expect(rows.filter(has_text=label).locator("td").nth(8)).to_have_text("80")  # SoC at departure, whole %
    critical = rows.filter(has_text="S-2")
    expect(critical.locator("td").nth(1)).to_have_text("critical")
    expect(critical.locator("td").nth(10)).to_contain_text("target capped at 80 %")  # it asked for 95 %


def test_a_dispatcher_replans_a_technician_only_looks_and_another_organisation_is_kept_out(org, page, depot):
    url = f"/smart-charging/sites/{depot.pk}/"
    _log_in(page, org.dispatcher_a)
    page.goto(url)
    _replan(page)
    expect(page.locator("#plan-vehicles tbody tr")).to_have_count(2)

    page.context.clear_cookies()
    _log_in(page, org.technician_a)
    page.goto(url)
    expect(page.locator("[data-testid=chart-plan] .main-svg").first).to_be_visible()
    expect(page.get_by_role("button", name="Re-plan now")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    assert page.request.post(f"{url}replan/", headers={"X-CSRFToken": token}).status == 403
    assert ChargingPlan.objects.filter(site=depot).count() == 1

    page.context.clear_cookies()
    _log_in(page, org.fleet_manager_b)
    assert page.goto(url).status == 404
