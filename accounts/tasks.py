from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import ActivityLog, User


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def activity_log_prune() -> int:
    """Delete activity log entries older than ACTIVITY_LOG_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.ACTIVITY_LOG_RETENTION_DAYS)
    deleted, _ = ActivityLog.objects.filter(timestamp__lt=cutoff).delete()
    return deleted


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def idempotency_keys_purge() -> int:
    """Delete the API's idempotency keys older than 24 hours (their answers are no longer replayed)."""
    from evfleet.api.idempotency import purge

    return purge()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def password_reset_email_send(*, user_id: int) -> None:
    """Mail a password reset link; the token is made here, so it never passes through the broker."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.email:
        services.password_reset_email_send(user=user)
