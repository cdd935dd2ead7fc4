"""The moved models' content types follow them: the rows labelled charging.<model> become pricing.<model>, so
the permission rows, the admin's log and the activity log that point at them keep pointing at the same models.

A pricing.<model> row made meanwhile (Django adds missing content types after every migrate, e.g. after migrating
back) is a duplicate: its log entries move to the kept row and it is deleted (with its permission rows: the kept
row has the same ones). Backwards, the same from pricing to charging."""

from django.db import migrations

from evfleet.migration_helpers import relabel_content_types

MOVED = (
    "contract",
    "contractvolumetier",
    "customer",
    "gridsignal",
    "holiday",
    "holidaycalendar",
    "loadpricing",
    "priceinterval",
    "tariff",
    "tariffversion",
)


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, models=MOVED, old="charging", new="pricing")


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, models=MOVED, old="pricing", new="charging")


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("accounts", "0006_idempotency_keys_and_user_updated_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
