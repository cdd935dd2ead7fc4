"""Roaming: the policy through the API, the admin and its page, and a visiting vehicle's session, which its own
department sees too and its host sees without the vehicle's VIN or RFID tag."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts.models import ActivityLog
from charging.models import ChargingSession, IdToken, RoamingPolicy
from charging.services import reports, roaming, transactions
from fleet.tests.factories import VehicleFactory
from stations import services as station_services
from stations.models import CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db

VIN = "WVWZZZ1KZ8V000777"
TAG = "B-CARD-0001"


@pytest.fixture
def visit(org):
    """Org A lets Org B's vehicles charge at its depot; B's van B-7 and A's own van each have a session there."""
    CompatibilityRule.objects.get_or_create(inlet="ccs2", connector_type="ccs2", adapter="")
    cp = ChargePointFactory(site=SiteFactory(department=org.a, name="A depot"), identity="CP-HOST", is_connected=True)
    ConnectorFactory(charge_point=cp, evse_id=1, status="Available")
    ConnectorFactory(charge_point=cp, evse_id=2, status="Available")
    station_services.station_connect(identity=cp.identity, password=None, protocol="ocpp1.6")
    roaming.roaming_policy_save(
        actor=None, department=org.a, mode=RoamingPolicy.Mode.LISTED, allowed_departments=[org.b]
    )
    guest = VehicleFactory(department=org.b, fleet_number="B-7", vin=VIN)
    IdToken.objects.create(token=TAG, department=org.b, vehicle=guest)
    own = VehicleFactory(department=org.a, fleet_number="A-1")
    IdToken.objects.create(token="A-CARD-0001", department=org.a, vehicle=own)
    start = datetime.now(UTC) - timedelta(hours=1)
    visiting = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=1, connector_id=1, id_tag=TAG, meter_start_wh=0, timestamp=start
    )
    home = transactions.transaction_start(
        charge_point_id=cp.pk, evse_id=2, connector_id=1, id_tag="A-CARD-0001", meter_start_wh=0, timestamp=start
    )
    assert visiting.authorization_status == "Accepted" and visiting.vehicle_department == org.b
    return {"cp": cp, "guest": guest, "own": own, "visiting": visiting, "home": home}


def _results(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()["results"]}


def test_a_visiting_vehicles_session_shows_to_the_host_without_its_vin_or_tag(org, api, visit):
    host = api(org.fleet_manager_a)
    session = visit["visiting"]
    listed = _results(host.get("/api/v1/sessions/"))
    assert set(listed) == {session.pk, visit["home"].pk}
    row = listed[session.pk]
    assert (row["vehicle"], row["id_tag"], row["vehicle_label"], row["vehicle_hidden"]) == (None, None, "B-7", True)
    assert (row["vehicle_department"], row["vehicle_department_name"]) == (org.b.pk, "Org B")
    assert listed[visit["home"].pk]["vehicle"] == visit["own"].pk  # its own vehicle as ever
    detail = host.get(f"/api/v1/sessions/{session.pk}/")
    export = host.get("/api/v1/sessions/export/")
    for response in (host.get("/api/v1/sessions/"), detail):
        assert VIN not in response.content.decode() and TAG not in response.content.decode()
    csv = b"".join(export.streaming_content).decode()
    assert "B-7" in csv and VIN not in csv and TAG not in csv
    assert host.get(f"/api/v1/vehicles/{visit['guest'].pk}/").status_code == 404


def test_a_visiting_vehicles_session_shows_to_its_own_department_which_may_not_stop_it(org, api, visit):
    guest = api(org.fleet_manager_b)
    session = visit["visiting"]
    listed = _results(guest.get("/api/v1/sessions/"))
    assert set(listed) == {session.pk}  # not the host's other sessions
    row = listed[session.pk]
    assert (row["vehicle"], row["id_tag"], row["vehicle_hidden"]) == (visit["guest"].pk, TAG, False)
    assert guest.get(f"/api/v1/charge-points/{visit['cp'].pk}/").status_code == 404  # the station stays the host's
    for action, body in (("stop", {}), ("needs", {"target_soc_percent": 90})):
        refused = guest.post(f"/api/v1/sessions/{session.pk}/{action}/", body, format="json")
        assert refused.status_code == 403, refused.content
        assert refused.json()["message"].startswith(f"Session {session.pk} is at another department's site")
    session.refresh_from_db()
    assert session.ended_at is None and session.target_soc_percent is None
    assert api(org.fleet_manager_a).post(f"/api/v1/sessions/{session.pk}/stop/").status_code == 202  # the host may
    assert api(org.manager_a1).get(f"/api/v1/sessions/{session.pk}/").status_code == 404  # a team: neither


