"""Write side of stations: what the OCPP central system, the API, the admin and the tasks change.

OCPP handlers call these from the consumer through `database_sync_to_async`; each function is one
transaction and announces what changed to the dashboards after commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.audit import Action, activity_record, model_create, model_delete, model_update, snapshot
from accounts.models import User
from charging import tasks as charging_tasks
from charging.models import ChargingSession, MeterSample
from evfleet import live_events, realtime
from fleet.models import Vehicle
from fleet.selectors import session_charges_vehicle
from stations import status as derive
from stations.models import (
    Alert,
    ChargePoint,
    Connector,
    ConnectorStatusChange,
    MaintenanceWindow,
    OcppCommand,
    Site,
    validate_ocpp_identity,
)

ADMINS_ONLY = realtime.ADMINS_ONLY
# A reading above a connector's maximum power by more than this factor raises an alert (meter tolerance).
POWER_TOLERANCE = 1.1
# An energy reading more than this below the session's latest is the meter going backwards (rounding tolerance).
METER_BACKWARDS_TOLERANCE_WH = 1.0


# --- live updates ----------------------------------------------------------------------------


def _department_of(charge_point: ChargePoint) -> int:
    return charge_point.site.department_id if charge_point.site_id else ADMINS_ONLY


def _announce(event: str, payload: dict[str, Any], department_id: int, **routing: Any) -> None:
    """Publish a payload made by live_events.render after commit."""
    transaction.on_commit(lambda: realtime.publish(event, payload, department_id=department_id, **routing))


def _announce_status(charge_point: ChargePoint, connector: Connector | None = None) -> None:
    payload = live_events.render(
        "station.status",
        charge_point=charge_point.pk,
        identity=charge_point.identity,
        site=charge_point.site_id,
        status=charge_point.status,
        status_since=charge_point.status_since,
        is_connected=charge_point.is_connected,
        connector=None
        if connector is None
        else {
            "id": connector.pk,
            "evse_id": connector.evse_id,
            "connector_id": connector.connector_id,
            "status": connector.status,
            "error_code": connector.error_code,
            "status_since": connector.status_since,
        },
    )
    _announce("station.status", payload, _department_of(charge_point))


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
    department_id = _department_of(charge_point)
    for event in ("session.status", *events):
        _announce(event, payload, department_id, also_department_id=session.vehicle_department_id,
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


def _maintenance_active(charge_point: ChargePoint, now: datetime) -> bool:
    return charge_point.maintenance_windows.filter(starts_at__lte=now, ends_at__gt=now).exists()


def charge_point_refresh_status(charge_point: ChargePoint, *, now: datetime | None = None) -> bool:
    """Recompute the derived status; store and announce it when it changed. Returns whether it did."""
    now = now or timezone.now()
    new = derive.charge_point_status(
        connector_statuses=charge_point.connectors.values_list("status", flat=True),
        connected=charge_point.is_connected,
        last_seen_at=charge_point.last_seen_at,
        heartbeat_interval_s=charge_point.heartbeat_interval_s,
        in_maintenance=_maintenance_active(charge_point, now),
        now=now,
    )
    if new == charge_point.status:
        return False
    charge_point.status, charge_point.status_since = new, now
    ChargePoint.objects.filter(pk=charge_point.pk).update(status=new, status_since=now, updated_at=now)
    _announce_status(charge_point)
    return True


# --- alerts ----------------------------------------------------------------------------------


def _alert_place(charge_point: ChargePoint | None, connector: Connector | None, site: Site | None) -> dict:
    """The lookup of the open alert at a place: a connector, a whole station, or a whole site."""
    if charge_point is not None:
        return {"charge_point": charge_point, "connector": connector}
    if site is None:
        raise ValueError("An alert is about a charge point or a site.")
    return {"site": site, "charge_point__isnull": True}


def alert_raise(
    *,
    kind: str,
    severity: str,
    charge_point: ChargePoint | None = None,
    message: str,
    connector: Connector | None = None,
    site: Site | None = None,
    details: dict | None = None,
    now: datetime | None = None,
) -> Alert:
    """Open an alert, or count another occurrence of the one already open for this kind and place.

    The place is a connector or a whole charge point (`charge_point`, with its site), or a whole `site`."""
    now = now or timezone.now()
    lookup = {"kind": kind, **_alert_place(charge_point, connector, site), "resolved_at__isnull": True}
    site = charge_point.site if charge_point is not None else site
    with transaction.atomic():
        updated = Alert.objects.filter(**lookup).update(
            occurrences=F("occurrences") + 1,
            last_seen_at=now,
            message=message[:255],
            details=details or {},
            updated_at=now,
        )
        if updated:
            return Alert.objects.get(**lookup)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    kind=kind,
                    severity=severity,
                    site=site,
                    charge_point=charge_point,
                    connector=connector,
                    message=message[:255],
                    details=details or {},
                    opened_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:  # opened concurrently by another process: count it there
            Alert.objects.filter(**lookup).update(occurrences=F("occurrences") + 1, last_seen_at=now, updated_at=now)
            return Alert.objects.get(**lookup)
        payload = live_events.render(
            "alert.opened",
            id=alert.pk,
            kind=kind,
            severity=severity,
            message=alert.message,
            site=site.pk if site else None,
            charge_point=charge_point.pk if charge_point else None,
            connector=connector.pk if connector else None,
            opened_at=alert.opened_at,
        )
        _announce("alert.opened", payload, site.department_id if site else ADMINS_ONLY)
        _tell("alert_event", alert)
    return alert


def alert_resolve(
    *,
    kind: str,
    charge_point: ChargePoint | None = None,
    connector: Connector | None = None,
    site: Site | None = None,
    now: datetime | None = None,
) -> int:
    """Resolve the open alert of this kind and place, if any (the condition cleared)."""
    now = now or timezone.now()
    lookup = {"kind": kind, **_alert_place(charge_point, connector, site), "resolved_at__isnull": True}
    site = charge_point.site if charge_point is not None else site
    ids = list(Alert.objects.filter(**lookup).values_list("id", flat=True))
    if not ids:
        return 0
    Alert.objects.filter(pk__in=ids).update(resolved_at=now, updated_at=now)
    for alert_id in ids:
        payload = live_events.render(
            "alert.resolved",
            id=alert_id,
            kind=kind,
            site=site.pk if site else None,
            charge_point=charge_point.pk if charge_point else None,
            connector=connector.pk if connector else None,
            resolved_at=now,
        )
        _announce("alert.resolved", payload, site.department_id if site else ADMINS_ONLY)
    return len(ids)


# --- the station's session -------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectResult:
    accepted: bool
    charge_point_id: int | None = None
    reason: str = ""


def station_connect(*, identity: str, password: str | None, protocol: str, token: str = "") -> ConnectResult:
    """Admit a station's WebSocket: known identity and, if it has one, the right password (profile 1).

    `token` names the socket (server process and connection): a newer socket of the same station takes
    the station over, and only the socket it names marks the station offline when it closes."""
    charge_point = ChargePoint.objects.select_related("site").filter(identity=identity).first()
    if charge_point is None:
        if settings.OCPP_UNKNOWN_STATIONS != "pending":
            return ConnectResult(False, reason=f"unknown charge point {identity}")
        try:
            validate_ocpp_identity(identity)
        except ValidationError:
            return ConnectResult(False, reason=f"identity {identity[:60]!r} is not a valid OCPP identity")
        charge_point = ChargePoint.objects.create(
            identity=identity, site=None, registration_status=ChargePoint.Registration.PENDING
        )
    if charge_point.registration_status == ChargePoint.Registration.REJECTED:
        return ConnectResult(False, charge_point.pk, reason="registration rejected")
    if charge_point.password_hash and not (password and check_password(password, charge_point.password_hash)):
        return ConnectResult(False, charge_point.pk, reason="wrong or missing password")
    now = timezone.now()
    with transaction.atomic():
        ChargePoint.objects.filter(pk=charge_point.pk).update(
            is_connected=True,
            protocol=protocol,
            last_seen_at=now,
            connection_token=token,
            connection_checked_at=now,
            updated_at=now,
        )
        charge_point.is_connected, charge_point.protocol, charge_point.last_seen_at = True, protocol, now
        charge_point_refresh_status(charge_point, now=now)
        alert_resolve(kind=Alert.Kind.MISSED_HEARTBEAT, charge_point=charge_point, now=now)
    return ConnectResult(True, charge_point.pk)


def station_disconnect(*, charge_point_id: int, token: str | None = None) -> bool:
    """The station's socket closed. With `token`, only if that socket still holds the station: the close of a
    socket a newer one replaced changes nothing. Returns whether the station was marked disconnected."""
    now = timezone.now()
    with transaction.atomic():
        holder = ChargePoint.objects.filter(pk=charge_point_id)
        if token is not None:
            holder = holder.filter(connection_token=token)
        if not holder.update(is_connected=False, connection_token="", connection_checked_at=None, updated_at=now):
            return False
        charge_point = ChargePoint.objects.select_related("site").get(pk=charge_point_id)
        charge_point_refresh_status(charge_point, now=now)
    return True


def station_sockets_confirm(*, process: str, open_tokens: list[str]) -> int:
    """A server process's roll call of its station sockets (every EVFLEET_OCPP_SOCKET_CHECK_INTERVAL): the open
    ones are confirmed, and a station whose socket of this process is gone is marked disconnected (its close
    could not be written, e.g. while the database was down). Returns how many were marked disconnected."""
    now = timezone.now()
    ChargePoint.objects.filter(connection_token__in=open_tokens).update(connection_checked_at=now)
    gone = (
        ChargePoint.objects.filter(connection_token__startswith=f"{process}:")
        .exclude(connection_token__in=open_tokens)
        .values_list("pk", "connection_token")
    )
    return sum(station_disconnect(charge_point_id=pk, token=token) for pk, token in gone)


def stations_without_socket_disconnect(*, now: datetime | None = None) -> int:
    """Watchdog: stations shown connected whose server process has not confirmed their socket for three check
    intervals (that process was killed, or cannot reach the database) are marked disconnected."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=3 * settings.OCPP_SOCKET_CHECK_INTERVAL_S)
    lost = ChargePoint.objects.filter(is_connected=True, connection_checked_at__lt=limit).values_list(
        "pk", "connection_token"
    )
    return sum(station_disconnect(charge_point_id=pk, token=token) for pk, token in lost)


