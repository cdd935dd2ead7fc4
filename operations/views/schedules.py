"""Duty schedules on the dashboard: the list with each schedule's next trips, create, edit and delete (its
planned trips go with it)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from evfleet import formatting
from fleet.views import _dashboard_user
from operations import selectors, services
from operations.forms import ScheduleForm, add_service_errors
from operations.models import Trip

PAGE_SIZE = 50
NEXT_TRIPS = 3


def _schedules(user):
    return selectors.schedule_list(user=user).select_related("vehicle__vehicle_model")


@_dashboard_user
@permission_required("operations.view_dutyschedule", raise_exception=True)
def schedule_list(request):
    upcoming = Trip.objects.filter(status=Trip.Status.PLANNED, departs_at__gt=timezone.now()).select_related("depot")
    schedules = _schedules(request.user).prefetch_related(
        Prefetch("trips", queryset=upcoming.order_by("departs_at"), to_attr="upcoming")
    )
    page = Paginator(schedules.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "operations/schedule_list.html", {"page": page, "next_trips": NEXT_TRIPS})


def _report(request, schedule) -> None:
    count = schedule.trips.filter(status=Trip.Status.PLANNED, departs_at__gt=timezone.now()).count()
    messages.success(request, f"Duty schedule {schedule} saved: {count} planned trip(s) ahead.")


@_dashboard_user
@permission_required("operations.add_dutyschedule", raise_exception=True)
def schedule_create(request):
    initial = {"valid_from": timezone.localdate(), "weekdays": ["mon", "tue", "wed", "thu", "fri"]}
    form = ScheduleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.schedule_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc, ScheduleForm.FIELDS)
        else:
            _report(request, schedule)
            return redirect("operations:schedule-list")
    return render(request, "operations/schedule_form.html", {"form": form, "title": "New duty schedule",
                                                             "back": reverse("operations:schedule-list")})  # fmt: skip


@_dashboard_user
@permission_required("operations.change_dutyschedule", raise_exception=True)
def schedule_edit(request, pk: int):
    schedule = get_object_or_404(_schedules(request.user), pk=pk)
    unit = formatting.current_distance_unit()
    form = ScheduleForm(request.POST or None, user=request.user, initial=ScheduleForm.initial_for(schedule, unit))
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if "distance" not in form.changed_data:
            data["distance_km"] = schedule.distance_km  # the stored km, not its rounded display
        try:
            services.schedule_update(actor=request.user, schedule=schedule, **data)
        except ValidationError as exc:
            add_service_errors(form, exc, ScheduleForm.FIELDS)
        else:
            _report(request, schedule)
            return redirect("operations:schedule-list")
    return render(request, "operations/schedule_form.html", {"form": form, "title": f"Edit {schedule}",
                                                             "back": reverse("operations:schedule-list"),
                                                             "schedule": schedule})  # fmt: skip


@_dashboard_user
@permission_required("operations.delete_dutyschedule", raise_exception=True)
def schedule_delete(request, pk: int):
    schedule = get_object_or_404(_schedules(request.user), pk=pk)
    planned = schedule.trips.filter(status=Trip.Status.PLANNED, departs_at__gt=timezone.now())
    if request.method == "POST":
        services.schedule_delete(actor=request.user, schedule=schedule)
        messages.success(request, f"Duty schedule {schedule} deleted, with its planned trips.")
        return redirect("operations:schedule-list")
    return render(request, "operations/schedule_delete.html", {"schedule": schedule, "planned": planned.count()})
