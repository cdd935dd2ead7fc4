"""Write side of operations: routes and their stops, duty schedules and the trips they generate, trips. Every
write is validated (`full_clean`, the vehicle's row locked so two writers cannot book it twice), priced by
`operations.need`, logged and announced."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audited_save, model_create, model_delete, model_update
from accounts.models import User
from evfleet import live_events, realtime
from fleet.models import Vehicle
from operations import need as trip_need
from operations import signals
from operations.models import DutySchedule, OperationsPolicy, Route, RouteStop, Trip, VehicleDepot

STOP_FIELDS = ("name", "address", "latitude", "longitude", "window_opens", "window_closes", "service_minutes")


def _announce(event: str, trip: Trip) -> None:
    if event == "trip.deleted":
        payload = live_events.render(event, id=trip.pk)
    else:
        payload = live_events.render(
            event, id=trip.pk, vehicle=trip.vehicle_id, depot=trip.depot_id, departs_at=trip.departs_at,
            returns_at=trip.returns_at, status=trip.status, required_soc_percent=trip.required_soc_percent,
        )  # fmt: skip
    department_id = trip.department_id
    transaction.on_commit(lambda: realtime.publish(event, payload, department_id=department_id))


def _changed(trip: Trip, *vehicle_ids: int | None) -> None:
    """Tell the apps above (charging re-plans) that these vehicles' next departure may have changed."""
    ids = sorted({pk for pk in (trip.vehicle_id, *vehicle_ids) if pk is not None})
    signals.trip_changed.send(sender=Trip, trip=trip, vehicle_ids=ids)


# --- routes -----------------------------------------------------------------------------------------------------


def _set_stops(route: Route, stops: list[dict]) -> None:
    """Replace the route's stops with `stops` (in order); an error names the stop (1-based) and its field."""
    route.stops.all().delete()
    for n, data in enumerate(stops, start=1):
        unknown = set(data) - set(STOP_FIELDS) - {"sequence"}
        if unknown:
            raise ValidationError({f"stops[{n}]": f"Unknown field(s) {', '.join(sorted(unknown))}."})
        stop = RouteStop(route=route, sequence=n, **{k: v for k, v in data.items() if k != "sequence"})
        try:
            stop.full_clean(exclude=["route"])
        except ValidationError as e:
            raise ValidationError(
                {f"stops[{n}].{field}": messages for field, messages in e.message_dict.items()}
            ) from None
        stop.save()


def route_create(*, actor: User | None, stops: list[dict] | None = None, **data: Any) -> Route:
    with transaction.atomic():
        route = model_create(model=Route, data=data, actor=actor)
        _set_stops(route, stops or [])
    return route


def route_update(*, actor: User | None, route: Route, stops: list[dict] | None = None, **data: Any) -> Route:
    with transaction.atomic():
        route = model_update(instance=route, data=data, actor=actor)
        if stops is not None:
            _set_stops(route, stops)
    return route


def route_delete(*, actor: User | None, route: Route) -> None:
    in_use = route.trips.filter(status__in=Trip.ACTIVE).count() + route.duty_schedules.count()
    if in_use:
        raise ValidationError(
            f"{in_use} trip(s) or duty schedule(s) use route {route}; give them another route first.",
            code="route_in_use",
        )
    model_delete(instance=route, actor=actor)


# --- trips ------------------------------------------------------------------------------------------------------


def _priced(trip: Trip) -> None:
    """Compute the trip's need and refuse one the vehicle cannot drive on a full battery."""
    need = trip_need.compute(trip)
    trip_need.check_range(trip, need)


def _lock_vehicle(vehicle_id: int | None) -> None:
    if vehicle_id is not None:
        list(Vehicle.objects.select_for_update().filter(pk=vehicle_id).values_list("pk"))


def _not_in_past(trip: Trip, now: datetime) -> None:
    if trip.departs_at is not None and trip.departs_at < now:
        raise ValidationError(
            {"departs_at": "The departure is in the past: give a time from now on (driven trips are not booked)."},
            code="in_past",
        )


def trip_create(*, actor: User | None, now: datetime | None = None, **data: Any) -> Trip:
    now = now or timezone.now()
    with transaction.atomic():
        trip = Trip(**data)
        if trip.department_id is None and trip.vehicle_id is not None:
            trip.department_id = Vehicle.objects.values_list("department_id", flat=True).get(pk=trip.vehicle_id)
        _lock_vehicle(trip.vehicle_id)
        _not_in_past(trip, now)
        trip.full_clean()
        _priced(trip)  # fills the computed need fields only
        audited_save(trip, actor=actor, before=None, validated=True)
        _announce("trip.created", trip)
        _changed(trip)
    return trip


