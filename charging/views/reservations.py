"""Dashboard pages of reservations: the list with its filters, booking (with alternatives when the wish cannot
be met, a link that fills the form with one) and cancelling."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.scoping import scoped
from charging import services
from charging.models import Reservation
from charging.views.sessions import ConnectorChoice, VehicleChoice
from evfleet.forms import LocalDateTimeField
from fleet import selectors as fleet_selectors
from fleet.views import _dashboard_user
from stations import selectors as station_selectors


class ReservationForm(forms.Form):
    vehicle = VehicleChoice(queryset=None)
    site = forms.ModelChoiceField(queryset=None, required=False, help_text="Any compatible connector here…")
    connector = ConnectorChoice(queryset=None, required=False, help_text="…or this connector.")
    starts_at = LocalDateTimeField(label="From", help_text="Your department's local time.")
    ends_at = LocalDateTimeField(label="To")
    departure_at = LocalDateTimeField(label="Departure", required=False, help_text="Orders the queue.")
    queue = forms.BooleanField(required=False, initial=True, label="Join the queue if nothing is free")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = fleet_selectors.vehicle_list(user=user).select_related("vehicle_model")
        self.fields["site"].queryset = station_selectors.site_list(user=user)
        self.fields["connector"].queryset = station_selectors.connector_list(user=user).select_related(
            "charge_point__site"
        )


@_dashboard_user
@permission_required("charging.view_reservation", raise_exception=True)
def reservation_list(request):
    upcoming = (
        scoped(Reservation.objects.all(), request.user)
        .filter(status__in=[Reservation.Status.QUEUED, *Reservation.HOLDING], ends_at__gt=timezone.now())
        .select_related("vehicle", "site", "connector__charge_point")
    )
    recent = (
        scoped(Reservation.objects.all(), request.user)
        .exclude(pk__in=upcoming.values("pk"))
        .select_related("vehicle", "site", "connector__charge_point")
        .order_by("-starts_at")[:30]
    )
    queued = services.queue_order(upcoming.filter(status=Reservation.Status.QUEUED))
    return render(
        request,
        "charging/reservation_list.html",
        {"held": upcoming.exclude(status=Reservation.Status.QUEUED).order_by("starts_at"), "queued": queued,
         "recent": recent},
    )  # fmt: skip


RESERVATION_PREFILL = ("vehicle", "site", "connector", "starts_at", "ends_at", "departure_at")


def _prefill(query) -> dict:
    """The booking form's initial values from the query string (an alternative's link): ids as given, instants
    (ISO 8601 with offset) in the user's zone, so that any date widget shows them."""
    initial = {"queue": query.get("queue", "on") != ""}
    for name in RESERVATION_PREFILL:
        value = query.get(name, "")
        if name.endswith("_at"):
            moment = parse_datetime(value) if value else None
            value = timezone.localtime(moment) if moment is not None and timezone.is_aware(moment) else None
        if value:
            initial[name] = value
    return initial


def _alternative_link(alternative, data: dict) -> dict:
    """One alternative as the refused booking page offers it: what, when (local time) and the link that books it."""
    query = {
        "vehicle": data["vehicle"].pk,
        "connector": alternative.connector.pk,
        "starts_at": alternative.starts_at.isoformat(),
        "ends_at": alternative.ends_at.isoformat(),
        "queue": "",
    }
    if data.get("departure_at"):
        query["departure_at"] = data["departure_at"].isoformat()
    return {
        "kind": alternative.kind,
        "connector": alternative.connector.label(),
        "site": alternative.connector.charge_point.site.name,
        "starts_at": timezone.localtime(alternative.starts_at),
        "ends_at": timezone.localtime(alternative.ends_at),
        "power_kw": alternative.power_kw,
        "url": f"{reverse('charging:reservation-create')}?{urlencode(query)}",
    }


@_dashboard_user
@permission_required("charging.add_reservation", raise_exception=True)
def reservation_create(request):
    prefilled = request.method == "GET" and "connector" in request.GET
    form = ReservationForm(request.POST or None, user=request.user, initial=_prefill(request.GET))
    alternatives = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reservation = services.reservation_request(
                actor=request.user, vehicle=data["vehicle"], site=data["site"], connector=data["connector"],
                starts_at=data["starts_at"], ends_at=data["ends_at"], departure_at=data["departure_at"],
                queue=data["queue"],
            )  # fmt: skip
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            alternatives = [_alternative_link(a, data) for a in getattr(exc, "alternatives", [])]
        else:
            if reservation.status == Reservation.Status.QUEUED:
                messages.warning(request, f"Nothing free in that window: queued ({reservation.reason}).")
            else:
                messages.success(request, f"Booked {reservation.connector.label()}.")
            return redirect("charging:reservation-list")
    context = {"form": form, "alternatives": alternatives, "prefilled": prefilled,
               "time_zone": timezone.get_current_timezone_name(), "title": "New reservation", "submit": "Book",
               "back": reverse("charging:reservation-list"), "form_id": "reservation-form"}  # fmt: skip
    return render(request, "charging/reservation_form.html", context)


@_dashboard_user
@require_POST
@permission_required("charging.change_reservation", raise_exception=True)
def reservation_cancel(request, pk: int):
    reservation = get_object_or_404(scoped(Reservation.objects.all(), request.user), pk=pk)
    try:
        services.reservation_cancel(actor=request.user, reservation=reservation)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, f"Reservation {pk} cancelled.")
    return redirect("charging:reservation-list")
