"""The one entrance (notify with a Notice), the report content port and the old task names."""

from datetime import UTC, datetime

import pytest
from celery import current_app
from django.core.exceptions import ImproperlyConfigured

from accounts.tests.factories import DepartmentFactory, UserFactory
from notifications import reports, services, tasks
from notifications.events import Event, Notice
from notifications.models import Delivery, Notification, SessionReport

pytestmark = pytest.mark.django_db


def test_a_notice_is_of_a_known_kind_and_goes_to_its_users_or_to_a_departments_people(org):
    with pytest.raises(ValueError, match="not a kind"):
        Notice(kind="vehicle.exploded", users=[org.admin], title="?")
    with pytest.raises(ValueError, match="not both"):
        Notice(kind=Event.STATION_ALERT, users=[org.admin], department_id=org.a.pk, permission="x", title="?")
    with pytest.raises(ValueError, match="permission"):
        Notice(kind=Event.STATION_ALERT, department_id=org.a.pk, title="?")
    told = services.notify(
        event=Notice(kind=Event.STATION_ALERT, department_id=org.a1.pk, permission="stations.change_alert", title="!")
    )
    # the people of the team and of the organisation above it who look after stations; never admins
    assert {n.user.username for n in told} == {"fleet_manager-a1", "fleet_manager-a", "technician-a"}


def test_a_notice_that_shows_a_time_is_composed_in_each_readers_zone(org):
    berlin = UserFactory(username="berlin", department=DepartmentFactory(name="Berlin", time_zone="Europe/Berlin"))
    york = UserFactory(username="york", department=DepartmentFactory(name="NY", time_zone="America/New_York"))
    at = datetime(2026, 6, 10, 12, tzinfo=UTC)
    services.notify(
        event=Notice(
            kind=Event.RESERVATION_EXPIRING, users=[berlin, york], title=lambda zone: f"at {at.astimezone(zone):%H:%M}"
        )
    )
    titles = dict(Notification.objects.values_list("user__username", "title"))
    assert titles == {"berlin": "at 14:00", "york": "at 08:00"}


def test_a_report_whose_content_nobody_registered_fails_loudly(org, monkeypatch):
    report, _ = SessionReport.objects.update_or_create(
        department=org.a, period="daily", defaults={"recipients": "ops@example.com"}
    )
    monkeypatch.setattr(reports, "_builders", {})
    with pytest.raises(ImproperlyConfigured, match="register_content"):
        reports.session_report_send(report_id=report.pk)


def test_messages_queued_under_the_old_charging_task_names_still_run(org, smtp):
    report, _ = SessionReport.objects.update_or_create(
        department=org.a, period="weekly", defaults={"recipients": "ops@example.com"}
    )
    assert tasks.session_report_send_under_old_name.name == "charging.tasks.session_report_send"
    current_app.tasks["charging.tasks.session_report_send"].apply(kwargs={"report_id": report.pk})
    assert report.runs.get().status == "sent" and len(smtp) == 1
    (notification,) = services.notify(event=Notice(kind=Event.STATION_ALERT, users=[org.technician_a], title="!"))
    delivery = notification.deliveries.get(channel="in_app")
    current_app.tasks["charging.tasks.deliver"].apply(kwargs={"delivery_id": delivery.pk})
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
