"""Periodic checks that find station problems no single message reveals (run by stations.tasks).

The watchdog also runs the checks the apps above stations plug in (`register`): charging's checks of open
sessions (charging/detection.py: no energy flow, sessions a rebooted station forgot), which stations cannot
import."""

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from stations import services, status
from stations.models import Alert, ChargePoint, Connector, MaintenanceWindow, Site

# name → check: a function that returns how many problems it found (alerts raised, sessions closed)
_REGISTERED: dict[str, Callable[[], int]] = {}


def register(name: str, check: Callable[[], int]) -> None:
    """Run `check` in every watchdog round, its count reported under `name` (an app's `ready()` calls this)."""
    _REGISTERED[name] = check


def registered_checks() -> dict[str, int]:
    """Run the plugged-in checks, in the order they were registered."""
    return {name: check() for name, check in _REGISTERED.items()}


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
