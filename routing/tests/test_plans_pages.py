"""The route plan pages: list, new plan with jobs as CSV, the plan's page with Solve and Commit."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fleet.tests.factories import VehicleFactory
from routing.models import RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import DAY, DEPOT, job_data, local
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CSV = (
    "name,address,latitude,longitude,demand_kg,service_minutes,window_start,window_end\n"
    "Bakery Mitte,Torstr. 1,52.530,13.385,120,10,08:00,10:00\n"
    "Pharmacy Wedding,,52.545,13.360,80,10,09:00,12:00\n"
    "Café Kreuzberg,,52.498,13.410,200,15,08:30,11:00\n"
)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _form(world, **extra):
    data = {
        "name": "Tuesday deliveries", "depot": world.depot.pk, "service_date": DAY.isoformat(), "day_starts": "07:00",
        "day_ends": "18:00", "vehicles": [v.pk for v in world.vans], "time_limit_s": 1, "jobs_csv": CSV,
    }  # fmt: skip
    return {**data, **extra}


def _plan(world, name="A plan"):
    return plans.plan_create(
        actor=None, name=name, department=world.org.a, depot=world.depot, service_date=DAY, day_starts=time(7, 0),
        day_ends=time(18, 0), time_limit_s=1, vehicles=world.vans, jobs=job_data(),
    )  # fmt: skip


def test_a_fleet_manager_makes_a_plan_from_csv_and_lands_on_its_page(world):
    response = _client(world.org.fleet_manager_a).post("/routing/plans/new/", _form(world))
    plan = RoutePlan.objects.get()
    assert response.status_code == 302 and response.url == f"/routing/plans/{plan.pk}/"
    assert [j.name for j in plan.jobs.all()] == ["Bakery Mitte", "Pharmacy Wedding", "Café Kreuzberg"]
    assert plan.jobs.first().window_start == local(DAY, time(8, 0))


def test_an_organisations_manager_plans_for_a_team_at_the_teams_depot(world):
    """The organisation's manager picks the team's depot (the form offers it): the plan is the team's, with its vans;
    the team's own manager sees it."""
    org = world.org
    team_depot = SiteFactory(department=org.a1, name="Team depot", latitude=DEPOT[0], longitude=DEPOT[1])
    team_vans = [VehicleFactory(department=org.a1, vehicle_model=world.vans[0].vehicle_model) for _ in range(2)]
    form = _form(world, depot=team_depot.pk, vehicles=[v.pk for v in team_vans])
    response = _client(org.fleet_manager_a).post("/routing/plans/new/", form)
    plan = RoutePlan.objects.get()
    assert response.status_code == 302 and response.url == f"/routing/plans/{plan.pk}/"
    assert plan.department == org.a1 and plan.depot == team_depot
    assert _client(org.manager_a1).get(f"/routing/plans/{plan.pk}/").status_code == 200


def test_bad_csv_rows_are_listed_by_row_and_column_and_nothing_is_stored(world):
    bad = CSV.replace("52.545", "north").replace("200,15", "5000,15")
    response = _client(world.org.fleet_manager_a).post("/routing/plans/new/", _form(world, jobs_csv=bad))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Row 3, latitude" in page and "&#x27;north&#x27; is not a number" in page
    assert not RoutePlan.objects.exists()
    response = _client(world.org.fleet_manager_a).post(
        "/routing/plans/new/", _form(world, jobs_csv=CSV.replace("200,15", "5000,15"))
    )
    assert "Row 4, demand_kg: Café Kreuzberg: 5000 kg" in response.content.decode()
    assert not RoutePlan.objects.exists()


def test_no_vehicle_chosen_is_said_next_to_the_field(world):
    response = _client(world.org.fleet_manager_a).post("/routing/plans/new/", _form(world, vehicles=[]))
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_solve_then_commit_from_the_plan_page(world, solver, django_capture_on_commit_callbacks):
    plan = _plan(world)
    client = _client(world.org.fleet_manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/routing/plans/{plan.pk}/solve/")
    page = client.get(f"/routing/plans/{plan.pk}/").content.decode()
    assert 'data-status="solved"' in page and 'id="route-table"' in page and "Commit as trips" in page
    client.post(f"/routing/plans/{plan.pk}/commit/")
    plan.refresh_from_db()
    assert plan.status == "committed"
    assert "Trip " in client.get(f"/routing/plans/{plan.pk}/").content.decode()


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst"])
def test_each_role_sees_its_departments_plans_and_not_anothers(world, role):
    plan = _plan(world)
    own, other = _client(getattr(world.org, f"{role}_a")), _client(getattr(world.org, f"{role}_b"))
    assert own.get("/routing/plans/").status_code == 200
    assert "A plan" in own.get("/routing/plans/").content.decode()
    assert own.get(f"/routing/plans/{plan.pk}/").status_code == 200
    assert "A plan" not in other.get("/routing/plans/").content.decode()
    assert other.get(f"/routing/plans/{plan.pk}/").status_code == 404
    assert other.post(f"/routing/plans/{plan.pk}/solve/").status_code in (403, 404)
    assert own.get("/routing/plans/new/").status_code == (200 if role == "fleet_manager" else 403)


def test_the_list_and_the_plan_page_run_a_constant_number_of_queries(
    world, solver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for n in range(3):
        plan = _plan(world, name=f"Plan {n}")
        with django_capture_on_commit_callbacks(execute=True):
            plans.plan_solve(actor=None, plan=plan)
    client = _client(world.org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        assert client.get("/routing/plans/").status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(f"/routing/plans/{plan.pk}/").status_code == 200


def test_the_new_plan_page_says_which_vehicles_cannot_be_offered(world):
    workshop = VehicleFactory(
        department=world.org.a, vehicle_model=world.vans[0].vehicle_model, fleet_number="PV-W", status="maintenance"
    )
    page = _client(world.org.fleet_manager_a).get("/routing/plans/new/").content.decode()
    assert "PV-W · " in page and "· in maintenance, cannot be offered" in page
    assert page.count("cannot be offered") == 1  # the active vans are offered as they are
    response = _client(world.org.fleet_manager_a).post("/routing/plans/new/", _form(world, vehicles=[workshop.pk]))
    assert "cannot drive (retired or in maintenance)" in response.content.decode()


def test_a_parent_departments_manager_makes_a_plan_at_a_teams_depot_with_its_vans(world):
    team_depot = SiteFactory(department=world.org.a1, name="Team depot", latitude=52.52, longitude=13.40)
    model = world.vans[0].vehicle_model
    vans = [VehicleFactory(department=world.org.a1, vehicle_model=model, fleet_number=f"A1-{n}") for n in (1, 2)]
    form = _form(world, depot=team_depot.pk, vehicles=[v.pk for v in vans])
    response = _client(world.org.fleet_manager_a).post("/routing/plans/new/", form)
    assert response.status_code == 302, response.context["form"].errors
    assert RoutePlan.objects.get().department == world.org.a1


def test_a_plan_solving_past_its_limits_offers_solve_again_and_a_fresh_one_not(world):
    plan = _plan(world)
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    client = _client(world.org.fleet_manager_a)
    assert 'id="solve-button"' not in client.get(f"/routing/plans/{plan.pk}/").content.decode()
    stuck = timezone.now() - timedelta(seconds=plan.time_limit_s + 60 + 30 + 1)
    RoutePlan.objects.filter(pk=plan.pk).update(updated_at=stuck)
    assert 'id="solve-button"' in client.get(f"/routing/plans/{plan.pk}/").content.decode()
