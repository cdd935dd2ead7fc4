"""The operations pages: what each role sees and may change, department scoping, times on the depot's clock and
distances in the department's unit, the services' errors next to their fields, constant queries."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations import need, services
from operations.models import DutySchedule, OperationsPolicy, Route, Trip, VehicleDepot
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def ops(org):
    """Org A's New York depot with two vans; Org B's depot and van; a trip each, tomorrow morning."""

    class Ops:
        pass

    o = Ops()
    o.org = org
    o.model = VehicleModelFactory(usable_battery_kwh=75, consumption_wh_per_km=250)
    o.depot = SiteFactory(department=org.a, name="Queens depot", time_zone="America/New_York")
    o.van = VehicleFactory(department=org.a, fleet_number="NY-01", vehicle_model=o.model)
    o.van2 = VehicleFactory(department=org.a, fleet_number="NY-02", vehicle_model=o.model)
    o.depot_b = SiteFactory(department=org.b, name="B depot")
    o.van_b = VehicleFactory(department=org.b, fleet_number="B-01", vehicle_model=o.model)
    o.start = (timezone.now() + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    o.trip = services.trip_create(actor=None, vehicle=o.van, depot=o.depot, departs_at=o.start,
                                  returns_at=o.start + timedelta(hours=8), distance_km=120)  # fmt: skip
    o.trip_b = services.trip_create(actor=None, vehicle=o.van_b, depot=o.depot_b, departs_at=o.start,
                                    returns_at=o.start + timedelta(hours=8), distance_km=80)  # fmt: skip
    return o


def _page(client, user, url):
    client.force_login(user)
    return client.get(url)


def _local(moment, zone=NEW_YORK) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _trip_form(o, start, hours=8, **extra):
    return {"vehicle": o.van2.pk, "depot": o.depot.pk, "departs_local": _local(start),
            "returns_local": _local(start + timedelta(hours=hours)), "route": "", "distance": "50",
            "road_mix": "mixed", "notes": "", **extra}  # fmt: skip


# --- who sees what -----------------------------------------------------------------------------------------------

LISTS = ["/operations/trips/", "/operations/schedules/", "/operations/routes/", "/operations/depots/"]
FORMS = ["/operations/trips/new/", "/operations/schedules/new/", "/operations/routes/new/"]


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst"])
def test_every_dashboard_role_sees_the_lists_and_the_nav_entry(ops, client, role):
    for url in LISTS:
        response = _page(client, getattr(ops.org, f"{role}_a"), url)
        assert response.status_code == 200, url
    assert 'href="/operations/trips/"' in response.content.decode()
    assert ">Operations</a>" in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [("fleet_manager", 200), ("dispatcher", 200), ("technician", 403),
                                              ("analyst", 403)])  # fmt: skip
def test_only_roles_that_plan_work_get_the_forms(ops, client, role, status):
    user = getattr(ops.org, f"{role}_a")
    for url in [*FORMS, f"/operations/trips/{ops.trip.pk}/edit/", f"/operations/trips/{ops.trip.pk}/cancel/"]:
        assert _page(client, user, url).status_code == status, url
    listing = _page(client, user, "/operations/trips/").content.decode()
    assert ("New trip" in listing) == (status == 200)


def test_the_policy_form_is_the_fleet_managers(ops, client):
    url = f"/operations/policy/{ops.org.a.pk}/"
    assert _page(client, ops.org.fleet_manager_a, url).status_code == 200
    assert _page(client, ops.org.dispatcher_a, url).status_code == 403
    assert "Change</a>" not in _page(client, ops.org.dispatcher_a, "/operations/depots/").content.decode()


def test_a_dispatcher_sees_the_depots_but_an_analyst_cannot_set_them(ops, client):
    assert 'name="vehicles"' in _page(client, ops.org.dispatcher_a, "/operations/depots/").content.decode()
    page = _page(client, ops.org.analyst_a, "/operations/depots/").content.decode()
    assert 'name="vehicles"' not in page and "NY-01" in page
    response = client.post("/operations/depots/", {"vehicles": [ops.van.pk], "site": ops.depot.pk})
    assert response.status_code == 403 and not VehicleDepot.objects.exists()


def test_a_dispatcher_moves_vehicles_between_depots_but_does_not_unbase_them(ops, client):
    client.force_login(ops.org.dispatcher_a)
    assert client.post("/operations/depots/", {"vehicles": [ops.van.pk], "site": ops.depot.pk}).status_code == 302
    response = client.post("/operations/depots/", {"vehicles": [ops.van.pk], "site": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert VehicleDepot.objects.get(vehicle=ops.van).site == ops.depot


def test_integrators_are_sent_to_the_api_guide(ops, client):
    assert _page(client, ops.org.integrator_a, "/operations/trips/")["Location"] == "/api/guide/"


def test_another_departments_trip_schedule_and_route_are_not_found(ops, client):
    schedule = services.schedule_create(actor=None, name="B duty", department=ops.org.b, vehicle=ops.van_b,
                                        depot=ops.depot_b, departs_local=time(6), returns_local=time(7),
                                        distance_km=10, valid_from=date.today())  # fmt: skip
    route = services.route_create(actor=None, department=ops.org.b, name="B round")
    user = ops.org.fleet_manager_a
    for url in [f"/operations/trips/{ops.trip_b.pk}/", f"/operations/trips/{ops.trip_b.pk}/edit/",
                f"/operations/trips/{ops.trip_b.pk}/cancel/", f"/operations/schedules/{schedule.pk}/edit/",
                f"/operations/schedules/{schedule.pk}/delete/", f"/operations/routes/{route.pk}/edit/",
                f"/operations/routes/{route.pk}/delete/", f"/operations/policy/{ops.org.b.pk}/"]:  # fmt: skip
        assert _page(client, user, url).status_code == 404, url
    listing = _page(client, user, "/operations/trips/").content.decode()
    assert "NY-01" in listing and "B-01" not in listing


# --- trips -------------------------------------------------------------------------------------------------------


def test_the_trip_list_shows_depot_times_the_need_parts_and_filters(ops, client):
    page = _page(client, ops.org.fleet_manager_a, "/operations/trips/").content.decode()
    local = ops.start.astimezone(NEW_YORK)
    assert f"{local:%Y-%m-%d %H:%M}" in page and local.tzname() in page  # EST or EDT, the depot's clock
    assert f"{ops.trip.required_soc_percent:.0f} %" in page
    assert f"{ops.trip.driving_kwh:.1f}" in page and f"{ops.trip.reserve_kwh:.1f}" in page
    assert "120.0 km, mixed (urban and arterial)" in page
    other = SiteFactory(department=ops.org.a, name="Bronx depot")
    filtered = client.get(f"/operations/trips/?depot={other.pk}").content.decode()
    assert "NY-01" not in filtered
    assert "NY-01" not in client.get("/operations/trips/?status=cancelled").content.decode()
    assert "NY-01" in client.get("/operations/trips/?vehicle=ny-0").content.decode()
    far = (ops.start + timedelta(days=10)).date().isoformat()
    assert "NY-01" not in client.get(f"/operations/trips/?day={far}").content.decode()


def test_distances_are_in_miles_where_the_department_counts_in_miles(ops, client):
    ops.org.a.distance_unit = "mi"
    ops.org.a.save()
    page = _page(client, ops.org.fleet_manager_a, "/operations/trips/").content.decode()
    assert "74.6 mi, mixed" in page  # 120 km
    assert "Distance (mi)" in client.get("/operations/trips/new/").content.decode()
    response = client.post("/operations/trips/new/", _trip_form(ops, ops.start + timedelta(hours=1), distance="10"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Trip.objects.get(vehicle=ops.van2).distance_km == pytest.approx(16.09344)


def test_the_trip_list_runs_a_constant_number_of_queries(ops, client, django_assert_max_num_queries):
    client.force_login(ops.org.fleet_manager_a)
    client.get("/operations/trips/")  # the session and the user, cached after the first request
    for n in range(30):
        start = ops.start + timedelta(hours=n % 20, minutes=10)
        vehicle = VehicleFactory(department=ops.org.a, vehicle_model=ops.model)
        route = services.route_create(actor=None, department=ops.org.a, name=f"R{n}", distance_km=30)
        services.trip_create(actor=None, vehicle=vehicle, depot=SiteFactory(department=ops.org.a), departs_at=start,
                             returns_at=start + timedelta(hours=2), route=route)  # fmt: skip
    with django_assert_max_num_queries(8):
        response = client.get("/operations/trips/")
    assert response.content.decode().count("data-trip-id=") == 31


def test_the_trip_page_shows_what_the_need_is_made_of_the_stops_and_the_schedule(ops, client):
    route = services.route_create(actor=None, department=ops.org.a, name="Harbour round", distance_km=60, stops=[
        {"name": "Pier 1", "latitude": 40.7, "longitude": -74.0, "window_opens": time(8), "window_closes": time(9)},
        {"name": "Pier 2", "latitude": 40.71, "longitude": -74.01, "service_minutes": 15}])  # fmt: skip
    services.trip_update(actor=None, trip=ops.trip, route=route, distance_km=None)
    page = _page(client, ops.org.fleet_manager_a, f"/operations/trips/{ops.trip.pk}/").content.decode()
    assert page.index("Pier 1") < page.index("Pier 2") and "08:00–09:00" in page
    assert "Driving" in page and "Heating or cooling" in page and "Reserve" in page
    assert "10 % of the usable battery" in page and "has no policy of its own" in page
    assert "none: planned by hand" in page and "Cancel trip" in page and "Harbour round" in page


def test_a_trip_is_planned_on_the_depots_clock_and_stored_in_utc(ops, client):
    client.force_login(ops.org.dispatcher_a)  # Org A reads in Berlin time; the depot is in New York
    start = ops.start + timedelta(days=1)
    response = client.post("/operations/trips/new/", _trip_form(ops, start))
    assert response.status_code == 302, response.content.decode()[:3000]
    trip = Trip.objects.get(vehicle=ops.van2)
    assert trip.departs_at == start and trip.required_soc_percent > 0
    page = client.get(response["Location"]).content.decode()
    assert f"{start.astimezone(NEW_YORK):%Y-%m-%d %H:%M %Z}" in page


def test_a_local_time_the_clocks_skip_moves_forward_and_says_so(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    data = _trip_form(ops, ops.start, departs_local="2027-03-14T02:30", returns_local="2027-03-14T10:00")
    response = client.post("/operations/trips/new/", data, follow=True)
    trip = Trip.objects.get(vehicle=ops.van2)
    assert trip.departs_at == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert "does not exist in America/New_York" in response.content.decode()


def _field_errors(html: str, field: str) -> str:
    """The errors shown right after the field's input."""
    start = html.index(f'name="{field}"')
    return html[start : html.index("<label", start) if "<label" in html[start:] else len(html)]


