"""Reservations: booking a connector (or any compatible one at a site), the priority queue, pre-emption,
alternatives, and the minute job that holds connectors at the stations and releases no-shows.

The queue is served whenever a connector may have freed up (`queue_serve_later`, called by the station services
when a session ends, a fault clears, a connector becomes Available or maintenance is over; by cancellations and
no-shows here) and, as a safety net, by the minute job.

No two holding (confirmed or active) reservations of one connector overlap: on PostgreSQL an exclusion
constraint guarantees it (migration 0007); everywhere the booking locks the candidate connectors' rows
(SQLite: its IMMEDIATE transaction takes the one write lock) before looking for a free one.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.audit import Action, activity_record, snapshot
from accounts.models import User
from charging.models import ChargingSession, Reservation, ReservationDecision, ReservationPolicy
from charging.models.reservations import PRIORITY_RANK
from charging.services import notices
from charging.services.vehicles import vehicle_can_charge_check, vehicle_label, vehicle_token
from evfleet import formatting, live_events, realtime
from evfleet.jobs import enqueue
from fleet.models import Vehicle
from stations import selectors as station_selectors
from stations import services as station_services
from stations.models import ChargePoint, Connector, MaintenanceWindow, Site

PAST_TOLERANCE = timedelta(seconds=60)  # a window may start up to a minute ago (clocks differ)
ALTERNATIVES_HORIZON = timedelta(days=7)
ARRIVAL_EARLY = timedelta(minutes=30)  # a vehicle plugging in this early fulfils its reservation
STATUS_HORIZON = timedelta(hours=1)  # a connector's state now (in use, Unavailable) matters to windows this close
Status = Reservation.Status


def policy_of(site: Site) -> ReservationPolicy:
    return ReservationPolicy.objects.filter(site=site).first() or ReservationPolicy(site=site)


@dataclass(frozen=True)
class Alternative:
    kind: str  # "other_connector" (same window) or "later_window" (same connector)
    connector: Connector
    starts_at: datetime
    ends_at: datetime
    power_kw: Decimal

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "connector": self.connector.pk,
            "connector_label": self.connector.label(),
            "starts_at": self.starts_at.astimezone(UTC).isoformat(),
            "ends_at": self.ends_at.astimezone(UTC).isoformat(),
            "power_kw": str(self.power_kw),
        }

    def describe(self, zone: tzinfo | None = None) -> str:
        """For people: the connector and the window in `zone` (the active one by default), the zone named."""
        return f"{self.connector.label()} {formatting.span(self.starts_at, self.ends_at, zone)}"

    def __str__(self) -> str:
        return self.describe()


def zone_for(reservation: Reservation | None = None, actor: User | None = None, vehicle: Vehicle | None = None):
    """The zone a reservation's messages speak: that of the person acting (in a request, the page's), else of
    whoever booked it, else of its vehicle's department. The zone is named in every message."""
    for user in (actor, reservation.created_by if reservation is not None else None):
        if user is not None and getattr(user, "department_id", None):
            return formatting.zone_of(user)
    vehicle = vehicle or (reservation.vehicle if reservation is not None else None)
    if vehicle is not None:
        return ZoneInfo(vehicle.department.time_zone)
    return formatting.zone_of(None)


def _holding(connectors, start: datetime, end: datetime) -> QuerySet[Reservation]:
    return Reservation.objects.filter(
        connector__in=connectors, status__in=Reservation.HOLDING, starts_at__lt=end, ends_at__gt=start
    )


def online(charge_point: ChargePoint) -> bool:
    """Connected and heard from: a station that is offline, or has never connected, is no place to send a vehicle."""
    return (
        charge_point.is_connected
        and charge_point.last_seen_at is not None
        and charge_point.status != ChargePoint.Status.OFFLINE
    )


def _maintenance(connector: Connector, start: datetime, end: datetime) -> QuerySet[MaintenanceWindow]:
    windows = MaintenanceWindow.objects.filter(charge_point_id=connector.charge_point_id)
    return windows.filter(starts_at__lt=end, ends_at__gt=start)


