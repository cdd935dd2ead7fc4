"""The moved models' content types follow them: the rows labelled charging.<model> become pricing.<model>, so
the permission rows, the admin's log and the activity log that point at them keep pointing at the same models.

A pricing.<model> row made meanwhile (Django adds missing content types after every migrate, e.g. after migrating
back) is a duplicate: its log entries move to the kept row and it is deleted (with its permission rows: the kept
row has the same ones). Backwards, the same from pricing to charging."""

from django.db import migrations

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


def _relabel(apps, schema_editor, old: str, new: str) -> None:
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    pointing = [apps.get_model("accounts", "ActivityLog"), apps.get_model("admin", "LogEntry")]
    for model in MOVED:
        kept = ContentType.objects.using(db).filter(app_label=old, model=model).first()
        if kept is None:
            continue
        duplicate = ContentType.objects.using(db).filter(app_label=new, model=model).first()
        if duplicate is not None:
            for entry in pointing:
                entry.objects.using(db).filter(content_type=duplicate).update(content_type=kept)
            duplicate.delete()
        kept.app_label = new
        kept.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()  # this process may have cached the old labels


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "charging", "pricing")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "pricing", "charging")


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("accounts", "0006_idempotency_keys_and_user_updated_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
