"""Telling users: who hears about what, on which channel, folding repeats, and delivering through Celery
with a log. `notify()` is called inside the transaction that made the news; deliveries start after commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import Action, activity_record
from accounts.models import Department, User
from accounts.roles import permissions_for
from charging.models import Channel, Delivery, Event, Notification, NotificationPreference, PushSubscription
from charging.models.notifications import default_enabled
from evfleet import formatting, live_events, realtime


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


def notify(
    *,
    event: str,
    users: list[User],
    title: str,
    body: str = "",
    link: str = "",
    data: dict | None = None,
    dedup_key: str = "",
) -> list[Notification]:
    """Tell each user, on the channels they chose. The same event and key for the same user within the
    folding window adds to the earlier notification (repeats + 1) and sends nothing new."""
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
            user=user, event=event, title=title[:200], body=body, link=link[:300], data=data or {},
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
    from charging import tasks

    for delivery_id in delivery_ids:
        tasks.deliver.delay(delivery_id=delivery_id)


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
    from charging import push

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


def unread_count(user: User) -> int:
    return Notification.objects.filter(Q(user=user) & Q(read_at__isnull=True) & Q(shown_in_app=True)).count()


# --- what the platform tells, and to whom -------------------------------------------------------

SESSION_TITLES = {
    Event.SESSION_STARTED: "{vehicle} started charging at {where}",
    Event.SESSION_SUSPENDED: "{vehicle} charging suspended at {where}",
    Event.SESSION_COMPLETED: "{vehicle} finished charging at {where}",
    Event.SESSION_FAILED: "{vehicle}: charging failed at {where}",
}


def by_zone(users: list[User]) -> dict[str, list[User]]:
    """Recipients grouped by the zone they read times in (their department's), so that a message with a time is
    composed once per zone."""
    groups: dict[str, list[User]] = {}
    for user in users:
        groups.setdefault(str(formatting.zone_of(user)), []).append(user)
    return groups


def _alternative_text(alternative: dict, zone) -> str:
    start, end = (datetime.fromisoformat(alternative[key]) for key in ("starts_at", "ends_at"))
    return f"{alternative['connector_label']} {formatting.span(start, end, zone)}"


def _vehicle_name(vehicle) -> str:
    from charging.services.vehicles import vehicle_label

    return vehicle_label(vehicle) if vehicle is not None else "A vehicle"


def session_event(session, event: str, detail: str = "") -> None:
    """A session started, was suspended, completed or failed: the people who run charging there hear it."""
    charge_point = session.charge_point
    if charge_point.site_id is None:
        return
    where = f"{charge_point.identity}/{session.connector.evse_id}"
    vehicle = session.vehicle
    name = _vehicle_name(vehicle)
    if vehicle is not None and not vehicle.department.is_within(charge_point.site.department):
        from charging.services.roaming import guest_label

        name = guest_label(vehicle)  # a visiting vehicle: its fleet number or plate, never its VIN
    title = SESSION_TITLES[event].format(vehicle=name, where=where)
    body = detail or (
        f"Session {session.pk}: {session.get_status_display().lower()}, {formatting.energy(session.energy_kwh)}."
    )
    notify(
        event=event,
        users=recipients(department_id=charge_point.site.department_id, permission="charging.add_chargingsession"),
        title=title,
        body=body,
        link=f"/sessions/{session.pk}/",
        data={"session": session.pk, "status": session.status},
        dedup_key=f"session-{session.pk}-{event}",
    )


RESERVATION_EVENTS = {
    "confirmed": Event.RESERVATION_CONFIRMED,
    "offered": Event.RESERVATION_CONFIRMED,
    "preempted": Event.RESERVATION_PREEMPTED,
    "no_show": Event.RESERVATION_NO_SHOW,
    "expiring": Event.RESERVATION_EXPIRING,
}


def reservation_event(reservation, action: str, reason: str, alternatives: list | None = None) -> None:
    """Its owner hears about their reservation (else the people who book at that site)."""
    event = RESERVATION_EVENTS.get(action)
    if event is None:
        return
    owner = reservation.created_by
    users = [owner] if owner is not None and owner.is_active and not owner.is_api_only else recipients(
        department_id=reservation.site.department_id, permission="charging.add_reservation"
    )  # fmt: skip
    where = reservation.connector.label() if reservation.connector_id else str(reservation.site)
    for group in by_zone(users).values():  # each reads the times in their department's zone
        zone = formatting.zone_of(group[0])
        when = formatting.span(reservation.starts_at, reservation.ends_at, zone)
        title = f"Reservation {Event(event).label.split(' ', 1)[1]}: {_vehicle_name(reservation.vehicle)}, {when}"
        body = f"{where}: {reason}."
        if alternatives:
            body += " Alternatives: " + "; ".join(_alternative_text(a, zone) for a in alternatives)
        notify(event=event, users=group, title=title, body=body, link="/reservations/",
               data={"reservation": reservation.pk, "alternatives": alternatives or []},
               dedup_key=f"reservation-{reservation.pk}-{action}")  # fmt: skip


def alert_event(alert) -> None:
    """A station, or a whole site, raised an alert: the people who look after the site's stations hear it."""
    charge_point, site = alert.charge_point, alert.site
    if site is None:
        return
    if charge_point is not None:
        where, link = charge_point.identity, f"/stations/charge-points/{charge_point.pk}/"
        dedup_key = f"alert-{alert.kind}-{charge_point.pk}-{alert.connector_id or 0}"
    else:  # the whole site
        where, link, dedup_key = site.name, "/stations/", f"alert-{alert.kind}-site-{site.pk}"
    notify(
        event=Event.STATION_ALERT,
        users=recipients(department_id=site.department_id, permission="stations.change_alert"),
        title=f"{alert.get_severity_display()} at {where}: {alert.get_kind_display()}",
        body=alert.message,
        link=link,
        data={"alert": alert.pk},
        dedup_key=dedup_key,
    )


def _rules(department_id: int, kind: str):
    from charging.models import ThresholdRule

    path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first() or ""
    return ThresholdRule.objects.filter(kind=kind, is_active=True, department__path__in=ancestor_paths(path))


def cost_threshold_check(session) -> None:
    """A priced session cost more than a threshold its department (or one above) set."""
    if session.cost_total is None or session.charge_point.site_id is None:
        return
    department_id = session.charge_point.site.department_id
    for rule in _rules(department_id, "session_cost"):
        if session.cost_total > rule.threshold:
            cost = formatting.money(session.cost_total, session.currency)
            notify(
                event=Event.SESSION_COST,
                users=recipients(department_id=department_id, permission="charging.view_chargingsession"),
                title=f"Session {session.pk} cost {cost}, above {formatting.money(rule.threshold, session.currency)}",
                body=f"{_vehicle_name(session.vehicle)} at {session.charge_point.identity}: "
                f"{formatting.energy(session.energy_kwh)} for {cost}.",
                link=f"/sessions/{session.pk}/",
                data={"session": session.pk, "threshold": str(rule.threshold)},
                dedup_key=f"cost-{session.pk}",
            )
            return


def departure_soc_check(reservation) -> None:
    """The vehicle's departure time came with its SoC below its department's threshold."""
    vehicle = reservation.vehicle
    if vehicle.soc_percent is None:
        return
    for rule in _rules(vehicle.department_id, "soc_at_departure"):
        if vehicle.soc_percent < float(rule.threshold):
            key = f"soc-departure-{reservation.pk}"
            if Notification.objects.filter(event=Event.SOC_AT_DEPARTURE, dedup_key=key).exists():
                return
            users = recipients(department_id=vehicle.department_id, permission="charging.add_reservation")
            for group in by_zone(users).values():
                departure = formatting.local(reservation.departure_at, formatting.zone_of(group[0]))
                notify(
                    event=Event.SOC_AT_DEPARTURE,
                    users=group,
                    title=f"{_vehicle_name(vehicle)} leaves with {formatting.percent(vehicle.soc_percent)} "
                    f"(below {formatting.percent(rule.threshold)})",
                    body=f"Departure {departure}, reservation {reservation.pk}.",
                    link=f"/fleet/vehicles/{vehicle.pk}/",
                    data={"vehicle": vehicle.pk, "reservation": reservation.pk},
                    dedup_key=key,
                )
            return