def _blocked(
    connector: Connector, vehicle: Vehicle, start: datetime, end: datetime, *, any_connector: bool, zone=None
) -> str:
    """What else takes the connector in the window, besides other bookings ("" if nothing): maintenance of its
    station in the window; for a window starting within the hour, another vehicle charging there or the connector
    Unavailable now; for a booking of any connector of a site, its station offline or never connected. A phrase
    that follows "Taken by" in messages."""
    charge_point = connector.charge_point
    window = _maintenance(connector, start, end).order_by("starts_at").first()
    if window is not None:
        return f"maintenance of {charge_point.identity} {formatting.span(window.starts_at, window.ends_at, zone)}"
    if any_connector and not online(charge_point):
        return f"{charge_point.identity} {'offline' if charge_point.last_seen_at else 'never connected'}"
    if start <= timezone.now() + STATUS_HORIZON:
        session = (
            ChargingSession.objects.filter(connector=connector, ended_at__isnull=True)
            .exclude(vehicle=vehicle)
            .select_related("vehicle")
            .first()
        )
        if session is not None:
            who = vehicle_label(session.vehicle) if session.vehicle_id else "a vehicle"
            return f"session {session.pk} of {who} charging at {connector.label()} now"
        if connector.status == Connector.Status.UNAVAILABLE:
            return f"{connector.label()} Unavailable now"
    return ""


def _compatible(vehicle: Vehicle, site: Site, rules=None) -> list[tuple[Connector, Decimal]]:
    """The site's connectors the vehicle can use, fastest first, with the power it would get."""
    rules = station_selectors.active_rules() if rules is None else rules
    found = []
    connectors = Connector.objects.filter(charge_point__site=site).select_related("charge_point__site")
    for connector in connectors.order_by("charge_point__identity", "evse_id"):
        fit = station_selectors.vehicle_fit(vehicle, connector, rules)
        if fit is not None and connector.status != Connector.Status.FAULTED:
            found.append((connector, fit.power_kw))
    return sorted(found, key=lambda item: -item[1])


def _earliest_window(connector: Connector, start: datetime, duration: timedelta, exclude=None) -> datetime | None:
    """The earliest start at or after `start` when `connector` is free for `duration` (no booking, no
    maintenance of its station)."""
    horizon = start + ALTERNATIVES_HORIZON
    blocking = _holding([connector], start, horizon)
    if exclude is not None:
        blocking = blocking.exclude(pk=exclude.pk)
    busy = sorted(
        [*blocking.values_list("starts_at", "ends_at"), *_maintenance(connector, start, horizon).values_list(
            "starts_at", "ends_at")]
    )  # fmt: skip
    moment = start
    for busy_from, busy_until in busy:
        if busy_from >= moment + duration:
            return moment
        moment = max(moment, busy_until)
    return moment if moment + duration <= horizon else None


def alternatives(
    *,
    vehicle: Vehicle,
    site: Site,
    starts_at: datetime,
    ends_at: datetime,
    connector: Connector | None = None,
    exclude: Reservation | None = None,
) -> list[Alternative]:
    """What a vehicle could have instead of a window it cannot get: another compatible connector at the site
    in the same window, else the earliest window of the same length on the connector asked for. Only stations
    that are online are offered."""
    options = []
    compatible = [(c, p) for c, p in _compatible(vehicle, site) if online(c.charge_point)]
    for candidate, power in compatible:
        if connector is not None and candidate.pk == connector.pk:
            continue
        blocking = _holding([candidate], starts_at, ends_at)
        if exclude is not None:
            blocking = blocking.exclude(pk=exclude.pk)
        if not blocking.exists() and not _blocked(candidate, vehicle, starts_at, ends_at, any_connector=True):
            options.append(Alternative("other_connector", candidate, starts_at, ends_at, power))
    targets = [(c, p) for c, p in compatible if connector is None or c.pk == connector.pk][:1] if not options else []
    for target, power in targets:
        later = _earliest_window(target, starts_at, ends_at - starts_at, exclude)
        if later is not None:
            options.append(Alternative("later_window", target, later, later + (ends_at - starts_at), power))
    return options[:5]


