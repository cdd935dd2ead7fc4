"""Write side of stations: the station's own state (connection, status, connectors, alerts, commands,
maintenance), as the OCPP gateway, the API, the admin and the tasks change it.

OCPP handlers call these from the consumer through `database_sync_to_async`; each function is one
transaction and announces what changed to the dashboards after commit. Sessions are charging's
(charging.services.transactions): stations imports nothing of charging and tells it what happened to a
connector through `stations.signals`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import Action, activity_record, model_create, model_delete, model_update, snapshot
from accounts.models import User
from evfleet import live_events, realtime
from stations import notices, signals
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


# --- live updates ----------------------------------------------------------------------------


def department_of(charge_point: ChargePoint) -> int:
    """Whose dashboards hear about the station: its site's department (a station on no site: admins only)."""
    return charge_point.site.department_id if charge_point.site_id else ADMINS_ONLY


def announce(event: str, payload: dict[str, Any], department_id: int, **routing: Any) -> None:
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
    announce("station.status", payload, department_of(charge_point))


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
        announce("alert.opened", payload, site.department_id if site else ADMINS_ONLY)
        notices.alert_event(alert)
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
        announce("alert.resolved", payload, site.department_id if site else ADMINS_ONLY)
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


def connectors_at(charge_point_id: int, evse_id: int, connector_id: int):
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
    """A StatusNotification: store the status and its history, raise or resolve the fault alert, and announce it
    (`signals.connector_status_reported`) to what follows connectors: sessions, reservations, smart charging."""
    now = timezone.now()
    moment = min(timestamp or now, now)
    error_code = "" if error_code in ("NoError", None) else error_code
    with transaction.atomic():
        connector = connectors_at(charge_point_id, evse_id, connector_id).first()
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
        changed = connector.status != status or connector.error_code != error_code
        if changed:
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
        # sessions on it, the reservation queue and smart charging follow (charging.services.station_events)
        signals.connector_status_reported.send(
            sender=Connector, connector=connector, status=status, changed=changed, freed=freed,
            fault_changed=newly_faulted,
        )  # fmt: skip
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
    # a refused ReserveNow or remote start: the reservation and the session follow (charging.services.station_events)
    signals.command_answered.send(sender=OcppCommand, command=command, accepted=state == OcppCommand.State.ACCEPTED)
    payload = live_events.render(
        "station.command",
        id=command.pk,
        charge_point=command.charge_point_id,
        action=command.action,
        state=state,
        error=command.error,
        answered_at=command.answered_at,
    )
    announce("station.command", payload, department_of(command.charge_point))
    return command


def _connectors_freed(charge_point: ChargePoint) -> None:
    """The station's connectors may take vehicles again (maintenance over or cancelled): the reservation queue
    is offered them (charging.services.station_events)."""
    ids = list(charge_point.connectors.values_list("pk", flat=True))
    signals.connectors_freed.send(sender=ChargePoint, connector_ids=ids)


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
            _connectors_freed(charge_point)


def maintenance_apply(*, charge_point: ChargePoint, actor: User | None, operative: bool) -> OcppCommand | None:
    """Send ChangeAvailability for the whole station (connector/EVSE 0) and refresh the derived status."""
    charge_point_refresh_status(charge_point)
    if operative:
        _connectors_freed(charge_point)
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
