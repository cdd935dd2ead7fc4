"""The reservation queue and a reservation's life at the station: queued requests are offered connectors that
free up (`queue_serve_later`, then `queue_serve`), a vehicle's arrival fulfils its reservation, the minute job
holds connectors at the stations (ReserveNow) and releases no-shows, and a station that refuses a hold releases it.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from charging.models import ChargingSession, Reservation
from charging.services import notices
from charging.services.reservation_rules import (
    ARRIVAL_EARLY,
    compatible_connectors,
    connector_blocked,
    decision_record,
    holding,
    policy_of,
    queue_order,
    reservation_confirm,
    reservation_release,
    zone_for,
)
from charging.services.vehicles import vehicle_token
from evfleet import formatting
from evfleet.jobs import enqueue
from stations import selectors as station_selectors
from stations import services as station_services
from stations.models import Connector

Status = Reservation.Status


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
    for connector, _power in compatible_connectors(request.vehicle, request.site, rules):
        if connector.pk not in connector_ids or request.requested_connector_id not in (None, connector.pk):
            continue
        if holding([connector], *window).exists():
            continue
        if connector_blocked(connector, request.vehicle, *window, any_connector=request.requested_connector_id is None):
            continue
        try:
            reservation_confirm(request, connector)
        except ValidationError:  # booked a moment ago by someone else (PostgreSQL's constraint said so)
            request.connector, request.status = None, Status.QUEUED
            continue
        request.reason = "a connector freed up; first in the queue"
        request.save(update_fields=["reason", "updated_at"])
        deadline = formatting.local(request.departure_at or request.ends_at, zone_for(request), "%H:%M")
        decision_record(
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
    decision_record(reservation, "fulfilled", f"session {session.pk} started")
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
            decision_record(reservation, "held", f"ReserveNow sent to {reservation.connector.charge_point.identity}")
            counts["held"] += 1
    for reservation in due.filter(status__in=Reservation.HOLDING, session__isnull=True, starts_at__lt=now):
        grace = timedelta(minutes=policy_of(reservation.site).no_show_grace_minutes)
        if reservation.starts_at + grace <= now:
            late = reservation.ends_at <= now
            reservation_release(
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
        reservation_release(reservation, Status.EXPIRED, "expired", "no connector freed up in the window")
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
            decision_record(reservation, "expiring", f"the vehicle is not plugged in; the hold lapses at {lapses}")
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
    decision_record(
        reservation, "hold_refused", f"{command.charge_point.identity} did not hold the connector: {answer}"
    )
