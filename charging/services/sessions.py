"""Sessions started and stopped from the platform (API, dashboard): the checks, the pending session and the
remote start sent to the station. The station's own transaction messages: charging.services.transactions."""

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import snapshot
from accounts.models import User
from charging.models import ChargingSession, Reservation
from charging.roaming_rules import roaming_refusal
from charging.selectors import STARTABLE
from charging.services import notices, transactions
from charging.services.reservation_queue import queue_serve_later
from charging.services.session_log import session_label, session_log
from charging.services.vehicles import vehicle_can_charge_check, vehicle_label, vehicle_token
from evfleet import formatting
from fleet.models import Vehicle
from stations import selectors as station_selectors
from stations import services as station_services
from stations.models import Connector, OcppCommand

OPEN = ChargingSession.objects.filter(ended_at__isnull=True)


def _remote_start_payload(connector: Connector, token: str, session: ChargingSession) -> tuple[str, dict]:
    if connector.charge_point.protocol == "ocpp2.0.1":
        return "RequestStartTransaction", {
            "evseId": connector.evse_id,
            "remoteStartId": session.pk,
            "idToken": {"idToken": token, "type": "Central"},
        }
    return "RemoteStartTransaction", {"connectorId": connector.evse_id, "idTag": token}


@transaction.atomic
def session_start(*, actor: User | None, vehicle: Vehicle, connector: Connector) -> ChargingSession:
    """Start charging `vehicle` at `connector` now: a pending session, and the remote start to the station.
    The session starts charging when the station reports its transaction, or fails if the station says no."""
    vehicle_can_charge_check(vehicle)
    incompatible = station_selectors.incompatibility_error(vehicle, connector)
    if incompatible is not None:
        raise ValidationError({"connector": incompatible})
    # One start per connector at a time: the connector row is the lock; its state is read fresh under it.
    connector = Connector.objects.select_for_update(of=("self",)).select_related("charge_point").get(pk=connector.pk)
    charge_point = connector.charge_point
    refusal = roaming_refusal(charge_point.site.department, vehicle.department) if charge_point.site_id else None
    if refusal is not None:  # the station would refuse the tag: say so now (charging.services.roaming)
        raise ValidationError({"vehicle": ValidationError(refusal[0].upper() + refusal[1:] + ".", code="roaming")})
    if not charge_point.is_connected:
        raise ValidationError({"connector": f"{charge_point.identity} is offline; it cannot be started remotely."})
    open_here = OPEN.filter(connector=connector).first()
    if open_here is not None:
        raise ValidationError({"connector": f"{connector.label()} is in use by session {open_here.pk}."})
    if connector.status not in STARTABLE:
        raise ValidationError(
            {"connector": f"{connector.label()} is {connector.status}; it must be Available (or Preparing)."}
        )
    open_vehicle = OPEN.filter(vehicle=vehicle).select_related("connector__charge_point").first()
    if open_vehicle is not None:
        raise ValidationError(
            {
                "vehicle": f"{vehicle_label(vehicle)} already has session {open_vehicle.pk} at "
                f"{open_vehicle.connector.label()}; stop it first."
            }
        )
    now = timezone.now()
    held = (
        Reservation.objects.filter(
            connector=connector, status__in=Reservation.HOLDING, starts_at__lte=now, ends_at__gt=now
        )
        .exclude(vehicle=vehicle)
        .select_related("vehicle")
        .first()
    )
    if held is not None:
        raise ValidationError(
            {
                "connector": f"{connector.label()} is reserved for {vehicle_label(held.vehicle)} until "
                f"{formatting.local(held.ends_at, formatting.zone_of(actor))} (reservation {held.pk})."
            }
        )
    token = vehicle_token(vehicle)
    try:
        with transaction.atomic():
            session = ChargingSession.objects.create(
                charge_point=charge_point,
                connector=connector,
                transaction_id=f"pending-{uuid.uuid4().hex[:24]}",
                id_tag=token.token,
                vehicle=vehicle,
                vehicle_department_id=vehicle.department_id,
                customer_id=token.customer_id or vehicle.customer_id,
                status=ChargingSession.Status.PENDING,
                started_at=now,
            )
    except IntegrityError:  # a concurrent start of the same vehicle won
        raise ValidationError({"vehicle": f"{vehicle_label(vehicle)} was just started elsewhere."}) from None
    action, payload = _remote_start_payload(connector, token.token, session)
    session.remote_start_command = station_services.command_create(
        charge_point=charge_point, action=action, request=payload, actor=actor
    )
    session.save(update_fields=["remote_start_command", "updated_at"])
    session_log(session, actor=actor, before=None)
    transactions.session_announce(session, charge_point, reading=(None, None))
    return session


@transaction.atomic
def session_stop(*, actor: User | None, session: ChargingSession) -> OcppCommand | None:
    """Stop a session: a remote stop to the station, or, before the station started it, cancel it here."""
    session = (
        ChargingSession.objects.select_for_update(of=("self",))
        .select_related("charge_point__site", "connector__charge_point", "vehicle")
        .get(pk=session.pk)
    )
    if session.ended_at is not None:
        raise ValidationError({"session": f"Session {session.pk} has already ended ({session.status})."})
    if session.status == ChargingSession.Status.PENDING:
        before = snapshot(session)
        session.status, session.ended_at = ChargingSession.Status.ABORTED, timezone.now()
        session.reason = "cancelled before the station started it"
        session.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        session_log(session, actor=actor, before=before)
        _connector_freed(session)
        transactions.session_announce(session, session.charge_point, "session.ended")
        return None
    charge_point = session.charge_point
    if not charge_point.is_connected:
        raise ValidationError({"session": f"{charge_point.identity} is offline; stop the session at the station."})
    action = "RequestStopTransaction" if charge_point.protocol == "ocpp2.0.1" else "RemoteStopTransaction"
    transaction_id = session.transaction_id if action == "RequestStopTransaction" else int(session.transaction_id)
    return station_services.command_request(
        charge_point=charge_point,
        action=action,
        request={"transactionId": transaction_id},
        actor=actor,
        about=f" (stop {session_label(session)})",
    )


def _connector_freed(session: ChargingSession) -> None:
    """The session ended before it began: its connector is offered to the reservation queue."""
    queue_serve_later(connector_ids=[session.connector_id])


PENDING_FOR_AT_MOST = timedelta(minutes=5)


def pending_sessions_expire(*, now=None) -> int:
    """A station that accepted a remote start but never began a transaction: the pending session fails after
    a few minutes, so it no longer blocks the connector and the vehicle."""
    now = now or timezone.now()
    stale = ChargingSession.objects.filter(
        status=ChargingSession.Status.PENDING, ended_at__isnull=True, started_at__lte=now - PENDING_FOR_AT_MOST
    ).select_related("charge_point__site", "connector", "vehicle")
    count = 0
    with transaction.atomic():
        for session in stale.select_for_update(of=("self",)):
            session.status, session.ended_at = ChargingSession.Status.FAILED, now
            session.reason = (
                f"the station did not begin a transaction within {PENDING_FOR_AT_MOST.seconds // 60} minutes"
            )
            session.save(update_fields=["status", "ended_at", "reason", "updated_at"])
            notices.session_event(session, "session.failed", session.reason)
            _connector_freed(session)
            transactions.session_announce(session, session.charge_point, "session.ended")
            count += 1
    return count
