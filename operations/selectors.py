"""Read side of operations: scoped querysets, and each vehicle's next departure (what charging plans for)."""

from datetime import datetime

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from operations.models import DutySchedule, Route, Trip
from stations.models import Site


def trip_list(*, user: User) -> QuerySet[Trip]:
    return scoped(Trip.objects.select_related("vehicle__vehicle_model", "depot", "route", "department"), user)


def route_list(*, user: User) -> QuerySet[Route]:
    return scoped(Route.objects.prefetch_related("stops"), user)


def schedule_list(*, user: User) -> QuerySet[DutySchedule]:
    return scoped(DutySchedule.objects.select_related("vehicle", "depot", "route"), user)


def next_trip_ids(vehicles: QuerySet[Vehicle], *, now: datetime) -> QuerySet[Trip]:
    """The ids of each of `vehicles`' next trip that has not left yet (the earliest planned departure after `now`,
    the lower id on a tie), as a subquery to filter on: one ROW_NUMBER() per vehicle over its planned trips, set-based
    on PostgreSQL and SQLite alike, rather than a correlated "first trip" subquery run once per vehicle."""
    ranked = Trip.objects.filter(
        status=Trip.Status.PLANNED, departs_at__gt=now, vehicle_id__in=vehicles.values("pk")
    ).annotate(
        rank=Window(RowNumber(), partition_by=[F("vehicle_id")], order_by=[F("departs_at").asc(), F("pk").asc()])
    )
    return ranked.filter(rank=1).values("pk")


def next_trips(vehicle_ids, *, now: datetime) -> dict[int, Trip]:
    """Each vehicle's next trip that has not left yet (the earliest planned departure after `now`), in one query."""
    vehicles = Vehicle.objects.filter(pk__in=list(vehicle_ids))
    trips = Trip.objects.filter(pk__in=next_trip_ids(vehicles, now=now)).select_related("depot", "route")
    return {trip.vehicle_id: trip for trip in trips}


def vehicle_choices(*, user: User) -> QuerySet[Vehicle]:
    """The vehicles a user may plan work for, as form choices (with their model, for the label)."""
    return scoped(Vehicle.objects.select_related("vehicle_model"), user).order_by("fleet_number", "vin")


def depot_choices(*, user: User) -> QuerySet[Site]:
    """The sites a user's vehicles may leave from."""
    return scoped(Site.objects.all(), user).order_by("name")


def vehicle_depot_list(*, user: User) -> QuerySet[Vehicle]:
    """The user's vehicles with their home depot (`vehicle.depot.site`, or none)."""
    return scoped(Vehicle.objects.select_related("vehicle_model", "department", "depot__site"), user).order_by(
        "fleet_number", "vin"
    )
