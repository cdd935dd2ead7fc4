"""Read side of charging: sessions and what a viewer may see of them, the start form's connectors, and what
charging measured for pricing (a site's load, a customer's energy this month; see charging/pricing_usage.py)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Avg, BooleanField, Case, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from charging.models import ChargingSession, MeterSample, Reservation
from pricing.models import Customer
from stations.models import Connector, Site


def session_visibility(queryset: QuerySet[ChargingSession], *, path: str | None) -> QuerySet[ChargingSession]:
    """What a viewer whose departments are the subtree at `path` (None: an administrator, who sees all) may see
    of each session: `vehicle_hidden`, the vehicle (or RFID token) belongs to a department outside theirs, so
    its id, VIN and tag are withheld (a host sees of a visiting vehicle only its fleet number or plate);
    `at_own_site`, the session is at one of their sites, so they may open the station and stop the session."""
    if path is None:
        return queryset.annotate(vehicle_hidden=Value(False), at_own_site=Value(True))
    return queryset.annotate(
        vehicle_hidden=Case(
            When(vehicle_department__isnull=True, then=Value(False)),
            When(vehicle_department__path__startswith=path, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        ),
        at_own_site=Case(
            When(charge_point__site__department__path__startswith=path, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def session_vehicle_label(session: ChargingSession) -> str | None:
    """How the reader of a `session_list` row sees its vehicle: fleet number, else plate, else (a vehicle of
    their departments) the VIN, else "a vehicle of <department>". None: no vehicle is known."""
    vehicle = session.vehicle
    if vehicle is None:
        return None
    if vehicle.fleet_number or vehicle.license_plate:
        return vehicle.fleet_number or vehicle.license_plate
    return f"a vehicle of {session.vehicle_department}" if session.vehicle_hidden else vehicle.vin


def session_vehicle_column(session: ChargingSession) -> str:
    """The vehicle column of a session export: the VIN of a vehicle of the reader's departments, else the label."""
    if session.vehicle_id is None:
        return ""
    return session.vehicle.vin if not session.vehicle_hidden else session_vehicle_label(session)


def session_list(*, user: User, owner_only: bool = False) -> QuerySet[ChargingSession]:
    """The sessions at the user's sites and, unless `owner_only` (what only the host may change), those of
    their vehicles at other departments' sites; annotated by `session_visibility`."""
    sessions = scoped(
        ChargingSession.objects.select_related(
            "charge_point__site", "connector", "vehicle", "vehicle_department", "customer", "tariff_version__tariff"
        ),
        user,
        owner_only=owner_only,
    )
    if getattr(user, "is_admin", False):
        return session_visibility(sessions, path=None)
    return session_visibility(sessions, path=user.department.path if user.department_id else "/none/")


def customer_month_kwh(customer: Customer, *, before: datetime, time_zone: str) -> Decimal:
    """The customer's energy in the calendar month (site time) of `before`, from sessions started earlier."""
    local = before.astimezone(ZoneInfo(time_zone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = ChargingSession.objects.filter(
        customer=customer, started_at__gte=month_start, started_at__lt=before
    ).aggregate(kwh=Sum("energy_kwh"))["kwh"]
    return Decimal(str(round(total or 0.0, 3)))


def site_load_kw(site: Site, start: datetime, end: datetime) -> Decimal:
    """The site's average draw over [start, end): per connector, the mean of its power readings; summed."""
    per_connector = (
        MeterSample.objects.filter(
            connector__charge_point__site=site, sampled_at__gte=start, sampled_at__lt=end, power_kw__isnull=False
        )
        .values("connector_id")
        .annotate(mean=Avg("power_kw"))
    )
    return Decimal(str(round(sum(row["mean"] for row in per_connector), 2)))


@dataclass(frozen=True)
class StartOption:
    """A connector as the start form offers it: `reason` empty when it can start now, else why not (the option is
    shown disabled); `power_kw` what the vehicle would get there (None: no vehicle chosen, or it does not fit)."""

    connector: Connector
    power_kw: Decimal | None
    reason: str
    rank: int  # listed in this order: startable, busy, reserved, offline, out of order, not allowed, incompatible


# The connector statuses a remote start is sent in: free, or a vehicle plugged in waiting for authorization.
STARTABLE = (Connector.Status.AVAILABLE, Connector.Status.PREPARING)


def start_options(*, user: User, vehicle=None, now: datetime | None = None) -> list[StartOption]:
    """Every connector in the user's scope for a remote start, the ones that can start now first (for `vehicle`:
    those it fits, fastest first), then the others with the reason each cannot, as `session_start` would refuse
    them: in use, station offline, not Available, reserved for another vehicle, roaming, incompatible. Four
    queries, and one per other department whose sites the user sees."""
    from charging.roaming_rules import roaming_refusal
    from fleet.connectors import ConnectorType
    from stations import selectors as station_selectors

    now = now or timezone.now()
    open_session = ChargingSession.objects.filter(connector=OuterRef("pk"), ended_at__isnull=True).order_by("-pk")
    connectors = (
        station_selectors.connector_list(user=user)
        .select_related("charge_point__site__department")
        .annotate(open_session=Subquery(open_session.values("pk")[:1]))
        .order_by("charge_point__site__name", "charge_point__identity", "evse_id", "connector_id")
    )
    held = Reservation.objects.filter(
        connector__in=connectors.values("pk"), status__in=Reservation.HOLDING, starts_at__lte=now, ends_at__gt=now
    ).select_related("vehicle")
    if vehicle is not None:
        held = held.exclude(vehicle=vehicle)
    reserved = {r.connector_id: r for r in held}
    rules = station_selectors.active_rules() if vehicle is not None else []
    refusals: dict[int, str | None] = {}
    options = []
    for connector in connectors:
        charge_point, fit = connector.charge_point, None
        if vehicle is not None:
            fit = station_selectors.vehicle_fit(vehicle, connector, rules)
            site = charge_point.site
            if site is not None and site.department_id not in refusals:
                refusals[site.department_id] = roaming_refusal(site.department, vehicle.department)
        reservation = reserved.get(connector.pk)
        # the most lasting reason wins: a connector the vehicle does not fit stays so once it is free
        if vehicle is not None and fit is None:
            inlets = ", ".join(
                ConnectorType(i).label for i in vehicle.vehicle_model.inlets if i in ConnectorType.values
            )
            reason, rank = f"incompatible: the vehicle has {inlets}", 6
        elif vehicle is not None and charge_point.site_id and refusals[charge_point.site.department_id]:
            reason, rank = "roaming not allowed for this vehicle", 5
        elif not charge_point.is_connected:
            reason, rank = "station offline", 3
        elif connector.status in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE, Connector.Status.UNKNOWN):
            reason, rank = Connector.Status(connector.status).label.lower(), 4
        elif connector.open_session is not None:
            reason, rank = f"busy: session {connector.open_session}", 1
        elif connector.status not in STARTABLE:
            reason, rank = f"busy: {Connector.Status(connector.status).label.lower()}", 1
        elif reservation is not None:
            until = timezone.localtime(reservation.ends_at).strftime("%H:%M")
            who = reservation.vehicle.fleet_number or reservation.vehicle.license_plate or reservation.vehicle.vin
            reason, rank = f"reserved for {who} until {until}", 2
        else:
            reason, rank = "", 0
        options.append(StartOption(connector, fit.power_kw if fit else None, reason, rank))
    # sorted() is stable: within a rank the site / station / EVSE order stays
    return sorted(options, key=lambda o: (o.rank, -(o.power_kw or 0) if o.rank == 0 else 0))