def test_the_services_errors_are_shown_next_to_their_fields(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    past = client.post("/operations/trips/new/", _trip_form(ops, timezone.now() - timedelta(hours=2)))
    assert "in the past" in _field_errors(past.content.decode(), "departs_local")
    services.trip_create(actor=None, vehicle=ops.van2, depot=ops.depot, departs_at=ops.start,
                         returns_at=ops.start + timedelta(hours=4), distance_km=20)  # fmt: skip
    other = Trip.objects.get(vehicle=ops.van2)
    overlap = client.post("/operations/trips/new/", _trip_form(ops, ops.start + timedelta(hours=1)))
    shown = _field_errors(overlap.content.decode(), "departs_local")
    assert f"NY-02 already has trip {other.pk} from" in shown and "Queens depot" in shown
    assert f"{ops.start.astimezone(NEW_YORK):%H:%M}" in shown and "UTC" not in shown
    far = client.post("/operations/trips/new/", _trip_form(ops, ops.start + timedelta(days=2), distance="1500",
                                                           hours=30))  # fmt: skip
    assert "charging stop" in _field_errors(far.content.decode(), "distance")
    team_depot = SiteFactory(department=ops.org.a1, name="Team depot")  # below Org A: not the van's department's
    cross = client.post("/operations/trips/new/", _trip_form(ops, ops.start + timedelta(days=3), depot=team_depot.pk))
    assert "another department" in _field_errors(cross.content.decode(), "depot")
    foreign = client.post(
        "/operations/trips/new/", _trip_form(ops, ops.start + timedelta(days=3), vehicle=ops.van_b.pk)
    )
    assert "Select a valid choice" in _field_errors(foreign.content.decode(), "vehicle")
    assert Trip.objects.filter(vehicle=ops.van2).count() == 1


def test_a_trip_is_edited_on_the_depots_clock(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    form = client.get(f"/operations/trips/{ops.trip.pk}/edit/").content.decode()
    assert f'value="{_local(ops.start)}"' in form
    later = ops.start + timedelta(hours=1)
    data = _trip_form(ops, later, vehicle=ops.van.pk, distance="120")
    response = client.post(f"/operations/trips/{ops.trip.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    ops.trip.refresh_from_db()
    assert ops.trip.departs_at == later and ops.trip.distance_km == 120
    route = services.route_create(actor=None, department=ops.org.a, name="Harbour round", distance_km=60)
    other_depot = SiteFactory(department=ops.org.a, time_zone="America/New_York")
    data = _trip_form(ops, later, vehicle=ops.van.pk, depot=other_depot.pk, route=route.pk, distance="",
                      road_mix="urban")  # fmt: skip
    assert client.post(f"/operations/trips/{ops.trip.pk}/edit/", data).status_code == 302
    ops.trip.refresh_from_db()
    assert (ops.trip.route, ops.trip.distance_km, ops.trip.depot, ops.trip.road_mix) == (route, None, other_depot,
                                                                                           "urban")  # fmt: skip
    # the need was recomputed for the route's 60 km (the simulation's model: operations.need)
    fresh = need.estimate(ops.trip)
    assert fresh.distance_km == 60 and ops.trip.driving_kwh == pytest.approx(fresh.driving_kwh, rel=0.02)


def test_cancelling_asks_first_and_keeps_the_trip_as_cancelled(ops, client):
    page = _page(client, ops.org.dispatcher_a, f"/operations/trips/{ops.trip.pk}/cancel/").content.decode()
    assert "Cancel the trip of NY-01?" in page
    ops.trip.refresh_from_db()
    assert ops.trip.status == Trip.Status.PLANNED
    client.post(f"/operations/trips/{ops.trip.pk}/cancel/")
    ops.trip.refresh_from_db()
    assert ops.trip.status == Trip.Status.CANCELLED
    assert "Cancel trip" not in client.get(f"/operations/trips/{ops.trip.pk}/").content.decode()


# --- duty schedules ----------------------------------------------------------------------------------------------


def _schedule_form(o, **extra):
    return {"name": "Early round", "vehicle": o.van2.pk, "depot": o.depot.pk, "weekdays": ["mon", "wed", "fri"],
            "departs_local": "06:30", "returns_local": "15:00", "route": "", "distance": "140", "road_mix": "urban",
            "valid_from": date.today().isoformat(), "valid_until": "", "active": "on", **extra}  # fmt: skip


def test_a_duty_schedule_made_on_its_page_makes_trips_and_lists_the_next_ones(ops, client):
    client.force_login(ops.org.dispatcher_a)
    response = client.post("/operations/schedules/new/", _schedule_form(ops))
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = DutySchedule.objects.get()
    assert schedule.weekdays == "mon,wed,fri" and schedule.department == ops.org.a
    trips = list(schedule.trips.order_by("departs_at"))
    assert trips and all(t.departs_at.astimezone(NEW_YORK).time() == time(6, 30) for t in trips)
    page = client.get("/operations/schedules/").content.decode()
    assert "Mon, Wed, Fri" in page and "06:30–15:00" in page
    assert f"/operations/trips/{trips[0].pk}/" in page


def test_a_schedule_without_a_route_or_distance_is_refused_at_the_distance(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    response = client.post("/operations/schedules/new/", _schedule_form(ops, distance=""))
    assert "Choose a route or give a distance." in _field_errors(response.content.decode(), "distance")
    assert not DutySchedule.objects.exists()


def test_deleting_a_schedule_says_its_planned_trips_go(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    client.post("/operations/schedules/new/", _schedule_form(ops))
    schedule = DutySchedule.objects.get()
    planned = schedule.trips.count()
    page = client.get(f"/operations/schedules/{schedule.pk}/delete/").content.decode()
    assert f"{planned} planned trip" in page
    client.post(f"/operations/schedules/{schedule.pk}/delete/")
    assert not DutySchedule.objects.exists() and not Trip.objects.filter(vehicle=ops.van2).exists()


def test_the_schedule_list_runs_a_constant_number_of_queries(ops, client, django_assert_max_num_queries):
    client.force_login(ops.org.fleet_manager_a)
    for n in range(8):
        vehicle = VehicleFactory(department=ops.org.a, vehicle_model=ops.model)
        services.schedule_create(actor=None, name=f"D{n}", department=ops.org.a, vehicle=vehicle, depot=ops.depot,
                                 departs_local=time(6), returns_local=time(9), distance_km=30,
                                 valid_from=date.today())  # fmt: skip
    client.get("/operations/schedules/")
    with django_assert_max_num_queries(8):
        assert client.get("/operations/schedules/").content.decode().count("data-schedule-id=") == 8


# --- routes ------------------------------------------------------------------------------------------------------


def _route_form(stops, **extra):
    data = {"department": "", "name": "Harbour round", "road_mix": "urban", "distance": "", "notes": "",
            "stops-TOTAL_FORMS": str(len(stops)), "stops-INITIAL_FORMS": "0", **extra}  # fmt: skip
    for i, stop in enumerate(stops):
        row = {"name": "", "address": "", "latitude": "", "longitude": "", "window_opens": "", "window_closes": "",
               "service_minutes": "", "ORDER": str(i + 1), **stop}  # fmt: skip
        data.update({f"stops-{i}-{k}": v for k, v in row.items()})
    return data


def test_a_route_is_made_with_its_stops_in_order(ops, client):
    client.force_login(ops.org.dispatcher_a)
    stops = [{"name": "Pier 2", "latitude": "40.71", "longitude": "-74.01", "ORDER": "2"},
             {"name": "Pier 1", "latitude": "40.7", "longitude": "-74.0", "window_opens": "08:00",
              "window_closes": "09:30", "ORDER": "1"}]  # fmt: skip
    response = client.post("/operations/routes/new/", _route_form(stops, department=ops.org.a.pk, distance="25"))
    assert response.status_code == 302, response.content.decode()[:3000]
    route = Route.objects.get()
    assert [s.name for s in route.stops.all()] == ["Pier 1", "Pier 2"] and route.distance_km == 25
    page = client.get(f"/operations/routes/{route.pk}/edit/").content.decode()
    assert page.index('value="Pier 1"') < page.index('value="Pier 2"')


def test_adding_a_stop_row_saves_nothing(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    data = _route_form([{"name": "Pier 1", "latitude": "40.7", "longitude": "-74.0"}], department=ops.org.a.pk)
    response = client.post("/operations/routes/new/", {**data, "add_stop": "1"})
    assert response.status_code == 200 and not Route.objects.exists()
    assert 'name="stops-1-name"' in response.content.decode()


def test_a_stops_error_names_its_number_and_field(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    stops = [{"name": "Pier 1", "latitude": "40.7", "longitude": "-74.0"},
             {"name": "Pier 2", "latitude": "", "longitude": "-74.0"},
             {"name": "Pier 3", "latitude": "40.7", "longitude": "-74.0", "window_opens": "10:00",
              "window_closes": "09:00"}]  # fmt: skip
    page = client.post("/operations/routes/new/", _route_form(stops, department=ops.org.a.pk)).content.decode()
    assert "Stop 2, latitude (°): This field is required." in page
    assert re.search(r"Stop 3, window closes: The window must close after it opens", page)
    assert not Route.objects.exists()


def test_a_route_in_use_is_not_deleted_and_the_page_says_why(ops, client):
    route = services.route_create(actor=None, department=ops.org.a, name="Busy", distance_km=30)
    services.trip_update(actor=None, trip=ops.trip, route=route)
    client.force_login(ops.org.fleet_manager_a)
    page = client.post(f"/operations/routes/{route.pk}/delete/").content.decode()
    assert "give them another route first" in page and Route.objects.filter(pk=route.pk).exists()
    idle = services.route_create(actor=None, department=ops.org.a, name="Idle", distance_km=30)
    assert client.post(f"/operations/routes/{idle.pk}/delete/").status_code == 302
    assert not Route.objects.filter(pk=idle.pk).exists()


def test_the_route_list_runs_a_constant_number_of_queries(ops, client, django_assert_max_num_queries):
    client.force_login(ops.org.fleet_manager_a)
    for n in range(6):
        services.route_create(actor=None, department=ops.org.a, name=f"R{n}", stops=[
            {"name": f"S{n}", "latitude": 40.7, "longitude": -74.0},
            {"name": f"Last{n}", "latitude": 40.8, "longitude": -74.0}])  # fmt: skip
    client.get("/operations/routes/")
    with django_assert_max_num_queries(6):
        page = client.get("/operations/routes/").content.decode()
    assert page.count("data-route-id=") == 6 and "2 stops: S0 … Last0" in page


# --- depots and the policy ---------------------------------------------------------------------------------------


def test_vehicles_are_based_at_a_depot_together(ops, client, django_assert_max_num_queries):
    client.force_login(ops.org.fleet_manager_a)
    response = client.post("/operations/depots/", {"vehicles": [ops.van.pk, ops.van2.pk], "site": ops.depot.pk})
    assert response.status_code == 302
    assert set(VehicleDepot.objects.values_list("vehicle_id", "site_id")) == {(ops.van.pk, ops.depot.pk),
                                                                             (ops.van2.pk, ops.depot.pk)}  # fmt: skip
    client.get("/operations/depots/")
    with django_assert_max_num_queries(10):
        page = client.get("/operations/depots/").content.decode()
    assert page.count("Queens depot</td>") == 2
    assert (
        "NY-01" not in client.get(f"/operations/depots/?site={SiteFactory(department=ops.org.a).pk}").content.decode()
    )
    client.post("/operations/depots/", {"vehicles": [ops.van.pk], "site": ""})
    assert list(VehicleDepot.objects.values_list("vehicle_id", flat=True)) == [ops.van2.pk]


def test_a_depot_of_another_department_is_refused_for_all_the_ticked_vehicles(ops, client):
    client.force_login(ops.org.admin)  # sees both organisations
    response = client.post("/operations/depots/", {"vehicles": [ops.van.pk, ops.van_b.pk], "site": ops.depot.pk})
    assert response.status_code == 200 and "another department" in response.content.decode()
    assert not VehicleDepot.objects.exists()  # nothing half-stored


def test_the_reserve_and_horizon_are_set_on_their_page(ops, client):
    client.force_login(ops.org.fleet_manager_a)
    response = client.post(f"/operations/policy/{ops.org.a.pk}/", {"reserve_percent": "20", "schedule_days": "3"})
    assert response.status_code == 302
    policy = OperationsPolicy.objects.get(department=ops.org.a)
    assert (policy.reserve_percent, policy.schedule_days) == (20, 3)
    wrong = client.post(f"/operations/policy/{ops.org.a.pk}/", {"reserve_percent": "80", "schedule_days": "3"})
    assert "50" in _field_errors(wrong.content.decode(), "reserve_percent")
    page = client.get("/operations/depots/").content.decode()
    assert re.search(r"Org A</td><td class=\"num\">20</td><td class=\"num\">3</td>", page)


# --- the services the pages added ------------------------------------------------------------------------------


def test_vehicle_depot_set_creates_moves_and_removes_a_depot_with_log_entries(ops):
    from accounts.models import ActivityLog

    other = SiteFactory(department=ops.org.a)
    services.vehicle_depot_set(actor=ops.org.fleet_manager_a, vehicle=ops.van, site=ops.depot)
    services.vehicle_depot_set(actor=ops.org.fleet_manager_a, vehicle=ops.van, site=ops.depot)  # unchanged
    services.vehicle_depot_set(actor=ops.org.fleet_manager_a, vehicle=ops.van, site=other)
    assert VehicleDepot.objects.get(vehicle=ops.van).site == other
    services.vehicle_depot_set(actor=ops.org.fleet_manager_a, vehicle=ops.van, site=None)
    assert not VehicleDepot.objects.exists()
    actions = list(
        ActivityLog.objects.filter(content_type__model="vehicledepot").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


def test_vehicle_depot_set_refuses_a_depot_of_another_department(ops):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as e:
        services.vehicle_depot_set(actor=None, vehicle=ops.van, site=ops.depot_b)
    assert "site" in e.value.message_dict


def test_policy_update_makes_the_policy_and_a_longer_horizon_makes_trips_at_once(ops):
    from django.core.exceptions import ValidationError

    services.policy_update(actor=None, department=ops.org.a, schedule_days=2)
    schedule = services.schedule_create(actor=None, name="Daily", department=ops.org.a, vehicle=ops.van2,
                                        depot=ops.depot, weekdays="mon,tue,wed,thu,fri,sat,sun",
                                        departs_local=time(5), returns_local=time(6), distance_km=10,
                                        valid_from=date.today())  # fmt: skip
    before = schedule.trips.count()
    policy = services.policy_update(actor=None, department=ops.org.a, schedule_days=10)
    assert policy.schedule_days == 10 and schedule.trips.count() >= before + 7
    with pytest.raises(ValidationError):
        services.policy_update(actor=None, department=ops.org.a, reserve_percent=70)
    with pytest.raises(ValidationError):
        services.policy_update(actor=None, department=ops.org.a, colour="red")
    assert OperationsPolicy.objects.get(department=ops.org.a).reserve_percent == 10
