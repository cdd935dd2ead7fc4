from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from fleet.admin import CappedCountPaginator
from stations import services
from stations.forms import ChargePointForm
from stations.models import (
    Alert,
    ChargePoint,
    CompatibilityRule,
    Connector,
    ConnectorStatusChange,
    MaintenanceWindow,
    OcppCommand,
    OcppMessage,
    Site,
)


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    list_display = ["name", "department", "grid_limit_kw", "time_zone", "address"]
    list_filter = ["department", "time_zone"]
    search_fields = ["name", "address"]
    list_select_related = ["department"]

    def delete_model(self, request, obj):
        services.site_delete(actor=request.user, site=obj)


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    fields = [
        "evse_id",
        "connector_id",
        "connector_type",
        "current_type",
        "max_power_kw",
        "max_current_a",
        "nominal_voltage_v",
        "bidirectional",
        "status",
        "error_code",
    ]
    readonly_fields = ["status", "error_code"]


@admin.register(ChargePoint)
class ChargePointAdmin(ScopedAdmin):
    form = ChargePointForm
    inlines = [ConnectorInline]
    list_display = ["identity", "site", "status", "is_connected", "protocol", "vendor", "model", "last_seen_at"]
    list_filter = ["status", "is_connected", "protocol", "registration_status", "site"]
    search_fields = ["identity", "vendor", "model", "serial_number"]
    list_select_related = ["site"]
    readonly_fields = [
        "vendor",
        "model",
        "serial_number",
        "firmware_version",
        "firmware_status",
        "protocol",
        "is_connected",
        "last_seen_at",
        "last_heartbeat_at",
        "status",
        "status_since",
    ]

    def create_object(self, request, obj, form):
        data = {name: form.cleaned_data[name] for name in ChargePointForm.Meta.fields}
        return services.charge_point_create(actor=request.user, password=form.cleaned_data["password"] or None, **data)

    def update_object(self, request, obj, form):
        original = ChargePoint.objects.get(pk=obj.pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "password"}
        password = form.cleaned_data["password"] or None
        return services.charge_point_update(actor=request.user, charge_point=original, password=password, **data)


@admin.register(Connector)
class ConnectorAdmin(ScopedAdmin):
    list_display = [
        "charge_point",
        "evse_id",
        "connector_id",
        "connector_type",
        "current_type",
        "max_power_kw",
        "status",
        "status_since",
    ]
    list_filter = ["status", "connector_type", "current_type"]
    search_fields = ["charge_point__identity"]
    list_select_related = ["charge_point"]
    readonly_fields = ["status", "status_since", "error_code", "status_info"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ScopedAdmin):
    list_display = ["charge_point", "starts_at", "ends_at", "reason", "created_by"]
    list_select_related = ["charge_point", "created_by"]
    exclude = ["created_by"]

    def delete_model(self, request, obj):
        services.maintenance_window_delete(actor=request.user, window=obj)

    def create_object(self, request, obj, form):
        return services.maintenance_window_create(
            actor=request.user,
            charge_point=obj.charge_point,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            reason=obj.reason,
        )


@admin.register(CompatibilityRule)
class CompatibilityRuleAdmin(ScopedAdmin):
    list_display = ["inlet", "connector_type", "adapter", "max_power_kw", "is_active"]
    list_filter = ["is_active", "inlet", "connector_type"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = [
        "opened_at",
        "kind",
        "severity",
        "site",
        "charge_point",
        "connector",
        "message",
        "occurrences",
        "resolved_at",
    ]
    list_filter = ["kind", "severity", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["site", "charge_point", "connector"]


@admin.register(OcppMessage)
class OcppMessageAdmin(ReadOnlyAdmin):
    list_display = ["logged_at", "identity", "direction", "message_type", "action", "unique_id"]
    list_filter = ["direction", "message_type", "action"]
    search_fields = ["identity", "unique_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(OcppCommand)
class OcppCommandAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "charge_point", "action", "state", "requested_by", "answered_at"]
    list_filter = ["action", "state"]
    list_select_related = ["charge_point", "requested_by"]


@admin.register(ConnectorStatusChange)
class ConnectorStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "connector", "status", "error_code"]
    list_filter = ["status"]
    list_select_related = ["connector__charge_point"]
    paginator = CappedCountPaginator
    show_full_result_count = False
