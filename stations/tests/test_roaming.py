"""RFID cards at the station (Authorize, StartTransaction, TransactionEvent) get the checks of a remote start:
the host department's roaming policy, the vehicle's status, the connector's fit and a transaction under way
elsewhere. Driven through the real consumer over WebSocket, in OCPP 1.6J and 2.0.1."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from accounts.tests.factories import DepartmentFactory
from charging.models import ChargingSession, IdToken, RoamingPolicy
from charging.services import transactions
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from stations import services
from stations.models import Alert, CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station
from tests.stations import closing

pytestmark = pytest.mark.django_db(transaction=True)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plugs(charge_point):
    """Connector 1: CCS2, DC 150 kW; connector 2: Type 2, AC 22 kW."""
    ConnectorFactory(charge_point=charge_point, evse_id=1)
    ConnectorFactory(
        charge_point=charge_point,
        evse_id=2,
        connector_type="type2",
        current_type="ac",
        max_power_kw=Decimal("22.0"),
        max_current_a=32,
    )


@pytest.fixture
def depot(org):
    """Team A1's depot; vehicles (each with its RFID card) of A1, of its sibling team A2 and of organisation B."""
    for plug in ("ccs2", "type2", "chademo"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")  # flushed tables
    a2 = DepartmentFactory(name="Team A2", parent=org.a)
    site = SiteFactory(department=org.a1, name="A1 depot")
    cp16, cp201 = ChargePointFactory(identity="R-16", site=site), ChargePointFactory(identity="R-201", site=site)
    _plugs(cp16)
    _plugs(cp201)
    ac_only = VehicleModelFactory(name="AC van", inlets=["type2"], max_dc_kw=None)
    chademo_only = VehicleModelFactory(name="Old leaf", inlets=["chademo"], max_ac_kw=Decimal("6.6"))
    vehicles = {
        "own": VehicleFactory(department=org.a1, fleet_number="A1-OWN"),
        "sibling": VehicleFactory(department=a2, fleet_number="A2-VAN"),
        "foreign": VehicleFactory(department=org.b, fleet_number="B-VAN"),
        "maintenance": VehicleFactory(department=org.a1, fleet_number="A1-MNT", status=Vehicle.Status.MAINTENANCE),
        "ac_only": VehicleFactory(department=org.a1, fleet_number="A1-AC", vehicle_model=ac_only),
        "chademo": VehicleFactory(department=org.a1, fleet_number="A1-CHA", vehicle_model=chademo_only),
    }
    for name, vehicle in vehicles.items():
        IdToken.objects.create(token=f"TAG-{name.upper()}", department=vehicle.department, vehicle=vehicle)
    return {"site": site, "a2": a2, "vehicles": vehicles}


def _policy(department, mode, listed=()):
    policy, _ = RoamingPolicy.objects.update_or_create(department=department, defaults={"mode": mode})
    policy.allowed_departments.set(listed)


def test_an_ocpp16_authorize_answers_by_the_host_departments_roaming_policy(org, depot, asgi_live_server):
    async def authorize(cp, tag):
        return (await cp.call(call16.Authorize(id_tag=tag))).id_tag_info["status"]

    async def scenario():
        async with station(asgi_live_server, "R-16", "ocpp1.6") as cp:
            answers = {"none": [await authorize(cp, t) for t in ("TAG-OWN", "TAG-SIBLING", "TAG-FOREIGN", "NOPE")]}
            await asyncio.to_thread(closing(_policy, org.a1, RoamingPolicy.Mode.ORGANISATION))
            answers["organisation"] = [await authorize(cp, t) for t in ("TAG-SIBLING", "TAG-FOREIGN")]
            await asyncio.to_thread(closing(_policy, org.a1, RoamingPolicy.Mode.LISTED, [org.b]))
            answers["listed"] = [await authorize(cp, t) for t in ("TAG-SIBLING", "TAG-FOREIGN")]
            await asyncio.to_thread(closing(_policy, org.a1, RoamingPolicy.Mode.ANY))
            answers["any"] = [await authorize(cp, t) for t in ("TAG-SIBLING", "TAG-FOREIGN")]
            return answers

    answers = asyncio.run(scenario())
    assert answers == {
        "none": ["Accepted", "Invalid", "Invalid", "Invalid"],  # only A1's own (and its parent's) by default
        "organisation": ["Accepted", "Invalid"],  # A2 is under the same top-level department, B is not
        "listed": ["Invalid", "Accepted"],
        "any": ["Accepted", "Accepted"],
    }


def test_a_team_without_a_policy_follows_its_parents(org, depot, asgi_live_server):
    _policy(org.a, RoamingPolicy.Mode.LISTED, [org.b])  # set on Org A; the depot belongs to its team A1

    async def scenario():
        async with station(asgi_live_server, "R-16", "ocpp1.6") as cp:
            return (await cp.call(call16.Authorize(id_tag="TAG-FOREIGN"))).id_tag_info["status"]

    assert asyncio.run(scenario()) == "Accepted"
    _policy(org.a1, RoamingPolicy.Mode.NONE)  # the team's own policy wins over its parent's
    assert asyncio.run(scenario()) == "Invalid"


def test_an_ocpp16_authorize_refuses_a_vehicle_in_maintenance_and_one_that_fits_no_connector(depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "R-16", "ocpp1.6") as cp:
            return [
                (await cp.call(call16.Authorize(id_tag=tag))).id_tag_info["status"]
                for tag in ("TAG-MAINTENANCE", "TAG-CHADEMO", "TAG-AC_ONLY")
            ]

    # in maintenance: Blocked; CHAdeMO only at a CCS2 / Type 2 station: Invalid; AC only fits connector 2
    assert asyncio.run(scenario()) == ["Blocked", "Invalid", "Accepted"]


def test_an_ocpp16_start_the_host_refuses_is_answered_and_recorded_with_its_reason(org, depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "R-16", "ocpp1.6") as cp:
            answers = {}
            for tag, connector in (("TAG-FOREIGN", 1), ("TAG-MAINTENANCE", 2), ("TAG-AC_ONLY", 1)):
                start = await cp.call(
                    call16.StartTransaction(connector_id=connector, id_tag=tag, meter_start=1000, timestamp=now())
                )
                answers[tag] = (start.id_tag_info["status"], start.transaction_id)
                # the station obeys the refusal and stops at once (StopTransactionOnInvalidId)
                await cp.call(
                    call16.StopTransaction(
                        meter_stop=1000, timestamp=now(), transaction_id=start.transaction_id, reason="DeAuthorized"
                    )
                )
            start = await cp.call(
                call16.StartTransaction(connector_id=2, id_tag="TAG-AC_ONLY", meter_start=0, timestamp=now())
            )
            answers["TAG-AC_ONLY on Type 2"] = (start.id_tag_info["status"], start.transaction_id)
            return answers

    answers = asyncio.run(scenario())
    assert {tag: status for tag, (status, _) in answers.items()} == {
        "TAG-FOREIGN": "Invalid",
        "TAG-MAINTENANCE": "Blocked",
        "TAG-AC_ONLY": "Invalid",
        "TAG-AC_ONLY on Type 2": "Accepted",
    }
    sessions = {s.id_tag: s for s in ChargingSession.objects.filter(ended_at__isnull=False)}
    foreign, maintenance, ac_only = sessions["TAG-FOREIGN"], sessions["TAG-MAINTENANCE"], sessions["TAG-AC_ONLY"]
    vehicles = depot["vehicles"]
    # kept, not dropped: what the station was told, why, and whose vehicle it was
    assert (foreign.authorization_status, foreign.vehicle, foreign.vehicle_department) == (
        "Invalid",
        vehicles["foreign"],
        org.b,
    )
    assert foreign.reason == (
        "refused at the station (Invalid): Org B's vehicles may not charge at Team A1's sites "
        "(no roaming policy: no other department)"
    )
    assert maintenance.reason == (
        "refused at the station (Blocked): A1-MNT is in maintenance; set it active before charging it"
    )
    assert ac_only.reason.startswith("refused at the station (Invalid): vehicle A1-AC (inlets: Type 2")
    assert "cannot use connector 1 of R-16" in ac_only.reason
    assert {s.status for s in (foreign, maintenance, ac_only)} == {"failed"}  # no energy, DeAuthorized
    accepted = ChargingSession.objects.get(ended_at__isnull=True)
    assert (accepted.vehicle, accepted.authorization_status, accepted.reason) == (vehicles["ac_only"], "Accepted", "")
    # refusals are no fault of the connector: three of them raise no repeated-failures alert
    assert not Alert.objects.filter(kind=Alert.Kind.REPEATED_FAILURES).exists()


def test_a_refused_start_that_the_station_charges_anyway_keeps_its_energy_and_its_refusal(depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "R-16", "ocpp1.6") as cp:
            start = await cp.call(
                call16.StartTransaction(connector_id=1, id_tag="TAG-FOREIGN", meter_start=1000, timestamp=now())
            )
            await cp.call(
                call16.StopTransaction(
                    meter_stop=6000, timestamp=now(), transaction_id=start.transaction_id, reason="EVDisconnected"
                )
            )
            return start

    start = asyncio.run(scenario())
    session = ChargingSession.objects.get(transaction_id=str(start.transaction_id))
    assert start.id_tag_info["status"] == "Invalid"
    assert (session.energy_kwh, session.status, session.authorization_status) == (5.0, "completed", "Invalid")
    assert session.reason.startswith("refused at the station (Invalid): Org B's vehicles may not charge")


def test_a_vehicle_charging_at_another_station_is_concurrent_tx_elsewhere_but_may_stop_there(depot, asgi_live_server):
    own = depot["vehicles"]["own"]

    async def scenario():
        async with (
            station(asgi_live_server, "R-201", "ocpp2.0.1") as cp201,
            station(asgi_live_server, "R-16", "ocpp1.6") as cp16,
        ):
            await cp201.call(
                call201.StatusNotification(timestamp=now(), connector_status="Occupied", evse_id=1, connector_id=1)
            )
            started = await cp201.call(
                call201.TransactionEvent(
                    event_type="Started",
                    timestamp=now(),
                    trigger_reason="Authorized",
                    seq_no=0,
                    transaction_info={"transaction_id": "TX-LIVE"},
                    evse={"id": 1, "connector_id": 1},
                    id_token={"id_token": "TAG-OWN", "type": "ISO14443"},
                )
            )
            elsewhere = (await cp16.call(call16.Authorize(id_tag="TAG-OWN"))).id_tag_info["status"]
            here = await cp201.call(call201.Authorize(id_token={"id_token": "TAG-OWN", "type": "ISO14443"}))
            second = await cp16.call(
                call16.StartTransaction(connector_id=1, id_tag="TAG-OWN", meter_start=0, timestamp=now())
            )
            return started.id_token_info["status"], elsewhere, here.id_token_info["status"], second

    started, elsewhere, here, second = asyncio.run(scenario())
    assert (started, elsewhere, here) == ("Accepted", "ConcurrentTx", "Accepted")  # at its own station: a stop
    assert second.id_tag_info["status"] == "ConcurrentTx"
    live = ChargingSession.objects.get(transaction_id="TX-LIVE")
    assert (live.vehicle, live.ended_at) == (own, None)  # the session under way stands
    refused = ChargingSession.objects.get(transaction_id=str(second.transaction_id))
    assert (refused.vehicle, refused.vehicle_department, refused.authorization_status) == (
        None,
        own.department,
        "ConcurrentTx",
    )
    assert refused.reason == f"refused at the station (ConcurrentTx): A1-OWN is charging elsewhere (session {live.pk})"


def test_an_open_session_whose_connector_is_free_again_is_superseded_not_concurrent(depot):
    """A lost StopTransaction: once the connector says Available, the vehicle starting elsewhere has left it."""
    own = depot["vehicles"]["own"]
    cp16, cp201 = (depot["site"].charge_points.get(identity=i) for i in ("R-16", "R-201"))
    for cp in (cp16, cp201):
        services.station_connect(identity=cp.identity, password=None, protocol="ocpp1.6")

    def start(cp, evse):
        return transactions.transaction_start(charge_point_id=cp.pk, evse_id=evse, connector_id=1, id_tag="TAG-OWN",
                                          meter_start_wh=0, timestamp=datetime.now(UTC))  # fmt: skip

    lost = start(cp201, 1)
    services.connector_status_update(charge_point_id=cp201.pk, evse_id=1, connector_id=1, status="Charging")
    assert start(cp16, 1).authorization_status == "ConcurrentTx"
    services.connector_status_update(charge_point_id=cp201.pk, evse_id=1, connector_id=1, status="Available")
    session = start(cp16, 2)
    lost.refresh_from_db()
    assert (session.authorization_status, session.vehicle) == ("Accepted", own)
    assert (lost.status, lost.stop_reason) == ("aborted", "superseded")


def _event(event_type: str, seq_no: int, transaction_id: str, evse_id: int = 1, token: str | None = None, **info):
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=now(),
        trigger_reason="Authorized" if token else "CablePluggedIn",
        seq_no=seq_no,
        transaction_info={"transaction_id": transaction_id, **info},
        evse={"id": evse_id, "connector_id": 1},
        **({"id_token": {"id_token": token, "type": "ISO14443"}} if token else {}),
    )


