"""Derived status of a charge point and a site, and connector availability over a period: plain functions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def availability(
    *, changes: list[tuple[datetime, str]], status_before: str | None, start: datetime, end: datetime
) -> Availability:
    """Share of [start, end) a connector was able to serve, from its status changes (time, status).

    `status_before` is the status it had entering the period (None: unknown, counted as down).
    """
    period = (end - start).total_seconds()
    available = 0.0
    current, since = status_before, start
    for moment, status in sorted(changes):
        if moment < start:
            current = status
            continue
        if moment >= end:
            break
        if current is not None and current not in DOWN_STATUSES:
            available += (moment - since).total_seconds()
        current, since = status, moment
    if current is not None and current not in DOWN_STATUSES:
        available += (end - since).total_seconds()
    return Availability(available_s=available, period_s=period)
