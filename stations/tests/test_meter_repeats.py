"""A reading a station sends twice is stored once, on both paths (the batched idle one and the session one), and
the readings already stored twice are reduced to one by the migration that adds the rule."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from charging.models import ChargingSession, MeterSample
from charging.tests.factories import SessionFactory
from stations.models import Alert
from stations.ocpp.messagelog import flush_all
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station

pytestmark = pytest.mark.django_db(transaction=True)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _reading(energy_wh: int, power_kw: float, moment: datetime) -> list[dict]:
    return [
        {
            "timestamp": _iso(moment),
            "sampled_value": [
                {"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": str(power_kw), "measurand": "Power.Active.Import", "unit": "kW"},
            ],
        }
    ]


@pytest.fixture
def connectors(org):
    site = SiteFactory(department=org.a)
    return {
        identity: ConnectorFactory(
            charge_point=ChargePointFactory(site=site, identity=identity), evse_id=1, max_power_kw=D("50")
        )
        for identity in ("CP-R16", "CP-R201")
    }


def test_ocpp16_readings_sent_twice_are_stored_once_idle_and_in_a_session(connectors, asgi_live_server):
    connector = connectors["CP-R16"]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)

    async def scenario():
        async with station(asgi_live_server, "CP-R16", "ocpp1.6") as cp:
            for _ in range(2):  # idle: the batched path
                await cp.call(call16.MeterValues(connector_id=1, meter_value=_reading(1000, 0.0, t0)))
            tx = await cp.call(
                call16.StartTransaction(connector_id=1, id_tag="T", meter_start=1000, timestamp=_iso(t0))
            )
            first = _reading(4000, 20.0, t0 + timedelta(minutes=10))
            second = _reading(7000, 20.0, t0 + timedelta(minutes=20))
            for meter_value in (first, first, second, first, second):  # repeats, also of the older one
                await cp.call(
                    call16.MeterValues(connector_id=1, transaction_id=tx.transaction_id, meter_value=meter_value)
                )
            await cp.call(call16.MeterValues(connector_id=1, meter_value=first + second))  # both again, one message
        await flush_all()

    asyncio.run(scenario())
    readings = list(connector.meter_samples.order_by("sampled_at").values_list("energy_wh", "session_id"))
    session = ChargingSession.objects.get(connector=connector)
    assert readings == [(1000.0, None), (4000.0, session.pk), (7000.0, session.pk)]
    assert session.energy_kwh == 6.0
    assert not Alert.objects.exists()  # a repeated older reading is no meter going backwards


def test_ocpp201_readings_sent_twice_are_stored_once(connectors, asgi_live_server):
    connector = connectors["CP-R201"]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    reading = lambda wh, moment: [{"timestamp": _iso(moment), "sampled_value": [{"value": wh}]}]  # noqa: E731

    async def scenario():
        async with station(asgi_live_server, "CP-R201", "ocpp2.0.1") as cp:
            for _ in range(2):
                await cp.call(call201.MeterValues(evse_id=1, meter_value=reading(500, t0)))
            event = dict(
                timestamp=_iso(t0),
                trigger_reason="MeterValuePeriodic",
                transaction_info={"transaction_id": "TX-R"},
                evse={"id": 1, "connector_id": 1},
            )
            await cp.call(
                call201.TransactionEvent(
                    event_type="Started", seq_no=0, meter_value=reading(1000, t0 + timedelta(seconds=1)), **event
                )
            )
            for seq_no in (1, 2):  # a TransactionEvent retried
                await cp.call(
                    call201.TransactionEvent(
                        event_type="Updated",
                        seq_no=seq_no,
                        meter_value=reading(3000, t0 + timedelta(minutes=5)),
                        **event,
                    )
                )
        await flush_all()

    asyncio.run(scenario())
    readings = list(connector.meter_samples.order_by("sampled_at").values_list("energy_wh", flat=True))
    assert readings == [500.0, 3000.0]  # the Started reading is the meter start, not a sample
    assert ChargingSession.objects.get(connector=connector).energy_kwh == 2.0


def test_the_migration_keeps_one_of_each_repeated_reading_preferring_the_one_in_a_session(org):
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=SiteFactory(department=org.a)))
    other = ConnectorFactory(charge_point=connector.charge_point)
    session = SessionFactory(connector=connector, started_at=datetime(2026, 5, 1, tzinfo=UTC))
    before, after = (
        [("charging", "0017_roaming")],
        [("charging", "0018_meter_sample_one_per_instant")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        t = datetime(2026, 5, 1, 10, tzinfo=UTC)
        rows = [
            (connector.pk, None, t, 100.0),  # the same instant three times: idle, in the session, idle
            (connector.pk, session.pk, t, 100.0),
            (connector.pk, None, t, 100.0),
            (connector.pk, None, t + timedelta(minutes=1), 200.0),  # twice, idle
            (connector.pk, None, t + timedelta(minutes=1), 200.0),
            (other.pk, None, t, 5.0),  # another connector at the same instant: another reading
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO charging_metersample (connector_id, session_id, sampled_at, energy_wh) "
                "VALUES (%s, %s, %s, %s)",
                rows,
            )
        ids = list(MeterSample.objects.order_by("pk").values_list("pk", flat=True))
        MigrationExecutor(connection).migrate(after)
        kept = list(MeterSample.objects.order_by("pk").values_list("pk", "connector_id", "session_id", "energy_wh"))
    finally:  # back to the latest schema: every migration after 0017 (in every app) was unapplied on the way down
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert kept == [
        (ids[1], connector.pk, session.pk, 100.0),
        (ids[3], connector.pk, None, 200.0),
        (ids[5], other.pk, None, 5.0),
    ]
