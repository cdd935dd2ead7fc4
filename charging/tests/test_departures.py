"""Departures drive charging: a plugged-in vehicle's next planned trip sets its plan's departure and target, a
reservation without a departure takes its vehicle's next trip's, and a trip created, moved or cancelled re-plans the
site where its vehicle is plugged in."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from charging.models import ChargingPlan, Reservation
from charging.services import smart
from charging.services.reservation_rules import queue_order
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations import services as operations
from pricing.tests.factories import DAY_NIGHT, TariffFactory, TariffVersionFactory
from simulation.models import WeatherHour
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 17, 5, tzinfo=UTC)  # 18:05 in Berlin
TOMORROW_0700 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin


@pytest.fixture
def night(org):
    """A depot under a tight 7 kW grid limit tonight: two vans plugged in, neither with a departure or target."""
    site = SiteFactory(department=org.a, name="Tight depot", grid_limit_kw=D("7"), smart_charging=True,
                       time_zone="Europe/Berlin")  # fmt: skip
    TariffVersionFactory(tariff=TariffFactory(department=org.a, site=site), elements=DAY_NIGHT)
    cp = ChargePointFactory(site=site, identity="TIGHT-1", protocol="ocpp1.6", is_connected=True)
    ac = dict(connector_type="type2", current_type="ac", max_power_kw=D("11"), max_current_a=16)
    c1, c2 = (ConnectorFactory(charge_point=cp, evse_id=i, **ac) for i in (1, 2))
    model = VehicleModelFactory(name="Depot van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    v1 = VehicleFactory(department=org.a, fleet_number="T-1", vehicle_model=model, soc_percent=10.0)
    v2 = VehicleFactory(department=org.a, fleet_number="T-2", vehicle_model=model, soc_percent=20.0)
    s1 = SessionFactory(connector=c1, vehicle=v1, status="charging", started_at=NOW - timedelta(minutes=30),
                        ended_at=None, transaction_id="701")  # fmt: skip
    s2 = SessionFactory(connector=c2, vehicle=v2, status="charging", started_at=NOW - timedelta(minutes=30),
                        ended_at=None, transaction_id="702")  # fmt: skip
    return {"site": site, "v1": v1, "v2": v2, "s1": s1, "s2": s2, "c1": c1}


def _row(plan, label):
    return next(v for v in plan.explanation["vehicles"] if v["label"] == label)


def _kwh_before(plan, key, interval):
    return sum(plan.schedule[key][:interval]) * 0.25


def test_a_trip_added_for_tomorrow_morning_changes_tonights_plan(night):
    key = f"session-{night['s1'].pk}"
    departs = (TOMORROW_0700 - smart.horizon_start(NOW)) // timedelta(minutes=15)  # interval of 07:00
    before = smart.plan_site(site=night["site"], trigger="manual", now=NOW, apply=False)
    row = _row(before, "T-1")
    assert row["departure_interval"] == 96 and "no departure given: planned to the end of the horizon" in row["reasons"]
    assert row["target_percent"] == 80.0  # the daily cap, whenever in the next 24 hours
    assert _kwh_before(before, key, departs) <= 0.70 * 64 + 0.01

    # a forecast of 0 °C at the departure: the trip's need (the simulation's model) does not follow the season
    hour = TOMORROW_0700.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    WeatherHour.objects.create(site=night["site"], hour=hour, temperature_c=0.0, precipitation_mm=0, snowfall_cm=0,
                               wind_speed_ms=0, wind_direction_deg=0, source="test", fetched_at=NOW)  # fmt: skip
    trip = operations.trip_create(actor=None, now=NOW, vehicle=night["v1"], depot=night["site"],
                                  departs_at=TOMORROW_0700, returns_at=TOMORROW_0700 + timedelta(hours=9),
                                  distance_km=170)  # fmt: skip
    required = trip.required_soc_percent
    assert 80 < required < 100  # more than the daily cap: only the trip makes the plan charge to it
    after = smart.plan_site(site=night["site"], trigger="manual", now=NOW, apply=False)
    row = _row(after, "T-1")
    assert row["departure_interval"] == departs and row["trip"] == trip.pk
    assert row["target_percent"] == pytest.approx(required)
    assert f"next trip at 07:00 (local), needs {required:.0f} %" in row["reasons"]
    needed = (required - 10.0) / 100 * 64
    assert _kwh_before(after, key, departs) == pytest.approx(needed, abs=0.05)  # all of it before 07:00
    assert _kwh_before(after, key, departs) > _kwh_before(before, key, departs) + 5
    assert row["expected_soc_at_departure_percent"] == pytest.approx(required, abs=0.1)
    assert max(sum(s[t] for s in after.schedule.values()) for t in range(96)) <= 7.0 + 1e-6  # the site limit held
    # the other van, without a trip, still has the whole horizon
    assert _row(after, "T-2")["departure_interval"] == 96


def test_a_sessions_own_departure_and_target_stand_over_the_trip(night):
    night["s1"].departure_at, night["s1"].target_soc_percent = NOW + timedelta(hours=5), 60.0
    night["s1"].save()
    operations.trip_create(actor=None, now=NOW, vehicle=night["v1"], depot=night["site"], departs_at=TOMORROW_0700,
                           returns_at=TOMORROW_0700 + timedelta(hours=9), distance_km=160)  # fmt: skip
    row = _row(smart.plan_site(site=night["site"], trigger="manual", now=NOW, apply=False), "T-1")
    assert row["departure_interval"] == 20 and row["target_percent"] == 60.0 and row["trip"] is None


def test_a_trip_created_moved_or_cancelled_replans_the_site_where_its_vehicle_is_plugged_in(
    night, django_capture_on_commit_callbacks
):
    soon = timezone.now() + timedelta(hours=8)
    with django_capture_on_commit_callbacks(execute=True):
        trip = operations.trip_create(actor=None, vehicle=night["v1"], depot=night["site"], departs_at=soon,
                                      returns_at=soon + timedelta(hours=4), distance_km=80)  # fmt: skip
    plan = ChargingPlan.objects.filter(site=night["site"], trigger=ChargingPlan.Trigger.TRIP).get()
    assert _row(plan, "T-1")["trip"] == trip.pk
    with django_capture_on_commit_callbacks(execute=True):
        operations.trip_update(actor=None, trip=trip, departs_at=soon + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        operations.trip_cancel(actor=None, trip=trip)
    plans = ChargingPlan.objects.filter(site=night["site"], trigger=ChargingPlan.Trigger.TRIP)
    assert plans.count() == 3 and _row(plans.first(), "T-1")["trip"] is None  # cancelled: no departure again
    # a vehicle plugged in nowhere re-plans no site
    other = VehicleFactory(department=night["v1"].department, vehicle_model=night["v1"].vehicle_model)
    with django_capture_on_commit_callbacks(execute=True):
        operations.trip_create(actor=None, vehicle=other, depot=night["site"], departs_at=soon,
                               returns_at=soon + timedelta(hours=4), distance_km=80)  # fmt: skip
    assert plans.count() == 3


def test_the_reservation_queue_orders_a_booking_without_departure_by_its_vehicles_next_trip(night, org):
    start = NOW + timedelta(hours=1)
    late, early = night["v1"], night["v2"]
    for vehicle in (late, early):
        Reservation.objects.create(vehicle=vehicle, site=night["site"], status=Reservation.Status.QUEUED,
                                   starts_at=start, ends_at=start + timedelta(hours=20))  # fmt: skip
    leaves = start + timedelta(hours=6)
    operations.trip_create(actor=None, now=NOW, vehicle=early, depot=night["site"], departs_at=leaves,
                           returns_at=leaves + timedelta(hours=3), distance_km=50)  # fmt: skip
    ordered = [r.vehicle_id for r in queue_order(Reservation.objects.filter(site=night["site"]))]
    assert ordered == [early.pk, late.pk]  # its trip's departure (7 h) before the other's booking end (21 h)
