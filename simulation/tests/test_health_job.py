"""The nightly state-of-health job: it ages each vehicle by its telemetry (or at rest), once per day, in a constant
number of queries per chunk, stores the history and the prediction, and sets the vehicle's SoH."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evfleet.jobs import task_named
from fleet.models import TelemetryPoint, Vehicle
from fleet.tests.factories import VehicleFactory
from simulation.models import HealthDay, VehicleHealth
from simulation.selectors.health import crossing
from simulation.services.health import health_backfill, health_catch_up, vehicle_health_update

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 10)


def drive(vehicle, day: date, *, soc=None, temperature_c=25.0, every_minutes: int = 60) -> None:
    """Telemetry over `day`: by default a deep daily cycle (90 % down to 20 % and back)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    steps = 24 * 60 // every_minutes
    hours = np.arange(steps) * every_minutes / 60
    soc = soc if soc is not None else 55 + 35 * np.cos(2 * np.pi * hours / 24)
    TelemetryPoint.objects.bulk_create(
        TelemetryPoint(
            vehicle=vehicle,
            recorded_at=start + timedelta(minutes=every_minutes * i),
            soc_percent=float(np.broadcast_to(soc, (steps,))[i]),
            battery_temperature_c=temperature_c,
        )
        for i in range(steps)
    )


def test_the_job_ages_a_vehicle_by_its_days_telemetry_and_sets_its_state_of_health(org):
    vehicle = VehicleFactory(department=org.a)
    drive(vehicle, DAY, temperature_c=35.0)
    result = vehicle_health_update(day=DAY)
    assert result["aged"] == 1 and result["at_rest"] == 0
    health = VehicleHealth.objects.get(vehicle=vehicle)
    assert health.integrated_through == DAY
    assert 99.0 < health.model_soh_percent < 100.0
    assert health.resistance_percent > 100.0 and health.throughput_kwh > 0
    assert health.aging_state["elapsed_days"] == pytest.approx(1.0)
    assert health.chemistry in ("nmc", "lfp") and health.pack_assumed  # "Testmake" is not in the catalogue
    day = HealthDay.objects.get(vehicle=vehicle)
    assert day.telemetry_hours == 24 and len(day.soc_profile_percent) == 24 and not day.observation_used
    vehicle.refresh_from_db()
    assert vehicle.state_of_health_percent == pytest.approx(health.soh_percent, abs=0.01)
    assert vehicle.state_of_health_percent < 100.0


def test_running_the_same_day_twice_does_not_age_twice(org):
    vehicle = VehicleFactory(department=org.a)
    drive(vehicle, DAY)
    vehicle_health_update(day=DAY)
    first = VehicleHealth.objects.get(vehicle=vehicle)
    again = vehicle_health_update(day=DAY)
    assert again["aged"] == 0 and again["skipped"] == 1
    second = VehicleHealth.objects.get(vehicle=vehicle)
    assert (second.soh_percent, second.model_soh_percent, second.aging_state) == (
        first.soh_percent,
        first.model_soh_percent,
        first.aging_state,
    )
    assert HealthDay.objects.filter(vehicle=vehicle).count() == 1


def test_a_hot_deeply_cycled_battery_ages_faster_than_a_cool_one_resting_half_full(org):
    hot, cool = VehicleFactory(department=org.a), VehicleFactory(department=org.a)
    drive(hot, DAY, temperature_c=40.0)
    drive(cool, DAY, soc=50.0, temperature_c=10.0)
    vehicle_health_update(day=DAY)
    by_vehicle = {h.vehicle_id: h for h in VehicleHealth.objects.all()}
    assert by_vehicle[hot.pk].model_soh_percent < by_vehicle[cool.pk].model_soh_percent
    assert by_vehicle[hot.pk].throughput_kwh > by_vehicle[cool.pk].throughput_kwh == 0


def test_a_day_without_telemetry_ages_at_rest_at_the_last_soc_and_the_local_climate(org):
    vehicle = VehicleFactory(department=org.a, last_latitude=52.52, last_longitude=13.40)
    drive(vehicle, DAY, soc=80.0)
    vehicle_health_update(day=DAY)
    before = VehicleHealth.objects.get(vehicle=vehicle)
    result = vehicle_health_update(day=DAY + timedelta(days=1))
    assert result["at_rest"] == 1
    after = VehicleHealth.objects.get(vehicle=vehicle)
    rest = HealthDay.objects.get(vehicle=vehicle, day=DAY + timedelta(days=1))
    assert rest.telemetry_hours == 0
    assert rest.soc_profile_percent == [80.0] * 24  # held
    assert len(set(rest.temperature_profile_c)) > 1 and max(rest.temperature_profile_c) < 35  # a June day in Berlin
    assert after.model_soh_percent < before.model_soh_percent  # calendar aging goes on
    assert after.throughput_kwh == before.throughput_kwh


def test_gaps_within_a_day_hold_the_last_reading(org):
    vehicle = VehicleFactory(department=org.a)
    start = datetime(2026, 6, 10, tzinfo=UTC)
    for hour, soc, temperature in ((2, 70, 20), (20, 30, 30)):
        moment = start + timedelta(hours=hour)
        TelemetryPoint.objects.create(
            vehicle=vehicle, recorded_at=moment, soc_percent=soc, battery_temperature_c=temperature
        )
    vehicle_health_update(day=DAY)
    day = HealthDay.objects.get(vehicle=vehicle)
    assert day.telemetry_hours == 2
    assert day.soc_profile_percent[2:20] == [70.0] * 18 and day.soc_profile_percent[20:] == [30.0] * 4
    assert day.temperature_profile_c[19] == 20.0 and day.temperature_profile_c[23] == 30.0