def station_seen(*, charge_point_id: int, heartbeat: bool = False) -> None:
    """Traffic from a station. One UPDATE normally; a station that was offline is brought back."""
    now = timezone.now()
    # Liveness, not a change: updated_at (what API clients sync by) stays, or every station would sync every 30 s.
    fields = {"last_seen_at": now, "is_connected": True}
    if heartbeat:
        fields["last_heartbeat_at"] = now
    if ChargePoint.objects.filter(pk=charge_point_id).exclude(status=ChargePoint.Status.OFFLINE).update(**fields):
        return
    with transaction.atomic():
        ChargePoint.objects.filter(pk=charge_point_id).update(**fields)
        charge_point = ChargePoint.objects.select_related("site").get(pk=charge_point_id)
        charge_point_refresh_status(charge_point, now=now)
        alert_resolve(kind=Alert.Kind.MISSED_HEARTBEAT, charge_point=charge_point, now=now)


def station_boot(
    *, charge_point_id: int, vendor: str, model: str, serial_number: str = "", firmware_version: str = ""
) -> tuple[str, int]:
    """Store what the station says it is; answer its registration status and heartbeat interval."""
    charge_point = ChargePoint.objects.get(pk=charge_point_id)
    ChargePoint.objects.filter(pk=charge_point_id).update(
        vendor=vendor[:50],
        model=model[:50],
        serial_number=(serial_number or "")[:50],
        firmware_version=(firmware_version or "")[:50],
        last_seen_at=timezone.now(),
        booted_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return charge_point.registration_status, charge_point.heartbeat_interval_s


def station_firmware_status(*, charge_point_id: int, status: str) -> None:
    ChargePoint.objects.filter(pk=charge_point_id).update(firmware_status=status[:40], updated_at=timezone.now())


def _connectors_at(charge_point_id: int, evse_id: int, connector_id: int):
    """The connector a station message names, with its station and site in the same query."""
    return Connector.objects.select_related("charge_point__site").filter(
        charge_point_id=charge_point_id, evse_id=evse_id, connector_id=connector_id
    )


def connector_status_update(
    *,
    charge_point_id: int,
    evse_id: int,
    connector_id: int,
    status: str,
    error_code: str = "",
    info: str = "",
    timestamp: datetime | None = None,
) -> Connector | None:
    """A StatusNotification: store the status and its history, raise or resolve the fault alert."""
    now = timezone.now()
    moment = min(timestamp or now, now)
    error_code = "" if error_code in ("NoError", None) else error_code
    with transaction.atomic():
        connector = _connectors_at(charge_point_id, evse_id, connector_id).first()
        if connector is None:
            return None
        charge_point = connector.charge_point
        # a fault, or its end, changes what the connector can give: a smart-charging site re-plans
        newly_faulted = (status == Connector.Status.FAULTED) != (connector.status == Connector.Status.FAULTED)
        # Available, or back from a fault or from Unavailable: it may take a vehicle that waits for it
        freed = status == Connector.Status.AVAILABLE or (
            connector.status in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE)
            and status not in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE, Connector.Status.UNKNOWN)
        )
        if connector.status != status or connector.error_code != error_code:
            connector.status, connector.error_code, connector.status_info = status, error_code[:50], (info or "")[:255]
            connector.status_since = moment
            Connector.objects.filter(pk=connector.pk).update(
                status=status,
                error_code=connector.error_code,
                status_info=connector.status_info,
                status_since=moment,
                updated_at=timezone.now(),
            )
            ConnectorStatusChange.objects.create(
                connector=connector,
                status=status,
                error_code=connector.error_code,
                info=connector.status_info,
                changed_at=moment,
            )
            _announce_status(charge_point, connector)
            # the connector's status is half of whether its session charges the vehicle: announce the session
            session = session_status_from_station(connector=connector, state=status, announce=False)
            session = session or _open_session(connector)
            if session is not None:
                session_announce(session, charge_point, connector=connector)
        if newly_faulted:
            _smart_charging(charge_point, "fault")
        if freed:
            _connectors_freed(connector.pk)
        if status == Connector.Status.FAULTED:
            alert_raise(
                kind=Alert.Kind.CONNECTOR_FAULT,
                severity=Alert.Severity.CRITICAL,
                charge_point=charge_point,
                connector=connector,
                message=f"{connector.label()} reports a fault: {error_code or 'no code'} {info or ''}".strip(),
                details={"error_code": error_code, "info": info},
            )
        else:
            alert_resolve(kind=Alert.Kind.CONNECTOR_FAULT, charge_point=charge_point, connector=connector)
        charge_point_refresh_status(charge_point, now=now)
    return connector


