"""The vectorized rainflow counting against the rainflow package (3.2.0, ASTM E1049-85 5.4.4)."""

import numpy as np
import pytest
import rainflow

from simulation.battery.rainflow import extract_cycles


def as_sorted(cycles):
    return sorted((round(r, 9), round(m, 9), c) for r, m, c in cycles)


@pytest.mark.parametrize("kind", ["random walk", "plateaus", "uniform"])
def test_cycles_equal_the_rainflow_package_on_random_profiles(kind):
    rng = np.random.default_rng({"random walk": 1, "plateaus": 2, "uniform": 3}[kind])
    for _ in range(60):
        length = int(rng.integers(3, 120))
        if kind == "random walk":
            series = np.cumsum(rng.normal(size=(4, length)), axis=1)
        elif kind == "plateaus":
            series = np.round(rng.uniform(0, 100, size=(4, length)) / 10) * 10
        else:
            series = rng.uniform(0, 100, size=(4, length))
        cycles = extract_cycles(series)
        for row in range(4):
            mine = cycles.row == row
            ours = as_sorted(zip(cycles.range[mine], cycles.mean[mine], cycles.count[mine]))
            theirs = as_sorted((r, m, c) for r, m, c, *_ in rainflow.extract_cycles(series[row].tolist()))
            assert ours == theirs


def test_a_monotonic_ramp_is_one_half_cycle():
    cycles = extract_cycles(np.array([[10.0, 20.0, 30.0, 40.0]]))
    assert cycles.range.tolist() == [30.0]
    assert cycles.count.tolist() == [0.5]


def test_counted_cycles_keep_the_whole_throughput():
    rng = np.random.default_rng(5)
    series = np.clip(50 + np.cumsum(rng.normal(scale=8, size=(20, 200)), axis=1), 0, 100)
    cycles = extract_cycles(series)
    counted = np.bincount(cycles.row, weights=2 * cycles.count * cycles.range, minlength=20)
    np.testing.assert_allclose(counted, np.abs(np.diff(series, axis=1)).sum(axis=1))


def test_two_samples_count_as_the_half_cycle_between_them():
    # The package yields nothing for a two-sample series; counting the half cycle keeps its throughput.
    cycles = extract_cycles(np.array([[30.0, 70.0]]))
    assert (cycles.range.tolist(), cycles.count.tolist()) == ([40.0], [0.5])
