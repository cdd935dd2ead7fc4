from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from charging.models import ChargingSession, MeterSample
from charging.services import meter_values, transactions
from stations import services
from stations.models import Alert, ChargePoint, Connector, MaintenanceWindow, OcppCommand
from stations.tasks import station_watchdog
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cp(org):
    charge_point = ChargePointFactory(site=SiteFactory(department=org.a), heartbeat_interval_s=60)
    ConnectorFactory(charge_point=charge_point, evse_id=1)
    ConnectorFactory(charge_point=charge_point, evse_id=2)
    services.station_connect(identity=charge_point.identity, password=None, protocol="ocpp1.6")
    return ChargePoint.objects.get(pk=charge_point.pk)


def _status(cp_id, evse, status, error_code="NoError", at=None):
    return services.connector_status_update(
        charge_point_id=cp_id, evse_id=evse, connector_id=1, status=status, error_code=error_code, timestamp=at
    )


def test_derived_status_follows_the_connectors(cp):
    _status(cp.pk, 1, "Available")
    _status(cp.pk, 2, "Available")
    assert ChargePoint.objects.get(pk=cp.pk).status == "operational"
    _status(cp.pk, 2, "Faulted", "GroundFailure")
    assert ChargePoint.objects.get(pk=cp.pk).status == "partial"
    _status(cp.pk, 1, "Faulted", "OverVoltage")
    assert ChargePoint.objects.get(pk=cp.pk).status == "faulted"
    services.station_disconnect(charge_point_id=cp.pk)
    assert ChargePoint.objects.get(pk=cp.pk).status == "offline"


def test_a_fault_alert_is_deduplicated_while_open_and_resolved_when_it_clears(cp):
    _status(cp.pk, 1, "Faulted", "GroundFailure")
    _status(cp.pk, 1, "Faulted", "OverCurrentFailure")
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.occurrences, alert.resolved_at) == (
        "connector_fault",
        "critical",
        2,
        None,
    )
    _status(cp.pk, 1, "Available")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    _status(cp.pk, 1, "Faulted", "GroundFailure")
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 1 and Alert.objects.count() == 2


def test_missed_heartbeats_make_a_station_offline_with_an_alert_until_it_speaks_again(cp):
    _status(cp.pk, 1, "Available")
    ChargePoint.objects.filter(pk=cp.pk).update(last_seen_at=timezone.now() - timedelta(seconds=200))
    assert station_watchdog.delay().get()["silent_stations"] == 1
    stale = ChargePoint.objects.get(pk=cp.pk)
    assert (stale.status, stale.is_connected) == ("offline", False)
    assert Connector.objects.get(charge_point=cp, evse_id=1).status == "Unknown"
    assert Alert.objects.get(resolved_at__isnull=True).kind == "missed_heartbeat"
    services.station_seen(charge_point_id=cp.pk, heartbeat=True)
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    assert ChargePoint.objects.get(pk=cp.pk).status != "offline"


def test_a_connector_stuck_in_preparing_raises_an_alert_that_clears(cp, settings):
    _status(cp.pk, 1, "Preparing", at=timezone.now() - timedelta(seconds=settings.STUCK_CONNECTOR_AFTER_S + 60))
    station_watchdog.delay()
    assert Alert.objects.get(resolved_at__isnull=True).kind == "stuck_preparing"
    _status(cp.pk, 1, "Charging")
    station_watchdog.delay()
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def test_charging_without_energy_flow_is_detected(cp, settings):
    started = timezone.now() - timedelta(seconds=settings.NO_ENERGY_FLOW_AFTER_S + 120)
    _status(cp.pk, 1, "Charging")
    session = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=1000, timestamp=started
    )
    connector = session.connector
    for minutes in (5, 3, 1):
        MeterSample.objects.create(
            connector=connector, session=session, sampled_at=timezone.now() - timedelta(minutes=minutes), energy_wh=1000
        )
    station_watchdog.delay()
    assert Alert.objects.get(resolved_at__isnull=True).kind == "no_energy_flow"
    MeterSample.objects.create(connector=connector, session=session, sampled_at=timezone.now(), energy_wh=2500)
    station_watchdog.delay()
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def test_meter_going_backwards_or_above_the_maximum_power_is_flagged(cp):
    now = timezone.now()
    transactions.transaction_start(
        charge_point_id=cp.pk,
        evse_id=1,
        connector_id=1,
        id_tag="",
        meter_start_wh=10_000,
        timestamp=now - timedelta(hours=1),
    )
    record = lambda at, **values: meter_values.meter_values_record(  # noqa: E731
        charge_point_id=cp.pk, evse_id=1, connector_id=1, transaction_id=None, samples=[(at, values)]
    )
    record(now - timedelta(minutes=30), energy_wh=20_000.0, power_kw=40.0)
    record(now - timedelta(minutes=20), energy_wh=19_000.0)
    record(now - timedelta(minutes=10), energy_wh=21_000.0, power_kw=400.0)
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert kinds == {"meter_backwards", "power_above_max"}
    session = ChargingSession.objects.get()
    assert session.energy_kwh == 11.0  # the backwards reading is not counted


