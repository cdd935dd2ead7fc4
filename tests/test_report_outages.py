"""A report due during an outage of the database or Redis is retried, not lost.

An outage used to count as one of the report's attempts (a saved report's last one reported it failed to its
owner and stopped; a session report gave up after five), and a retry published while Redis was down failed
after a second, so the report was never sent. Now an outage is retried apart from the attempts, and retries,
like beat's sends, wait for the broker to come back.
"""

import shutil
import threading
from datetime import date

import kombu.exceptions
import pytest
import redis
from celery import Celery, beat
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError

from analytics import services as analytics_services
from analytics.models import ReportRun
from analytics.tasks import saved_report_send
from analytics.tests.world import build_world
from charging.services import reports as session_reports
from evfleet.outages import OutageTolerantSchedulerMixin, publish_through_outage
from evfleet.schedules import BeatScheduler
from notifications import tasks as notification_tasks
from notifications.models import Event, Notification, SessionReport
from tests.server_process import RedisServer

OUTAGE = OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.fixture
def world(org):
    return build_world(org)


def _saved_report(world):
    return analytics_services.saved_report_save(
        actor=world.org.fleet_manager_a,
        name="Vehicle energy",
        department=world.org.a,
        metrics=["energy_charged_kwh", "cost"],
        grouping="vehicle",
        period="custom",
        start=date(2026, 1, 10),
        end=date(2026, 1, 11),
        schedule="weekly",
        format="csv",
        recipients="fleet@example.com",
    )


def test_a_database_outage_on_a_saved_reports_last_attempt_is_retried_and_the_report_then_sent(
    world, settings, monkeypatch, mailoutbox
):
    settings.REPORT_MAX_ATTEMPTS = 3
    report = _saved_report(world)
    real_generate = analytics_services.report_generate

    def database_down(**kwargs):
        raise OUTAGE

    monkeypatch.setattr(analytics_services, "report_generate", database_down)
    # the third attempt (two real failures before it) meets the outage: retried, not the end
    with pytest.raises(Retry) as caught:
        saved_report_send.apply(kwargs={"report_id": report.pk}, retries=2, throw=True)
    assert caught.value.when == 60
    assert caught.value.sig.kwargs == {"report_id": report.pk, "outages": 1}
    assert not Notification.objects.filter(event=Event.REPORT_FAILED).exists()
    assert ReportRun.objects.get(report=report).status == "retrying"

    monkeypatch.setattr(analytics_services, "report_generate", real_generate)  # the database is back
    saved_report_send.apply(kwargs={"report_id": report.pk, "outages": 1}, retries=3, throw=True)
    sent = ReportRun.objects.filter(report=report, status="sent").get()
    assert sent.attempts == 3  # the outage was not counted as an attempt
    assert len(mailoutbox) == 1


def test_a_session_report_meeting_an_outage_after_five_failures_is_still_retried(org, monkeypatch):
    report, _ = SessionReport.objects.update_or_create(
        department=org.a, period="daily", defaults={"recipients": "ops@example.com"}
    )

    def database_down(*args, **kwargs):
        raise OUTAGE

    monkeypatch.setattr(session_reports, "report_figures", database_down)
    with pytest.raises(Retry) as caught:
        notification_tasks.session_report_send.apply(kwargs={"report_id": report.pk}, retries=5, throw=True)
    assert caught.value.sig.kwargs == {"report_id": report.pk, "outages": 1}


def test_a_session_report_gives_up_after_five_real_failures(org, monkeypatch):
    report, _ = SessionReport.objects.update_or_create(
        department=org.a, period="daily", defaults={"recipients": "ops@example.com"}
    )

    def broken(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(session_reports, "report_figures", broken)
    with pytest.raises(Retry):
        notification_tasks.session_report_send.apply(kwargs={"report_id": report.pk}, retries=4, throw=True)
    with pytest.raises(ValueError, match="a bug"):
        notification_tasks.session_report_send.apply(kwargs={"report_id": report.pk}, retries=5, throw=True)


@pytest.fixture
def broker(tmp_path):
    """A Redis of the test's own as a Celery broker (kombu gives up on a connection after 1 s here)."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer(tmp_path)
    server.start()
    app = Celery("outage-check", broker=server.url)
    app.conf.broker_connection_timeout = 1
    try:
        yield server, app
    finally:
        if server.process.poll() is None:
            server.kill()


def _during_an_outage(server, send) -> dict:
    """Kill the broker, run `send` in a thread, start the broker again after 3 s; what `send` came to."""
    outcome = {}

    def run():
        try:
            outcome["result"] = send()
        except Exception as exc:
            outcome["error"] = exc

    server.kill()
    sender = threading.Thread(target=run)
    sender.start()
    sender.join(3)
    outcome["waited"] = sender.is_alive()
    server.start()  # Redis is back on the same port
    sender.join(60)
    return outcome


def test_celery_alone_drops_a_message_published_while_the_broker_is_down(broker):
    server, app = broker
    outcome = _during_an_outage(server, lambda: app.send_task("analytics.tasks.saved_report_send"))
    assert not outcome["waited"] and isinstance(outcome["error"], kombu.exceptions.OperationalError)
    assert redis.Redis(port=server.port).llen("celery") == 0


def test_a_retry_published_while_the_broker_is_down_arrives_once_it_is_back(broker):
    server, app = broker
    outcome = _during_an_outage(
        server,
        lambda: publish_through_outage(
            lambda: app.send_task("analytics.tasks.saved_report_send", kwargs={"report_id": 1})
        ),
    )
    assert outcome["waited"] and "error" not in outcome, outcome
    assert redis.Redis(port=server.port).llen("celery") == 1  # the message is in the queue


def test_a_scheduled_send_due_while_the_broker_is_down_waits_for_it(broker):
    """Beat's scheduler (evfleet.schedules.BeatScheduler) on its own: Celery's scheduler loses the send."""
    server, app = broker

    class Scheduler(OutageTolerantSchedulerMixin, beat.Scheduler):
        pass

    scheduler = Scheduler(app=app, lazy=True)
    entry = beat.ScheduleEntry(
        name="report 7", task="analytics.tasks.saved_report_send", kwargs={"report_id": 7}, app=app
    )
    outcome = _during_an_outage(server, lambda: scheduler.apply_async(entry, advance=False))
    assert outcome["waited"] and "error" not in outcome, outcome
    assert redis.Redis(port=server.port).llen("celery") == 1
    assert issubclass(BeatScheduler, OutageTolerantSchedulerMixin)
    assert settings.CELERY_BEAT_SCHEDULER == "evfleet.schedules:BeatScheduler"