def test_the_session_pages_hide_a_visitors_vin_tag_and_page_from_the_host(org, client, visit):
    session = visit["visiting"]
    client.force_login(org.dispatcher_a)
    listing = client.get("/sessions/").content.decode()
    assert "B-7" in listing and "visiting from Org B" in listing and VIN not in listing and TAG not in listing
    found = client.get("/sessions/", {"vehicle": VIN[-8:]}).content.decode()
    assert found.count("data-session-id") == 0  # a visitor's VIN is no search key for the host
    assert client.get("/sessions/", {"vehicle": "B-7"}).content.decode().count("data-session-id") == 1
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert VIN not in page and TAG not in page and f"/fleet/vehicles/{visit['guest'].pk}/" not in page
    assert 'id="session-stop"' in page and f"/stations/charge-points/{visit['cp'].pk}/" in page


def test_the_session_pages_show_a_vehicles_department_its_session_but_not_the_hosts_station(org, client, visit):
    session = visit["visiting"]
    client.force_login(org.dispatcher_b)
    assert client.get("/sessions/").content.decode().count("data-session-id") == 1
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f"/fleet/vehicles/{visit['guest'].pk}/" in page and "(Org A's site)" in page
    assert f"/stations/charge-points/{visit['cp'].pk}/" not in page and 'id="session-stop"' not in page
    assert client.post(f"/sessions/{session.pk}/stop/").status_code == 404
    assert client.get(f"/sessions/{visit['home'].pk}/").status_code == 404


def test_the_admin_shows_a_visitor_to_the_host_without_vin_or_tag_and_finds_only_its_own_tags(org, client, visit):
    session = visit["visiting"]
    client.force_login(org.fleet_manager_a)
    listing = client.get("/admin/charging/chargingsession/").content.decode()
    assert "B-7 (visiting from Org B)" in listing and VIN not in listing and TAG not in listing
    assert "0 charging sessions" in client.get("/admin/charging/chargingsession/", {"q": TAG}).content.decode()
    own = client.get("/admin/charging/chargingsession/", {"q": "A-CARD-0001"}).content.decode()
    assert "1 charging session" in own
    change = client.get(f"/admin/charging/chargingsession/{session.pk}/change/").content.decode()
    assert "B-7" in change and VIN not in change and TAG not in change
    client.force_login(org.fleet_manager_b)
    guest = client.get("/admin/charging/chargingsession/", {"q": TAG}).content.decode()
    assert "1 charging session" in guest and "B-7" in guest  # its own tag finds it


def test_the_hosts_session_report_names_a_visitor_without_its_vin(org, visit):
    transactions.transaction_stop(charge_point_id=visit["cp"].pk, transaction_id=visit["visiting"].transaction_id,
                                      meter_stop_wh=5000, timestamp=datetime.now(UTC))  # fmt: skip
    day = datetime.now(UTC)
    _figures, rows = reports.report_figures(org.a, day - timedelta(days=1), day + timedelta(days=1))
    csv = reports.report_csv(rows)
    assert "B-7" in csv and VIN not in csv


