"""Read side of the fleet: querysets with their joins attached, already scoped to the user."""

from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import TelemetryPoint, Vehicle

LOW_SOC_PERCENT = 20.0

# "Charging", the one definition (list, detail, API, fleet summary, dashboards, live events): the vehicle has an
# open session that the station reports as charging, on a connector in use: Charging (OCPP 1.6) or Occupied
# (2.0.1, whose charging state arrives with the transaction). The stored status says only active, in
# maintenance or retired; an active vehicle charging now is shown as charging.
CHARGING_CONNECTOR_STATUSES = ("Charging", "Occupied")
CHARGING_SESSION_STATUS = "charging"


def session_charges_vehicle(*, session_status: str, ended: bool, connector_status: str) -> bool:
    """The definition above for one session in hand (live events, pages that already hold the session)."""
    return not ended and session_status == CHARGING_SESSION_STATUS and connector_status in CHARGING_CONNECTOR_STATUSES


def charging_now(vehicle_ref: str = "pk") -> Exists:
    """The definition above as a query expression on vehicles (`vehicle_ref` names the vehicle's id)."""
    # charging builds on fleet; this one read looks up at its sessions by name rather than by import
    sessions = apps.get_model("charging", "ChargingSession").objects
    return Exists(
        sessions.filter(
            vehicle=OuterRef(vehicle_ref),
            ended_at__isnull=True,
            status=CHARGING_SESSION_STATUS,
            connector__status__in=CHARGING_CONNECTOR_STATUSES,
        )
    )


def current_status() -> Case:
    """A vehicle's status as shown everywhere: charging while an active vehicle charges, else the stored one."""
    return Case(
        When(Q(status=Vehicle.Status.ACTIVE) & Q(charging_now()), then=Value(Vehicle.Status.CHARGING.value)),
        default=F("status"),
    )


def vehicle_list(*, user: User) -> QuerySet[Vehicle]:
    """The user's vehicles, each with `current_status` (see `current_status`)."""
    return with_current_status(scoped(Vehicle.objects.select_related("department", "vehicle_model"), user))


def with_current_status(vehicles: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    return vehicles.annotate(current_status=current_status())


def current_status_of(vehicle: Vehicle) -> str:
    """One vehicle's shown status (one query unless it is in maintenance or retired)."""
    if vehicle.status != Vehicle.Status.ACTIVE:
        return vehicle.status
    return with_current_status(Vehicle.objects.filter(pk=vehicle.pk)).values_list("current_status", flat=True).first()


def telemetry_range(*, vehicle: Vehicle, start: datetime, end: datetime) -> QuerySet[TelemetryPoint]:
    """A vehicle's readings in [start, end), oldest first; served by the (vehicle, recorded_at) index."""
    return TelemetryPoint.objects.filter(vehicle=vehicle, recorded_at__gte=start, recorded_at__lt=end).order_by(
        "recorded_at"
    )


def _summary_aggregates() -> dict:
    stale_before = timezone.now() - timedelta(seconds=settings.TELEMETRY_STALE_AFTER_S)
    aggregates = {f"status_{value}": Count("id", filter=Q(status=value)) for value in Vehicle.Status.values}
    charging = Q(status=Vehicle.Status.ACTIVE) & Q(charging_now())  # see CHARGING_CONNECTOR_STATUSES
    aggregates[f"status_{Vehicle.Status.ACTIVE}"] = Count("id", filter=Q(status=Vehicle.Status.ACTIVE) & ~charging)
    aggregates[f"status_{Vehicle.Status.CHARGING}"] = Count("id", filter=charging)
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
