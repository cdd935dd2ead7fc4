"""Dashboard pages of pricing: tariffs with a day's price chart, editing by versions, customers."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.scoping import scoped
from evfleet import formatting
from fleet.views import _dashboard_user
from pricing import selectors, services
from pricing.charts import price_day_chart
from pricing.engine import DIMENSIONS, ENERGY, FLAT, PARKING_TIME, TIME
from pricing.forms import ElementFormSet, TariffForm, VersionForm, element_initial, elements_from
from pricing.models import LoadPricing, Tariff, TariffVersion
from pricing.validation import parse_elements

PRICE_UNITS = {ENERGY: "kWh", TIME: "h", PARKING_TIME: "h", FLAT: ""}  # FLAT: once per session


def _price_text(price, currency: str, dimension: str) -> str:
    if price in (None, ""):
        return ""
    unit = PRICE_UNITS[dimension]
    return formatting.unit_price(price, currency, unit) if unit else formatting.money(price, currency)


def _element_rows(elements: list[dict], currency: str) -> list[dict]:
    """The elements for a table: prices by dimension with their unit, and the restrictions in words."""
    rows = []
    for index, (stored, parsed) in enumerate(zip(elements, parse_elements(elements), strict=True)):
        prices = {c["type"]: c["price"] for c in stored["price_components"]}
        rows.append(
            {
                "index": index,
                "prices": [_price_text(prices.get(d), currency, d) for d in DIMENSIONS],
                "when": parsed.restrictions.describe(),
            }
        )
    return rows


def _preview_choices(request, tariff: Tariff, site) -> dict:
    """The chart's day, customer and load from the query string; bad values fall back with a message."""
    zone = ZoneInfo(site.time_zone if site else "UTC")
    day = timezone.now().astimezone(zone).date()
    if request.GET.get("date"):
        try:
            day = datetime.strptime(request.GET["date"], "%Y-%m-%d").date()
        except ValueError:
            messages.error(request, "The day is YYYY-MM-DD; showing today.")
    customer = None
    if request.GET.get("customer"):
        customer = selectors.customer_list(user=request.user).filter(pk=request.GET["customer"]).first()
    load = None
    if request.GET.get("load_percent"):
        try:
            load = Decimal(request.GET["load_percent"])
        except InvalidOperation:
            messages.error(request, "The load is a number of % (0 to 200); showing no load pricing.")
        else:
            if not 0 <= load <= 200:
                messages.error(request, "The load is 0 to 200 % of the grid limit; showing no load pricing.")
                load = None
    return {"day": day, "customer": customer, "load_percent": load}


@_dashboard_user
@permission_required("pricing.view_tariff", raise_exception=True)
def pricing_overview(request):
    user = request.user
    now = timezone.now()
    tariffs = [
        (t, next((v for v in t.versions.all() if v.valid_from <= now), None), len(t.versions.all()))
        for t in selectors.tariff_list(user=user)
    ]
    customers = selectors.customer_list(user=user).annotate(
        contract_count=Count("contracts", distinct=True), vehicle_count=Count("vehicles", distinct=True)
    )
    load_pricing = scoped(LoadPricing.objects.select_related("site"), user)
    return render(
        request,
        "pricing/overview.html",
        {"tariffs": tariffs, "customers": customers, "load_pricing": load_pricing},
    )


@_dashboard_user
@permission_required("pricing.view_tariff", raise_exception=True)
def tariff_detail(request, pk: int):
    tariff = get_object_or_404(selectors.tariff_list(user=request.user), pk=pk)
    site = selectors.tariff_site(tariff)
    versions = list(tariff.versions.select_related("created_by").order_by("-number"))
    choices = _preview_choices(request, tariff, site)
    shown = None
    if request.GET.get("version"):
        shown = next((v for v in versions if str(v.number) == request.GET["version"]), None)
    if shown is None:
        zone = ZoneInfo(site.time_zone if site else "UTC")
        noon = datetime.combine(choices["day"], datetime.min.time(), tzinfo=zone) + timedelta(hours=12)
        shown = next((v for v in versions if v.valid_from <= noon), versions[-1] if versions else None)
    preview, figure = price_day_chart(shown, site, choices) if shown else ({}, None)
    return render(
        request,
        "pricing/tariff_detail.html",
        {
            "tariff": tariff,
            "site": site,
            "versions": versions,
            "shown": shown,
            "rows": _element_rows(shown.elements, tariff.currency) if shown else [],
            "dimensions": DIMENSIONS,
            "preview": preview,
            "figure": figure,
            "choices": choices,
            "customers": selectors.customer_list(user=request.user),
        },
    )


