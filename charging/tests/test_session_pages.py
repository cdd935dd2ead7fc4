"""The sessions and reservations pages."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from charging import services
from charging.models import ChargingSession, MeterSample, Reservation
from charging.services import transactions
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from stations.models import ChargePoint
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bay(org):
    cp = ChargePointFactory(site=SiteFactory(department=org.a, name="Page yard"), identity="CP-P1", is_connected=True)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("22"), status="Available")  # fmt: skip
    return {"cp": cp, "connector": connector, "vehicle": VehicleFactory(department=org.a, fleet_number="VAN-P")}


def _session(bay, i=0):
    start = datetime(2026, 6, 10, 4, tzinfo=UTC) + timedelta(days=i)
    session = transactions.transaction_start(
        charge_point_id=bay["cp"].pk, evse_id=1, connector_id=1, id_tag="", meter_start_wh=0.0, timestamp=start,
        transaction_id=f"p-{i}",
    )  # fmt: skip
    for minute in (10, 20, 30):
        MeterSample.objects.create(connector=bay["connector"], session=session, power_kw=11.0, soc_percent=40 + minute,
                                   energy_wh=minute * 183.0, sampled_at=start + timedelta(minutes=minute))  # fmt: skip
    return session


@pytest.mark.parametrize("count", [1, 7])
def test_the_session_list_filters_and_runs_a_constant_number_of_queries(
    org, client, bay, django_assert_max_num_queries, count
):
    for i in range(count):
        _session(bay, i)
    client.force_login(org.dispatcher_a)
    with django_assert_max_num_queries(10):
        body = client.get("/sessions/").content.decode()
    assert body.count("data-session-id") == count
    one_day = client.get("/sessions/", {"start": "2026-06-10", "end": "2026-06-10"})
    assert one_day.content.decode().count("data-session-id") == 1  # the others started on later days
    charging = client.get("/sessions/", {"status": "charging", "site": bay["cp"].site_id})
    assert charging.content.decode().count("data-session-id") == 1  # each new start ended the one before
    bad = client.get("/sessions/", {"start": "2026-06-10", "end": "2026-06-01"}).content.decode()
    assert "The period ends before it starts" in bad


def test_the_csv_link_of_the_session_list_exports_the_rows_the_page_lists(org, client, bay):
    """The link passed the page's own parameters to the API, which read `start` and `end` as nothing."""
    import html
    import re

    for i in range(3):
        _session(bay, i)
    client.force_login(org.dispatcher_a)
    query = {"start": "2026-06-11", "end": "2026-06-11", "vehicle": "", "site": bay["cp"].site_id}
    page = client.get("/sessions/", query).content.decode()
    link = html.unescape(re.search(r'href="(/api/v1/sessions/export/\?[^"]*)"', page).group(1))
    export = client.get(link)
    assert export.status_code == 200, export.content
    rows = b"".join(export.streaming_content).decode().strip().splitlines()[1:]
    assert len(rows) == page.count("data-session-id") == 1 and ",p-1," in rows[0]


def test_a_session_page_draws_power_and_soc(org, client, bay):
    session = _session(bay)
    client.force_login(org.analyst_a)
    body = client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="chart-power"' in body and 'id="figure-soc"' in body and "VAN-P" not in body  # no vehicle known
    assert "Stop" not in body  # analysts do not stop sessions
    client.force_login(org.fleet_manager_b)
    assert client.get(f"/sessions/{session.pk}/").status_code == 404


def test_charging_is_started_and_stopped_from_the_dashboard(org, client, bay):
    client.force_login(org.dispatcher_a)
    response = client.post("/sessions/start/", {"vehicle": bay["vehicle"].pk, "connector": bay["connector"].pk})
    session = ChargingSession.objects.get()
    assert response.status_code == 302 and session.status == "pending"
    again = client.post("/sessions/start/", {"vehicle": bay["vehicle"].pk, "connector": bay["connector"].pk})
    assert "in use by session" in again.content.decode()
    client.post(f"/sessions/{session.pk}/stop/")
    session.refresh_from_db()
    assert session.status == "aborted"


