"""The readiness board's rows: each of the user's vehicles with a next planned trip, its readiness (charging's
`fleet_readiness`), grouped by depot, filtered, counted per status and cut to one page, in a constant number of
queries whatever the fleet's size."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Value, When
from django.db.models.functions import Coalesce, NullIf

from accounts.models import User
from accounts.scoping import scoped
from charging.models import ChargingSession
from charging.services.readiness import (
    AT_RISK,
    NOT_PLUGGED_IN,
    READY,
    STATUSES,
    TOLERANCE_PERCENT,
    WILL_BE_READY,
    Readiness,
    current_plans,
    expected_soc,
    fleet_readiness,
)
from charging.services.smart_inputs import OPEN
from fleet.models import Vehicle
from operations.models import Trip
from operations.selectors import next_trip_ids
from stations.models import Connector, Site

PAGE_SIZE = 100
NO_DEPOT = "No depot"


@dataclass
class Filters:
    depot: int | None = None  # a site id; 0: the vehicles without a depot
    status: str = ""
    vehicle_class: str = ""
    within_hours: int | None = None


@dataclass
class Board:
    rows: list[Readiness]  # this page's, in depot order then departure
    counts: dict[str, int]  # per status, of every vehicle the filters (but the status) keep
    total: int  # rows the filters keep
    page: int
    pages: int
    depots: list[tuple[int, str]]  # the user's depots, for the filter


def depot_name(r: Readiness) -> str:
    home = getattr(r.vehicle, "depot", None)
    return home.site.name if home is not None else NO_DEPOT


def _page_readiness(user: User, vehicle_ids: list[int], trip_ids: list[int], now: datetime) -> dict[int, Readiness]:
    """The full readiness (models, reasons, where it is) of the page's vehicles."""
    if not vehicle_ids:
        return {}
    vehicles = scoped(Vehicle.objects.select_related("vehicle_model", "depot__site"), user).filter(pk__in=vehicle_ids)
    trips = {t.vehicle_id: t for t in Trip.objects.filter(pk__in=trip_ids).select_related("depot", "route")}
    return fleet_readiness(vehicles, now=now, trips=trips)


