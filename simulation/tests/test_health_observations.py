"""Capacity observations: charging's finished sessions (through the port simulation.observations) become
observations once each, and pull the filtered state of health toward what they show."""

from datetime import UTC, date, datetime, timedelta

import pytest

from charging.health_sessions import SOURCE, finished_sessions
from charging.models import MeterSample
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from simulation import observations
from simulation.models import CapacityObservation, HealthDay, VehicleHealth
from simulation.services.health import vehicle_health_update
from simulation.tests.test_health_job import drive
from stations.tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 10)
START = datetime(2026, 6, 10, 8, tzinfo=UTC)


def charge(vehicle, *, soc_from: float, soc_to: float, energy_kwh: float, current: str = "ac", at=START):
    """A finished session of `vehicle` with SoC readings from `soc_from` to `soc_to` (and one without SoC)."""
    connector = ConnectorFactory(current_type=current, connector_type="type2" if current == "ac" else "ccs2")
    session = SessionFactory(
        connector=connector, vehicle=vehicle, started_at=at, ended_at=at + timedelta(hours=5), energy_kwh=energy_kwh
    )
    steps = [(0, soc_from), (1, None), (2, (soc_from + soc_to) / 2), (5, soc_to)]
    MeterSample.objects.bulk_create(
        MeterSample(connector=connector, session=session, sampled_at=at + timedelta(hours=h), soc_percent=soc)
        for h, soc in steps
    )
    return session


def test_charging_registers_its_sessions_as_a_source_of_capacity_observations():
    assert observations.sources()[SOURCE] is finished_sessions


def test_the_source_gives_the_first_and_last_soc_of_each_finished_session_in_the_window(org):
    vehicle = VehicleFactory(department=org.a)
    dc = charge(vehicle, soc_from=15, soc_to=85, energy_kwh=45.0, current="dc")
    charge(vehicle, soc_from=20, soc_to=60, energy_kwh=25.0, at=START - timedelta(days=2))  # ended before
    SessionFactory(
        vehicle=VehicleFactory(department=org.a), started_at=START, ended_at=START + timedelta(hours=1), energy_kwh=10.0
    )  # fmt: skip  (no SoC reported: no record)
    records = finished_sessions([vehicle.pk], datetime(2026, 6, 10, tzinfo=UTC), datetime(2026, 6, 11, tzinfo=UTC))
    assert [(r.source_id, r.soc_start_percent, r.soc_end_percent, r.dc, r.energy_kwh) for r in records] == [
        (dc.pk, 15.0, 85.0, True, 45.0)
    ]


def test_an_observation_pulls_the_estimate_toward_the_capacity_it_shows(org):
    observed, alone = VehicleFactory(department=org.a), VehicleFactory(department=org.a)
    for vehicle in (observed, alone):
        drive(vehicle, DAY)
    # 64 kWh new (the factory's model); 0.8 × 64 kWh × 70 % ÷ 0.89 (AC losses): a battery at 80 %
    session = charge(observed, soc_from=15, soc_to=85, energy_kwh=0.8 * 64 * 0.70 / 0.89)
    result = vehicle_health_update(day=DAY)
    assert result["observations"] == 1
    row = CapacityObservation.objects.get()
    assert (row.source, row.source_id, row.vehicle_id, row.current_type) == (SOURCE, session.pk, observed.pk, "ac")
    assert row.soh_percent == pytest.approx(80.0, abs=0.1) and row.used_on == DAY
    health = {h.vehicle_id: h for h in VehicleHealth.objects.all()}
    # weighed: the prior (a new battery, ± 2 points) against one observation (± 3.5 points at 95 %)
    assert 80.0 < health[observed.pk].soh_percent < health[alone.pk].soh_percent - 3
    assert health[observed.pk].variance < health[alone.pk].variance
    assert health[observed.pk].model_soh_percent == pytest.approx(health[alone.pk].model_soh_percent)
    assert HealthDay.objects.get(vehicle=observed).observation_used
    assert not HealthDay.objects.get(vehicle=alone).observation_used


def test_a_session_is_observed_once_however_often_the_job_runs(org):
    vehicle = VehicleFactory(department=org.a)
    charge(vehicle, soc_from=10, soc_to=90, energy_kwh=50.0)
    vehicle_health_update(day=DAY)
    VehicleHealth.objects.all().delete()
    HealthDay.objects.all().delete()
    vehicle_health_update(day=DAY)  # the same day again, from scratch
    assert CapacityObservation.objects.count() == 1


def test_a_session_over_a_narrow_soc_window_makes_no_observation(org):
    vehicle = VehicleFactory(department=org.a)
    charge(vehicle, soc_from=40, soc_to=70, energy_kwh=18.0)
    assert vehicle_health_update(day=DAY)["observations"] == 0
    assert not CapacityObservation.objects.exists()


def test_the_job_ages_from_telemetry_alone_when_no_source_is_registered(org, monkeypatch):
    monkeypatch.setattr(observations, "_sources", {})
    vehicle = VehicleFactory(department=org.a)
    charge(vehicle, soc_from=10, soc_to=90, energy_kwh=50.0)
    result = vehicle_health_update(day=DAY)
    assert result["aged"] == 1 and result["observations"] == 0 and result["observation_sources"] == []


def test_an_observation_far_beyond_the_estimate_is_kept_but_not_believed(org):
    wrong, alone = VehicleFactory(department=org.a), VehicleFactory(department=org.a)
    for vehicle in (wrong, alone):
        drive(vehicle, DAY)
    # a meter reading half what was delivered: the battery would seem at 40 % of new
    charge(wrong, soc_from=15, soc_to=85, energy_kwh=0.4 * 64 * 0.70 / 0.89)
    result = vehicle_health_update(day=DAY)
    assert (result["observations"], result["rejected_observations"]) == (0, 1)
    row = CapacityObservation.objects.get()
    assert row.soh_percent == pytest.approx(40.0, abs=0.1) and row.rejected and row.used_on == DAY
    health = {h.vehicle_id: h for h in VehicleHealth.objects.all()}
    assert health[wrong.pk].soh_percent == pytest.approx(health[alone.pk].soh_percent)
    assert not HealthDay.objects.get(vehicle=wrong).observation_used
