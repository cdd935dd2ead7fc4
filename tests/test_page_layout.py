"""Every page fits the screen: at 1440x900 and 1280x800, as a fleet manager and as an administrator, no page scrolls
sideways, nothing in a card reaches past the card's edge, and the browser logs no error.

The pages come from the URL configuration (tests/pages.py), so a new page is checked without being listed here.
"""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from analytics import services as analytics_services
from analytics.tests.world import build_world
from charging.models import ChargingSession
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from pricing.tests.factories import TariffFactory, TariffVersionFactory
from tests.browser import _log_in
from tests.pages import LAYOUT_PROBLEMS_JS, SIGNED_OUT_PAGES, dashboard_pages, page_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1440, 900), (1280, 800)]
# ReDoc's footer shows Redocly's logo from its CDN, which a test machine cannot reach; answered here with a
# blank image so that the page's own errors still count. Any other request off this server fails the test.
REDOCLY_LOGO = "https://cdn.redoc.ly/**"
BLANK_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@pytest.fixture
def objects(org):
    """What the detail pages show: the analytics test world (sites, charge points, sessions, vehicles with
    telemetry), a tariff, a saved report, and the longest vehicle model name of the demo catalogue."""
    world = build_world(org)
    long_model = VehicleModelFactory(
        make="Renault", name="Kangoo Van E-Tech Electric L1 45 kWh, 22 kW AC + DC option", model_year=2023
    )
    VehicleFactory(department=org.a, vehicle_model=long_model, fleet_number="NW-0042-LONG")
    tariff = TariffFactory(name="Berlin-Nord depot standard, weekday and weekend", department=org.a, site=world.s1)
    TariffVersionFactory(tariff=tariff, number=1)
    report = analytics_services.saved_report_save(
        actor=org.fleet_manager_a,
        name="Monthly energy, cost and distance by vehicle for the board",
        department=org.a,
        metrics=["energy_charged_kwh", "cost", "distance_km", "cost_per_km", "efficiency_kwh_per_100km"],
        grouping="vehicle",
        period="last_30_days",
        schedule="weekly",
        format="pdf",
        recipients="fleet@example.com, cfo@example.com",
    )
    trip, schedule, route = _operations(org, world.v1, world.s1)
    user = org.fleet_manager_a
    return {
        "trip": trip,
        "schedule": schedule,
        "route": route,
        "vehicle": world.v1,
        "site": world.s1,
        "charge_point": world.c1.charge_point,
        "connector": world.c1,
        "report": report,
        "tariff": tariff,
        "session": ChargingSession.objects.filter(connector=world.c1).order_by("pk").first(),
        "department": org.a,
        "route_plan": _route_plan(org, world.s1),
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def _operations(org, vehicle, site):
    """A trip on a route with stops and a duty schedule, with the demo's longest names."""
    from datetime import time, timedelta

    from django.utils import timezone

    from operations import services as operations

    route = operations.route_create(
        actor=None, department=org.a, name="Berlin-Nord morning round via Spandau and Tegel", distance_km=64,
        stops=[{"name": f"Customer {n}, Industriestraße {n}", "address": f"Industriestraße {n}, 13599 Berlin",
                "latitude": 52.55, "longitude": 13.2 + n / 100} for n in range(1, 5)],
    )  # fmt: skip
    start = (timezone.now() + timedelta(days=1)).replace(hour=6, minute=30, second=0, microsecond=0)
    trip = operations.trip_create(actor=None, vehicle=vehicle, depot=site, departs_at=start, route=route,
                                  returns_at=start + timedelta(hours=8), notes="Keys at the gate")  # fmt: skip
    schedule = operations.schedule_create(
        actor=None, name="Weekday early round, north depots", department=vehicle.department,
        vehicle=VehicleFactory(department=vehicle.department, vehicle_model=vehicle.vehicle_model), depot=site,
        departs_local=time(5, 45), returns_local=time(14, 15), distance_km=140, valid_from=timezone.localdate(),
    )  # fmt: skip
    return trip, schedule, route


def _route_plan(org, site):
    """A solved route plan with the demo's longest names: three jobs, a route on the map."""
    import sys
    import types
    from datetime import time, timedelta
    from unittest import mock
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from operations.services import local_datetime
    from routing.models import RoutePlan
    from routing.services import plans
    from routing.tests.plans_fixtures import insertion_solve, real_solver

    day, zone = timezone.localdate() + timedelta(days=2), ZoneInfo(site.time_zone)
    model = VehicleModelFactory(name="E-Transit Cargo Van 68 kWh (NA) long wheelbase", payload_kg=1600)
    vans = [VehicleFactory(department=org.a, vehicle_model=model, fleet_number=f"NW-PLAN-{n}") for n in (1, 2)]
    jobs = [
        {"name": f"Customer {n}, Industriestraße {n} (goods entrance at the back)", "address": f"Industriestraße {n}",
         "latitude": site.latitude + n / 150, "longitude": site.longitude - n / 120, "demand_kg": 150 * n,
         "service_minutes": 15, "window_start": local_datetime(day, time(8 + n), zone),
         "window_end": local_datetime(day, time(11 + n), zone)}
        for n in (1, 2, 3)
    ]  # fmt: skip
    plan = plans.plan_create(
        actor=None, name="Berlin-Nord deliveries, Tuesday, north depots", department=org.a, depot=site,
        service_date=day, time_limit_s=1, vehicles=vans, jobs=jobs,
    )  # fmt: skip
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    stand_in = types.ModuleType("routing.evrptw.solver")
    stand_in.solve = insertion_solve
    with mock.patch.dict(sys.modules, {} if real_solver() else {"routing.evrptw.solver": stand_in}):
        return plans.plan_solve_run(plan_id=plan.pk)


def _check(page, url, width, errors, problems, *, allow_forbidden):
    errors.clear()
    response = page.goto(url)
    status = response.status if response else None
    if status != 200 and not (allow_forbidden and status == 403):
        problems.append(f"{width} px {url}: HTTP {status}")
        return
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # charts lay themselves out after load
    for problem in page.evaluate(LAYOUT_PROBLEMS_JS):
        problems.append(f"{width} px {url}: {problem}")
    for error in errors:
        problems.append(f"{width} px {url}: console: {error}")


def _watch(page, errors, outside):
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if urlsplit(request.url).hostname not in ("127.0.0.1", None)
            and not request.url.startswith(("https://cdn.redoc.ly/", "data:", "blob:"))
            else None
        ),
    )
    page.route(REDOCLY_LOGO, lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=BLANK_SVG))


@pytest.mark.parametrize("role", ["fleet_manager", "admin"])
def test_no_page_spills_at_1440_and_1280_and_none_logs_an_error(role, org, objects, browser, asgi_live_server, page):
    user = org.admin if role == "admin" else org.fleet_manager_a
    routes = dashboard_pages()
    urls = {route.name: page_url(route, objects) for route in routes}  # a page without objects fails here
    problems, errors, outside = [], [], []

    _watch(page, errors, outside)
    _log_in(page, user)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for route in routes:
            if route.name not in SIGNED_OUT_PAGES:
                _check(page, urls[route.name], width, errors, problems, allow_forbidden=role != "admin")

    if role == "fleet_manager":  # the sign-in and password pages, once, signed out
        signed_out = browser.new_context(base_url=asgi_live_server)
        try:
            anonymous = signed_out.new_page()
            _watch(anonymous, errors, outside)
            for width, height in SIZES:
                anonymous.set_viewport_size({"width": width, "height": height})
                for name in SIGNED_OUT_PAGES:
                    _check(anonymous, urls[name], width, errors, problems, allow_forbidden=False)
        finally:
            signed_out.close()

    assert problems == []
    assert outside == []
