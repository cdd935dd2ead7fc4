"""The activity log's entries for sessions people start, stop or re-plan (the OCPP traffic writes none)."""

from accounts.audit import Action, activity_record, snapshot
from accounts.models import User
from charging.models import ChargingSession
from charging.services.vehicles import vehicle_label


def session_label(session: ChargingSession) -> str:
    """How the activity log names a session: its id, vehicle and connector."""
    vehicle = f" of {vehicle_label(session.vehicle)}" if session.vehicle_id else ""
    return f"session {session.pk}{vehicle} at {session.connector.label()}"


def session_log(session: ChargingSession, *, actor: User | None, before: dict | None) -> None:
    """One activity log entry for a session a person started (before=None) or changed."""
    activity_record(
        action=Action.CREATE if before is None else Action.UPDATE,
        instance=session,
        actor=actor,
        before=before,
        after=snapshot(session),
        object_repr=session_label(session),
    )
