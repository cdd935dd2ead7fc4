"""The readiness board, the home page: per depot, each vehicle's next departure in the depot's zone, the SoC needed,
now and expected, where it is and its status; filters and counts; scoped per role and department; a constant
number of queries whatever the fleet's size."""

from datetime import timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations import services as operations
from operations.models import Trip, VehicleDepot
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(org):
    now = timezone.now()
    depot = SiteFactory(department=org.a, name="Westbrook depot", time_zone="America/New_York")
    cp = ChargePointFactory(site=depot, identity="WB-1")
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("11"), status="Available")  # fmt: skip
    model = VehicleModelFactory(name="Board van", max_ac_kw=D("11"), usable_battery_kwh=D("64"), vehicle_class="van")
    leaves = (now + timedelta(hours=10)).replace(second=0, microsecond=0)
    vans = {}
    for label, soc in (("W-1", 95.0), ("W-2", 10.0), ("W-3", 20.0)):
        van = VehicleFactory(department=org.a, fleet_number=label, vehicle_model=model, soc_percent=soc)
        VehicleDepot.objects.create(vehicle=van, site=depot)
        operations.trip_create(actor=None, vehicle=van, depot=depot, departs_at=leaves,
                               returns_at=leaves + timedelta(hours=8), distance_km=120)  # fmt: skip
        vans[label] = van
    SessionFactory(connector=connector, vehicle=vans["W-3"], status="charging", ended_at=None,
                   started_at=now - timedelta(minutes=5), transaction_id="801")  # fmt: skip
    loner = VehicleFactory(department=org.a, fleet_number="L-1", vehicle_model=model, soc_percent=50.0)
    operations.trip_create(actor=None, vehicle=loner, depot=depot, departs_at=leaves + timedelta(hours=1),
                           returns_at=leaves + timedelta(hours=3), distance_km=40)  # fmt: skip
    other = SiteFactory(department=org.b, name="Other depot")
    theirs = VehicleFactory(department=org.b, fleet_number="Z-9", vehicle_model=model, soc_percent=5.0)
    operations.trip_create(actor=None, vehicle=theirs, depot=other, departs_at=leaves,
                           returns_at=leaves + timedelta(hours=2), distance_km=40)  # fmt: skip
    return {"depot": depot, "vans": vans, "leaves": leaves, "model": model}


def test_the_home_page_is_the_board_and_the_fleet_overview_stays(org, client):
    client.force_login(org.fleet_manager_a)
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/dispatch/"
    assert client.get("/fleet/").status_code == 200


def test_the_board_shows_each_vehicle_per_depot_with_its_status_and_reason(org, client, fleet):
    client.force_login(org.fleet_manager_a)
    html = client.get("/dispatch/").content.decode()
    assert html.index("Westbrook depot") < html.index("No depot")  # the vehicle without a depot in its own group
    local = fleet["leaves"].astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M ") + ("EST" if local.dst() == timedelta(0) else "EDT") in html
    assert "W-1" in html and "Ready" in html
    assert "Not plugged in" in html and "At the depot, unplugged" in html  # W-2
    assert "On WB-1 #1" in html  # W-3 on a charger
    assert "75 mi" not in html and "120 km" in html  # the department's unit
    assert "Z-9" not in html  # another department's


def test_the_board_counts_per_status_and_filters(org, client, fleet):
    client.force_login(org.fleet_manager_a)
    response = client.get("/dispatch/")
    counts = response.context["board"].counts
    assert counts["ready"] == 2 and counts["not_plugged_in"] == 1 and counts["will_be_ready"] == 1
    rows = client.get("/dispatch/?status=not_plugged_in").context["board"].rows
    assert [r.vehicle.fleet_number for r in rows] == ["W-2"]
    rows = client.get(f"/dispatch/?depot={fleet['depot'].pk}").context["board"].rows
    assert {r.vehicle.fleet_number for r in rows} == {"W-1", "W-2", "W-3"}
    assert [r.vehicle.fleet_number for r in client.get("/dispatch/?depot=0").context["board"].rows] == ["L-1"]
    assert client.get("/dispatch/?class=bus").context["board"].total == 0
    assert client.get("/dispatch/?within=4").context["board"].total == 0
    assert client.get("/dispatch/?within=12").context["board"].total == 4
    fragment = client.get("/dispatch/?status=ready&fragment=1")
    assert b"<html" not in fragment.content and b"W-1" in fragment.content


@pytest.mark.parametrize(
    "role", ["fleet_manager_a", "dispatcher_a", "technician_a", "analyst_a", "fleet_manager_b", "admin"]
)
def test_the_board_is_scoped_per_role_and_department(org, client, fleet, role):
    client.force_login(getattr(org, role))
    html = client.get("/dispatch/").content.decode()
    assert ("W-1" in html) == (role != "fleet_manager_b")
    assert ("Z-9" in html) == (role in ("admin", "fleet_manager_b"))


def test_an_integrator_account_is_sent_to_the_api_guide(org, client):
    client.force_login(org.integrator_a)
    assert client.get("/dispatch/").url == "/api/guide/"


def _many(org, model, depot, first, last):
    now = timezone.now()
    for i in range(first, last):
        van = VehicleFactory(department=org.a, fleet_number=f"M-{i:04d}", vehicle_model=model, soc_percent=i % 100)
        VehicleDepot.objects.create(vehicle=van, site=depot)
        leaves = now + timedelta(hours=11, minutes=i)  # after the fixture's: its plugged-in van stays on page 1
        Trip.objects.create(department=org.a, vehicle=van, depot=depot, departs_at=leaves, distance_km=50,
                            returns_at=leaves + timedelta(hours=2), required_soc_percent=40.0)  # fmt: skip


def test_the_first_page_runs_the_same_number_of_queries_for_10_and_200_vehicles(
    org, client, fleet, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.fleet_manager_a)
    counts = []
    for first, last in ((0, 10), (10, 200)):
        _many(org, fleet["model"], fleet["depot"], first, last)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(18):
            response = client.get("/dispatch/")
        counts.append(len(queries))
        assert len(response.context["board"].rows) == min(100, last + 4)
    assert counts[0] == counts[1]
