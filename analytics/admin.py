"""Admin of analytics: emission factors, offsets, saved reports with their history, and the (read-only)
rollups."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from analytics import services
from analytics.models import (
    CarbonIntensity,
    CarbonOffset,
    CarbonZone,
    ChargingDay,
    IceBaseline,
    ReportRun,
    SavedReport,
    SiteDay,
    VehicleDay,
)


@admin.register(CarbonZone)
class CarbonZoneAdmin(ScopedAdmin):
    """Grid regions with their yearly factor; sites choose one."""

    list_display = ["code", "name", "gco2e_per_kwh", "renewable_percent"]
    search_fields = ["code", "name"]


@admin.register(CarbonIntensity)
class CarbonIntensityAdmin(ScopedAdmin):
    """Hourly carbon intensity per zone, as pushed by a data provider (API) or entered here."""

    list_display = ["zone", "hour_start", "gco2e_per_kwh", "renewable_percent"]
    list_filter = ["zone"]
    date_hierarchy = "hour_start"
    list_select_related = ["zone"]


@admin.register(IceBaseline)
class IceBaselineAdmin(ScopedAdmin):
    """The combustion vehicle each class replaces, for avoided emissions."""

    list_display = ["vehicle_class", "fuel", "litres_per_100km", "kg_co2e_per_litre", "grams_per_km"]

    @admin.display(description="g CO2e/km")
    def grams_per_km(self, obj):
        return f"{obj.g_per_km:.1f}"


@admin.register(CarbonOffset)
class CarbonOffsetAdmin(ScopedAdmin):
    """Offset certificates a department retired."""

    list_display = ["retired_on", "department", "registry", "project", "serial_number", "vintage", "quantity_t_co2e"]
    list_filter = ["registry", "vintage"]
    list_select_related = ["department"]
    search_fields = ["registry", "project", "serial_number"]
    date_hierarchy = "retired_on"


class ReportRunInline(admin.TabularInline):
    model = ReportRun
    fields = [
        "created_at",
        "trigger",
        "status",
        "format",
        "period_start",
        "period_end",
        "rows",
        "recipients",
        "attempts",
        "error",
        "file",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SavedReport)
class SavedReportAdmin(ScopedAdmin):
    """Saved reports; saving checks them against the metrics engine and updates their beat schedule."""

    list_display = ["name", "department", "owner", "grouping", "period", "schedule", "format", "periodic_task"]
    list_filter = ["schedule", "format", "grouping"]
    list_select_related = ["department", "owner", "periodic_task"]
    search_fields = ["name"]
    readonly_fields = ["owner"]
    inlines = [ReportRunInline]

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in services.FIELDS}
        # the form's clean() has checked the report against the metrics engine
        saved = services.saved_report_save(actor=request.user, instance=obj if change else None, **data)
        obj.pk = saved.pk

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        user = request.user

        class Checked(form):
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                from analytics.metrics import validate

                report = SavedReport(**{k: data.get(k) for k in services.FIELDS if k in data})
                if not report.owner_id:
                    report.owner = obj.owner if obj is not None else user
                try:
                    validate(services.saved_report_spec(report), user)
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        self.add_error(field if field in self.fields else None, messages)
                return data

        return Checked

    def delete_model(self, request, obj):
        services.saved_report_delete(report=obj, actor=request.user)


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    list_display = ["report", "created_at", "trigger", "status", "format", "rows", "attempts", "error"]
    list_filter = ["status", "trigger", "format"]
    list_select_related = ["report"]


@admin.register(VehicleDay)
class VehicleDayAdmin(ReadOnlyAdmin):
    """Daily rollup per vehicle (rebuilt by the analytics-rollup job)."""

    list_display = ["day", "vehicle", "department", "distance_km", "energy_consumed_kwh", "telemetry_points"]
    list_select_related = ["vehicle", "department"]
    date_hierarchy = "day"


@admin.register(ChargingDay)
class ChargingDayAdmin(ReadOnlyAdmin):
    """Daily rollup of charging per site, vehicle and currency."""

    list_display = ["day", "site", "vehicle", "sessions", "energy_kwh", "cost_total", "currency", "emissions_kg"]
    list_select_related = ["site", "vehicle"]
    date_hierarchy = "day"


@admin.register(SiteDay)
class SiteDayAdmin(ReadOnlyAdmin):
    """Daily rollup per site: peak demand and connector use."""

    list_display = ["day", "site", "peak_kw", "grid_limit_kw", "energy_kwh", "occupied_hours", "available_hours"]
    list_select_related = ["site"]
    date_hierarchy = "day"
