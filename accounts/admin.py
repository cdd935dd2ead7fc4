from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from accounts.audit import Action, activity_record, snapshot
from accounts.models import ActivityLog, Department, User


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "parent", "depth", "time_zone", "distance_unit", "created_at"]
    list_filter = ["depth", "time_zone", "distance_unit"]
    search_fields = ["name"]
    list_select_related = ["parent"]

    def create_object(self, request, obj, form):
        return services.department_create(
            actor=request.user, name=obj.name, parent=obj.parent, time_zone=obj.time_zone,
            distance_unit=obj.distance_unit,
        )  # fmt: skip

    def update_object(self, request, obj, form):
        original = Department.objects.get(pk=obj.pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        return services.department_update(actor=request.user, department=original, **data)

    def delete_model(self, request, obj):
        services.department_delete(actor=request.user, department=obj)


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "email", "role", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department"]
    list_select_related = ["department"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["role", "department", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "role", "department", "password1", "password2"]})
    ]
    readonly_fields = ["last_login", "date_joined"]

    def create_object(self, request, obj, form):
        return services.user_create(
            actor=request.user,
            username=obj.username,
            password=form.cleaned_data.get("password1"),
            role=obj.role,
            department=obj.department,
        )

    def update_object(self, request, obj, form):
        original = User.objects.get(pk=obj.pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "password"}
        return services.user_update(actor=request.user, user=original, **data)

    def delete_model(self, request, obj):
        services.user_delete(actor=request.user, user=obj)

    def user_change_password(self, request, id, form_url=""):
        """Django's password form saves by itself; log the change like every other write."""
        user = self.get_object(request, id)
        before = snapshot(user) if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST" and response.status_code == 302:
            user.refresh_from_db()
            activity_record(
                action=Action.UPDATE, instance=user, actor=request.user, before=before, after=snapshot(user)
            )
        return response


@admin.register(ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "actor_username", "source", "action", "content_type", "object_repr", "ip_address"]
    list_filter = ["action", "source", "content_type", "timestamp"]
    search_fields = ["object_repr", "actor_username", "object_id"]
    list_select_related = ["content_type"]
    date_hierarchy = "timestamp"
    readonly_fields = [f.name for f in ActivityLog._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False