def mark_connectors_unknown(*, charge_point_id: int) -> None:
    """A station went silent: its connectors' statuses are no longer known."""
    now = timezone.now()
    connectors = list(
        Connector.objects.filter(charge_point_id=charge_point_id).exclude(status=Connector.Status.UNKNOWN)
    )
    Connector.objects.filter(pk__in=[c.pk for c in connectors]).update(
        status=Connector.Status.UNKNOWN, status_since=now, updated_at=now
    )
    ConnectorStatusChange.objects.bulk_create(
        [ConnectorStatusChange(connector=c, status=Connector.Status.UNKNOWN, changed_at=now) for c in connectors]
    )


# --- authorization and transactions ----------------------------------------------------------


def _authorization(**kwargs):
    """charging.services.roaming.station_authorization, imported when needed (charging imports this module)."""
    from charging.services.roaming import station_authorization

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
        _connectors_freed(*others.exclude(connector=connector).values_list("connector_id", flat=True))
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
    connector = _connectors_at(charge_point_id, evse_id, connector_id).first()
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
        _tell("session_event", session, "session.started", session.reason if refused else "")
        if transaction_id is None:
            session.transaction_id = str(session.pk)
            ChargingSession.objects.filter(pk=session.pk).update(
                transaction_id=session.transaction_id, updated_at=timezone.now()
            )
        charge_point = ChargePoint.objects.select_related("site").get(pk=charge_point_id)
        _smart_charging(charge_point, "arrival")
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
        _smart_charging(charge_point, "departure", ended=session)
        for kind in (Alert.Kind.NO_ENERGY_FLOW, *READING_ALERTS):  # what they watched is over
            alert_resolve(kind=kind, charge_point=charge_point, connector=session.connector)
        _check_repeated_failures(charge_point, session.connector)
        _connectors_freed(session.connector_id)
        session_id = session.pk
        transaction.on_commit(lambda: charging_tasks.session_price.delay(session_id=session_id))
        failed = session.status == ChargingSession.Status.FAILED
        _tell("session_event", session, "session.failed" if failed else "session.completed")
        session_announce(session, charge_point, "session.ended")
    return session


