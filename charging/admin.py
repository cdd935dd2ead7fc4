from django.contrib import admin
from django.utils.html import format_html, format_html_join

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from charging import selectors, services
from charging.forms import RoamingPolicyForm
from charging.models import (
    ChargingPlan,
    ChargingSession,
    Circuit,
    IdToken,
    MeterSample,
    Reservation,
    ReservationDecision,
    ReservationPolicy,
    RoamingPolicy,
)
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
    """Sessions at the user's sites and of their vehicles elsewhere; a visiting vehicle shows by its fleet number or
    plate, never by VIN or RFID tag (charging.selectors.session_visibility)."""

    list_display = [
        "started_at",
        "charge_point",
        "connector",
        "transaction_id",
        "vehicle_shown",
        "status",
        "authorization_status",
        "energy_kwh",
        "cost_total",
        "currency",
        "ended_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["transaction_id", "charge_point__identity"]  # and an exact RFID tag of one's own: below
    list_select_related = ["charge_point", "connector", "vehicle", "vehicle_department"]
    readonly_fields = ["vehicle_shown", "cost_lines"]

    def get_queryset(self, request):
        user = request.user
        path = None if user.is_admin else (user.department.path if user.department_id else "/none/")
        return selectors.session_visibility(super().get_queryset(request), path=path)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.vehicle_hidden:
            return [f for f in fields if f not in ("vehicle", "id_tag")]
        return [f for f in fields if f != "vehicle_shown"]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found |= queryset.filter(id_tag=search_term.strip(), vehicle_hidden=False)
        return found, may_have_duplicates

    @admin.display(description="Vehicle")
    def vehicle_shown(self, obj: ChargingSession):
        label = selectors.session_vehicle_label(obj) or "–"
        return f"{label} (visiting from {obj.vehicle_department})" if obj.vehicle_hidden else label

    @admin.display(description="Cost breakdown")
    def cost_lines(self, obj: ChargingSession):
        breakdown = obj.cost_breakdown
        if not breakdown:
            return "Not priced yet."
        if "error" in breakdown:
            return f"Not priced: {breakdown['error']}"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line["dimension"], line["restriction"], line["starts_at"][11:16], line["ends_at"][11:16],
                    line["quantity"], line["unit"], line["unit_price"], "; ".join(line["adjustments"]),
                    line["subtotal"],
                )
                for line in breakdown["lines"]
            ),
        )  # fmt: skip
        return format_html(
            "<table><tr><th>Dimension</th><th>When</th><th>UTC</th><th>Quantity</th><th>Unit price</th>"
            "<th>Adjustments</th><th>Subtotal</th></tr>{}</table><p>{} · excl. tax {} · tax {} · total {} {}</p>",
            rows,
            breakdown["tariff"],
            breakdown["total_excl_tax"],
            breakdown["tax"],
            breakdown["total"],
            breakdown["currency"],
        )


@admin.register(MeterSample)
class MeterSampleAdmin(ReadOnlyAdmin):
    list_display = ["sampled_at", "connector", "session", "energy_wh", "power_kw", "soc_percent"]
    list_select_related = ["connector__charge_point", "session"]
    paginator = CappedCountPaginator
    show_full_result_count = False


class ReservationDecisionInline(admin.TabularInline):
    model = ReservationDecision
    fields = ["decided_at", "action", "reason", "actor", "details"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Reservations are made and cancelled through the API and the dashboard (their rules live in the
    service); here they are read, with every decision taken about them."""

    list_display = ["vehicle", "site", "connector", "starts_at", "ends_at", "priority_class", "status"]
    list_filter = ["status", "priority_class", "site"]
    search_fields = ["vehicle__vin", "vehicle__fleet_number"]
    list_select_related = ["vehicle", "site", "connector__charge_point"]
    date_hierarchy = "starts_at"
    inlines = [ReservationDecisionInline]


@admin.register(ReservationPolicy)
class ReservationPolicyAdmin(ScopedAdmin):
    list_display = ["site", "allow_preemption", "max_duration_minutes", "no_show_grace_minutes"]
    list_select_related = ["site"]


@admin.register(RoamingPolicy)
class RoamingPolicyAdmin(ScopedAdmin):
    """Which other departments' vehicles may charge at a department's sites; saved through the service, which
    logs the listed departments too. Any department may be listed, also one outside the user's own tree."""

    form = RoamingPolicyForm
    list_display = ["department", "mode", "listed"]
    list_select_related = ["department"]
    filter_horizontal = ["allowed_departments"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allowed_departments")

    @admin.display(description="Listed departments")
    def listed(self, obj: RoamingPolicy) -> str:
        return ", ".join(str(d) for d in obj.allowed_departments.all()) or "–"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.roaming_policy_save(
            actor=request.user,
            department=data["department"],
            mode=data["mode"],
            allowed_departments=list(data.get("allowed_departments") or []),
            policy=RoamingPolicy.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # the listed departments were saved (and logged) by roaming_policy_save

    def delete_model(self, request, obj):
        services.roaming_policy_delete(actor=request.user, policy=obj)


@admin.register(Circuit)
class CircuitAdmin(ScopedAdmin):
    """Feeders and circuits of a site: the charge points wired to one share its limit."""

    list_display = ["name", "site", "parent", "max_power_kw"]
    list_filter = ["site"]
    list_select_related = ["site", "parent"]


@admin.register(ChargingPlan)
class ChargingPlanAdmin(ReadOnlyAdmin):
    """The plans smart charging made for each site, with the trigger and the explanation."""

    list_display = ["site", "created_at", "trigger", "status", "solve_ms", "applied", "summary"]
    list_filter = ["trigger", "applied", "status"]
    list_select_related = ["site"]
    date_hierarchy = "created_at"

    @admin.display(description="summary")
    def summary(self, plan):
        return plan.explanation.get("summary", "")
