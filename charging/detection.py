"""Periodic checks of open sessions, plugged into the station watchdog (stations.detection.register, from
`ChargingConfig.ready()`): sessions on a connector in use whose meter does not move, and sessions a station
forgot when it rebooted."""

from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from charging.services import transactions
from charging.services.smart_profiles import planned_pauses
from stations import detection, services
from stations.models import Alert, Connector

ENERGY_FLOW_MIN_WH = 10.0


def register() -> None:
    detection.register("no_energy_flow", check_energy_flow)
    detection.register("sessions_lost_in_reboot", close_sessions_lost_in_reboot)


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
        transactions.transaction_stop(charge_point_id=charge_point_id, transaction_id=transaction_id,
                                      meter_stop_wh=None, timestamp=last_meter_at or started_at,
                                      reason=transactions.REBOOT_REASON)  # fmt: skip
        closed += 1
    return closed
