"""Read side of the state of health: a vehicle's health with its history and observations, and the fleet's vehicles
nearing a threshold with their predicted dates, scoped to the user's departments."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.db.models import QuerySet

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from simulation.battery import health
from simulation.models import CapacityObservation, HealthDay, VehicleHealth

DEFAULT_THRESHOLD_PERCENT = 80.0
THRESHOLD_RANGE_PERCENT = (50.0, 100.0)
HISTORY_DAYS = 365
MAX_HORIZON_DAYS = 3650  # what the nightly job predicts (simulation.services.health.PREDICTION_YEARS)
SORTS = {
    "expected": "expected date",
    "earliest": "earliest date",
    "latest": "latest date",
    "soh": "state of health",
    "vehicle": "vehicle",
}


def health_list(*, user: User) -> QuerySet[VehicleHealth]:
    """The user's vehicles' health rows with the vehicle, its model and department joined."""
    return scoped(
        VehicleHealth.objects.select_related("vehicle", "vehicle__vehicle_model", "vehicle__department"), user
    ).exclude(vehicle__status=Vehicle.Status.RETIRED)


@dataclass(frozen=True)
class Crossing:
    """When a vehicle's predicted SoH reaches a threshold: earliest (the band's low edge), expected, latest (the high
    edge); None where not within the prediction."""

    earliest: date | None
    expected: date | None
    latest: date | None


def crossing(prediction: dict, threshold_percent: float) -> Crossing:
    """The dates `prediction` (a VehicleHealth.prediction) reaches `threshold_percent`."""
    if not prediction or not prediction.get("days"):
        return Crossing(None, None, None)
    start = date.fromisoformat(prediction["start"])
    found = health.date_reaching(
        threshold_percent,
        np.asarray(prediction["days"], dtype=float),
        np.asarray(prediction["mean"], dtype=float),
        np.asarray(prediction["low"], dtype=float),
        np.asarray(prediction["high"], dtype=float),
    )

    def when(offset) -> date | None:
        return None if offset is None else start + timedelta(days=round(float(offset)))

    return Crossing(*(when(offset) for offset in found))


def prediction_until(prediction: dict, horizon_days: int) -> dict:
    """The stored prediction cut to `horizon_days` after its start, with each point's date."""
    if not prediction or not prediction.get("days"):
        return {"start": None, "points": []}
    start = date.fromisoformat(prediction["start"])
    points = [
        {"date": start + timedelta(days=d), "days": d, "mean_percent": m, "low_percent": lo, "high_percent": hi}
        for d, m, lo, hi in zip(
            prediction["days"], prediction["mean"], prediction["low"], prediction["high"], strict=True
        )
        if d <= horizon_days
    ]
    return {"start": start, "points": points}


# what the vehicle page's chart and the API show of each capacity observation
OBSERVATION_FIELDS = (
    "observed_at",
    "energy_kwh",
    "soc_start_percent",
    "soc_end_percent",
    "current_type",
    "soh_percent",
    "variance",
    "source",
    "source_id",
    "used_on",
    "rejected",
)


def vehicles_nearing(
    *, user: User, threshold_percent: float = DEFAULT_THRESHOLD_PERCENT, sort: str = "expected", limit: int = 500
) -> list[dict]:
    """The user's vehicles whose predicted band reaches `threshold_percent` within the prediction, soonest first
    (or by `sort`, a key of SORTS; "-key" descending): one query."""
    rows = []
    for row in health_list(user=user):
        found = crossing(row.prediction, threshold_percent)
        if found.earliest is None:
            continue
        rows.append(
            {
                "vehicle": row.vehicle,
                "health": row,
                "soh_percent": row.soh_percent,
                "variance": row.variance,
                "earliest": found.earliest,
                "expected": found.expected,
                "latest": found.latest,
                # the band's low edge is already under the threshold on the last day aged: possible now
                "possible_now": found.earliest <= row.integrated_through,
            }
        )
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    far = date.max
    orders = {
        "expected": lambda r: (r["expected"] or far, r["earliest"]),
        "earliest": lambda r: (r["earliest"], r["expected"] or far),
        "latest": lambda r: (r["latest"] or far, r["expected"] or far),
        "soh": lambda r: (r["soh_percent"], r["vehicle"].pk),
        "vehicle": lambda r: (r["vehicle"].fleet_number, r["vehicle"].vin),
    }
    rows.sort(key=orders[key], reverse=descending)
    return rows[:limit]


def vehicle_health(*, vehicle: Vehicle, history_days: int = HISTORY_DAYS) -> dict:
    """One vehicle's health row (None before the first run), its history and its capacity observations over the
    last `history_days` days: three queries."""
    current = VehicleHealth.objects.filter(vehicle=vehicle).first()
    until = current.integrated_through if current else date.today()
    since = until - timedelta(days=history_days - 1)
    history = list(
        HealthDay.objects.filter(vehicle=vehicle, day__gte=since)
        .order_by("day")
        .values(
            "day",
            "model_soh_percent",
            "soh_percent",
            "variance",
            "resistance_percent",
            "throughput_kwh",
            "telemetry_hours",
            "observation_used",
        )
    )
    observed = list(
        CapacityObservation.objects.filter(
            vehicle=vehicle, observed_at__gte=datetime.combine(since, time(0), tzinfo=UTC)
        )
        .order_by("observed_at")
        .values(*OBSERVATION_FIELDS)
    )
    return {"current": current, "history": history, "observations": observed}