def test_repeated_failed_sessions_raise_an_alert(cp, settings):
    now = timezone.now()
    for i in range(settings.REPEATED_FAILURES_COUNT):
        session = transactions.transaction_start(
            charge_point_id=cp.pk,
            evse_id=2,
            connector_id=1,
            id_tag="",
            meter_start_wh=0,
            timestamp=now - timedelta(minutes=30 - i),
        )
        transactions.transaction_stop(
            charge_point_id=cp.pk,
            transaction_id=session.transaction_id,
            meter_stop_wh=0,
            timestamp=now - timedelta(minutes=29 - i),
            reason="EmergencyStop",
        )
    assert Alert.objects.get().kind == "repeated_failures"
    session = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=2, connector_id=1, id_tag="", meter_start_wh=0, timestamp=now
    )
    transactions.transaction_stop(
        charge_point_id=cp.pk, transaction_id=session.transaction_id, meter_stop_wh=5000, timestamp=now, reason="Local"
    )
    assert Alert.objects.get().resolved_at is not None


def test_a_maintenance_window_sets_the_station_inoperative_and_back(cp, org):
    now = timezone.now()
    services.maintenance_window_create(
        actor=org.technician_a,
        charge_point=cp,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        reason="Cable swap",
    )
    assert ChargePoint.objects.get(pk=cp.pk).status == "maintenance"
    command = OcppCommand.objects.get()
    assert (command.action, command.request) == ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    MaintenanceWindow.objects.update(ends_at=now - timedelta(seconds=1), starts_at=now - timedelta(minutes=2))
    station_watchdog.delay()
    assert OcppCommand.objects.order_by("-id").first().request["type"] == "Operative"
    assert ChargePoint.objects.get(pk=cp.pk).status != "maintenance"


def test_availability_counts_only_the_time_a_connector_could_serve(cp):
    from stations.selectors import connector_availability

    start = datetime(2026, 3, 1, tzinfo=UTC)
    connector = Connector.objects.get(charge_point=cp, evse_id=1)
    connector.status_history.all().delete()
    for hours, status in [(0, "Available"), (6, "Faulted"), (9, "Charging"), (12, "Unavailable"), (18, "Available")]:
        connector.status_history.create(status=status, changed_at=start + timedelta(hours=hours))
    result = connector_availability(connector=connector, start=start, end=start + timedelta(hours=24))
    assert result.percent == pytest.approx(100 * 15 / 24, abs=0.01)  # down 6-9 h and 12-18 h


