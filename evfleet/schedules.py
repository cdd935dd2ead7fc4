"""Beat tasks owned by a model row (a scheduled report): one django-celery-beat task per row, at a local hour of
a time zone, daily, on Mondays or on the 1st. The admin can retime or pause it like any other."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Model
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from evfleet.outages import OutageTolerantSchedulerMixin


class BeatScheduler(OutageTolerantSchedulerMixin, DatabaseScheduler):
    """django-celery-beat's schedule in the database; a send due while the broker (Redis) is down waits for it
    instead of being dropped (a scheduled report would be lost until its next period)."""


def beat_task_save(
    owner: Model,
    *,
    name: str,
    task: str,
    kwargs: dict[str, Any],
    hour: int,
    time_zone: str,
    day_of_week: str = "*",
    day_of_month: str = "*",
    enabled: bool = True,
) -> PeriodicTask:
    """Create or update `owner.periodic_task` (a one-to-one to PeriodicTask) and link it to the row."""
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(hour),
        day_of_week=day_of_week,
        day_of_month=day_of_month,
        month_of_year="*",
        timezone=ZoneInfo(time_zone),
    )
    fields = {"name": name[:200], "task": task, "crontab": crontab, "kwargs": json.dumps(kwargs),
              "enabled": enabled, "expires": None}  # fmt: skip
    periodic = owner.periodic_task
    if periodic is None:
        periodic = PeriodicTask.objects.create(**fields)
        type(owner).objects.filter(pk=owner.pk).update(periodic_task=periodic)
        owner.periodic_task = periodic
    else:
        for key, value in fields.items():
            setattr(periodic, key, value)
        periodic.save()
    return periodic
