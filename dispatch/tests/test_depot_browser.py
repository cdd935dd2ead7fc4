"""The live depot view in a real browser: a meter reading moves a connector's kW and SoC and the site's load bar,
a station status moves its badge, all without a reload; stopping a session asks first."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from charging.models import ChargingPlan, MeterSample
from charging.services import meter_values, smart, transactions
from charging.services.vehicles import vehicle_token
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations.models import Trip
from stations import services as station_services
from stations.models import OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def depot(org):
    now = timezone.now()
    site = SiteFactory(department=org.a, name="Live depot", grid_limit_kw=D("40"), smart_charging=True)
    cp = ChargePointFactory(site=site, identity="LIVE-1", protocol="ocpp1.6", is_connected=True)
    ac = dict(connector_type="type2", current_type="ac", max_power_kw=D("22"), max_current_a=32)
    c1 = ConnectorFactory(charge_point=cp, evse_id=1, status="Charging", **ac)
    c2 = ConnectorFactory(charge_point=cp, evse_id=2, status="Available", **ac)
    model = VehicleModelFactory(make="Volta", name="Van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    vehicle = VehicleFactory(department=org.a, fleet_number="L-1", vehicle_model=model, soc_percent=30.0)
    session = SessionFactory(connector=c1, vehicle=vehicle, status="charging", ended_at=None, transaction_id="88",
                             started_at=now - timedelta(minutes=30), energy_kwh=4.0)  # fmt: skip
    MeterSample.objects.create(connector=c1, session=session, sampled_at=now - timedelta(minutes=2), power_kw=7.0,
                               soc_percent=35.0)  # fmt: skip
    Trip.objects.create(department=org.a, vehicle=vehicle, depot=site, distance_km=90, required_soc_percent=70.0,
                        departs_at=now + timedelta(hours=10), returns_at=now + timedelta(hours=18))  # fmt: skip
    # in a thread of its own: the plan announces itself live, and the browser fixture may own this thread's loop
    _in_thread(smart.plan_site, site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=False)
    site.connector = c1
    site.session = session
    site.free = c2
    return site


def test_a_meter_reading_and_a_status_change_move_the_depot_view_without_a_reload(org, page, depot):
    _log_in(page, org.dispatcher_a)
    page.goto(f"/dispatch/depots/{depot.pk}/")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()
    row = page.locator(f'tr[data-connector-id="{depot.connector.pk}"]')
    expect(row.locator('[data-field="kw"]')).to_have_text("7.0 kW")
    expect(row.locator('[data-field="soc"]')).to_have_text("35 %")
    expect(row.locator('[data-field="required-soc"]')).to_have_text("needs 70 %")
    expect(page.locator('[data-field="load-now"]')).to_have_text("7.0 kW")
    expect(page.locator("[data-testid=chart-depot-load] .main-svg").first).to_be_visible()

    reading = {"energy_wh": 9500.0, "power_kw": 10.8, "soc_percent": 52.4}
    _in_thread(meter_values.meter_values_record, charge_point_id=depot.connector.charge_point_id, evse_id=1,
               connector_id=1, transaction_id="88", samples=[(timezone.now(), reading)])  # fmt: skip
    expect(row.locator('[data-field="kw"]')).to_have_text("10.8 kW", timeout=5_000)
    expect(row.locator('[data-field="soc"]')).to_have_text("52 %")
    expect(page.locator('[data-field="load-now"]')).to_have_text("10.8 kW")
    width = page.evaluate("document.querySelector('[data-field=load-bar] span').style.width")
    assert width == "27%"  # 10.8 of 40 kW

    _in_thread(station_services.connector_status_update, charge_point_id=depot.connector.charge_point_id,
               evse_id=1, connector_id=1, status="SuspendedEV")  # fmt: skip
    expect(row.locator('[data-field="connector-status"]')).to_have_text("SuspendedEV", timeout=5_000)

    # a vehicle plugged in on the free connector: the row gets its vehicle and actions from the server, live
    newcomer = VehicleFactory(department=org.a, fleet_number="L-2", vehicle_model=depot.session.vehicle.vehicle_model)
    _in_thread(transactions.transaction_start, charge_point_id=depot.connector.charge_point_id, evse_id=2,
               connector_id=1, id_tag=vehicle_token(newcomer).token, meter_start_wh=0.0,
               timestamp=timezone.now())  # fmt: skip
    second = page.locator(f'tr[data-connector-id="{depot.free.pk}"]')
    expect(second).to_contain_text("L-2", timeout=5_000)
    expect(second.locator('[data-action="stop"]')).to_be_visible()
    expect(page.locator('[data-field="counts"]')).to_contain_text("2 vehicles plugged in")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened


def test_the_stop_button_asks_for_confirmation_before_stopping(org, page, depot):
    _log_in(page, org.dispatcher_a)
    page.goto(f"/dispatch/depots/{depot.pk}/")
    stop = page.locator(f'tr[data-connector-id="{depot.connector.pk}"] [data-action="stop"]')
    questions = []

    def answer(accept):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    stop.click()
    page.wait_for_timeout(300)
    assert questions == ["Stop charging L-1 at LIVE-1/1?"]
    assert not OcppCommand.objects.filter(action="RemoteStopTransaction").exists()

    page.once("dialog", answer(True))
    stop.click()
    expect(page.get_by_text("Stop sent to LIVE-1/1")).to_be_visible()
    assert len(questions) == 2
    assert OcppCommand.objects.get(action="RemoteStopTransaction").request == {"transactionId": 88}