def test_bad_maintenance_windows_are_rejected(org, api, cp):
    now = timezone.now()
    response = api(org.technician_a).post(
        "/api/v1/maintenance-windows/",
        {
            "charge_point": cp.pk,
            "starts_at": now.isoformat(),
            "ends_at": (now - timedelta(hours=1)).isoformat(),
            "reason": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["ends_at"][0]["code"] == "end_before_start"
    assert not MaintenanceWindow.objects.exists()


def test_power_figures_use_decimal_kw_on_connectors(cp):
    assert isinstance(Connector.objects.filter(charge_point=cp).first().max_power_kw, Decimal)


def test_a_station_that_disconnected_and_stays_away_is_reported_and_its_time_counts_as_down(cp):
    _status(cp.pk, 1, "Available")
    services.station_disconnect(charge_point_id=cp.pk)
    assert Connector.objects.get(charge_point=cp, evse_id=1).status == "Available"  # a blip changes nothing yet
    ChargePoint.objects.filter(pk=cp.pk).update(last_seen_at=timezone.now() - timedelta(seconds=300))
    station_watchdog.delay()
    assert Connector.objects.get(charge_point=cp, evse_id=1).status == "Unknown"
    assert Alert.objects.get(resolved_at__isnull=True).kind == "missed_heartbeat"


def test_an_unreadable_availability_period_is_a_clear_error(org, api, cp):
    connector = Connector.objects.filter(charge_point=cp).first()
    client = api(org.fleet_manager_a)
    for query in ("start=yesterday", "start=2026-13-01T00:00:00Z", "start=2026-01-01T00:00:00"):
        response = client.get(f"/api/v1/connectors/{connector.pk}/availability/?{query}")
        assert response.status_code == 400, query
        assert response.json()["fields"]["start"][0]["code"] == "invalid_datetime"
    future = client.get(f"/api/v1/connectors/{connector.pk}/availability/?start=2099-01-01T00:00:00Z")
    assert future.status_code == 400 and future.json()["fields"]["end"][0]["code"] == "end_before_start"


def test_impossible_reading_alerts_resolve_when_readings_are_plausible_again(cp):
    now = timezone.now()
    transactions.transaction_start(
        charge_point_id=cp.pk,
        evse_id=1,
        connector_id=1,
        id_tag="",
        meter_start_wh=10_000,
        timestamp=now - timedelta(hours=1),
    )
    record = lambda at, **values: meter_values.meter_values_record(  # noqa: E731
        charge_point_id=cp.pk, evse_id=1, connector_id=1, transaction_id=None, samples=[(at, values)]
    )
    record(now - timedelta(minutes=20), energy_wh=20_000.0, power_kw=400.0)
    assert Alert.objects.get(resolved_at__isnull=True).kind == "power_above_max"
    record(now - timedelta(minutes=10), energy_wh=25_000.0, power_kw=30.0)
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def test_an_ocpp201_connector_occupied_without_energy_flow_is_detected(cp, settings):
    started = timezone.now() - timedelta(seconds=settings.NO_ENERGY_FLOW_AFTER_S + 120)
    _status(cp.pk, 1, "Occupied")
    transactions.transaction_start(
        charge_point_id=cp.pk,
        evse_id=1,
        connector_id=1,
        id_tag="",
        meter_start_wh=0,
        timestamp=started,
        transaction_id="T-OCC",
    )
    station_watchdog.delay()
    assert Alert.objects.get(resolved_at__isnull=True).kind == "no_energy_flow"


def test_an_rfid_token_works_only_in_its_departments_tree(cp, org):
    from charging.models import IdToken

    IdToken.objects.create(token="OWN", department=org.a)
    IdToken.objects.create(token="TEAM", department=org.a1)
    IdToken.objects.create(token="FOREIGN", department=org.b)
    IdToken.objects.create(token="LOST", department=org.a, is_active=False)
    status = lambda token: transactions.id_token_status(token=token, charge_point_id=cp.pk)  # noqa: E731
    assert [status(t) for t in ("OWN", "TEAM", "FOREIGN", "LOST", "NOPE")] == [
        "Accepted",
        "Accepted",
        "Invalid",
        "Blocked",
        "Invalid",
    ]


def test_deleting_a_maintenance_window_under_way_returns_the_station_to_service(org, api, cp):
    now = timezone.now()
    window = services.maintenance_window_create(
        actor=org.technician_a,
        charge_point=cp,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        reason="Cable swap",
    )
    assert api(org.technician_a).delete(f"/api/v1/maintenance-windows/{window.pk}/").status_code == 204
    assert [c.request.get("type") for c in OcppCommand.objects.order_by("id")] == ["Inoperative", "Operative"]
    assert ChargePoint.objects.get(pk=cp.pk).status != "maintenance"


def test_a_session_the_station_forgot_in_a_reboot_is_closed_and_a_late_stop_still_counts(cp, settings):
    now = timezone.now()
    grace = timedelta(seconds=settings.REBOOT_GRACE_S)
    started = now - grace - timedelta(hours=2)
    forgot = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=1000, timestamp=started
    )
    carried_on = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=2, connector_id=1, id_tag="", meter_start_wh=5000, timestamp=started
    )
    last = now - grace - timedelta(minutes=30)
    for session, evse, wh in ((forgot, 1, 7000), (carried_on, 2, 9000)):
        meter_values.meter_values_record(charge_point_id=cp.pk, evse_id=evse, connector_id=1,
                                     transaction_id=session.transaction_id,
                                     samples=[(last, {"energy_wh": wh})])  # fmt: skip
    services.station_boot(charge_point_id=cp.pk, vendor="Sim", model="X")
    ChargePoint.objects.filter(pk=cp.pk).update(booted_at=now - grace - timedelta(seconds=1))
    # after the boot the station still reports the second transaction, not the first
    meter_values.meter_values_record(charge_point_id=cp.pk, evse_id=2, connector_id=1,
                                 transaction_id=carried_on.transaction_id,
                                 samples=[(now - timedelta(minutes=1), {"energy_wh": 9500})])  # fmt: skip
    assert station_watchdog.delay().get()["sessions_lost_in_reboot"] == 1
    forgot.refresh_from_db()
    carried_on.refresh_from_db()
    assert (forgot.status, forgot.stop_reason, forgot.ended_at, forgot.energy_kwh) == ("completed", "Reboot", last, 6.0)
    assert carried_on.ended_at is None
    assert station_watchdog.delay().get()["sessions_lost_in_reboot"] == 0  # once
    # the station remembered after all and sends its stop: its figures replace the platform's
    transactions.transaction_stop(charge_point_id=cp.pk, transaction_id=forgot.transaction_id, meter_stop_wh=7400,
                              timestamp=last + timedelta(minutes=3), reason="PowerLoss")  # fmt: skip
    forgot.refresh_from_db()
    assert (forgot.stop_reason, forgot.energy_kwh, forgot.ended_at) == ("PowerLoss", 6.4, last + timedelta(minutes=3))


def test_a_recent_boot_gives_the_station_time_to_speak_of_its_transactions(cp):
    started = timezone.now() - timedelta(hours=3)
    session = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=0, timestamp=started
    )
    services.station_boot(charge_point_id=cp.pk, vendor="Sim", model="X")  # just now: within the grace period
    assert station_watchdog.delay().get()["sessions_lost_in_reboot"] == 0
    session.refresh_from_db()
    assert session.ended_at is None
