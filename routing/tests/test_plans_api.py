"""The route plans' API: create with nested jobs, solve, commit, scoped per role and department."""

from datetime import time

import pytest

from fleet.tests.factories import VehicleFactory
from routing.models import RoutePlan
from routing.tests.plans_fixtures import DAY, job_data
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/route-plans/"


def _body(world, **extra):
    jobs = [{**j, "window_start": j["window_start"].isoformat(), "window_end": j["window_end"].isoformat()}
            for j in job_data()]  # fmt: skip
    body = dict(
        name="Tuesday deliveries", depot=world.depot.pk, service_date=DAY.isoformat(), day_starts="07:00",
        day_ends="18:00", vehicles=[v.pk for v in world.vans], time_limit_s=1, jobs=jobs,
    )  # fmt: skip
    return {**body, **extra}


def test_a_fleet_manager_creates_solves_and_commits_a_plan_through_the_api(
    world, api, solver, django_capture_on_commit_callbacks
):
    client = api(world.org.fleet_manager_a)
    response = client.post(URL, _body(world), format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["status"] == "draft" and len(plan["jobs"]) == 5 and plan["department"] == world.org.a.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{plan['id']}/solve/")
    assert response.status_code == 200 and response.json()["status"] == "solving"
    solved = client.get(f"{URL}{plan['id']}/").json()
    assert solved["status"] == "solved", solved["message"]
    assert solved["result"]["feasible"] is True and solved["routes"]
    served = sorted(v["job_name"] for r in solved["routes"] for v in r["visits"] if v["kind"] == "job")
    assert served == sorted(j["name"] for j in job_data())
    response = client.post(f"{URL}{plan['id']}/commit/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "committed"
    assert all(len(r["trips"]) == 1 for r in response.json()["routes"])  # no charging stop: one trip per route


def test_a_bad_job_is_answered_naming_the_job_and_field_and_nothing_is_stored(world, api):
    body = _body(world)
    body["jobs"][1]["demand_kg"] = 5000
    response = api(world.org.fleet_manager_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert "jobs.1.demand_kg" in response.json()["fields"] and "Pharmacy Wedding" in str(response.json())
    assert not RoutePlan.objects.exists()


def test_a_missing_job_field_is_answered_naming_it(world, api):
    body = _body(world)
    del body["jobs"][0]["window_end"]
    response = api(world.org.fleet_manager_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert "window_end" in str(response.json())


def test_another_departments_depot_and_vehicles_are_refused(world, api):
    client = api(world.org.fleet_manager_a)
    response = client.post(URL, _body(world, depot=world.foreign_depot.pk), format="json")
    assert response.status_code == 400 and "depot" in str(response.json())
    response = client.post(URL, _body(world, vehicles=[world.foreign.pk]), format="json")
    assert response.status_code == 400 and "vehicles" in str(response.json())
    assert not RoutePlan.objects.exists()


@pytest.mark.parametrize(
    ("role", "can_see", "can_create"),
    [
        ("fleet_manager", True, True),
        ("dispatcher", True, False),
        ("technician", True, False),
        ("analyst", True, False),
        ("integrator", True, True),
    ],
)
def test_each_role_sees_its_departments_plans_and_only_planners_create_them(world, api, role, can_see, can_create):
    from routing.services import plans

    plans.plan_create(
        actor=None, name="A plan", department=world.org.a, depot=world.depot, service_date=DAY,
        day_starts=time(7, 0), day_ends=time(18, 0), time_limit_s=1, vehicles=world.vans, jobs=job_data(),
    )  # fmt: skip
    own = api(getattr(world.org, f"{role}_a"))
    listed = own.get(URL)
    assert listed.status_code == 200 and (listed.json()["count"] == 1) == can_see
    other = api(getattr(world.org, f"{role}_b"))
    plan = RoutePlan.objects.get()
    assert other.get(URL).json()["count"] == 0
    assert other.get(f"{URL}{plan.pk}/").status_code == 404
    assert other.post(f"{URL}{plan.pk}/solve/").status_code in (403, 404)
    created = own.post(URL, _body(world, name="Another"), format="json")
    assert created.status_code == (201 if can_create else 403), created.json()


def test_the_plan_list_runs_a_constant_number_of_queries(world, api, django_assert_max_num_queries):
    from routing.services import plans

    for n in range(4):
        plans.plan_create(
            actor=None, name=f"Plan {n}", department=world.org.a, depot=world.depot, service_date=DAY,
            day_starts=time(7, 0), day_ends=time(18, 0), time_limit_s=1, vehicles=world.vans, jobs=job_data(),
        )  # fmt: skip
    client = api(world.org.fleet_manager_a)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.json()["count"] == 4


def test_a_parent_departments_manager_makes_a_plan_at_a_teams_depot_through_the_api(world, api):
    team_depot = SiteFactory(department=world.org.a1, name="Team depot", latitude=52.52, longitude=13.40)
    model = world.vans[0].vehicle_model
    vans = [VehicleFactory(department=world.org.a1, vehicle_model=model, fleet_number=f"A1-{n}") for n in (1, 2)]
    body = _body(world, depot=team_depot.pk, vehicles=[v.pk for v in vans])
    response = api(world.org.fleet_manager_a).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["department"] == world.org.a1.pk


def test_a_job_window_without_an_offset_is_refused_saying_so(world, api):
    body = _body(world)
    body["jobs"][0]["window_start"] = "2030-03-12T08:00:00"
    fields = api(world.org.fleet_manager_a).post(URL, body, format="json").json()["fields"]
    assert "with its offset" in fields["jobs.0.window_start"][0]["message"]
    assert not RoutePlan.objects.exists()


def test_more_jobs_than_a_plan_takes_are_refused_by_the_api(world, api):
    body = _body(world)
    body["jobs"] = [{**body["jobs"][0], "name": f"Job {n}"} for n in range(501)]
    response = api(world.org.fleet_manager_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert "no more than 500" in response.json()["fields"]["jobs.non_field_errors"][0]["message"]
    assert not RoutePlan.objects.exists()
