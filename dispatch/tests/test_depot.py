"""The live depot view: what it shows of each connector (vehicle, kW and SoC now, this session's energy, the next
departure and the SoC it needs, the planned power), the site's load against its limits, the dispatcher's actions
through the owning services (each permission-checked per role, logged, and scoped: another department's depot is
404), and a constant number of queries whatever the number of connectors."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounts.models import ActivityLog
from charging.models import ChargingPlan, ChargingSession, Circuit, MeterSample
from charging.services import smart
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from operations.models import Trip
from stations.models import ChargePoint, Connector, OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db

AC = dict(connector_type="type2", current_type="ac", max_power_kw=D("22"), max_current_a=32)


def _depot(department, *, connectors=4, name="North depot", protocol="ocpp1.6", sessions=2):
    """A depot of `connectors` connectors over stations of 2 each, the first `sessions` charging a vehicle."""
    now = timezone.now()
    site = SiteFactory(department=department, name=name, grid_limit_kw=D("40"), smart_charging=True)
    feeder = Circuit.objects.create(site=site, name="Feeder A", max_power_kw=D("30"))
    model = VehicleModelFactory(make="Volta", name="Van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    made, prefix = [], name.replace(" depot", "").replace(" ", "").upper()
    for i in range(connectors):
        if i % 2 == 0:
            cp = ChargePointFactory(site=site, identity=f"{prefix}-{i // 2 + 1}", protocol=protocol,
                                    is_connected=True, circuit=feeder if i < 2 else None)  # fmt: skip
        made.append(ConnectorFactory(charge_point=cp, evse_id=i % 2 + 1, status="Available", **AC))
    for i, connector in enumerate(made[:sessions]):
        Connector.objects.filter(pk=connector.pk).update(status="Charging")
        vehicle = VehicleFactory(department=department, fleet_number=f"V-{i + 1}", vehicle_model=model,
                                 soc_percent=30.0 + i)  # fmt: skip
        session = SessionFactory(connector=connector, vehicle=vehicle, status="charging", ended_at=None,
                                 started_at=now - timedelta(minutes=40), energy_kwh=5.5 + i,
                                 transaction_id=str(700 + i))  # fmt: skip
        MeterSample.objects.create(connector=connector, session=session, sampled_at=now - timedelta(minutes=5),
                                   power_kw=10.5 + i, soc_percent=41.0 + i)  # fmt: skip
        Trip.objects.create(department=department, vehicle=vehicle, depot=site, distance_km=120,
                            departs_at=now + timedelta(hours=9), returns_at=now + timedelta(hours=17),
                            required_soc_percent=72.0)  # fmt: skip
    return site


@pytest.fixture
def depot(org):
    return _depot(org.a)


def test_the_depot_page_shows_each_connector_with_its_vehicle_power_soc_departure_and_plan(org, client, depot):
    smart.plan_site(site=depot, trigger=ChargingPlan.Trigger.MANUAL, apply=False)
    client.force_login(org.dispatcher_a)
    page = client.get(f"/dispatch/depots/{depot.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = {r.connector.pk: r for r in page.context["depot"].rows}
    assert len(rows) == 4
    charging = [r for r in rows.values() if r.session]
    assert sorted(r.vehicle_label for r in charging) == ["V-1", "V-2"]
    first = next(r for r in charging if r.vehicle_label == "V-1")
    assert (first.power_now_kw, first.soc_now_percent, first.required_soc_percent) == (10.5, 41.0, 72.0)
    assert first.trip is not None and first.departure_at == first.trip.departs_at
    assert any(first.planned_kw), "the plan gives the vehicle power in the next hours"
    assert len(first.planned_kw) <= 8 * 4
    assert page.context["depot"].load_now_kw == pytest.approx(22.0)  # 10.5 + 11.5
    feeder = page.context["depot"].circuits[0]
    assert feeder.load_kw == pytest.approx(22.0) and feeder.share == pytest.approx(22.0 / 30 * 100)
    for text in ("V-1", "Volta Van", "10.5 kW", "41 %", "5.5 kWh", "needs 72 %", "22.0 kW", "40.0 kW", "Feeder A"):
        assert text in html, text
    assert 'data-testid="chart-depot-load"' in html and "<polyline" in html
    # a dispatcher starts, stops and sets priorities, but does not reset or unlock
    assert "/stop/" in html and "/priority/" in html and "/start/" in html
    assert "/reset/" not in html and "/unlock/" not in html


def test_the_depot_list_shows_the_users_depots_with_their_load(org, client, depot):
    _depot(org.b, name="Other depot")
    client.force_login(org.analyst_a)
    page = client.get("/dispatch/depots/")
    assert page.status_code == 200
    assert [r["site"].name for r in page.context["rows"]] == ["North depot"]
    assert page.context["rows"][0]["load_kw"] == pytest.approx(22.0)
    assert f"/dispatch/depots/{depot.pk}/" in page.content.decode()


def test_an_analyst_only_views_and_a_technician_sees_reset_and_unlock(org, client, depot):
    client.force_login(org.analyst_a)
    html = client.get(f"/dispatch/depots/{depot.pk}/").content.decode()
    assert not any(a in html for a in ("/stop/", "/priority/", "/start/", "/reset/", "/unlock/"))
    client.force_login(org.technician_a)
    html = client.get(f"/dispatch/depots/{depot.pk}/").content.decode()
    assert "/reset/" in html and "/unlock/" in html
    assert not any(a in html for a in ("/stop/", "/priority/", "/start/"))


def test_the_depot_page_runs_the_same_number_of_queries_for_4_and_40_connectors(
    org, client, django_assert_max_num_queries
):
    counts = []
    client.force_login(org.dispatcher_a)
    for connectors in (4, 40):
        site = _depot(org.a, connectors=connectors, sessions=connectors // 2, name=f"Depot {connectors}")
        smart.plan_site(site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=False)
        with django_assert_max_num_queries(22) as captured:
            page = client.get(f"/dispatch/depots/{site.pk}/")
        assert len(page.context["depot"].rows) == connectors
        assert sum(1 for r in page.context["depot"].rows if r.session) == connectors // 2
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_depot_list_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries):
    for i in range(6):
        _depot(org.a, name=f"Depot {i}", connectors=2, sessions=1)
    client.force_login(org.dispatcher_a)
    with django_assert_max_num_queries(10):
        page = client.get("/dispatch/depots/")
    assert len(page.context["rows"]) == 6


# --- the actions ------------------------------------------------------------------------------------------------


def _open(site):
    return ChargingSession.objects.filter(charge_point__site=site, ended_at__isnull=True).order_by("pk")


def _free(site):
    return Connector.objects.filter(charge_point__site=site, status="Available").order_by("pk").first()


def _actions(site):
    """Each action's URL and its form for `site`."""
    session = _open(site).first()
    cp = ChargePoint.objects.filter(site=site).order_by("pk").first()
    free = _free(site)
    idle = VehicleFactory(department=site.department, fleet_number="IDLE", vehicle_model=session.vehicle.vehicle_model)
    base = f"/dispatch/depots/{site.pk}"
    return {
        "start": (f"{base}/connectors/{free.pk}/start/", {"vehicle": idle.pk}),
        "stop": (f"{base}/sessions/{session.pk}/stop/", {}),
        "priority": (f"{base}/vehicles/{session.vehicle_id}/priority/", {"priority_class": "critical"}),
        "reset": (f"{base}/charge-points/{cp.pk}/reset/", {"kind": "soft"}),
        "unlock": (f"{base}/connectors/{free.pk}/unlock/", {}),
    }


