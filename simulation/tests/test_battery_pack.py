"""Catalogue packs (simulation/battery/pack.py) and open-circuit-voltage curves (chemistry.py)."""

import re

import numpy as np
import pytest

from fleet.catalogue import VEHICLE_MODELS
from simulation.battery.chemistry import BatteryInputError, Chemistry, ocv_cell_v
from simulation.battery.pack import DEFAULT_DERATING, UnknownPack, catalogue_pack, pack_for

MODEL_IDS = [f"{m['make']} {m['name']} {m['variant']}" for m in VEHICLE_MODELS]


@pytest.mark.parametrize("model", VEHICLE_MODELS, ids=MODEL_IDS)
def test_every_catalogue_model_has_a_consistent_pack(model):
    pack = catalogue_pack(model["make"], model["name"], model["variant"])
    assert isinstance(pack.chemistry, Chemistry)
    assert pack.usable_kwh == float(model["usable_battery_kwh"])
    assert 0.85 <= pack.derating <= 1.0
    assert pack.gross_kwh * pack.derating == pytest.approx(pack.usable_kwh, rel=0.01)
    assert 250 <= pack.nominal_v <= 500
    assert pack.source and not pack.assumed
    if pack.configuration_published:
        assert (
            f"{pack.cells_series}S{pack.cells_parallel}P" in pack.source or f"{pack.cells_series} cells" in pack.source
        )


def test_the_lfp_models_are_the_ones_their_makers_say_are_lfp():
    lfp = {(m["make"], m["name"]) for m in VEHICLE_MODELS
           if catalogue_pack(m["make"], m["name"], m["variant"]).chemistry is Chemistry.LFP}  # fmt: skip
    assert lfp == {("BYD", "Atto 3"), ("Tesla", "Model 3"), ("Mercedes-Benz", "eSprinter")}
    assert catalogue_pack("Tesla", "Model 3", "Long Range AWD (NA)").chemistry is Chemistry.NMC


def test_a_model_outside_the_catalogue_gets_an_assumed_pack_by_class():
    pack = pack_for("Acme", "Hauler", "X", 200.0, "bus")
    assert pack.assumed and pack.chemistry is Chemistry.LFP and pack.derating == DEFAULT_DERATING
    assert pack.gross_kwh * pack.derating == pytest.approx(200.0)
    known = pack_for("Nissan", "Leaf", "40 kWh (EU)", 1.0, "car")
    assert not known.assumed and known.usable_kwh == 39.0


@pytest.mark.parametrize(
    ("usable_kwh", "vehicle_class", "field"),
    [(-5.0, "car", "usable_kwh"), (float("nan"), "car", "usable_kwh"), (50.0, "boat", "vehicle_class")],
)
def test_a_fallback_pack_refuses_bad_input_naming_the_field(usable_kwh, vehicle_class, field):
    with pytest.raises(BatteryInputError) as raised:
        pack_for("Acme", "Hauler", "X", usable_kwh, vehicle_class)
    assert raised.value.field == field


def test_an_unknown_catalogue_model_is_an_error_naming_it():
    with pytest.raises(UnknownPack, match=re.escape("Acme Hauler")):
        catalogue_pack("Acme", "Hauler", "X")


@pytest.mark.parametrize(("chemistry", "low", "high"), [("nmc", 3.3, 4.2), ("lfp", 2.2, 3.6)])
def test_ocv_rises_with_soc_within_the_cells_voltage_limits(chemistry, low, high):
    voltage = ocv_cell_v(chemistry, np.linspace(0, 100, 501))
    assert np.all(np.diff(voltage) >= 0)
    assert low <= voltage.min() and voltage.max() <= high


def test_lfp_ocv_is_flat_in_the_middle_and_nmc_is_not():
    lfp_span = np.ptp(ocv_cell_v("lfp", [20.0, 80.0]))
    nmc_span = np.ptp(ocv_cell_v("nmc", [20.0, 80.0]))
    assert lfp_span < 0.15 < nmc_span


@pytest.mark.parametrize("soc", [-1.0, 101.0, float("nan")])
def test_ocv_refuses_an_impossible_soc(soc):
    with pytest.raises(BatteryInputError, match="soc_percent"):
        ocv_cell_v("nmc", soc)
