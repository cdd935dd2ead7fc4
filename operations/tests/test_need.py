"""A trip's need from the simulation's models: temperature, distance, road mix, state of health, reserve, range."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations import energy, need, services
from operations.models import OperationsPolicy, Route, RouteStop, Trip
from simulation.models import WeatherHour
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

WINTER = datetime(2027, 1, 13, 7, 0, tzinfo=UTC)  # a Wednesday
SUMMER = datetime(2027, 7, 14, 7, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def vehicle():
    model = VehicleModelFactory(
        make="Volkswagen", name="ID. Buzz Cargo", variant="77 kWh (EU)", vehicle_class="van",
        usable_battery_kwh="77.0", consumption_wh_per_km=215,
    )  # fmt: skip
    return VehicleFactory(vehicle_model=model)


@pytest.fixture
def depot(vehicle):
    return SiteFactory(department=vehicle.department, time_zone="Europe/Berlin", latitude=52.52, longitude=13.40)


def _trip(vehicle, depot, departs, *, hours=8, distance_km=120.0, road_mix="mixed", **extra):
    return Trip(
        department=vehicle.department, vehicle=vehicle, depot=depot, departs_at=departs,
        returns_at=departs + timedelta(hours=hours), distance_km=distance_km, road_mix=road_mix, **extra,
    )  # fmt: skip


def _forecast(site, at, temperature_c):
    WeatherHour.objects.create(
        site=site, hour=at, temperature_c=temperature_c, precipitation_mm=0, snowfall_cm=0, wind_speed_ms=2,
        wind_direction_deg=180, source="open-meteo", fetched_at=at - timedelta(hours=3),
    )  # fmt: skip


def test_the_catalogue_model_is_priced_with_its_own_parameters(vehicle, depot):
    result = need.estimate(_trip(vehicle, depot, SUMMER))
    assert result.vehicle_source == "simulation parameters of the model"
    assert 0 < result.driving_kwh / 120 < 0.4  # kWh/km of a van
    assert result.temperature_source == "normals"  # nothing stored: the climate normals


def test_winter_raises_the_heating_part_and_the_forecast_is_stored(vehicle, depot):
    _forecast(depot, WINTER, -8.0)
    _forecast(depot, SUMMER, 18.0)
    winter = _trip(vehicle, depot, WINTER)
    summer = _trip(vehicle, depot, SUMMER)
    w, s = need.compute(winter), need.compute(summer)
    assert winter.ambient_temperature_c == -8.0 and winter.temperature_source == "open-meteo"
    assert w.climate_kwh > 3 * s.climate_kwh and w.climate_kwh > 2.0
    assert winter.required_soc_percent > summer.required_soc_percent


def test_a_hot_day_needs_cooling(vehicle, depot):
    _forecast(depot, SUMMER, 18.0)
    mild = need.estimate(_trip(vehicle, depot, SUMMER))
    hot_day = SUMMER + timedelta(days=7)
    _forecast(depot, hot_day, 38.0)
    hot = need.estimate(_trip(vehicle, depot, hot_day))
    assert hot.climate_kwh > mild.climate_kwh


def test_a_longer_route_needs_more(vehicle, depot):
    short = need.estimate(_trip(vehicle, depot, SUMMER, distance_km=60))
    long = need.estimate(_trip(vehicle, depot, SUMMER, distance_km=180))
    assert long.driving_kwh == pytest.approx(3 * short.driving_kwh, rel=0.01)
    assert long.required_soc_percent > short.required_soc_percent


def test_a_motorway_trip_differs_from_an_urban_one(vehicle, depot):
    urban = need.estimate(_trip(vehicle, depot, SUMMER, road_mix="urban"))
    motorway = need.estimate(_trip(vehicle, depot, SUMMER, road_mix="motorway"))
    assert motorway.mean_speed_kmh > 2 * urban.mean_speed_kmh
    # a van: the motorway's air drag against the town's stop-and-go, and fewer hours of heating or cooling
    assert motorway.driving_kwh != pytest.approx(urban.driving_kwh, rel=0.03)
    assert motorway.climate_kwh < urban.climate_kwh


def test_mixed_lies_between_urban_and_primary(vehicle, depot):
    by_mix = {mix: need.estimate(_trip(vehicle, depot, SUMMER, road_mix=mix)).driving_kwh for mix in energy.ROAD_MIX}
    low, high = sorted([by_mix["urban"], by_mix["primary"]])
    assert low < by_mix["mixed"] < high


def test_a_lower_state_of_health_raises_the_required_soc(vehicle, depot):
    new = need.estimate(_trip(vehicle, depot, SUMMER))
    vehicle.state_of_health_percent = 80.0
    aged = need.estimate(_trip(vehicle, depot, SUMMER))
    assert aged.capacity_kwh == pytest.approx(0.8 * new.capacity_kwh)
    assert aged.reserve_kwh == pytest.approx(0.8 * new.reserve_kwh)
    assert aged.required_soc_percent > new.required_soc_percent


def test_the_reserve_follows_the_department_policy(vehicle, depot):
    default = need.estimate(_trip(vehicle, depot, SUMMER))
    assert default.reserve_kwh == pytest.approx(0.10 * default.capacity_kwh, rel=1e-3)
    OperationsPolicy.objects.create(department=vehicle.department, reserve_percent=25.0)
    strict = need.estimate(_trip(vehicle, depot, SUMMER))
    assert strict.reserve_kwh == pytest.approx(0.25 * strict.capacity_kwh, rel=1e-3)
    assert strict.required_soc_percent - default.required_soc_percent == pytest.approx(15.0, abs=0.01)


def test_the_required_soc_is_the_parts_over_the_capacity(vehicle, depot):
    trip = _trip(vehicle, depot, WINTER)
    result = need.compute(trip)
    total = trip.driving_kwh + trip.climate_kwh + trip.reserve_kwh
    assert trip.required_soc_percent == pytest.approx(100 * total / result.capacity_kwh, abs=0.05)


def test_a_route_without_distance_is_measured_from_its_stops(vehicle, depot):
    route = Route.objects.create(department=vehicle.department, name="Ring", road_mix="urban")
    # about 11 km east of the depot and back: 2 legs of ~6.8 km... the great circle, times the detour factor
    RouteStop.objects.create(route=route, sequence=1, name="East", latitude=52.52, longitude=13.50)
    RouteStop.objects.create(route=route, sequence=2, name="North", latitude=52.60, longitude=13.50)
    result = need.estimate(_trip(vehicle, depot, SUMMER, distance_km=None, route=route))
    legs = [((52.52, 13.40), (52.52, 13.50)), ((52.52, 13.50), (52.60, 13.50)), ((52.60, 13.50), (52.52, 13.40))]
    expected = sum(energy.great_circle_km(a, b) for a, b in legs) * energy.DETOUR_FACTOR
    assert result.distance_source == "stops (estimated)"
    assert result.distance_km == pytest.approx(expected, abs=0.1)
    assert 25 < result.distance_km < 35
    route.distance_km = 50.0
    route.save()
    assert need.estimate(_trip(vehicle, depot, SUMMER, distance_km=None, route=route)).distance_source == "route"


def test_a_model_without_simulation_parameters_borrows_a_stand_in_scaled_to_its_rating(depot):
    thirsty = VehicleFactory(department=depot.department, vehicle_model=VehicleModelFactory(consumption_wh_per_km=400))
    frugal = VehicleFactory(department=depot.department, vehicle_model=VehicleModelFactory(consumption_wh_per_km=200))
    a, b = need.estimate(_trip(thirsty, depot, SUMMER)), need.estimate(_trip(frugal, depot, SUMMER))
    assert a.vehicle_source.startswith("stand-in:")
    assert a.driving_kwh > 1.5 * b.driving_kwh


def test_beyond_range_names_the_distance_and_what_to_do(vehicle, depot):
    trip = _trip(vehicle, depot, WINTER, distance_km=600, hours=20)
    with pytest.raises(ValidationError) as e:
        need.check_range(trip, need.compute(trip))
    message = e.value.message_dict["distance_km"][0]
    assert "600 km" in message and "full battery" in message
    assert "shorten" in message and "split" in message


def test_the_hourly_refresh_follows_a_new_forecast_and_skips_later_trips(vehicle, depot):
    now = datetime(2027, 1, 12, 12, tzinfo=UTC)
    soon = services.trip_create(actor=None, now=now, **_fields(_trip(vehicle, depot, WINTER)))
    later = services.trip_create(actor=None, now=now, **_fields(_trip(vehicle, depot, WINTER + timedelta(days=5))))
    before_soon, before_later = soon.climate_kwh, later.climate_kwh
    _forecast(depot, WINTER, -15.0)
    _forecast(depot, WINTER + timedelta(days=5), -15.0)
    assert services.trip_needs_refresh(now=now) == 1
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.climate_kwh > before_soon and soon.ambient_temperature_c == -15.0
    assert later.climate_kwh == before_later
    assert services.trip_needs_refresh(now=now) == 0  # nothing moved since


def _fields(trip):
    return dict(
        vehicle=trip.vehicle, depot=trip.depot, departs_at=trip.departs_at, returns_at=trip.returns_at,
        distance_km=trip.distance_km, road_mix=trip.road_mix,
    )  # fmt: skip


def test_the_beat_jobs_are_scheduled_and_expire_before_their_next_run(settings):
    from evfleet.jobs import task_named

    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    for task, period in [
        ("operations.tasks.trip_needs_refresh", 3600),
        ("operations.tasks.schedules_generate", 86400),
    ]:
        assert task_named(task).name == task
        assert entries[task]["schedule"].total_seconds() == period
        assert 0 < entries[task]["options"]["expires"] < period
