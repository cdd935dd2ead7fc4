"""CSV import of trips and duty schedules: every row's errors named by row and column; nothing half-stored."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import ActivityLog
from fleet.tests.factories import VehicleFactory
from operations import imports, services
from operations.models import DutySchedule, Route, Trip
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(org):
    class W:
        pass

    w = W()
    w.van = VehicleFactory(department=org.a, fleet_number="WB-001")
    w.other_van = VehicleFactory(department=org.a, fleet_number="WB-002")
    w.theirs = VehicleFactory(department=org.b, fleet_number="NW-001")
    w.depot = SiteFactory(department=org.a, name="Westbrook Depot", time_zone="Europe/Berlin")
    w.their_depot = SiteFactory(department=org.b, name="Northwick Depot")
    w.route = Route.objects.create(department=org.a, name="Ring North", distance_km=80, road_mix="urban")
    w.user = org.fleet_manager_a
    w.day = (timezone.now() + timedelta(days=3)).astimezone(BERLIN).date()
    return w


def _csv(*lines):
    return "\n".join(lines) + "\n"


def _trips(world, text, dry_run=False):
    return imports.import_trips(actor=world.user, user=world.user, csv_text=text, dry_run=dry_run)


def test_a_clean_file_is_stored_with_local_times_in_the_depot_zone(world):
    d = world.day.isoformat()
    result = _trips(world, _csv(
        "vehicle,depot,departs_at,returns_at,distance_km,route,road_mix,notes",
        f"WB-001,Westbrook Depot,{d} 06:30,{d} 15:00,140,,mixed,Early round",
        f"{world.other_van.vin},{world.depot.pk},{d} 07:00,{d} 12:00,,Ring North,,",
    ))  # fmt: skip
    assert result.ok, result.errors
    assert result.rows == 2 and result.stored == 2
    first, second = Trip.objects.order_by("departs_at")
    assert first.departs_at.astimezone(BERLIN).strftime("%H:%M") == "06:30"
    assert first.required_soc_percent > 0 and first.notes == "Early round"
    assert second.route == world.route and second.road_mix == "urban"  # the route's mix when none is given


def test_a_dry_run_checks_everything_and_stores_nothing(world):
    d = world.day.isoformat()
    result = _trips(world, _csv("vehicle,depot,departs_at,returns_at,distance_km",
                                f"WB-001,Westbrook Depot,{d} 06:30,{d} 15:00,140"), dry_run=True)  # fmt: skip
    assert result.ok and len(result.created) == 1 and result.stored == 0
    assert Trip.objects.count() == 0
    # the audit entries were rolled back with the rows
    assert not ActivityLog.objects.filter(content_type__model="trip").exists()


def test_every_row_error_is_listed_and_nothing_is_half_imported(world):
    d = world.day.isoformat()
    past = (timezone.now() - timedelta(days=1)).astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    result = _trips(world, _csv(
        "vehicle,depot,departs_at,returns_at,distance_km,route",
        f"WB-001,Westbrook Depot,{d} 06:30,{d} 15:00,140,",  # 2: fine
        f"WB-001,Westbrook Depot,{d} 08:00,{d} 10:00,20,",  # 3: overlaps row 2
        f"NW-001,Westbrook Depot,{d} 06:30,{d} 15:00,140,",  # 4: another department's vehicle
        f"WB-002,Northwick Depot,{d} 06:30,{d} 15:00,140,",  # 5: another department's depot
        f"WB-002,Westbrook Depot,{past},{d} 15:00,140,",  # 6: in the past
        f"WB-002,Westbrook Depot,{d} 16:00,{d} 23:00,1900,",  # 7: beyond a full battery
        f"WB-002,Westbrook Depot,tomorrow,{d} 15:00,12;5,",  # 8: bad time and number
        f"WB-002,Westbrook Depot,{d} 06:30,{d} 15:00,,",  # 9: no distance nor route
        f"WB-002,Westbrook Depot,{d} 06:30,{d} 15:00,,Nowhere",  # 10: unknown route
    ))  # fmt: skip
    assert Trip.objects.count() == 0
    by_row = {(e.row, e.field): e.message for e in result.errors}
    assert "row 2" in by_row[(3, "departs_at")]
    assert "NW-001" in by_row[(4, "vehicle")]
    assert "Northwick Depot" in by_row[(5, "depot")]
    assert "past" in by_row[(6, "departs_at")]
    assert "full battery" in by_row[(7, "distance_km")]
    assert "tomorrow" in by_row[(8, "departs_at")] and "not a number" in by_row[(8, "distance_km")]
    assert "route" in by_row[(9, "distance_km")]
    assert "Nowhere" in by_row[(10, "route")]
    assert 2 not in {e.row for e in result.errors}
    assert result.rows == 9


def test_an_overlap_with_an_existing_trip_names_it(world):
    d = world.day
    existing = services.trip_create(
        actor=None, vehicle=world.van, depot=world.depot, distance_km=50,
        departs_at=services.local_datetime(d, __import__("datetime").time(9), BERLIN),
        returns_at=services.local_datetime(d, __import__("datetime").time(11), BERLIN),
    )  # fmt: skip
    result = _trips(world, _csv("vehicle,depot,departs_at,returns_at,distance_km",
                                f"WB-001,Westbrook Depot,{d} 06:30,{d} 15:00,140"))  # fmt: skip
    assert f"trip {existing.pk}" in result.errors[0].message and result.errors[0].row == 2


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("vehicle,depot,leaves,returns_at,distance_km", "leaves"),
        ("vehicle,depot,returns_at,distance_km", "departs_at"),
    ],
)
def test_a_wrong_or_missing_column_is_one_error_naming_it_and_the_header(world, header, column):
    result = _trips(world, _csv(header, "WB-001,Westbrook Depot,2030-01-01 06:00,2030-01-01 08:00,10"))
    assert [(e.row, e.field) for e in result.errors] == [(1, column)]
    assert ",".join(imports.TRIP_COLUMNS) in result.errors[0].message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"vehicle,depot,departs_at,returns_at\n", "no rows"),
        ("vehicle,depot,departs_at,returns_at\nW\u00c9-1,x,y,z\n".encode("latin-1"), "not UTF-8"),
        (b"x" * (5 * 1024 * 1024 + 1), "5 MB"),
    ],
)
def test_bad_files_get_one_clear_error(world, data, words):
    result = _trips(world, data)
    assert len(result.errors) == 1 and words in result.errors[0].message
    assert Trip.objects.count() == 0


def test_a_semicolon_file_with_a_byte_order_mark_is_read(world):
    d = world.day.isoformat()
    text = "\ufeffVehicle;Depot;Departs_at;Returns_at;Distance_km\n"
    text += f"WB-001;Westbrook Depot;{d} 06:30;{d} 15:00;140\n"
    assert _trips(world, text.encode("utf-8")).ok


def test_duty_schedules_are_imported_with_their_trips_or_not_at_all(world):
    header = "name,vehicle,depot,weekdays,departs_local,returns_local,distance_km,route,valid_from,active"
    start = world.day.isoformat()
    result = imports.import_schedules(actor=world.user, user=world.user, dry_run=False, csv_text=_csv(
        header,
        f"Early,WB-001,Westbrook Depot,\"mon,tue,wed,thu,fri\",06:30,15:00,140,,{start},true",
        f"Ring,WB-002,Westbrook Depot,sat,07:00,12:00,,Ring North,{start},yes",
    ))  # fmt: skip
    assert result.ok, result.errors
    assert DutySchedule.objects.count() == 2 and Trip.objects.filter(schedule__name="Early").exists()
    bad = imports.import_schedules(actor=world.user, user=world.user, dry_run=False, csv_text=_csv(
        header,
        f"Late,WB-001,Westbrook Depot,\"mon,tue,wed,thu,fri\",07:00,12:00,40,,{start},true",  # overlaps Early
        f"Odd,WB-002,Westbrook Depot,mon,25:00,12:00,40,,{start},maybe",
        f"Fine,WB-002,Westbrook Depot,sun,07:00,12:00,40,,{start},true",
    ))  # fmt: skip
    by_row = {(e.row, e.field): e.message for e in bad.errors}
    assert "cannot be booked" in by_row[(2, "departs_local")]
    assert "25:00" in by_row[(3, "departs_local")] and "true or false" in by_row[(3, "active")]
    assert 4 not in {e.row for e in bad.errors}
    assert DutySchedule.objects.count() == 2  # nothing of the second file


def test_two_schedules_of_a_file_that_collide_name_the_other_row(world):
    header = "name,vehicle,depot,weekdays,departs_local,returns_local,distance_km,valid_from"
    start = world.day.isoformat()
    result = imports.import_schedules(actor=world.user, user=world.user, dry_run=True, csv_text=_csv(
        header,
        f"Early,WB-001,Westbrook Depot,mon,06:30,15:00,140,{start}",
        f"Late,WB-001,Westbrook Depot,mon,07:00,12:00,40,{start}",
    ))  # fmt: skip
    assert [(e.row, e.field) for e in result.errors] == [(3, "departs_local")]
    assert "the schedule in row 2" in result.errors[0].message
