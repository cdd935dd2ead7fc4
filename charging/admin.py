from zoneinfo import ZoneInfo

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, json_script

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from charging import selectors, services
from charging.charts import price_day_chart
from charging.forms import RoamingPolicyForm, TariffVersionAdminForm
from charging.models import (
    ChargingPlan,
    ChargingSession,
    Circuit,
    Contract,
    ContractVolumeTier,
    Customer,
    GridSignal,
    Holiday,
    HolidayCalendar,
    IdToken,
    LoadPricing,
    MeterSample,
    PriceInterval,
    Reservation,
    ReservationDecision,
    ReservationPolicy,
    RoamingPolicy,
    Tariff,
    TariffVersion,
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


# --- pricing ------------------------------------------------------------------------------------


class TariffVersionInline(admin.TabularInline):
    model = TariffVersion
    fields = ["number", "valid_from", "tax_percent", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tariff)
class TariffAdmin(ScopedAdmin):
    list_display = ["name", "department", "currency", "attached_to", "created_at"]
    list_filter = ["currency", "department"]
    search_fields = ["name"]
    list_select_related = ["department", "site", "charge_point", "connector__charge_point"]
    raw_id_fields = ["charge_point", "connector"]
    inlines = [TariffVersionInline]
    readonly_fields = ["price_preview"]

    class Media:
        js = ["vendor/plotly.min.js"]

    def create_object(self, request, obj, form):
        obj.full_clean()
        return super().create_object(request, obj, form)

    def update_object(self, request, obj, form):
        return services.tariff_update(
            actor=request.user, tariff=Tariff.objects.get(pk=obj.pk),
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )  # fmt: skip

    @admin.display(description="Price today (incl. tax)")
    def price_preview(self, obj: Tariff):
        version = selectors.version_at(obj, timezone.now()) if obj.pk else None
        if version is None:
            add = reverse("admin:charging_tariffversion_add")
            return format_html('No version in force. <a href="{}?tariff={}">Add one</a>.', add, obj.pk or "")
        site = selectors.tariff_site(obj)
        zone = ZoneInfo(site.time_zone if site else "UTC")
        choices = {"day": timezone.now().astimezone(zone).date(), "customer": None, "load_percent": None}
        _, figure = price_day_chart(version, site, choices)
        add = reverse("admin:charging_tariffversion_add")
        return format_html(
            '<div id="admin-price-chart" style="width:720px"></div>{}'
            "<script>(function(){{const f=JSON.parse(JSON.parse("
            'document.getElementById("admin-price-figure").textContent));'
            'Plotly.newPlot("admin-price-chart",f.data,f.layout,{{displaylogo:false}});}})();</script>'
            '<p><a href="{}?tariff={}">New prices (a new version)</a> · '
            '<a href="{}">Any day, customer and site load (dashboard)</a></p>',
            json_script(figure, "admin-price-figure"),
            add,
            obj.pk,
            reverse("charging:tariff-detail", args=[obj.pk]),
        )


@admin.register(TariffVersion)
class TariffVersionAdmin(ScopedAdmin):
    """New prices are a new version (validated like the API); a stored version is never changed."""

    form = TariffVersionAdminForm
    list_display = ["tariff", "number", "valid_from", "tax_percent", "created_by", "note"]
    list_select_related = ["tariff", "created_by"]
    search_fields = ["tariff__name", "note"]
    raw_id_fields = ["tariff"]

    def get_readonly_fields(self, request, obj=None):
        return ["tariff", "number", "valid_from", "tax_percent", "elements", "note", "created_by"] if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def create_object(self, request, obj, form):
        return services.tariff_version_create(
            actor=request.user,
            tariff=obj.tariff,
            valid_from=obj.valid_from,
            tax_percent=obj.tax_percent,
            elements=obj.elements,
            note=obj.note,
        )


class ContractInline(admin.TabularInline):
    model = Contract
    fields = ["name", "kind", "valid_from", "valid_until", "tariff", "discount_percent", "energy_price"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ScopedAdmin):
    list_display = ["name", "kind", "department", "billed_department", "is_active"]
    list_filter = ["kind", "is_active", "department"]
    search_fields = ["name", "tax_id", "billing_email"]
    list_select_related = ["department", "billed_department"]
    inlines = [ContractInline]


TIER_FIELDS = ("from_kwh", "energy_price", "discount_percent")


class VolumeTierFormSet(BaseInlineFormSet):
    """Checks the contract with its tiers through the service's rules before anything is saved."""

    def tiers(self) -> list[dict]:
        return [
            {name: form.cleaned_data.get(name) for name in TIER_FIELDS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            services.contract_check(self.instance, self.tiers())
        except ValidationError as exc:
            raise ValidationError([f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]) from None


class VolumeTierInline(admin.TabularInline):
    model = ContractVolumeTier
    formset = VolumeTierFormSet
    extra = 1


@admin.register(Contract)
class ContractAdmin(ScopedAdmin):
    """Saved with its tiers in one service call, after the tier formset has checked the whole contract."""

    list_display = ["customer", "name", "kind", "valid_from", "valid_until"]
    list_filter = ["kind"]
    search_fields = ["name", "customer__name"]
    list_select_related = ["customer"]
    inlines = [VolumeTierInline]

    def save_model(self, request, obj, form, change):
        pass  # see save_related

    def save_related(self, request, form, formsets, change):
        tiers = next((fs.tiers() for fs in formsets if isinstance(fs, VolumeTierFormSet)), [])
        for formset in formsets:  # the service saves the tiers; the admin's change message lists none
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
        if change:
            contract = Contract.objects.get(pk=form.instance.pk)
            saved = services.contract_update(actor=request.user, contract=contract, tiers=tiers, **fields)
        else:
            saved = services.contract_create(actor=request.user, tiers=tiers, **fields)
        form.instance.pk = saved.pk


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(ScopedAdmin):
    list_display = ["name", "country", "subdivision", "priced_as"]
    search_fields = ["name", "country"]
    inlines = [HolidayInline]


@admin.register(LoadPricing)
class LoadPricingAdmin(ScopedAdmin):
    list_display = ["site", "is_active", "floor_price", "cap_price", "grid_price_share_percent"]
    list_select_related = ["site"]

    def create_object(self, request, obj, form):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "site"}
        return services.load_pricing_save(actor=request.user, site=obj.site, **data)

    def update_object(self, request, obj, form):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "site"}
        instance = LoadPricing.objects.get(pk=obj.pk)
        return services.load_pricing_save(actor=request.user, site=instance.site, instance=instance, **data)


@admin.register(GridSignal)
class GridSignalAdmin(ScopedAdmin):
    list_display = ["site", "starts_at", "ends_at", "price_per_kwh", "load_percent", "source"]
    list_filter = ["source"]
    list_select_related = ["site"]
    date_hierarchy = "starts_at"


@admin.register(PriceInterval)
class PriceIntervalAdmin(ReadOnlyAdmin):
    list_display = ["site", "starts_at", "site_load_kw", "load_percent", "grid_load_percent", "multiplier", "adder"]
    list_select_related = ["site"]
    list_filter = ["site"]
    date_hierarchy = "starts_at"
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