def _smart_charging(charge_point: ChargePoint, trigger: str, ended: ChargingSession | None = None) -> None:
    """A site with smart charging re-plans after an arrival, a departure or a fault (in the worker, once the change
    is committed); an ended session's profile is cleared."""
    site = charge_point.site
    if site is None or not site.smart_charging:
        return
    from charging import tasks
    from charging.services import smart

    site_id = site.pk
    if ended is not None:
        transaction.on_commit(lambda: smart.profile_clear(ended))
    transaction.on_commit(lambda: tasks.smart_charging_plan.delay(site_id=site_id, trigger=trigger))


def _tell(function: str, *args, **kwargs) -> None:
    """Notifications about stations (stations.notices) and sessions (charging.services.notices), imported when
    needed."""
    from charging.services import notices as session_notices
    from stations import notices

    getattr(notices if hasattr(notices, function) else session_notices, function)(*args, **kwargs)


def _connectors_freed(*connector_ids: int) -> None:
    """Connectors that may take a vehicle again (a session ended, a fault cleared, Available, maintenance over):
    the reservation queue is offered them once the change is committed. The one hook from stations into
    reservations (charging.services.reservations), imported when needed."""
    from charging.services.reservations import queue_serve_later

    queue_serve_later(connector_ids=list(connector_ids))


