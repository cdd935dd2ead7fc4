"""Routes on the dashboard: the list, and create and edit with their ordered stops (a row per stop; a stop's
error names its number and field); delete is refused while trips or schedules use the route."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from fleet.views import _dashboard_user
from operations import selectors, services
from operations.forms import STOP_ROWS_ADDED, RouteForm, StopFormSet, add_service_errors
from operations.models import Route, Trip
from operations.services import STOP_FIELDS

STOP_ERROR = re.compile(r"^stops\[(\d+)\](?:\.(\w+))?$")


@_dashboard_user
@permission_required("operations.view_route", raise_exception=True)
def route_list(request):
    routes = (
        selectors.route_list(user=request.user)
        .select_related("department")
        .annotate(
            active_trips=Count("trips", filter=Q(trips__status__in=Trip.ACTIVE), distinct=True),
            schedules=Count("duty_schedules", distinct=True),
        )
        .order_by("name", "pk")
    )
    return render(request, "operations/route_list.html", {"routes": routes})


def _formset(request, route=None):
    initial = [{name: getattr(stop, name) for name in STOP_FIELDS} for stop in route.stops.all()] if route else []
    if request.method != "POST":
        return StopFormSet(prefix="stops", initial=initial)
    data = request.POST.copy()
    if "add_stop" in request.POST:  # one more empty row, nothing saved
        total = int(data.get("stops-TOTAL_FORMS") or 0)
        data["stops-TOTAL_FORMS"] = str(total + STOP_ROWS_ADDED)
    return StopFormSet(data, prefix="stops", initial=initial)


def _stops(formset) -> tuple[list[dict], list]:
    """The stops in their order (rows marked for deletion and empty new rows left out) and their forms."""
    forms = formset.ordered_forms
    return [form.stop_data() for form in forms], forms


def _stop_errors(form, formset, stop_forms, exc: ValidationError) -> ValidationError | None:
    """Put the service's "stops[n].field" errors on stop n's row (and name it on top); return the rest."""
    rest = {}
    for key, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else ():
        match = STOP_ERROR.match(key)
        if not match:
            rest[key] = errors
            continue
        n, field = int(match.group(1)), match.group(2)
        stop_form = stop_forms[n - 1] if 0 < n <= len(stop_forms) else None
        messages_ = [m for e in errors for m in e.messages]
        label = stop_form.fields[field].label if stop_form and field in stop_form.fields else (field or "")
        form.add_error(None, f"Stop {n}{', ' + label.lower() if label else ''}: {' '.join(messages_)}")
        if stop_form is not None:
            stop_form.add_error(field if field in stop_form.fields else None, messages_)
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(rest) if rest else None


def _name_stop_errors(form, formset) -> None:
    """A stop row's errors, named on top of the form by the row's number and the field."""
    for n, stop_form in enumerate(formset.forms, start=1):
        for field, errors in stop_form.errors.items():
            label = stop_form.fields[field].label.lower() if field in stop_form.fields else ""
            form.add_error(None, f"Stop {n}{', ' + label if label else ''}: {' '.join(errors)}")


def _save(request, form, formset, route=None):
    """Create or update the route with its stops; the route, or None with the errors on the forms."""
    if "add_stop" in request.POST:
        return None
    valid = form.is_valid()
    if not formset.is_valid():
        _name_stop_errors(form, formset)
        return None
    if not valid:
        return None
    stops, stop_forms = _stops(formset)
    try:
        if route is None:
            return services.route_create(actor=request.user, stops=stops, **form.service_data())
        data = form.service_data()
        if "distance" not in form.changed_data:
            data["distance_km"] = route.distance_km  # the stored km, not its rounded display
        return services.route_update(actor=request.user, route=route, stops=stops, **data)
    except ValidationError as exc:
        rest = _stop_errors(form, formset, stop_forms, exc)
        if rest is not None:
            add_service_errors(form, rest, RouteForm.FIELDS)
        return None


def _page(request, form, formset, title, route=None):
    context = {"form": form, "formset": formset, "title": title, "route": route}
    return render(request, "operations/route_form.html", {**context, "back": reverse("operations:route-list")})


@_dashboard_user
@permission_required("operations.add_route", raise_exception=True)
def route_create(request):
    form = RouteForm(request.POST or None, user=request.user)
    formset = _formset(request)
    if request.method == "POST":
        route = _save(request, form, formset)
        if route is not None:
            messages.success(request, f"Route {route} saved with {route.stops.count()} stop(s).")
            return redirect("operations:route-list")
    return _page(request, form, formset, "New route")


@_dashboard_user
@permission_required("operations.change_route", raise_exception=True)
def route_edit(request, pk: int):
    route = get_object_or_404(selectors.route_list(user=request.user), pk=pk)
    original = Route.objects.get(pk=route.pk)  # the form writes its data into `route` as it validates
    form = RouteForm(request.POST or None, user=request.user, instance=route)
    formset = _formset(request, route)
    if request.method == "POST":
        saved = _save(request, form, formset, original)
        if saved is not None:
            messages.success(request, f"Route {saved} saved with {saved.stops.count()} stop(s).")
            return redirect("operations:route-list")
    return _page(request, form, formset, f"Edit route {route}", route)


@_dashboard_user
@permission_required("operations.delete_route", raise_exception=True)
def route_delete(request, pk: int):
    route = get_object_or_404(selectors.route_list(user=request.user), pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.route_delete(actor=request.user, route=route)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Route {route} deleted.")
            return redirect("operations:route-list")
    return render(request, "operations/route_delete.html", {"route": route, "error": error})
