"""Periodic checks that find station problems no single message reveals (run by stations.tasks)."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from stations import services, status
from stations.models import Alert, ChargePoint, Connector, MaintenanceWindow, Site

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
        ChargePoint.objects.filter(pk=charge_point.pk).update(is_connected=False, updated_at=now)
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


def check_never_connected() -> int:
    """Stations registered more than EVFLEET_NEVER_CONNECTED_AFTER ago that have never connected (not installed, or
    pointed at the wrong address, identity or password): an alert each, resolved once they connect. Stations
    without a site (held pending) and rejected ones are left out."""
    now = timezone.now()
    registered_before = now - timedelta(seconds=settings.NEVER_CONNECTED_AFTER_S)
    silent = list(
        ChargePoint.objects.select_related("site")
        .filter(last_seen_at__isnull=True, created_at__lt=registered_before, site__isnull=False)
        .exclude(registration_status=ChargePoint.Registration.REJECTED)
    )
    for charge_point in silent:
        hours = int((now - charge_point.created_at).total_seconds() // 3600)
        services.alert_raise(
            kind=Alert.Kind.NEVER_CONNECTED,
            severity=Alert.Severity.WARNING,
            charge_point=charge_point,
            message=f"{charge_point.identity} was registered {hours} h ago and has never connected",
            details={"registered_at": charge_point.created_at.isoformat()},
            now=now,
        )
    cleared = (
        Alert.objects.select_related("charge_point__site")
        .filter(kind=Alert.Kind.NEVER_CONNECTED, resolved_at__isnull=True)
        .exclude(charge_point__in=[cp.pk for cp in silent])
    )
    for alert in cleared:
        services.alert_resolve(kind=alert.kind, charge_point=alert.charge_point, now=now)
    return len(silent)


def _down(station: dict, now) -> bool:
    """Offline, and silent beyond its heartbeat interval plus grace (a reconnect is not an outage), or never seen."""
    if station["status"] != ChargePoint.Status.OFFLINE:
        return False
    last_seen = station["last_seen_at"]
    allowed = timedelta(seconds=station["heartbeat_interval_s"]) + status.HEARTBEAT_GRACE
    return last_seen is None or now - last_seen > allowed


def check_sites_offline() -> int:
    """Depots where no station is online: one critical alert for the site, resolved when a station is back.

    Every station is down (offline beyond its heartbeat interval plus grace, or never connected) and at least two
    have connected before: a depot still being built has its stations' never_connected alerts instead, and one
    with a single station its missed_heartbeat alert (a site alert would only repeat it). A station under
    maintenance keeps its depot out of it."""
    now = timezone.now()
    by_site = defaultdict(list)
    rows = ChargePoint.objects.filter(site__isnull=False).values(
        "site_id", "status", "last_seen_at", "heartbeat_interval_s"
    )
    for row in rows:
        by_site[row["site_id"]].append(row)
    offline = {
        site_id: max(s["last_seen_at"] for s in stations if s["last_seen_at"])
        for site_id, stations in by_site.items()
        if sum(1 for s in stations if s["last_seen_at"]) >= 2 and all(_down(s, now) for s in stations)
    }
    for site in Site.objects.filter(pk__in=offline):
        stations, last = len(by_site[site.pk]), offline[site.pk]
        services.alert_raise(
            kind=Alert.Kind.SITE_OFFLINE,
            severity=Alert.Severity.CRITICAL,
            site=site,
            message=f"No station of {site.name} is online: all {stations} offline, the last one heard "
            f"{int((now - last).total_seconds() // 60)} min ago",
            details={"stations": stations, "last_seen_at": last.isoformat()},
            now=now,
        )
    cleared = Alert.objects.select_related("site").filter(
        kind=Alert.Kind.SITE_OFFLINE, charge_point__isnull=True, resolved_at__isnull=True
    )
    for alert in cleared.exclude(site__in=list(offline)):
        services.alert_resolve(kind=alert.kind, site=alert.site, now=now)
    return len(offline)


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
    """Sessions on a connector in use (Charging in 1.6, Occupied in 2.0.1) whose meter does not move: no energy flows.

    Judged from the meter's last movement, not only from the readings inside the window (a station may sample as
    seldom as the window, or more seldom): the meter has been seen standing still for the window (its newest
    reading within ENERGY_FLOW_MIN_WH of the latest one at least the window before it), or it has fallen silent
    for longer than the window plus its own sampling gap (the time between its last two readings). The session's
    start, with its meter start, counts as its first reading; smart charging's planned pauses are not flagged."""
    now = timezone.now()
    window = timedelta(seconds=settings.NO_ENERGY_FLOW_AFTER_S)
    readings = MeterSample.objects.filter(session=OuterRef("pk"), energy_wh__isnull=False).order_by("-sampled_at")
    window_before_newest = ExpressionWrapper(OuterRef("newest_at") - window, output_field=DateTimeField())
    sessions = list(
        ChargingSession.objects.select_related("connector", "charge_point__site")
        .filter(
            ended_at__isnull=True,
            connector__status__in=[Connector.Status.CHARGING, Connector.Status.OCCUPIED],
            started_at__lt=now - window,
        )
        .annotate(
            newest_at=Subquery(readings.values("sampled_at")[:1]),
            newest_wh=Subquery(readings.values("energy_wh")[:1]),
            previous_at=Subquery(readings.values("sampled_at")[1:2]),
        )
        .annotate(base_wh=Subquery(readings.filter(sampled_at__lte=window_before_newest).values("energy_wh")[:1]))
    )
    from charging.services.smart import planned_pauses

    paused = planned_pauses(sessions, now - window, now)  # smart charging holds them at 0 kW on purpose
    raised = 0
    for session in sessions:
        newest_at, newest_wh = session.newest_at or session.started_at, session.newest_wh
        if session.newest_at is None:
            newest_wh, previous_at = session.meter_start_wh, None
        else:
            previous_at = session.previous_at or session.started_at
        base_wh = session.base_wh
        if base_wh is None and session.started_at <= newest_at - window:
            base_wh = session.meter_start_wh
        silent_for = now - newest_at
        silent = silent_for > window + (newest_at - previous_at if previous_at else timedelta(0))
        standing = base_wh is not None and newest_wh - base_wh < ENERGY_FLOW_MIN_WH
        if (silent or standing) and session.pk not in paused:
            label = session.connector.label()
            message = (
                f"{label} is in use but has sent no meter reading for {int(silent_for.total_seconds() // 60)} min"
                if silent
                else f"{label} is in use but its meter has not moved for {settings.NO_ENERGY_FLOW_AFTER_S // 60} min"
            )
            services.alert_raise(
                kind=Alert.Kind.NO_ENERGY_FLOW,
                severity=Alert.Severity.WARNING,
                charge_point=session.charge_point,
                connector=session.connector,
                message=message,
                details={
                    "session": session.pk,
                    "transaction_id": session.transaction_id,
                    "silent": silent,
                    "last_reading_at": newest_at.isoformat(),
                },  # fmt: skip
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
        MaintenanceWindow.objects.filter(pk=window.pk).update(started_applied=True, updated_at=now)
        applied += 1
    ending = MaintenanceWindow.objects.select_related("charge_point__site").filter(
        ends_at__lte=now, ended_applied=False
    )
    for window in ending:
        services.maintenance_apply(charge_point=window.charge_point, actor=None, operative=True)
        MaintenanceWindow.objects.filter(pk=window.pk).update(started_applied=True, ended_applied=True, updated_at=now)
        applied += 1
    return applied
