from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fleet.tests.factories import VehicleFactory
from operations import services
from operations.models import Trip
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vehicle():
    return VehicleFactory()


@pytest.fixture
def depot(vehicle):
    return SiteFactory(department=vehicle.department, time_zone="Europe/Berlin")


def _trip(vehicle, depot, start, hours=8, **extra):
    data = dict(vehicle=vehicle, depot=depot, departs_at=start, returns_at=start + timedelta(hours=hours))
    return services.trip_create(actor=None, **{"distance_km": 100, **data, **extra})


def test_a_trip_gets_its_need_and_the_required_soc(vehicle, depot):
    trip = _trip(vehicle, depot, timezone.now() + timedelta(hours=10))
    assert trip.department == vehicle.department
    assert trip.driving_kwh > 0 and trip.reserve_kwh > 0
    assert 0 < trip.required_soc_percent < 100


def test_overlapping_trips_of_one_vehicle_are_refused_naming_the_other(vehicle, depot):
    first = _trip(vehicle, depot, timezone.now() + timedelta(hours=10))
    with pytest.raises(ValidationError) as e:
        _trip(vehicle, depot, first.departs_at + timedelta(hours=2))
    assert f"trip {first.pk}" in str(e.value.message_dict["departs_at"])
    assert Trip.objects.count() == 1


def test_a_departure_in_the_past_is_refused(vehicle, depot):
    with pytest.raises(ValidationError) as e:
        _trip(vehicle, depot, timezone.now() - timedelta(minutes=5))
    assert "past" in e.value.message_dict["departs_at"][0]


def test_a_trip_beyond_a_full_battery_is_refused(vehicle, depot):
    with pytest.raises(ValidationError) as e:
        _trip(vehicle, depot, timezone.now() + timedelta(hours=10), distance_km=1900, hours=30)
    assert "charging stop" in e.value.message_dict["distance_km"][0]


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2027, 3, 28), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),  # 02:30 does not exist: 03:30 CEST
        (date(2027, 10, 31), datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),  # 02:30 happens twice: the first, CEST
        (date(2027, 3, 27), datetime(2027, 3, 27, 1, 30, tzinfo=UTC)),  # CET
    ],
)
def test_local_times_across_both_daylight_saving_changes(day, expected_utc):
    assert services.local_datetime(day, time(2, 30), ZoneInfo("Europe/Berlin")) == expected_utc


def test_a_duty_schedule_generates_weekday_trips_in_the_depot_zone_and_again_idempotently(vehicle, depot):
    now = datetime(2027, 3, 24, 12, tzinfo=UTC)  # a Wednesday; Sunday 28 March clocks go forward
    schedule = services.schedule_create(
        actor=None, now=now, name="Early round", department=vehicle.department, vehicle=vehicle, depot=depot,
        weekdays="mon,tue,wed,thu,fri", departs_local=time(6, 30), returns_local=time(15, 0), distance_km=140,
        valid_from=date(2027, 3, 1),
    )  # fmt: skip
    trips = list(schedule.trips.order_by("departs_at"))
    berlin = ZoneInfo("Europe/Berlin")
    assert all(t.departs_at.astimezone(berlin).time() == time(6, 30) for t in trips)
    assert {t.departs_at.astimezone(berlin).weekday() for t in trips} <= {0, 1, 2, 3, 4}
    assert trips[0].departs_at == datetime(2027, 3, 25, 5, 30, tzinfo=UTC)  # Thursday, CET
    monday = [t for t in trips if t.departs_at.date() == date(2027, 3, 29)][0]
    assert monday.departs_at == datetime(2027, 3, 29, 4, 30, tzinfo=UTC)  # CEST
    again = services.schedule_generate(schedule=schedule, now=now)
    assert again["created"] == [] and schedule.trips.count() == len(trips)
