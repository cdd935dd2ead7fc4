# The stored beat entries of the session reports (one PeriodicTask per report, made by charging 0010 and by
# session_report_schedule) ran "charging.tasks.session_report_send"; the task is
# "notifications.tasks.session_report_send" now (issue 15). Deliveries are queued, never stored, but a stray
# entry for them is renamed too. Backwards renames them back. (The old names also stay registered as aliases in
# notifications/tasks.py, for messages already queued under them.)

from django.db import migrations

from evfleet.migration_helpers import rename_beat_tasks

RENAMED = {
    "charging.tasks.session_report_send": "notifications.tasks.session_report_send",
    "charging.tasks.deliver": "notifications.tasks.deliver",
}


def forwards(apps, schema_editor):
    rename_beat_tasks(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    rename_beat_tasks(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("charging", "0010_session_reports_for_existing_departments"),
        ("notifications", "0002_moved_content_types"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
