"""Periodic checks that find station problems no single message reveals (run by stations.tasks)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from stations import services
from stations.models import Alert, ChargePoint, Connector, MaintenanceWindow

ENERGY_FLOW_MIN_WH = 10.0

_STUCK = {
    Connector.Status.PREPARING: Alert.Kind.STUCK_PREPARING,
    Connector.Status.FINISHING: Alert.Kind.STUCK_FINISHING,
}


def check_heartbeats() -> int:
    """Stations silent beyond their heartbeat interval plus grace: offline, connectors unknown, alert."""
    now = timezone.now()
    found = services.stale_stations(now=now)
    for charge_point in found:
        ChargePoint.objects.filter(pk=charge_point.pk).update(is_connected=False)
        charge_point.is_connected = False
        services.mark_connectors_unknown(charge_point_id=charge_point.pk)
        services.charge_point_refresh_status(charge_point, now=now)
        silent = int((now - charge_point.last_seen_at).total_seconds())
        services.alert_raise(
            kind=Alert.Kind.MISSED_HEARTBEAT,
            severity=Alert.Severity.CRITICAL,
            charge_point=charge_point,
            message=f"{charge_point.identity} has been silent for {silent} s "
            f"(heartbeat every {charge_point.heartbeat_interval_s} s)",
            details={"silent_s": silent, "last_seen_at": charge_point.last_seen_at.isoformat()},
            now=now,
        )
    return len(found)


def check_stuck_connectors() -> int:
    """Connectors in Preparing or Finishing for too long get an alert; the others have theirs resolved."""
    now = timezone.now()
    limit = now - timedelta(seconds=settings.STUCK_CONNECTOR_AFTER_S)
    raised = 0
    stuck = Connector.objects.select_related("charge_point__site").filter(status__in=_STUCK, status_since__lt=limit)
    stuck_ids = set()
    for connector in stuck:
        stuck_ids.add(connector.pk)
        minutes = int((now - connector.status_since).total_seconds() // 60)
        services.alert_raise(
            kind=_STUCK[connector.status],
            severity=Alert.Severity.WARNING,
            charge_point=connector.charge_point,
            connector=connector,
            message=f"{connector.label()} has been {connector.status} for {minutes} min",
            now=now,
        )
        raised += 1
    open_alerts = Alert.objects.select_related("charge_point", "connector").filter(
        kind__in=list(_STUCK.values()), resolved_at__isnull=True
    )
    for alert in open_alerts:
        if alert.connector_id not in stuck_ids or _STUCK.get(alert.connector.status) != alert.kind:
            services.alert_resolve(kind=alert.kind, charge_point=alert.charge_point, connector=alert.connector, now=now)
    return raised


def check_energy_flow() -> int:
    """Sessions on a Charging connector whose meter has not moved over the window: no energy flows."""
    now = timezone.now()
    window = timedelta(seconds=settings.NO_ENERGY_FLOW_AFTER_S)
    sessions = list(
        ChargingSession.objects.select_related("connector", "charge_point__site").filter(
            # OCPP 2.0.1 stations report a connector in use as Occupied; 1.6 ones say Charging.
            ended_at__isnull=True,
            connector__status__in=[Connector.Status.CHARGING, Connector.Status.OCCUPIED],
            started_at__lt=now - window,
        )
    )
    moved = {
        row["session"]: (row["high"] or 0) - (row["low"] or 0)
        for row in MeterSample.objects.filter(
            session__in=sessions, sampled_at__gte=now - window, energy_wh__isnull=False
        )
        .values("session")
        .annotate(high=Max("energy_wh"), low=Min("energy_wh"))
    }
    from charging.services.smart import planned_pauses

    paused = planned_pauses(sessions, now - window, now)  # smart charging holds them at 0 kW on purpose
    raised = 0
    for session in sessions:
        if moved.get(session.pk, 0.0) < ENERGY_FLOW_MIN_WH and session.pk not in paused:
            services.alert_raise(
                kind=Alert.Kind.NO_ENERGY_FLOW,
                severity=Alert.Severity.WARNING,
                charge_point=session.charge_point,
                connector=session.connector,
                message=f"{session.connector.label()} is Charging but its meter has not moved for "
                f"{settings.NO_ENERGY_FLOW_AFTER_S // 60} min",
                details={"session": session.pk, "transaction_id": session.transaction_id},
                now=now,
            )
            raised += 1
        else:
            services.alert_resolve(
                kind=Alert.Kind.NO_ENERGY_FLOW, charge_point=session.charge_point, connector=session.connector
            )
    return raised


def close_sessions_lost_in_reboot() -> int:
    """Sessions a station forgot when it rebooted: open, with no sign of life (a meter value, else the start)
    since the station's BootNotification, which came more than the grace period ago. Closed as the station would
    have closed them, stop reason Reboot, at their last sign of life, with the energy metered until then (a
    StopTransaction that arrives later still corrects them). Otherwise they stay open for ever: the connector
    looks taken, smart charging plans for a vehicle that is gone."""
    now = timezone.now()
    grace = timedelta(seconds=settings.REBOOT_GRACE_S)
    lost = (
        ChargingSession.objects.filter(
            ended_at__isnull=True,
            charge_point__booted_at__isnull=False,
            charge_point__booted_at__lte=now - grace,
            started_at__lt=F("charge_point__booted_at"),
        )
        .filter(Q(last_meter_at__isnull=True) | Q(last_meter_at__lt=F("charge_point__booted_at")))
        .exclude(transaction_id="")
        .values_list("charge_point_id", "transaction_id", "started_at", "last_meter_at")
    )
    closed = 0
    for charge_point_id, transaction_id, started_at, last_meter_at in list(lost):
        services.transaction_stop(charge_point_id=charge_point_id, transaction_id=transaction_id, meter_stop_wh=None,
                                  timestamp=last_meter_at or started_at, reason=services.REBOOT_REASON)  # fmt: skip
        closed += 1
    return closed


def apply_maintenance_windows() -> int:
    """Windows that began: set the station Inoperative; windows that ended: Operative again."""
    now = timezone.now()
    applied = 0
    starting = MaintenanceWindow.objects.select_related("charge_point__site").filter(
        starts_at__lte=now, ends_at__gt=now, started_applied=False
    )
    for window in starting:
        services.maintenance_apply(charge_point=window.charge_point, actor=None, operative=False)
        MaintenanceWindow.objects.filter(pk=window.pk).update(started_applied=True)
        applied += 1
    ending = MaintenanceWindow.objects.select_related("charge_point__site").filter(
        ends_at__lte=now, ended_applied=False
    )
    for window in ending:
        services.maintenance_apply(charge_point=window.charge_point, actor=None, operative=True)
        MaintenanceWindow.objects.filter(pk=window.pk).update(started_applied=True, ended_applied=True)
        applied += 1
    return applied