def _reservation_fulfilled(session: ChargingSession) -> None:
    """The vehicle arrived: its holding reservation of this connector (now or soon) is fulfilled."""
    if session.vehicle_id is None:
        return
    from charging.services.reservations import reservation_fulfil

    reservation_fulfil(session=session)


# Connector statuses (1.6) and charging states (2.0.1 TransactionEvent) that move an open session.
SESSION_STATUS_BY_STATION = {
    "Charging": ChargingSession.Status.CHARGING,
    "SuspendedEV": ChargingSession.Status.SUSPENDED_EV,
    "SuspendedEVSE": ChargingSession.Status.SUSPENDED_EVSE,
    "Finishing": ChargingSession.Status.FINISHING,
}


def _open_session(connector: Connector) -> ChargingSession | None:
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
    session = _open_session(connector)
    if session is None or session.status == status:
        return session
    session.status = status
    session.save(update_fields=["status", "updated_at"])
    if status in (ChargingSession.Status.SUSPENDED_EV, ChargingSession.Status.SUSPENDED_EVSE):
        _tell("session_event", session, "session.suspended", f"{connector.label()} reports {state}.")
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


# --- meter values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorInfo:
    """What the central system keeps per connector of a connected station, to store idle readings without a query."""

    pk: int
    max_power_kw: Decimal
    has_open_session: bool
    has_reading_alert: bool = False  # an open meter_backwards or power_above_max: the next readings may resolve it


# The alerts about impossible readings: raised by a reading, resolved by a sane one of the same quantity or when
# the session ends.
READING_ALERTS = (Alert.Kind.METER_BACKWARDS, Alert.Kind.POWER_ABOVE_MAX)


def _with_reading_state(connectors):
    """Connectors annotated with whether a session is open on them and whether a reading alert is open."""
    open_session = ChargingSession.objects.filter(connector=OuterRef("pk"), ended_at__isnull=True)
    reading_alert = Alert.objects.filter(connector=OuterRef("pk"), kind__in=READING_ALERTS, resolved_at__isnull=True)
    return connectors.annotate(has_open_session=Exists(open_session), has_reading_alert=Exists(reading_alert))


def station_connectors(*, charge_point_id: int) -> dict[tuple[int, int], ConnectorInfo]:
    """Every connector of a station by (EVSE id, connector id), with whether a session or a reading alert is open
    on it."""
    rows = _with_reading_state(Connector.objects.filter(charge_point_id=charge_point_id)).values_list(
        "evse_id", "connector_id", "pk", "max_power_kw", "has_open_session", "has_reading_alert"
    )
    return {(evse, number): ConnectorInfo(pk, power, busy, alert) for evse, number, pk, power, busy, alert in rows}


def idle_readings_plausible(connector: Connector | ConnectorInfo, samples: list[tuple[datetime, dict]]) -> bool:
    """Readings with no session to follow need no checks beyond this: no power above the connector's maximum, and
    no reading alert open on the connector (which a plausible reading resolves)."""
    power = max((values.get("power_kw") or 0.0) for _, values in samples)
    return power <= float(connector.max_power_kw) * POWER_TOLERANCE and not connector.has_reading_alert


def idle_meter_sample_rows(connector_pk: int, samples: list[tuple[datetime, dict]]) -> list[MeterSample]:
    return [MeterSample(connector_id=connector_pk, session=None, sampled_at=m, **v) for m, v in samples]


