"""Charging stops for a real vehicle: candidate stations (scope, roaming, compatibility, availability), the plan
through the API per role, booking all or nothing, and the page."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from charging.models import Reservation, RoamingPolicy
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from routing.services import stops as services
from simulation.selectors.feeds import WeatherAt
from stations.models import CompatibilityRule, Connector, MaintenanceWindow
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

BERLIN = (52.52, 13.40)
HAMBURG = (53.55, 9.99)
CORRIDOR = {"Walsleben": (52.95, 12.62), "Ludwigslust": (53.33, 11.50), "Billbrook": (53.54, 10.08)}


def _site(department, name, position, *, online=True, power="150", connector_type="ccs2"):
    site = SiteFactory(department=department, name=name, latitude=position[0], longitude=position[1])
    cp = ChargePointFactory(site=site, identity=f"CP-{name}", is_connected=online, protocol="ocpp1.6",
                            status="operational" if online else "offline",
                            last_seen_at=timezone.now() if online else None)  # fmt: skip
    for evse in (1, 2):
        ConnectorFactory(charge_point=cp, evse_id=evse, connector_type=connector_type, current_type="dc",
                         max_power_kw=D(power))  # fmt: skip
    return site


@pytest.fixture
def corridor(org):
    for plug in ("ccs2", "type2"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
    model = VehicleModelFactory(usable_battery_kwh=D("64.0"), max_dc_kw=D("115.0"), inlets=["type2", "ccs2"])
    vehicle = VehicleFactory(department=org.a, vehicle_model=model, soc_percent=55.0,
                             last_latitude=BERLIN[0], last_longitude=BERLIN[1])  # fmt: skip
    sites = {name: _site(org.a, name, position) for name, position in CORRIDOR.items()}
    return {"vehicle": vehicle, "sites": sites, "model": model}


def _body(vehicle, **extra):
    return {
        "vehicle": vehicle.pk,
        "destination_latitude": HAMBURG[0],
        "destination_longitude": HAMBURG[1],
        "departure_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        **extra,
    }


def _weather(monkeypatch, temperature_c):
    """The day's temperature, pinned: the plan depends on it (consumption, charging power), and the climate normals
    the service reads without a stored forecast change with the season the suite runs in."""
    monkeypatch.setattr(services, "normals_at", lambda site, when: WeatherAt(temperature_c, 0.0, 0.0, "normals", None))


def _plan(api, user, vehicle):
    response = api(user).post("/api/v1/charging-stop-plans/", _body(vehicle), format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_berlin_to_hamburg_stops_at_a_corridor_site_and_the_totals_add_up(org, corridor, api, monkeypatch):
    _weather(monkeypatch, 15.0)
    plan = _plan(api, org.fleet_manager_a, corridor["vehicle"])
    assert plan["ambient_temperature_c"] == 15.0
    assert plan["candidate_stations"] == 3
    assert 1 <= len(plan["stops"]) <= 2
    names = {stop["site_name"] for stop in plan["stops"]}
    assert names <= set(CORRIDOR)
    totals = plan["totals"]
    assert totals["total_minutes"] == pytest.approx(
        totals["drive_minutes"] + totals["charge_minutes"] + totals["wait_minutes"], abs=0.2
    )
    assert plan["start_soc_percent"] == 55.0  # the vehicle's latest
    assert plan["origin"]["latitude"] == BERLIN[0]  # its last position
    for stop in plan["stops"]:
        assert stop["arrival_soc_percent"] >= plan["reserve_percent"]
        assert stop["power_kw"] <= 115.0
    assert plan["arrival_soc_percent"] >= plan["required_arrival_soc_percent"]


def test_a_winter_day_needs_more_charging_and_every_stop_still_keeps_the_reserve(org, corridor, api, monkeypatch):
    _weather(monkeypatch, 15.0)
    mild = _plan(api, org.fleet_manager_a, corridor["vehicle"])
    _weather(monkeypatch, 0.0)
    cold = _plan(api, org.fleet_manager_a, corridor["vehicle"])
    assert cold["ambient_temperature_c"] == 0.0
    # the battery at a stop is driven and preconditioned: 20 °C, not the air's 0 °C (a fifth of the DC power)
    assert cold["battery_temperature_c"] == 20.0 and mild["battery_temperature_c"] == 20.0
    assert cold["dc_power_factor"] == mild["dc_power_factor"] > 0.8
    assert cold["totals"]["charge_minutes"] > mild["totals"]["charge_minutes"]
    assert cold["totals"]["total_minutes"] > mild["totals"]["total_minutes"]
    assert {stop["site_name"] for stop in cold["stops"]} <= set(CORRIDOR)
    for stop in cold["stops"]:
        assert stop["arrival_soc_percent"] >= cold["reserve_percent"]
    assert cold["arrival_soc_percent"] >= cold["required_arrival_soc_percent"]


def test_sites_the_vehicle_may_not_use_are_no_candidates(org, corridor):
    vehicle = corridor["vehicle"]
    foreign = _site(org.b, "Foreign", (53.0, 12.0))  # org B has no roaming policy: nobody else may charge there
    offline = _site(org.a, "Offline", (53.1, 12.1), online=False)
    chademo = _site(org.a, "Chademo only", (53.2, 11.8), connector_type="chademo")
    faulted = _site(org.a, "Faulted", (53.25, 11.7))
    Connector.objects.filter(charge_point__site=faulted).update(status=Connector.Status.FAULTED)
    serviced = _site(org.a, "Serviced", (53.3, 11.6))
    now = timezone.now()
    MaintenanceWindow.objects.create(charge_point=serviced.charge_points.get(), starts_at=now - timedelta(hours=1),
                                     ends_at=now + timedelta(hours=3), reason="repair")  # fmt: skip
    names = {c.site.name for c in services.candidate_stations(vehicle=vehicle, at=now + timedelta(minutes=5))}
    assert names == set(CORRIDOR)
    assert not {foreign.name, offline.name, chademo.name, faulted.name, serviced.name} & names
    RoamingPolicy.objects.create(department=org.b, mode=RoamingPolicy.Mode.ANY)
    names = {c.site.name for c in services.candidate_stations(vehicle=vehicle, at=now)}
    assert "Foreign" in names


def test_a_trip_out_of_reach_even_with_every_station_says_which_gap_is_too_long(org, corridor, api):
    response = api(org.fleet_manager_a).post(
        "/api/v1/charging-stop-plans/",
        _body(corridor["vehicle"], destination_latitude=48.14, destination_longitude=11.58),  # Munich
        format="json",
    )
    assert response.status_code == 400
    message = str(response.json())
    assert "no station or the destination is within" in message and "destination" in message


def test_bad_input_names_the_field(org, corridor, api):
    client = api(org.fleet_manager_a)
    response = client.post("/api/v1/charging-stop-plans/", {"vehicle": corridor["vehicle"].pk}, format="json")
    assert response.status_code == 400 and "destination_site" in str(response.json())
    response = client.post(
        "/api/v1/charging-stop-plans/", _body(corridor["vehicle"], start_soc_percent=5, reserve_percent=10),
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "start_soc_percent" in str(response.json())
    assert "below the reserve" in str(response.json())


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst"])
def test_every_role_that_sees_vehicles_and_sites_may_plan_in_its_own_department_only(org, corridor, api, role):
    own = api(getattr(org, f"{role}_a")).post("/api/v1/charging-stop-plans/", _body(corridor["vehicle"]),
                                              format="json")  # fmt: skip
    assert own.status_code == 200
    other = api(getattr(org, f"{role}_b")).post("/api/v1/charging-stop-plans/", _body(corridor["vehicle"]),
                                                format="json")  # fmt: skip
    assert other.status_code == 400 and "vehicle" in other.json().get("errors", other.json()).__str__()


def test_anonymous_requests_are_refused(corridor, api):
    assert api().post("/api/v1/charging-stop-plans/", _body(corridor["vehicle"]), format="json").status_code in (
        401,
        403,
    )


@pytest.mark.parametrize(("role", "allowed"), [("fleet_manager", True), ("dispatcher", True), ("analyst", False),
                                               ("technician", False)])  # fmt: skip
def test_booking_creates_one_reservation_per_stop_for_roles_that_book(org, corridor, api, role, allowed):
    response = api(getattr(org, f"{role}_a")).post(
        "/api/v1/charging-stop-plans/book/", _body(corridor["vehicle"]), format="json"
    )
    if not allowed:
        assert response.status_code == 403 and not Reservation.objects.exists()
        return
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert len(plan["reservations"]) == len(plan["stops"]) >= 1
    for reservation_id, stop in zip(plan["reservations"], plan["stops"], strict=True):
        reservation = Reservation.objects.get(pk=reservation_id)
        assert reservation.site_id == stop["site"] and reservation.status == "confirmed"
        assert reservation.vehicle == corridor["vehicle"]
        assert abs((reservation.starts_at - timezone.datetime.fromisoformat(stop["arrives_at"])).total_seconds()) < 1
        assert (reservation.ends_at - reservation.starts_at).total_seconds() >= stop["charge_minutes"] * 60


def test_a_stop_that_cannot_be_booked_books_nothing_and_names_the_stop(org, corridor, api):
    client = api(org.fleet_manager_a)
    plan = client.post("/api/v1/charging-stop-plans/", _body(corridor["vehicle"]), format="json").json()
    last = plan["stops"][-1]
    # another vehicle holds both connectors of the last stop over its arrival
    other = VehicleFactory(department=org.a, vehicle_model=corridor["model"])
    other2 = VehicleFactory(department=org.a, vehicle_model=corridor["model"])
    arrives = timezone.datetime.fromisoformat(last["arrives_at"])
    for connector, vehicle in zip(Connector.objects.filter(charge_point__site_id=last["site"]), (other, other2),
                                  strict=True):  # fmt: skip
        Reservation.objects.create(
            vehicle=vehicle,
            site_id=last["site"],
            connector=connector,
            status="confirmed",
            starts_at=arrives - timedelta(minutes=30),
            ends_at=arrives + timedelta(hours=2),
        )
    before = Reservation.objects.count()
    response = client.post("/api/v1/charging-stop-plans/book/", _body(corridor["vehicle"]), format="json")
    assert response.status_code == 400
    message = str(response.json())
    assert f"Stop {len(plan['stops'])} ({last['site_name']}) cannot be booked" in message
    assert Reservation.objects.count() == before


def test_the_page_shows_the_plan_and_books_it(org, corridor, client, django_assert_max_num_queries):
    client.force_login(org.dispatcher_a)
    query = {
        "vehicle": corridor["vehicle"].pk,
        "destination_latitude": HAMBURG[0],
        "destination_longitude": HAMBURG[1],
    }
    with django_assert_max_num_queries(40):
        response = client.get("/routing/charging-stops/", query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Book these stops" in body and 'id="stops-data"' in body
    assert any(name in body for name in CORRIDOR)
    response = client.post("/routing/charging-stops/", {**query, "book": "1"})
    assert response.status_code == 302
    assert Reservation.objects.filter(vehicle=corridor["vehicle"]).exists()


def test_the_page_shows_an_impossible_trip_next_to_the_destination(org, corridor, client):
    client.force_login(org.fleet_manager_a)
    response = client.get(
        "/routing/charging-stops/",
        {"vehicle": corridor["vehicle"].pk, "destination_latitude": 48.14, "destination_longitude": 11.58},
    )
    assert response.status_code == 200
    assert "no station or the destination is within" in response.content.decode()


def test_the_page_offers_only_vehicles_in_scope(org, corridor, client):
    client.force_login(org.fleet_manager_b)
    response = client.get(
        "/routing/charging-stops/",
        {"vehicle": corridor["vehicle"].pk, "destination_latitude": HAMBURG[0], "destination_longitude": HAMBURG[1]},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert corridor["vehicle"].fleet_number not in response.content.decode()


def test_the_legs_between_sites_are_the_great_circle_estimate_built_as_arrays():
    # every pair but into the origin and out of the destination, none beyond a full battery's range, kWh at the
    # leg's speed; the sites' legs go to the network (arrays), the trip's own as Leg objects. No database.
    from operations.energy import great_circle_km
    from routing.chargestops import DESTINATION, ORIGIN

    points = [BERLIN, *CORRIDOR.values(), HAMBURG, (48.14, 11.58)]  # Munich: beyond the range of everything
    ids = [ORIGIN, "wal", "lud", "bil", "ham", DESTINATION]
    wh_per_km = {40.0: 150.0, 70.0: 160.0, 100.0: 200.0}
    trip, network = services._legs(ids, *services._leg_arrays(services.GreatCircleLegs(), points), wh_per_km, 64.0)
    built = dict(trip)
    for tail, row in enumerate(network.rows):
        for head, minutes, kwh, km in zip(*(x.tolist() for x in row), strict=True):
            built[(ids[tail], ids[head])] = (minutes, kwh, km)
    expected = {}
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            km = great_circle_km(a, b) * services.ROAD_FACTOR
            if i == j or j == 0 or i == len(points) - 1 or km > 64.0 / 0.2:
                continue
            speed = 40.0 if km < 10 else 70.0 if km < 40 else 100.0
            expected[(ids[i], ids[j])] = (km / speed * 60.0, km * wh_per_km[speed] / 1000.0, km)
    assert set(built) == set(expected) and (ORIGIN, "wal") in trip
    assert (ORIGIN, DESTINATION) not in built and (DESTINATION, "wal") not in built  # too far; out of the end
    assert not any(a == ORIGIN or b == DESTINATION for a, b in built if (a, b) not in trip)
    for key, (minutes, kwh, km) in expected.items():
        leg = built[key]
        got = (leg.minutes, leg.kwh, leg.km) if key in trip else leg
        assert got == pytest.approx((minutes, kwh, km), rel=1e-9)


def test_a_trip_with_no_usable_station_says_so(org, corridor, api, monkeypatch):
    _weather(monkeypatch, 15.0)
    from stations.models import ChargePoint

    ChargePoint.objects.filter(site__in=corridor["sites"].values()).update(is_connected=False, status="offline")
    response = api(org.fleet_manager_a).post("/api/v1/charging-stop-plans/", _body(corridor["vehicle"]), format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["destination"][0]["message"]
    assert "No charging station could be used on the way" in message and "0 are online" in message


def test_the_page_offers_only_sites_in_scope(org, corridor, client):
    """Another organisation's sites are neither listed nor accepted (the API scopes them the same way)."""
    client.force_login(org.fleet_manager_b)
    body = client.get("/routing/charging-stops/").content.decode()
    assert not any(name in body for name in CORRIDOR)
    site = corridor["sites"]["Ludwigslust"]
    own = VehicleFactory(department=org.b, vehicle_model=corridor["model"], soc_percent=80.0)
    response = client.get("/routing/charging-stops/", {"vehicle": own.pk, "destination_site": site.pk})
    assert "Select a valid choice" in response.content.decode() and 'id="stops-data"' not in response.content.decode()


