"""Route plan pages: the list, a new plan (depot, day, vehicles, jobs typed or uploaded as CSV), and a plan's page
with its jobs, the solved routes on a map, Solve and Commit. Times are on the depot's clock."""

import re
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import dashboard_user
from evfleet.forms import DatePicker
from fleet.models import Vehicle
from operations.forms import VehicleChoice
from operations.selectors import depot_choices, vehicle_choices
from routing import selectors
from routing.models import RoutePlan
from routing.services import plans as services

PAGE_SIZE = 50
# one colour per route, readable on the pale basemap and told apart by people with the common colour deficiencies
# (Okabe & Ito 2008), then a few more
ROUTE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f3c8d", "#3a7d44", "#b8860b")
JOB_FIELD = re.compile(r"^jobs\[(\d+)\](?:\.(\w+))?$")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class _DepartmentOptions:
    """Each option carries its object's department path (data-department), so the page can offer only the vehicles
    of the plan's department once a depot is chosen (routing/static/routing/plan_form.js)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-department"] = instance.department.path
        return option


class DepotSelect(_DepartmentOptions, forms.Select):
    pass


class VehicleCheckboxes(_DepartmentOptions, forms.CheckboxSelectMultiple):
    pass


class VehiclesChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        payload = f"{obj.vehicle_model.payload_kg} kg" if obj.vehicle_model.payload_kg else "payload unknown"
        label = f"{VehicleChoice.label_from_instance(self, obj)} · {payload}"
        if obj.status in (Vehicle.Status.MAINTENANCE, Vehicle.Status.RETIRED):  # refused when saved: said up front
            label += f" · {obj.get_status_display().lower()}, cannot be offered"
        return label


class RoutePlanForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. “Tuesday deliveries”.")
    depot = forms.ModelChoiceField(
        queryset=None, widget=DepotSelect, help_text="Every route starts and ends here; its clock is used."
    )
    service_date = forms.DateField(label="Service date", widget=DatePicker)
    day_starts = forms.TimeField(label="Day starts", widget=TimeInput, initial="07:00", help_text="Depot's clock.")
    day_ends = forms.TimeField(label="Day ends", widget=TimeInput, initial="18:00", help_text="Depot's clock.")
    vehicles = VehiclesChoice(
        queryset=None,
        widget=VehicleCheckboxes,
        label="Vehicles offered",
        help_text="The plan is solved for the weakest of them (smallest payload and battery); each drives one route.",
    )
    time_limit_s = forms.IntegerField(
        label="Solver time limit (s)", min_value=1, max_value=600, initial=30, help_text="1 to 600 seconds."
    )
    jobs_csv = forms.CharField(
        label="Jobs (CSV)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text="One job a line after the header: name,address,latitude,longitude,demand_kg,service_minutes,"
        "window_start,window_end. Windows as HH:MM on the depot's clock (or ISO 8601 with offset).",
    )
    jobs_file = forms.FileField(label="…or a CSV file", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depot"].queryset = depot_choices(user=user).select_related("department")
        self.fields["vehicles"].queryset = vehicle_choices(user=user).select_related("department")
        self.fields["jobs_csv"].widget.attrs["placeholder"] = services.CSV_EXAMPLE  # an example, not a job to save

    def clean(self):
        data = super().clean()
        upload = data.get("jobs_file")
        data["csv"] = upload.read(5 * 1024 * 1024 + 1) if upload else (data.get("jobs_csv") or "")
        if not data["csv"].strip():
            self.add_error("jobs_csv", "Give the jobs: type them in as CSV or choose a CSV file.")
        return data


def _row(n: int) -> int:
    return n + 2  # job 0 is on the CSV's row 2 (the header is row 1)


def _show_errors(form: RoutePlanForm, exc: ValidationError) -> None:
    """The service's errors next to their fields; a job's under the CSV, by row and column."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        match = JOB_FIELD.match(name)
        if match:
            column = match[2] or ""
            where = f"Row {_row(int(match[1]))}" + (f", {column}" if column else "")
            for message in errors:
                form.add_error("jobs_csv", f"{where}: {message}")
        elif name in form.fields:
            form.add_error(name, errors)
        else:
            form.add_error(None, errors)


@dashboard_user
@permission_required("routing.view_routeplan", raise_exception=True)
def plan_list(request):
    page = Paginator(selectors.route_plan_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "routing/plan_list.html", {"page": page})


@dashboard_user
@permission_required("routing.add_routeplan", raise_exception=True)
def plan_create(request):
    form = RoutePlanForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        depot = data["depot"]
        jobs, row_errors = services.jobs_from_csv(
            data["csv"], service_date=data["service_date"], zone=ZoneInfo(depot.time_zone)
        )
        for error in row_errors:
            where = f"Row {error.row}" + (f", {error.field}" if error.field else "")
            form.add_error("jobs_csv", f"{where}: {error.message}")
        if not row_errors:
            try:
                plan = services.plan_create(
                    actor=request.user, name=data["name"], depot=depot,
                    service_date=data["service_date"], day_starts=data["day_starts"], day_ends=data["day_ends"],
                    time_limit_s=data["time_limit_s"], vehicles=list(data["vehicles"]), jobs=jobs,
                )  # fmt: skip
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, f"Plan “{plan.name}” saved with {len(jobs)} jobs: solve it when ready.")
                return redirect("routing:plan-detail", pk=plan.pk)
    return render(request, "routing/plan_form.html", {"form": form})


