"""Route plans: building the instance, the checks before the solve, solving, committing as trips."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from operations.models import Route, Trip
from routing.models import PlanJob, PlannedRoute, PlannedVisit, RoutePlan
from routing.services import plans
from routing.tests.plans_fixtures import DAY, job_data, local, plan_data

pytestmark = pytest.mark.django_db


def _solved(world, django_capture_on_commit_callbacks, **extra):
    plan = plans.plan_create(actor=world.org.fleet_manager_a, **plan_data(world, **extra))
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_solve(actor=world.org.fleet_manager_a, plan=plan)
    plan.refresh_from_db()
    return plan


def test_a_plan_is_solved_into_routes_that_serve_every_job_once_within_its_window(
    world, solver, django_capture_on_commit_callbacks
):
    plan = _solved(world, django_capture_on_commit_callbacks)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    assert plan.result["feasible"] is True
    visits = PlannedVisit.objects.filter(route__plan=plan, kind="job").select_related("job")
    assert sorted(v.job.name for v in visits) == sorted(j["name"] for j in job_data())
    for visit in visits:
        assert visit.job.window_start <= visit.starts_at <= visit.job.window_end
    for route in plan.routes.all():
        assert route.vehicle in world.vans
        assert route.load_kg <= 800
        assert route.departs_at < route.returns_at <= local(DAY, time(18, 0))


def test_instance_times_count_minutes_through_utc_across_the_spring_clock_change(world):
    change = DAY.replace(day=31)  # Sunday 31 March 2030: 02:00 CET becomes 03:00 CEST
    plan = plans.plan_create(
        actor=None, **plan_data(world, service_date=change, day_starts=time(0, 30), day_ends=time(23, 0),
                                jobs=job_data(change)),
    )  # fmt: skip
    built, _, day = plans.plan_instance(plan)
    assert day.minutes == 22.5 * 60 - 60  # the night lost an hour
    bakery = built.instance.nodes[built.node_kind.index("job")]
    assert (bakery.ready, bakery.due) == (6.5 * 60, 8.5 * 60)  # 08:00-10:00 local is 6.5-8.5 hours after 00:30
    assert day.clock(bakery.ready) == "08:00"


def test_a_demand_above_every_payload_is_refused_naming_the_job_and_nothing_is_stored(world):
    jobs = job_data()
    jobs[2]["demand_kg"] = 2000
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=jobs))
    assert "Café Kreuzberg" in e.value.message_dict["jobs[2].demand_kg"][0]
    assert "largest payload is 800" in e.value.message_dict["jobs[2].demand_kg"][0]
    assert not RoutePlan.objects.exists() and not PlanJob.objects.exists()


def test_a_window_closing_before_the_job_can_be_reached_says_the_earliest_arrival(world):
    jobs = job_data()
    jobs[0]["window_start"], jobs[0]["window_end"] = local(DAY, time(6, 0)), local(DAY, time(7, 1))
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=jobs))
    message = e.value.message_dict["jobs[0].window_end"][0]
    assert "closes at 07:01" in message and "earliest arrival from the depot is 07:0" in message
    assert not RoutePlan.objects.exists()


def test_a_job_out_of_range_even_through_the_charging_sites_is_refused(world):
    jobs = job_data()
    jobs[1]["latitude"], jobs[1]["longitude"] = 48.14, 11.58  # Munich, ~500 km
    jobs[1]["window_end"] = local(DAY, time(17, 0))
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=jobs))
    errors = " ".join(m for ms in e.value.message_dict.values() for m in ms)
    assert "Pharmacy Wedding" in errors


def test_no_vehicle_offered_is_refused(world):
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, vehicles=[]))
    assert "No vehicle is offered" in e.value.message_dict["vehicles"][0]


def test_another_departments_vehicle_is_refused(world):
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, vehicles=[*world.vans, world.foreign]))
    assert "PV-B" in e.value.message_dict["vehicles"][0]


def test_a_job_with_a_missing_field_names_it(world):
    jobs = job_data()
    del jobs[3]["latitude"]
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, jobs=jobs))
    assert "jobs[3].latitude" in e.value.message_dict


def test_the_smallest_payload_offered_bounds_the_plan_and_a_job_above_it_says_so(world):
    jobs = job_data()
    jobs[2]["demand_kg"] = 500
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=None, **plan_data(world, vehicles=[*world.vans, world.small_van], jobs=jobs))
    assert "PV-S" in e.value.message_dict["jobs[2].demand_kg"][0]


def test_committing_makes_an_operations_route_and_trip_per_planned_route_in_order(
    world, solver, django_capture_on_commit_callbacks
):
    plan = _solved(world, django_capture_on_commit_callbacks)
    plans.plan_commit(actor=world.org.fleet_manager_a, plan=plan, now=local(DAY, time(0, 0)))
    plan.refresh_from_db()
    assert plan.status == RoutePlan.Status.COMMITTED
    routes = list(plan.routes.all())
    assert Trip.objects.count() == len(routes) == Route.objects.count()  # no charging stop: one trip per route
    for route in routes:
        (trip,) = route.trips.all()
        assert trip.vehicle_id == route.vehicle_id and trip.route_id == route.operations_routes.get().pk
        assert (trip.departs_at, trip.returns_at) == (route.departs_at, route.returns_at)
        names = [s.name for s in trip.route.stops.all()]
        assert names == [v.job.name for v in route.visits.all()]
        assert trip.route.distance_km == pytest.approx(route.distance_km, abs=0.05)


def test_a_commit_refused_by_operations_names_the_route_and_stores_no_trip(
    world, solver, django_capture_on_commit_callbacks
):
    plan = _solved(world, django_capture_on_commit_callbacks)
    route = plan.routes.first()
    Trip.objects.create(
        department=world.org.a, vehicle=route.vehicle, depot=world.depot, departs_at=route.departs_at,
        returns_at=route.returns_at, distance_km=10,
    )  # fmt: skip
    with pytest.raises(ValidationError) as e:
        plans.plan_commit(actor=None, plan=plan, now=local(DAY, time(0, 0)))
    message = e.value.message_dict[f"routes[{route.number - 1}]"][0]
    assert "already has a trip" in message and "Nothing was committed" in message
    assert Trip.objects.count() == 1 and not Route.objects.exists()
    assert RoutePlan.objects.get(pk=plan.pk).status == RoutePlan.Status.SOLVED
    assert PlannedRoute.objects.filter(plan=plan, trips__isnull=False).count() == 0


def test_a_route_beyond_one_battery_recharges_at_the_depot_with_its_kwh_and_minutes(
    world, solver, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from fleet.tests.factories import VehicleFactory, VehicleModelFactory

    model = VehicleModelFactory(name="Short range van", payload_kg=600, usable_battery_kwh=Decimal("20.0"))
    van = VehicleFactory(department=world.org.a, vehicle_model=model, fleet_number="SR-1")
    far = [  # ~25 km by road north and south of the depot: each is a round trip of a full battery
        ("North farm", 52.66, 13.40, 100, time(8, 0), time(10, 0)),
        ("South farm", 52.38, 13.40, 100, time(10, 0), time(16, 0)),
    ]
    plan = _solved(world, django_capture_on_commit_callbacks, vehicles=[van], jobs=job_data(DAY, far))
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    route = plan.routes.get()
    kinds = [v.kind for v in route.visits.all()]
    assert kinds.count("job") == 2 and "charge" in kinds
    charge = next(v for v in route.visits.all() if v.kind == "charge")
    assert charge.site == world.depot and charge.charge_kwh > 0 and charge.charge_minutes > 0
    assert all(v.battery_kwh >= 0 for v in route.visits.all())
    assert route.energy_kwh > plan.result["battery_kwh"]
    plans.plan_commit(actor=None, plan=plan)  # beyond a full battery: one trip per leg, each within it
    first, second = route.trips.order_by("departs_at")
    assert first.depot == second.depot == world.depot
    assert first.returns_at == charge.arrives_at and second.departs_at == charge.departs_at
    assert first.required_soc_percent <= 100 and second.required_soc_percent <= 100
    assert [s.name for s in first.route.stops.all()] == ["North farm", "Charge at Mitte depot"]
    assert [s.name for s in second.route.stops.all()] == ["South farm"]
    assert first.route.distance_km + second.route.distance_km == pytest.approx(route.distance_km, abs=0.1)


def test_a_site_the_vehicles_cannot_plug_into_or_of_another_department_is_no_charging_stop(world):
    from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

    chademo = SiteFactory(department=world.org.a, name="CHAdeMO only", latitude=52.6, longitude=13.3)
    ConnectorFactory(charge_point=ChargePointFactory(site=chademo), connector_type="chademo")
    public = SiteFactory(department=world.org.a, name="Public fast", latitude=52.45, longitude=13.5)
    ConnectorFactory(charge_point=ChargePointFactory(site=public), connector_type="ccs2")
    ConnectorFactory(charge_point=ChargePointFactory(site=world.foreign_depot), connector_type="ccs2")
    plan = plans.plan_create(actor=None, **plan_data(world))
    built, _, _ = plans.plan_instance(plan)
    stations = [key for kind, key in zip(built.node_kind, built.node_key, strict=True) if kind == "station"]
    assert stations == [world.depot.pk, public.pk]


def test_jobs_that_need_more_vehicles_than_offered_fail_the_plan_saying_so(
    world, solver, django_capture_on_commit_callbacks
):
    jobs = job_data()[:2]
    for job in jobs:
        job["demand_kg"] = 500  # 1,000 kg for one 800 kg van
    plan = _solved(world, django_capture_on_commit_callbacks, vehicles=world.vans[:1], jobs=jobs)
    assert plan.status == RoutePlan.Status.FAILED
    assert "need more vehicles than the 1 offered" in plan.message
    assert not plan.routes.exists()


def test_a_vehicle_with_a_trip_that_day_is_refused_naming_the_trip_on_the_depots_clock(world, solver):
    busy = world.vans[0]
    trip = Trip.objects.create(department=world.org.a, vehicle=busy, depot=world.depot,
                               departs_at=local(DAY, time(12, 30)), returns_at=local(DAY, time(17, 30)),
                               distance_km=40)  # fmt: skip
    with pytest.raises(ValidationError) as e:
        plans.plan_create(actor=world.org.fleet_manager_a, **plan_data(world))
    message = e.value.message_dict["vehicles"][0]
    assert f"{busy} has trip {trip.pk} 12:30–17:30" in message and "(07:00–18:00)" in message
    assert "shorten the plan's day" in message and not RoutePlan.objects.exists()
    # the hours it is free: a day that ends when its trip starts
    plan = plans.plan_create(actor=world.org.fleet_manager_a, **plan_data(world, day_ends=time(12, 30)))
    assert plan.vehicles.count() == 2


def test_a_trip_booked_after_the_plan_was_made_stops_the_solve(world, solver):
    plan = plans.plan_create(actor=world.org.fleet_manager_a, **plan_data(world))
    Trip.objects.create(department=world.org.a, vehicle=world.vans[1], depot=world.depot,
                        departs_at=local(DAY, time(8, 0)), returns_at=local(DAY, time(9, 0)),
                        distance_km=10)  # fmt: skip
    with pytest.raises(ValidationError) as e:
        plans.plan_solve(actor=world.org.fleet_manager_a, plan=plan)
    assert f"{world.vans[1]} has trip" in e.value.message_dict["vehicles"][0]
    assert RoutePlan.objects.get(pk=plan.pk).status == RoutePlan.Status.DRAFT