ALLOWED = {
    "dispatcher": {"start", "stop", "priority"},
    "technician": {"reset", "unlock"},
    "analyst": set(),
    "fleet_manager": {"start", "stop", "priority", "reset", "unlock"},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("action", ["start", "stop", "priority", "reset", "unlock"])
def test_each_action_is_allowed_by_role_and_another_departments_depot_is_404_to_who_may_do_it(
    org, client, depot, role, action, django_capture_on_commit_callbacks
):
    url, form = _actions(depot)[action]
    before = ActivityLog.objects.count()
    allowed = action in ALLOWED[role]
    client.force_login(getattr(org, f"{role}_b"))  # another organisation: its depot does not exist for them
    assert client.post(url, form).status_code == (404 if allowed else 403)
    client.force_login(getattr(org, f"{role}_a"))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, form)
    if allowed:
        assert response.status_code == 302 and response["Location"] == f"/dispatch/depots/{depot.pk}/"
        page = client.get(response["Location"])
        notes = [str(m) for m in page.context["messages"]]
        assert len(notes) == 1 and not notes[0].startswith("Not"), notes
        assert ActivityLog.objects.count() > before  # logged by the owning service
    else:
        assert response.status_code == 403
        assert ActivityLog.objects.count() == before
    assert client.get(url).status_code == 405  # POST only


