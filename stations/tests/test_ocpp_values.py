"""Values the JSON schemas let through (a reading "NaN", a timestamp "yesterday", a negative meter start) are
answered with the protocol's own CALLERROR and leave nothing stored; a session is priced whatever its stored
readings; a reading sent twice is stored once."""

import asyncio
import contextlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import websockets

from charging.models import ChargingSession, MeterSample
from pricing import services as pricing_services
from stations.models import Connector, ConnectorStatusChange
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.fixture
def priced_depot(org):
    site = SiteFactory(department=org.a)
    for identity in ("CP-V16", "CP-V201"):
        ConnectorFactory(
            charge_point=ChargePointFactory(site=site, identity=identity),
            evse_id=1,
            connector_type="type2",
            current_type="ac",
            max_power_kw=D("22"),
        )
    pricing_services.tariff_create(
        actor=None, name="Flat", department=org.a, currency="EUR", site=site,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC), tax_percent=D("0"),
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.50"}]}],
    )  # fmt: skip
    return site


@contextlib.asynccontextmanager
async def _socket(base_url: str, identity: str, protocol: str):
    """A raw station socket: ask(action, payload) sends one CALL and returns the answer frame."""
    url = base_url.replace("http://", "ws://") + f"/ocpp/{identity}"
    numbers = itertools.count()
    async with websockets.connect(url, subprotocols=[protocol]) as socket:

        async def ask(action: str, payload: dict) -> list:
            unique_id = f"m{next(numbers)}"
            await socket.send(json.dumps([2, unique_id, action, payload]))
            answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert answer[1] == unique_id
            return answer

        yield ask


def _energy(value, moment: datetime, measurand="Energy.Active.Import.Register") -> dict:
    return {"timestamp": _iso(moment), "sampledValue": [{"value": value, "measurand": measurand, "unit": "Wh"}]}


def _stored():
    """Everything a station message could have changed, to compare before and after a refused one."""
    sessions = list(
        ChargingSession.objects.order_by("pk").values_list("pk", "ended_at", "meter_last_wh", "energy_kwh", "status")
    )
    connectors = list(Connector.objects.order_by("pk").values_list("pk", "status", "status_since"))
    return MeterSample.objects.count(), ConnectorStatusChange.objects.count(), sessions, connectors


