"""The station's transactions, as its OCPP messages tell them: Authorize, StartTransaction / StopTransaction
(1.6) and TransactionEvent (2.0.1), and the connector states that move an open session.

The OCPP gateway (stations/ocpp/central.py) calls these, `stations.services` for the station's own state, and
`charging.services.meter_values` for MeterValues. Each function is one transaction and announces what changed
after commit (`session_announce`).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from charging.services import notices, smart_profiles
from charging.services.reservation_queue import queue_serve_later, reservation_fulfil
from charging.services.roaming import station_authorization
from evfleet import live_events
from evfleet.jobs import enqueue
from fleet.models import Vehicle
from fleet.selectors import session_charges_vehicle
from stations import services as station_services
from stations.models import Alert, ChargePoint, Connector
from stations.services import alert_raise, alert_resolve, connectors_at

# The alerts about impossible readings: raised by a reading, resolved by a sane one of the same quantity or when
# the session ends.
READING_ALERTS = (Alert.Kind.METER_BACKWARDS, Alert.Kind.POWER_ABOVE_MAX)


# --- live updates ----------------------------------------------------------------------------


def session_announce(
    session: ChargingSession,
    charge_point: ChargePoint,
    *events: str,
    reading: tuple[float | None, float | None] | None = None,
    connector: Connector | None = None,
) -> None:
    """`session.status` (and `events`, e.g. session.ended) after commit, to the site's department and the
    vehicle's, whose id only that department sees. `reading`: (power_kw, soc_percent) of the latest meter
    reading, when the caller has it; else it is read. `connector`: the session's, when the caller holds it
    (its status is half of whether the session charges its vehicle; fleet.selectors)."""
    if reading is None:
        latest = MeterSample.objects.filter(session=session).order_by("-sampled_at")
        reading = latest.values_list("power_kw", "soc_percent").first() or (None, None)
    payload = live_events.render(
        "session.status",
        id=session.pk,
        transaction_id=session.transaction_id,
        site=charge_point.site_id,
        charge_point=charge_point.pk,
        connector=session.connector_id,
        vehicle=session.vehicle_id,
        status=session.status,
        started_at=session.started_at,
        ended_at=session.ended_at,
        energy_kwh=session.energy_kwh,
        power_kw=0.0 if session.ended_at else reading[0],
        soc_percent=reading[1],
        vehicle_charging=session_charges_vehicle(
            session_status=session.status,
            ended=session.ended_at is not None,
            connector_status=(connector or session.connector).status,
        ),
        last_meter_at=session.last_meter_at,
        stop_reason=session.stop_reason,
        reason=session.reason,
        updated_at=session.updated_at,
    )
    department_id = station_services.department_of(charge_point)
    for event in ("session.status", *events):
        station_services.announce(event, payload, department_id, also_department_id=session.vehicle_department_id,
                  withheld=("vehicle",))  # fmt: skip


def _sessions_superseded(sessions, reason: str, timestamp: datetime) -> None:
    """End the open sessions of `sessions` as aborted, superseded by a newer one, and announce each."""
    ids = list(sessions.values_list("pk", flat=True))
    if not ids:
        return
    ChargingSession.objects.filter(pk__in=ids).update(
        ended_at=timestamp,
        status=ChargingSession.Status.ABORTED,
        stop_reason="superseded",
        reason=reason,
        updated_at=timezone.now(),
    )
    for session in ChargingSession.objects.select_related("charge_point__site", "connector").filter(pk__in=ids):
        session_announce(session, session.charge_point, "session.ended")


# --- authorization and transactions ----------------------------------------------------------


def _authorization(**kwargs):
    return station_authorization(**kwargs)


def _protocol(charge_point: ChargePoint) -> str:
    return charge_point.protocol or ChargePoint.Protocol.OCPP16


def id_token_status(*, token: str, charge_point_id: int) -> str:
    """The answer to a station's Authorize (and to a stop's idTag): the idTagInfo / idTokenInfo status in the
    station's protocol (charging.services.roaming): Accepted; Invalid (1.6) / Unknown (2.0.1) for a tag not
    registered; Blocked or Expired for the token; Invalid / NotAtThisLocation when the roaming policy of the
    site's department does not admit the tag's; Blocked for a vehicle in maintenance or retired; Invalid /
    NotAllowedTypeEVSE when it fits none of the station's connectors; ConcurrentTx when it is charging at
    another station.
    """
    charge_point = ChargePoint.objects.select_related("site__department").get(pk=charge_point_id)
    return _authorization(token=token, charge_point=charge_point).status(_protocol(charge_point))


class DuplicateTransaction(Exception):
    """The station reported a transaction id that is already stored."""


def _authorize_session(
    session: ChargingSession, connector: Connector, id_tag: str, timestamp: datetime, vehicle: Vehicle | None = None
) -> None:
    """Decide on the tag a transaction began with (or was authorized with later) and record it on the session:
    the vehicle, its department, who is billed, what the station was told and, for a refusal, why. The station
    has started already: a refused session is kept, open until the station ends it as OCPP asks it to."""
    if not id_tag:
        return
    charge_point = connector.charge_point
    decision = _authorization(
        token=id_tag, charge_point=charge_point, connector=connector, vehicle=vehicle, session_id=session.pk
    )
    session.id_tag = id_tag
    session.authorization_status = decision.status(_protocol(charge_point))
    session.vehicle_department_id = decision.department_id
    session.customer_id = decision.customer_id
    vehicle_id = decision.vehicle.pk if decision.vehicle is not None else None
    others = ChargingSession.objects.filter(vehicle_id=vehicle_id, ended_at__isnull=True).exclude(pk=session.pk)
    if decision.accepted and vehicle_id is not None and session.ended_at is None:
        # A vehicle charges at one place at a time: a session it left open elsewhere (a lost StopTransaction)
        # has ended, and that connector is free.
        reservation_queue_offer(*others.exclude(connector=connector).values_list("connector_id", flat=True))
        _sessions_superseded(others, f"the vehicle started charging at {connector.label()}", timestamp)
    elif vehicle_id is not None and others.exists():
        vehicle_id = None  # refused while open elsewhere: that session stands, this one keeps the department only
    session.vehicle_id = vehicle_id
    if not decision.accepted:
        session.reason = decision.session_reason(_protocol(charge_point))


def transaction_start(
    *,
    charge_point_id: int,
    evse_id: int,
    connector_id: int,
    id_tag: str,
    meter_start_wh: float,
    timestamp: datetime,
    transaction_id: str | None = None,
) -> ChargingSession:
    """A transaction began. OCPP 1.6: the platform assigns the id; 2.0.1: the station did."""
    connector = connectors_at(charge_point_id, evse_id, connector_id).first()
    if connector is None:
        raise Connector.DoesNotExist(f"connector {evse_id}/{connector_id} is not registered")
    with transaction.atomic():
        if (
            transaction_id is not None
            and ChargingSession.objects.filter(charge_point_id=charge_point_id, transaction_id=transaction_id).exists()
        ):
            raise DuplicateTransaction(transaction_id)
        # A session started from the platform waits, pending, for the station's transaction: adopt it.
        pending = (
            ChargingSession.objects.select_for_update()
            .filter(connector=connector, status=ChargingSession.Status.PENDING, ended_at__isnull=True, id_tag=id_tag)
            .order_by("-created_at")
            .first()
            if id_tag
            else None
        )
        # A station that starts a new transaction on a connector has ended any earlier one.
        earlier = ChargingSession.objects.filter(connector=connector, ended_at__isnull=True)
        if pending is not None:
            earlier = earlier.exclude(pk=pending.pk)
        _sessions_superseded(earlier, "the station started another transaction on the connector", timestamp)
        session = pending or ChargingSession(charge_point_id=charge_point_id, connector=connector)
        session.transaction_id = transaction_id or f"pending-{timezone.now().timestamp()}"
        session.status, session.started_at = ChargingSession.Status.CHARGING, timestamp
        session.meter_start_wh = session.meter_last_wh = meter_start_wh
        _authorize_session(session, connector, id_tag, timestamp, vehicle=pending.vehicle if pending else None)
        session.save()
        refused = session.authorization_status not in ("", "Accepted")
        if not refused:
            _reservation_fulfilled(session)
        notices.session_event(session, "session.started", session.reason if refused else "")
        if transaction_id is None:
            session.transaction_id = str(session.pk)
            ChargingSession.objects.filter(pk=session.pk).update(
                transaction_id=session.transaction_id, updated_at=timezone.now()
            )
        charge_point = ChargePoint.objects.select_related("site").get(pk=charge_point_id)
        smart_charging_replan(charge_point, "arrival")
        session_announce(session, charge_point, "session.started", reading=(None, None), connector=connector)
    return session


def transaction_authorize(*, charge_point_id: int, transaction_id: str, id_tag: str) -> str:
    """OCPP 2.0.1: a TransactionEvent Updated or Ended that carries an idToken; answers its idTokenInfo status. A
    transaction that began without one (cable first, card after) takes it now, with the checks of a start;
    for one that has its tag, the answer is this tag's at the transaction's connector."""
    with transaction.atomic():
        session = (
            ChargingSession.objects.select_for_update(of=("self",))
            .select_related("connector__charge_point__site__department")
            .filter(charge_point_id=charge_point_id, transaction_id=transaction_id)
            .first()
        )
        if session is None:
            return id_token_status(token=id_tag, charge_point_id=charge_point_id)
        connector = session.connector
        if session.id_tag:
            decision = _authorization(
                token=id_tag, charge_point=connector.charge_point, connector=connector, session_id=session.pk
            )
            return decision.status(_protocol(connector.charge_point))
        _authorize_session(session, connector, id_tag, timezone.now())
        session.save(
            update_fields=[
                "id_tag", "authorization_status", "vehicle_department", "customer", "vehicle", "reason", "updated_at"
            ]
        )  # fmt: skip
        if session.authorization_status == "Accepted" and session.ended_at is None:
            _reservation_fulfilled(session)
        return session.authorization_status


REBOOT_REASON = "Reboot"  # OCPP's stop reason; a session the platform closed after its station rebooted


def transaction_stop(
    *, charge_point_id: int, transaction_id: str, meter_stop_wh: float | None, timestamp: datetime, reason: str = ""
) -> ChargingSession | None:
    """A transaction ended. Repeating the stop (stations retry) changes nothing; unknown ids return None."""
    with transaction.atomic():
        session = (
            ChargingSession.objects.select_for_update()
            .filter(charge_point_id=charge_point_id, transaction_id=transaction_id)
            .first()
        )
        if session is not None and session.stop_reason == REBOOT_REASON and meter_stop_wh is not None:
            # closed when the station rebooted without it; the station remembered after all: its figures count
            session.ended_at = None
            session.meter_last_wh = max(session.meter_last_wh, meter_stop_wh)
        if session is None or session.ended_at is not None:
            return session
        if meter_stop_wh is not None and meter_stop_wh >= session.meter_start_wh:
            session.meter_last_wh = meter_stop_wh
        session.energy_kwh = round((session.meter_last_wh - session.meter_start_wh) / 1000.0, 3)
        session.ended_at = max(timestamp, session.started_at)
        session.stop_reason = (reason or "Local")[:40]
        failed = session.energy_kwh <= 0 and reason not in ("", "Local", "Remote", "EVDisconnected")
        session.status = ChargingSession.Status.FAILED if failed else ChargingSession.Status.COMPLETED
        session.save(update_fields=["meter_last_wh", "energy_kwh", "ended_at", "stop_reason", "status", "updated_at"])
        charge_point = ChargePoint.objects.select_related("site").get(pk=charge_point_id)
        smart_charging_replan(charge_point, "departure", ended=session)
        for kind in (Alert.Kind.NO_ENERGY_FLOW, *READING_ALERTS):  # what they watched is over
            alert_resolve(kind=kind, charge_point=charge_point, connector=session.connector)
        _check_repeated_failures(charge_point, session.connector)
        reservation_queue_offer(session.connector_id)
        enqueue("charging.tasks.session_price", session_id=session.pk)
        failed = session.status == ChargingSession.Status.FAILED
        notices.session_event(session, "session.failed" if failed else "session.completed")
        session_announce(session, charge_point, "session.ended")
    return session


def smart_charging_replan(charge_point: ChargePoint, trigger: str, ended: ChargingSession | None = None) -> None:
    """A site with smart charging re-plans after an arrival, a departure or a fault (in the worker, once the change
    is committed); an ended session's profile is cleared."""
    site = charge_point.site
    if site is None or not site.smart_charging:
        return
    if ended is not None:
        transaction.on_commit(lambda: smart_profiles.profile_clear(ended))
    enqueue("charging.tasks.smart_charging_plan", site_id=site.pk, trigger=trigger)


