"""What charging does when a station's connector changes: the receivers of `stations.signals`, connected in
`ChargingConfig.ready()`. They run inside the station's transaction.

- a reported connector status moves the open session (Charging, SuspendedEV, ...) and announces it (the connector's
  status is half of whether the session charges its vehicle), re-plans a smart-charging site when a fault began or
  ended, and offers a freed connector to the reservation queue;
- connectors freed by maintenance go to the reservation queue;
- a refused ReserveNow releases its reservation's hold; a refused remote start fails its pending session.
"""

from django.utils import timezone

from charging.models import ChargingSession
from charging.services import notices
from charging.services.reservation_queue import reservation_hold_refused
from charging.services.transactions import (
    open_session,
    reservation_queue_offer,
    session_announce,
    session_status_from_station,
    smart_charging_replan,
)
from stations import signals


def connector_status_reported(*, connector, status: str, changed: bool, freed: bool, fault_changed: bool, **_) -> None:
    charge_point = connector.charge_point
    if changed:
        session = session_status_from_station(connector=connector, state=status, announce=False)
        session = session or open_session(connector)
        if session is not None:
            session_announce(session, charge_point, connector=connector)
    if fault_changed:
        smart_charging_replan(charge_point, "fault")
    if freed:
        reservation_queue_offer(connector.pk)


def connectors_freed(*, connector_ids: list[int], **_) -> None:
    reservation_queue_offer(*connector_ids)


def command_answered(*, command, accepted: bool, **_) -> None:
    if accepted:
        return
    if command.action == "ReserveNow":
        reservation_hold_refused(command=command)
    refused = ChargingSession.objects.filter(
        remote_start_command=command, status=ChargingSession.Status.PENDING, ended_at__isnull=True
    ).select_related("charge_point__site", "connector", "vehicle")
    for session in refused:
        session.status, session.ended_at = ChargingSession.Status.FAILED, timezone.now()
        error = command.error[:150]
        session.reason = f"the station did not start it: {command.state}{f' ({error})' if error else ''}"
        session.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        notices.session_event(session, "session.failed", session.reason)
        reservation_queue_offer(session.connector_id)
        session_announce(session, session.charge_point, "session.ended")


def connect() -> None:
    """Listen to the stations' signals (ChargingConfig.ready)."""
    signals.connector_status_reported.connect(connector_status_reported, dispatch_uid="charging.connector_status")
    signals.connectors_freed.connect(connectors_freed, dispatch_uid="charging.connectors_freed")
    signals.command_answered.connect(command_answered, dispatch_uid="charging.command_answered")
