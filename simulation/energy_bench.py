"""Benchmark of the energy model: 100,000 trip segments (the issue asks for at most 5 s on the 2-core machine).

``energy_bench(n_segments=100_000, seed=0) -> dict`` draws random segments (distance, mean speed, stops, ambient,
head wind, grade, surface, payload) spread over every catalogue model, times ``segment_energy`` on them (one
call per model, as a fleet simulation groups its vehicles by model) and returns a JSON-able summary. Run it with
``python -m simulation.energy_bench``.
"""

from __future__ import annotations

import json
import time

import numpy as np

from simulation.energy import segment_energy
from simulation.vehicles import catalogue_params


def _segments(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "distance_km": rng.uniform(0.2, 30.0, n),
        "speed_kmh": rng.uniform(8.0, 130.0, n),
        "stops_per_km": rng.choice([0.0, 0.2, 1.0, 3.0], n),
        "ambient_c": rng.uniform(-25.0, 40.0, n),
        "headwind_ms": rng.normal(0.0, 3.0, n).clip(-15.0, 15.0),
        "grade_percent": rng.normal(0.0, 2.0, n).clip(-10.0, 10.0),
        "surface": rng.choice(np.array(["dry", "wet", "snow"]), n, p=[0.7, 0.2, 0.1]),
        "payload_kg": rng.uniform(0.0, 300.0, n),
    }


def energy_bench(n_segments: int = 100_000, seed: int = 0) -> dict:
    """Time the energy of ``n_segments`` random segments over every catalogue model."""
    rng = np.random.default_rng(seed)
    models = catalogue_params()
    segments = _segments(n_segments, rng)
    owner = rng.integers(0, len(models), n_segments)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(models) + 1))
    started = time.perf_counter()
    total_kwh = 0.0
    for index, params in enumerate(models):
        rows = order[bounds[index] : bounds[index + 1]]
        breakdown = segment_energy(params, **{key: value[rows] for key, value in segments.items()})
        total_kwh += float(breakdown.total_kwh.sum())
    seconds = time.perf_counter() - started
    return {
        "benchmark": "energy",
        "segments": n_segments,
        "vehicle_models": len(models),
        "seconds": round(seconds, 4),
        "segments_per_second": round(n_segments / seconds),
        "limit_seconds": 5.0,
        "within_limit": seconds <= 5.0,
        "total_kwh": round(total_kwh, 1),
        "seed": seed,
    }


if __name__ == "__main__":
    print(json.dumps(energy_bench(), indent=1))
