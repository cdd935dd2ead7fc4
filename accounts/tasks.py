from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import ActivityLog


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def activity_log_prune() -> int:
    """Delete activity log entries older than ACTIVITY_LOG_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.ACTIVITY_LOG_RETENTION_DAYS)
    deleted, _ = ActivityLog.objects.filter(timestamp__lt=cutoff).delete()
    return deleted
