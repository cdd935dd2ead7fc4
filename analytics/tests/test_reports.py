import io
from datetime import date

import pytest
from celery.exceptions import Retry
from django.core import mail
from django_celery_beat.models import PeriodicTask
from pypdf import PdfReader

from analytics import services
from analytics.models import ReportRun, SavedReport
from analytics.tasks import saved_report_send
from analytics.tests.world import build_world
from notifications.models import Event, Notification


@pytest.fixture
def world(org):
    return build_world(org)


def _report(world, **extra):
    data = {
        "name": "Vehicle energy",
        "department": world.org.a,
        "metrics": ["energy_charged_kwh", "cost", "distance_km"],
        "grouping": "vehicle",
        "period": "custom",
        "start": date(2026, 1, 10),
        "end": date(2026, 1, 11),
        "schedule": "weekly",
        "format": "pdf",
        "recipients": "fleet@example.com, cfo@example.com",
    }
    data.update(extra)
    return services.saved_report_save(actor=world.org.fleet_manager_a, **data)


def test_a_scheduled_report_is_a_beat_task_in_the_departments_time_zone(world):
    report = _report(world, send_at_hour=6)
    task = PeriodicTask.objects.get(pk=report.periodic_task_id)
    assert task.task == "analytics.tasks.saved_report_send"
    assert (task.crontab.hour, task.crontab.day_of_week, str(task.crontab.timezone)) == ("6", "1", "Europe/Berlin")
    services.saved_report_save(actor=world.org.fleet_manager_a, instance=report, schedule="")
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


def test_a_scheduled_report_arrives_by_email_with_the_pdf_attached(world, smtp):
    report = _report(world)
    saved_report_send.apply(kwargs={"report_id": report.pk})
    assert len(smtp) == 1
    envelope = smtp[0]
    assert sorted(envelope.rcpt_tos) == ["cfo@example.com", "fleet@example.com"]
    message = __import__("email").message_from_bytes(envelope.content)
    attachments = [part for part in message.walk() if part.get_content_disposition() == "attachment"]
    assert attachments[0].get_content_type() == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(attachments[0].get_payload(decode=True))).pages)
    for figure in ("Vehicle energy", "V1", "40.0", "12.00", "V2", "30.0", "11.50", "60.0", "70.0", "23.50"):
        assert figure in text
    run = ReportRun.objects.get(report=report)
    assert (run.status, run.rows, run.attempts) == ("sent", 2, 1)
    assert run.file.read() == attachments[0].get_payload(decode=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_report_can_be_sent_in_every_format(world, smtp, fmt):
    report = _report(world, format=fmt)
    saved_report_send.apply(kwargs={"report_id": report.pk})
    message = __import__("email").message_from_bytes(smtp[0].content)
    names = [p.get_filename() for p in message.walk() if p.get_content_disposition() == "attachment"]
    assert names == [f"vehicle-energy-20260110-20260111.{fmt}"]


def test_a_failed_report_is_retried_and_then_reported_to_its_owner(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: every attempt fails
    settings.REPORT_MAX_ATTEMPTS = 3
    report = _report(world)
    # a worker runs the task again on each retry, with the retry count, after 1 and then 2 minutes
    for retries in (0, 1):
        with pytest.raises(Retry) as caught:
            saved_report_send.apply(kwargs={"report_id": report.pk}, retries=retries, throw=True)
        assert caught.value.when == 60 * 2**retries
    with pytest.raises(OSError):
        saved_report_send.apply(kwargs={"report_id": report.pk}, retries=2, throw=True)
    runs = list(ReportRun.objects.filter(report=report).order_by("attempts"))
    assert [(r.attempts, r.status) for r in runs] == [(1, "retrying"), (2, "retrying"), (3, "failed")]
    assert "ConnectionRefusedError" in runs[-1].error
    note = Notification.objects.get(user=world.org.fleet_manager_a, event=Event.REPORT_FAILED)
    assert "Vehicle energy" in note.title and "3 attempt" in note.body


def test_a_report_without_recipients_is_not_silently_dropped(world):
    owner = world.org.fleet_manager_a
    owner.email = ""
    owner.save()
    report = _report(world, recipients="")
    with pytest.raises(services.ReportUndeliverable):
        services.saved_report_send(report_id=report.pk, final=True)
    run = ReportRun.objects.get(report=report)
    assert run.status == "failed" and "no recipients" in run.error
    assert Notification.objects.filter(user=owner, event=Event.REPORT_FAILED).exists()
    assert mail.outbox == []


def test_a_report_that_no_longer_validates_is_refused_when_saved(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _report(world, metrics=["peak_demand_kw"], grouping="vehicle")
    assert "cannot be grouped by vehicle" in caught.value.message_dict["grouping"][0]
    with pytest.raises(ValidationError) as caught:
        _report(world, start=date(2026, 1, 12), end=date(2026, 1, 11))
    assert "end" in caught.value.message_dict
    assert not SavedReport.objects.exists()


def test_old_report_files_are_deleted_and_the_runs_say_why_there_is_nothing_to_download(world, client, api, settings):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    settings.REPORT_FILE_RETENTION_DAYS = 90
    report = _report(world)
    now = timezone.now()
    runs = {}
    for name, age in (("old", 91), ("recent", 89)):
        run = ReportRun.objects.create(report=report, status="sent", format="csv", size_bytes=3, recipients="a@x.org")
        run.file.save(f"{name}.csv", ContentFile(b"a,b"), save=True)
        ReportRun.objects.filter(pk=run.pk).update(created_at=now - timedelta(days=age))
        runs[name] = ReportRun.objects.get(pk=run.pk)
    failed = ReportRun.objects.create(report=report, status="failed", format="csv", error="SMTP refused")
    path = runs["old"].file.path
    assert services.report_files_prune(now=now) == 1
    old, recent = (ReportRun.objects.get(pk=runs[k].pk) for k in ("old", "recent"))
    assert not old.file and old.recipients == "a@x.org" and old.size_bytes == 3  # the run's history stays
    assert recent.file and not __import__("os").path.exists(path)
    client.force_login(world.org.fleet_manager_a)
    page = client.get(f"/analytics/runs/{old.pk}/download/")
    assert page.status_code == 404 and "deleted after 90 days" in page.content.decode()
    assert "failed before a file was made" in client.get(f"/analytics/runs/{failed.pk}/download/").content.decode()
    assert client.get(f"/analytics/runs/{recent.pk}/download/").status_code == 200
    answer = api(world.org.fleet_manager_a).get(f"/api/v1/report-runs/{old.pk}/download/")
    assert answer.status_code == 400 and "deleted after 90 days" in answer.json()["fields"]["file"][0]["message"]
    assert "file deleted" in client.get(f"/analytics/reports/{report.pk}/").content.decode()