def _edit_prices(request, *, tariff_form, version_form, formset, save, draft_version, site, title, back):
    """The tariff and version editor: "Preview" draws the draft's day without saving, "Save" stores it."""
    figure, errors = None, []
    if request.method == "POST":
        valid = all(f.is_valid() for f in (version_form, formset)) and (tariff_form is None or tariff_form.is_valid())
        if valid:
            try:
                elements = elements_from(formset, version_form)
            except ValidationError as exc:
                errors = [m for messages_ in exc.message_dict.values() for m in messages_]
            else:
                if "preview" in request.POST:
                    version = draft_version(version_form.cleaned_data, elements, tariff_form)
                    place = site(tariff_form)
                    zone = ZoneInfo(place.time_zone if place else "UTC")
                    day = version_form.cleaned_data["valid_from"].astimezone(zone).date()  # the site's day
                    _, figure = price_day_chart(version, place, {"day": day, "customer": None, "load_percent": None})
                else:
                    try:
                        saved = save(version_form.cleaned_data, elements, tariff_form)
                    except ValidationError as exc:
                        errors = [
                            f"{k}: {m}" if k != "__all__" else m for k, ms in exc.message_dict.items() for m in ms
                        ]
                    else:
                        messages.success(request, f"{saved} saved.")
                        return redirect("pricing:tariff-detail", pk=getattr(saved, "tariff_id", saved.pk))
    return render(
        request,
        "pricing/tariff_edit.html",
        {
            "title": title,
            "tariff_form": tariff_form,
            "version_form": version_form,
            "formset": formset,
            "errors": errors,
            "figure": figure,
            "back": back,
        },
    )


@_dashboard_user
@permission_required("pricing.add_tariff", raise_exception=True)
def tariff_create(request):
    tariff_form = TariffForm(request.POST or None, user=request.user, prefix="tariff")
    version_form = VersionForm(request.POST or None, prefix="version", initial={"tax_percent": Decimal("19")})
    formset = ElementFormSet(request.POST or None, prefix="el", initial=[{"energy_price": Decimal("0.35")}])

    def site_of(form):
        data = form.cleaned_data
        return (
            data.get("site")
            or (data["charge_point"].site if data.get("charge_point") else None)
            or (data["connector"].charge_point.site if data.get("connector") else None)
        )

    def draft(data, elements, form):
        tariff = Tariff(name=form.cleaned_data["name"], currency=form.cleaned_data["currency"])
        return TariffVersion(tariff=tariff, number=1, tax_percent=data["tax_percent"], elements=elements)

    def save(data, elements, form):
        return services.tariff_create(
            actor=request.user,
            **form.cleaned_data,
            valid_from=data["valid_from"],
            tax_percent=data["tax_percent"],
            elements=elements,
            note=data.get("note", ""),
        )

    return _edit_prices(
        request, tariff_form=tariff_form, version_form=version_form, formset=formset, save=save, draft_version=draft,
        site=site_of, title="New tariff", back="/pricing/",
    )  # fmt: skip


@_dashboard_user
@permission_required("pricing.add_tariffversion", raise_exception=True)
def tariff_version_create(request, pk: int):
    tariff = get_object_or_404(selectors.tariff_list(user=request.user), pk=pk)
    latest = tariff.versions.order_by("-number").first()
    initial_rows = [element_initial(e) for e in latest.elements] if latest else []
    version_form = VersionForm(
        request.POST or None,
        prefix="version",
        initial={"tax_percent": latest.tax_percent if latest else Decimal("19"), "valid_from": timezone.now()},
    )
    formset = ElementFormSet(request.POST or None, prefix="el", initial=initial_rows)

    def draft(data, elements, _form):
        return TariffVersion(tariff=tariff, number=None, tax_percent=data["tax_percent"], elements=elements)

    def save(data, elements, _form):
        return services.tariff_version_create(
            actor=request.user,
            tariff=tariff,
            valid_from=data["valid_from"],
            tax_percent=data["tax_percent"],
            elements=elements,
            note=data.get("note", ""),
        )

    return _edit_prices(
        request, tariff_form=None, version_form=version_form, formset=formset, save=save, draft_version=draft,
        site=lambda _form: selectors.tariff_site(tariff), title=f"New prices for {tariff.name}",
        back=f"/pricing/tariffs/{pk}/",
    )  # fmt: skip


@_dashboard_user
@permission_required("pricing.change_tariff", raise_exception=True)
def tariff_edit(request, pk: int):
    tariff = get_object_or_404(selectors.tariff_list(user=request.user), pk=pk)
    original = Tariff.objects.get(pk=pk)
    form = TariffForm(request.POST or None, instance=tariff, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.tariff_update(
                actor=request.user, tariff=original, **{name: form.cleaned_data[name] for name in form.changed_data}
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect("pricing:tariff-detail", pk=pk)
    return render(
        request, "form_page.html", {"form": form, "title": f"Edit {tariff}", "back": f"/pricing/tariffs/{pk}/"}
    )
