"""The live map page and its data: what each role sees of its own department and never of another's, the map status
of each vehicle, the sites' connectors, a constant number of queries, the tile server setting and the page's policy."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from charging.tests.factories import plugged_in
from dispatch.livemap import distance_m, map_data
from evfleet.env import env_tile_url
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory
from operations import services as operations
from operations.models import VehicleDepot
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.test_csp import assert_keeps_to_the_policy, policy

STAFF_ROLES = [role for role in User.Role if role not in (User.Role.ADMIN, User.Role.INTEGRATOR)]
BERLIN = (52.52, 13.40)


@pytest.fixture
def fleet(org):
    """Department A: a depot with two connectors, a public charging site, four vehicles in four map statuses.
    Department B: a depot and a vehicle that A must never see."""
    depot = SiteFactory(name="Depot Nord", department=org.a, latitude=BERLIN[0], longitude=BERLIN[1])
    cp = ChargePointFactory(site=depot)
    ConnectorFactory(charge_point=cp, status="Available")
    ConnectorFactory(charge_point=cp, status="Charging")
    station = SiteFactory(name="Hub Mitte", department=org.a, latitude=52.50, longitude=13.30)
    at_depot = VehicleFactory(fleet_number="A-1", department=org.a, soc_percent=15.0)
    away = VehicleFactory(fleet_number="A-2", department=org.a, soc_percent=80.0)
    maintenance = VehicleFactory(fleet_number="A-3", department=org.a, status=Vehicle.Status.MAINTENANCE)
    unplaced = VehicleFactory(fleet_number="A-4", department=org.a1)
    VehicleFactory(fleet_number="A-R", department=org.a, status=Vehicle.Status.RETIRED)
    Vehicle.objects.filter(pk__in=[at_depot.pk, maintenance.pk]).update(
        last_latitude=BERLIN[0] + 0.001, last_longitude=BERLIN[1]
    )
    Vehicle.objects.filter(pk=away.pk).update(last_latitude=52.40, last_longitude=13.60)
    for vehicle in (at_depot, away, maintenance, unplaced):
        VehicleDepot.objects.create(vehicle=vehicle, site=depot)
    other_depot = SiteFactory(name="Yard B", department=org.b, latitude=40.7, longitude=-74.0)
    other = VehicleFactory(fleet_number="B-1", department=org.b, last_latitude=40.7, last_longitude=-74.0)
    VehicleDepot.objects.create(vehicle=other, site=other_depot)
    ChargePointFactory(site=other_depot)

    class Fleet:
        pass

    f = Fleet()
    f.depot, f.station, f.other_depot, f.other = depot, station, other_depot, other
    f.at_depot, f.away, f.maintenance, f.unplaced = at_depot, away, maintenance, unplaced
    return f


def _vehicles(data) -> dict[str, dict]:
    return {v["label"]: v for v in data["vehicles"]}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_sees_its_departments_vehicles_and_sites_on_the_page_and_in_the_data_never_anothers(
    role, org, fleet, client
):
    client.force_login(getattr(org, f"{role.value}_a"))
    page = client.get("/dispatch/map/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "A-1" in html and "Depot Nord" in html
    assert "B-1" not in html and "Yard B" not in html
    data = client.get("/dispatch/map/data.json").json()
    assert set(_vehicles(data)) == {"A-1", "A-2", "A-3", "A-4"}  # the retired one is left off
    assert {s["name"] for s in data["sites"]} == {"Depot Nord", "Hub Mitte"}
    client.force_login(getattr(org, f"{role.value}_b"))
    data = client.get("/dispatch/map/data.json").json()
    assert set(_vehicles(data)) == {"B-1"} and {s["name"] for s in data["sites"]} == {"Yard B"}
    assert "A-1" not in client.get("/dispatch/map/").content.decode()


def test_a_team_below_sees_only_its_own_subtree(org, fleet, client):
    client.force_login(org.manager_a1)
    data = client.get("/dispatch/map/data.json").json()
    assert set(_vehicles(data)) == {"A-4"}
    assert data["sites"] == []  # both sites are Org A's, above the team
    assert _vehicles(data)["A-4"]["depot"] is None  # its depot is not the team's to see


def test_an_administrator_sees_every_department(org, fleet, client):
    client.force_login(org.admin)
    data = client.get("/dispatch/map/data.json").json()
    assert {"A-1", "B-1"} <= set(_vehicles(data))
    assert {"Depot Nord", "Yard B"} <= {s["name"] for s in data["sites"]}


def test_integrators_are_sent_to_the_api_guide_and_anonymous_visitors_to_sign_in(org, fleet, client):
    assert client.get("/dispatch/map/").url.startswith("/accounts/login/")
    assert client.get("/dispatch/map/data.json").url.startswith("/accounts/login/")
    client.force_login(org.integrator_a)
    assert client.get("/dispatch/map/").url == "/api/guide/"
    assert client.get("/dispatch/map/data.json").url == "/api/guide/"


def test_vehicles_get_their_map_status_and_low_soc_and_a_position_or_none(org, fleet):
    vehicles = _vehicles(map_data(user=org.fleet_manager_a, now=timezone.now()))
    assert vehicles["A-1"]["status"] == "at_depot" and vehicles["A-1"]["low_soc"] is True
    assert vehicles["A-2"]["status"] == "away" and vehicles["A-2"]["low_soc"] is False
    assert vehicles["A-3"]["status"] == "maintenance"
    assert vehicles["A-4"]["lat"] is None and vehicles["A-4"]["status"] == "at_depot"
    assert vehicles["A-1"]["depot"] == fleet.depot.pk
    assert vehicles["A-1"]["url"] == f"/fleet/vehicles/{fleet.at_depot.pk}/"


def test_a_charging_vehicle_shows_charging_and_one_on_a_trip_shows_on_a_trip(org, fleet):
    plugged_in(fleet.away, site=fleet.depot)
    trip = operations.trip_create(
        actor=None,
        vehicle=fleet.at_depot,
        depot=fleet.depot,
        departs_at=timezone.now() + timedelta(hours=1),
        returns_at=timezone.now() + timedelta(hours=5),
        distance_km=40,
    )
    operations.trip_depart(actor=None, trip=trip, at=timezone.now() + timedelta(hours=1))
    vehicles = _vehicles(map_data(user=org.fleet_manager_a, now=timezone.now()))
    assert vehicles["A-2"]["status"] == "charging"
    assert vehicles["A-1"]["status"] == "on_trip"


def test_the_popup_data_has_the_next_departure_in_the_depots_zone_and_the_departments_unit(org, fleet):
    org.a.distance_unit = "mi"
    org.a.save()
    departs = (timezone.now() + timedelta(days=1)).replace(hour=5, minute=30, second=0, microsecond=0)
    trip = operations.trip_create(
        actor=None,
        vehicle=fleet.away,
        depot=fleet.depot,
        departs_at=departs,
        returns_at=departs + timedelta(hours=8),
        distance_km=160.9344,
    )
    manager = User.objects.get(pk=org.fleet_manager_a.pk)
    vehicles = _vehicles(map_data(user=manager, now=timezone.now()))
    next_trip = vehicles["A-2"]["next_trip"]
    assert next_trip["id"] == trip.pk
    local = departs.astimezone(ZoneInfo("Europe/Berlin"))
    assert next_trip["departs_local"].startswith(f"{local:%a %d %b %H:%M}")
    assert next_trip["departs_local"].endswith(("CET", "CEST"))
    assert next_trip["distance"] == "100.0 mi"
    assert next_trip["required_soc_percent"] == pytest.approx(trip.required_soc_percent)
    assert vehicles["A-1"]["next_trip"] is None


def test_sites_carry_their_connectors_by_status_and_whether_they_are_a_depot(org, fleet):
    from django.test import Client

    def client_for(user):
        client = Client()
        client.force_login(user)
        return client

    sites = {s["name"]: s for s in map_data(user=org.fleet_manager_a, now=timezone.now())["sites"]}
    assert sites["Depot Nord"]["kind"] == "depot" and sites["Hub Mitte"]["kind"] == "station"
    assert sorted(sites["Depot Nord"]["connectors"].values()) == ["Available", "Charging"]
    assert sites["Depot Nord"]["url"] == f"/dispatch/depots/{fleet.depot.pk}/"  # the live depot view
    for role in STAFF_ROLES:  # the depot view, else the smart-charging site page, else the stations page
        user = getattr(org, f"{role.value}_a")
        url = next(s["url"] for s in map_data(user=user, now=timezone.now())["sites"] if s["name"] == "Depot Nord")
        if user.has_perms(("stations.view_site", "stations.view_chargepoint")):
            assert url == f"/dispatch/depots/{fleet.depot.pk}/"
        elif user.has_perm("charging.view_chargingplan"):
            assert url == f"/smart-charging/sites/{fleet.depot.pk}/"
        else:
            assert url == "/stations/"
        assert client_for(user).get(url).status_code == 200


def _fleet_of(department, depot, count):
    for n in range(count):
        vehicle = VehicleFactory(department=department, last_latitude=52.5 + n / 1000, last_longitude=13.4)
        VehicleDepot.objects.create(vehicle=vehicle, site=depot)
        if n % 3 == 0:
            operations.trip_create(
                actor=None,
                vehicle=vehicle,
                depot=depot,
                departs_at=timezone.now() + timedelta(hours=2),
                returns_at=timezone.now() + timedelta(hours=6),
                distance_km=30,
            )


@pytest.mark.parametrize("path", ["/dispatch/map/", "/dispatch/map/data.json"])
def test_the_page_and_its_data_run_the_same_queries_for_10_and_200_vehicles(org, client, path):
    client.force_login(org.fleet_manager_a)
    depot = SiteFactory(department=org.a)
    ConnectorFactory(charge_point=ChargePointFactory(site=depot))
    counts = []
    for total in (10, 200):
        _fleet_of(org.a, depot, total - Vehicle.objects.filter(department=org.a).count())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        assert response.content.count(b'"next_trip": {') + response.content.count(b'"next_trip":{') >= total // 3
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 12, counts


def test_the_map_page_keeps_to_the_sites_content_security_policy(org, fleet, client):
    client.force_login(org.fleet_manager_a)
    response = client.get("/dispatch/map/")
    assert_keeps_to_the_policy(response, "/dispatch/map/")
    assert policy(response)["img-src"] == ["'self'", "data:"]  # no tile server set: nothing from elsewhere
    assert 'data-tiles-url=""' in response.content.decode()


def test_a_tile_server_set_is_handed_to_the_page(org, fleet, client, settings):
    settings.EVFLEET_MAP_TILES_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    settings.EVFLEET_MAP_ATTRIBUTION = "© Example contributors"
    client.force_login(org.fleet_manager_a)
    html = client.get("/dispatch/map/").content.decode()
    assert 'data-tiles-url="https://tile.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-tiles-attribution="© Example contributors"' in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ("", "")),
        (
            "https://tile.example.org/{z}/{x}/{y}.png",
            ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ),
        (
            "https://{s}.tile.example.org:8443/osm/{z}/{x}/{y}.png",
            ("https://{s}.tile.example.org:8443/osm/{z}/{x}/{y}.png", "https://*.tile.example.org:8443"),
        ),
    ],
)
def test_the_tile_url_gives_the_source_the_policy_allows(monkeypatch, value, expected):
    monkeypatch.setenv("EVFLEET_MAP_TILES_URL", value)
    assert env_tile_url("EVFLEET_MAP_TILES_URL") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://tile.example.org/{z}/{x}/{y}.png", "must start with one of https://, http://"),
        ("https://tile.example.org/{z}/{x}.png", "lacks {y}"),
        ("https://tile.{s}.example.org/{z}/{x}/{y}.png", "may only start with a {s}. subdomain"),
    ],
)
def test_a_bad_tile_url_stops_the_start_naming_the_variable(monkeypatch, value, message):
    monkeypatch.setenv("EVFLEET_MAP_TILES_URL", value)
    with pytest.raises(ImproperlyConfigured, match="EVFLEET_MAP_TILES_URL") as error:
        env_tile_url("EVFLEET_MAP_TILES_URL")
    assert message in str(error.value)


def _img_src_at_start_up(tmp_path, **env) -> list[str]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EVFLEET_MAP_")}
    environment.update(DJANGO_SETTINGS_MODULE="evfleet.settings", EVFLEET_DATA_DIR=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_tile_servers_origin_enters_the_policy_only_when_set(tmp_path):
    assert _img_src_at_start_up(tmp_path) == ["'self'", "data:"]
    assert _img_src_at_start_up(tmp_path, EVFLEET_MAP_TILES_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png") == [
        "'self'",
        "data:",
        "https://*.tile.example.org",
    ]


def test_distances_are_great_circle_metres():
    assert distance_m(52.52, 13.40, 52.52, 13.40) == 0
    assert distance_m(52.5200, 13.4050, 48.8566, 2.3522) == pytest.approx(878_000, rel=0.01)  # Berlin-Paris


def test_the_map_is_in_the_navigation_for_those_who_see_vehicles(org, client):
    client.force_login(org.dispatcher_a)
    assert 'href="/dispatch/map/"' in client.get("/fleet/").content.decode()