def _decide(reservation: Reservation, action: str, reason: str, actor: User | None = None, **details) -> None:
    decision = ReservationDecision.objects.create(
        reservation=reservation,
        action=action,
        reason=reason[:300],
        details=details,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )
    event = live_events.render(
        "reservation.changed",
        id=reservation.pk,
        vehicle=reservation.vehicle_id,
        site=reservation.site_id,
        requested_connector=reservation.requested_connector_id,
        connector=reservation.connector_id,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        status=reservation.status,
        reason=reservation.reason,
        session=reservation.session_id,
        decision={"action": decision.action, "reason": decision.reason, "decided_at": decision.decided_at},
    )
    department = reservation.site.department_id
    transaction.on_commit(lambda: realtime.publish("reservation.changed", event, department_id=department))
    notices.reservation_event(reservation, action, reason, details.get("alternatives"))


def _log(reservation: Reservation, actor: User | None, before: dict | None) -> None:
    """The activity log's entry for what a person did to a reservation: booked it (before=None), cancelled it,
    or, by booking a critical vehicle, pre-empted it. What the platform decides by itself (offered from the
    queue, held, no-show, expired, fulfilled) is in the reservation's decisions."""
    activity_record(
        action=Action.CREATE if before is None else Action.UPDATE,
        instance=reservation,
        actor=actor,
        before=before,
        after=snapshot(reservation),
    )


def _window_checks(*, vehicle, site, starts_at, ends_at, departure_at) -> None:
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The window must end after it starts."
    elif starts_at < timezone.now() - PAST_TOLERANCE:
        errors["starts_at"] = "The window lies in the past; book from now on."
    else:
        longest = policy_of(site).max_duration_minutes
        if ends_at - starts_at > timedelta(minutes=longest):
            errors["ends_at"] = f"{site} books at most {longest} minutes at a time."
    if departure_at is not None and departure_at < starts_at:
        errors["departure_at"] = "The departure cannot be before the window starts."
    if errors:
        raise ValidationError(errors)
    vehicle_can_charge_check(vehicle)


