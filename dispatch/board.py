"""The readiness board's rows: each of the user's vehicles with a next planned trip, its readiness (charging's
`fleet_readiness`), grouped by depot, filtered, counted per status and cut to one page, in a constant number of
queries whatever the fleet's size."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

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
    """The full readiness (models, reasons) of a few vehicles: the page's, and those plugged in below their need."""
    if not vehicle_ids:
        return {}
    vehicles = scoped(Vehicle.objects.select_related("vehicle_model", "depot__site"), user).filter(pk__in=vehicle_ids)
    trips = {t.vehicle_id: t for t in Trip.objects.filter(pk__in=trip_ids).select_related("depot", "route")}
    return fleet_readiness(vehicles, now=now, trips=trips)


def board(*, user: User, filters: Filters, now: datetime, page: int = 1, page_size: int = PAGE_SIZE) -> Board:
    """Every kept vehicle's status is read from plain columns (its SoC, its next trip's need, its open session and
    the site's plan: `expected_soc`, as the full readiness computes it); the full readiness, with models, reasons and
    where it is, is built only for the page's rows: 10,000 vehicles cost a handful of light queries, not 50,000
    objects."""
    first = (
        Trip.objects.filter(vehicle_id=OuterRef("pk"), status=Trip.Status.PLANNED, departs_at__gt=now)
        .order_by("departs_at", "pk")
        .values("pk")[:1]
    )
    vehicles = scoped(Vehicle.objects.all(), user).annotate(next_trip=Subquery(first)).filter(next_trip__isnull=False)
    if filters.depot == 0:
        vehicles = vehicles.filter(depot__isnull=True)
    elif filters.depot:
        vehicles = vehicles.filter(depot__site_id=filters.depot)
    if filters.vehicle_class:
        vehicles = vehicles.filter(vehicle_model__vehicle_class=filters.vehicle_class)
    light = {
        pk: (soc, depot or "", label or vin, trip_id)
        for pk, soc, depot, label, vin, trip_id in vehicles.values_list(
            "pk", "soc_percent", "depot__site__name", "fleet_number", "vin", "next_trip"
        )
    }
    trips = Trip.objects.filter(pk__in=vehicles.values("next_trip"))  # a subquery: no list of 10,000 ids
    if filters.within_hours:
        trips = trips.filter(departs_at__lte=now + timedelta(hours=filters.within_hours))
    trip_of = {v: (pk, departs, required) for pk, v, departs, required in trips.values_list(
        "pk", "vehicle_id", "departs_at", "required_soc_percent")}  # fmt: skip
    # the open sessions of the kept vehicles, as plain columns: what a plugged-in vehicle's expected SoC needs
    plugged = {
        row[0]: row[1:]
        for row in ChargingSession.objects.filter(
            vehicle_id__in=vehicles.values("pk"), status__in=OPEN, ended_at__isnull=True
        ).values_list(
            "vehicle_id", "pk", "charge_point__site_id", "connector__max_power_kw", "connector__current_type",
            "vehicle__vehicle_model__usable_battery_kwh", "vehicle__vehicle_model__max_ac_kw",
            "vehicle__vehicle_model__max_dc_kw", "vehicle__state_of_health_percent",
        )
    }  # fmt: skip
    status, needs_plan = {}, []
    for vehicle_id, (_trip, _departs, required) in trip_of.items():
        if vehicle_id not in light:  # its next trip changed between the two reads
            continue
        soc = light[vehicle_id][0]
        if soc is not None and required is not None and soc + 1e-9 >= required:
            status[vehicle_id] = READY
        elif vehicle_id in plugged:
            needs_plan.append(vehicle_id)
        else:
            status[vehicle_id] = NOT_PLUGGED_IN
    plans = current_plans({plugged[v][1] for v in needs_plan})
    for vehicle_id in needs_plan:
        session_id, site_id, connector_kw, current, usable, ac_kw, dc_kw, health = plugged[vehicle_id]
        vehicle_kw = float((dc_kw if current == Connector.CurrentType.DC else ac_kw) or 0)
        required = trip_of[vehicle_id][2]
        expected, _full = expected_soc(
            soc=light[vehicle_id][0] or 0.0, capacity_kwh=float(usable) * health / 100.0,
            rate_kw=min(vehicle_kw, float(connector_kw)), plan=plans.get(site_id), session_id=session_id,
            departs_at=trip_of[vehicle_id][1], now=now,
        )  # fmt: skip
        ready = required is None or expected + TOLERANCE_PERCENT >= required
        status[vehicle_id] = WILL_BE_READY if ready else AT_RISK
    full: dict[int, Readiness] = {}

    def order(vehicle_id):
        depot = light[vehicle_id][1]
        return (not depot, depot, trip_of[vehicle_id][1], light[vehicle_id][2])

    ids = sorted(status, key=order)
    counts = dict.fromkeys(STATUSES, 0)
    for vehicle_id in ids:
        counts[status[vehicle_id]] += 1
    if filters.status:
        ids = [v for v in ids if status[v] == filters.status]
    pages = max(1, -(-len(ids) // page_size))
    page = min(max(1, page), pages)
    shown = ids[(page - 1) * page_size : page * page_size]
    missing = [v for v in shown if v not in full]
    full.update(_page_readiness(user, missing, [trip_of[v][0] for v in missing], now))
    rows = [full[v] for v in shown if v in full]
    for r in rows:
        r.group = depot_name(r)  # the board's section
    homes = scoped(Vehicle.objects.all(), user).filter(depot__isnull=False).values("depot__site_id")
    depots = list(Site.objects.filter(pk__in=homes).order_by("name").values_list("pk", "name"))
    return Board(rows=rows, counts=counts, total=len(ids), page=page, pages=pages, depots=depots)
