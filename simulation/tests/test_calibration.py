import pytest

from simulation.calibration import calibration_table, format_table
from simulation.energy_bench import energy_bench

TABLE = calibration_table()


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r['study']}: {r['condition']}")
def test_every_calibration_row_is_within_its_tolerance(row):
    assert abs(row["model"] - row["published"]) == pytest.approx(abs(row["deviation"]), abs=0.11)
    assert row["within"], f"{row['condition']}: deviation {row['deviation']} > {row['tolerance']}"


def test_the_table_covers_aaa_geotab_and_highway_speed():
    studies = [row["study"] for row in TABLE]
    assert studies.count("AAA 2019") == 4
    assert studies.count("Geotab 2020") == 2
    assert studies.count("Highway speed") >= 3
    assert {row["published"] for row in TABLE if row["study"] == "AAA 2019"} == {-12.0, -41.0, -4.0, -17.0}


def test_cabin_heat_costs_aaa_range_far_more_than_the_cold_alone():
    aaa = {row["condition"]: row["model"] for row in TABLE if row["study"] == "AAA 2019"}
    cold_alone = aaa["-7 °C (20 °F), no cabin heat, range vs 24 °C"]
    with_heat = aaa["-7 °C (20 °F), cabin heat on, range vs 24 °C"]
    assert with_heat < cold_alone - 20


def test_the_table_prints_one_line_per_row():
    assert len(format_table(TABLE).splitlines()) == len(TABLE) + 1


def test_energy_bench_reports_its_figures():
    result = energy_bench(n_segments=2_000, seed=3)
    assert result["segments"] == 2_000 and result["vehicle_models"] == 27
    assert result["total_kwh"] > 0 and result["seconds"] > 0