def test_battery_temperatures_outside_the_models_range_are_clipped_and_counted(org):
    vehicle = VehicleFactory(department=org.a)
    drive(vehicle, DAY, temperature_c=75.0)
    result = vehicle_health_update(day=DAY)
    assert result["clipped_hours"] == 24
    assert HealthDay.objects.get(vehicle=vehicle).temperature_profile_c == [60.0] * 24


def test_a_vehicle_met_for_the_first_time_starts_from_its_recorded_state_of_health(org):
    vehicle = VehicleFactory(department=org.a, state_of_health_percent=88.0)
    drive(vehicle, DAY)
    vehicle_health_update(day=DAY)
    health = VehicleHealth.objects.get(vehicle=vehicle)
    # the model continues from the recorded loss (not with a new battery's steep first day)
    assert 87.9 < health.model_soh_percent < 88.0
    assert health.soh_percent == pytest.approx(health.model_soh_percent, abs=0.01)
    assert health.variance > 5  # recorded by hand: uncertain


def test_retired_vehicles_are_not_aged(org):
    VehicleFactory(department=org.a, status=Vehicle.Status.RETIRED)
    assert vehicle_health_update(day=DAY)["aged"] == 0


def test_each_chunk_runs_the_same_number_of_queries_whatever_its_size(org):
    def queries(count: int, day: date) -> int:
        for _ in range(count):
            drive(VehicleFactory(department=org.a), day)
        with CaptureQueriesContext(connection) as captured:
            assert vehicle_health_update(day=day)["aged"] >= count
        return len(captured)

    small = queries(2, DAY)
    VehicleHealth.objects.all().delete()
    assert queries(8, DAY + timedelta(days=5)) == small


def test_the_backfill_ages_every_day_in_order_and_only_once(org):
    vehicle = VehicleFactory(department=org.a)
    today = DAY + timedelta(days=3)
    for k in range(3):
        drive(vehicle, DAY + timedelta(days=k))
    health_backfill(today=today, days=3)
    assert list(HealthDay.objects.filter(vehicle=vehicle).values_list("day", flat=True)) == [
        DAY,
        DAY + timedelta(days=1),
        DAY + timedelta(days=2),
    ]
    health = VehicleHealth.objects.get(vehicle=vehicle)
    assert health.integrated_through == DAY + timedelta(days=2)
    assert health.aging_state["elapsed_days"] == pytest.approx(3.0)
    assert health.prediction["days"]  # predicted on the last day
    health_backfill(today=today, days=3)
    assert HealthDay.objects.filter(vehicle=vehicle).count() == 3
    health_backfill(today=today, days=2, reset=True)
    assert HealthDay.objects.filter(vehicle=vehicle).count() == 2


def test_the_backfill_command_says_what_it_did_and_refuses_a_bad_number_of_days(org, capsys):
    VehicleFactory(department=org.a)
    call_command("health_backfill", days=2)
    assert '"vehicle_days": 2' in capsys.readouterr().out
    with pytest.raises(CommandError, match="--days must be from 1 to 3660"):
        call_command("health_backfill", days=0)


def test_the_nightly_job_catches_up_the_days_it_missed(org):
    vehicle = VehicleFactory(department=org.a)
    vehicle_health_update(day=DAY)
    results = health_catch_up(today=DAY + timedelta(days=4))
    assert [r["day"] for r in results] == [str(DAY + timedelta(days=k)) for k in (1, 2, 3)]
    assert VehicleHealth.objects.get(vehicle=vehicle).integrated_through == DAY + timedelta(days=3)
    assert health_catch_up(today=DAY + timedelta(days=4))[0]["aged"] == 0


def test_the_job_is_scheduled_nightly_with_an_expiry_and_names_a_registered_task():
    entry = settings.CELERY_BEAT_SCHEDULE["simulation-health-update"]
    assert task_named(entry["task"]).name == "simulation.tasks.health_update"
    assert 0 < entry["options"]["expires"] < 24 * 3600
    assert entry["schedule"].hour == {1}


def test_the_prediction_has_a_widening_band_and_dates_in_order(org):
    hot, cool = VehicleFactory(department=org.a), VehicleFactory(department=org.a)
    drive(hot, DAY, temperature_c=40.0)
    drive(cool, DAY, soc=50.0, temperature_c=15.0)
    vehicle_health_update(day=DAY)
    rows = {h.vehicle_id: h for h in VehicleHealth.objects.all()}
    prediction = rows[hot.pk].prediction
    mean, low, high = (np.array(prediction[k]) for k in ("mean", "low", "high"))
    assert prediction["start"] == DAY.isoformat() and prediction["days"][0] == 0
    assert np.all(np.diff(mean) <= 1e-9) and np.all(low <= mean) and np.all(mean <= high)
    assert (high - low)[-1] > (high - low)[0]
    hot_at = crossing(prediction, 80.0)
    assert hot_at.earliest is not None and hot_at.earliest <= (hot_at.expected or date.max)
    assert hot_at.expected is None or hot_at.expected <= (hot_at.latest or date.max)
    cool_at = crossing(rows[cool.pk].prediction, 80.0)
    assert (cool_at.expected or date.max) > (hot_at.expected or date.max) or cool_at.earliest > hot_at.earliest
