"""Telling users: the one entrance, `notify(event=Notice(...))`, folding repeats, delivering through Celery
with a log (in the dashboard, by email, by browser push), each user's choices and push subscriptions.
`notify()` is called inside the transaction that made the news; deliveries start after commit."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, activity_record
from accounts.models import User
from evfleet import formatting, live_events, realtime
from evfleet.jobs import task_named
from notifications.events import Notice
from notifications.models import Channel, Delivery, Event, Notification, NotificationPreference, PushSubscription
from notifications.selectors import channels_for, preferences_of, recipients


def notify(*, event: Notice) -> list[Notification]:
    """Tell the notice's readers (its users, or its department's people whose role holds its permission), each on
    the channels they chose; a notice whose words show a time is composed once per readers' time zone. The same
    kind and key for the same user within the folding window adds to the earlier notification (repeats + 1) and
    sends nothing new."""
    users = list(event.users) or recipients(department_id=event.department_id, permission=event.permission)
    if not event.per_zone:
        return _notify_users(event, users, event.title_in(None), event.body_in(None))
    made = []
    for group in by_zone(users).values():  # each reads the times in their department's zone
        zone = formatting.zone_of(group[0])
        made += _notify_users(event, group, event.title_in(zone), event.body_in(zone))
    return made


def by_zone(users: list[User]) -> dict[str, list[User]]:
    """Recipients grouped by the zone they read times in (their department's), so that a message with a time is
    composed once per zone."""
    groups: dict[str, list[User]] = {}
    for user in users:
        groups.setdefault(str(formatting.zone_of(user)), []).append(user)
    return groups


def _notify_users(notice: Notice, users: list[User], title: str, body: str) -> list[Notification]:
    event, link, dedup_key = notice.kind, notice.link, notice.dedup_key
    window = timedelta(seconds=settings.NOTIFICATION_FOLD_WINDOW_S)
    now = timezone.now()
    made = []
    for user in {u.pk: u for u in users}.values():
        channels = channels_for(user, event)
        if not channels:
            continue
        if dedup_key and window:
            earlier = Notification.objects.filter(
                user=user, event=event, dedup_key=dedup_key, last_at__gte=now - window
            ).first()
            if earlier is not None:
                earlier.repeats += 1
                earlier.body = body or earlier.body
                earlier.save(update_fields=["repeats", "body", "last_at", "updated_at"])
                continue
        notification = Notification.objects.create(
            user=user, event=event, title=title[:200], body=body, link=link[:300], data=dict(notice.data),
            dedup_key=dedup_key[:120], shown_in_app=Channel.IN_APP in channels,
        )  # fmt: skip
        deliveries = Delivery.objects.bulk_create(
            [Delivery(notification=notification, channel=channel) for channel in sorted(channels)]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda ids=ids: _dispatch(ids))
        made.append(notification)
    return made


def _dispatch(delivery_ids: list[int]) -> None:
    deliver = task_named("notifications.tasks.deliver")  # by name: the tasks import this module
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id=delivery_id)


def _payload(notification: Notification) -> dict:
    """The live event's payload, also what a browser push carries."""
    return live_events.render(
        "notification.new",
        id=notification.pk,
        event=notification.event,
        title=notification.title,
        body=notification.body,
        link=notification.link,
        repeats=notification.repeats,
        created_at=notification.created_at,
        last_at=notification.last_at,
    )


def deliver(*, delivery_id: int) -> str:
    """Send one delivery. Raises on a failure worth retrying (the task retries with backoff); the log keeps
    the attempts and the last error."""
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    if delivery.status in (Delivery.Status.SENT, Delivery.Status.SKIPPED):
        return delivery.status
    notification, user = delivery.notification, delivery.notification.user
    delivery.attempts += 1
    try:
        if delivery.channel == Channel.IN_APP:
            realtime.publish_to_user(user.pk, "notification.new", _payload(notification))
            status = Delivery.Status.SENT
        elif delivery.channel == Channel.EMAIL:
            status = _email(notification, user)
        else:
            status = _push(notification, user)
    except Exception as exc:
        delivery.status, delivery.error = Delivery.Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        delivery.save(update_fields=["status", "error", "attempts"])
        raise
    delivery.status, delivery.error = status, ""
    delivery.sent_at = timezone.now() if status == Delivery.Status.SENT else None
    delivery.save(update_fields=["status", "error", "attempts", "sent_at"])
    return status


def _email(notification: Notification, user: User) -> str:
    if not user.email:
        return Delivery.Status.SKIPPED
    link = f"\n\n{settings.EVFLEET_BASE_URL.rstrip('/')}{notification.link}" if notification.link else ""
    send_mail(f"[EV Fleet] {notification.title}", f"{notification.body}{link}", None, [user.email])
    return Delivery.Status.SENT


def _push(notification: Notification, user: User) -> str:
    from notifications import push

    subscriptions = list(PushSubscription.objects.filter(user=user))
    if not subscriptions:
        return Delivery.Status.SKIPPED
    sent = 0
    for subscription in subscriptions:
        try:
            push.send(endpoint=subscription.endpoint, p256dh=subscription.p256dh, auth=subscription.auth,
                      payload=_payload(notification))  # fmt: skip
            sent += 1
        except push.Gone:
            subscription.delete()
    return Delivery.Status.SENT if sent else Delivery.Status.SKIPPED


def notification_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    now = timezone.now()
    return unread.update(read_at=now, updated_at=now)


@transaction.atomic
def preferences_set(*, user: User, choices: dict[tuple[str, str], bool]) -> None:
    """Store the user's choices; one activity log entry names those that changed (`event/channel`)."""
    before = preferences_of(user)
    for (event, channel), enabled in choices.items():
        if event not in Event.values or channel not in Channel.values:
            continue
        NotificationPreference.objects.update_or_create(
            user=user, event=event, channel=channel, defaults={"enabled": enabled}
        )
    after = preferences_of(user)
    activity_record(
        action=Action.UPDATE,
        instance=NotificationPreference(user=user),
        actor=user,
        object_id=str(user.pk),
        object_repr=f"notification preferences of {user.get_username()}",
        department_id=user.department_id,
        changes={f"{e}/{c}": [before[e, c], after[e, c]] for (e, c) in after if before[e, c] != after[e, c]},
    )


def push_subscription_save(*, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> None:
    """A browser subscribes the user to push: stored (or moved to this user), and logged without its keys."""
    with transaction.atomic():
        existing = PushSubscription.objects.filter(endpoint=endpoint).first()
        before = _push_fields(existing) if existing is not None else None
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:200]}
        )
        activity_record(
            action=Action.CREATE if existing is None else Action.UPDATE,
            instance=subscription,
            actor=user,
            before=before,
            after=_push_fields(subscription),
            department_id=user.department_id,
        )


def push_subscription_delete(*, user: User, endpoint: str) -> int:
    """The browser unsubscribed: its subscription goes (logged); an unknown endpoint changes nothing."""
    with transaction.atomic():
        deleted = 0
        for subscription in PushSubscription.objects.filter(user=user, endpoint=endpoint):
            before, object_id, label = _push_fields(subscription), str(subscription.pk), str(subscription)
            subscription.delete()
            activity_record(
                action=Action.DELETE,
                instance=subscription,
                actor=user,
                before=before,
                object_id=object_id,
                object_repr=label,
                department_id=user.department_id,
            )
            deleted += 1
        return deleted


def _push_fields(subscription: PushSubscription) -> dict:
    """What the log keeps of a subscription: never its keys."""
    return {"user_id": subscription.user_id, "endpoint": subscription.endpoint, "user_agent": subscription.user_agent}
