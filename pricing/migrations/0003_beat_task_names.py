"""Pricing's beat jobs have new task names (issue 15): stored beat entries under the old names are renamed, and
backwards renamed back. (pricing/tasks.py also keeps the old names registered, for messages already queued.)"""

from django.db import migrations

from evfleet.migration_helpers import rename_beat_tasks

RENAMED = {
    "charging.tasks.price_intervals_record": "pricing.tasks.price_intervals_record",
    "charging.tasks.grid_signals_fetch": "pricing.tasks.grid_signals_fetch",
}


def forwards(apps, schema_editor):
    rename_beat_tasks(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    rename_beat_tasks(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0002_content_types_from_charging"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
