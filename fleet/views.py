"""Dashboard pages of the fleet: overview with filters and counts, vehicle page with charts, edit forms."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.decorators import dashboard_user as _dashboard_user  # pages of other apps import it from here too
from fleet import selectors, services
from fleet.charts import vehicle_telemetry_figures
from fleet.forms import FleetFilterForm, VehicleForm
from fleet.models import TelemetryPoint, Vehicle, VehicleModel
from fleet.panels import render_vehicle_panels

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@_dashboard_user
@permission_required("fleet.view_vehicle", raise_exception=True)
def overview(request):
    user = request.user
    vehicles = selectors.vehicle_list(user=user)
    makes = list(VehicleModel.objects.order_by("make").values_list("make", flat=True).distinct())
    form = FleetFilterForm(request.GET or None, user=user, makes=makes)
    filtered = vehicles
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            filtered = filtered.filter(
                Q(vin__icontains=q) | Q(license_plate__icontains=q) | Q(fleet_number__icontains=q)
            )
        if data["status"]:
            filtered = filtered.filter(current_status=data["status"])
        if data["priority_class"]:
            filtered = filtered.filter(priority_class=data["priority_class"])
        if data["department"]:
            filtered = filtered.filter(department__path__startswith=data["department"].path)
        if data["make"]:
            filtered = filtered.filter(vehicle_model__make=data["make"])
    page = Paginator(filtered.order_by("fleet_number", "vin"), 50).get_page(request.GET.get("page"))
    summary = selectors.fleet_summary(user=user)
    by_department = (
        vehicles.values("department__id", "department__name", "department__path")
        .annotate(total=Count("id"), charging=Count("id", filter=Q(current_status=Vehicle.Status.CHARGING)))
        .order_by("department__path")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fleet/overview.html",
        {
            "form": form,
            "page": page,
            "summary": summary,
            "status_counts": [(value, label, summary[f"status_{value}"]) for value, label in Vehicle.Status.choices],
            "by_department": by_department,
            "query": query.urlencode(),
        },
    )


@_dashboard_user
@permission_required("fleet.view_vehicle", raise_exception=True)
def vehicle_detail(request, pk: int):
    vehicle = get_object_or_404(selectors.vehicle_list(user=request.user), pk=pk)
    period = request.GET.get("period", "7d")
    if period not in PERIODS:
        period = "7d"
    end = timezone.now()
    rows = list(
        selectors.telemetry_range(vehicle=vehicle, start=end - PERIODS[period], end=end + timedelta(minutes=10)).values(
            "recorded_at", "soc_percent", "power_kw", "speed_kmh", "battery_temperature_c"
        )
    )
    return render(
        request,
        "fleet/vehicle_detail.html",
        {
            "vehicle": vehicle,
            "figures": vehicle_telemetry_figures(rows, (end - PERIODS[period], end)),
            "points": len(rows),
            "period": period,
            "periods": list(PERIODS),
            "latest": TelemetryPoint.objects.filter(vehicle=vehicle).order_by("-recorded_at").first(),
            "panels": render_vehicle_panels(request, vehicle),  # what apps above fleet add (fleet/panels.py)
        },
    )


@_dashboard_user
@permission_required("fleet.add_vehicle", raise_exception=True)
def vehicle_create_view(request):
    form = VehicleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            vehicle = services.vehicle_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Vehicle {vehicle} created.")
            return redirect("fleet:vehicle-detail", pk=vehicle.pk)
    return render(request, "form_page.html", {"form": form, "title": "New vehicle", "back": reverse("fleet:overview")})


@_dashboard_user
@permission_required("fleet.change_vehicle", raise_exception=True)
def vehicle_edit_view(request, pk: int):
    vehicle = get_object_or_404(selectors.vehicle_list(user=request.user), pk=pk)
    original = Vehicle.objects.get(pk=vehicle.pk)
    form = VehicleForm(request.POST or None, instance=vehicle, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.vehicle_update(actor=request.user, vehicle=original, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Vehicle {original} saved.")
            return redirect("fleet:vehicle-detail", pk=pk)
    back = reverse("fleet:vehicle-detail", args=[vehicle.pk])
    return render(request, "form_page.html", {"form": form, "title": f"Edit {vehicle}", "back": back})


@_dashboard_user
@permission_required("fleet.delete_vehicle", raise_exception=True)
def vehicle_delete_view(request, pk: int):
    vehicle = get_object_or_404(selectors.vehicle_list(user=request.user), pk=pk)
    if request.method == "POST":
        services.vehicle_delete(actor=request.user, vehicle=vehicle)
        messages.success(request, f"Vehicle {vehicle} deleted.")
        return redirect("fleet:overview")
    return render(request, "fleet/vehicle_confirm_delete.html", {"vehicle": vehicle})
