"""The demo's operations data (operations.demo): every demo team's vehicles based at its own depot, its rounds,
duty schedules that fit each vehicle and their trips; again without duplicates. A focused test: the fleet's
vehicles without their weeks of telemetry (the whole seed_demo is analytics/tests/test_demo.py's)."""

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.demo import FLEET_PLAN, _departments, _market
from fleet.models import Vehicle, VehicleModel
from fleet.tests.factories import VehicleFactory
from operations.demo import DEPOT_OF_TEAM, HELSINKI, build_demo_operations, duties_for
from operations.models import DutySchedule, Route, Trip, VehicleDepot
from stations.demo import build_demo_stations

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 24, 17, 0, tzinfo=UTC)  # a Wednesday evening; clocks go forward on Sunday 28 March


@pytest.fixture
def demo_teams():
    departments = _departments(actor=None)
    build_demo_stations(departments)
    models = list(VehicleModel.objects.all())
    number = 0
    for team, klass, count, market in FLEET_PLAN:
        fitting = [m for m in models if m.vehicle_class == klass and _market(m) == market] or [
            m for m in models if m.vehicle_class == klass
        ]  # as fleet.demo: no EU truck in the catalogue
        for i in range(min(count, 7)):
            number += 1
            VehicleFactory(
                department=departments[team], vehicle_model=fitting[i % len(fitting)], soc_percent=60.0,
                fleet_number=f"{'NW' if market == 'EU' else 'WB'}-{number:03d}",
                status=Vehicle.Status.MAINTENANCE if number == 17 else Vehicle.Status.ACTIVE,
            )  # fmt: skip
    return departments


def test_every_demo_team_gets_depots_rounds_schedules_and_trips_once(demo_teams):
    made = build_demo_operations(demo_teams, now=NOW)
    vehicles = Vehicle.objects.filter(department__name__in=DEPOT_OF_TEAM)
    assert made["depots"] == vehicles.count() == VehicleDepot.objects.count()
    for depot in VehicleDepot.objects.select_related("vehicle__department", "site__department"):
        assert depot.site.department == depot.vehicle.department  # its own team's depot
        assert depot.site.name == DEPOT_OF_TEAM[depot.vehicle.department.name]
    for team in DEPOT_OF_TEAM:
        department = demo_teams[team]
        routes = Route.objects.filter(department=department).prefetch_related("stops")
        shortest = 2 if team == HELSINKI else 10  # Helsinki's inner-city rounds: a few km on the road
        assert routes and all(r.stops.count() >= 4 and r.distance_km > shortest for r in routes), team
        assert DutySchedule.objects.filter(department=department).exists(), team
        assert Trip.objects.filter(department=department, departs_at__gt=NOW).exists(), team
        spare = vehicles.filter(department=department, status=Vehicle.Status.ACTIVE, duty_schedules__isnull=True)
        assert spare.exists(), f"{team} keeps a spare"
    assert not DutySchedule.objects.filter(vehicle__status=Vehicle.Status.MAINTENANCE).exists()
    assert made["trips"] == Trip.objects.count() > 100
    assert not Trip.objects.filter(required_soc_percent__isnull=True).exists()
    on_the_road = Trip.objects.filter(status=Trip.Status.UNDER_WAY)  # the duties begun and not over at NOW
    assert {t.schedule.name.split(" ", 1)[1] for t in on_the_road} >= {"Late shift", "Early round", "Trunk run"}
    assert all(t.departed_at == t.departs_at <= NOW < t.returns_at for t in on_the_road)

    again = build_demo_operations(demo_teams, now=NOW)
    assert again == {"depots": 0, "routes": 0, "schedules": 0, "trips": 0}
    next_day = build_demo_operations(demo_teams, now=NOW + timedelta(days=1))
    assert next_day["schedules"] == 0 and next_day["trips"] > 0  # the next day's trips topped up, none twice
    assert not [k for k, n in Counter(Trip.objects.values_list("schedule_id", "departs_at")).items() if n > 1]


def test_the_rounds_leave_at_local_time_across_the_clock_change_and_stops_lie_around_the_depot(demo_teams):
    build_demo_operations(demo_teams, now=NOW)
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    early = Trip.objects.filter(schedule__name__endswith="Early round", depot__time_zone="Europe/Berlin")
    assert {t.departs_at.astimezone(berlin).time() for t in early} == {time(6, 30)}
    assert {t.departs_at.astimezone(berlin).utcoffset() for t in early} == {
        timedelta(hours=1),
        timedelta(hours=2),
    }  # before and after 28 March
    late = Trip.objects.filter(schedule__name__endswith="Late shift", depot__time_zone="America/New_York")
    assert late and {t.departs_at.astimezone(new_york).time() for t in late} == {time(13, 30)}
    for route in Route.objects.select_related("department").prefetch_related("stops"):
        site = route.department.sites.get()
        for stop in route.stops.all():
            assert abs(stop.latitude - site.latitude) < 0.4 and abs(stop.longitude - site.longitude) < 0.6  # < 45 km
            assert stop.window_opens < stop.window_closes


def test_duties_fit_the_vehicle_class():
    assert duties_for("Depot Berlin-Nord", "van", 5) == []  # the spare
    assert duties_for("Depot Berlin-Nord", "van", 0)[0].departs == time(6, 30)
    assert [d.name for d in duties_for("Depot Berlin-Nord", "van", 4)] == ["Early round", "Saturday round"]
    assert duties_for("Brooklyn Yard", "bus", 0)[0].weekdays.endswith("sat")
    assert duties_for("Depot Berlin-Süd", "truck", 1)[0].km == 150.0
    assert [d.route for d in duties_for(HELSINKI, "van", 1)] == ["Esplanadi morning round"] * 2  # and Saturday
    assert duties_for(HELSINKI, "van", 3) == []  # Helsinki's spare (its third van is in the workshop)
