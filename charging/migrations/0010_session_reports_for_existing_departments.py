"""Every existing department gets its daily and weekly session reports (new ones get them when created)."""

import json
from zoneinfo import ZoneInfo

from django.db import migrations


def forwards(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    SessionReport = apps.get_model("charging", "SessionReport")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for department in Department.objects.all():
        for period in ("daily", "weekly"):
            report, _ = SessionReport.objects.get_or_create(department=department, period=period)
            if report.periodic_task_id:
                continue
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute="0", hour="6", day_of_week="1" if period == "weekly" else "*", day_of_month="*",
                month_of_year="*", timezone=ZoneInfo(department.time_zone),
            )  # fmt: skip
            task = PeriodicTask.objects.create(
                name=f"Session report {report.pk}: {department.path} {period}"[:200],
                task="charging.tasks.session_report_send",
                crontab=crontab,
                kwargs=json.dumps({"report_id": report.pk}),
            )
            report.periodic_task = task
            report.save(update_fields=["periodic_task"])


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0009_session_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
