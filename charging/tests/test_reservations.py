"""Reservations: booking, overlaps (also at the database level and under a race), the priority queue,
pre-emption with alternatives, the minute job, and ReserveNow reaching a station."""

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from charging import services
from charging.models import Reservation, ReservationPolicy
from charging.services import transactions
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from stations.models import CompatibilityRule, OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station

pytestmark = pytest.mark.django_db


def _soon(minutes: int = 60) -> datetime:
    return (timezone.now() + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


@pytest.fixture
def yard(org):
    # Transactional tests empty the tables, the seeded compatibility rules too: make sure of the two used here.
    for plug in ("ccs2", "type2"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
    site = SiteFactory(department=org.a, name="Yard")
    # online (connected, heard from): only such stations are offered to site bookings and as alternatives
    cp = ChargePointFactory(site=site, identity="CP-R1", is_connected=True, protocol="ocpp1.6",
                            status="operational", last_seen_at=timezone.now())  # fmt: skip
    fast = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="ccs2", current_type="dc", max_power_kw=D("150"))
    slow = ConnectorFactory(charge_point=cp, evse_id=2, connector_type="type2", current_type="ac", max_power_kw=D("22"))
    return {"site": site, "cp": cp, "fast": fast, "slow": slow}


def _vehicle(org, name: str, priority: str = "normal", **extra) -> Vehicle:
    return VehicleFactory(department=org.a, fleet_number=name, priority_class=priority, **extra)


def _book(vehicle, *, start, hours=1, queue=True, **where):
    return services.reservation_request(
        actor=None, vehicle=vehicle, starts_at=start, ends_at=start + timedelta(hours=hours), queue=queue, **where
    )


def test_a_site_booking_takes_the_fastest_free_compatible_connector(org, yard):
    start = _soon()
    first = _book(_vehicle(org, "A"), start=start, site=yard["site"])
    second = _book(_vehicle(org, "B"), start=start, site=yard["site"])
    assert (first.connector, first.status) == (yard["fast"], "confirmed")
    assert (second.connector, second.status) == (yard["slow"], "confirmed")
    third = _book(_vehicle(org, "C"), start=start, site=yard["site"])
    assert third.status == "queued" and third.connector is None
    queued = third.decisions.get(action="queued")
    assert queued.details["conflicts"] and queued.details["alternatives"][0]["kind"] == "later_window"


def test_an_overlap_is_refused_naming_the_conflict_and_the_alternatives(org, yard, api):
    start = _soon()
    holder = _book(_vehicle(org, "A"), start=start, connector=yard["fast"])
    body = {
        "vehicle": _vehicle(org, "B").pk,
        "requested_connector": yard["fast"].pk,
        "queue": False,
        "starts_at": (start + timedelta(minutes=30)).isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    response = api(org.dispatcher_a).post("/api/v1/reservations/", body, format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["requested_connector"][0]["message"]
    assert f"reservation {holder.pk}" in message and "connector 2 of CP-R1" in message  # free then
    query = {"vehicle": body["vehicle"], "connector": yard["fast"].pk}
    query.update(starts_at=body["starts_at"], ends_at=body["ends_at"])
    alternatives = api(org.dispatcher_a).get("/api/v1/reservations/alternatives/", query).json()
    assert [(a["kind"], a["connector"]) for a in alternatives] == [("other_connector", yard["slow"].pk)]
    assert Reservation.objects.count() == 1


def test_bad_windows_and_vehicles_are_refused_by_field(org, yard, api):
    client = api(org.dispatcher_a)
    vehicle = _vehicle(org, "A")
    start = _soon()

    def post(**changes):
        body = {"vehicle": vehicle.pk, "requested_connector": yard["fast"].pk, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(), **changes}  # fmt: skip
        return client.post("/api/v1/reservations/", body, format="json")

    assert "ends_at" in post(ends_at=(start - timedelta(hours=1)).isoformat()).json()["fields"]
    assert "starts_at" in post(starts_at=(start - timedelta(days=1)).isoformat()).json()["fields"]
    ReservationPolicy.objects.create(site=yard["site"], max_duration_minutes=120)
    long = post(ends_at=(start + timedelta(hours=3)).isoformat()).json()["fields"]["ends_at"][0]["message"]
    assert "at most 120 minutes" in long
    assert "requested_connector" in post(requested_connector=999999).json()["fields"]
    old = VehicleFactory(department=org.a, vehicle_model=VehicleModelFactory(inlets=["chademo"], max_dc_kw=D("50")))
    assert "requested_connector" in post(vehicle=old.pk).json()["fields"]
    Vehicle.objects.filter(pk=vehicle.pk).update(status="maintenance")
    assert "maintenance" in post().json()["fields"]["vehicle"][0]["message"]
    assert "site" in post(requested_connector=None).json()["fields"]
    assert Reservation.objects.count() == 0
    assert api(org.fleet_manager_b).get("/api/v1/reservations/").json()["count"] == 0


def test_a_critical_vehicle_preempts_a_low_priority_booking_with_alternatives(org, yard):
    start = _soon()
    low = _book(_vehicle(org, "LOW", "low"), start=start, connector=yard["fast"])
    normal = _book(_vehicle(org, "NORM", "normal"), start=start, connector=yard["slow"])
    critical = _book(_vehicle(org, "CRIT", "critical"), start=start, site=yard["site"])
    low.refresh_from_db()
    assert (critical.status, critical.connector) == ("confirmed", yard["fast"])
    assert low.status == "preempted" and "CRIT" in low.reason
    decision = low.decisions.get(action="preempted")
    assert decision.details["by_reservation"] == critical.pk
    assert decision.details["alternatives"][0]["kind"] == "later_window"  # the slow one is taken too
    assert "pre-empted reservation" in critical.decisions.get(action="confirmed").reason
    normal.refresh_from_db()
    assert normal.status == "confirmed"  # normal priority is never pre-empted


def test_no_preemption_of_a_booking_under_way_or_where_the_site_forbids_it(org, yard):
    ReservationPolicy.objects.create(site=yard["site"], allow_preemption=False)
    start = _soon()
    _book(_vehicle(org, "LOW", "low"), start=start, connector=yard["fast"])
    assert _book(_vehicle(org, "CRIT", "critical"), start=start, connector=yard["fast"]).status == "queued"


def test_the_queue_orders_by_priority_then_deadline_then_arrival_and_gets_the_freed_connector(org, yard):
    start = _soon()
    holder = _book(_vehicle(org, "HOLD"), start=start, connector=yard["fast"])
    ReservationPolicy.objects.create(site=yard["site"], allow_preemption=False)
    low = _book(_vehicle(org, "LOW", "low"), start=start, connector=yard["fast"])
    late = _book(_vehicle(org, "N-LATE"), start=start, connector=yard["fast"])
    urgent = services.reservation_request(
        actor=None, vehicle=_vehicle(org, "N-URGENT"), connector=yard["fast"], starts_at=start,
        ends_at=start + timedelta(hours=1), departure_at=start + timedelta(minutes=50),
    )  # fmt: skip
    critical = _book(_vehicle(org, "CRIT", "critical"), start=start, connector=yard["fast"])
    queue = services.queue_order(Reservation.objects.filter(status="queued"))
    assert [r.pk for r in queue] == [critical.pk, urgent.pk, late.pk, low.pk]
    services.reservation_cancel(actor=None, reservation=holder)
    critical.refresh_from_db()
    assert (critical.status, critical.connector_id) == ("confirmed", yard["fast"].pk)
    assert critical.decisions.filter(action="offered").exists()
    assert Reservation.objects.filter(status="queued").count() == 3


def test_the_minute_job_holds_the_connector_releases_a_no_show_and_offers_it(org, yard):
    now = timezone.now().replace(microsecond=0)
    booked = _book(_vehicle(org, "A"), start=now, connector=yard["fast"])
    ReservationPolicy.objects.create(site=yard["site"], allow_preemption=False, no_show_grace_minutes=10)
    waiting = _book(_vehicle(org, "B"), start=now, connector=yard["fast"])
    assert services.reservations_tick(now=now)["held"] == 1
    booked.refresh_from_db()
    assert booked.status == "active"
    reserve = OcppCommand.objects.get(action="ReserveNow")
    assert reserve.request["reservationId"] == booked.pk and reserve.request["connectorId"] == 1
    counts = services.reservations_tick(now=now + timedelta(minutes=11))
    assert (counts["no_show"], counts["offered"]) == (1, 1)
    booked.refresh_from_db()
    waiting.refresh_from_db()
    assert booked.status == "no_show" and waiting.status == "confirmed"
    assert OcppCommand.objects.get(action="CancelReservation").request == {"reservationId": booked.pk}


def test_plugging_in_fulfils_the_reservation(org, yard):
    from charging.models import IdToken

    vehicle = _vehicle(org, "A")
    IdToken.objects.create(token="TAG-A", department=org.a, vehicle=vehicle)
    booked = _book(vehicle, start=timezone.now(), connector=yard["fast"])
    session = transactions.transaction_start(
        charge_point_id=yard["cp"].pk, evse_id=1, connector_id=1, id_tag="TAG-A", meter_start_wh=0.0,
        timestamp=timezone.now(),
    )  # fmt: skip
    booked.refresh_from_db()
    assert (booked.status, booked.session_id) == ("fulfilled", session.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_postgresql_refuses_overlapping_holding_reservations_itself(org, yard):
    start = _soon()
    first = _book(_vehicle(org, "A"), start=start, connector=yard["fast"])
    clash = Reservation(vehicle=_vehicle(org, "B"), site=yard["site"], connector=yard["fast"], status="confirmed",
                        starts_at=start + timedelta(minutes=59), ends_at=start + timedelta(hours=2),
                        priority_class="normal")  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save()  # straight to the database, past the service
    clash.starts_at = first.ends_at  # touching is not overlapping
    clash.save()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_one_slot_have_exactly_one_winner(org, yard):
    start = _soon()
    vehicles = [_vehicle(org, "RACE-1"), _vehicle(org, "RACE-2")]
    barrier, results = threading.Barrier(2), []

    def book(vehicle):
        try:
            barrier.wait()
            results.append(_book(vehicle, start=start, connector=yard["fast"], queue=False).status)
        except Exception as exc:  # noqa: BLE001  (the loser's error is the point)
            results.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(v,)) for v in vehicles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["ValidationError", "confirmed"]
    assert Reservation.objects.filter(status="confirmed", connector=yard["fast"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_reserve_now_reaches_the_station(org, yard, asgi_live_server):
    vehicle = _vehicle(org, "A")
    booked = _book(vehicle, start=timezone.now(), connector=yard["fast"])

    def closing(function):  # ORM work in a worker thread, whose connection must not outlive it
        def run():
            try:
                return function()
            finally:
                connections.close_all()

        return run

    async def scenario():
        async with station(asgi_live_server, "CP-R1", "ocpp1.6") as cp:
            await asyncio.to_thread(closing(services.reservations_tick))
            for _ in range(100):
                reserve_now = OcppCommand.objects.filter(action="ReserveNow")
                command = await asyncio.to_thread(closing(reserve_now.first))
                if command is not None and command.state != "pending":
                    return cp, command
                await asyncio.sleep(0.05)
            return cp, command

    cp, command = asyncio.run(scenario())
    assert command.state == "accepted" and command.response == {"status": "Accepted"}
    assert cp.reservations == [(1, services.vehicle_token(vehicle).token, booked.pk)]
    assert datetime.fromisoformat(command.request["expiryDate"].replace("Z", "+00:00")) == booked.ends_at.astimezone(
        UTC
    )
