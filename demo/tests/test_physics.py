from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.consumption import FLAG_EXCESS_PERCENT
from demo.physics import OVER_CONSUMERS, _style, ambient_c, driving_kwh
from fleet.models import Vehicle, VehicleModel
from simulation.energy import segment_energy
from simulation.vehicles import params_for

BERLIN = (52.58, 13.33)
pytestmark = pytest.mark.django_db


def _model(name: str = "ID.3") -> VehicleModel:
    return VehicleModel.objects.filter(name=name).first()


def test_the_demo_weather_follows_the_depots_climate_normals_and_its_daily_cycle():
    zone = ZoneInfo("Europe/Berlin")
    january_dawn = ambient_c(BERLIN, datetime(2026, 1, 15, 5, tzinfo=zone))
    july_afternoon = ambient_c(BERLIN, datetime(2026, 7, 15, 15, tzinfo=zone))
    july_dawn = ambient_c(BERLIN, datetime(2026, 7, 15, 5, tzinfo=zone))
    assert january_dawn < 0 < july_dawn < july_afternoon
    assert 20 < july_afternoon < 30


def test_a_demo_vehicle_draws_its_models_energy_times_its_drivers_style():
    model = _model()
    vehicle = Vehicle(fleet_number="NW-010", vehicle_model=model)
    expected = segment_energy(params_for(model.make, model.name, model.variant), distance_km=1.0, speed_kmh=50.0,
                              ambient_c=5.0).total_kwh  # fmt: skip
    assert driving_kwh(vehicle, model, 10.0, 50.0, 5.0) == pytest.approx(10 * float(expected) * _style("NW-010"))
    assert 0.94 <= _style("NW-010") <= 1.10


def test_the_two_over_consumers_draw_far_more_than_their_model_so_the_consumption_page_flags_them():
    model = _model()
    normal = driving_kwh(Vehicle(fleet_number="NW-010", vehicle_model=model), model, 10.0, 50.0, 5.0)
    heater_on = driving_kwh(Vehicle(fleet_number="NW-003", vehicle_model=model), model, 10.0, 50.0, 5.0)
    assert heater_on / normal == pytest.approx(OVER_CONSUMERS["NW-003"] / _style("NW-010"))
    assert min(OVER_CONSUMERS.values()) > 1 + FLAG_EXCESS_PERCENT / 100  # flagged by analytics.consumption


def test_a_model_the_simulation_has_no_parameters_for_draws_its_catalogue_figure():
    model = VehicleModel(make="Nobody", name="Prototype", variant="X", vehicle_class="van", usable_battery_kwh=50,
                         max_ac_kw=11, consumption_wh_per_km=250, inlets=["type2"])  # fmt: skip
    vehicle = Vehicle(fleet_number="NW-010", vehicle_model=model)
    assert driving_kwh(vehicle, model, 4.0, 40.0, 10.0) == pytest.approx(4 * 0.25 * _style("NW-010"))
