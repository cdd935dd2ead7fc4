"""The rules of reservations that booking and the queue share: each site's policy, when a connector is free for a
window (`connector_blocked`: holding reservations, maintenance, a session or Unavailable now, the station offline),
which connectors fit a vehicle, the alternatives offered when a wish cannot be met, and how a decision is recorded,
logged and announced (`decision_record`)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.audit import Action, activity_record, snapshot
from accounts.models import User
from charging.models import ChargingSession, Reservation, ReservationDecision, ReservationPolicy
from charging.models.reservations import PRIORITY_RANK
from charging.services import notices
from charging.services.vehicles import vehicle_can_charge_check, vehicle_label
from evfleet import formatting, live_events, realtime
from fleet.models import Vehicle
from operations.models import Trip
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


def holding(connectors, start: datetime, end: datetime) -> QuerySet[Reservation]:
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


def connector_blocked(
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


def compatible_connectors(vehicle: Vehicle, site: Site, rules=None) -> list[tuple[Connector, Decimal]]:
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
    blocking = holding([connector], start, horizon)
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
    compatible = [(c, p) for c, p in compatible_connectors(vehicle, site) if online(c.charge_point)]
    for candidate, power in compatible:
        if connector is not None and candidate.pk == connector.pk:
            continue
        blocking = holding([candidate], starts_at, ends_at)
        if exclude is not None:
            blocking = blocking.exclude(pk=exclude.pk)
        if not blocking.exists() and not connector_blocked(candidate, vehicle, starts_at, ends_at, any_connector=True):
            options.append(Alternative("other_connector", candidate, starts_at, ends_at, power))
    targets = [(c, p) for c, p in compatible if connector is None or c.pk == connector.pk][:1] if not options else []
    for target, power in targets:
        later = _earliest_window(target, starts_at, ends_at - starts_at, exclude)
        if later is not None:
            options.append(Alternative("later_window", target, later, later + (ends_at - starts_at), power))
    return options[:5]


def decision_record(reservation: Reservation, action: str, reason: str, actor: User | None = None, **details) -> None:
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


def reservation_log(reservation: Reservation, actor: User | None, before: dict | None) -> None:
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


def window_checks(*, vehicle, site, starts_at, ends_at, departure_at) -> None:
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
    """Critical before normal before low, then the earlier departure deadline (the reservation's own, else its
    vehicle's next planned trip leaving after the booking starts, else the booking's end), then who asked first."""
    rank = Case(
        *[When(priority_class=value, then=Value(order)) for value, order in PRIORITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )
    next_trip = Trip.objects.filter(
        vehicle_id=OuterRef("vehicle_id"), status=Trip.Status.PLANNED, departs_at__gt=OuterRef("starts_at")
    ).order_by("departs_at")
    deadline = Coalesce("departure_at", Subquery(next_trip.values("departs_at")[:1]), "ends_at")
    return queryset.annotate(rank=rank, deadline=deadline).order_by("rank", "deadline", "created_at", "pk")


def reservation_confirm(reservation: Reservation, connector: Connector) -> None:
    reservation.connector, reservation.status = connector, Status.CONFIRMED
    try:
        with transaction.atomic():  # the PostgreSQL exclusion constraint is the last word on overlaps
            reservation.full_clean()
            reservation.save()
    except IntegrityError:
        raise ValidationError(
            {"connector": f"{connector.label()} was booked for this window a moment ago; try again."}
        ) from None


def reservation_release(
    reservation: Reservation, status: str, action: str, reason: str, actor: User | None = None
) -> None:
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
    decision_record(reservation, action, reason, actor)
