"""Alerts that follow the meter's real behaviour and the stations' connections: no energy flow judged from the
meter's last movement, impossible readings resolved when the readings are sane again or the session ends, power
never derived from a backwards reading, and stations and whole depots that are not there."""

import asyncio
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db.models import F
from django.utils import timezone
from ocpp.v16 import call as call16

from charging.models import MeterSample
from charging.services import meter_values, transactions
from notifications.models import Notification
from stations import services
from stations.models import Alert, ChargePoint
from stations.ocpp.messagelog import flush_all
from stations.tasks import station_watchdog
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from stations.tests.ocpp_client import station

pytestmark = pytest.mark.django_db


@pytest.fixture
def cp(org):
    charge_point = ChargePointFactory(site=SiteFactory(department=org.a), heartbeat_interval_s=60)
    ConnectorFactory(charge_point=charge_point, evse_id=1, max_power_kw=D("50"))
    services.station_connect(identity=charge_point.identity, password=None, protocol="ocpp1.6")
    return ChargePoint.objects.get(pk=charge_point.pk)


def _open(kind: str | None = None):
    alerts = Alert.objects.filter(resolved_at__isnull=True)
    return set(alerts.values_list("kind", flat=True)) if kind is None else alerts.filter(kind=kind).first()


def _charging_session(cp, started, meter_start_wh=0.0, transaction_id="T-1"):
    services.connector_status_update(charge_point_id=cp.pk, evse_id=1, connector_id=1, status="Charging")
    return transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=meter_start_wh,
        timestamp=started, transaction_id=transaction_id,
    )  # fmt: skip


def _record(cp, session, at, **values):
    meter_values.meter_values_record(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, transaction_id=session.transaction_id, samples=[(at, values)]
    )


# --- no energy flow ------------------------------------------------------------------------------


def test_a_station_sampling_as_seldom_as_the_window_is_not_flagged_while_its_meter_moves(cp, settings):
    settings.NO_ENERGY_FLOW_AFTER_S = 600
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=1), meter_start_wh=1000.0)
    # every 600 s, 1 kWh more; the latest a moment before the next is due
    for n, ago_s in enumerate((3599, 2999, 2399, 1799, 1199, 599), start=1):
        _record(cp, session, now - timedelta(seconds=ago_s), energy_wh=1000.0 + 1000 * n)
    station_watchdog.delay()
    assert _open() == set()


def test_a_meter_seen_standing_still_for_the_window_is_flagged_at_once_and_clears_when_it_moves(cp, settings):
    settings.NO_ENERGY_FLOW_AFTER_S = 600
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=1), meter_start_wh=1000.0)
    _record(cp, session, now - timedelta(seconds=1300), energy_wh=4000.0)
    _record(cp, session, now - timedelta(seconds=700), energy_wh=5000.0)  # the meter's last movement
    _record(cp, session, now - timedelta(seconds=100), energy_wh=5004.0)  # 600 s on: it stood still
    station_watchdog.delay()
    alert = _open("no_energy_flow")
    assert alert is not None and alert.details["silent"] is False
    _record(cp, session, now, energy_wh=5900.0)
    station_watchdog.delay()
    assert _open() == set()


def test_a_charging_session_whose_meter_falls_silent_is_flagged_after_the_window_and_its_sampling_gap(cp, settings):
    settings.NO_ENERGY_FLOW_AFTER_S = 600
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=2), meter_start_wh=0.0)
    _record(cp, session, now - timedelta(seconds=2000), energy_wh=1000.0)
    _record(cp, session, now - timedelta(seconds=1100), energy_wh=2000.0)  # every 900 s
    station_watchdog.delay()
    assert _open() == set()  # 1100 s silent: within 600 s + its 900 s sampling gap
    MeterSample.objects.filter(session=session).update(sampled_at=F("sampled_at") - timedelta(seconds=500))
    station_watchdog.delay()
    alert = _open("no_energy_flow")
    assert alert is not None and alert.details["silent"] is True


# --- impossible readings -------------------------------------------------------------------------


def test_meter_backwards_stays_open_until_the_meter_is_back_above_the_sessions_reading(cp):
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=1), meter_start_wh=10_000.0)
    _record(cp, session, now - timedelta(minutes=40), energy_wh=20_000.0)
    _record(cp, session, now - timedelta(minutes=35), energy_wh=15_000.0)
    assert _open() == {"meter_backwards"}
    _record(cp, session, now - timedelta(minutes=30), power_kw=20.0)  # no energy reading: says nothing of the meter
    _record(cp, session, now - timedelta(minutes=25), energy_wh=16_000.0)  # still below 20 kWh
    assert _open("meter_backwards").occurrences == 2
    _record(cp, session, now - timedelta(minutes=20), energy_wh=21_000.0)
    assert _open() == set()


def test_impossible_reading_alerts_are_resolved_when_the_session_ends(cp):
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=1), meter_start_wh=10_000.0)
    _record(cp, session, now - timedelta(minutes=40), energy_wh=20_000.0, power_kw=400.0)
    _record(cp, session, now - timedelta(minutes=35), energy_wh=15_000.0, power_kw=400.0)
    assert _open() == {"meter_backwards", "power_above_max"}
    transactions.transaction_stop(
        charge_point_id=cp.pk, transaction_id=session.transaction_id, meter_stop_wh=15_000.0, timestamp=now
    )
    assert _open() == set()


