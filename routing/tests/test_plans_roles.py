"""Who may do what with a route plan through the API, role by role, as docs/routing.md states it: fleet managers plan,
solve, commit and delete; integrators (an ERP, API only) plan, solve and commit; dispatchers, technicians and
analysts read. A refused step changes nothing."""

from pathlib import Path

import pytest

from accounts.models import User
from accounts.roles import permissions_for
from operations.models import Trip
from routing.models import RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import plan_data

pytestmark = pytest.mark.django_db
URL = "/api/v1/route-plans/"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "routing.md"
STEPS = ("create", "solve", "commit", "delete")
# what each step asks of the role table (the API's checks: RolePermission for create and delete, the actions' own)
NEEDS = {
    "create": {"routing.add_routeplan"},
    "solve": {"routing.change_routeplan"},
    "commit": {"routing.change_routeplan", "operations.add_trip", "operations.add_route"},
    "delete": {"routing.delete_routeplan"},
}


def documented() -> dict[str, tuple[bool, ...]]:
    """The route plans' "Who does what" table of docs/routing.md: role -> (create, solve, commit, delete)."""
    text = DOCS.read_text()
    table = text[text.index("| role | create | solve | commit | delete |") :].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        role, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        assert set(cells) <= {"yes", "no"}, line
        rows[role.replace(" ", "_")] = tuple(cell == "yes" for cell in cells)
    return rows


PLAN_STEPS = documented()


def _body(world) -> dict:
    data = plan_data(world, name="Through the API")
    return {
        "name": data["name"], "depot": world.depot.pk, "service_date": data["service_date"].isoformat(),
        "day_starts": "07:00", "day_ends": "18:00", "vehicles": [v.pk for v in world.vans], "time_limit_s": 1,
        "jobs": [{**j, "window_start": j["window_start"].isoformat(), "window_end": j["window_end"].isoformat()}
                 for j in data["jobs"]],
    }  # fmt: skip


@pytest.mark.parametrize("role", PLAN_STEPS)
def test_each_role_plans_solves_commits_and_deletes_route_plans_through_the_api_as_documented(
    world, api, solver, django_capture_on_commit_callbacks, role
):
    may_create, may_solve, may_commit, may_delete = PLAN_STEPS[role]
    client = api(getattr(world.org, f"{role}_a"))
    created = client.post(URL, _body(world), format="json")
    assert created.status_code == (201 if may_create else 403), created.json()
    plan = (
        RoutePlan.objects.get(pk=created.json()["id"])
        if may_create
        else plans.plan_create(actor=None, **plan_data(world))
    )
    with django_capture_on_commit_callbacks(execute=True):
        solving = client.post(f"{URL}{plan.pk}/solve/")
    assert solving.status_code == (200 if may_solve else 403), solving.json()
    if not may_solve:
        assert RoutePlan.objects.get(pk=plan.pk).status == RoutePlan.Status.DRAFT
        with django_capture_on_commit_callbacks(execute=True):
            plans.plan_solve(actor=None, plan=plan)
    assert RoutePlan.objects.get(pk=plan.pk).status == RoutePlan.Status.SOLVED
    # made before the commit: once committed, the vans have that day's trips, and a plan may not offer them again
    draft = plans.plan_create(actor=None, **plan_data(world, name="A draft"))
    committed = client.post(f"{URL}{plan.pk}/commit/")
    assert committed.status_code == (200 if may_commit else 403), committed.json()
    assert RoutePlan.objects.get(pk=plan.pk).status == ("committed" if may_commit else "solved")
    assert Trip.objects.exists() == may_commit
    deleted = client.delete(f"{URL}{draft.pk}/")
    assert deleted.status_code == (204 if may_delete else 403)
    assert RoutePlan.objects.filter(pk=draft.pk).exists() != may_delete


def test_the_documented_table_is_the_role_table():
    """Every role but the administrator (who holds everything) is in the docs' table, and each yes or no is what
    accounts/roles.py gives: committing makes operations routes and trips, so those who commit hold add on both;
    integrators keep operations' rule of no deletes."""
    assert set(PLAN_STEPS) == {role for role in User.Role if role != User.Role.ADMIN}
    for role, allowed in PLAN_STEPS.items():
        perms = permissions_for(role)
        assert tuple(NEEDS[step] <= perms for step in STEPS) == allowed, role
