"""Read side of notifications: who hears a department's news, each user's channel choices, the unread count, the
thresholds departments set."""

from django.db.models import Q, QuerySet

from accounts.models import Department, User
from accounts.roles import permissions_for
from notifications.models import Channel, Event, Notification, NotificationPreference, ThresholdRule, default_enabled


def ancestor_paths(path: str) -> list[str]:
    """A department's materialized path and its ancestors': "/1/4/9/" → ["/1/4/9/", "/1/4/", "/1/"]."""
    return [path[:i] for i in range(len(path), 1, -1) if path[i - 1] == "/"]


def recipients(*, department_id: int | None, permission: str) -> list[User]:
    """The people of the department's tree above it (who may see its objects) whose role has `permission`.
    Administrators are not included: they see everything and choose what to follow."""
    if department_id is None:
        return []
    path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first()
    if path is None:
        return []
    users = User.objects.filter(is_active=True, department__path__in=ancestor_paths(path)).select_related("department")
    return [u for u in users if not u.is_api_only and permission in permissions_for(u.role)]


def preferences_of(user: User) -> dict[tuple[str, str], bool]:
    """Every (event, channel) → on/off for the user, their choices over the defaults. One query."""
    chosen = {
        (event, channel): enabled
        for event, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "event", "channel", "enabled"
        )
    }
    return {
        (event, channel): chosen.get((event, channel), default_enabled(event, channel))
        for event in Event.values
        for channel in Channel.values
    }


def channels_for(user: User, event: str) -> set[str]:
    chosen = dict(NotificationPreference.objects.filter(user=user, event=event).values_list("channel", "enabled"))
    return {channel for channel in Channel.values if chosen.get(channel, default_enabled(event, channel))}


def unread_count(user: User) -> int:
    return Notification.objects.filter(Q(user=user) & Q(read_at__isnull=True) & Q(shown_in_app=True)).count()


def threshold_rules(department_id: int, kind: str) -> QuerySet[ThresholdRule]:
    """The active thresholds of one kind (`ThresholdRule.Kind`) that the department or one above it set."""
    path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first() or ""
    return ThresholdRule.objects.filter(kind=kind, is_active=True, department__path__in=ancestor_paths(path))


def notified(*, kind: str, dedup_key: str) -> bool:
    """Whether anyone was ever told this (kind and same-thing key), however long ago."""
    return Notification.objects.filter(event=kind, dedup_key=dedup_key).exists()
