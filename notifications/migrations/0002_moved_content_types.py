# The moved models' ContentType rows follow them: app_label "charging" becomes "notifications", so their
# permissions, admin log entries and activity log entries (which point at these rows) stay theirs. A row already
# made for the new label (a post_migrate run in between) is a duplicate: its log entries move to the kept row and it
# is deleted; the old row, with everything pointing at it, is kept. Backwards renames them back the same way.

from django.db import migrations

MOVED = [
    "notification",
    "notificationpreference",
    "pushsubscription",
    "delivery",
    "thresholdrule",
    "sessionreport",
    "sessionreportrun",
]


def _relabel(apps, schema_editor, old: str, new: str) -> None:
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    pointing = [apps.get_model("accounts", "ActivityLog"), apps.get_model("admin", "LogEntry")]
    for model in MOVED:
        kept = ContentType.objects.using(db).filter(app_label=old, model=model).first()
        if kept is None:
            continue
        duplicate = ContentType.objects.using(db).filter(app_label=new, model=model).first()
        if duplicate is not None:  # made meanwhile (after a migrate back): its log entries move to the kept row
            for entry in pointing:
                entry.objects.using(db).filter(content_type=duplicate).update(content_type=kept)
            duplicate.delete()
        kept.app_label = new
        kept.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()  # this process may have cached the old labels


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "charging", "notifications")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "notifications", "charging")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("notifications", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("accounts", "0006_idempotency_keys_and_user_updated_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
