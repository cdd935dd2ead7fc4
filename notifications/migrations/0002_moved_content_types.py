# The moved models' ContentType rows follow them: app_label "charging" becomes "notifications", so their
# permissions, admin log entries and activity log entries (which point at these rows) stay theirs. A row already
# made for the new label (a post_migrate run in between) goes first; the old row, with everything pointing at it,
# is kept. Backwards renames them back the same way.

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


def _relabel(apps, old: str, new: str) -> None:
    from django.contrib.contenttypes.models import ContentType as CachedContentType

    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        row = ContentType.objects.filter(app_label=old, model=model).first()
        if row is None:
            continue
        ContentType.objects.filter(app_label=new, model=model).delete()
        row.app_label = new
        row.save(update_fields=["app_label"])
    CachedContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _relabel(apps, "charging", "notifications")


def backwards(apps, schema_editor):
    _relabel(apps, "notifications", "charging")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
