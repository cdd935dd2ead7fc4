"""Pricing in the Django admin: tariffs with today's price chart, new versions through the service (a stored one
is never changed), customers and contracts with their volume tiers, holiday calendars, load-based pricing, grid
signals and the recorded price intervals."""

from zoneinfo import ZoneInfo

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, json_script

from accounts.admin_base import ReadOnlyAdmin, ScopedAdmin
from fleet.admin import CappedCountPaginator
from pricing import selectors, services
from pricing.charts import price_day_chart
from pricing.forms import TariffVersionAdminForm
from pricing.models import (
    Contract,
    ContractVolumeTier,
    Customer,
    GridSignal,
    Holiday,
    HolidayCalendar,
    LoadPricing,
    PriceInterval,
    Tariff,
    TariffVersion,
)


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
            add = reverse("admin:pricing_tariffversion_add")
            return format_html('No version in force. <a href="{}?tariff={}">Add one</a>.', add, obj.pk or "")
        site = selectors.tariff_site(obj)
        zone = ZoneInfo(site.time_zone if site else "UTC")
        choices = {"day": timezone.now().astimezone(zone).date(), "customer": None, "load_percent": None}
        _, figure = price_day_chart(version, site, choices)
        add = reverse("admin:pricing_tariffversion_add")
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
            reverse("pricing:tariff-detail", args=[obj.pk]),
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
