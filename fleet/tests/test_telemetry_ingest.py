from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from fleet.models import TelemetryPoint, Vehicle
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry/bulk/"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def vehicle(org):
    return VehicleFactory(department=org.a, vin="WVWZZZE1ZPP000301")


@pytest.fixture
def post(org, api):
    client = api(org.integrator_a)

    def send(points):
        return client.post(URL, {"points": points}, format="json")

    return send


def test_valid_points_are_stored_and_the_vehicle_follows_the_newest(post, vehicle):
    now = timezone.now().replace(microsecond=0)
    points = [
        {
            "vehicle": vehicle.pk,
            "recorded_at": iso(now - timedelta(minutes=10)),
            "soc_percent": 60,
            "odometer_km": 100.0,
        },
        {
            "vin": vehicle.vin,
            "recorded_at": iso(now),
            "soc_percent": 58.5,
            "odometer_km": 104.2,
            "latitude": 52.5,
            "longitude": 13.4,
        },
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=5)), "soc_percent": 59, "power_kw": -30.5},
    ]
    response = post(points)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "received": 3,
        "accepted": 3,
        "duplicates": 0,
        "rejected": 0,
        "vehicles_updated": 1,
        "errors": [],
    }
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == 58.5
    assert vehicle.odometer_km == 104.2
    assert (vehicle.last_latitude, vehicle.last_longitude) == (52.5, 13.4)
    assert vehicle.last_telemetry_at == now


def test_a_point_delivered_twice_is_stored_once_and_counted_as_duplicate(post, vehicle):
    point = {"vehicle": vehicle.pk, "recorded_at": iso(timezone.now()), "soc_percent": 70}
    first = post([point]).json()
    second = post([point, dict(point)]).json()
    assert first["accepted"] == 1
    assert second["accepted"] == 0 and second["duplicates"] == 2
    assert TelemetryPoint.objects.filter(vehicle=vehicle).count() == 1


def test_the_same_instant_in_another_offset_is_the_same_point(post, vehicle):
    moment = timezone.now().replace(microsecond=0)
    berlin = moment.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    report = post(
        [
            {"vehicle": vehicle.pk, "recorded_at": iso(moment), "soc_percent": 70},
            {"vehicle": vehicle.pk, "recorded_at": berlin, "soc_percent": 70},
        ]
    ).json()
    assert (report["accepted"], report["duplicates"]) == (1, 1)


def test_invalid_points_are_reported_by_index_field_and_reason_and_valid_ones_kept(post, vehicle):
    now = timezone.now()
    points = [
        {"vehicle": vehicle.pk, "recorded_at": iso(now), "soc_percent": 55},
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=1)), "soc_percent": 104},
        {"vehicle": vehicle.pk, "recorded_at": "yesterday", "soc_percent": 50},
        {"vehicle": vehicle.pk, "recorded_at": "2026-01-01T10:00:00", "soc_percent": 50},
        {"vehicle": vehicle.pk, "recorded_at": iso(now + timedelta(hours=1)), "soc_percent": 50},
        {"vehicle": 999999, "recorded_at": iso(now), "soc_percent": 50},
        {"recorded_at": iso(now), "soc_percent": 50},
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=2)), "soc": 50},
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=3)), "speed_kmh": "fast"},
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=4))},
        "not an object",
    ]
    response = post(points)
    assert response.status_code == 200
    report = response.json()
    assert (report["received"], report["accepted"], report["rejected"]) == (11, 1, 10)
    reasons = {(e["index"], e["field"], e["code"]) for e in report["errors"]}
    assert {
        (1, "soc_percent", "out_of_range"),
        (2, "recorded_at", "invalid_datetime"),
        (3, "recorded_at", "naive_datetime"),
        (4, "recorded_at", "in_future"),
        (5, "vehicle", "unknown_vehicle"),
        (6, "vehicle", "required"),
        (7, "soc", "unknown_field"),
        (8, "speed_kmh", "invalid_type"),
        (9, "non_field_errors", "no_measurement"),
        (10, "non_field_errors", "invalid_type"),
    } <= reasons
    messages = {e["index"]: e["message"] for e in report["errors"]}
    assert "between 0 and 100" in messages[1]
    assert TelemetryPoint.objects.filter(vehicle=vehicle).count() == 1


def test_an_odometer_running_backwards_beyond_the_tolerance_is_rejected(post, vehicle):
    now = timezone.now()
    post([{"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(hours=1)), "odometer_km": 5000}])
    report = post(
        [
            {
                "vehicle": vehicle.pk,
                "recorded_at": iso(now - timedelta(minutes=30)),
                "odometer_km": 4999.5,
            },  # within 1 km
            {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=20)), "odometer_km": 4900},  # backwards
            {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=10)), "odometer_km": 5010},
            {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(minutes=5)), "odometer_km": 5003},  # below batch
            {
                "vehicle": vehicle.pk,
                "recorded_at": iso(now - timedelta(hours=2)),
                "odometer_km": 6000,
            },  # late, too high
        ]
    ).json()
    assert report["accepted"] == 2
    assert sorted(e["index"] for e in report["errors"]) == [1, 3, 4]
    assert {e["code"] for e in report["errors"]} == {"odometer_backwards"}
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 5010