def _kept_trips(user: User, filters: Filters, now: datetime, *, plugged_in: bool = False):
    """The next planned trip of each vehicle the filters (but the status) keep, with the vehicle's plain columns the
    status and the order need: one set-based query to filter, count or page, never 10,000 rows read into Python.
    `plugged_in`: only the vehicles with an open session (their next trips ranked alone: a few hundred, not all)."""
    open_session = ChargingSession.objects.filter(status__in=OPEN, ended_at__isnull=True)
    vehicles = scoped(Vehicle.objects.all(), user)
    if plugged_in:
        vehicles = vehicles.filter(Exists(open_session.filter(vehicle_id=OuterRef("pk"))))
    if filters.depot == 0:
        vehicles = vehicles.filter(depot__isnull=True)
    elif filters.depot:
        vehicles = vehicles.filter(depot__site_id=filters.depot)
    if filters.vehicle_class:
        vehicles = vehicles.filter(vehicle_model__vehicle_class=filters.vehicle_class)
    trips = Trip.objects.filter(pk__in=next_trip_ids(vehicles, now=now))
    if filters.within_hours:
        trips = trips.filter(departs_at__lte=now + timedelta(hours=filters.within_hours))
    return trips.annotate(
        soc=F("vehicle__soc_percent"),
        depot_name=F("vehicle__depot__site__name"),
        label=Coalesce(NullIf(F("vehicle__fleet_number"), Value("")), F("vehicle__vin")),
        # as `fleet_readiness`: its SoC now reaches the trip's required SoC
        ready=Case(
            When(
                vehicle__soc_percent__isnull=False,
                required_soc_percent__isnull=False,
                vehicle__soc_percent__gte=F("required_soc_percent") - 1e-9,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        plugged=Exists(open_session.filter(vehicle_id=OuterRef("vehicle_id"))),
    )


def board(*, user: User, filters: Filters, now: datetime, page: int = 1, page_size: int = PAGE_SIZE) -> Board:
    """The counts per status are computed in the database (ready: its SoC reaches the need; not plugged in: below it
    with no open session), grouped, in one query; only the vehicles plugged in below their need (a few hundred at most:
    one per connector) come into Python, as plain columns, for the SoC the site's plan gives them at departure
    (`expected_soc`, as the full readiness computes it); the page is cut in the database, ordered by depot, departure
    and vehicle, and the full readiness (models, reasons, where it is) is built for its rows only. A constant number
    of queries whatever the fleet's size."""
    trips = _kept_trips(user, filters, now)
    counts = dict.fromkeys(STATUSES, 0)
    for ready, plugged, n in trips.order_by().values_list("ready", "plugged").annotate(n=Count("pk")):
        if ready:
            counts[READY] += n
        elif not plugged:
            counts[NOT_PLUGGED_IN] += n
    # plugged in below the need, with its open session's columns: the plan says whether it will be ready
    session = "vehicle__charging_sessions__"
    below = {
        row[0]: row[1:]
        for row in _kept_trips(user, filters, now, plugged_in=True)
        .filter(**{f"{session}status__in": OPEN, f"{session}ended_at__isnull": True}, ready=False)
        .order_by(f"{session}started_at")  # the newest open session last: the one kept
        .values_list(
            "vehicle_id", "pk", "soc", "departs_at", "required_soc_percent", f"{session}pk",
            f"{session}charge_point__site_id", f"{session}connector__max_power_kw",
            f"{session}connector__current_type", "vehicle__vehicle_model__usable_battery_kwh",
            "vehicle__vehicle_model__max_ac_kw", "vehicle__vehicle_model__max_dc_kw",
            "vehicle__state_of_health_percent",
        )
    }  # fmt: skip
    plans = current_plans({row[5] for row in below.values()})  # (run when empty too: constant queries)
    planned_status = {}  # trip id: WILL_BE_READY or AT_RISK
    for (
        trip_id,
        soc,
        departs,
        required,
        session_id,
        site_id,
        connector_kw,
        current,
        usable,
        ac_kw,
        dc_kw,
        health,
    ) in below.values():
        vehicle_kw = float((dc_kw if current == Connector.CurrentType.DC else ac_kw) or 0)
        expected, _full = expected_soc(
            soc=soc or 0.0, capacity_kwh=float(usable) * health / 100.0,
            rate_kw=min(vehicle_kw, float(connector_kw)), plan=plans.get(site_id), session_id=session_id,
            departs_at=departs, now=now,
        )  # fmt: skip
        ready = required is None or expected + TOLERANCE_PERCENT >= required
        planned_status[trip_id] = WILL_BE_READY if ready else AT_RISK
        counts[planned_status[trip_id]] += 1
    shown = trips
    if filters.status == READY:
        shown = trips.filter(ready=True)
    elif filters.status == NOT_PLUGGED_IN:
        shown = trips.filter(ready=False, plugged=False)
    elif filters.status:
        shown = trips.filter(pk__in=[t for t, status in planned_status.items() if status == filters.status])
    total = counts[filters.status] if filters.status else sum(counts.values())
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    ordered = shown.order_by(F("depot_name").asc(nulls_last=True), "departs_at", "label", "pk")
    cut = list(ordered.values_list("vehicle_id", "pk")[(page - 1) * page_size : page * page_size])
    full = _page_readiness(user, [v for v, _t in cut], [t for _v, t in cut], now)
    rows = [full[v] for v, _t in cut if v in full]
    for r in rows:
        r.group = depot_name(r)  # the board's section
    homes = scoped(Vehicle.objects.all(), user).filter(depot__isnull=False).values("depot__site_id")
    depots = list(Site.objects.filter(pk__in=homes).order_by("name").values_list("pk", "name"))
    return Board(rows=rows, counts=counts, total=total, page=page, pages=pages, depots=depots)
