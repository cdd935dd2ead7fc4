"""Read side of the fleet: querysets with their joins attached, already scoped to the user."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import TelemetryPoint, Vehicle

LOW_SOC_PERCENT = 20.0


def vehicle_list(*, user: User) -> QuerySet[Vehicle]:
    return scoped(Vehicle.objects.select_related("department", "vehicle_model"), user)


def telemetry_range(*, vehicle: Vehicle, start: datetime, end: datetime) -> QuerySet[TelemetryPoint]:
    """A vehicle's readings in [start, end), oldest first; served by the (vehicle, recorded_at) index."""
    return TelemetryPoint.objects.filter(vehicle=vehicle, recorded_at__gte=start, recorded_at__lt=end).order_by(
        "recorded_at"
    )


def _summary_aggregates() -> dict:
    stale_before = timezone.now() - timedelta(seconds=settings.TELEMETRY_STALE_AFTER_S)
    aggregates = {f"status_{value}": Count("id", filter=Q(status=value)) for value in Vehicle.Status.values}
    aggregates["total"] = Count("id")
    aggregates["low_soc"] = Count("id", filter=Q(soc_percent__lt=LOW_SOC_PERCENT) & ~Q(status=Vehicle.Status.RETIRED))
    aggregates["stale"] = Count(
        "id",
        filter=(Q(last_telemetry_at__lt=stale_before) | Q(last_telemetry_at__isnull=True))
        & ~Q(status=Vehicle.Status.RETIRED),
    )
    aggregates["avg_soc"] = Avg("soc_percent", filter=~Q(status=Vehicle.Status.RETIRED))
    return aggregates


def fleet_summary_by_department() -> dict[int, dict]:
    """Counts by status, low-SoC and stale-telemetry vehicles and mean SoC, per department: one query."""
    rows = Vehicle.objects.values("department_id").annotate(**_summary_aggregates()).order_by()
    return {row.pop("department_id"): row for row in rows}


def fleet_summary(*, user: User) -> dict:
    """The same figures for everything `user` may see, in one query."""
    row = vehicle_list(user=user).aggregate(**_summary_aggregates())
    return row


def combine_summaries(per_department: dict[int, dict], department_ids: set[int] | None) -> dict:
    """Add up per-department summaries (None: all departments); the mean SoC is weighted by vehicles."""
    total: dict = {}
    weighted_soc, soc_weight = 0.0, 0
    for department_id, row in per_department.items():
        if department_ids is not None and department_id not in department_ids:
            continue
        for key, value in row.items():
            if key != "avg_soc":
                total[key] = total.get(key, 0) + value
        if row.get("avg_soc") is not None:
            counted = row["total"] - row.get(f"status_{Vehicle.Status.RETIRED}", 0)
            weighted_soc += row["avg_soc"] * counted
            soc_weight += counted
    total["avg_soc"] = round(weighted_soc / soc_weight, 1) if soc_weight else None
    return total