def test_an_ocpp201_station_gets_the_201_status_of_each_refusal(org, depot, asgi_live_server):
    async def scenario():
        async with station(asgi_live_server, "R-201", "ocpp2.0.1") as cp:
            authorize = {}
            for tag in ("TAG-OWN", "NOPE", "TAG-FOREIGN", "TAG-MAINTENANCE", "TAG-CHADEMO"):
                answer = await cp.call(call201.Authorize(id_token={"id_token": tag, "type": "ISO14443"}))
                authorize[tag] = answer.id_token_info["status"]
            starts = {}
            for n, (tag, evse) in enumerate((("TAG-FOREIGN", 1), ("TAG-AC_ONLY", 1), ("TAG-MAINTENANCE", 2))):
                answer = await cp.call(_event("Started", 0, f"TX-{n}", evse, tag))
                starts[tag] = answer.id_token_info["status"]
                await cp.call(_event("Ended", 1, f"TX-{n}", evse, stopped_reason="DeAuthorized"))
            return authorize, starts

    authorize, starts = asyncio.run(scenario())
    assert authorize == {
        "TAG-OWN": "Accepted",
        "NOPE": "Unknown",
        "TAG-FOREIGN": "NotAtThisLocation",
        "TAG-MAINTENANCE": "Blocked",
        "TAG-CHADEMO": "NotAllowedTypeEVSE",
    }
    assert starts == {
        "TAG-FOREIGN": "NotAtThisLocation",
        "TAG-AC_ONLY": "NotAllowedTypeEVSE",
        "TAG-MAINTENANCE": "Blocked",
    }
    recorded = dict(ChargingSession.objects.values_list("transaction_id", "authorization_status"))
    assert recorded == {"TX-0": "NotAtThisLocation", "TX-1": "NotAllowedTypeEVSE", "TX-2": "Blocked"}
    foreign = ChargingSession.objects.get(transaction_id="TX-0")
    assert (foreign.vehicle_department, foreign.status) == (org.b, "failed")
    assert foreign.reason.startswith("refused at the station (NotAtThisLocation): Org B's vehicles may not charge")