def reservation_queue_offer(*connector_ids: int) -> None:
    """Connectors that may take a vehicle again (a session ended, a fault cleared, Available, maintenance over):
    the reservation queue is offered them once the change is committed."""
    queue_serve_later(connector_ids=list(connector_ids))


def _reservation_fulfilled(session: ChargingSession) -> None:
    """The vehicle arrived: its holding reservation of this connector (now or soon) is fulfilled."""
    if session.vehicle_id is None:
        return
    reservation_fulfil(session=session)


# Connector statuses (1.6) and charging states (2.0.1 TransactionEvent) that move an open session.
SESSION_STATUS_BY_STATION = {
    "Charging": ChargingSession.Status.CHARGING,
    "SuspendedEV": ChargingSession.Status.SUSPENDED_EV,
    "SuspendedEVSE": ChargingSession.Status.SUSPENDED_EVSE,
    "Finishing": ChargingSession.Status.FINISHING,
}


def open_session(connector: Connector) -> ChargingSession | None:
    """The transaction under way on the connector (a pending remote start is not one yet)."""
    return (
        ChargingSession.objects.filter(connector=connector, ended_at__isnull=True)
        .exclude(status=ChargingSession.Status.PENDING)
        .order_by("-started_at")
        .first()
    )


def session_status_from_station(*, connector: Connector, state: str, announce: bool = True) -> ChargingSession | None:
    """The station says how its transaction is going: charging, suspended by the EV or by itself, finishing.
    A change is announced (`session_announce`) unless the caller announces the session itself."""
    status = SESSION_STATUS_BY_STATION.get(state)
    if status is None:
        return None
    session = open_session(connector)
    if session is None or session.status == status:
        return session
    session.status = status
    session.save(update_fields=["status", "updated_at"])
    if status in (ChargingSession.Status.SUSPENDED_EV, ChargingSession.Status.SUSPENDED_EVSE):
        notices.session_event(session, "session.suspended", f"{connector.label()} reports {state}.")
    if announce:
        session_announce(session, connector.charge_point, connector=connector)
    return session


