# The moved models' ContentType rows follow them: app_label "charging" becomes "notifications", so their
# permissions, admin log entries and activity log entries (which point at these rows) stay theirs. A row already
# made for the new label (a post_migrate run in between) is a duplicate: its log entries move to the kept row and it
# is deleted; the old row, with everything pointing at it, is kept. Backwards renames them back the same way.

from django.db import migrations

from evfleet.migration_helpers import relabel_content_types

MOVED = [
    "notification",
    "notificationpreference",
    "pushsubscription",
    "delivery",
    "thresholdrule",
    "sessionreport",
    "sessionreportrun",
]


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, models=MOVED, old="charging", new="notifications")


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, models=MOVED, old="notifications", new="charging")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("notifications", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("accounts", "0006_idempotency_keys_and_user_updated_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
