"""The port through which simulation reads charging sessions for capacity observations; it imports nothing of
charging.

A capacity observation is a charge over a wide SoC window: the energy metered ÷ the SoC it added, corrected for the
charging losses (simulation.battery.health.capacity_observation). The sessions and their SoC readings are charging's
data, above simulation in the layers: charging registers a function (`charging/health_sessions.py`) from its
AppConfig.ready(). Without a registered source the daily job ages the vehicles from telemetry alone and says so in
its result (`observations_source: None`), rather than failing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionRecord:
    """One finished charge of a vehicle, as its source reports it."""

    source_id: int  # the record's id in its source (a charging session's id)
    vehicle_id: int
    ended_at: datetime  # aware
    energy_kwh: float  # metered by the station
    soc_start_percent: float  # the first SoC reported during the charge
    soc_end_percent: float  # the last SoC reported
    dc: bool  # a DC charge (else AC): their losses differ


SessionSource = Callable[[Iterable[int], datetime, datetime], list[SessionRecord]]
"""fn(vehicle_ids, since, until) -> the charges of those vehicles that ended in [since, until), with an SoC
reading at both ends."""

_sources: dict[str, SessionSource] = {}


def register_source(name: str, fn: SessionSource) -> None:
    """Where finished charges come from (charging registers "charging.session" in its ready())."""
    _sources[name] = fn


def sources() -> dict[str, SessionSource]:
    return dict(_sources)


def sessions_between(vehicle_ids: Iterable[int], since: datetime, until: datetime) -> list[tuple[str, SessionRecord]]:
    """Every registered source's charges of `vehicle_ids` ended in [since, until), with the source's name."""
    ids = list(vehicle_ids)
    return [(name, record) for name, fn in _sources.items() for record in fn(ids, since, until)]
