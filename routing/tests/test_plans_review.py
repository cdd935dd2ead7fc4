"""Route plans: what the review of issue 18 found (plans that could be made but not committed, a plan stuck in
"solving", windows across midnight, duplicate names, locks), each pinned by a test that failed before its fix."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from fleet.tests.factories import VehicleFactory
from operations.models import Route, Trip
from routing.models import RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import BERLIN, DAY, job_data, local, plan_data
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


# --- a bounded solve, never "solving" for ever (review 8, 9) --------------------------------------------------------


def _jobs(n):
    base = job_data()[0]
    return [{**base, "name": f"Job {k}", "demand_kg": 1} for k in range(n)]


def test_more_jobs_than_a_plan_takes_are_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=_jobs(plans.MAX_JOBS + 1)))
    assert "at most 500" in e.value.message_dict["jobs"][0]
    assert not RoutePlan.objects.exists()


def test_a_csv_with_more_rows_than_a_plan_takes_says_so(world):
    rows = "".join(f"Job {k},52.53,13.385,08:00,10:00\n" for k in range(plans.MAX_JOBS + 1))
    header = "name,latitude,longitude,window_start,window_end\n"
    jobs, errors = plans.jobs_from_csv(header + rows, service_date=DAY, zone=BERLIN)
    assert [(e.row, e.message) for e in errors] == [
        (plans.MAX_JOBS + 2, "A plan takes at most 500 jobs: split the file into plans.")
    ]


def test_the_instance_is_built_before_the_plans_transaction(world, monkeypatch):
    from django.db import connection

    depth = len(connection.savepoint_ids)
    seen = []
    original = plans.plan_instance

    def spy(*args, **kwargs):
        seen.append(len(connection.savepoint_ids))
        return original(*args, **kwargs)

    monkeypatch.setattr(plans, "plan_instance", spy)
    plans.plan_create(actor=None, **plan_data(world))
    assert seen == [depth]


def test_the_solve_is_queued_with_the_plans_time_limit_and_a_margin(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from evfleet import jobs as celery_jobs

    sent = []
    task = celery_jobs.task_named(plans.SOLVE_TASK)
    monkeypatch.setattr(task, "apply_async", lambda **kw: sent.append(kw))
    plan = plans.plan_create(actor=None, **plan_data(world, time_limit_s=7))
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_solve(actor=None, plan=plan)
    assert sent == [{"kwargs": {"plan_id": plan.pk}, "soft_time_limit": 67, "time_limit": 97}]


def test_a_solve_past_its_soft_time_limit_fails_the_plan_saying_so(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(*, plan_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(plans, "plan_solve_run", slow)
    plan = plans.plan_create(actor=None, **plan_data(world))
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_solve(actor=None, plan=plan)
    plan.refresh_from_db()
    assert plan.status == RoutePlan.Status.FAILED
    assert "did not finish within 62 s" in plan.message


def test_a_solve_whose_retries_are_spent_fails_the_plan(world, monkeypatch):
    from django.db import OperationalError

    from routing.plan_tasks import plan_solve

    def locked(*, plan_id):
        raise OperationalError("database is locked")

    monkeypatch.setattr(plans, "plan_solve_run", locked)
    plan = plans.plan_create(actor=None, **plan_data(world))
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    # the last attempt, as a worker runs it (the error goes to the task's state, not to the caller)
    result = plan_solve.apply(kwargs={"plan_id": plan.pk}, retries=plan_solve.max_retries, throw=False)
    assert isinstance(result.result, OperationalError)
    plan.refresh_from_db()
    assert plan.status == RoutePlan.Status.FAILED and "database is locked" in plan.message


def test_a_queue_that_cannot_take_the_solve_fails_the_plan(world, monkeypatch, django_capture_on_commit_callbacks):
    from evfleet import jobs as celery_jobs

    def down(**kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_jobs.task_named(plans.SOLVE_TASK), "apply_async", down)
    plan = plans.plan_create(actor=None, **plan_data(world))
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_solve(actor=None, plan=plan)
    plan.refresh_from_db()
    assert plan.status == RoutePlan.Status.FAILED and "queue could not take it" in plan.message


def test_a_plan_solving_past_its_limits_may_be_solved_again_and_a_fresh_one_not(world, monkeypatch):
    from django.utils import timezone

    from evfleet import jobs as celery_jobs

    monkeypatch.setattr(celery_jobs.task_named(plans.SOLVE_TASK), "apply_async", lambda **kw: None)
    plan = plans.plan_create(actor=None, **plan_data(world, time_limit_s=5))
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    plan.refresh_from_db()
    with pytest.raises(ValidationError):
        plans.plan_solve(actor=None, plan=plan)
    stuck = timezone.now() - timedelta(seconds=5 + 60 + 30 + 1)
    RoutePlan.objects.filter(pk=plan.pk).update(updated_at=stuck)
    assert plans.plan_solve(actor=None, plan=plan).status == RoutePlan.Status.SOLVING


# --- locks (review 13) -----------------------------------------------------------------------------------------


def _committed_and_a_stale_copy(world, capture):
    """A plan committed, and a copy of it read while it was still "solved" (another tab, a double click)."""
    manager = world.org.fleet_manager_a
    plan = _solve(plans.plan_create(actor=manager, **plan_data(world)), manager, capture)
    stale = RoutePlan.objects.get(pk=plan.pk)
    plans.plan_commit(actor=manager, plan=plan, now=local(DAY, time(0, 0)))
    return plan, stale


def test_a_second_commit_of_the_same_plan_says_it_is_already_committed(
    world, solver, django_capture_on_commit_callbacks
):
    _, stale = _committed_and_a_stale_copy(world, django_capture_on_commit_callbacks)
    trips = Trip.objects.count()
    with pytest.raises(ValidationError) as e:
        plans.plan_commit(actor=None, plan=stale, now=local(DAY, time(0, 0)))
    assert e.value.message_dict["status"] == ["The plan is already committed."]
    assert Trip.objects.count() == trips


def test_a_solve_of_a_plan_committed_meanwhile_is_refused_and_keeps_its_routes(
    world, solver, django_capture_on_commit_callbacks
):
    plan, stale = _committed_and_a_stale_copy(world, django_capture_on_commit_callbacks)
    routes = plan.routes.count()
    with pytest.raises(ValidationError):
        plans.plan_solve(actor=None, plan=stale)
    assert plan.routes.count() == routes


# --- windows beyond the plan's day (review 6, 11) -------------------------------------------------------------------


def _stop_windows(plan):
    return {
        s.name: (s.window_opens, s.window_closes)
        for route in plan.routes.all()
        for r in route.operations_routes.all()
        for s in r.stops.all()
    }


def test_windows_reaching_into_the_evening_before_and_the_night_after_are_cut_to_the_day_and_commit(
    world, solver, django_capture_on_commit_callbacks
):
    jobs = job_data()
    jobs[0]["window_start"] = local(DAY - timedelta(days=1), time(20, 0))  # from the evening before to 10:00
    jobs[4]["window_end"] = local(DAY + timedelta(days=1), time(1, 0))  # from 12:00 to 01:00 the next night
    manager = world.org.fleet_manager_a
    plan = _solve(
        plans.plan_create(actor=manager, **plan_data(world, jobs=jobs)), manager, django_capture_on_commit_callbacks
    )
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    assert plan.result["clipped_windows"] == ["Bakery Mitte", "Shop Neukölln"]
    assert "cut to it: Bakery Mitte, Shop Neukölln" in plan.message
    plans.plan_commit(actor=manager, plan=plan, now=local(DAY, time(0, 0)))
    windows = _stop_windows(plan)
    assert windows["Bakery Mitte"] == (time(7, 0), time(10, 0))
    assert windows["Shop Neukölln"] == (time(12, 0), time(18, 0))


def test_a_window_closing_in_the_repeated_hour_before_it_opens_on_the_clock_is_refused(world):
    from datetime import UTC, date, datetime

    autumn = date(2030, 10, 27)  # Berlin: 03:00 CEST becomes 02:00 CET
    jobs = job_data(autumn)[:1]
    jobs[0]["window_start"] = datetime(2030, 10, 27, 0, 40, tzinfo=UTC)  # 02:40 CEST
    jobs[0]["window_end"] = datetime(2030, 10, 27, 1, 10, tzinfo=UTC)  # 02:10 CET, half an hour later
    data = plan_data(world, service_date=autumn, day_starts=time(0, 30), day_ends=time(20, 0), jobs=jobs)
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **data)
    assert "the hour the clocks repeat" in e.value.message_dict["jobs[0].window_end"][0]


def test_a_window_on_another_day_is_said_with_its_date(world):
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=job_data(DAY + timedelta(days=1))))
    message = e.value.message_dict["jobs[0].window_start"][0]
    assert "(2030-03-13 08:00–2030-03-13 10:00) lies outside the plan's day (07:00–18:00)" in message


def test_operations_stop_errors_are_named_by_the_job():
    leg = plans.Leg(None, None, None, None, [type("Job", (), {"name": "Bakery Mitte"})()], 1.0)
    assert plans._stop_named("stops[0].window_closes", leg) == "'Bakery Mitte' window_closes"
    assert plans._stop_named("stops[1].name", leg) == "the charging stop name"


# --- jobs from CSV (review 10, 11) ----------------------------------------------------------------------------------


def test_a_csv_field_over_the_csv_modules_limit_is_a_row_error():
    big = 'name,latitude,longitude,window_start,window_end\n"' + "x" * 140_000 + '",52.5,13.4,08:00,10:00\n'
    jobs, errors = plans.jobs_from_csv(big, service_date=DAY, zone=BERLIN)
    assert jobs == [] and len(errors) == 1 and errors[0].row == 0 and "no CSV we can read" in errors[0].message


def test_a_csv_window_in_the_year_1_is_refused():
    text = "name,latitude,longitude,window_start,window_end\nJob,52.5,13.4,0001-03-12T08:00,0001-03-12T10:00\n"
    _, errors = plans.jobs_from_csv(text, service_date=DAY, zone=BERLIN)
    assert {e.field for e in errors} == {"window_start", "window_end"}
    assert all("from 1970 to 2199" in e.message for e in errors)


def test_a_large_plan_keeps_a_short_time_limit(solver):
    """300 jobs with 1 s took 44 s: the construction's local search ran whatever the limit (review 8)."""
    import random
    import time as clock

    from routing import planning

    if plans._solver() is None:
        pytest.skip("the E-VRPTW solver is not installed")
    spread = random.Random(0)
    points = [(52.52 + spread.uniform(-0.1, 0.1), 13.40 + spread.uniform(-0.15, 0.15)) for _ in range(300)]
    built = planning.build(
        name="large", depot=(52.52, 13.40), depot_station=planning.StationSpec(1, "depot", 52.52, 13.40, 50.0),
        stations=[], jobs=[planning.JobSpec(i, f"j{i}", a, b, 10.0, 5.0, 0.0, 600.0) for i, (a, b) in
                           enumerate(points)],
        vehicles=[planning.VehicleSpec(k, f"v{k}", 800, 60.0, 0.2) for k in range(300)], day_minutes=660,
        speed_kmh=30,
    )  # fmt: skip
    started = clock.process_time()
    solution = solver.solve(built.instance, time_limit_s=1.0, seed=0, clock=clock.process_time)
    assert clock.process_time() - started < 1.0 + 3.0  # the limit, and building the search's instance (~1 s)
    assert solution.vehicles >= 1