def trip_update(*, actor: User | None, trip: Trip, now: datetime | None = None, **data: Any) -> Trip:
    now = now or timezone.now()
    with transaction.atomic():
        former_vehicle = trip.vehicle_id
        _lock_vehicle(data.get("vehicle").pk if data.get("vehicle") else trip.vehicle_id)
        moved = "departs_at" in data and data["departs_at"] != trip.departs_at
        for name, value in data.items():
            setattr(trip, name, value)
        if moved:
            _not_in_past(trip, now)
        if trip.status in Trip.ACTIVE:
            trip.full_clean()
            _priced(trip)
            data = {**data, **{k: getattr(trip, k) for k in NEED_FIELDS}}
        trip.refresh_from_db(fields=list(data))
        trip = model_update(instance=trip, data=data, actor=actor)
        _announce("trip.updated", trip)
        _changed(trip, former_vehicle)
    return trip


NEED_FIELDS = (
    "driving_kwh", "climate_kwh", "reserve_kwh", "ambient_temperature_c", "temperature_source",
    "required_soc_percent", "need_computed_at",
)  # fmt: skip


def trip_cancel(*, actor: User | None, trip: Trip) -> Trip:
    if trip.status not in Trip.ACTIVE or trip.status == Trip.Status.UNDER_WAY:
        raise ValidationError({"status": f"A trip that is {trip.get_status_display().lower()} cannot be cancelled."})
    with transaction.atomic():
        trip = model_update(instance=trip, data={"status": Trip.Status.CANCELLED}, actor=actor)
        _announce("trip.updated", trip)
        _changed(trip)
    return trip


def trip_delete(*, actor: User | None, trip: Trip) -> None:
    with transaction.atomic():
        _announce("trip.deleted", trip)
        _changed(trip)
        model_delete(instance=trip, actor=actor)


def trip_depart(*, actor: User | None, trip: Trip, at: datetime | None = None) -> Trip:
    """The vehicle has left on the trip (telematics, the dispatcher or the demo's simulated fleet say so)."""
    if trip.status != Trip.Status.PLANNED:
        raise ValidationError(
            {"status": f"Only a planned trip can leave; this one is {trip.get_status_display().lower()}."}
        )
    with transaction.atomic():
        trip = model_update(
            instance=trip, data={"status": Trip.Status.UNDER_WAY, "departed_at": at or timezone.now()}, actor=actor
        )
        _announce("trip.updated", trip)
    return trip


def trip_return(*, actor: User | None, trip: Trip, at: datetime | None = None) -> Trip:
    """The vehicle is back at its depot."""
    if trip.status != Trip.Status.UNDER_WAY:
        raise ValidationError(
            {"status": f"Only a trip under way can return; this one is {trip.get_status_display().lower()}."}
        )
    at = at or timezone.now()
    with transaction.atomic():
        trip = model_update(instance=trip, data={"status": Trip.Status.COMPLETED, "returned_at": at}, actor=actor)
        _announce("trip.updated", trip)
    return trip


# --- duty schedules ---------------------------------------------------------------------------------------------


