"""Health rows as the nightly job leaves them, for the page and API tests (the job itself is tested with telemetry in
test_health_job.py)."""

from datetime import date, timedelta

import numpy as np

from simulation.battery import health
from simulation.models import HealthDay, VehicleHealth

DAYS = np.arange(0, 3651, 30, dtype=float)


def prediction(*, start: date, soh_percent: float, fade_per_year_percent: float, variance: float = 1.0) -> dict:
    """A stored prediction whose model loses `fade_per_year_percent` a year, linearly."""
    path = np.clip(100.0 - fade_per_year_percent * DAYS / 365.0, 0.0, 100.0)
    mean, low, high = health.predict_band(
        soh_percent=soh_percent, variance=variance, model_path_percent=path, days=DAYS, process_variance_per_day=0.004
    )
    return {
        "start": start.isoformat(),
        "days": [int(d) for d in DAYS],
        "mean": [float(v) for v in mean],
        "low": [float(v) for v in low],
        "high": [float(v) for v in high],
    }


def health_of(vehicle, *, soh_percent: float = 90.0, fade_per_year_percent: float = 2.0, day: date | None = None,
              history_days: int = 0) -> VehicleHealth:  # fmt: skip
    """A vehicle's health row integrated through `day` (default yesterday), with `history_days` history rows."""
    day = day or date.today() - timedelta(days=1)
    row = VehicleHealth.objects.create(
        vehicle=vehicle,
        chemistry="nmc",
        aging_state={},
        model_soh_percent=min(100.0, soh_percent + 1),
        resistance_percent=110.0,
        throughput_kwh=1000.0,
        soh_percent=soh_percent,
        variance=1.0,
        integrated_through=day,
        prediction=prediction(start=day, soh_percent=soh_percent, fade_per_year_percent=fade_per_year_percent),
    )
    HealthDay.objects.bulk_create(
        HealthDay(
            vehicle=vehicle,
            day=day - timedelta(days=k),
            model_soh_percent=min(100.0, soh_percent + 1),
            soh_percent=min(100.0, soh_percent + k * 0.001),
            variance=1.0,
            resistance_percent=110.0,
            throughput_kwh=1000.0 - k,
            telemetry_hours=24,
            soc_profile_percent=[50.0] * 24,
            temperature_profile_c=[20.0] * 24,
        )
        for k in range(history_days)
    )
    return row
