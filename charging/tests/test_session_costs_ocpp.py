"""A real OCPP transaction ends priced: station → central system → Celery task → the session's cost."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from ocpp.v16 import call as call16

from charging.models import ChargingSession, IdToken
from fleet.tests.factories import VehicleFactory
from pricing import services
from pricing.tests.factories import CustomerFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station

pytestmark = pytest.mark.django_db(transaction=True)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def test_a_stopped_transaction_is_priced_for_the_vehicles_customer(org, asgi_live_server):
    site = SiteFactory(department=org.a)
    cp = ChargePointFactory(site=site, identity="CP-PRICE")
    ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac", max_power_kw=D("22"))
    services.tariff_create(
        actor=None, name="Priced", department=org.a, currency="EUR", site=site,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), tax_percent=D("19"),
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.30"}]}],
    )  # fmt: skip
    customer = CustomerFactory(department=org.a)
    services.contract_create(
        actor=None, customer=customer, name="Half", kind="discount", valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        discount_percent=D("50"),
    )  # fmt: skip
    IdToken.objects.create(token="TAG-P", department=org.a, vehicle=VehicleFactory(department=org.a, customer=customer))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)

    async def scenario():
        async with station(asgi_live_server, "CP-PRICE", "ocpp1.6") as ws:
            await ws.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            tx = await ws.call(
                call16.StartTransaction(connector_id=1, id_tag="TAG-P", meter_start=0, timestamp=_iso(start))
            )
            reading = [
                {
                    "timestamp": _iso(start + timedelta(hours=1)),
                    "sampled_value": [{"value": "11000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}],
                }
            ]
            await ws.call(call16.MeterValues(connector_id=1, transaction_id=tx.transaction_id, meter_value=reading))
            await ws.call(call16.StopTransaction(meter_stop=22000, timestamp=_iso(start + timedelta(hours=2)),
                                                 transaction_id=tx.transaction_id))  # fmt: skip

    asyncio.run(scenario())
    session = ChargingSession.objects.get(charge_point=cp)
    assert session.customer == customer and session.energy_kwh == 22.0
    # 22 kWh × 0.30 × (1 − 50 %) = 3.30; with 19 % tax 3.927 → 3.93
    assert (session.cost_excl_tax, session.cost_tax, session.cost_total) == (D("3.30"), D("0.63"), D("3.93"))
    assert session.tariff_version.tariff.name == "Priced"
    assert [line["unit_price"] for line in session.cost_breakdown["lines"]] == ["0.15"]
    assert session.cost_breakdown["lines"][0]["adjustments"] == ["contract Half: −50 %"]
