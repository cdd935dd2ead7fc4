"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the ASGI app under uvicorn."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fleet.models import TelemetryPoint
from fleet.telemetry import telemetry_ingest
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory
from tests.browser import _in_thread, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_fleet_manager_logs_in_and_sees_only_their_departments_vehicles(org, page):
    own = VehicleFactory(department=org.a)
    other = VehicleFactory(department=org.b)

    _log_in(page, org.fleet_manager_a)  # signing in lands on the readiness board; the fleet overview is a click away
    page.goto("/fleet/")

    table = page.locator("#vehicle-table")
    expect(table.locator(f'tr[data-vehicle-id="{own.pk}"]')).to_contain_text(own.vin)
    expect(table.locator(f'tr[data-vehicle-id="{other.pk}"]')).to_have_count(0)
    expect(table).not_to_contain_text(other.vin)


def test_the_vehicle_page_draws_plotly_charts_from_telemetry(org, page):
    vehicle = VehicleFactory(department=org.a)
    now = timezone.now()
    for i in range(50):
        TelemetryPointFactory(
            vehicle=vehicle,
            recorded_at=now - timedelta(minutes=25 * i + 1),
            soc_percent=20.0 + (i * 37) % 75,
            power_kw=(-30.0 + (i * 13) % 80) if i % 3 else 0.0,
        )
    in_window = TelemetryPoint.objects.filter(vehicle=vehicle, recorded_at__gte=now - timedelta(days=7)).count()
    assert in_window == 50

    hosts = []
    page.on("request", lambda request: hosts.append((request.url, urlsplit(request.url).hostname)))
    page.on("websocket", lambda socket: hosts.append((socket.url, urlsplit(socket.url).hostname)))
    _log_in(page, org.fleet_manager_a)
    page.goto(f"/fleet/vehicles/{vehicle.pk}/")

    page.wait_for_selector("#chart-soc .main-svg")
    page.wait_for_selector("#chart-power .main-svg")
    assert page.evaluate("document.getElementById('chart-soc').data[0].x.length") == in_window
    assert page.evaluate("document.getElementById('chart-power').data[0].y.length") == in_window
    expect(page.locator("#chart-soc .scatterlayer .trace")).to_have_count(1)

    network = [(url, host) for url, host in hosts if urlsplit(url).scheme in ("http", "https", "ws", "wss")]
    assert any(url.endswith("/static/vendor/plotly.min.js") for url, _ in network)
    assert [url for url, host in network if host != "127.0.0.1"] == []


def test_a_telemetry_update_reaches_the_open_overview_page_live(org, page):
    vehicle = VehicleFactory(department=org.a, soc_percent=80.0)

    _log_in(page, org.fleet_manager_a)
    page.goto("/fleet/")
    soc = page.locator(f'#vehicle-table tr[data-vehicle-id="{vehicle.pk}"] [data-field="soc-text"]')
    expect(soc).to_have_text("80")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()

    result = _in_thread(
        telemetry_ingest,
        actor=org.integrator_a,
        points=[{"vehicle": vehicle.pk, "recorded_at": timezone.now().isoformat(), "soc_percent": 37.0}],
    )
    assert (result.accepted, result.rejected) == (1, 0)

    expect(soc).to_have_text("37", timeout=5_000)


def test_a_new_notification_reaches_the_open_notifications_page_live_with_its_time(org, page):
    from notifications.events import Notice
    from notifications.services import notify

    _log_in(page, org.fleet_manager_a)
    page.goto("/notifications/")
    expect(page.locator('#live-status[data-state="connected"]')).to_be_visible()
    notification = _in_thread(
        notify, event=Notice(kind="session.failed", users=[org.fleet_manager_a], title="VAN-7 failed")
    )[0]

    row = page.locator(f'#notification-list tr[data-notification-id="{notification.pk}"]')
    expect(row).to_contain_text("VAN-7 failed", timeout=5_000)
    when = row.locator("td").first.text_content()
    assert when and "Invalid" not in when, when  # written from the event's last_at