def meter_values_record(
    *,
    charge_point_id: int,
    evse_id: int,
    connector_id: int,
    transaction_id: str | None,
    samples: list[tuple[datetime, dict[str, float]]],
) -> int:
    """Store meter samples, follow the session's energy, and check them for impossible readings.

    The common case at a busy depot, a reading from a connector with no open session, costs one
    SELECT and one INSERT, without a transaction of its own. A reading the connector already has for
    that instant (a MeterValues sent again) is not stored, counted or checked again.
    """
    connector = _with_reading_state(_connectors_at(charge_point_id, evse_id, connector_id)).first()
    if connector is None or not samples:
        return 0
    charge_point = connector.charge_point
    if transaction_id is None and not connector.has_open_session and idle_readings_plausible(connector, samples):
        MeterSample.objects.bulk_create(idle_meter_sample_rows(connector.pk, samples), ignore_conflicts=True)
        return len(samples)
    with transaction.atomic():
        sent_before = set(
            MeterSample.objects.filter(connector=connector, sampled_at__in=[m for m, _ in samples]).values_list(
                "sampled_at", flat=True
            )
        )
        samples = [(moment, values) for moment, values in samples if moment not in sent_before]
        if not samples:
            return 0
        sessions = ChargingSession.objects.select_for_update().filter(connector=connector)
        session = (
            sessions.filter(transaction_id=transaction_id).first()
            if transaction_id
            else sessions.filter(ended_at__isnull=True).order_by("-started_at").first()
        )
        rows, verdicts, raised = [], {}, set()
        for moment, values in sorted(samples, key=lambda s: s[0]):
            rows.append(MeterSample(connector=connector, session=session, sampled_at=moment, **values))
            verdict = _check_sample(charge_point, connector, session, moment, values)
            verdicts |= verdict
            raised |= {kind for kind, impossible in verdict.items() if impossible}
            energy = values.get("energy_wh")
            if (
                session is not None
                and energy is not None
                and session.ended_at is None
                and not _backwards(session, energy)
            ):
                # the meter's latest good reading, and when: what the next reading's implied power is derived from
                session.meter_last_wh = max(session.meter_last_wh, energy)
                session.energy_kwh = round((session.meter_last_wh - session.meter_start_wh) / 1000.0, 3)
                session.last_meter_at = max(moment, session.last_meter_at or moment)
        MeterSample.objects.bulk_create(rows, ignore_conflicts=True)  # one sent at the same time by another socket
        # The latest reading of a quantity is plausible again: the condition behind its open alert has cleared.
        for kind, impossible in verdicts.items():
            if not impossible and (connector.has_reading_alert or kind in raised):
                alert_resolve(kind=kind, charge_point=charge_point, connector=connector)
        if session is not None:
            session.save(update_fields=["meter_last_wh", "energy_kwh", "last_meter_at", "updated_at"])
            moment, latest = max(samples, key=lambda s: s[0])
            if session.ended_at is None:
                _vehicle_soc_from_session(session, moment, latest.get("soc_percent"))
            session_announce(
                session, charge_point, reading=(latest.get("power_kw"), latest.get("soc_percent")), connector=connector
            )
    return len(rows)


def _vehicle_soc_from_session(session: ChargingSession, moment: datetime, soc_percent: float | None) -> None:
    """The vehicle's SoC is its open session's latest, unless its own telemetry is newer."""
    if session.vehicle_id is None or soc_percent is None:
        return
    Vehicle.objects.filter(pk=session.vehicle_id).filter(
        Q(last_telemetry_at__isnull=True) | Q(last_telemetry_at__lte=moment)
    ).exclude(soc_percent=soc_percent).update(soc_percent=soc_percent, updated_at=timezone.now())


def _backwards(session: ChargingSession, energy_wh: float) -> bool:
    return energy_wh < session.meter_last_wh - METER_BACKWARDS_TOLERANCE_WH


