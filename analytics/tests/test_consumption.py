"""Expected against actual consumption: the rollup stores the day's conditions and the model's expectation, the page
and API compare them by temperature band and by vehicle, and a vehicle far above its model is flagged."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from analytics.consumption import FLAG_EXCESS_PERCENT, FLAG_MIN_DISTANCE_KM, consumption_report
from analytics.models import VehicleDay
from analytics.periods import Period
from analytics.rollup import rollup_vehicle_days
from fleet.catalogue import VEHICLE_MODELS
from fleet.models import TelemetryPoint
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from simulation.climate import normals_for, temperature_c
from simulation.energy import segment_energy
from simulation.vehicles import params_for
from stations.tests.factories import SiteFactory

DAY = date(2026, 1, 14)
PERIOD = Period(date(2026, 1, 1), date(2026, 1, 31))
PERIOD_QS = "period=custom&start=2026-01-01&end=2026-01-31"
CATALOGUED = VEHICLE_MODELS[0]


def _catalogued_model():
    entry = CATALOGUED
    return VehicleModelFactory(
        make=entry["make"], name=entry["name"], variant=entry["variant"], model_year=entry["model_year"],
        vehicle_class=entry["vehicle_class"], usable_battery_kwh=entry["usable_battery_kwh"],
        max_ac_kw=entry["max_ac_kw"], max_dc_kw=entry["max_dc_kw"], inlets=entry["inlets"],
        consumption_wh_per_km=entry["consumption_wh_per_km"],
    )  # fmt: skip


def _drive(vehicle, start: datetime, *, minutes: int, speed_kmh: float, power_kw: float, odometer: float = 1000.0):
    """A reading every 10 minutes at a steady speed and driving power, then one standing still."""
    points, t, odo = [], start, odometer
    for _ in range(minutes // 10):
        points.append(TelemetryPoint(vehicle=vehicle, recorded_at=t, odometer_km=odo, speed_kmh=speed_kmh,
                                     power_kw=power_kw, latitude=52.5, longitude=13.4))  # fmt: skip
        t += timedelta(minutes=10)
        odo += speed_kmh / 6.0
    points.append(TelemetryPoint(vehicle=vehicle, recorded_at=t, odometer_km=odo, speed_kmh=0.0, power_kw=0.0,
                                 latitude=52.5, longitude=13.4))  # fmt: skip
    TelemetryPoint.objects.bulk_create(points)


def _day(vehicle, day: date, *, km: float, actual_kwh: float, expected_kwh: float | None, temperature_c=0.0, **extra):
    return VehicleDay.objects.create(
        day=day, vehicle=vehicle, department=vehicle.department, vehicle_model=vehicle.vehicle_model,
        distance_km=km, energy_consumed_kwh=actual_kwh, telemetry_points=10, expected_energy_kwh=expected_kwh,
        ambient_temperature_c=temperature_c, **extra,
    )  # fmt: skip


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The rollup ---------------------------------------------------------------------------------------------------


def test_the_rollup_stores_the_conditions_and_the_models_expectation(org):
    SiteFactory(department=org.a, latitude=52.5, longitude=13.4)
    vehicle = VehicleFactory(department=org.a, vehicle_model=_catalogued_model())
    zone = ZoneInfo(org.a.time_zone)
    start = datetime(2026, 1, 14, 9, 0, tzinfo=zone).astimezone(UTC)
    _drive(vehicle, start, minutes=120, speed_kmh=60.0, power_kw=-12.0)

    rollup_vehicle_days(DAY, DAY, [org.a])

    row = VehicleDay.objects.get(vehicle=vehicle, day=DAY)
    assert row.distance_km == pytest.approx(120.0)
    assert row.energy_consumed_kwh == pytest.approx(24.0)
    assert row.mean_speed_kmh == pytest.approx(60.0)
    assert row.stops == 1
    # no stored weather: the climate normals at its position, for the local hours it drove
    normals = normals_for(52.5, 13.4)
    hourly = np.array([float(temperature_c(normals, 1, hour + 0.5, 14)) for hour in (9, 10, 11)])
    assert row.temperature_source == VehicleDay.TemperatureSource.NORMALS
    assert row.temperature_place == normals.place
    # each stretch counts in the hour it ends: 50 km in the 9 o'clock hour, 60 in the 10, 10 in the 11
    km = np.array([50.0, 60.0, 10.0])
    assert row.ambient_temperature_c == pytest.approx(float(np.sum(km * hourly) / 120.0), abs=0.01)
    expected = segment_energy(
        params_for(CATALOGUED["make"], CATALOGUED["name"], CATALOGUED["variant"]),
        distance_km=km, speed_kmh=np.full(3, 60.0), ambient_c=np.array(hourly), stops_per_km=np.full(3, 1 / 120.0),
    )  # fmt: skip
    assert row.expected_energy_kwh == pytest.approx(float(np.sum(expected.total_kwh)), rel=1e-3)
    assert row.expected_missing == ""


def test_a_model_without_energy_parameters_leaves_the_expectation_empty_and_says_why(org):
    SiteFactory(department=org.a)
    vehicle = VehicleFactory(department=org.a, vehicle_model=VehicleModelFactory(make="Nobody", name="Prototype X"))
    _drive(vehicle, datetime(2026, 1, 14, 9, tzinfo=UTC), minutes=60, speed_kmh=50.0, power_kw=-10.0)

    rollup_vehicle_days(DAY, DAY, [org.a])

    row = VehicleDay.objects.get(vehicle=vehicle, day=DAY)
    assert row.expected_energy_kwh is None
    assert row.expected_missing == VehicleDay.ExpectationMissing.NO_MODEL
    assert row.distance_km == pytest.approx(50.0)  # the rest of the day is rolled up as before
    report = consumption_report(org.fleet_manager_a, PERIOD)
    assert report["no_model_vehicles"] == 1
    assert report["days_without_expectation"] == {"no_model": 1}


def test_the_rollup_runs_the_same_queries_for_one_vehicle_or_many(org):
    SiteFactory(department=org.a)
    model = _catalogued_model()
    counts = []
    for n in (1, 5):
        for i in range(n):
            vehicle = VehicleFactory(department=org.a, vehicle_model=model)
            _drive(vehicle, datetime(2026, 1, 14, 8 + i, tzinfo=UTC), minutes=30, speed_kmh=40.0, power_kw=-8.0)
        with CaptureQueriesContext(connection) as queries:
            rollup_vehicle_days(DAY, DAY + timedelta(days=1), [org.a])
        counts.append(len(queries))
    assert VehicleDay.objects.filter(day=DAY).count() == 6
    assert counts[0] == counts[1]


# --- The flag and the bands -----------------------------------------------------------------------------------


@pytest.fixture
def fleet(org):
    """V-hot draws 40 % above its model over 150 km, V-fine 5 % over 150 km, V-short 40 % over only 50 km;
    V-B is Org B's, V-A1 Team A1's (10 % above)."""
    model = _catalogued_model()

    class Fleet:
        pass

    f = Fleet()
    f.hot = VehicleFactory(fleet_number="V-hot", department=org.a, vehicle_model=model)
    f.fine = VehicleFactory(fleet_number="V-fine", department=org.a, vehicle_model=model)
    f.short = VehicleFactory(fleet_number="V-short", department=org.a, vehicle_model=model)
    f.b = VehicleFactory(fleet_number="V-B", department=org.b, vehicle_model=model)
    f.a1 = VehicleFactory(fleet_number="V-A1", department=org.a1, vehicle_model=model)
    # 3 days of 50 km each at -15, -5 and 5 °C; expected 10 kWh a day
    for offset, temperature in enumerate((-15.0, -5.0, 5.0)):
        day = DAY + timedelta(days=offset)
        _day(f.hot, day, km=50.0, actual_kwh=14.0, expected_kwh=10.0, temperature_c=temperature)
        _day(f.fine, day, km=50.0, actual_kwh=10.5, expected_kwh=10.0, temperature_c=temperature)
        _day(f.b, day, km=50.0, actual_kwh=30.0, expected_kwh=10.0, temperature_c=temperature)
        _day(f.a1, day, km=50.0, actual_kwh=11.0, expected_kwh=10.0, temperature_c=temperature)
    _day(f.short, DAY, km=50.0, actual_kwh=14.0, expected_kwh=10.0, temperature_c=25.0)
    f.org = org
    return f


def test_a_vehicle_forty_percent_above_its_model_is_flagged_and_one_five_percent_above_is_not(fleet):
    report = consumption_report(fleet.org.fleet_manager_a, PERIOD)
    rows = {v["label"]: v for v in report["vehicles"]}
    assert rows["V-hot"]["flagged"] is True
    assert rows["V-hot"]["ratio"] == pytest.approx(1.4)
    assert rows["V-hot"]["excess_percent"] == pytest.approx(40.0)
    assert rows["V-hot"]["actual_kwh_per_100km"] == pytest.approx(28.0)
    assert rows["V-hot"]["expected_kwh_per_100km"] == pytest.approx(20.0)
    assert rows["V-hot"]["distance_km"] == 150.0 and rows["V-hot"]["days"] == 3
    assert rows["V-fine"]["flagged"] is False
    assert rows["V-short"]["flagged"] is False  # as far above, but over less than the minimum distance
    assert [v["label"] for v in report["flagged"]] == ["V-hot"]
    assert report["thresholds"] == {"excess_percent": FLAG_EXCESS_PERCENT, "min_distance_km": FLAG_MIN_DISTANCE_KM}


def test_the_temperature_bands_sum_the_days_in_them(fleet):
    report = consumption_report(fleet.org.fleet_manager_a, PERIOD, department=fleet.org.a)
    bands = {b["band"]: b for b in report["bands"]}
    assert list(bands) == ["below_minus_10", "minus_10_to_0", "0_to_10", "10_to_20", "20_to_30", "above_30"]
    # -15 °C: V-hot 14, V-fine 10.5, V-A1 11 kWh over 3 x 50 km, 30 kWh expected
    cold = bands["below_minus_10"]
    assert (cold["days"], cold["vehicles"], cold["distance_km"]) == (3, 3, 150.0)
    assert cold["actual_kwh_per_100km"] == pytest.approx(35.5 / 150 * 100, abs=0.01)
    assert cold["expected_kwh_per_100km"] == pytest.approx(20.0)
    assert cold["ratio"] == pytest.approx(35.5 / 30, abs=0.001)
    assert bands["20_to_30"]["days"] == 1 and bands["20_to_30"]["distance_km"] == 50.0  # V-short
    assert bands["10_to_20"]["days"] == 0 and bands["10_to_20"]["ratio"] is None
    assert report["total"]["distance_km"] == 500.0  # Org B's 150 km are not here


def test_a_team_manager_sees_only_the_teams_vehicles(fleet):
    report = consumption_report(fleet.org.manager_a1, PERIOD)
    assert [v["label"] for v in report["vehicles"]] == ["V-A1"]


# --- Page and API ---------------------------------------------------------------------------------------------


def test_the_page_shows_the_bands_the_vehicles_and_the_flag(client, fleet):
    client.force_login(fleet.org.fleet_manager_a)
    response = client.get(reverse("analytics:consumption") + "?" + PERIOD_QS)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-flagged="{fleet.hot.pk}"' in page
    assert f'data-flag="{fleet.hot.pk}"' in page and f'data-flag="{fleet.fine.pk}"' not in page
    assert "28.0 against 20.0 kWh/100 km expected" in page
    assert 'data-band="below_minus_10"' in page
    assert 'data-figure="fig-consumption-bands"' in page and 'id="fig-consumption-bands"' in page
    assert "V-B" not in page
    assert reverse("analytics:consumption") in client.get(reverse("analytics:dashboard")).content.decode()


def test_the_page_shows_kwh_per_100_miles_for_a_department_counting_in_miles(client, fleet):
    fleet.org.a.distance_unit = "mi"
    fleet.org.a.save(update_fields=["distance_unit"])
    client.force_login(fleet.org.fleet_manager_a)
    page = client.get(reverse("analytics:consumption") + "?" + PERIOD_QS).content.decode()
    assert "kWh/100 mi" in page
    assert "45.1 against 32.2 kWh/100 mi expected" in page  # 28.0 and 20.0 per 100 km x 1.609344


def test_a_department_the_user_cannot_see_is_refused_on_the_page(client, fleet):
    client.force_login(fleet.org.fleet_manager_a)
    page = client.get(reverse("analytics:consumption") + f"?{PERIOD_QS}&department={fleet.org.b.pk}").content
    assert "You cannot see that department" in page.decode()
    assert b"V-B" not in page


def test_the_api_gives_the_bands_and_the_vehicles_with_the_flag_scoped_to_the_department(fleet):
    body = _api(fleet.org.fleet_manager_b).get(f"/api/v1/analytics/consumption/?{PERIOD_QS}").json()
    assert [(v["label"], v["flagged"], v["excess_percent"]) for v in body["vehicles"]] == [("V-B", True, 200.0)]
    body = _api(fleet.org.fleet_manager_a).get(f"/api/v1/analytics/consumption/?{PERIOD_QS}").json()
    assert {v["label"] for v in body["vehicles"]} == {"V-hot", "V-fine", "V-short", "V-A1"}
    assert [v["label"] for v in body["flagged"]] == ["V-hot"]
    assert len(body["bands"]) == 6


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("period=last_week", "period", "last_week"),
        ("period=custom&start=2026-01-31&end=2026-01-01", "end", "before it starts"),
        ("period=custom&start=2026-01-01", "end", "last day"),
    ],
)
def test_bad_input_gets_400_naming_the_field(fleet, query, field, words):
    response = _api(fleet.org.fleet_manager_a).get(f"/api/v1/analytics/consumption/?{query}")
    assert response.status_code == 400
    assert words in " ".join(e["message"] for e in response.json()["fields"][field])


def test_another_departments_figures_are_refused_by_the_api(fleet):
    response = _api(fleet.org.fleet_manager_a).get(
        f"/api/v1/analytics/consumption/?{PERIOD_QS}&department={fleet.org.b.pk}"
    )
    assert response.status_code == 400
    assert "department" in response.json()["fields"]


def test_a_role_without_analytics_is_refused(fleet):
    response = _api(fleet.org.technician_a).get(f"/api/v1/analytics/consumption/?{PERIOD_QS}")
    assert response.status_code == 403


@pytest.mark.parametrize("extra", [0, 8])
def test_the_page_and_the_api_run_a_constant_number_of_queries(client, fleet, extra, django_assert_max_num_queries):
    model = fleet.hot.vehicle_model
    for i in range(extra):
        vehicle = VehicleFactory(department=fleet.org.a, vehicle_model=model)
        _day(vehicle, DAY, km=60.0, actual_kwh=12.0, expected_kwh=11.0, temperature_c=float(i))
    client.force_login(fleet.org.fleet_manager_a)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("analytics:consumption") + "?" + PERIOD_QS).status_code == 200
    with django_assert_max_num_queries(10):
        assert _api(fleet.org.fleet_manager_a).get(f"/api/v1/analytics/consumption/?{PERIOD_QS}").status_code == 200


# --- The notification -------------------------------------------------------------------------------------------


def test_a_flagged_vehicle_is_notified_once_a_week(fleet):
    from analytics.services import consumption_flags_notify
    from notifications.models import Event, Notification

    now = datetime(2026, 1, 20, 6, tzinfo=UTC)  # a Tuesday; the window is the 30 days before
    assert consumption_flags_notify(now=now) == 2  # V-hot (Org A) and V-B (Org B)
    notes = Notification.objects.filter(event=Event.CONSUMPTION_HIGH, user=fleet.org.fleet_manager_a)
    assert [n.title for n in notes] == ["V-hot uses 40 % more energy than its model expects"]
    assert "28.0 kWh/100 km against 20.0 kWh/100 km" in notes[0].body
    assert not Notification.objects.filter(event=Event.CONSUMPTION_HIGH, user=fleet.org.fleet_manager_b).filter(
        title__contains="V-hot"
    )
    assert consumption_flags_notify(now=now + timedelta(hours=1)) == 0  # once a day
    assert consumption_flags_notify(now=now + timedelta(days=2)) == 0  # once a week per vehicle
    assert consumption_flags_notify(now=now + timedelta(days=7)) == 2  # the next week, again


def test_the_sites_stored_weather_is_used_where_the_feed_recorded_the_hours(org):
    from simulation.models import WeatherHour

    site = SiteFactory(name="Depot North", department=org.a, latitude=52.5, longitude=13.4)
    vehicle = VehicleFactory(department=org.a, vehicle_model=_catalogued_model())
    start = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
    _drive(vehicle, start, minutes=50, speed_kmh=60.0, power_kw=-12.0)  # 08:00-08:50 UTC, all in one hour
    for hour, temperature in ((8, -12.0), (9, -11.0)):
        WeatherHour.objects.create(
            site=site, hour=datetime(2026, 1, 14, hour, tzinfo=UTC), temperature_c=temperature, precipitation_mm=0,
            snowfall_cm=0, wind_speed_ms=2, wind_direction_deg=180, source="open-meteo", fetched_at=start,
        )  # fmt: skip

    rollup_vehicle_days(DAY, DAY, [org.a])

    row = VehicleDay.objects.get(vehicle=vehicle, day=DAY)
    assert (row.ambient_temperature_c, row.temperature_source, row.temperature_place) == (
        -12.0,
        VehicleDay.TemperatureSource.WEATHER,
        "Depot North",
    )
    assert row.expected_energy_kwh > 0


@pytest.mark.parametrize(
    ("example", "query"),
    [
        ("end_before_start", "period=custom&start=2026-01-11&end=2026-01-10"),
        ("unknown_period", "period=last_week"),
    ],
)
def test_the_documented_error_examples_are_what_the_api_answers(org, example, query):
    from analytics.api.views import ConsumptionView

    response = _api(org.fleet_manager_a).get(f"/api/v1/analytics/consumption/?{query}")
    assert response.status_code == 400
    assert response.json() == ConsumptionView.error_examples["400"][example]["value"]


def test_the_rollup_task_checks_the_flags_once_a_day(org):
    from django.utils import timezone

    from analytics.tasks import analytics_rollup
    from notifications.models import Event, Notification

    vehicle = VehicleFactory(fleet_number="V-recent", department=org.a, vehicle_model=_catalogued_model())
    today = timezone.now().date()
    for days_ago in (3, 4, 5):  # before the days the task rebuilds (yesterday and today)
        _day(vehicle, today - timedelta(days=days_ago), km=50.0, actual_kwh=14.0, expected_kwh=10.0)

    first, second = analytics_rollup(), analytics_rollup()

    assert (first["consumption_notices"], second["consumption_notices"]) == (1, 0)
    note = Notification.objects.get(event=Event.CONSUMPTION_HIGH, user=org.fleet_manager_a)
    assert note.title == "V-recent uses 40 % more energy than its model expects"
    assert note.repeats == 1