def test_reservations_are_booked_listed_and_cancelled(org, client, bay):
    client.force_login(org.dispatcher_a)
    start = timezone.localtime(timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    end = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    form = {"vehicle": bay["vehicle"].pk, "connector": bay["connector"].pk, "starts_at": start, "ends_at": end,
            "queue": "on"}  # fmt: skip
    assert client.post("/reservations/new/", form).status_code == 302
    other = VehicleFactory(department=org.a, fleet_number="VAN-Q")
    assert client.post("/reservations/new/", {**form, "vehicle": other.pk}).status_code == 302
    page = client.get("/reservations/").content.decode()
    assert page.count("data-reservation-id") == 2 and "VAN-Q" in page
    refused = client.post("/reservations/new/", {**form, "vehicle": VehicleFactory(department=org.a).pk, "queue": ""})
    assert "Alternatives" in refused.content.decode()
    booked = Reservation.objects.get(vehicle=bay["vehicle"])
    client.post(f"/reservations/{booked.pk}/cancel/")
    assert Reservation.objects.get(vehicle=other).status == "confirmed"  # the queue's head got the connector
    assert services.queue_order(Reservation.objects.filter(status="queued")).count() == 0


def _option(body: str, connector) -> str:
    """The <option> of `connector` in the start form."""
    connectors = body.split('name="connector"')[1]  # the vehicle select above may hold the same number
    match = re.search(rf'<option value="{connector.pk}"[^>]*>[^<]*</option>', connectors)
    assert match, f"no option for connector {connector.pk}"
    return match.group(0)


def test_the_start_form_lists_startable_connectors_first_and_the_others_disabled_with_the_reason(org, client, bay):
    site, cp = bay["cp"].site, bay["cp"]
    slow = ConnectorFactory(charge_point=cp, evse_id=2, connector_type="type2", current_type="ac",
                            max_power_kw=D("11"), status="Available")  # fmt: skip
    fast_cp = ChargePointFactory(site=site, identity="CP-P2", is_connected=True)
    fast = ConnectorFactory(charge_point=fast_cp, evse_id=1, connector_type="ccs2", current_type="dc",
                            max_power_kw=D("150"), status="Available")  # fmt: skip
    chademo = ConnectorFactory(charge_point=fast_cp, evse_id=2, connector_type="chademo", current_type="dc",
                               max_power_kw=D("50"), status="Available")  # fmt: skip
    busy = ConnectorFactory(charge_point=fast_cp, evse_id=3, connector_type="type2", current_type="ac",
                            max_power_kw=D("22"), status="Charging")  # fmt: skip
    session = SessionFactory(connector=busy, status="charging", started_at=timezone.now())
    offline = ConnectorFactory(charge_point=ChargePointFactory(site=site, identity="CP-P3", is_connected=False),
                               evse_id=1, connector_type="type2", current_type="ac", max_power_kw=D("22"),
                               status="Available")  # fmt: skip
    faulted = ConnectorFactory(charge_point=cp, evse_id=3, connector_type="type2", current_type="ac",
                               max_power_kw=D("22"), status="Faulted")  # fmt: skip
    vehicle = bay["vehicle"]  # the factory's model: Type 2 and CCS2 inlets, 11 kW AC, 150 kW DC
    client.force_login(org.dispatcher_a)
    body = client.get("/sessions/start/", {"vehicle": vehicle.pk}).content.decode()
    order = [int(pk) for pk in re.findall(r'<option value="(\d+)"', body.split('name="connector"')[1])]
    assert order == [fast.pk, bay["connector"].pk, slow.pk, busy.pk, offline.pk, faulted.pk, chademo.pk]
    assert "Can start now for this vehicle" in body and "Not available now" in body
    assert "115 kW for this vehicle" in _option(body, fast) and "disabled" not in _option(body, fast)  # its DC peak
    assert "disabled" in _option(body, busy) and f"busy: session {session.pk}" in _option(body, busy)
    assert "disabled" in _option(body, offline) and "station offline" in _option(body, offline)
    assert "disabled" in _option(body, faulted) and "faulted" in _option(body, faulted)
    assert "disabled" in _option(body, chademo) and "incompatible" in _option(body, chademo)
    # without a vehicle (and without script: the form's check button) the fit is not judged yet
    unchosen = client.get("/sessions/start/").content.decode()
    assert "disabled" not in _option(unchosen, chademo) and "disabled" in _option(unchosen, busy)
    checked = client.post("/sessions/start/", {"vehicle": vehicle.pk, "check": "1"}).content.decode()
    assert "disabled" in _option(checked, chademo) and not ChargingSession.objects.filter(status="pending").exists()


def test_stop_asks_for_confirmation_on_a_page_of_its_own(org, client, bay):
    session = _session(bay)
    client.force_login(org.dispatcher_a)
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'href="/sessions/{session.pk}/stop/" id="session-stop"' in detail  # a link, not a one-click POST
    assert 'action="/sessions/' not in detail
    confirm = client.get(f"/sessions/{session.pk}/stop/").content.decode()
    assert f"Stop session {session.pk}?" in confirm and 'id="session-stop-confirm"' in confirm
    session.refresh_from_db()
    assert session.ended_at is None  # asking changed nothing
    client.force_login(org.analyst_a)
    assert client.get(f"/sessions/{session.pk}/stop/").status_code == 403


def test_an_alternative_offered_on_a_refused_booking_is_a_link_that_books_it(org, client, bay):
    other = ConnectorFactory(charge_point=bay["cp"], evse_id=2, connector_type="type2", current_type="ac",
                             max_power_kw=D("22"), status="Available")  # fmt: skip
    ChargePoint.objects.filter(pk=bay["cp"].pk).update(last_seen_at=timezone.now(), status="operational")  # online
    client.force_login(org.dispatcher_a)
    start = timezone.now() + timedelta(hours=3)
    window = {"starts_at": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
              "ends_at": timezone.localtime(start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    first = {"vehicle": bay["vehicle"].pk, "connector": bay["connector"].pk, **window, "queue": "on"}
    assert client.post("/reservations/new/", first).status_code == 302
    van = VehicleFactory(department=org.a, fleet_number="VAN-R")
    refused = client.post("/reservations/new/", {**first, "vehicle": van.pk, "queue": ""}).content.decode()
    links = re.findall(r'<a class="button" href="([^"]+)">Book this</a>', refused)
    assert len(links) == 1 and f"connector={other.pk}" in links[0]
    prefilled = client.get(html.unescape(links[0])).content.decode()
    assert 'id="alternative-prefilled"' in prefilled
    assert re.search(rf'<option value="{other.pk}" selected>', prefilled)
    assert re.search(rf'<option value="{van.pk}" selected>', prefilled)
    form = dict(re.findall(r'<input type="(?:text|datetime-local)" name="(\w+)" value="([^"]*)"', prefilled))
    assert form["starts_at"].replace("T", " ").startswith(window["starts_at"][:13])  # a datetime-local picker
    booked = client.post("/reservations/new/", {"vehicle": van.pk, "connector": other.pk, **form})  # Book
    assert booked.status_code == 302
    assert Reservation.objects.get(vehicle=van).connector == other
