from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from charging.models import ChargingSession, IdToken, MeterSample
from fleet.admin import CappedCountPaginator


@admin.register(IdToken)
class IdTokenAdmin(ScopedAdmin):
    list_display = ["token", "department", "vehicle", "is_active", "expires_at"]
    list_filter = ["is_active", "department"]
    search_fields = ["token", "vehicle__vin"]
    list_select_related = ["department", "vehicle"]
    raw_id_fields = ["vehicle"]


@admin.register(ChargingSession)
class ChargingSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "charge_point",
        "connector",
        "transaction_id",
        "vehicle",
        "status",
        "energy_kwh",
        "ended_at",
    ]
    list_filter = ["status"]
    search_fields = ["transaction_id", "id_tag", "charge_point__identity"]
    list_select_related = ["charge_point", "connector", "vehicle"]


@admin.register(MeterSample)
class MeterSampleAdmin(ReadOnlyAdmin):
    list_display = ["sampled_at", "connector", "session", "energy_wh", "power_kw", "soc_percent"]
    list_select_related = ["connector__charge_point", "session"]
    paginator = CappedCountPaginator
    show_full_result_count = False
