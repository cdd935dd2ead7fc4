"""The reservation queue is served whenever a connector frees up: a session ends (however it ends), a fault
clears, maintenance is over, a connector becomes Available; the minute job serves it too, as a safety net.
Alternatives only offer stations that are online."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from charging import detection as session_checks
from charging import services
from charging.models import ChargingSession, Reservation
from charging.services import transactions
from fleet.tests.factories import VehicleFactory
from notifications.models import Notification
from stations import detection
from stations import services as station_services
from stations.models import ChargePoint, CompatibilityRule, Connector, MaintenanceWindow, OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def depot(org):
    for plug in ("ccs2", "type2"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
    site = SiteFactory(department=org.a, name="Depot Q")
    cp = ChargePointFactory(site=site, identity="CP-Q1", is_connected=True, protocol="ocpp1.6",
                            status=ChargePoint.Status.OPERATIONAL, last_seen_at=timezone.now())  # fmt: skip
    fast = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="ccs2", current_type="dc",
                            max_power_kw=D("150"), status=Connector.Status.AVAILABLE)  # fmt: skip
    slow = ConnectorFactory(charge_point=cp, evse_id=2, connector_type="type2", current_type="ac",
                            max_power_kw=D("22"), status=Connector.Status.AVAILABLE)  # fmt: skip
    return {"site": site, "cp": cp, "fast": fast, "slow": slow}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what follows as committed: the after-commit work (the queue task, eager here) runs too."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _vehicle(org, name: str, priority: str = "normal"):
    return VehicleFactory(department=org.a, fleet_number=name, priority_class=priority)


def _now() -> timezone.datetime:
    return timezone.now().replace(microsecond=0)


def _book(org, vehicle, *, start=None, hours=1, **where) -> Reservation:
    start = start or _now()
    return services.reservation_request(
        actor=org.dispatcher_a, vehicle=vehicle, starts_at=start, ends_at=start + timedelta(hours=hours), **where
    )


def _charging(depot, vehicle, *, connector="fast", tag="TAG-X") -> ChargingSession:
    """Another vehicle charging at the connector now, as the station reported it."""
    from charging.models import IdToken

    IdToken.objects.get_or_create(token=tag, defaults={"department": vehicle.department, "vehicle": vehicle})
    return transactions.transaction_start(
        charge_point_id=depot["cp"].pk, evse_id=depot[connector].evse_id, connector_id=1, id_tag=tag,
        meter_start_wh=0.0, timestamp=timezone.now() - timedelta(minutes=20),
    )  # fmt: skip


def _assert_served(org, reservation: Reservation, connector: Connector) -> None:
    reservation.refresh_from_db()
    assert (reservation.status, reservation.connector_id) == ("confirmed", connector.pk)
    offered = reservation.decisions.get(action="offered")
    assert connector.label() in offered.reason
    told = Notification.objects.get(user=org.dispatcher_a, event="reservation.confirmed",
                                    data__reservation=reservation.pk)  # fmt: skip
    assert told.title.startswith("Reservation confirmed")


def test_a_booking_for_a_connector_in_use_is_queued_naming_the_session(org, depot):
    session = _charging(depot, _vehicle(org, "VAN-X"))
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert (waiting.status, waiting.connector) == ("queued", None)
    assert f"session {session.pk} of VAN-X charging at connector 1 of CP-Q1" in waiting.reason


def test_a_queued_booking_is_confirmed_when_the_station_stops_the_session(org, depot, committed):
    session = _charging(depot, _vehicle(org, "X"))
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert waiting.status == "queued"
    with committed():
        transactions.transaction_stop(
            charge_point_id=depot["cp"].pk, transaction_id=session.transaction_id, meter_stop_wh=5000.0,
            timestamp=timezone.now(), reason="EVDisconnected",
        )  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_site_booking_is_confirmed_when_a_session_ends_at_any_of_its_connectors(org, depot, committed):
    fast_session = _charging(depot, _vehicle(org, "X"))
    _charging(depot, _vehicle(org, "Y"), connector="slow", tag="TAG-Y")
    waiting = _book(org, _vehicle(org, "B"), site=depot["site"])
    assert waiting.status == "queued"
    with committed():
        transactions.transaction_stop(charge_point_id=depot["cp"].pk, transaction_id=fast_session.transaction_id,
                                          meter_stop_wh=5000.0, timestamp=timezone.now())  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_a_pending_remote_start_is_cancelled(org, depot, committed):
    pending = services.session_start(actor=org.dispatcher_a, vehicle=_vehicle(org, "X"), connector=depot["fast"])
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert waiting.status == "queued"
    with committed():
        assert services.session_stop(actor=org.dispatcher_a, session=pending) is None  # cancelled here
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_the_station_refuses_the_remote_start(org, depot, committed):
    pending = services.session_start(actor=org.dispatcher_a, vehicle=_vehicle(org, "X"), connector=depot["fast"])
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    with committed():
        station_services.command_complete(command_id=pending.remote_start_command_id, state=OcppCommand.State.REJECTED)
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_a_remote_start_never_began(org, depot, committed):
    pending = services.session_start(actor=org.dispatcher_a, vehicle=_vehicle(org, "X"), connector=depot["fast"])
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    with committed():
        assert services.pending_sessions_expire(now=pending.started_at + timedelta(minutes=6)) == 1
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_a_session_lost_in_a_reboot_is_closed(org, depot, settings, committed):
    session = _charging(depot, _vehicle(org, "X"))
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    ChargePoint.objects.filter(pk=depot["cp"].pk).update(
        booted_at=timezone.now() - timedelta(seconds=settings.REBOOT_GRACE_S + 60)
    )
    with committed():
        assert session_checks.close_sessions_lost_in_reboot() == 1
    session.refresh_from_db()
    assert session.stop_reason == "Reboot"
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_its_vehicle_leaves_the_connector_for_another(org, depot, committed):
    wanderer = _vehicle(org, "X")
    _charging(depot, wanderer)
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    # the same vehicle starts at the slow connector: its session at the fast one has ended
    with committed():
        transactions.transaction_start(charge_point_id=depot["cp"].pk, evse_id=2, connector_id=1, id_tag="TAG-X",
                                           meter_start_wh=0.0, timestamp=timezone.now())  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_a_fault_clears(org, depot, committed):
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Faulted", error_code="GroundFailure")  # fmt: skip
    _book(org, _vehicle(org, "HOLD"), connector=depot["slow"])
    waiting = _book(org, _vehicle(org, "B"), site=depot["site"])
    assert waiting.status == "queued"  # the fast one is faulted, the slow one held
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Available")  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_a_connector_unavailable_now_is_not_booked_and_serves_the_queue_when_it_becomes_available(
    org, depot, committed
):
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Unavailable")  # fmt: skip
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert waiting.status == "queued" and "Unavailable" in waiting.reason
    later = _book(org, _vehicle(org, "C"), connector=depot["fast"], start=_now() + timedelta(hours=3))
    assert later.status == "confirmed"  # a status says nothing about a window hours ahead
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Available")  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_maintenance_takes_the_station_for_its_window_and_a_cancelled_window_serves_the_queue(org, depot, committed):
    now = _now()
    window = station_services.maintenance_window_create(
        actor=org.admin, charge_point=depot["cp"], starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2), reason="firmware",
    )  # fmt: skip
    waiting = _book(org, _vehicle(org, "B"), site=depot["site"], start=now + timedelta(hours=1))
    assert waiting.status == "queued" and "maintenance" in waiting.reason
    before = _book(org, _vehicle(org, "C"), connector=depot["fast"], start=now - timedelta(seconds=30), hours=0.5)
    assert before.status == "confirmed"  # ends as the maintenance begins
    with committed():
        station_services.maintenance_window_delete(actor=org.admin, window=window)
    _assert_served(org, waiting, depot["fast"])


def test_a_queued_booking_is_confirmed_when_the_maintenance_is_over(org, depot, committed):
    now = _now()
    station_services.maintenance_window_create(
        actor=org.admin, charge_point=depot["cp"], starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(minutes=10), reason="new cable",
    )  # fmt: skip
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert waiting.status == "queued"
    MaintenanceWindow.objects.update(ends_at=now - timedelta(seconds=1))  # the time has come
    with committed():
        assert detection.apply_maintenance_windows() == 1
    assert OcppCommand.objects.filter(action="ChangeAvailability", request__type="Operative").exists()
    _assert_served(org, waiting, depot["fast"])


def test_the_minute_job_serves_the_queue_when_a_connector_freed_without_a_word(org, depot):
    session = _charging(depot, _vehicle(org, "X"))
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert services.reservations_tick()["offered"] == 0  # still charging: nothing to offer
    ChargingSession.objects.filter(pk=session.pk).update(ended_at=timezone.now(), status="completed")
    assert services.reservations_tick()["offered"] == 1
    _assert_served(org, waiting, depot["fast"])


def test_serving_the_queue_skips_a_connector_still_in_use_or_faulted(org, depot, committed):
    holder = _book(org, _vehicle(org, "HOLD"), connector=depot["fast"])
    session = _charging(depot, _vehicle(org, "X"))  # another vehicle plugged in at the held connector
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert (holder.status, waiting.status) == ("confirmed", "queued")
    with committed():
        services.reservation_cancel(actor=org.dispatcher_a, reservation=holder)  # frees the window, not the plug
    waiting.refresh_from_db()
    assert waiting.status == "queued"  # X is still charging there
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Faulted", error_code="GroundFailure")  # fmt: skip
    with committed():
        transactions.transaction_stop(charge_point_id=depot["cp"].pk, transaction_id=session.transaction_id,
                                          meter_stop_wh=100.0, timestamp=timezone.now())  # fmt: skip
    waiting.refresh_from_db()
    assert waiting.status == "queued"  # free of the session, but faulted
    with committed():
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=1, connector_id=1,
                                                 status="Available")  # fmt: skip
    _assert_served(org, waiting, depot["fast"])


def test_alternatives_offer_no_station_that_is_offline_or_never_connected(org, depot):
    offline = ChargePointFactory(site=depot["site"], identity="CP-Q-OFF", is_connected=False,
                                 status=ChargePoint.Status.OFFLINE,
                                 last_seen_at=timezone.now() - timedelta(days=1))  # fmt: skip
    never = ChargePointFactory(site=depot["site"], identity="CP-Q-NEW")  # registered, never connected
    for cp in (offline, never):
        ConnectorFactory(charge_point=cp, evse_id=1, connector_type="ccs2", current_type="dc", max_power_kw=D("300"))
    start = _now() + timedelta(hours=1)
    vehicle = _vehicle(org, "B")
    _book(org, _vehicle(org, "HOLD"), connector=depot["fast"], start=start)
    options = services.alternatives(vehicle=vehicle, site=depot["site"], starts_at=start,
                                    ends_at=start + timedelta(hours=1), connector=depot["fast"])  # fmt: skip
    assert [(o.kind, o.connector.charge_point.identity) for o in options] == [("other_connector", "CP-Q1")]
    _book(org, _vehicle(org, "HOLD2"), connector=depot["slow"], start=start)
    options = services.alternatives(vehicle=vehicle, site=depot["site"], starts_at=start,
                                    ends_at=start + timedelta(hours=1))  # fmt: skip
    assert [(o.kind, o.connector.pk) for o in options] == [("later_window", depot["fast"].pk)]
    assert options[0].starts_at == start + timedelta(hours=1)
    queued = _book(org, vehicle, site=depot["site"], start=start)
    alternatives = queued.decisions.get(action="queued").details["alternatives"]
    assert {a["connector"] for a in alternatives} == {depot["fast"].pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_postgresql_an_offer_that_loses_a_race_leaves_the_request_queued(org, depot, monkeypatch):
    from charging.services import reservation_rules

    holder = _book(org, _vehicle(org, "HOLD"), connector=depot["fast"])
    waiting = _book(org, _vehicle(org, "B"), connector=depot["fast"])
    assert waiting.status == "queued"
    # The overlap check misses the holder, as if it had been booked a moment after the check: the database's
    # exclusion constraint still refuses the second holder, and the request stays queued, unharmed.
    monkeypatch.setattr(reservation_rules, "holding", lambda *a, **k: Reservation.objects.none())
    assert services.queue_serve(connector_ids=[depot["fast"].pk]) == []
    waiting.refresh_from_db()
    assert (waiting.status, waiting.connector_id) == ("queued", None)
    holder.refresh_from_db()
    assert (holder.status, holder.connector_id) == ("confirmed", depot["fast"].pk)
