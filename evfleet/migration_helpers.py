"""What data migrations of a model move share (issue 15 moved pricing and notifications out of charging).

Migrations import this module by name, so it stays: a change here changes every migration that uses it.
"""


def relabel_content_types(apps, schema_editor, *, models, old: str, new: str) -> None:
    """The moved models' content types follow them: the rows labelled old.<model> become new.<model> with their ids,
    so the permission rows, the admin's log and the activity log that point at them keep pointing at the same models.

    A new.<model> row made meanwhile (Django adds missing content types after every migrate, e.g. after migrating
    back) is a duplicate: its log entries move to the kept row and it is deleted (with its permission rows: the kept
    row has the same ones)."""
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    pointing = [apps.get_model("accounts", "ActivityLog"), apps.get_model("admin", "LogEntry")]
    for model in models:
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


def rename_beat_tasks(apps, schema_editor, names: dict[str, str]) -> None:
    """Stored beat entries (django-celery-beat's PeriodicTask) run their tasks under new names: {old: new}. A running
    beat re-reads its entries when the change marker moves (as a save in the admin does). The old names stay
    registered as aliases in the new tasks modules, for messages already queued under them."""
    from django.utils import timezone

    db = schema_editor.connection.alias
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = sum(PeriodicTask.objects.using(db).filter(task=old).update(task=new) for old, new in names.items())
    if changed:
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        PeriodicTasks.objects.using(db).update_or_create(ident=1, defaults={"last_update": timezone.now()})