def test_start_sends_a_remote_start_and_leaves_a_pending_session(
    org, client, depot, django_capture_on_commit_callbacks
):
    url, form = _actions(depot)["start"]
    client.force_login(org.dispatcher_a)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url, form)
    pending = ChargingSession.objects.get(charge_point__site=depot, status="pending")
    assert pending.vehicle.fleet_number == "IDLE"
    assert OcppCommand.objects.filter(charge_point=pending.charge_point, action="RemoteStartTransaction").exists()


def test_starting_a_vehicle_of_another_department_is_refused_with_a_message(org, client, depot):
    url, _ = _actions(depot)["start"]
    stranger = VehicleFactory(department=org.b)
    client.force_login(org.dispatcher_a)
    page = client.post(url, {"vehicle": stranger.pk}, follow=True)
    assert [str(m) for m in page.context["messages"]][0].startswith("Choose a vehicle of your departments")
    assert not ChargingSession.objects.filter(vehicle=stranger).exists()


def test_stop_sends_a_remote_stop_to_the_station(org, client, depot, django_capture_on_commit_callbacks):
    url, form = _actions(depot)["stop"]
    client.force_login(org.dispatcher_a)
    with django_capture_on_commit_callbacks(execute=False):
        page = client.post(url, form, follow=True)
    command = OcppCommand.objects.get(action="RemoteStopTransaction")
    assert command.request == {"transactionId": 700}
    assert "Stop sent to" in str(list(page.context["messages"])[0])


def test_the_stop_button_asks_for_confirmation(org, client, depot):
    client.force_login(org.dispatcher_a)
    html = client.get(f"/dispatch/depots/{depot.pk}/").content.decode()
    assert 'data-confirm="Stop charging V-1 at NORTH-1/1?"' in html


def test_a_new_priority_is_saved_logged_and_re_plans_the_site(org, client, depot, django_capture_on_commit_callbacks):
    url, form = _actions(depot)["priority"]
    session = _open(depot).first()
    client.force_login(org.dispatcher_a)
    plans = ChargingPlan.objects.filter(site=depot).count()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, form, follow=True)
    session.vehicle.refresh_from_db()
    assert session.vehicle.priority_class == "critical"
    assert ActivityLog.objects.filter(object_id=str(session.vehicle.pk), action="update").exists()
    assert ChargingPlan.objects.filter(site=depot).count() == plans + 1  # the task ran (eager in tests)
    assert ChargingPlan.objects.filter(site=depot).first().trigger == "manual"
    assert "re-plans the site" in str(list(page.context["messages"])[0])