def test_a_late_batch_does_not_wind_the_vehicle_state_back(post, vehicle):
    now = timezone.now()
    post([{"vehicle": vehicle.pk, "recorded_at": iso(now), "soc_percent": 80}])
    post([{"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(hours=3)), "soc_percent": 20}])
    vehicle.refresh_from_db()
    assert vehicle.soc_percent == 80
    assert TelemetryPoint.objects.filter(vehicle=vehicle).count() == 2


def test_a_batch_with_no_valid_point_is_a_400_in_the_error_format(post, vehicle):
    response = post([{"vehicle": vehicle.pk, "recorded_at": iso(timezone.now()), "soc_percent": -5}])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["rejected"] == 1 and body["errors"][0]["field"] == "soc_percent"


def test_more_than_10000_points_is_413_with_the_limit_and_stores_nothing(post, vehicle):
    now = timezone.now()
    points = [
        {"vehicle": vehicle.pk, "recorded_at": iso(now - timedelta(seconds=i)), "soc_percent": 50}
        for i in range(10_001)
    ]
    response = post(points)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "10000" in response.json()["message"]
    assert not TelemetryPoint.objects.exists()


def test_exactly_10000_points_are_accepted(post, org):
    vehicles = [VehicleFactory(department=org.a) for _ in range(10)]
    start = timezone.now() - timedelta(days=2)
    points = [
        {
            "vehicle": v.pk,
            "recorded_at": iso(start + timedelta(seconds=15 * i)),
            "soc_percent": 50 + (i % 40),
            "odometer_km": i * 0.1,
        }
        for v in vehicles
        for i in range(1000)
    ]
    report = post(points).json()
    assert (report["accepted"], report["rejected"], report["vehicles_updated"]) == (10_000, 0, 10)
    assert TelemetryPoint.objects.count() == 10_000


@pytest.mark.parametrize("body", [{"points": []}, {"readings": []}, [1, 2]])
def test_a_body_without_points_is_rejected(api, org, body):
    response = api(org.integrator_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert "points" in response.json()["fields"]


def test_roles_without_add_permission_cannot_ingest(api, org, vehicle):
    response = api(org.analyst_a).post(URL, {"points": [{"vehicle": vehicle.pk}]}, format="json")
    assert response.status_code == 403


def test_a_batch_is_recorded_once_in_the_activity_log(post, vehicle):
    from accounts.models import ActivityLog

    post([{"vehicle": vehicle.pk, "recorded_at": iso(timezone.now()), "soc_percent": 50}])
    entry = ActivityLog.objects.get(content_type__model="telemetrypoint")
    assert entry.object_id == "batch" and entry.changes["accepted"] == [None, 1]


def test_ingest_runs_a_constant_number_of_queries(post, org, django_assert_max_num_queries):
    """The same statements whatever the batch size. PostgreSQL runs 9 (vehicle lookup, two binary COPYs
    into buffer tables with their CREATEs, the insert, the ordered row lock, the state update, the log
    entry); SQLite runs fewer (plain inserts and updates)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    vehicles = [VehicleFactory(department=org.a) for _ in range(20)]
    now = timezone.now()
    post([{"vehicle": vehicles[0].pk, "recorded_at": iso(now - timedelta(days=1)), "soc_percent": 50}])  # warms caches
    counts = []
    for size, offset in ((10, 200), (50, 100)):  # each batch newer than the last: both move the vehicles on
        points = [
            {"vehicle": v.pk, "recorded_at": iso(now - timedelta(minutes=offset + i)), "soc_percent": 50}
            for v in vehicles
            for i in range(size)
        ]
        with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(9):
            assert post(points).json()["accepted"] == len(points)
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert Vehicle.objects.filter(last_telemetry_at__isnull=False).count() == 20


def test_a_vin_that_contradicts_the_vehicle_id_is_rejected(post, vehicle):
    report = post(
        [{"vehicle": vehicle.pk, "vin": "WVWZZZE1ZPP999999", "recorded_at": iso(timezone.now()), "soc_percent": 5}]
    ).json()
    assert report["errors"][0]["code"] == "vehicle_mismatch"


def test_unknown_top_level_fields_are_rejected(api, org, vehicle):
    response = api(org.integrator_a).post(URL, {"points": [{"vehicle": vehicle.pk}], "vehicle": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["vehicle"][0]["code"] == "unknown_field"


def test_a_body_over_the_upload_limit_is_413_in_the_error_format(api, org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = (
        '{"points": ['
        + ",".join(['{"vehicle": 1, "recorded_at": "2026-01-01T00:00:00Z", "soc_percent": 1}'] * 20000)
        + "]}"
    )
    response = api(org.integrator_a).post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