def test_after_booking_the_page_goes_back_to_the_plan_without_the_csrf_token_in_its_address(org, corridor, client):
    client.force_login(org.dispatcher_a)
    query = {"vehicle": corridor["vehicle"].pk, "destination_latitude": HAMBURG[0], "destination_longitude": HAMBURG[1]}
    response = client.post("/routing/charging-stops/", {**query, "book": "1", "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 302
    assert "csrfmiddlewaretoken" not in response.url and "book=" not in response.url
    assert f"vehicle={corridor['vehicle'].pk}" in response.url


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst"])
def test_the_page_offers_only_sites_in_scope_and_refuses_another_departments(org, corridor, client, role):
    own = _site(org.b, "Harbour depot", HAMBURG)
    vehicle = VehicleFactory(department=org.b, vehicle_model=corridor["model"], soc_percent=80.0,
                             last_latitude=BERLIN[0], last_longitude=BERLIN[1])  # fmt: skip
    client.force_login(getattr(org, f"{role}_b"))
    page = client.get("/routing/charging-stops/")
    assert page.status_code == 200
    options = {str(site) for site in page.context["form"].fields["origin_site"].queryset}
    assert options == {str(own)} == {str(s) for s in page.context["form"].fields["destination_site"].queryset}
    body = page.content.decode()
    assert "Harbour depot" in body and not any(name in body for name in CORRIDOR)
    foreign = corridor["sites"]["Walsleben"]
    response = client.get(
        "/routing/charging-stops/",
        {"vehicle": vehicle.pk, "origin_site": foreign.pk, "destination_site": foreign.pk, "start_soc_percent": 80},
    )
    errors = response.context["form"].errors
    assert (
        "Select a valid choice" in errors["origin_site"][0] and "Select a valid choice" in errors["destination_site"][0]
    )
    assert response.context["plan"] is None


def test_the_page_takes_a_departure_with_its_offset_from_a_link(org, corridor, client, monkeypatch):
    _weather(monkeypatch, 15.0)
    client.force_login(org.dispatcher_a)
    departure = (timezone.now() + timedelta(hours=1)).isoformat()  # 2026-…T…+00:00, as a program writes it
    query = {"vehicle": corridor["vehicle"].pk, "destination_latitude": HAMBURG[0],
             "destination_longitude": HAMBURG[1], "departure_at": departure}  # fmt: skip
    page = client.get("/routing/charging-stops/", query).content.decode()
    assert 'id="stops-data"' in page and 'name="book"' in page
