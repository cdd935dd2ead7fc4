import numpy as np
import pytest

from simulation.energy import EnergyInputError, consumption_wh_per_km, hvac_kw, segment_energy
from simulation.vehicles import catalogue_params, params_for

ID3 = params_for("Volkswagen", "ID.3", "Pro 58 kWh (EU)")
BOLT = params_for("Chevrolet", "Bolt EV", "65 kWh (NA)")
KONA = params_for("Hyundai", "Kona Electric", "64 kWh (EU)")


def test_traction_energy_grows_with_the_square_of_speed_at_high_speed():
    slow = segment_energy(ID3, distance_km=10, speed_kmh=60, ambient_c=20).traction_kwh
    fast = segment_energy(ID3, distance_km=10, speed_kmh=120, ambient_c=20).traction_kwh
    faster = segment_energy(ID3, distance_km=10, speed_kmh=180, ambient_c=20).traction_kwh
    assert slow < fast < faster
    assert (faster - fast) > (fast - slow)  # the v^2 term: equal speed steps cost more and more


def test_head_wind_raises_and_tail_wind_lowers_consumption():
    calm = consumption_wh_per_km(ID3, speed_kmh=100, ambient_c=15)
    head = consumption_wh_per_km(ID3, speed_kmh=100, ambient_c=15, headwind_ms=5)
    tail = consumption_wh_per_km(ID3, speed_kmh=100, ambient_c=15, headwind_ms=-5)
    assert tail < calm < head


def test_wet_and_snow_raise_rolling_resistance_in_that_order():
    dry, wet, snow = (
        consumption_wh_per_km(ID3, speed_kmh=50, ambient_c=0, surface=s, hvac=False) for s in ("dry", "wet", "snow")
    )
    assert dry < wet < snow


def test_payload_and_stops_raise_consumption():
    base = consumption_wh_per_km(ID3, speed_kmh=30, ambient_c=20)
    assert consumption_wh_per_km(ID3, speed_kmh=30, ambient_c=20, payload_kg=400) > base
    assert consumption_wh_per_km(ID3, speed_kmh=30, ambient_c=20, stops_per_km=3) > base


def test_cold_raises_the_hvac_energy_and_mild_weather_needs_least():
    temperatures = np.array([-20.0, -10.0, 0.0, 10.0, 19.0])
    heating = hvac_kw(BOLT, temperatures)
    assert np.all(np.diff(heating) < 0)
    assert hvac_kw(BOLT, 35.0) > hvac_kw(BOLT, 25.0) > 0


def test_a_heat_pump_beats_a_resistive_heater_in_the_cold_and_matches_it_far_below_zero():
    import dataclasses

    resistive = dataclasses.replace(KONA, heat_pump=False)
    assert hvac_kw(KONA, -5.0) < hvac_kw(resistive, -5.0)
    assert hvac_kw(KONA, 5.0) < 0.6 * hvac_kw(resistive, 5.0)
    assert hvac_kw(KONA, -30.0) == pytest.approx(hvac_kw(resistive, -30.0))


def test_hvac_off_leaves_out_only_the_cabin():
    on = segment_energy(BOLT, distance_km=5, speed_kmh=30, ambient_c=-10)
    off = segment_energy(BOLT, distance_km=5, speed_kmh=30, ambient_c=-10, hvac=False)
    assert off.hvac_kwh == 0 and on.hvac_kwh > 0
    assert off.traction_kwh == pytest.approx(on.traction_kwh)
    assert off.conditioning_kwh == pytest.approx(on.conditioning_kwh)


def test_the_battery_is_heated_in_the_cold_and_cooled_in_the_heat_but_not_in_mild_weather():
    cold, mild, hot = (
        segment_energy(BOLT, distance_km=10, speed_kmh=40, ambient_c=t).conditioning_kwh for t in (-20, 20, 45)
    )
    assert cold > 0 and hot > 0 and mild == 0