def test_power_is_never_derived_from_a_backwards_reading(cp):
    now = timezone.now()
    session = _charging_session(cp, now - timedelta(hours=1), meter_start_wh=10_000.0)
    _record(cp, session, now - timedelta(minutes=20), energy_wh=20_000.0)
    _record(cp, session, now - timedelta(minutes=10, seconds=1), energy_wh=100.0)  # a glitch
    # 500 Wh in the 10 minutes since the last good reading: 3 kW, not 500 Wh in one second
    _record(cp, session, now - timedelta(minutes=10), energy_wh=20_500.0)
    assert not Alert.objects.filter(kind="power_above_max").exists()
    assert _open() == set()  # and the meter is sane again


@pytest.mark.django_db(transaction=True)
def test_an_idle_reading_above_the_maximum_is_resolved_by_the_next_plausible_idle_one(org, asgi_live_server):
    connector = ConnectorFactory(
        charge_point=ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-IDLE"),
        evse_id=1,
        max_power_kw=D("22"),
    )

    def reading(power_kw):
        sampled = [{"value": str(power_kw), "measurand": "Power.Active.Import", "unit": "kW"}]
        return [{"timestamp": timezone.now().isoformat(), "sampled_value": sampled}]

    async def scenario():
        async with station(asgi_live_server, "CP-IDLE", "ocpp1.6") as ws:
            await ws.call(call16.MeterValues(connector_id=1, meter_value=reading(80.0)))
            await asyncio.sleep(0.01)
            await ws.call(call16.MeterValues(connector_id=1, meter_value=reading(3.0)))
        await flush_all()

    asyncio.run(scenario())
    alert = Alert.objects.get(connector=connector, kind="power_above_max")
    assert alert.resolved_at is not None
    assert connector.meter_samples.count() == 2


# --- stations and depots that are not there -------------------------------------------------------


def test_a_station_registered_long_ago_that_never_connected_raises_an_alert_until_it_connects(org, settings):
    settings.NEVER_CONNECTED_AFTER_S = 3600
    site = SiteFactory(department=org.a)
    silent = ChargePointFactory(site=site, identity="CP-NEVER")
    ChargePointFactory(site=site, identity="CP-NEW")  # registered just now: may not be installed yet
    refused = ChargePointFactory(site=site, identity="CP-REFUSED", registration_status="rejected")
    ChargePoint.objects.filter(pk__in=[silent.pk, refused.pk]).update(created_at=timezone.now() - timedelta(hours=2))
    station_watchdog.delay()
    alert = Alert.objects.get(kind="never_connected")
    assert (alert.charge_point_id, alert.severity, alert.resolved_at) == (silent.pk, "warning", None)
    assert Notification.objects.filter(event="station.alert", data__alert=alert.pk).exists()
    services.station_connect(identity="CP-NEVER", password=None, protocol="ocpp1.6")
    station_watchdog.delay()
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_whole_depot_offline_raises_one_site_alert_until_a_station_is_back(org, api):
    site = SiteFactory(department=org.a, name="West depot")
    stations = [ChargePointFactory(site=site, heartbeat_interval_s=60) for _ in range(2)]
    ChargePointFactory(site=site)  # never connected: does not keep the depot online
    for charge_point in stations:
        services.station_connect(identity=charge_point.identity, password=None, protocol="ocpp1.6")
    quiet = ChargePointFactory(site=SiteFactory(department=org.a))  # another depot, never connected at all
    lone = ChargePointFactory(site=SiteFactory(department=org.a), heartbeat_interval_s=60)  # a one-station depot
    services.station_connect(identity=lone.identity, password=None, protocol="ocpp1.6")
    ChargePoint.objects.filter(pk__in=[stations[0].pk, lone.pk]).update(
        last_seen_at=timezone.now() - timedelta(minutes=10)
    )
    station_watchdog.delay()
    assert not Alert.objects.filter(kind="site_offline").exists()  # one station still speaks
    ChargePoint.objects.filter(pk=stations[1].pk).update(last_seen_at=timezone.now() - timedelta(minutes=10))
    station_watchdog.delay()
    alert = Alert.objects.get(kind="site_offline", resolved_at__isnull=True)
    assert (alert.site_id, alert.charge_point_id, alert.severity) == (site.pk, None, "critical")
    assert "West depot" in alert.message
    assert Notification.objects.filter(event="station.alert", data__alert=alert.pk).exists()
    assert not Alert.objects.filter(kind="site_offline", site__in=[quiet.site, lone.site]).exists()
    assert Alert.objects.filter(kind="missed_heartbeat", charge_point=lone, resolved_at__isnull=True).exists()
    station_watchdog.delay()
    assert Alert.objects.get(kind="site_offline").occurrences == 2  # one alert while it lasts
    listed = api(org.technician_a).get("/api/v1/alerts/?kind=site_offline").json()["results"]
    assert [(a["site"], a["charge_point"]) for a in listed] == [(site.pk, None)]
    assert api(org.technician_b).get("/api/v1/alerts/?kind=site_offline").json()["results"] == []
    services.station_seen(charge_point_id=stations[1].pk, heartbeat=True)
    station_watchdog.delay()
    alert.refresh_from_db()
    assert alert.resolved_at is not None
