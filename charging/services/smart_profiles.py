"""A plan at the stations: each session's planned power as an OCPP charging profile (SetChargingProfile, TxProfile,
in the station's protocol), sent when a plan is applied and cleared when the session ends; and which sessions a
plan holds at 0 kW on purpose (the no-energy-flow check leaves those alone).
"""

import logging
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from charging.models import ChargingPlan, ChargingSession
from charging.services.smart_inputs import STEP, _index
from stations.models import ChargePoint

log = logging.getLogger(__name__)


# --- charging profiles -------------------------------------------------------------------------------------------


def _periods(series: list[float], start: datetime, now: datetime) -> list[dict[str, Any]]:
    """The plan as schedule periods from now: seconds from `now`, limit in W; equal neighbours merged."""
    periods, last = [], None
    offset = (now - start).total_seconds()
    for t, kw in enumerate(series):
        begins = max(0.0, t * STEP.total_seconds() - offset)
        if (t + 1) * STEP.total_seconds() <= offset:
            continue
        watts = round(kw * 1000.0, 1)
        if watts != last:
            periods.append({"startPeriod": int(begins), "limit": watts})
            last = watts
    return periods or [{"startPeriod": 0, "limit": 0.0}]


def profile_request(session: ChargingSession, series: list[float], start: datetime, now: datetime):
    """(action, payload) of the TxProfile for a session's plan, in the station's protocol; None when the station's
    protocol does not carry a transaction id we can name."""
    periods = _periods(series, start, now)
    moment = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    charge_point = session.charge_point
    if charge_point.protocol == ChargePoint.Protocol.OCPP201:
        return "SetChargingProfile", {
            "evseId": session.connector.evse_id,
            "chargingProfile": {
                "id": session.pk, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Absolute", "transactionId": session.transaction_id,
                "chargingSchedule": [{"id": session.pk, "startSchedule": moment, "chargingRateUnit": "W",
                                      "chargingSchedulePeriod": periods}],
            },
        }  # fmt: skip
    if not session.transaction_id.isdigit():
        return None
    return "SetChargingProfile", {
        "connectorId": session.connector.evse_id,
        "csChargingProfiles": {
            "chargingProfileId": session.pk, "transactionId": int(session.transaction_id), "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"startSchedule": moment, "chargingRateUnit": "W",
                                 "chargingSchedulePeriod": periods},
        },
    }  # fmt: skip


def _command(charge_point: ChargePoint, action: str, payload: dict) -> None:
    from stations.ocpp.commands import command_problem
    from stations.services import command_create

    problem = command_problem(protocol=charge_point.protocol, action=action, payload=payload)
    if problem is not None:  # a bug of ours, not the station's: say so loudly, send nothing
        log.error("Smart charging built an invalid %s for %s: %s", action, charge_point.identity, problem[1])
        return
    command_create(charge_point=charge_point, action=action, request=payload, actor=None)


def profiles_send(plan: ChargingPlan, now: datetime | None = None) -> int:
    """Send each planned open session its TxProfile; returns how many were sent."""
    now = now or timezone.now()
    ids = [int(k.split("-", 1)[1]) for k in plan.schedule if k.startswith("session-")]
    sent = 0
    sessions = (
        ChargingSession.objects.filter(pk__in=ids, ended_at__isnull=True)
        .exclude(status=ChargingSession.Status.PENDING)  # no transaction at the station yet: nothing to name
        .select_related("charge_point", "connector")
    )
    for session in sessions:
        if not session.charge_point.is_connected or not session.charge_point.protocol:
            continue
        found = profile_request(session, plan.schedule[f"session-{session.pk}"], plan.starts_at, now)
        if found is None:
            continue
        _command(session.charge_point, *found)
        sent += 1
    return sent


def profile_clear(session: ChargingSession) -> None:
    """The session ended: its profile goes (stations drop TxProfiles with the transaction, but say it anyway)."""
    charge_point = session.charge_point
    if not charge_point.is_connected or not charge_point.protocol:
        return
    if not ChargingPlan.objects.filter(site_id=charge_point.site_id, applied=True).exists():
        return
    if charge_point.protocol == ChargePoint.Protocol.OCPP201:
        _command(charge_point, "ClearChargingProfile", {"chargingProfileId": session.pk})
    else:
        _command(charge_point, "ClearChargingProfile", {"id": session.pk})


def planned_pauses(sessions: list[ChargingSession], since: datetime, now: datetime) -> set[int]:
    """The sessions that the current plan of their (smart-charging) site holds at (almost) no power throughout
    [since, now]: a meter that does not move there is the plan, not a fault. One query per smart site."""
    paused: set[int] = set()
    by_site: dict[int, list[ChargingSession]] = {}
    for session in sessions:
        site = session.charge_point.site
        if site is not None and site.smart_charging:
            by_site.setdefault(site.pk, []).append(session)
    for site_id, site_sessions in by_site.items():
        plan = (
            ChargingPlan.objects.filter(site_id=site_id, applied=True)
            .exclude(status="invalid")
            .only("starts_at", "intervals", "schedule")
            .first()
        )
        if plan is None:
            continue
        first, last = _index(since, plan.starts_at), _index(now, plan.starts_at)
        for session in site_sessions:
            series = plan.schedule.get(f"session-{session.pk}")
            if series is None:
                continue
            window = [series[t] for t in range(max(first, 0), min(last + 1, len(series)))]
            if window and max(window) < 0.1:
                paused.add(session.pk)
    return paused
