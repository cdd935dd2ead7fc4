import pytest

from fleet.catalogue import VEHICLE_MODELS
from simulation.vehicles import ENERGY_PARAMS, MissingParameters, catalogue_params, params_for

REQUIRED_SOURCES = (
    "mass_kg",
    "drag_area_m2",
    "rolling_resistance",
    "drivetrain_efficiency",
    "regen_efficiency",
    "auxiliary_kw",
    "heat_pump",
    "hvac_max_kw",
    "cabin_ua_w_per_k",
    "battery_thermal",
)


@pytest.mark.parametrize("model", VEHICLE_MODELS, ids=lambda m: f"{m['make']} {m['name']} {m['variant']}")
def test_every_catalogue_model_has_parameters_with_a_source_for_each(model):
    params = params_for(model["make"], model["name"], model["variant"])
    for key in REQUIRED_SOURCES:
        assert params.sources.get(key), f"{key} has no source"
    assert 500 < params.mass_kg < 20_000
    assert 0.3 < params.drag_area_m2 < 6.0
    assert 0.004 < params.rolling_resistance < 0.015
    assert 0.7 < params.drivetrain_efficiency < 0.95
    assert 0.0 < params.regen_efficiency < params.drivetrain_efficiency


def test_parameters_cover_exactly_the_catalogue():
    catalogue = {(m["make"], m["name"], m["variant"]) for m in VEHICLE_MODELS}
    assert set(ENERGY_PARAMS) == catalogue
    assert len(catalogue_params()) == len(VEHICLE_MODELS)


def test_a_model_without_parameters_raises_naming_it():
    with pytest.raises(MissingParameters, match=r"Lada Niva \(Electric\)") as caught:
        params_for("Lada", "Niva", "Electric")
    assert caught.value.model == ("Lada", "Niva", "Electric")
    assert isinstance(caught.value, ValueError)


def test_estimated_values_say_how_they_were_estimated():
    van = params_for("Ford", "E-Transit", "Van 68 kWh (EU)")
    assert van.sources["drag_area_m2"].count("estimated:") >= 1
    assert "Cd 0.38" in van.sources["drag_area_m2"]
