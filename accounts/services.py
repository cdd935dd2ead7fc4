"""Write side of accounts: departments (a tree kept as materialized paths), users and password resets."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audited_save, model_delete, snapshot
from accounts.models import Department, User
from accounts.roles import STAFF_ROLES
from accounts.signals import department_created
from evfleet import realtime


def _path_for(department: Department) -> str:
    parent_path = department.parent.path if department.parent_id else "/"
    return f"{parent_path}{department.pk}/"


def department_create(
    *,
    actor: User | None,
    name: str,
    parent: Department | None = None,
    time_zone: str | None = None,
    distance_unit: str | None = None,
) -> Department:
    department = Department(name=name, parent=parent)
    if time_zone:
        department.time_zone = time_zone
    if distance_unit:
        department.distance_unit = distance_unit
    with transaction.atomic():
        audited_save(department, actor=actor, before=None)
        department.path = _path_for(department)
        department.depth = department.path.count("/") - 2
        Department.objects.filter(pk=department.pk).update(path=department.path, depth=department.depth)  # just saved
        # the apps above hear of it (notifications: its daily and weekly session reports)
        department_created.send(sender=Department, department=department, actor=actor)
    return department


def department_update(*, actor: User | None, department: Department, **data) -> Department:
    before = snapshot(department)
    old_parent_id = department.parent_id
    for name, value in data.items():
        setattr(department, name, value)
    new_parent = department.parent
    if new_parent is not None and new_parent.path.startswith(department.path):
        raise ValidationError(
            {
                "parent": ValidationError(
                    f"{new_parent} is {department} itself or one of its teams; "
                    "choose a department outside this subtree.",
                    code="department_cycle",
                )
            }
        )
    with transaction.atomic():
        audited_save(department, actor=actor, before=before)
        if department.parent_id != old_parent_id:
            old_path, new_path = department.path, _path_for(department)
            depth_change = (new_path.count("/") - 2) - department.depth
            Department.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + depth_change,
                updated_at=timezone.now(),
            )
            department.refresh_from_db(fields=["path", "depth"])
    return department


def department_delete(*, actor: User | None, department: Department) -> None:
    teams = department.children.count()
    members = department.members.count()
    vehicles = department.vehicles.count()  # fleet's vehicles, by their relation: accounts imports no app above it
    if teams or members or vehicles:
        raise ValidationError(
            f"{department} still has {teams} team(s), {members} user(s) and {vehicles} vehicle(s); "
            "move or delete them first.",
            code="department_in_use",
        )
    from django_celery_beat.models import PeriodicTask

    with transaction.atomic():
        # its session reports go with it (cascade); their beat schedules would otherwise stay behind
        schedules = list(department.session_reports.values_list("periodic_task_id", flat=True))
        model_delete(instance=department, actor=actor)
        PeriodicTask.objects.filter(pk__in=[pk for pk in schedules if pk is not None]).delete()


def _apply_role(user: User) -> None:
    user.is_staff = user.role in STAFF_ROLES
    user.is_superuser = False  # administrators get every permission from their role, not this flag


def _set_password(user: User, password: str) -> None:
    """Check the password against the configured validators (their codes reach the API) and hash it."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    user.set_password(password)


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None = None,
    role: str = User.Role.ANALYST,
    department: Department | None = None,
    **extra,
) -> User:
    user = User(username=username, role=role, department=department, **extra)
    _apply_role(user)
    if password:
        _set_password(user, password)
    else:
        user.set_unusable_password()
    return audited_save(user, actor=actor, before=None)


# What a user's open dashboards are scoped by: a change to any of them closes those sockets (accounts.consumers).
ACCESS_FIELDS = ("is_active", "role", "department_id")


def _access_changed(user_id: int) -> None:
    """After commit: the user's open dashboard sockets close (4403) and reconnect, if still allowed, anew."""
    transaction.on_commit(lambda: realtime.group_send(realtime.user_group(user_id), {"type": "user.access_changed"}))


def user_update(*, actor: User | None, user: User, password: str | None = None, **data) -> User:
    before = snapshot(user)
    access_before = tuple(getattr(user, name) for name in ACCESS_FIELDS)
    for name, value in data.items():
        setattr(user, name, value)
    if not user.is_superuser:
        _apply_role(user)
    if password:
        _set_password(user, password)
    with transaction.atomic():
        user = audited_save(user, actor=actor, before=before)
        if tuple(getattr(user, name) for name in ACCESS_FIELDS) != access_before:
            _access_changed(user.pk)
    return user


def user_delete(*, actor: User | None, user: User) -> None:
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("You cannot delete your own account; ask another administrator.", code="self_delete")
    with transaction.atomic():
        _access_changed(user.pk)
        model_delete(instance=user, actor=actor)


def password_reset_email_send(*, user: User) -> None:
    """Mail `user` a one-time link to set a new password (Django's token: valid PASSWORD_RESET_TIMEOUT seconds,
    spent once the password changes). The link is on EVFLEET_BASE_URL, the address people open the dashboard at."""
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": settings.EVFLEET_BASE_URL.rstrip("/") + path,
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_to_string("accounts/password_reset_subject.txt", context).strip()
    send_mail(subject, render_to_string("accounts/password_reset_email.txt", context), None, [user.email])


def password_reset_complete(*, user: User, password: str) -> User:
    """Set the password chosen through an emailed reset link (checked by the validators, logged as the user's own
    change) and lift any sign-in lock on the username: the link proved the account is theirs."""
    user = user_update(actor=user, user=user, password=password)
    AxesProxyHandler.reset_attempts(username=user.get_username())
    return user
