"""The readiness board's rows: each of the user's vehicles with a next planned trip, its readiness (charging's
`fleet_readiness`), grouped by depot, filtered, counted per status and cut to one page, in a constant number of
queries whatever the fleet's size."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from accounts.models import User
from accounts.scoping import scoped
from charging.services.readiness import STATUSES, Readiness, fleet_readiness
from fleet.models import Vehicle
from operations.models import Trip
from stations.models import Site

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


def board(*, user: User, filters: Filters, now: datetime, page: int = 1, page_size: int = PAGE_SIZE) -> Board:
    first = (
        Trip.objects.filter(vehicle_id=OuterRef("pk"), status=Trip.Status.PLANNED, departs_at__gt=now)
        .order_by("departs_at", "pk")
        .values("pk")[:1]
    )
    vehicles = (
        scoped(Vehicle.objects.select_related("vehicle_model", "department", "depot__site"), user)
        .annotate(next_trip=Subquery(first))
        .filter(next_trip__isnull=False)
    )
    if filters.depot == 0:
        vehicles = vehicles.filter(depot__isnull=True)
    elif filters.depot:
        vehicles = vehicles.filter(depot__site_id=filters.depot)
    if filters.vehicle_class:
        vehicles = vehicles.filter(vehicle_model__vehicle_class=filters.vehicle_class)
    trips = Trip.objects.filter(pk__in=vehicles.values("next_trip")).select_related("depot", "route")
    if filters.within_hours:
        trips = trips.filter(departs_at__lte=now + timedelta(hours=filters.within_hours))
    trips_by_vehicle = {t.vehicle_id: t for t in trips}
    kept = [v for v in vehicles if v.pk in trips_by_vehicle]
    states = fleet_readiness(kept, now=now, trips=trips_by_vehicle)
    rows = sorted(states.values(), key=lambda r: (depot_name(r) == NO_DEPOT, depot_name(r), r.trip.departs_at,
                                                  r.vehicle.fleet_number or r.vehicle.vin))  # fmt: skip
    counts = dict.fromkeys(STATUSES, 0)
    for r in rows:
        counts[r.status] += 1
        r.group = depot_name(r)  # the board's section
    if filters.status:
        rows = [r for r in rows if r.status == filters.status]
    pages = max(1, -(-len(rows) // page_size))
    page = min(max(1, page), pages)
    homes = scoped(Vehicle.objects.all(), user).filter(depot__isnull=False).values("depot__site_id")
    depots = list(Site.objects.filter(pk__in=homes).order_by("name").values_list("pk", "name"))
    return Board(rows=rows[(page - 1) * page_size : page * page_size], counts=counts, total=len(rows), page=page,
                 pages=pages, depots=depots)  # fmt: skip
