"""Read side of operations: scoped querysets, and each vehicle's next departure (what charging plans for)."""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from operations.models import DutySchedule, Route, Trip


def trip_list(*, user: User) -> QuerySet[Trip]:
    return scoped(Trip.objects.select_related("vehicle__vehicle_model", "depot", "route", "department"), user)


def route_list(*, user: User) -> QuerySet[Route]:
    return scoped(Route.objects.prefetch_related("stops"), user)


def schedule_list(*, user: User) -> QuerySet[DutySchedule]:
    return scoped(DutySchedule.objects.select_related("vehicle", "depot", "route"), user)


def next_trips(vehicle_ids, *, now: datetime) -> dict[int, Trip]:
    """Each vehicle's next trip that has not left yet (the earliest planned departure after `now`), in one query."""
    first = (
        Trip.objects.filter(vehicle_id=OuterRef("pk"), status=Trip.Status.PLANNED, departs_at__gt=now)
        .order_by("departs_at", "pk")
        .values("pk")[:1]
    )
    trip_ids = (
        Vehicle.objects.filter(pk__in=list(vehicle_ids))
        .annotate(next_trip=Subquery(first))
        .filter(next_trip__isnull=False)
        .values_list("next_trip", flat=True)
    )
    trips = Trip.objects.filter(pk__in=list(trip_ids)).select_related("depot", "route")
    return {trip.vehicle_id: trip for trip in trips}
