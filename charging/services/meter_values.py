"""MeterValues: the readings a station sends, stored per connector, followed by the open session's energy and
checked for impossible values (a meter going backwards, power above the connector's maximum).

The common case at a busy depot, readings from idle connectors, the OCPP gateway stores in batches without a
query (stations/ocpp/messagelog.py) after `idle_readings_plausible`; everything else comes through
`meter_values_record`.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from charging.services.transactions import READING_ALERTS, session_announce
from fleet.models import Vehicle
from stations.models import Alert, Connector
from stations.services import alert_raise, alert_resolve, connectors_at

# A reading above a connector's maximum power by more than this factor raises an alert (meter tolerance).
POWER_TOLERANCE = 1.1
# An energy reading more than this below the session's latest is the meter going backwards (rounding tolerance).
METER_BACKWARDS_TOLERANCE_WH = 1.0


@dataclass(frozen=True)
class ConnectorInfo:
    """What the central system keeps per connector of a connected station, to store idle readings without a query."""

    pk: int
    max_power_kw: Decimal
    has_open_session: bool
    has_reading_alert: bool = False  # an open meter_backwards or power_above_max: the next readings may resolve it


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
    connector = _with_reading_state(connectors_at(charge_point_id, evse_id, connector_id)).first()
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
