"""The admin's share of scoping and auditing: every admin class of the project builds on this."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import transaction
from django.utils.functional import cached_property

from accounts.audit import audited_save, model_delete, snapshot
from accounts.scoping import scoped


class ScopedAdmin(admin.ModelAdmin):
    """Lists and edits only the user's departments; saves and deletes go through audited services."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset.model, "scope_field"):
            queryset = scoped(queryset, request.user)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_field"):
            kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Hooks for apps whose writes have their own services; the defaults validate, save and log.
    def create_object(self, request, obj, form):
        return audited_save(obj, actor=request.user, before=None)

    def update_object(self, request, obj, form):
        original = type(obj)._default_manager.get(pk=obj.pk)
        return audited_save(obj, actor=request.user, before=snapshot(original))

    def save_model(self, request, obj, form, change):
        saved = self.update_object(request, obj, form) if change else self.create_object(request, obj, form)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        model_delete(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyAdmin(ScopedAdmin):
    """For records nobody edits by hand (logs, telemetry)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CappedCountPaginator(Paginator):
    """Logs with millions of rows (telemetry, deliveries): count at most 100,000 of them, so a page never scans
    the table."""

    cap = 100_000

    @cached_property
    def count(self):
        return self.object_list[: self.cap].count()
