"""Times people read are in their department's zone, the zone named: reservation conflicts and alternatives in API
errors and pages, notifications and their emails (composed without a request), and the pickers of the forms,
which read a local time and refuse one that the change of the clocks skips or repeats."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from charging import services
from charging.models import Reservation
from evfleet import formatting
from fleet.tests.factories import VehicleFactory
from notifications.models import Notification, NotificationPreference
from stations.models import CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def depot(org):
    org.a.time_zone = "America/New_York"
    org.a.save()
    CompatibilityRule.objects.get_or_create(inlet="ccs2", connector_type="ccs2", adapter="")
    cp = ChargePointFactory(site=SiteFactory(department=org.a, name="Yard"), identity="CP-T1", is_connected=True,
                            protocol="ocpp1.6", status="operational", last_seen_at=timezone.now())  # fmt: skip
    return ConnectorFactory(charge_point=cp, evse_id=1, connector_type="ccs2", current_type="dc")


def _start(hours: int = 3):
    return (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def _book(org, depot, start):
    vehicle, end = VehicleFactory(department=org.a), start + timedelta(hours=1)
    return services.reservation_request(actor=org.dispatcher_a, vehicle=vehicle, connector=depot, starts_at=start,
                                        ends_at=end)  # fmt: skip


def _local_window(start, end) -> str:
    a, b = start.astimezone(NEW_YORK), end.astimezone(NEW_YORK)
    return f"{a:%H:%M}–{b:%H:%M} {b.tzname()}" if a.date() == b.date() else f"{a:%H:%M}"


def test_an_api_conflict_names_the_taken_window_and_the_alternatives_in_local_time(org, depot, api):
    start = _start()
    holder = _book(org, depot, start)
    body = {"vehicle": VehicleFactory(department=org.a).pk, "requested_connector": depot.pk, "queue": False,
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}  # fmt: skip
    response = api(org.dispatcher_a).post("/api/v1/reservations/", body, format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["requested_connector"][0]["message"]
    assert f"reservation {holder.pk}" in message
    assert _local_window(holder.starts_at, holder.ends_at) in message and "UTC" not in message
    later = holder.ends_at
    assert f"Alternatives: {depot.label()} {later.astimezone(NEW_YORK):%Y-%m-%d %H:%M}" in message


def test_a_preempted_owner_is_told_in_the_zone_of_their_department_in_app_and_by_email(
    org, depot, django_capture_on_commit_callbacks
):
    org.dispatcher_a.email = "dispatcher@a.example"
    org.dispatcher_a.save()
    NotificationPreference.objects.create(user=org.dispatcher_a, event="reservation.preempted", channel="email",
                                          enabled=True)  # fmt: skip
    start = _start()
    low = VehicleFactory(department=org.a, priority_class="low", fleet_number="LOW-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.reservation_request(actor=org.dispatcher_a, vehicle=low, connector=depot, starts_at=start,
                                     ends_at=start + timedelta(hours=1))  # fmt: skip
        with timezone.override(ZoneInfo("Asia/Tokyo")):  # whoever acts, the owner reads their own zone
            services.reservation_request(
                actor=org.admin, vehicle=VehicleFactory(department=org.a, priority_class="critical"),
                connector=depot, starts_at=start, ends_at=start + timedelta(hours=1),
            )  # fmt: skip
    told = Notification.objects.get(user=org.dispatcher_a, event="reservation.preempted")
    window = _local_window(start, start + timedelta(hours=1))
    assert window in told.title and "JST" not in told.title + told.body and "UTC" not in told.body
    assert "Alternatives:" in told.body and start.astimezone(NEW_YORK).tzname() in told.body
    email = next(m for m in mail.outbox if m.to == [org.dispatcher_a.email])
    assert window in email.subject and "Alternatives:" in email.body


def test_the_queue_job_writes_the_deadline_in_the_owners_zone_without_a_request(org, depot):
    start = _start()
    first, waiting = _book(org, depot, start), _book(org, depot, start)
    assert waiting.status == Reservation.Status.QUEUED
    services.reservation_cancel(actor=org.dispatcher_a, reservation=first)  # serves the queue
    offered = waiting.decisions.get(action="offered")
    deadline = (start + timedelta(hours=1)).astimezone(NEW_YORK)
    assert f"deadline {deadline:%H:%M} {deadline.tzname()}" in offered.reason


def test_the_reservation_form_reads_its_picker_in_the_departments_zone(org, depot, client):
    client.force_login(org.dispatcher_a)
    page = client.get("/reservations/new/").content.decode()
    assert 'type="datetime-local"' in page and 'name="starts_at"' in page
    day = (timezone.now() + timedelta(days=2)).astimezone(NEW_YORK).date()
    form = {"vehicle": VehicleFactory(department=org.a).pk, "connector": depot.pk, "queue": "on",
            "starts_at": f"{day}T08:00", "ends_at": f"{day}T09:30"}  # fmt: skip
    assert client.post("/reservations/new/", form).status_code == 302
    booked = Reservation.objects.get()
    assert booked.starts_at.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M") == f"{day}T08:00"
    listed = client.get("/reservations/").content.decode()
    assert formatting.local(booked.starts_at, NEW_YORK, "%Y-%m-%d %H:%M", with_zone=False) in listed


@pytest.mark.parametrize(
    ("local", "says"),
    [
        ("2026-03-08T02:30", "Departure: 2026-03-08 02:30 does not exist in America/New_York: the clocks go forward "
                             "from 02:00 to 03:00"),
        ("2026-11-01T01:30", "Departure: 2026-11-01 01:30 happens twice in America/New_York: the clocks go back from "
                             "02:00 to 01:00 that night, so it could mean 01:30 EDT or 01:30 EST"),
    ],
)  # fmt: skip
def test_a_local_time_the_clocks_skip_or_repeat_is_a_form_error_naming_the_field(org, depot, client, local, says):
    client.force_login(org.dispatcher_a)
    form = {"vehicle": VehicleFactory(department=org.a).pk, "connector": depot.pk, "queue": "on",
            "starts_at": "2026-03-07T08:00", "ends_at": "2026-03-07T09:00", "departure_at": local}  # fmt: skip
    response = client.post("/reservations/new/", form)
    assert response.status_code == 200 and not Reservation.objects.exists()
    assert says in response.content.decode().replace("&#x27;", "'")