def _check_sample(charge_point, connector, session, moment, values) -> dict[str, bool]:
    """Raise alerts for an impossible reading. Returns, per reading alert kind this reading says something about,
    whether it is impossible: the meter_backwards verdict needs an energy reading in a session; power_above_max a
    power reported, or one implied by the energy since the session's latest good reading (never from a backwards
    one, in either place)."""
    verdicts = {}
    energy = values.get("energy_wh")
    backwards = session is not None and energy is not None and _backwards(session, energy)
    if session is not None and energy is not None:
        verdicts[Alert.Kind.METER_BACKWARDS] = backwards
    if backwards:
        alert_raise(
            kind=Alert.Kind.METER_BACKWARDS,
            severity=Alert.Severity.WARNING,
            charge_point=charge_point,
            connector=connector,
            message=f"{connector.label()}: meter went back from {session.meter_last_wh:.0f} Wh to {energy:.0f} Wh",
            details={"previous_wh": session.meter_last_wh, "reported_wh": energy, "at": moment.isoformat()},
        )
    power = values.get("power_kw")
    limit = float(connector.max_power_kw) * POWER_TOLERANCE
    implied = None
    if (
        session is not None
        and energy is not None
        and not backwards
        and session.last_meter_at
        and moment > session.last_meter_at
    ):
        hours = (moment - session.last_meter_at).total_seconds() / 3600
        implied = max(0.0, (energy - session.meter_last_wh) / 1000.0 / hours)
    if power is None and implied is None:
        return verdicts
    worst = max(p for p in (power, implied, 0.0) if p is not None)
    verdicts[Alert.Kind.POWER_ABOVE_MAX] = worst > limit
    if worst > limit:
        alert_raise(
            kind=Alert.Kind.POWER_ABOVE_MAX,
            severity=Alert.Severity.WARNING,
            charge_point=charge_point,
            connector=connector,
            message=f"{connector.label()}: {worst:.1f} kW is above its {connector.max_power_kw} kW maximum",
            details={"power_kw": power, "implied_kw": implied, "max_kw": float(connector.max_power_kw)},
        )
    return verdicts


# --- commands and maintenance ---------------------------------------------------------------


def command_create(
    *, charge_point: ChargePoint, action: str, request: dict[str, Any], actor: User | None
) -> OcppCommand:
    command = OcppCommand.objects.create(charge_point=charge_point, action=action, request=request, requested_by=actor)
    group, message = ocpp_group(charge_point.identity), {"type": "ocpp.command", "command_id": command.pk}
    transaction.on_commit(lambda: _command_send(command.pk, group, message))
    return command


def command_request(
    *, actor: User | None, charge_point: ChargePoint, action: str, request: dict[str, Any], about: str = ""
) -> OcppCommand:
    """A command a person sends (the commands endpoint, a remote stop): sent like any other, and logged in the
    activity log. Commands the platform sends by itself (ReserveNow, charging profiles, maintenance) are not:
    their record is the command list and the message log."""
    command = command_create(charge_point=charge_point, action=action, request=request, actor=actor)
    activity_record(
        action=Action.CREATE,
        instance=command,
        actor=actor,
        after=snapshot(command),
        object_repr=f"{action} to {charge_point.identity}{about}",
        department_id=charge_point.site.department_id if charge_point.site_id else None,
    )
    return command


def _command_send(command_id: int, group: str, message: dict) -> None:
    """Hand a command to the station's socket; if the channel layer is down it fails at once, not by timeout."""
    if not realtime.group_send(group, message):
        command_complete(
            command_id=command_id,
            state=OcppCommand.State.FAILED,
            error="not sent: the channel layer (Redis) is unavailable; send it again later",
        )


def command_complete(*, command_id: int, state: str, response: dict | None = None, error: str = "") -> OcppCommand:
    command = OcppCommand.objects.select_related("charge_point__site").get(pk=command_id)
    command.state, command.response, command.error, command.answered_at = state, response, error[:255], timezone.now()
    command.save(update_fields=["state", "response", "error", "answered_at", "updated_at"])
    if state != OcppCommand.State.ACCEPTED and command.action == "ReserveNow":
        from charging.services.reservations import reservation_hold_refused

        reservation_hold_refused(command=command)
    if state != OcppCommand.State.ACCEPTED:
        refused = ChargingSession.objects.filter(
            remote_start_command=command, status=ChargingSession.Status.PENDING, ended_at__isnull=True
        ).select_related("charge_point__site", "connector", "vehicle")
        for session in refused:
            session.status, session.ended_at = ChargingSession.Status.FAILED, timezone.now()
            session.reason = f"the station did not start it: {state}{f' ({error[:150]})' if error else ''}"
            session.save(update_fields=["status", "ended_at", "reason", "updated_at"])
            _tell("session_event", session, "session.failed", session.reason)
            _connectors_freed(session.connector_id)
            session_announce(session, session.charge_point, "session.ended")
    payload = live_events.render(
        "station.command",
        id=command.pk,
        charge_point=command.charge_point_id,
        action=command.action,
        state=state,
        error=command.error,
        answered_at=command.answered_at,
    )
    _announce("station.command", payload, _department_of(command.charge_point))
    return command