def transaction_state(*, charge_point_id: int, transaction_id: str, state: str) -> ChargingSession | None:
    """OCPP 2.0.1: a TransactionEvent's chargingState for the transaction's session."""
    if state not in SESSION_STATUS_BY_STATION:
        return None
    session = (
        ChargingSession.objects.select_related("connector__charge_point__site")
        .filter(charge_point_id=charge_point_id, transaction_id=transaction_id, ended_at__isnull=True)
        .first()
    )
    return None if session is None else session_status_from_station(connector=session.connector, state=state)


def _check_repeated_failures(charge_point: ChargePoint, connector: Connector) -> None:
    """The last N sessions of a connector all failed: something is wrong with it, not with the vehicles."""
    count = settings.REPEATED_FAILURES_COUNT
    recent = list(
        ChargingSession.objects.filter(connector=connector, ended_at__isnull=False)
        .filter(authorization_status__in=("", "Accepted"))  # a refused tag is no fault of the connector
        .order_by("-ended_at")
        .values_list("status", flat=True)[:count]
    )
    if len(recent) == count and all(s == ChargingSession.Status.FAILED for s in recent):
        alert_raise(
            kind=Alert.Kind.REPEATED_FAILURES,
            severity=Alert.Severity.WARNING,
            charge_point=charge_point,
            connector=connector,
            message=f"{connector.label()}: the last {count} sessions failed",
            details={"sessions": count},
        )
    elif recent and recent[0] == ChargingSession.Status.COMPLETED:
        alert_resolve(kind=Alert.Kind.REPEATED_FAILURES, charge_point=charge_point, connector=connector)