def _map_data(plan: RoutePlan, routes, jobs) -> dict:
    """What plans.js draws: the depot, the jobs, and each route as its coloured line with its charging stops."""
    zone = ZoneInfo(plan.depot.time_zone)
    depot = [plan.depot.latitude, plan.depot.longitude]
    out_routes = []
    for route in routes:
        colour = ROUTE_COLOURS[(route.number - 1) % len(ROUTE_COLOURS)]
        points, stops = [depot], []
        for visit in route.visits.all():
            place = visit.job or visit.site
            points.append([place.latitude, place.longitude])
            stops.append(
                {
                    "kind": visit.kind,
                    "name": place.name,
                    "lat": place.latitude,
                    "lon": place.longitude,
                    "arrives": visit.arrives_at.astimezone(zone).strftime("%H:%M"),
                    "leaves": visit.departs_at.astimezone(zone).strftime("%H:%M"),
                    "charge_kwh": visit.charge_kwh,
                    "charge_minutes": visit.charge_minutes,
                }
            )
        points.append(depot)
        out_routes.append({"number": route.number, "vehicle": str(route.vehicle), "colour": colour,
                           "points": points, "stops": stops})  # fmt: skip
    return {
        "depot": {"name": plan.depot.name, "lat": depot[0], "lon": depot[1]},
        "jobs": [{"name": j.name, "lat": j.latitude, "lon": j.longitude} for j in jobs],
        "routes": out_routes,
    }


@dashboard_user
@permission_required("routing.view_routeplan", raise_exception=True)
def plan_detail(request, pk: int):
    plan = get_object_or_404(selectors.route_plan_detail(user=request.user), pk=pk)
    routes = list(plan.routes.all())
    jobs = list(plan.jobs.all())
    for route in routes:
        route.colour = ROUTE_COLOURS[(route.number - 1) % len(ROUTE_COLOURS)]
        route.charges = [v for v in route.visits.all() if v.kind == "charge"]
    served_by = {v.job_id: r for r in routes for v in r.visits.all() if v.job_id}
    for job in jobs:
        job.route = served_by.get(job.pk)
    return render(
        request,
        "routing/plan_detail.html",
        {
            "plan": plan,
            "routes": routes,
            "jobs": jobs,
            "vehicles": list(plan.vehicles.all()),
            "map_data": _map_data(plan, routes, jobs),
            "tiles_url": settings.EVFLEET_MAP_TILES_URL,
            "tiles_attribution": settings.EVFLEET_MAP_ATTRIBUTION,
            # a plan "solving" past its task's limits lost its task: it may be solved again
            "can_solve": (plan.editable or services.solve_stale(plan, timezone.now()))
            and request.user.has_perm("routing.change_routeplan"),
            "can_commit": plan.status == RoutePlan.Status.SOLVED
            and request.user.has_perms(["routing.change_routeplan", "operations.add_trip", "operations.add_route"]),
            "total_km": sum(r.distance_km for r in routes),
            "total_kwh": sum(r.energy_kwh for r in routes),
        },
    )


@dashboard_user
@permission_required("routing.view_routeplan", raise_exception=True)
def plan_status(request, pk: int):
    """The plan's status for the page's poll while it is solving."""
    plan = get_object_or_404(selectors.route_plan_list(user=request.user), pk=pk)
    response = JsonResponse({"status": plan.status, "message": plan.message, "updated_at": plan.updated_at})
    response["Cache-Control"] = "no-store"
    return response


@dashboard_user
@require_POST
@permission_required("routing.change_routeplan", raise_exception=True)
def plan_solve(request, pk: int):
    plan = get_object_or_404(selectors.route_plan_list(user=request.user), pk=pk)
    try:
        services.plan_solve(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    # solving: the plan's page says so itself while the status is "solving" (and not once the solver is done)
    return redirect("routing:plan-detail", pk=plan.pk)


@dashboard_user
@require_POST
@permission_required("routing.change_routeplan", raise_exception=True)
def plan_commit(request, pk: int):
    plan = get_object_or_404(selectors.route_plan_list(user=request.user), pk=pk)
    if not request.user.has_perms(["operations.add_trip", "operations.add_route"]):
        messages.error(request, "Committing makes trips and routes: your role may not add them.")
        return redirect("routing:plan-detail", pk=plan.pk)
    try:
        plan = services.plan_commit(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Committed: {plan.routes.count()} trips planned in operations.")
    return redirect("routing:plan-detail", pk=plan.pk)
