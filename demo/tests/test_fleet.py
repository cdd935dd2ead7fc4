"""The demo's simulated fleet (demo.fleet): which vehicle a simulated station plugs in, and the trips it plays
out (departure, the road, the return), driven with a fake clock."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.tests.factories import DepartmentFactory
from charging.models import ChargingSession, IdToken
from charging.services.transactions import transaction_start, transaction_stop
from demo.fleet import DepotFleet
from demo.management.commands.simulate_stations import fleet_tick, spread_over_sites
from fleet.models import TelemetryPoint, Vehicle
from fleet.tests.factories import VehicleFactory
from operations import need as trip_need
from operations.models import Trip, VehicleDepot
from operations.services import trip_create
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db

AC = {"connector_type": "type2", "current_type": "ac", "max_power_kw": Decimal("22.0"), "max_current_a": 32}


def _station(site, identity, evses=1):
    cp = ChargePointFactory(site=site, identity=identity)
    for evse in range(1, evses + 1):
        ConnectorFactory(charge_point=cp, evse_id=evse, **AC)
    return cp


def _based(site, soc=40.0, department=None, tag=True):
    vehicle = VehicleFactory(department=department or site.department, soc_percent=soc, odometer_km=1000.0)
    VehicleDepot.objects.create(vehicle=vehicle, site=site)
    if tag:
        IdToken.objects.create(token=f"RFID-{vehicle.fleet_number}", department=vehicle.department, vehicle=vehicle)
    return vehicle


@pytest.fixture
def depots():
    """Org A with two depots (north, south) and team A1 below it; org B with its own depot next door."""
    a = DepartmentFactory(name="Org A")
    b = DepartmentFactory(name="Org B")

    class Depots:
        pass

    d = Depots()
    d.a, d.b = a, b
    d.north = SiteFactory(department=a, name="North", latitude=52.58, longitude=13.33)
    d.south = SiteFactory(department=a, name="South", latitude=52.44, longitude=13.42)
    d.other = SiteFactory(department=b, name="B depot", latitude=52.58, longitude=13.34)
    d.north_cp = _station(d.north, "SIM-N-01", evses=2)
    d.south_cp = _station(d.south, "SIM-S-01")
    d.other_cp = _station(d.other, "SIM-B-01")
    d.fleet = DepotFleet([d.north.pk, d.south.pk, d.other.pk])
    return d


def _trip(vehicle, site, departs, hours=2, km=60):
    return trip_create(
        actor=None, now=departs - timedelta(hours=1), vehicle=vehicle, depot=site, departs_at=departs,
        returns_at=departs + timedelta(hours=hours), distance_km=km,
    )  # fmt: skip


def test_a_station_only_plugs_in_vehicles_based_at_its_own_depot(depots):
    own = _based(depots.north, soc=50)
    _based(depots.south, soc=10)  # same department, another depot
    _based(depots.other, soc=5)  # another department, next door
    first = depots.fleet.choose_vehicle("SIM-N-01", 1)
    assert first.tag == f"RFID-{own.fleet_number}"
    assert first.soc_percent == 50 and first.capacity_kwh == pytest.approx(64.0)
    assert depots.fleet.choose_vehicle("SIM-N-01", 2) is None  # the only one of its depot is taken already
    other = depots.fleet.choose_vehicle("SIM-B-01", 1)
    assert other.tag.startswith("RFID-") and IdToken.objects.get(token=other.tag).vehicle.department == depots.b


def test_a_vehicle_of_another_department_based_at_the_site_by_mistake_is_not_plugged_in(depots):
    stranger = _based(depots.other, soc=5)
    VehicleDepot.objects.filter(vehicle=stranger).update(site=depots.north)  # bypassing the model's check
    assert depots.fleet.choose_vehicle("SIM-N-01", 1) is None


def test_a_vehicle_charging_elsewhere_is_never_taken(depots):
    busy = _based(depots.north, soc=10)
    idle = _based(depots.north, soc=60)
    elsewhere = ConnectorFactory(charge_point=ChargePointFactory(site=depots.north), evse_id=1, **AC)
    ChargingSession.objects.create(  # a user has just started it at another charger
        charge_point=elsewhere.charge_point, connector=elsewhere, transaction_id="7", vehicle=busy,
        started_at=timezone.now(), status=ChargingSession.Status.CHARGING,
    )  # fmt: skip
    assert depots.fleet.choose_vehicle("SIM-N-01", 1).tag == f"RFID-{idle.fleet_number}"


def test_the_soonest_departure_plugs_in_first_and_full_spare_or_leaving_vehicles_stay_unplugged(depots):
    now = timezone.now()
    later = _based(depots.north, soc=20)
    sooner = _based(depots.north, soc=60)
    _based(depots.north, soc=95)  # full: nothing to charge
    _based(depots.north, soc=10, tag=False)  # no tag to start with
    workshop = _based(depots.north, soc=10)
    Vehicle.objects.filter(pk=workshop.pk).update(status=Vehicle.Status.MAINTENANCE)
    leaving = _based(depots.north, soc=5)
    _trip(later, depots.north, now + timedelta(hours=12))
    _trip(sooner, depots.north, now + timedelta(hours=6))
    _trip(leaving, depots.north, now + timedelta(minutes=5))
    tags = [depots.fleet.choose_vehicle("SIM-N-01", evse, now=now) for evse in (1, 2)]
    assert [t.tag for t in tags] == [f"RFID-{sooner.fleet_number}", f"RFID-{later.fleet_number}"]
    assert depots.fleet.choose_vehicle("SIM-S-01", 1, now=now) is None


def test_a_departure_unplugs_the_vehicle_and_puts_the_trip_under_way(depots):
    vehicle = _based(depots.north, soc=70)
    departs = timezone.now() - timedelta(hours=4)  # the fake clock stays in the past: telemetry is not future
    trip = _trip(vehicle, depots.north, departs)
    session = transaction_start(
        charge_point_id=depots.north_cp.pk, evse_id=1, connector_id=1, id_tag=f"RFID-{vehicle.fleet_number}",
        meter_start_wh=1000, timestamp=departs - timedelta(hours=3),
    )  # fmt: skip
    assert session.vehicle == vehicle
    clock = departs + timedelta(seconds=30)
    assert depots.fleet.departures_due(clock - timedelta(minutes=1)) == []  # not yet

    class Pool:  # the stations: the one charging it ends the transaction, as EVDisconnected
        unplugged = []

        async def unplug(self, tag):
            self.unplugged.append(tag)
            await __import__("asgiref.sync").sync.sync_to_async(transaction_stop)(
                charge_point_id=depots.north_cp.pk, transaction_id=session.transaction_id, meter_stop_wh=9000,
                timestamp=clock, reason="EVDisconnected",
            )  # fmt: skip
            return True

    pool = Pool()
    report = async_to_sync(fleet_tick)(depots.fleet, pool, clock)
    assert pool.unplugged == [f"RFID-{vehicle.fleet_number}"]
    assert report.departed == [trip.pk]
    trip.refresh_from_db()
    session.refresh_from_db()
    assert trip.status == Trip.Status.UNDER_WAY and trip.departed_at == clock
    assert session.ended_at == clock and session.stop_reason == "EVDisconnected"
    assert depots.fleet.choose_vehicle("SIM-N-01", 2, now=clock) is None  # on the road: not plugged in


def test_on_the_road_the_vehicle_moves_and_its_soc_falls_until_it_is_back_and_plugs_in_at_its_depot(depots):
    vehicle = _based(depots.north, soc=80)
    departs = timezone.now() - timedelta(hours=5)
    trip = _trip(vehicle, depots.north, departs, hours=4, km=100)
    energy = trip.driving_kwh + trip.climate_kwh
    capacity = trip_need.capacity_kwh(vehicle)
    assert depots.fleet.step(departs).departed == [trip.pk]

    halfway = depots.fleet.step(departs + timedelta(hours=2))
    assert halfway.moving == 1
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == pytest.approx(80 - energy / 2 / capacity * 100, abs=0.05)
    assert (vehicle.last_latitude, vehicle.last_longitude) != (depots.north.latitude, depots.north.longitude)
    assert vehicle.odometer_km == pytest.approx(1050, abs=0.1)

    back = depots.fleet.step(departs + timedelta(hours=4))
    assert back.returned == [trip.pk]
    trip.refresh_from_db()
    vehicle.refresh_from_db()
    assert trip.status == Trip.Status.COMPLETED and trip.returned_at == departs + timedelta(hours=4)
    assert vehicle.soc_percent == pytest.approx(80 - energy / capacity * 100, abs=0.05)
    assert (vehicle.last_latitude, vehicle.last_longitude) == (depots.north.latitude, depots.north.longitude)
    assert TelemetryPoint.objects.filter(vehicle=vehicle).count() == 3
    plug = depots.fleet.choose_vehicle("SIM-N-01", 1, now=departs + timedelta(hours=4, minutes=1))
    assert plug.tag == f"RFID-{vehicle.fleet_number}" and plug.soc_percent == pytest.approx(vehicle.soc_percent)
    assert depots.fleet.choose_vehicle("SIM-S-01", 1) is None  # not at the other depot


def test_the_fleet_writes_telemetry_as_a_login_of_the_vehicles_own_department_only(depots):
    ours, theirs = _based(depots.north, soc=80), _based(depots.other, soc=80)
    departs = timezone.now() - timedelta(hours=3)
    _trip(ours, depots.north, departs)
    _trip(theirs, depots.other, departs)
    depots.fleet.step(departs)
    actors = {p.vehicle_id: p for p in TelemetryPoint.objects.all()}
    assert set(actors) == {ours.pk, theirs.pk}
    logins = {u.department_id for u in depots.fleet._actors.values()}
    assert logins == {depots.a.pk, depots.b.pk}


def test_a_trip_missed_while_the_fleet_was_not_running_is_cancelled_not_made_up(depots):
    vehicle = _based(depots.north, soc=80)
    departs = timezone.now() - timedelta(hours=6)
    trip = _trip(vehicle, depots.north, departs)
    assert depots.fleet.step(departs + timedelta(hours=3)).cancelled == [trip.pk]
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == 80


def test_a_few_stations_are_spread_over_every_depot(depots):
    extra = _station(depots.north, "SIM-N-02")
    stations = [depots.north_cp, extra, depots.south_cp, depots.other_cp]
    chosen = spread_over_sites(stations, 3)
    assert {cp.site_id for cp in chosen} == {depots.north.pk, depots.south.pk, depots.other.pk}