def test_vectorized_equals_scalar():
    rng = np.random.default_rng(1)
    n = 50
    inputs = {
        "distance_km": rng.uniform(0.1, 20, n),
        "speed_kmh": rng.uniform(5, 130, n),
        "ambient_c": rng.uniform(-30, 45, n),
        "stops_per_km": rng.uniform(0, 4, n),
        "headwind_ms": rng.uniform(-8, 8, n),
        "grade_percent": rng.uniform(-8, 8, n),
        "surface": rng.choice(["dry", "wet", "snow"], n),
        "payload_kg": rng.uniform(0, 500, n),
    }
    vector = segment_energy(ID3, **inputs)
    for i in range(n):
        scalar = segment_energy(ID3, **{key: value[i] for key, value in inputs.items()})
        assert float(scalar.total_kwh) == pytest.approx(vector.total_kwh[i], rel=1e-12)
        assert float(scalar.hvac_kwh) == pytest.approx(vector.hvac_kwh[i], rel=1e-12)


def test_a_steep_descent_never_gives_a_total_below_the_auxiliary_load_nor_nan():
    result = segment_energy(ID3, distance_km=5, speed_kmh=50, ambient_c=20, grade_percent=-12)
    assert result.traction_kwh <= 0
    assert result.total_kwh == pytest.approx(result.auxiliary_kwh)
    mild_descent = segment_energy(ID3, distance_km=5, speed_kmh=50, ambient_c=20, grade_percent=-1)
    flat = segment_energy(ID3, distance_km=5, speed_kmh=50, ambient_c=20)
    assert mild_descent.total_kwh < flat.total_kwh


@pytest.mark.parametrize("params", catalogue_params(), ids=lambda p: f"{p.make} {p.name} {p.variant}")
def test_every_model_gives_finite_positive_energy_over_the_whole_input_range(params):
    grid = np.meshgrid(
        [0.0, 0.5, 50.0], [1.0, 30.0, 130.0], [-40.0, 0.0, 21.0, 60.0], [-20.0, 0.0, 20.0], indexing="ij"
    )
    distance, speed, ambient, grade = (g.ravel() for g in grid)
    result = segment_energy(
        params, distance_km=distance, speed_kmh=speed, ambient_c=ambient, grade_percent=grade, stops_per_km=2
    )
    for part in (result.total_kwh, result.hvac_kwh, result.conditioning_kwh, result.auxiliary_kwh, result.wh_per_km):
        assert np.isfinite(part).all()
    assert (result.total_kwh >= result.auxiliary_kwh - 1e-12).all()
    assert (result.total_kwh[distance == 0] == 0).all()


def test_a_zero_length_segment_has_zero_consumption_per_km_not_nan():
    result = segment_energy(ID3, distance_km=[0.0, 1.0], speed_kmh=50, ambient_c=10)
    assert result.wh_per_km[0] == 0 and result.wh_per_km[1] > 0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("distance_km", {"distance_km": -1.0}),
        ("speed_kmh", {"speed_kmh": -5.0}),
        ("speed_kmh", {"speed_kmh": 0.0}),
        ("ambient_c", {"ambient_c": -41.0}),
        ("ambient_c", {"ambient_c": 61.0}),
        ("ambient_c", {"ambient_c": [10.0, float("nan")]}),
        ("distance_km", {"distance_km": float("nan")}),
        ("stops_per_km", {"stops_per_km": -1.0}),
        ("grade_percent", {"grade_percent": 45.0}),
        ("payload_kg", {"payload_kg": -10.0}),
        ("surface", {"surface": "ice"}),
        ("surface", {"surface": ["dry", "gravel"]}),
    ],
)
def test_bad_input_raises_an_error_naming_the_field(field, kwargs):
    arguments = {"distance_km": 1.0, "speed_kmh": 50.0, "ambient_c": 10.0} | kwargs
    with pytest.raises(EnergyInputError) as caught:
        segment_energy(ID3, **arguments)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)
    assert isinstance(caught.value, ValueError)


def test_the_range_error_states_the_allowed_range():
    with pytest.raises(EnergyInputError, match=r"-40 to 60"):
        segment_energy(ID3, distance_km=1, speed_kmh=50, ambient_c=70)


def test_modelled_mixed_driving_is_within_a_third_of_the_catalogue_planning_figure():
    from fleet.catalogue import VEHICLE_MODELS
    from simulation.calibration import cycle_wh_per_km

    for model, params in zip(VEHICLE_MODELS, catalogue_params()):
        modelled = cycle_wh_per_km(params, ambient_c=12.0)
        assert 0.6 < modelled / model["consumption_wh_per_km"] < 1.35, params.name