def test_ocpp16_values_the_schema_lets_through_are_refused_with_its_codes_and_the_session_is_priced(
    priced_depot, asgi_live_server
):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    stop = {"meterStop": 20000, "timestamp": _iso(start + timedelta(hours=2)), "reason": "EVDisconnected"}

    async def scenario():
        refused = []
        async with _socket(asgi_live_server, "CP-V16", "ocpp1.6") as ask:
            assert (await ask("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}))[0] == 3
            start_tx = {"connectorId": 1, "idTag": "T", "meterStart": 1000, "timestamp": _iso(start)}
            for change, code in [
                ({"timestamp": "yesterday"}, "TypeConstraintViolation"),
                ({"timestamp": "2026-02-30T10:00:00Z"}, "TypeConstraintViolation"),
                ({"meterStart": -1}, "PropertyConstraintViolation"),
                ({"meterStart": 2**40}, "TypeConstraintViolation"),
            ]:
                refused.append((await ask("StartTransaction", {**start_tx, **change}), code))
            before_start = await asyncio.to_thread(_stored)
            started = await ask("StartTransaction", start_tx)
            tx = started[2]["transactionId"]
            good = _energy("11000", start + timedelta(hours=1))
            assert (await ask("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [good]}))[0] == 3
            before = await asyncio.to_thread(_stored)
            later = start + timedelta(hours=1, minutes=30)
            for meter_value, code in [
                ([_energy("NaN", later)], "TypeConstraintViolation"),
                ([_energy("Infinity", later)], "TypeConstraintViolation"),
                ([_energy("-inf", later)], "TypeConstraintViolation"),
                ([_energy("1e999", later)], "TypeConstraintViolation"),
                ([_energy("12 kWh", later)], "TypeConstraintViolation"),
                ([_energy("-5", later)], "PropertyConstraintViolation"),  # a register counts from 0
                ([_energy("140", later, measurand="SoC")], "PropertyConstraintViolation"),
                ([{**_energy("15000", later), "timestamp": "yesterday"}], "TypeConstraintViolation"),
                ([_energy("15000", later), _energy("NaN", later + timedelta(minutes=1))], "TypeConstraintViolation"),
            ]:
                payload = {"connectorId": 1, "transactionId": tx, "meterValue": meter_value}
                refused.append((await ask("MeterValues", payload), code))
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Faulted"}
            refused.append(
                (await ask("StatusNotification", {**status, "timestamp": "yesterday"}), "TypeConstraintViolation")
            )
            refused.append((await ask("StatusNotification", {**status, "status": "Sleeping"}), "FormationViolation"))
            for change, code in [
                ({"timestamp": "tomorrow"}, "TypeConstraintViolation"),
                ({"meterStop": -20000}, "PropertyConstraintViolation"),
                ({"meterStop": 2**40}, "TypeConstraintViolation"),
                ({"transactionData": [_energy("NaN", later)]}, "TypeConstraintViolation"),
            ]:
                refused.append((await ask("StopTransaction", {**stop, "transactionId": tx, **change}), code))
            after = await asyncio.to_thread(_stored)
            stopped = await ask("StopTransaction", {**stop, "transactionId": tx})
        return refused, before_start, before, after, stopped

    refused, before_start, before, after, stopped = asyncio.run(scenario())
    for answer, code in refused:
        assert answer[0] == 4 and answer[2] == code, (answer, code)
        assert answer[3], answer  # the description names the field and what it must be
    assert before_start[2] == []  # no session from any refused StartTransaction
    assert after == before  # nothing from any refused message
    assert stopped[0] == 3
    session = ChargingSession.objects.get()
    assert (session.energy_kwh, session.status, session.cost_total) == (19.0, "completed", D("9.50"))


def test_ocpp201_values_the_schema_lets_through_are_refused_with_its_codes_and_the_session_is_priced(
    priced_depot, asgi_live_server
):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    reading = lambda value, moment: {"timestamp": _iso(moment), "sampledValue": [{"value": value}]}  # noqa: E731
    event = {
        "eventType": "Started",
        "timestamp": _iso(start),
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-V"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [reading(1000, start)],
    }
    later = start + timedelta(hours=1)

    async def scenario():
        refused = []
        async with _socket(asgi_live_server, "CP-V201", "ocpp2.0.1") as ask:
            for change, code in [
                ({"timestamp": "yesterday"}, "TypeConstraintViolation"),
                ({"meterValue": [reading(-1000, start)]}, "PropertyConstraintViolation"),
                ({"meterValue": [{**reading(1000, start), "timestamp": "soon"}]}, "TypeConstraintViolation"),
                ({"seqNo": 2**40}, "TypeConstraintViolation"),
            ]:
                refused.append((await ask("TransactionEvent", {**event, **change}), code))
            before_start = await asyncio.to_thread(_stored)
            assert (await ask("TransactionEvent", event))[0] == 3
            updated = {**event, "eventType": "Updated", "seqNo": 1, "triggerReason": "MeterValuePeriodic"}
            assert (await ask("TransactionEvent", {**updated, "meterValue": [reading(11000, later)]}))[0] == 3
            before = await asyncio.to_thread(_stored)
            huge = {"value": 1, "unitOfMeasure": {"unit": "Wh", "multiplier": 400}}
            for payload, code in [
                ({**updated, "timestamp": "yesterday"}, "TypeConstraintViolation"),
                ({**updated, "meterValue": [reading(-5, later)]}, "PropertyConstraintViolation"),
                (
                    {**updated, "meterValue": [{"timestamp": _iso(later), "sampledValue": [huge]}]},
                    "TypeConstraintViolation",
                ),
                ({**updated, "eventType": "Ended", "timestamp": "never"}, "TypeConstraintViolation"),
                (
                    {**updated, "meterValue": [{**reading(12000, later), "timestamp": "later"}]},
                    "TypeConstraintViolation",
                ),
            ]:
                refused.append((await ask("TransactionEvent", payload), code))
            meter = {"evseId": 1, "meterValue": [{**reading(5, later), "timestamp": "yesterday"}]}
            refused.append((await ask("MeterValues", meter), "TypeConstraintViolation"))
            status = {"timestamp": "yesterday", "connectorStatus": "Faulted", "evseId": 1, "connectorId": 1}
            refused.append((await ask("StatusNotification", status), "TypeConstraintViolation"))
            refused.append(
                (await ask("StatusNotification", {**status, "connectorStatus": "Sleeping"}), "FormatViolation")
            )
            after = await asyncio.to_thread(_stored)
            ended = {**updated, "eventType": "Ended", "seqNo": 2, "triggerReason": "EVCommunicationLost"}
            ended["timestamp"] = _iso(start + timedelta(hours=2))
            ended["meterValue"] = [reading(20000, start + timedelta(hours=2))]
            stopped = await ask("TransactionEvent", ended)
        return refused, before_start, before, after, stopped

    refused, before_start, before, after, stopped = asyncio.run(scenario())
    for answer, code in refused:
        assert answer[0] == 4 and answer[2] == code, (answer, code)
    assert before_start[2] == []
    assert after == before
    assert stopped[0] == 3
    session = ChargingSession.objects.get()
    assert (session.energy_kwh, session.status, session.cost_total) == (19.0, "completed", D("9.50"))
