"""Vehicles' home depots (set for many vehicles at once) and the department's operations policy: the reserve
every trip keeps and how far ahead duty schedules make trips."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.scoping import visible_departments
from fleet.views import _dashboard_user
from operations import need as trip_need
from operations import selectors, services
from operations.forms import DepotAssignForm, PolicyForm
from operations.models import OperationsPolicy

PAGE_SIZE = 100


class DepotFilterForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any depot or none", label="Depot")
    without = forms.BooleanField(required=False, label="Only vehicles without a depot")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.depot_choices(user=user)


def _policies(user) -> list[dict]:
    """Each visible department's reserve and horizon (the defaults where it has no policy of its own)."""
    departments = list(visible_departments(user).order_by("path"))
    own = {p.department_id: p for p in OperationsPolicy.objects.filter(department__in=departments)}
    default = OperationsPolicy()
    return [{"department": d, "policy": own.get(d.pk, default), "own": d.pk in own} for d in departments]


@_dashboard_user
@permission_required("operations.view_vehicledepot", raise_exception=True)
def depots(request):
    user = request.user
    can_set = user.has_perm("operations.add_vehicledepot") and user.has_perm("operations.change_vehicledepot")
    form = DepotAssignForm(request.POST or None, user=user)
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        if form.is_valid():
            site, vehicles = form.cleaned_data["site"], list(form.cleaned_data["vehicles"])
            try:
                with transaction.atomic():
                    for vehicle in vehicles:
                        services.vehicle_depot_set(actor=user, vehicle=vehicle, site=site)
            except ValidationError as exc:
                form.add_error("site", exc.message_dict.get("site", exc.messages))
            else:
                where = f"based at {site}" if site else "without a home depot"
                messages.success(request, f"{len(vehicles)} vehicle(s) now {where}.")
                return redirect(request.get_full_path())
    filters = DepotFilterForm(request.GET or None, user=user)
    vehicles = selectors.vehicle_depot_list(user=user)
    if filters.is_valid():
        if filters.cleaned_data["without"]:
            vehicles = vehicles.filter(depot__isnull=True)
        elif filters.cleaned_data["site"]:
            vehicles = vehicles.filter(depot__site=filters.cleaned_data["site"])
    page = Paginator(vehicles, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    chosen = {str(v) for v in form["vehicles"].value() or []} if form.is_bound else set()
    return render(request, "operations/depots.html", {
        "form": form, "filters": filters, "page": page, "query": query.urlencode(), "can_set": can_set,
        "chosen": chosen, "policies": _policies(user), "default_reserve": trip_need.DEFAULT_RESERVE_PERCENT,
    })  # fmt: skip


@_dashboard_user
@permission_required("operations.change_operationspolicy", raise_exception=True)
def policy_edit(request, department_pk: int):
    department = get_object_or_404(visible_departments(request.user), pk=department_pk)
    policy = OperationsPolicy.objects.filter(department=department).first() or OperationsPolicy(department=department)
    form = PolicyForm(request.POST or None, instance=OperationsPolicy(
        reserve_percent=policy.reserve_percent, schedule_days=policy.schedule_days, department=department))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, department=department, **{
                name: form.cleaned_data[name] for name in services.POLICY_FIELDS})  # fmt: skip
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, f"Operations policy of {department} saved.")
            return redirect("operations:depots")
    return render(request, "operations/policy_form.html", {
        "form": form, "title": f"Reserve and horizon of {department}", "department": department,
        "back": reverse("operations:depots"),
    })  # fmt: skip
