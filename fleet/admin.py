from django.contrib import admin

from accounts.admin_base import CappedCountPaginator, ReadOnlyAdmin, ScopedAdmin
from fleet import services
from fleet.models import TelemetryPoint, Vehicle, VehicleModel


@admin.register(VehicleModel)
class VehicleModelAdmin(ScopedAdmin):
    list_display = [
        "make",
        "name",
        "variant",
        "model_year",
        "vehicle_class",
        "usable_battery_kwh",
        "max_ac_kw",
        "max_dc_kw",
        "payload_kg",
        "v2g_capable",
    ]
    list_filter = ["make", "vehicle_class", "v2g_capable", "model_year"]
    search_fields = ["make", "name", "variant"]

    def delete_model(self, request, obj):
        services.vehicle_model_delete(actor=request.user, vehicle_model=obj)


@admin.register(Vehicle)
class VehicleAdmin(ScopedAdmin):
    list_display = [
        "vin",
        "fleet_number",
        "license_plate",
        "department",
        "vehicle_model",
        "status",
        "priority_class",
        "soc_percent",
        "last_telemetry_at",
    ]
    list_filter = ["status", "priority_class", "department", "vehicle_model__make"]
    search_fields = ["vin", "license_plate", "fleet_number"]
    list_select_related = ["department", "vehicle_model"]
    autocomplete_fields = ["vehicle_model"]
    readonly_fields = ["soc_percent", "odometer_km", "last_latitude", "last_longitude", "last_telemetry_at"]

    def create_object(self, request, obj, form):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data}
        return services.vehicle_create(actor=request.user, **data)

    def update_object(self, request, obj, form):
        original = Vehicle.objects.get(pk=obj.pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        return services.vehicle_update(actor=request.user, vehicle=original, **data)

    def delete_model(self, request, obj):
        services.vehicle_delete(actor=request.user, vehicle=obj)


@admin.register(TelemetryPoint)
class TelemetryPointAdmin(ReadOnlyAdmin):
    list_display = [
        "vehicle",
        "recorded_at",
        "soc_percent",
        "odometer_km",
        "speed_kmh",
        "power_kw",
        "battery_temperature_c",
    ]
    list_filter = ["recorded_at"]
    search_fields = ["vehicle__vin"]
    list_select_related = ["vehicle"]
    raw_id_fields = ["vehicle"]
    show_full_result_count = False
    paginator = CappedCountPaginator