def local_datetime(day: date, at, zone: ZoneInfo) -> datetime:
    """`day` at local time `at` in `zone`, as an aware datetime in UTC. A time that does not exist that day (the hour
    skipped when clocks go forward) moves forward by the gap, as the wall clock does; a time that happens twice
    (clocks go back) is its first occurrence."""
    # fold=0 takes the offset in force before the change: in the gap that is the wall clock moved forward (02:30
    # becomes 03:30), in the repeated hour the first occurrence. UTC, as stored (PEP 495: an aware time in a fold
    # compares unequal across zones).
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def schedule_occurrences(schedule: DutySchedule, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The schedule's (departure, return) pairs on the days from `first` to `last`, aware, in the depot's zone."""
    zone = ZoneInfo(schedule.depot.time_zone)
    days = set(schedule.weekday_numbers())
    start = max(first, schedule.valid_from)
    end = min(last, schedule.valid_until) if schedule.valid_until else last
    out = []
    day = start
    while day <= end:
        if day.weekday() in days:
            departs = local_datetime(day, schedule.departs_local, zone)
            back_day = day if schedule.returns_local > schedule.departs_local else day + timedelta(days=1)
            returns = local_datetime(back_day, schedule.returns_local, zone)
            out.append((departs, returns))
        day += timedelta(days=1)
    return out


def schedule_generate(*, schedule: DutySchedule, now: datetime | None = None) -> dict[str, list]:
    """Create the schedule's trips from now to its department's horizon (idempotent: a departure it already has
    is skipped). A day on which the vehicle already has another trip at that time is skipped and reported."""
    now = now or timezone.now()
    out = {"created": [], "skipped": []}
    if not schedule.active:
        return out
    policy = OperationsPolicy.objects.filter(department_id=schedule.department_id).first()
    days = policy.schedule_days if policy else 14
    zone = ZoneInfo(schedule.depot.time_zone)
    today = now.astimezone(zone).date()
    existing = set(schedule.trips.values_list("departs_at", flat=True))
    for departs, returns in schedule_occurrences(schedule, today, today + timedelta(days=days)):
        if departs <= now or departs in existing:
            continue
        data = dict(
            department_id=schedule.department_id, vehicle_id=schedule.vehicle_id, depot_id=schedule.depot_id,
            departs_at=departs, returns_at=returns, route_id=schedule.route_id,
            distance_km=schedule.distance_km if schedule.route_id is None else None,
            road_mix=schedule.road_mix, schedule=schedule,
        )  # fmt: skip
        try:
            with transaction.atomic():
                out["created"].append(trip_create(actor=None, now=now, **data))
        except ValidationError as e:
            out["skipped"].append((departs, "; ".join(m for ms in e.message_dict.values() for m in ms)))
    return out


def schedule_create(*, actor: User | None, now: datetime | None = None, **data: Any) -> DutySchedule:
    with transaction.atomic():
        schedule = model_create(model=DutySchedule, data=data, actor=actor)
        schedule_generate(schedule=schedule, now=now)
    return schedule


def schedule_update(
    *, actor: User | None, schedule: DutySchedule, now: datetime | None = None, **data: Any
) -> DutySchedule:
    """Change the schedule; its planned trips from now on are made anew (those under way or done stay)."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = model_update(instance=schedule, data=data, actor=actor)
        schedule.trips.filter(status=Trip.Status.PLANNED, departs_at__gt=now).delete()
        schedule_generate(schedule=schedule, now=now)
    return schedule


def schedule_delete(*, actor: User | None, schedule: DutySchedule, now: datetime | None = None) -> None:
    """Delete the schedule and its planned trips from now on (past and running trips stay, without a schedule)."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule.trips.filter(status=Trip.Status.PLANNED, departs_at__gt=now).delete()
        model_delete(instance=schedule, actor=actor)


def schedules_generate_all(*, now: datetime | None = None) -> int:
    """Every active schedule's trips up to its horizon: the daily beat job."""
    created = 0
    for schedule in DutySchedule.objects.filter(active=True).select_related("depot"):
        created += len(schedule_generate(schedule=schedule, now=now)["created"])
    return created


def trip_needs_refresh(*, now: datetime | None = None, within: timedelta = timedelta(hours=48)) -> int:
    """Recompute the need of every planned trip departing within `within` (the hourly beat job: the forecast moves,
    and so do the vehicles' state of health and the departments' reserves). A trip whose required SoC changed is
    announced. Returns how many trips changed. A trip now beyond range keeps its need (above 100 %): readiness
    reports it, nothing refuses it here."""
    now = now or timezone.now()
    trips = (
        Trip.objects.filter(status=Trip.Status.PLANNED, departs_at__gt=now, departs_at__lte=now + within)
        .select_related("vehicle__vehicle_model", "depot", "route", "department")
        .prefetch_related("route__stops")
    )
    reserves = dict(OperationsPolicy.objects.values_list("department_id", "reserve_percent"))
    changed = []
    for trip in trips:
        before = (trip.required_soc_percent, trip.driving_kwh, trip.climate_kwh, trip.reserve_kwh)
        trip_need.compute(trip, reserve=reserves.get(trip.department_id, trip_need.DEFAULT_RESERVE_PERCENT))
        after = (trip.required_soc_percent, trip.driving_kwh, trip.climate_kwh, trip.reserve_kwh)
        if after != before:
            changed.append(trip)
    with transaction.atomic():
        Trip.objects.bulk_update(changed, list(NEED_FIELDS), batch_size=500)
        for trip in changed:
            _announce("trip.updated", trip)
    return len(changed)


# --- vehicles' depots and the department's policy ---------------------------------------------------------------


def vehicle_depot_set(*, actor: User | None, vehicle: Vehicle, site) -> VehicleDepot | None:
    """Base `vehicle` at depot `site` (None: no home depot). The depot must be a site of the vehicle's department
    or of one above it."""
    with transaction.atomic():
        current = VehicleDepot.objects.select_for_update().filter(vehicle=vehicle).first()
        if site is None:
            if current is not None:
                model_delete(instance=current, actor=actor)
            return None
        if current is None:
            return model_create(model=VehicleDepot, data={"vehicle": vehicle, "site": site}, actor=actor)
        if current.site_id == site.pk:
            return current
        return model_update(instance=current, data={"site": site}, actor=actor)


POLICY_FIELDS = ("reserve_percent", "schedule_days")


def policy_update(*, actor: User | None, department, **fields: Any) -> OperationsPolicy:
    """Set the department's reserve and schedule horizon (the policy is made on its first change). A longer
    horizon generates the schedules' further trips at once."""
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a setting of the operations policy."))
    with transaction.atomic():
        policy = OperationsPolicy.objects.select_for_update().filter(department=department).first()
        if policy is None:
            policy = model_create(model=OperationsPolicy, data={"department": department, **fields}, actor=actor)
            longer = "schedule_days" in fields
        else:
            longer = fields.get("schedule_days", policy.schedule_days) > policy.schedule_days
            policy = model_update(instance=policy, data=fields, actor=actor)
        if longer:
            for schedule in DutySchedule.objects.filter(department=department, active=True).select_related("depot"):
                schedule_generate(schedule=schedule)
    return policy