def queue_order(queryset: QuerySet[Reservation]) -> QuerySet[Reservation]:
    """Critical before normal before low, then the earlier departure deadline, then who asked first."""
    rank = Case(
        *[When(priority_class=value, then=Value(order)) for value, order in PRIORITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )
    return queryset.annotate(rank=rank, deadline=Coalesce("departure_at", "ends_at")).order_by(
        "rank", "deadline", "created_at", "pk"
    )


def _confirm(reservation: Reservation, connector: Connector) -> None:
    reservation.connector, reservation.status = connector, Status.CONFIRMED
    try:
        with transaction.atomic():  # the PostgreSQL exclusion constraint is the last word on overlaps
            reservation.full_clean()
            reservation.save()
    except IntegrityError:
        raise ValidationError(
            {"connector": f"{connector.label()} was booked for this window a moment ago; try again."}
        ) from None


@transaction.atomic
def reservation_request(
    *,
    actor: User | None,
    vehicle: Vehicle,
    starts_at: datetime,
    ends_at: datetime,
    site: Site | None = None,
    connector: Connector | None = None,
    departure_at: datetime | None = None,
    queue: bool = True,
) -> Reservation:
    """Book `connector`, or any compatible connector at `site`, for the window. If none is free: a critical
    vehicle may pre-empt a low-priority booking (site policy); else the request joins the site's queue, or,
    with queue=False, is refused naming the conflicting reservation and the alternatives."""
    if connector is not None:
        if site is not None and connector.charge_point.site_id != site.pk:
            raise ValidationError({"connector": f"{connector.label()} is not at {site}."})
        site = connector.charge_point.site
    if site is None:
        raise ValidationError({"site": "Name a connector, or a site to book any compatible connector there."})
    _window_checks(vehicle=vehicle, site=site, starts_at=starts_at, ends_at=ends_at, departure_at=departure_at)
    zone = zone_for(actor=actor, vehicle=vehicle)
    compatible = _compatible(vehicle, site)
    if connector is not None:
        incompatible = station_selectors.incompatibility_error(vehicle, connector)
        if incompatible is not None:
            raise ValidationError({"connector": incompatible})
        if connector.status == Connector.Status.FAULTED:
            raise ValidationError({"connector": f"{connector.label()} is faulted; book another one or the site."})
        compatible = [(c, p) for c, p in compatible if c.pk == connector.pk]
    elif not compatible:
        raise ValidationError({"site": f"{site} has no connector {vehicle_label(vehicle)} can use."})
    # Lock the candidates, in id order so that two bookings never wait on each other crosswise.
    locked = list(Connector.objects.select_for_update().filter(pk__in=[c.pk for c, _ in compatible]).order_by("pk"))
    assert locked  # noqa: S101  (rows that were just read)
    own = Reservation.objects.filter(
        vehicle=vehicle, status__in=Reservation.HOLDING, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).first()
    if own is not None:
        raise ValidationError(
            {
                "starts_at": f"{vehicle_label(vehicle)} already holds reservation {own.pk} "
                f"({own.connector.label()}, {formatting.span(own.starts_at, own.ends_at, zone)}) in this window."
            }
        )
    reservation = Reservation(
        vehicle=vehicle,
        site=site,
        requested_connector=connector,
        starts_at=starts_at,
        ends_at=ends_at,
        departure_at=departure_at,
        priority_class=vehicle.priority_class,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    obstacles = []  # why a connector without an overlapping booking is not free either
    for candidate, _power in compatible:
        if _holding([candidate], starts_at, ends_at).exists():
            continue
        obstacle = _blocked(candidate, vehicle, starts_at, ends_at, any_connector=connector is None, zone=zone)
        if not obstacle:
            _confirm(reservation, candidate)
            _decide(reservation, "confirmed", f"{candidate.label()} is free in the window", actor)
            _log(reservation, actor, None)
            return reservation
        obstacles.append(obstacle)
    victim = _preemptable(reservation, [c for c, _ in compatible])
    if victim is not None:
        return _preempt(reservation, victim, actor)
    blocking = list(_holding([c for c, _ in compatible], starts_at, ends_at).select_related("vehicle", "connector"))
    options = alternatives(vehicle=vehicle, site=site, starts_at=starts_at, ends_at=ends_at, connector=connector)
    conflict = "; ".join(
        [
            *(
                f"reservation {b.pk} of {vehicle_label(b.vehicle)} on {b.connector.label()} "
                f"{formatting.span(b.starts_at, b.ends_at, zone)}"
                for b in blocking[:3]
            ),
            *dict.fromkeys(obstacles[:3]),
        ]
    )
    offered = "; ".join(o.describe(zone) for o in options) or "none in the next 7 days"
    if not queue:
        refused = ValidationError(
            {"connector" if connector else "site": f"Taken by {conflict}. Alternatives: {offered}."}
        )
        refused.alternatives = options  # what the booking page offers to book with one click
        raise refused
    wanted = f"{connector.label()} is taken" if connector else f"no compatible connector free at {site}"
    reservation.status, reservation.reason = Status.QUEUED, f"{wanted}: {conflict}"[:255]
    reservation.full_clean()
    reservation.save()
    _decide(
        reservation,
        "queued",
        reservation.reason,
        actor,
        alternatives=[o.as_dict() for o in options],
        conflicts=[b.pk for b in blocking],
    )
    _log(reservation, actor, None)
    return reservation


def _preemptable(reservation: Reservation, connectors: list[Connector]) -> Reservation | None:
    """For a critical vehicle at a site that allows it: a low-priority booking not yet under way whose removal
    frees one of the connectors for the whole window."""
    if reservation.priority_class != Vehicle.PriorityClass.CRITICAL or not policy_of(reservation.site).allow_preemption:
        return None
    window = (reservation.starts_at, reservation.ends_at)
    for connector in connectors:
        blocking = list(_holding([connector], *window))
        if len(blocking) != 1:
            continue
        other = blocking[0]
        started = other.session_id is not None or other.starts_at <= timezone.now()
        if other.priority_class == Vehicle.PriorityClass.LOW and other.status == Status.CONFIRMED and not started:
            charging = ChargingSession.objects.filter(
                vehicle_id=other.vehicle_id, connector=connector, ended_at__isnull=True
            )
            if not charging.exists():
                return other
    return None


def _preempt(reservation: Reservation, victim: Reservation, actor: User | None) -> Reservation:
    connector = victim.connector
    before = snapshot(victim)
    victim.status = Status.PREEMPTED
    victim.reason = f"pre-empted by critical vehicle {vehicle_label(reservation.vehicle)}"
    victim.save(update_fields=["status", "reason", "updated_at"])
    _confirm(reservation, connector)
    options = alternatives(
        vehicle=victim.vehicle,
        site=victim.site,
        starts_at=victim.starts_at,
        ends_at=victim.ends_at,
        connector=connector,
    )
    _decide(
        victim,
        "preempted",
        f"{victim.reason} (site policy: critical may pre-empt low)",
        actor,
        by_reservation=reservation.pk,
        alternatives=[o.as_dict() for o in options],
    )
    _decide(
        reservation,
        "confirmed",
        f"pre-empted reservation {victim.pk} of low-priority {vehicle_label(victim.vehicle)} on {connector.label()}",
        actor,
        preempted=victim.pk,
    )
    _log(reservation, actor, None)
    _log(victim, actor, before)
    return reservation


@transaction.atomic
def reservation_cancel(*, actor: User | None, reservation: Reservation) -> Reservation:
    reservation = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("connector__charge_point", "site")
        .get(pk=reservation.pk)
    )
    if reservation.status not in (Status.QUEUED, *Reservation.HOLDING):
        raise ValidationError(
            {"status": f"Reservation {reservation.pk} is {reservation.status}; it cannot be cancelled."}
        )
    was_holding = reservation.status in Reservation.HOLDING
    who = actor.get_username() if actor is not None and actor.is_authenticated else "the system"
    before = snapshot(reservation)
    _release(reservation, Status.CANCELLED, "cancelled", f"cancelled by {who}", actor)
    _log(reservation, actor, before)
    if was_holding:
        queue_serve(connector_ids=[reservation.connector_id])
    return reservation


def _release(reservation: Reservation, status: str, action: str, reason: str, actor: User | None = None) -> None:
    if reservation.held_at_station and reservation.status == Status.ACTIVE:
        charge_point = reservation.connector.charge_point
        if charge_point.is_connected:
            station_services.command_create(
                charge_point=charge_point,
                action="CancelReservation",
                request={"reservationId": reservation.pk},
                actor=actor,
            )
    reservation.status, reservation.reason = status, reason
    reservation.save(update_fields=["status", "reason", "updated_at"])
    _decide(reservation, action, reason, actor)


def queue_serve(*, connector_ids: list[int] | None = None, now: datetime | None = None) -> list[Reservation]:
    """Serve the queue: in queue order, each waiting request whose window has not ended gets the fastest of the
    connectors (those given, else every connector of its site) that it can use and that is free for its whole
    window; a request for a named connector waits for that one. Returns the requests confirmed."""
    now = now or timezone.now()
    with transaction.atomic():
        waiting = Reservation.objects.filter(status=Status.QUEUED, ends_at__gt=now)
        if connector_ids is not None:
            sites = Connector.objects.filter(pk__in=connector_ids).values("charge_point__site_id")
            waiting = waiting.filter(site_id__in=sites)
        site_ids = set(waiting.values_list("site_id", flat=True))
        if not site_ids:
            return []
        # Lock the connectors in id order, as a booking does, so that the two take turns; then the waiting
        # requests, skipping those another transaction is serving (PostgreSQL; SQLite has one writer anyway).
        locked = Connector.objects.select_for_update(of=("self",)).filter(charge_point__site_id__in=site_ids)
        if connector_ids is not None:
            locked = locked.filter(pk__in=connector_ids)
        offered_to = {c.pk for c in locked.order_by("pk")}
        waiting = queue_order(
            waiting.select_for_update(of=("self",), skip_locked=True).select_related(
                "vehicle__vehicle_model", "site", "created_by"
            )
        )
        rules = station_selectors.active_rules()
        return [request for request in waiting if _offer(request, offered_to, rules)]


def _offer(request: Reservation, connector_ids: set[int], rules) -> bool:
    if request.requested_connector_id is not None and request.requested_connector_id not in connector_ids:
        return False
    holds = Reservation.objects.filter(
        vehicle_id=request.vehicle_id,
        status__in=Reservation.HOLDING,
        starts_at__lt=request.ends_at,
        ends_at__gt=request.starts_at,
    )
    if holds.exists():  # it got a connector for that time by another request
        return False
    window = (request.starts_at, request.ends_at)
    for connector, _power in _compatible(request.vehicle, request.site, rules):
        if connector.pk not in connector_ids or request.requested_connector_id not in (None, connector.pk):
            continue
        if _holding([connector], *window).exists():
            continue
        if _blocked(connector, request.vehicle, *window, any_connector=request.requested_connector_id is None):
            continue
        try:
            _confirm(request, connector)
        except ValidationError:  # booked a moment ago by someone else (PostgreSQL's constraint said so)
            request.connector, request.status = None, Status.QUEUED
            continue
        request.reason = "a connector freed up; first in the queue"
        request.save(update_fields=["reason", "updated_at"])
        deadline = formatting.local(request.departure_at or request.ends_at, zone_for(request), "%H:%M")
        _decide(
            request,
            "offered",
            f"{connector.label()} freed up and this request heads the queue "
            f"({request.priority_class}, deadline {deadline})",
        )
        return True
    return False


def queue_serve_later(*, connector_ids: list[int]) -> None:
    """These connectors may have freed up: once the change is committed, offer them to the queue (a task), if
    anyone waits at their sites. Cheap when nobody does: one query."""
    connector_ids = sorted({pk for pk in connector_ids if pk})
    if not connector_ids:
        return
    sites = Connector.objects.filter(pk__in=connector_ids).values("charge_point__site_id")
    waiting = Reservation.objects.filter(status=Status.QUEUED, ends_at__gt=timezone.now(), site_id__in=sites)
    if waiting.exists():
        enqueue("charging.tasks.reservation_queue_serve", connector_ids=connector_ids)


def reservation_fulfil(*, session: ChargingSession) -> Reservation | None:
    """The reserved vehicle started charging on its connector: the reservation is fulfilled."""
    now = timezone.now()
    reservation = (
        Reservation.objects.select_for_update(of=("self",))
        .filter(
            vehicle_id=session.vehicle_id,
            connector_id=session.connector_id,
            status__in=Reservation.HOLDING,
            starts_at__lte=now + ARRIVAL_EARLY,
            ends_at__gt=now,
        )
        .select_related("site")
        .first()
    )
    if reservation is None:
        return None
    reservation.status, reservation.session, reservation.reason = Status.FULFILLED, session, "the vehicle plugged in"
    reservation.save(update_fields=["status", "session", "reason", "updated_at"])
    _decide(reservation, "fulfilled", f"session {session.pk} started")
    return reservation


def _reserve_now(reservation: Reservation) -> bool:
    connector = reservation.connector
    charge_point = connector.charge_point
    if not charge_point.is_connected:
        return False
    token = vehicle_token(reservation.vehicle).token
    expiry = reservation.ends_at.isoformat().replace("+00:00", "Z")
    if charge_point.protocol == "ocpp2.0.1":
        action, payload = (
            "ReserveNow",
            {
                "id": reservation.pk,
                "expiryDateTime": expiry,
                "evseId": connector.evse_id,
                "idToken": {"idToken": token, "type": "Central"},
            },
        )
    else:
        action, payload = (
            "ReserveNow",
            {"connectorId": connector.evse_id, "expiryDate": expiry, "idTag": token, "reservationId": reservation.pk},
        )
    station_services.command_create(charge_point=charge_point, action=action, request=payload, actor=None)
    return True


@transaction.atomic
def reservations_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The minute job: hold connectors at the stations as reservations start (ReserveNow), release no-shows
    after the site's grace (CancelReservation) and offer their connector to the queue, expire what passed, and
    serve the queue wherever a connector is free."""
    now = now or timezone.now()
    counts = {"held": 0, "no_show": 0, "expired": 0, "offered": 0}
    due = Reservation.objects.select_for_update(of=("self",)).select_related(
        "connector__charge_point", "vehicle", "site"
    )
    holdable = due.filter(status=Status.CONFIRMED, starts_at__lte=now + timedelta(minutes=1), ends_at__gt=now)
    for reservation in holdable.exclude(decisions__action="hold_refused"):
        if _reserve_now(reservation):
            reservation.status, reservation.held_at_station = Status.ACTIVE, now
            reservation.save(update_fields=["status", "held_at_station", "updated_at"])
            _decide(reservation, "held", f"ReserveNow sent to {reservation.connector.charge_point.identity}")
            counts["held"] += 1
    for reservation in due.filter(status__in=Reservation.HOLDING, session__isnull=True, starts_at__lt=now):
        grace = timedelta(minutes=policy_of(reservation.site).no_show_grace_minutes)
        if reservation.starts_at + grace <= now:
            late = reservation.ends_at <= now
            _release(
                reservation,
                Status.EXPIRED if late else Status.NO_SHOW,
                "expired" if late else "no_show",
                "the window passed without the vehicle"
                if late
                else f"no-show: not plugged in {grace.seconds // 60} minutes after the start",
            )
            counts["expired" if late else "no_show"] += 1
            if not late:
                counts["offered"] += len(queue_serve(connector_ids=[reservation.connector_id], now=now))
    for reservation in due.filter(status=Status.QUEUED, ends_at__lte=now):
        _release(reservation, Status.EXPIRED, "expired", "no connector freed up in the window")
        counts["expired"] += 1
    # The safety net: a connector that freed up without a word (a lost message, a change made elsewhere).
    counts["offered"] += len(queue_serve(now=now))
    for reservation in due.filter(
        status__in=Reservation.HOLDING, session__isnull=True, starts_at__lt=now, expiry_warned_at__isnull=True
    ):
        grace = timedelta(minutes=policy_of(reservation.site).no_show_grace_minutes)
        if reservation.starts_at + grace / 2 <= now:  # half the grace gone: tell the owner before it lapses
            reservation.expiry_warned_at = now
            reservation.save(update_fields=["expiry_warned_at", "updated_at"])
            lapses = formatting.local(reservation.starts_at + grace, zone_for(reservation), "%H:%M")
            _decide(reservation, "expiring", f"the vehicle is not plugged in; the hold lapses at {lapses}")
    departures = (
        Reservation.objects.filter(departure_at__gt=now - timedelta(minutes=5), departure_at__lte=now)
        .exclude(status=Status.CANCELLED)
        .select_related("vehicle")
    )
    for reservation in departures:
        notices.departure_soc_check(reservation)
    return counts


def reservation_hold_refused(*, command) -> None:
    """The station refused ReserveNow: the booking stands in the platform, but the connector is not held."""
    reservation_id = command.request.get("reservationId", command.request.get("id"))
    reservation = Reservation.objects.filter(pk=reservation_id, status=Status.ACTIVE).select_related("site").first()
    if reservation is None:
        return
    reservation.status, reservation.held_at_station = Status.CONFIRMED, None
    reservation.save(update_fields=["status", "held_at_station", "updated_at"])
    answer = (command.response or {}).get("status") or command.state
    _decide(reservation, "hold_refused", f"{command.charge_point.identity} did not hold the connector: {answer}")