def ocpp_group(identity: str) -> str:
    return f"ocpp.cp.{identity}"


def maintenance_window_create(
    *, actor: User | None, charge_point: ChargePoint, starts_at: datetime, ends_at: datetime, reason: str
) -> MaintenanceWindow:
    with transaction.atomic():
        window = model_create(
            model=MaintenanceWindow,
            data={
                "charge_point": charge_point,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reason": reason,
                "created_by": actor,
            },
            actor=actor,
        )
        if starts_at <= timezone.now() < ends_at:
            maintenance_apply(charge_point=charge_point, actor=actor, operative=False)
            MaintenanceWindow.objects.filter(pk=window.pk).update(started_applied=True, updated_at=timezone.now())
    return window


def maintenance_window_delete(*, actor: User | None, window: MaintenanceWindow) -> None:
    """Cancel a window; one under way gives the station back to service (ChangeAvailability Operative)."""
    charge_point = ChargePoint.objects.select_related("site").get(pk=window.charge_point_id)
    under_way = window.started_applied and not window.ended_applied
    with transaction.atomic():
        model_delete(instance=window, actor=actor)
        if under_way:
            maintenance_apply(charge_point=charge_point, actor=actor, operative=True)
        else:  # a window still to come: its time is free again
            _connectors_freed(*charge_point.connectors.values_list("pk", flat=True))


def maintenance_apply(*, charge_point: ChargePoint, actor: User | None, operative: bool) -> OcppCommand | None:
    """Send ChangeAvailability for the whole station (connector/EVSE 0) and refresh the derived status."""
    charge_point_refresh_status(charge_point)
    if operative:
        _connectors_freed(*charge_point.connectors.values_list("pk", flat=True))
    if not charge_point.is_connected:
        return None
    if charge_point.protocol == ChargePoint.Protocol.OCPP201:
        action, request = "ChangeAvailability", {"operationalStatus": "Operative" if operative else "Inoperative"}
    else:
        action, request = "ChangeAvailability", {"connectorId": 0, "type": "Operative" if operative else "Inoperative"}
    return command_create(charge_point=charge_point, action=action, request=request, actor=actor)


# --- CRUD services used by the API and the admin ---------------------------------------------


def charge_point_set_password(*, charge_point: ChargePoint, password: str | None) -> None:
    if password is not None and 0 < len(password) < 16:
        raise ValidationError(
            {
                "password": ValidationError(
                    "OCPP passwords have 16 to 40 characters (security profile 1).", code="password_length"
                )
            }
        )
    charge_point.password_hash = make_password(password) if password else ""


def charge_point_create(*, actor: User | None, password: str | None = None, **data: Any) -> ChargePoint:
    charge_point = ChargePoint(**data)
    charge_point_set_password(charge_point=charge_point, password=password)
    from accounts.audit import audited_save

    return audited_save(charge_point, actor=actor, before=None)


def charge_point_update(
    *, actor: User | None, charge_point: ChargePoint, password: str | None = None, **data: Any
) -> ChargePoint:
    if password is not None:
        charge_point_set_password(charge_point=charge_point, password=password)
    return model_update(instance=charge_point, data=data, actor=actor)


def site_delete(*, actor: User | None, site: Site) -> None:
    if site.charge_points.exists():
        raise ValidationError(f"{site} still has charge points; move or delete them first.", code="site_in_use")
    model_delete(instance=site, actor=actor)


def stale_stations(*, now: datetime | None = None) -> list[ChargePoint]:
    """Connected stations that have been silent longer than their heartbeat interval plus grace."""
    now = now or timezone.now()
    # Connected but silent, or gone (socket closed) and not back: both are reported until they return.
    candidates = ChargePoint.objects.select_related("site").filter(
        last_seen_at__lt=now - derive.HEARTBEAT_GRACE - timedelta(seconds=10)
    )
    return [
        cp
        for cp in candidates
        if now - cp.last_seen_at > timedelta(seconds=cp.heartbeat_interval_s) + derive.HEARTBEAT_GRACE
    ]
