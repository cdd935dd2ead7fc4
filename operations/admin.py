from django.contrib import admin

from accounts.admin_base import ScopedAdmin
from operations import services
from operations.models import DutySchedule, OperationsPolicy, Route, RouteStop, Trip, VehicleDepot
from operations.services import STOP_FIELDS


def _changed(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data}


class RouteStopInline(admin.TabularInline):
    model = RouteStop
    extra = 1
    fields = ["sequence", *STOP_FIELDS]


@admin.register(Route)
class RouteAdmin(ScopedAdmin):
    list_display = ["name", "department", "road_mix", "distance_km"]
    list_filter = ["road_mix", "department"]
    search_fields = ["name"]
    list_select_related = ["department"]
    inlines = [RouteStopInline]

    def create_object(self, request, obj, form):
        return services.route_create(actor=request.user, **form.cleaned_data)

    def update_object(self, request, obj, form):
        return services.route_update(actor=request.user, route=Route.objects.get(pk=obj.pk), **_changed(form))

    def save_related(self, request, form, formsets, change):
        """The stops through the service: the list in order replaces the route's stops."""
        stops = []
        for formset in formsets:
            # what the admin's change message reads of a saved formset (the service logs the route's change)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for row in formset.cleaned_data:
                if row and not row.get("DELETE"):
                    stops.append({name: row[name] for name in ("sequence", *STOP_FIELDS) if name in row})
        stops.sort(key=lambda s: s.get("sequence") or 0)
        services.route_update(actor=request.user, route=Route.objects.get(pk=form.instance.pk), stops=stops)

    def delete_model(self, request, obj):
        services.route_delete(actor=request.user, route=obj)


@admin.register(Trip)
class TripAdmin(ScopedAdmin):
    list_display = [
        "vehicle",
        "depot",
        "departs_at",
        "returns_at",
        "status",
        "required_soc_percent",
        "need_computed_at",
    ]
    list_filter = ["status", "road_mix", "depot"]
    search_fields = ["vehicle__fleet_number", "vehicle__vin", "notes"]
    list_select_related = ["vehicle", "depot"]
    date_hierarchy = "departs_at"
    readonly_fields = [
        "driving_kwh", "climate_kwh", "reserve_kwh", "ambient_temperature_c", "temperature_source",
        "required_soc_percent", "need_computed_at", "departed_at", "returned_at",
    ]  # fmt: skip
    raw_id_fields = ["vehicle", "schedule"]

    def create_object(self, request, obj, form):
        return services.trip_create(actor=request.user, **form.cleaned_data)

    def update_object(self, request, obj, form):
        return services.trip_update(actor=request.user, trip=Trip.objects.get(pk=obj.pk), **_changed(form))

    def delete_model(self, request, obj):
        services.trip_delete(actor=request.user, trip=obj)


@admin.register(DutySchedule)
class DutyScheduleAdmin(ScopedAdmin):
    list_display = ["name", "vehicle", "depot", "weekdays", "departs_local", "returns_local", "active"]
    list_filter = ["active", "depot"]
    search_fields = ["name", "vehicle__fleet_number"]
    list_select_related = ["vehicle", "depot"]
    raw_id_fields = ["vehicle"]

    def create_object(self, request, obj, form):
        return services.schedule_create(actor=request.user, **form.cleaned_data)

    def update_object(self, request, obj, form):
        original = DutySchedule.objects.get(pk=obj.pk)
        return services.schedule_update(actor=request.user, schedule=original, **_changed(form))

    def delete_model(self, request, obj):
        services.schedule_delete(actor=request.user, schedule=obj)


@admin.register(VehicleDepot)
class VehicleDepotAdmin(ScopedAdmin):
    list_display = ["vehicle", "site"]
    list_filter = ["site"]
    search_fields = ["vehicle__fleet_number", "vehicle__vin"]
    list_select_related = ["vehicle", "site"]
    raw_id_fields = ["vehicle"]


@admin.register(OperationsPolicy)
class OperationsPolicyAdmin(ScopedAdmin):
    list_display = ["department", "reserve_percent", "schedule_days"]
    list_select_related = ["department"]