def test_a_remote_start_the_hosts_roaming_policy_refuses_is_a_400(org, api, visit):
    RoamingPolicy.objects.filter(department=org.a).update(mode=RoamingPolicy.Mode.NONE)
    RoamingPolicy.objects.get(department=org.a).allowed_departments.clear()
    transactions.transaction_stop(charge_point_id=visit["cp"].pk, transaction_id=visit["visiting"].transaction_id,
                                      meter_stop_wh=5000, timestamp=datetime.now(UTC))  # fmt: skip
    connector = visit["cp"].connectors.get(evse_id=1)
    response = api(org.admin).post(
        "/api/v1/sessions/", {"vehicle": visit["guest"].pk, "connector": connector.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["vehicle"][0]["message"] == (
        "Org B's vehicles may not charge at Org A's sites (Org A's roaming policy: no other department)."
    )
    assert not ChargingSession.objects.filter(status="pending").exists()


def _error(response, field):
    assert response.status_code == 400, response.content
    return response.json()["fields"][field][0]["code"]


def test_the_roaming_policy_api_refuses_bad_input_naming_the_field(org, api):
    client = api(org.manager_a1)
    url = "/api/v1/roaming-policies/"

    def post(**body):
        return client.post(url, {"department": org.a1.pk, "mode": "listed", **body}, format="json")

    assert _error(post(allowed_departments=[987654]), "allowed_departments") == "does_not_exist"
    assert _error(post(allowed_departments=[org.a1.pk]), "allowed_departments") == "own_department"
    assert _error(post(allowed_departments=[org.a.pk]), "allowed_departments") == "own_department"  # its parent
    assert _error(post(allowed_departments=[]), "allowed_departments") == "required"
    assert _error(post(mode="any", allowed_departments=[org.b.pk]), "allowed_departments") == "not_listed_mode"
    assert _error(post(mode="everyone", allowed_departments=[]), "mode") == "invalid_choice"
    assert _error(post(department=org.b.pk, allowed_departments=[org.a.pk]), "department") == "does_not_exist"
    assert not RoamingPolicy.objects.exists()
    created = post(allowed_departments=[org.b.pk])  # another organisation may be named, though not seen
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["department"], body["mode"], body["allowed_departments"]) == (org.a1.pk, "listed", [org.b.pk])
    assert _error(post(allowed_departments=[org.b.pk]), "department") == "unique"
    detail = f"{url}{body['id']}/"
    assert _error(client.patch(detail, {"mode": "any"}, format="json"), "allowed_departments") == "not_listed_mode"
    changed = client.patch(detail, {"mode": "any", "allowed_departments": []}, format="json")
    assert changed.status_code == 200 and changed.json()["allowed_departments"] == []
    entries = ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(RoamingPolicy))
    assert [e.changes.get("allowed_departments") for e in entries.order_by("pk")] == [
        [None, [org.b.pk]],
        [[org.b.pk], []],
    ]
    assert api(org.fleet_manager_b).get(detail).status_code == 404
    assert api(org.analyst_a).get(detail).status_code == 200
    assert api(org.dispatcher_a).post(url, {"department": org.a.pk, "mode": "any"}, format="json").status_code == 403
    assert client.delete(detail).status_code == 204


def test_the_roaming_policy_admin_validates_and_saves_the_listed_departments(org, client):
    client.force_login(org.fleet_manager_a)
    form = {"department": org.a.pk, "mode": "listed", "allowed_departments": [org.a1.pk]}
    refused = client.post("/admin/charging/roamingpolicy/add/", form)
    assert refused.status_code == 200 and "Team A1: Org A&#x27;s own department" in refused.content.decode()
    assert not RoamingPolicy.objects.exists()
    saved = client.post("/admin/charging/roamingpolicy/add/", {**form, "allowed_departments": [org.b.pk]})
    assert saved.status_code == 302
    policy = RoamingPolicy.objects.get()
    assert (policy.department, list(policy.allowed_departments.all())) == (org.a, [org.b])
    entry = ActivityLog.objects.get(content_type=ContentType.objects.get_for_model(RoamingPolicy))
    assert (entry.source, entry.changes["allowed_departments"]) == ("admin", [None, [org.b.pk]])
    assert "Org B" in client.get("/admin/charging/roamingpolicy/").content.decode()


def test_the_roaming_page_shows_each_departments_policy_and_edits_it(org, client, django_assert_max_num_queries):
    roaming.roaming_policy_save(actor=None, department=org.a, mode=RoamingPolicy.Mode.ANY, allowed_departments=[])
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        page = client.get("/roaming/").content.decode()
    assert "its own policy" in page and "a parent department's policy" in page  # A's, and A1 following it
    refused = client.post(f"/roaming/{org.a1.pk}/", {"mode": "listed", "allowed_departments": [org.a.pk]})
    assert "own department" in refused.content.decode() and not RoamingPolicy.objects.filter(department=org.a1)
    assert client.post(f"/roaming/{org.a1.pk}/", {"mode": "organisation"}).status_code == 302
    assert RoamingPolicy.objects.get(department=org.a1).mode == "organisation"
    assert client.get(f"/roaming/{org.b.pk}/").status_code == 404  # not one of the user's departments
    client.force_login(org.analyst_a)
    assert client.get("/roaming/").status_code == 200
    assert client.post(f"/roaming/{org.a1.pk}/", {"mode": "any"}).status_code == 403
