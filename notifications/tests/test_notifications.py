"""Notifications: who hears what on which channel, folding, the delivery log, and the three channels for
real: the dashboard WebSocket, email to a local SMTP server, Web Push to a local push service."""

import asyncio
import base64
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction

from charging import services as charging_services
from charging.services import notices, transactions
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from notifications import push, services
from notifications.events import Notice
from notifications.models import Delivery, Notification, NotificationPreference, PushSubscription, ThresholdRule
from stations import services as station_services
from stations.models import Alert
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def station(org):
    from django.utils import timezone

    # online (connected and heard from): alternatives offer only such stations
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-N1", is_connected=True,
                            status="operational", last_seen_at=timezone.now())  # fmt: skip
    connector = ConnectorFactory(charge_point=cp, evse_id=1)
    return {"cp": cp, "connector": connector}


def _session_failed(station, django_capture_on_commit_callbacks):
    session = SessionFactory(connector=station["connector"], started_at=datetime.now(UTC) - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        transactions.transaction_stop(
            charge_point_id=station["cp"].pk, transaction_id=session.transaction_id, meter_stop_wh=0.0,
            timestamp=datetime.now(UTC), reason="EmergencyStop",
        )  # fmt: skip
    return session


def test_the_same_thing_within_the_window_is_folded_into_one(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.notify(
                event=Notice(kind="station.alert", users=[org.fleet_manager_a], title="Fault at CP-1", dedup_key="k")
            )
    notification = Notification.objects.get()
    assert notification.repeats == 3
    assert sorted(notification.deliveries.values_list("channel", "status")) == [
        ("email", "skipped"),  # no email address
        ("in_app", "sent"),
        ("push", "skipped"),  # no browser subscribed
    ]


def test_who_hears_about_a_failed_session_and_on_which_channel(org, station, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=org.dispatcher_a, event="session.failed", channel="email", enabled=False)
    _session_failed(station, django_capture_on_commit_callbacks)
    told = {n.user.username: n for n in Notification.objects.select_related("user")}
    assert set(told) == {"fleet_manager-a", "dispatcher-a"}  # who run charging in A; not B, not analysts
    channels = {name: set(n.deliveries.values_list("channel", flat=True)) for name, n in told.items()}
    assert channels == {"fleet_manager-a": {"in_app", "email", "push"}, "dispatcher-a": {"in_app", "push"}}
    assert "failed" in told["dispatcher-a"].title


def test_an_email_reaches_a_local_smtp_server(org, station, smtp, django_capture_on_commit_callbacks):
    received = smtp
    org.fleet_manager_a.email = "manager@example.com"
    org.fleet_manager_a.save()
    _session_failed(station, django_capture_on_commit_callbacks)
    assert [envelope.rcpt_tos for envelope in received] == [["manager@example.com"]]
    text = received[0].content.decode()
    assert "Subject: [EV Fleet]" in text and "charging failed at CP-N1/1" in text and "/sessions/" in text
    delivery = Delivery.objects.get(channel="email", notification__user=org.fleet_manager_a)
    assert (delivery.status, delivery.attempts) == ("sent", 1)


@pytest.fixture
def push_service():
    """A local push service: records what it is sent; answers what `state["status"]` says."""
    state = {"requests": [], "status": 201}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["requests"].append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def test_web_push_is_encrypted_for_the_browser_and_signed_by_the_platform(
    org, settings, tmp_path, push_service, django_capture_on_commit_callbacks
):
    settings.VAPID_PRIVATE_KEY_FILE = str(tmp_path / "vapid.pem")
    push.vapid.cache_clear()
    browser_key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    endpoint = f"{push_service['base']}/push/browser-1"
    PushSubscription.objects.create(
        user=org.technician_a, endpoint=endpoint, auth=b64url(auth),
        p256dh=b64url(browser_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            event=Notice(kind="station.alert", users=[org.technician_a], title="Fault at CP-9", body="GroundFailure")
        )
    path, headers, body = push_service["requests"][0]
    assert path == "/push/browser-1" and headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    message = json.loads(http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm"))
    assert (message["title"], message["body"]) == ("Fault at CP-9", "GroundFailure")
    # VAPID (RFC 8292): a JWT for this push service's origin, signed with the key the browser subscribed with.
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == push.public_key()
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(claims))["aud"] == push_service["base"]
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    platform = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    platform.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert Delivery.objects.get(channel="push").status == "sent"
    push_service["status"] = 410  # the browser unsubscribed: the subscription is forgotten
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(event=Notice(kind="station.alert", users=[org.technician_a], title="Another fault"))
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_in_app_notification_arrives_on_the_users_socket_only(org):
    from evfleet.asgi import application

    async def scenario():
        sockets = {}
        for user in (org.fleet_manager_a, org.manager_a1):
            socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=[(b"origin", b"http://127.0.0.1")])
            socket.scope["user"] = user
            assert (await socket.connect())[0]
            await socket.receive_json_from()  # hello
            sockets[user.username] = socket

        def tell():
            with transaction.atomic():
                services.notify(event=Notice(kind="session.suspended", users=[org.manager_a1], title="VAN-1 finished"))

        await sync_to_async(tell)()
        message = await sockets["fleet_manager-a1"].receive_json_from(timeout=3)
        assert (message["event"], message["payload"]["title"]) == ("notification.new", "VAN-1 finished")
        assert await sockets["fleet_manager-a"].receive_nothing(timeout=0.3)
        for socket in sockets.values():
            await socket.disconnect()

    asyncio.run(scenario())


def test_a_preempted_owner_hears_it_with_the_alternatives(org, station, django_capture_on_commit_callbacks):
    from django.utils import timezone

    start = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    low = VehicleFactory(department=org.a, priority_class="low", fleet_number="LOW-1")
    with django_capture_on_commit_callbacks(execute=True):
        charging_services.reservation_request(actor=org.dispatcher_a, vehicle=low, connector=station["connector"],
                                     starts_at=start, ends_at=start + timedelta(hours=1))  # fmt: skip
        charging_services.reservation_request(
            actor=org.fleet_manager_a, vehicle=VehicleFactory(department=org.a, priority_class="critical"),
            connector=station["connector"], starts_at=start, ends_at=start + timedelta(hours=1),
        )  # fmt: skip
    bumped = Notification.objects.get(user=org.dispatcher_a, event="reservation.preempted")
    assert "LOW-1" in bumped.title and "Alternatives:" in bumped.body
    assert bumped.data["alternatives"][0]["kind"] == "later_window"


def test_station_alerts_and_cost_thresholds_are_told(org, station, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        station_services.alert_raise(
            kind=Alert.Kind.CONNECTOR_FAULT,
            severity=Alert.Severity.CRITICAL,
            charge_point=station["cp"],
            connector=station["connector"],
            message="GroundFailure",
        )
    assert set(Notification.objects.filter(event="station.alert").values_list("user__username", flat=True)) == {
        "fleet_manager-a",
        "technician-a",
    }
    ThresholdRule.objects.create(department=org.a, kind="session_cost", threshold=D("20"))
    session = SessionFactory(connector=station["connector"], cost_total=D("25.00"), currency="EUR")
    notices.cost_threshold_check(session)
    assert Notification.objects.filter(event="threshold.session_cost", dedup_key=f"cost-{session.pk}").exists()


def test_the_api_lists_reads_and_sets_preferences_for_oneself(org, api, settings, tmp_path):
    services.notify(event=Notice(kind="session.suspended", users=[org.dispatcher_a], title="Mine"))
    services.notify(event=Notice(kind="session.suspended", users=[org.dispatcher_b], title="Theirs"))
    client = api(org.dispatcher_a)
    listed = client.get("/api/v1/notifications/?unread=true").json()
    assert [n["title"] for n in listed["results"]] == ["Mine"]
    assert client.post(f"/api/v1/notifications/{listed['results'][0]['id']}/read/").json()["read_at"]
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    matrix = client.put("/api/v1/notification-preferences/", [{"event": "session.started", "channel": "email",
                                                              "enabled": True}], format="json").json()  # fmt: skip
    assert {"event": "session.started", "channel": "email", "enabled": True} in matrix
    settings.VAPID_PRIVATE_KEY_FILE = str(tmp_path / "vapid.pem")
    push.vapid.cache_clear()
    assert len(unb64url(client.get("/api/v1/push-subscriptions/").json()["public_key"])) == 65
    subscription = {"endpoint": "https://push.example.com/abc", "keys": {"p256dh": "x", "auth": "y"}}
    assert client.post("/api/v1/push-subscriptions/", subscription, format="json").status_code == 201
    bad = client.post(
        "/api/v1/push-subscriptions/", {"endpoint": "https://push.example.com/d", "keys": {}}, format="json"
    )
    assert bad.status_code == 400 and "keys" in bad.json()["fields"]
    assert (
        client.delete("/api/v1/push-subscriptions/", {"endpoint": subscription["endpoint"]}, format="json").status_code
        == 204
    )
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("count", [1, 8])
def test_the_notifications_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    for i in range(count):
        services.notify(event=Notice(kind="session.suspended", users=[org.fleet_manager_a], title=f"N{i}"))
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(12):
        body = client.get("/notifications/").content.decode()
    assert (
        body.count("data-notification-id") == count
        and f'id="unread-count" class="count" >{count}<' in body.replace("\n", "")
        or f">{count}</span>" in body
    )
    client.post("/notifications/", {"preferences": "1", "pref:session.failed:email": "on"})
    assert NotificationPreference.objects.get(user=org.fleet_manager_a, event="session.failed", channel="email").enabled
    assert not NotificationPreference.objects.get(
        user=org.fleet_manager_a, event="session.failed", channel="push"
    ).enabled


def test_the_managers_above_a_teams_depot_hear_of_it_and_a_stale_remote_start_fails_aloud(
    org, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from charging.models import ChargingSession

    cp = ChargePointFactory(site=SiteFactory(department=org.a1), identity="CP-TEAM", is_connected=True)
    connector = ConnectorFactory(charge_point=cp, evse_id=1)
    pending = SessionFactory(connector=connector, status="pending", started_at=timezone.now() - timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert charging_services.pending_sessions_expire() == 1
    pending.refresh_from_db()
    assert pending.status == "failed" and "did not begin a transaction" in pending.reason
    told = set(Notification.objects.filter(event="session.failed").values_list("user__username", flat=True))
    assert told == {"fleet_manager-a1", "fleet_manager-a", "dispatcher-a"}  # the team's and the parent's
    assert ChargingSession.objects.filter(status="pending").count() == 0
