"""Readiness for the next trip: each status and each reason, scarce power at a depot (the at-risk vehicles named, the
critical one served), the options offered and the alert through the notifications, told once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from charging.services import readiness, smart
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from notifications.models import Event, Notification
from operations import services as operations
from operations.models import VehicleDepot
from pricing.tests.factories import DAY_NIGHT, TariffFactory, TariffVersionFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 17, 5, tzinfo=UTC)  # 18:05 in Berlin
MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
# a 64 kWh van at 240 Wh/km with the default 10 % reserve needs 10 % + 0.375 % per km


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a, name="North depot", grid_limit_kw=D("7"), smart_charging=True,
                       time_zone="Europe/Berlin")  # fmt: skip
    TariffVersionFactory(tariff=TariffFactory(department=org.a, site=site), elements=DAY_NIGHT)
    cp = ChargePointFactory(site=site, identity="NORTH-1", protocol="ocpp1.6", is_connected=True)
    ac = dict(connector_type="type2", current_type="ac", max_power_kw=D("11"), max_current_a=16, status="Available")
    connectors = [ConnectorFactory(charge_point=cp, evse_id=i, **ac) for i in (1, 2, 3, 4)]
    model = VehicleModelFactory(name="Depot van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    return {"site": site, "connectors": connectors, "model": model, "org": org}


def _van(depot, label, soc, **extra):
    vehicle = VehicleFactory(department=depot["org"].a, fleet_number=label, vehicle_model=depot["model"],
                             soc_percent=soc, **extra)  # fmt: skip
    VehicleDepot.objects.create(vehicle=vehicle, site=depot["site"])
    return vehicle


def _trip(depot, vehicle, km, at=MORNING, hours=8):
    return operations.trip_create(actor=None, now=NOW, vehicle=vehicle, depot=depot["site"], departs_at=at,
                                  returns_at=at + timedelta(hours=hours), distance_km=km)  # fmt: skip


def _plug(depot, vehicle, n):
    return SessionFactory(connector=depot["connectors"][n], vehicle=vehicle, status="charging",
                          started_at=NOW - timedelta(minutes=10), ended_at=None, transaction_id=f"9{n}")  # fmt: skip


def _read(*vehicles):
    return readiness.fleet_readiness(vehicles, now=NOW)


def test_a_vehicle_charged_above_its_trips_need_is_ready(depot):
    van = _van(depot, "R-1", 90.0)
    trip = _trip(depot, van, 80)
    (r,) = _read(van).values()
    assert (r.status, r.required_percent, r.trip) == ("ready", trip.required_soc_percent, trip)
    assert r.where == "depot" and r.reason == ""


def test_a_vehicle_without_a_trip_has_no_readiness(depot):
    assert _read(_van(depot, "R-0", 10.0)) == {}


def test_a_plugged_in_vehicle_whose_plan_reaches_the_need_will_be_ready(depot):
    van = _van(depot, "R-2", 20.0)
    _trip(depot, van, 120)  # 55 %
    session = _plug(depot, van, 0)
    smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    (r,) = _read(van).values()
    assert r.status == "will_be_ready" and r.where == "charger" and r.session == session
    assert r.expected_percent == pytest.approx(r.required_percent, abs=0.5)


def test_without_a_smart_plan_the_session_charges_at_its_full_rate(depot):
    depot["site"].smart_charging = False
    depot["site"].save()
    van = _van(depot, "R-3", 20.0)
    _trip(depot, van, 120, at=NOW + timedelta(hours=2))  # 55 %: 35.2 % more, 2 h at 11 kW = 22 kWh = 34.4 %
    _plug(depot, van, 0)
    (r,) = _read(van).values()
    assert r.status == "at_risk" and r.reason == "battery_limit" and r.expected_percent == pytest.approx(54.4)
    assert "at 11 kW it reaches 54 %" in r.reason_text


def test_scarce_power_puts_the_normal_vehicles_at_risk_and_serves_the_critical_one(depot, settings):
    settings.READINESS_ALERT_HOURS = 24
    # three vans at 10 % each need 60 % (38.4 kWh) by 07:00: 115 kWh through a 7 kW site in 13 h (91 kWh)
    vans = [_van(depot, f"S-{n}", 10.0, priority_class="critical" if n == 1 else "normal") for n in (1, 2, 3)]
    for n, van in enumerate(vans):
        _trip(depot, van, 133)
        _plug(depot, van, n)
    smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    states = _read(*vans)
    assert states[vans[0].pk].status == "will_be_ready"  # the critical one first
    at_risk = [r for r in states.values() if r.status == "at_risk"]
    assert at_risk and all(r.reason == "site_limit" and "short by departure" in r.detail for r in at_risk)
    assert readiness.readiness_alerts(now=NOW) == len(at_risk)
    for r in at_risk:
        note = Notification.objects.filter(event=Event.VEHICLE_NOT_READY, data__vehicle=r.vehicle.pk).first()
        assert note.title == f"{r.vehicle.fleet_number} at risk for its Wed 07:00 CET trip"
        assert "the site's power limit" in note.body and "raise its priority to critical" in note.body
    assert not Notification.objects.filter(data__vehicle=vans[0].pk, event=Event.VEHICLE_NOT_READY).exists()


def test_a_vehicle_at_the_depot_not_plugged_in_is_offered_a_free_charger_and_a_ready_vehicle(depot):
    van = _van(depot, "N-1", 15.0)
    spare = _van(depot, "N-2", 95.0)
    _trip(depot, van, 160)
    (r,) = _read(van).values()
    assert (r.status, r.reason, r.where) == ("not_plugged_in", "not_plugged_in", "depot")
    options = readiness.options_for(r)
    assert options[0].startswith("plug it in at connector 1 of NORTH-1") and "send N-2 instead" in options[-1]
    _trip(depot, spare, 10, at=MORNING + timedelta(hours=1), hours=1)  # busy at that time: no longer offered
    assert not any("N-2" in o for o in readiness.options_for(r))


def test_a_vehicle_at_a_depot_with_every_charger_taken_has_no_charger_free(depot):
    van = _van(depot, "N-3", 15.0)
    _trip(depot, van, 160)
    for n in range(4):
        _plug(depot, _van(depot, f"B-{n}", 50.0), n)
    (r,) = _read(van).values()
    assert (r.status, r.reason) == ("not_plugged_in", "no_charger_free")


def test_a_vehicle_on_the_road_back_too_close_to_its_next_departure_arrives_too_late(depot):
    van = _van(depot, "D-1", 30.0)
    now_trip = operations.trip_create(actor=None, now=NOW - timedelta(hours=2), vehicle=van, depot=depot["site"],
                                      departs_at=NOW - timedelta(hours=1), returns_at=MORNING - timedelta(hours=2),
                                      distance_km=40)  # fmt: skip
    operations.trip_depart(actor=None, trip=now_trip, at=NOW - timedelta(hours=1))
    _trip(depot, van, 160)  # 70 %: 40 % of 64 kWh at 11 kW is 2.3 h, but it is back 2 h before
    (r,) = _read(van).values()
    assert (r.status, r.reason, r.where) == ("not_plugged_in", "arrives_too_late", "road")
    assert "back at 05:00 CET" in r.detail
    later = _van(depot, "D-2", 30.0)
    back_early = operations.trip_create(actor=None, now=NOW - timedelta(hours=2), vehicle=later, depot=depot["site"],
                                        departs_at=NOW - timedelta(hours=1), returns_at=NOW + timedelta(hours=1),
                                        distance_km=40)  # fmt: skip
    operations.trip_depart(actor=None, trip=back_early, at=NOW - timedelta(hours=1))
    _trip(depot, later, 160)
    (r,) = _read(later).values()
    assert (r.status, r.reason, r.where) == ("not_plugged_in", "not_plugged_in", "road")


def test_the_alert_is_told_once_per_trip_status_and_reason_and_only_within_the_alert_hours(depot, settings):
    settings.READINESS_ALERT_HOURS = 12
    van = _van(depot, "A-1", 15.0)
    _trip(depot, van, 160)  # leaves in 13 h: not yet
    assert readiness.readiness_alerts(now=NOW) == 0
    later = NOW + timedelta(hours=2)
    assert readiness.readiness_alerts(now=later) == 1
    assert readiness.readiness_alerts(now=later + timedelta(minutes=5)) == 0  # folded: no repeat every 5 minutes
    note = Notification.objects.get(event=Event.VEHICLE_NOT_READY, user=depot["org"].fleet_manager_a)
    assert note.title == "A-1 not plugged in for its Wed 07:00 CET trip"
    assert "Why: not plugged in." in note.body and "plug it in at connector 1 of NORTH-1" in note.body
