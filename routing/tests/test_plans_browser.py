"""The plan page in Chromium: the routes drawn on the map in their colours, the charging stops marked, no error."""

import os
import sys
import types
from datetime import time
from unittest import mock

import pytest

from fleet.tests.factories import VehicleFactory
from routing.models import RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import DAY, insertion_solve, job_data, real_solver
from stations.tests.factories import SiteFactory
from tests.browser import _log_in
from tests.pages import LAYOUT_PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("EVFLEET_SCREENSHOTS")  # a folder: the pages are saved there at 1280 and 1440 px


def _solved(world):
    plan = plans.plan_create(
        actor=None, name="Tuesday deliveries", department=world.org.a, depot=world.depot, service_date=DAY,
        day_starts=time(7, 0), day_ends=time(18, 0), time_limit_s=1, vehicles=world.vans, jobs=job_data(),
    )  # fmt: skip
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    stand_in = types.ModuleType("routing.evrptw.solver")
    stand_in.solve = insertion_solve
    with mock.patch.dict(sys.modules, {} if real_solver() else {"routing.evrptw.solver": stand_in}):
        return plans.plan_solve_run(plan_id=plan.pk)


def test_the_plan_page_draws_each_route_in_its_colour_and_lists_its_stops(world, page, csp_violations):
    plan = _solved(world)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, world.org.fleet_manager_a)
    for width, height in ((1280, 800), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/routing/plans/{plan.pk}/")
        page.wait_for_selector("#plan-map path.leaflet-interactive")
        colours = page.eval_on_selector_all(
            "#plan-map path.leaflet-interactive[stroke-width='4']", "paths => paths.map(p => p.getAttribute('stroke'))"
        )
        assert len(set(colours)) == plan.routes.count()
        assert page.locator("#route-table tbody tr").count() == plan.routes.count()
        assert page.locator("#job-table tbody tr").count() == 5
        problems = page.evaluate(LAYOUT_PROBLEMS_JS)  # the layout test's checks, on these pages alone
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/plan-detail-{width}.png", full_page=True)
        for name, url in (("list", "/routing/plans/"), ("new", "/routing/plans/new/")):
            page.goto(url)
            page.wait_for_load_state("load")
            problems += [f"{url}: {p}" for p in page.evaluate(LAYOUT_PROBLEMS_JS)]
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/plan-{name}-{width}.png", full_page=True)
        assert problems == [], f"{width} px: {problems}"
    assert errors == [] and csp_violations == []


def test_the_new_plan_page_offers_only_the_vehicles_of_the_chosen_depots_department(world, page):
    """Org A's manager picks the team's depot: only the team's vans stay listed (the plan becomes the team's); a van
    ticked before and now hidden is unticked, so it is never sent; back at org A's depot, every van is offered."""
    org = world.org
    team_depot = SiteFactory(department=org.a1, name="Team depot", latitude=52.5, longitude=13.4)
    team_van = VehicleFactory(department=org.a1, vehicle_model=world.vans[0].vehicle_model, fleet_number="TV-1")
    _log_in(page, org.fleet_manager_a)
    page.goto("/routing/plans/new/")
    rows = page.locator("#id_vehicles label")
    every = rows.count()
    assert every == 4  # the two vans, the small van and the team's van (not org B's)
    page.locator("#id_vehicles label", has_text="PV-1").locator("input").check()
    page.select_option("#id_depot", str(team_depot.pk))
    visible = page.locator("#id_vehicles label:visible")
    assert visible.count() == 1 and team_van.fleet_number in visible.inner_text()
    assert not page.locator("#id_vehicles label", has_text="PV-1").locator("input").is_checked()
    assert page.locator("#vehicle-filter-note").inner_text().startswith("1 of 4 vehicles")
    page.select_option("#id_depot", str(world.depot.pk))
    assert page.locator("#id_vehicles label:visible").count() == every
