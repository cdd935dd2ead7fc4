"""Trips on the dashboard: the list by depot and day, a trip's page with what its need is made of, the create
and edit forms (times on the depot's clock) and cancelling with a confirmation."""

import re
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from evfleet import formatting
from fleet.views import _dashboard_user
from operations import need as trip_need
from operations import selectors, services
from operations.forms import TripFilterForm, TripForm, add_service_errors
from operations.models import OperationsPolicy, Trip

PAGE_SIZE = 50
OTHER_TRIP = re.compile(r"\(trip (\d+)\)")


def _trips(user):
    return selectors.trip_list(user=user).select_related("schedule")


@_dashboard_user
@permission_required("operations.view_trip", raise_exception=True)
def trip_list(request):
    today = timezone.localdate()
    query = request.GET.copy()
    query.setdefault("day", today.isoformat())  # today and the next days unless asked otherwise
    form = TripFilterForm(query, user=request.user)
    trips = _trips(request.user)
    day, days = today, 3
    if form.is_valid():
        data = form.cleaned_data
        day, days = data["day"] or today, data["days"] or 3
        if data["depot"]:
            trips = trips.filter(depot=data["depot"])
        if data["vehicle"]:
            q = data["vehicle"].strip()
            trips = trips.filter(
                Q(vehicle__fleet_number__icontains=q) | Q(vehicle__license_plate__icontains=q)
                | Q(vehicle__vin__icontains=q)
            )  # fmt: skip
        if data["status"]:
            trips = trips.filter(status=data["status"])
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=days), datetime.min.time()))
    # a trip is listed on the days it is out: it leaves before the span ends and comes back after it starts
    trips = trips.filter(departs_at__lt=end, returns_at__gt=start).order_by("departs_at", "pk")
    page = Paginator(trips, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operations/trip_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "day": day,
            "last_day": day + timedelta(days=days - 1),
        },
    )


def _need_parts(trip: Trip) -> dict:
    """What the trip's need is made of, for its page: the battery it is measured against and the reserve rule."""
    capacity = trip_need.capacity_kwh(trip.vehicle)
    policy = OperationsPolicy.objects.filter(department_id=trip.department_id).first()
    return {
        "capacity_kwh": capacity,
        "distance_km": trip.effective_distance_km(),
        "consumption_wh_per_km": trip.vehicle.vehicle_model.consumption_wh_per_km,
        "reserve_percent": policy.reserve_percent if policy else trip_need.DEFAULT_RESERVE_PERCENT,
        "reserve_is_default": policy is None,
        "need_kwh": trip.need_kwh,
    }


@_dashboard_user
@permission_required("operations.view_trip", raise_exception=True)
def trip_detail(request, pk: int):
    trip = get_object_or_404(_trips(request.user).prefetch_related("route__stops"), pk=pk)
    return render(
        request,
        "operations/trip_detail.html",
        {
            "trip": trip,
            "need": _need_parts(trip),
            "stops": list(trip.route.stops.all()) if trip.route_id else [],
            "can_change": trip.status == Trip.Status.PLANNED,
        },
    )


def _on_depot_clock(exc: ValidationError) -> ValidationError:
    """The overlap error names the other trip in UTC; on the page it reads on that trip's depot's clock."""
    if not hasattr(exc, "error_dict") or "departs_at" not in exc.error_dict:
        return exc
    errors = exc.message_dict
    readable = []
    for message in errors["departs_at"]:
        match = OTHER_TRIP.search(message)
        other = Trip.objects.select_related("vehicle", "depot").filter(pk=match.group(1)).first() if match else None
        if other is not None:
            message = (
                f"{other.vehicle.fleet_number or other.vehicle.vin} already has trip {other.pk} from "
                f"{formatting.span(other.departs_at, other.returns_at, other.depot.time_zone)} at {other.depot.name}: "
                "move this one or that one."
            )
        readable.append(message)
    return ValidationError({**errors, "departs_at": readable})


def _time_notes(request, form: TripForm) -> None:
    for note in form.notes_on_time:
        messages.info(request, note)


@_dashboard_user
@permission_required("operations.add_trip", raise_exception=True)
def trip_create(request):
    initial = {}
    if request.GET.get("vehicle"):
        initial["vehicle"] = request.GET["vehicle"]
    form = TripForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            trip = services.trip_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, _on_depot_clock(exc), TripForm.FIELDS)
        else:
            _time_notes(request, form)
            messages.success(
                request, f"Trip of {trip.vehicle} planned: it needs {trip.required_soc_percent:.0f} % SoC."
            )
            return redirect("operations:trip-detail", pk=trip.pk)
    return render(request, "operations/trip_form.html", {"form": form, "title": "New trip",
                                                         "back": reverse("operations:trip-list")})  # fmt: skip


@_dashboard_user
@permission_required("operations.change_trip", raise_exception=True)
def trip_edit(request, pk: int):
    trip = get_object_or_404(_trips(request.user), pk=pk)
    back = reverse("operations:trip-detail", args=[trip.pk])
    if trip.status != Trip.Status.PLANNED:
        messages.error(request, f"This trip is {trip.get_status_display().lower()}: only a planned trip is edited.")
        return redirect(back)
    form = TripForm(
        request.POST or None, user=request.user, initial=TripForm.initial_for(trip, formatting.current_distance_unit())
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        # what was not touched keeps its stored value (not the minute or the rounded figure the form shows)
        for field, name in (
            ("distance", "distance_km"),
            ("departs_local", "departs_at"),
            ("returns_local", "returns_at"),
        ):
            if field not in form.changed_data:
                data[name] = getattr(trip, name)
        changed = {k: v for k, v in data.items() if _differs(trip, k, v)}
        try:
            if changed:
                services.trip_update(actor=request.user, trip=trip, **changed)
        except ValidationError as exc:
            add_service_errors(form, _on_depot_clock(exc), TripForm.FIELDS)
        else:
            _time_notes(request, form)
            messages.success(request, "Trip saved." if changed else "Nothing changed.")
            return redirect(back)
    return render(request, "operations/trip_form.html", {"form": form, "title": f"Edit trip of {trip.vehicle}",
                                                         "back": back, "trip": trip})  # fmt: skip


def _differs(obj, name: str, value) -> bool:
    current = getattr(obj, f"{name}_id") if hasattr(obj, f"{name}_id") else getattr(obj, name)
    value = getattr(value, "pk", value)
    return current != value


@_dashboard_user
@permission_required("operations.change_trip", raise_exception=True)
def trip_cancel(request, pk: int):
    trip = get_object_or_404(_trips(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.trip_cancel(actor=request.user, trip=trip)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Trip of {trip.vehicle} cancelled.")
        return redirect("operations:trip-detail", pk=trip.pk)
    return render(request, "operations/trip_cancel.html", {"trip": trip})