def test_an_ocpp201_transaction_begun_without_a_card_takes_the_card_shown_later_with_the_same_checks(
    org, depot, asgi_live_server
):
    async def scenario():
        async with station(asgi_live_server, "R-201", "ocpp2.0.1") as cp:
            plugged = await cp.call(_event("Started", 0, "TX-CABLE-1", 1))  # cable first: no card yet
            foreign = await cp.call(_event("Updated", 1, "TX-CABLE-1", 1, "TAG-FOREIGN"))
            await cp.call(_event("Started", 0, "TX-CABLE-2", 2))
            own = await cp.call(_event("Updated", 1, "TX-CABLE-2", 2, "TAG-AC_ONLY"))
            again = await cp.call(_event("Updated", 2, "TX-CABLE-2", 2, "TAG-AC_ONLY"))
            return plugged.id_token_info, foreign.id_token_info["status"], own.id_token_info, again.id_token_info

    plugged, foreign, own, again = asyncio.run(scenario())
    assert plugged is None  # nothing to answer about
    assert (foreign, own["status"], again["status"]) == ("NotAtThisLocation", "Accepted", "Accepted")
    refused = ChargingSession.objects.get(transaction_id="TX-CABLE-1")
    assert (refused.id_tag, refused.vehicle, refused.vehicle_department) == (
        "TAG-FOREIGN",
        depot["vehicles"]["foreign"],
        org.b,
    )
    assert refused.reason.startswith("refused at the station (NotAtThisLocation):")
    accepted = ChargingSession.objects.get(transaction_id="TX-CABLE-2")
    assert (accepted.vehicle, accepted.authorization_status, accepted.reason) == (
        depot["vehicles"]["ac_only"],
        "Accepted",
        "",
    )