def test_an_unknown_priority_is_refused_naming_the_field(org, client, depot):
    url, _ = _actions(depot)["priority"]
    client.force_login(org.dispatcher_a)
    page = client.post(url, {"priority_class": "urgent"}, follow=True)
    text = str(list(page.context["messages"])[0])
    assert text.startswith("Priority not changed:") and "'urgent'" in text and "critical, normal, low" in text


@pytest.mark.parametrize(
    ("protocol", "kind", "request_"),
    [("ocpp1.6", "soft", {"type": "Soft"}), ("ocpp1.6", "hard", {"type": "Hard"}),
     ("ocpp2.0.1", "soft", {"type": "OnIdle"}), ("ocpp2.0.1", "hard", {"type": "Immediate"})],
)  # fmt: skip
def test_reset_sends_the_protocols_reset(org, client, protocol, kind, request_, django_capture_on_commit_callbacks):
    site = _depot(org.a, protocol=protocol)
    url, _ = _actions(site)["reset"]
    client.force_login(org.technician_a)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url, {"kind": kind})
    assert OcppCommand.objects.get(action="Reset").request == request_


@pytest.mark.parametrize(("protocol", "request_"), [("ocpp1.6", {"connectorId": 1}),
                                                    ("ocpp2.0.1", {"evseId": 1, "connectorId": 1})])  # fmt: skip
def test_unlock_sends_the_protocols_unlock(org, client, protocol, request_, django_capture_on_commit_callbacks):
    site = _depot(org.a, protocol=protocol, sessions=0)
    connector = Connector.objects.filter(charge_point__site=site, evse_id=1).order_by("pk").first()
    client.force_login(org.technician_a)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/dispatch/depots/{site.pk}/connectors/{connector.pk}/unlock/")
    assert OcppCommand.objects.get(action="UnlockConnector").request == request_


def test_an_offline_station_is_not_sent_a_command_and_the_message_says_why(org, client, depot):
    cp = ChargePoint.objects.filter(site=depot).order_by("pk").first()
    ChargePoint.objects.filter(pk=cp.pk).update(is_connected=False)
    client.force_login(org.technician_a)
    page = client.post(f"/dispatch/depots/{depot.pk}/charge-points/{cp.pk}/reset/", {"kind": "soft"}, follow=True)
    assert str(list(page.context["messages"])[0]) == (
        f"Not reset: {cp.identity} is offline: the Reset cannot reach it; try once it is back."
    )
    assert not OcppCommand.objects.exists()


def test_a_connector_of_another_depot_of_the_same_department_is_404(org, client, depot):
    other = _depot(org.a, name="South depot", sessions=0)
    connector = Connector.objects.filter(charge_point__site=other).first()
    client.force_login(org.technician_a)
    assert client.post(f"/dispatch/depots/{depot.pk}/connectors/{connector.pk}/unlock/").status_code == 404
    assert not OcppCommand.objects.exists()


def test_a_visiting_vehicle_is_shown_by_its_fleet_number_only_and_its_priority_is_not_ours_to_set(org, client):
    site = _depot(org.a, sessions=0)
    connector = Connector.objects.filter(charge_point__site=site).order_by("pk").first()
    guest = VehicleFactory(department=org.b, fleet_number="GUEST-7")
    SessionFactory(connector=connector, vehicle=guest, status="charging", ended_at=None,
                   started_at=timezone.now() - timedelta(minutes=10), transaction_id="900")  # fmt: skip
    client.force_login(org.dispatcher_a)
    page = client.get(f"/dispatch/depots/{site.pk}/")
    row = next(r for r in page.context["depot"].rows if r.session)
    assert (row.vehicle_label, row.vehicle, row.trip) == ("GUEST-7", None, None)
    html = page.content.decode()
    assert "/stop/" in html and "/priority/" not in html and guest.vin not in html
    assert client.post(f"/dispatch/depots/{site.pk}/vehicles/{guest.pk}/priority/",
                       {"priority_class": "low"}).status_code == 404  # fmt: skip
