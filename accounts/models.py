import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from evfleet.models import TimeStampedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name like Europe/Berlin or America/New_York.",
            code="invalid_time_zone",
            params={"value": value},
        )


# The OpenAPI schema states what the validator admits (evfleet/api/schema.py): an enum shared as `TimeZone`.
validate_time_zone.openapi_component = "TimeZone"
validate_time_zone.openapi_schema = lambda: {
    "type": "string",
    "enum": sorted(zoneinfo.available_timezones()),
    "description": "An IANA time zone name, e.g. Europe/Berlin.",
}
validate_time_zone.openapi_invalid = "Mars/Olympus_Mons"


def default_time_zone() -> str:
    return settings.EVFLEET_DEFAULT_TIME_ZONE


class Department(TimeStampedModel):
    """A unit of the organisation; a department with a parent is a team. Scoping follows the tree."""

    class DistanceUnit(models.TextChoices):
        KM = "km", "kilometres"
        MI = "mi", "miles"

    name = models.CharField("name", max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name="parent department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="Empty for a top-level department; set it to make this a team of that department.",
    )
    # Materialized path of ids ("/1/4/9/"): a subtree is one indexed prefix match, no recursion.
    path = models.CharField("tree path", max_length=255, editable=False, blank=True, db_index=True)
    depth = models.PositiveSmallIntegerField("depth", default=0, editable=False)
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA time zone in which this department's pages show times, e.g. Europe/Berlin.",
    )
    distance_unit = models.CharField(
        "distance unit",
        max_length=2,
        choices=DistanceUnit.choices,
        default=DistanceUnit.KM,
        help_text="Unit in which this department's pages, emails and reports show distances: km or mi.",
    )

    scope_field = "pk"  # accounts.scoping: a department is in scope when it is in the user's subtree

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="department_unique_name_per_parent",
                violation_error_code="unique",
                violation_error_message="This parent already has a team with this name; choose another name.",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="department_unique_top_level_name",
                violation_error_code="unique",
                violation_error_message="A top-level department with this name exists; choose another name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: "Department") -> bool:
        return self.path.startswith(other.path)


class AccountManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person (or an integration) using the platform, with one role in one department."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        FLEET_MANAGER = "fleet_manager", "Fleet manager"
        DISPATCHER = "dispatcher", "Dispatcher"
        TECHNICIAN = "technician", "Technician"
        ANALYST = "analyst", "Analyst"
        INTEGRATOR = "integrator", "Integrator (API only)"

    role = models.CharField(
        "role",
        max_length=20,
        choices=Role.choices,
        default=Role.ANALYST,
        help_text="What the user may do; see docs/api.md for the permission of each role.",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="The user sees this department and every team below it. Required except for administrators.",
    )
    updated_at = models.DateTimeField(
        "updated at", auto_now=True, help_text="Last change of the account (a sign-in is none), for API sync."
    )

    objects = AccountManager()

    scope_field = "department"

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="admin") | Q(department__isnull=False),
                name="user_department_required_unless_admin",
            ),
        ]

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.role == self.Role.ADMIN or self.is_superuser)

    @property
    def is_api_only(self) -> bool:
        return self.role == self.Role.INTEGRATOR

    def clean(self) -> None:
        super().clean()
        if self.role != self.Role.ADMIN and not self.is_superuser and self.department_id is None:
            raise ValidationError(
                {
                    "department": ValidationError(
                        "Choose a department: every role except administrator belongs to one.",
                        code="department_required",
                    )
                }
            )


class ActivityLog(models.Model):
    """One create, update or delete of a stored object: who, when, from where, and what changed."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    class Source(models.TextChoices):
        API = "api", "REST API"
        DASHBOARD = "dashboard", "Dashboard"
        ADMIN = "admin", "Django admin"
        SYSTEM = "system", "System (tasks, commands)"

    timestamp = models.DateTimeField("time", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="user",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    actor_username = models.CharField(
        "username", max_length=150, blank=True, help_text="Kept after the user is deleted."
    )
    source = models.CharField("source", max_length=12, choices=Source.choices)
    ip_address = models.GenericIPAddressField("client address", null=True, blank=True)
    action = models.CharField("action", max_length=6, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, verbose_name="object type", on_delete=models.PROTECT)
    object_id = models.CharField("object id", max_length=64)
    object_repr = models.CharField("object", max_length=200)
    changes = models.JSONField(
        "changed fields", default=dict, blank=True, help_text='{"field": [before, after]} for each changed field.'
    )
    # No database constraint and no action on delete: an entry outlives its department (its own deletion
    # included) and keeps the id; object type, id and label above say what the entry was about.
    department = models.ForeignKey(
        Department,
        verbose_name="department",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="The department the object belonged to, for scoping; kept when the department is deleted.",
    )

    scope_field = "department"

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = "activity log entry"
        verbose_name_plural = "activity log"
        indexes = [
            # "history of this object" on the admin and API
            models.Index(fields=["content_type", "object_id", "-timestamp"], name="activity_object_idx"),
            # "what did this user do lately"
            models.Index(fields=["actor", "-timestamp"], name="activity_actor_idx"),
            # the default listing, newest first, and retention pruning
            models.Index(fields=["-timestamp"], name="activity_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_username or 'system'} {self.action} {self.object_repr}"


class IdempotencyKey(models.Model):
    """A POST under /api/ sent with an Idempotency-Key: who sent it, a fingerprint of it, and its first answer.

    A retry with the same key, user and request gets that answer again for 24 hours (evfleet/api/idempotency.py);
    the unique constraint lets only one of two concurrent duplicates through. The daily job deletes expired keys.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="user", on_delete=models.CASCADE, related_name="+")
    key = models.CharField("key", max_length=255, help_text="The client's Idempotency-Key header.")
    fingerprint = models.CharField(
        "request fingerprint", max_length=64, help_text="SHA-256 of the method, the path with query and the body."
    )
    status_code = models.PositiveSmallIntegerField(
        "answer status", null=True, blank=True, help_text="Empty while the first request is still running."
    )
    content_type = models.CharField("answer content type", max_length=100, blank=True)
    body = models.BinaryField("answer body", blank=True, default=b"")
    created_at = models.DateTimeField("first sent at", auto_now_add=True)

    class Meta:
        verbose_name = "idempotency key"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_one_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]  # the daily purge

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"
