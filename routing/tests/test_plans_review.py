"""Route plans: what the review of issue 18 found (plans that could be made but not committed, a plan stuck in
"solving", windows across midnight, duplicate names, locks), each pinned by a test that failed before its fix."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from fleet.tests.factories import VehicleFactory
from operations.models import Route, Trip
from routing.models import RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import DAY, local, plan_data
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def _solve(plan, actor, capture):
    with capture(execute=True):
        plans.plan_solve(actor=actor, plan=plan)
    plan.refresh_from_db()
    return plan


def _team_vans(world, n=2):
    model = world.vans[0].vehicle_model
    return [VehicleFactory(department=world.org.a1, vehicle_model=model, fleet_number=f"A1-{k}") for k in range(n)]


def test_a_parent_department_plan_with_a_teams_vans_commits_their_trips_in_the_vans_department(
    world, solver, django_capture_on_commit_callbacks
):
    manager = world.org.fleet_manager_a
    plan = plans.plan_create(actor=manager, **plan_data(world, vehicles=_team_vans(world)))
    plan = _solve(plan, manager, django_capture_on_commit_callbacks)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    plans.plan_commit(actor=manager, plan=plan, now=local(DAY, time(0, 0)))
    trips = list(Trip.objects.all())
    assert trips and {t.department_id for t in trips} == {world.org.a1.pk}
    assert {r.department_id for r in Route.objects.all()} == {world.org.a1.pk}
    assert {t.depot_id for t in trips} == {world.depot.pk}


def test_a_plan_at_a_teams_depot_defaults_to_the_depots_department(world):
    team_depot = SiteFactory(department=world.org.a1, name="Team depot", latitude=52.52, longitude=13.40)
    data = plan_data(world, depot=team_depot, vehicles=_team_vans(world))
    del data["department"]
    plan = plans.plan_create(actor=world.org.fleet_manager_a, **data)
    assert plan.department == world.org.a1


def test_a_plan_at_a_teams_depot_with_the_parents_vans_names_them_and_the_depots_department(world):
    team_depot = SiteFactory(department=world.org.a1, name="Team depot", latitude=52.52, longitude=13.40)
    data = plan_data(world, depot=team_depot)
    del data["department"]
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=world.org.fleet_manager_a, **data)
    message = e.value.message_dict["vehicles"][0]
    assert "PV-1" in message and "Team A1" in message and "Team depot" in message


def test_two_plans_of_the_same_name_and_day_both_commit(world, solver, django_capture_on_commit_callbacks):
    manager = world.org.fleet_manager_a
    first = _solve(plans.plan_create(actor=manager, **plan_data(world)), manager, django_capture_on_commit_callbacks)
    plans.plan_commit(actor=manager, plan=first, now=local(DAY, time(0, 0)))
    model = world.vans[0].vehicle_model
    others = [VehicleFactory(department=world.org.a, vehicle_model=model, fleet_number=f"PX-{n}") for n in (1, 2)]
    second = plans.plan_create(actor=manager, **plan_data(world, vehicles=others))
    second = _solve(second, manager, django_capture_on_commit_callbacks)
    plans.plan_commit(actor=manager, plan=second, now=local(DAY, time(0, 0)))
    second.refresh_from_db()
    assert second.status == RoutePlan.Status.COMMITTED
    names = [r.name for route in second.routes.all() for r in route.operations_routes.all()]
    assert names and all(f"plan {second.pk}" in name for name in names)
