"""Pricing's beat jobs have new task names (issue 15): stored beat entries under the old names are renamed, and
backwards renamed back. (pricing/tasks.py also keeps the old names registered, for messages already queued.)"""

from django.db import migrations
from django.utils import timezone

RENAMED = {
    "charging.tasks.price_intervals_record": "pricing.tasks.price_intervals_record",
    "charging.tasks.grid_signals_fetch": "pricing.tasks.grid_signals_fetch",
}


def _rename(apps, schema_editor, names: dict[str, str]) -> None:
    db = schema_editor.connection.alias
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = sum(PeriodicTask.objects.using(db).filter(task=old).update(task=new) for old, new in names.items())
    if changed:  # a running beat re-reads its entries when this moves (as a save in the admin does)
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        PeriodicTasks.objects.using(db).update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0002_content_types_from_charging"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
