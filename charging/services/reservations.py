"""Reservations: booking a connector (or any compatible one at a site), the priority queue, pre-emption,
alternatives, and the minute job that holds connectors at the stations and releases no-shows.

The queue is served whenever a connector may have freed up (`queue_serve_later`, called by the station services
when a session ends, a fault clears, a connector becomes Available or maintenance is over; by cancellations and
no-shows here) and, as a safety net, by the minute job.

No two holding (confirmed or active) reservations of one connector overlap: on PostgreSQL an exclusion
constraint guarantees it (migration 0007); everywhere the booking locks the candidate connectors' rows
(SQLite: its IMMEDIATE transaction takes the one write lock) before looking for a free one.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import snapshot
from accounts.models import User
from charging.models import ChargingSession, Reservation
from charging.services.reservation_queue import queue_serve
from charging.services.reservation_rules import (
    alternatives,
    compatible_connectors,
    connector_blocked,
    decision_record,
    holding,
    policy_of,
    reservation_confirm,
    reservation_log,
    reservation_release,
    window_checks,
    zone_for,
)
from charging.services.vehicles import vehicle_label
from evfleet import formatting
from fleet.models import Vehicle
from stations import selectors as station_selectors
from stations.models import Connector, Site

Status = Reservation.Status


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
    window_checks(vehicle=vehicle, site=site, starts_at=starts_at, ends_at=ends_at, departure_at=departure_at)
    zone = zone_for(actor=actor, vehicle=vehicle)
    compatible = compatible_connectors(vehicle, site)
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
        if holding([candidate], starts_at, ends_at).exists():
            continue
        obstacle = connector_blocked(candidate, vehicle, starts_at, ends_at, any_connector=connector is None, zone=zone)
        if not obstacle:
            reservation_confirm(reservation, candidate)
            decision_record(reservation, "confirmed", f"{candidate.label()} is free in the window", actor)
            reservation_log(reservation, actor, None)
            return reservation
        obstacles.append(obstacle)
    victim = _preemptable(reservation, [c for c, _ in compatible])
    if victim is not None:
        return _preempt(reservation, victim, actor)
    blocking = list(holding([c for c, _ in compatible], starts_at, ends_at).select_related("vehicle", "connector"))
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
    decision_record(
        reservation,
        "queued",
        reservation.reason,
        actor,
        alternatives=[o.as_dict() for o in options],
        conflicts=[b.pk for b in blocking],
    )
    reservation_log(reservation, actor, None)
    return reservation


def _preemptable(reservation: Reservation, connectors: list[Connector]) -> Reservation | None:
    """For a critical vehicle at a site that allows it: a low-priority booking not yet under way whose removal
    frees one of the connectors for the whole window."""
    if reservation.priority_class != Vehicle.PriorityClass.CRITICAL or not policy_of(reservation.site).allow_preemption:
        return None
    window = (reservation.starts_at, reservation.ends_at)
    for connector in connectors:
        blocking = list(holding([connector], *window))
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
    reservation_confirm(reservation, connector)
    options = alternatives(
        vehicle=victim.vehicle,
        site=victim.site,
        starts_at=victim.starts_at,
        ends_at=victim.ends_at,
        connector=connector,
    )
    decision_record(
        victim,
        "preempted",
        f"{victim.reason} (site policy: critical may pre-empt low)",
        actor,
        by_reservation=reservation.pk,
        alternatives=[o.as_dict() for o in options],
    )
    decision_record(
        reservation,
        "confirmed",
        f"pre-empted reservation {victim.pk} of low-priority {vehicle_label(victim.vehicle)} on {connector.label()}",
        actor,
        preempted=victim.pk,
    )
    reservation_log(reservation, actor, None)
    reservation_log(victim, actor, before)
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
    reservation_release(reservation, Status.CANCELLED, "cancelled", f"cancelled by {who}", actor)
    reservation_log(reservation, actor, before)
    if was_holding:
        queue_serve(connector_ids=[reservation.connector_id])
    return reservation
