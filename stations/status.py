"""Derived status of a charge point and a site, and connector availability over a period: plain functions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# OCPP connector statuses in which the connector cannot serve a vehicle.
DOWN_STATUSES = frozenset({"Faulted", "Unavailable", "Unknown"})
HEARTBEAT_GRACE = timedelta(seconds=60)


def charge_point_status(
    *,
    connector_statuses: Iterable[str],
    connected: bool,
    last_seen_at: datetime | None,
    heartbeat_interval_s: int,
    in_maintenance: bool,
    now: datetime,
) -> str:
    """operational | partial | maintenance | faulted | offline, as the dashboard shows them."""
    statuses = list(connector_statuses)
    if in_maintenance:
        return "maintenance"
    silent_for = None if last_seen_at is None else now - last_seen_at
    if not connected or silent_for is None or silent_for > timedelta(seconds=heartbeat_interval_s) + HEARTBEAT_GRACE:
        return "offline"
    if not statuses:
        return "operational"
    faulted = sum(1 for s in statuses if s == "Faulted")
    down = sum(1 for s in statuses if s in DOWN_STATUSES)
    if faulted == len(statuses):
        return "faulted"
    if down:
        return "partial"
    return "operational"


def site_status(charge_point_statuses: Iterable[str]) -> str:
    statuses = list(charge_point_statuses)
    if not statuses:
        return "operational"
    if all(s == "offline" for s in statuses):
        return "offline"
    if all(s == "operational" for s in statuses):
        return "operational"
    if all(s in ("faulted", "offline") for s in statuses):
        return "faulted"
    return "partial"


@dataclass(frozen=True)
class Availability:
    available_s: float
    period_s: float

    @property
    def percent(self) -> float:
        return round(100.0 * self.available_s / self.period_s, 2) if self.period_s else 0.0


def serves(status: str | None) -> bool:
    """Whether a connector in this status can serve a vehicle; None (no status known yet) is Unknown."""
    return status is not None and status not in DOWN_STATUSES


def availability(
    *,
    changes: Iterable[tuple[datetime, str]],
    status_before: str | None,
    start: datetime,
    end: datetime,
    maintenance: Iterable[tuple[datetime, datetime]] = (),
) -> Availability:
    """Share of [start, end) a connector was able to serve: the one definition of availability, used by the
    connector's endpoint and page and by the analytics rollups (docs/architecture.md, "Availability").

    `changes` are its status changes (time, status) in the order they were recorded; `status_before` is the
    status it had entering the period, None when it had none yet: Unknown, as a new connector starts. Faulted,
    Unavailable and Unknown (which is what an offline station's connectors are marked) are down, every other
    status up; time inside a maintenance window of its charge point (`maintenance`: (start, end) pairs) is down
    whatever the connector reports.
    """
    # physical time: in UTC (aware datetimes of one zone subtract on the wall clock, 23 or 25 h a day at a change)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    changes = [(moment.astimezone(UTC), status) for moment, status in changes]
    maintenance = [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in maintenance]
    period = max((end - start).total_seconds(), 0.0)
    up: list[tuple[datetime, datetime]] = []
    current, since = status_before, start
    for moment, status in sorted(changes, key=lambda change: change[0]):  # stable: the last recorded wins a tie
        if moment <= start:
            current = status
            continue
        if moment >= end:
            break
        if serves(current):
            up.append((since, moment))
        current, since = status, moment
    if serves(current) and since < end:
        up.append((since, end))
    windows: list[list[datetime]] = []
    for window_start, window_end in sorted(
        (max(a, start), min(b, end)) for a, b in maintenance if a < end and b > start
    ):
        if windows and window_start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], window_end)
        else:
            windows.append([window_start, window_end])
    available = 0.0
    for a, b in up:
        available += (b - a).total_seconds()
        for window_start, window_end in windows:  # disjoint once merged
            overlap = (min(b, window_end) - max(a, window_start)).total_seconds()
            available -= max(overlap, 0.0)
    return Availability(available_s=available, period_s=period)
