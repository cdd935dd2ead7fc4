"""Dashboard pages of charging sessions and reservations: lists with filters, a session's power and SoC,
starting and stopping vehicles, booking and cancelling connectors."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.scoping import scoped
from charging import selectors, services
from charging.charts import session_figures
from charging.models import ChargingSession, Reservation
from fleet import selectors as fleet_selectors
from fleet.views import _dashboard_user
from stations import selectors as station_selectors
from stations.models import Site


class SessionFilterForm(forms.Form):
    vehicle = forms.CharField(required=False, label="Vehicle", help_text="VIN, plate or fleet number")
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="all sites")
    status = forms.ChoiceField(choices=[("", "any status"), *ChargingSession.Status.choices], required=False)
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = station_selectors.site_list(user=user)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": "The period ends before it starts."})
        return data


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _export_query(data: dict) -> str:
    """The API export's parameters for the page's filters (GET /api/v1/sessions/export/): the CSV has its rows."""
    query = QueryDict(mutable=True)
    if data["vehicle"].strip():
        query["vehicle_search"] = data["vehicle"].strip()
    if data["site"]:
        query["site"] = data["site"].pk
    if data["status"]:
        query["status"] = data["status"]
    if data["start"]:
        query["started_after"] = _local_midnight(data["start"]).isoformat()
    if data["end"]:
        query["started_before"] = (_local_midnight(data["end"]) + timedelta(days=1)).isoformat()
    return query.urlencode()


@_dashboard_user
@permission_required("charging.view_chargingsession", raise_exception=True)
def session_list(request):
    sessions = selectors.session_list(user=request.user)
    form = SessionFilterForm(request.GET or None, user=request.user)
    export_query = ""
    if form.is_valid():
        data = form.cleaned_data
        export_query = _export_query(data)
        if data["vehicle"]:
            q = data["vehicle"].strip()
            sessions = sessions.filter(
                Q(vehicle__vin__icontains=q, vehicle_hidden=False)  # a visiting vehicle's VIN is not ours to search
                | Q(vehicle__fleet_number__icontains=q)
                | Q(vehicle__license_plate__icontains=q)
            )
        if data["site"]:
            sessions = sessions.filter(charge_point__site=data["site"])
        if data["status"]:
            sessions = sessions.filter(status=data["status"])
        if data["start"]:
            sessions = sessions.filter(started_at__gte=_local_midnight(data["start"]))
        if data["end"]:
            sessions = sessions.filter(started_at__lt=_local_midnight(data["end"]) + timedelta(days=1))
    elif form.is_bound:
        sessions = sessions.none()  # a filter that cannot be read shows nothing rather than everything
    page = Paginator(sessions.order_by("-started_at"), 50).get_page(request.GET.get("page"))
    for session in page:
        session.vehicle_shown = selectors.session_vehicle_label(session)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "export_query": export_query}
    return render(request, "charging/session_list.html", context)


@_dashboard_user
@permission_required("charging.view_chargingsession", raise_exception=True)
def session_detail(request, pk: int):
    session = get_object_or_404(selectors.session_list(user=request.user), pk=pk)
    session.vehicle_shown = selectors.session_vehicle_label(session)
    samples = list(
        session.meter_samples.order_by("sampled_at").values("sampled_at", "power_kw", "soc_percent", "energy_wh")
    )
    return render(
        request,
        "charging/session_detail.html",
        {
            "session": session,
            "figures": session_figures(samples, session.meter_start_wh),
            "samples": len(samples),
            "breakdown": session.cost_breakdown,
            "reservation": session.reservations.first(),
        },
    )


class ConnectorChoice(forms.ModelChoiceField):
    def label_from_instance(self, c):
        site = c.charge_point.site.name if c.charge_point.site_id else "no site"
        plug = f"{c.get_connector_type_display()} {c.max_power_kw} kW"
        return f"{site} · {c.charge_point.identity}/{c.evse_id} · {plug} · {c.status}"


class VehicleChoice(forms.ModelChoiceField):
    def label_from_instance(self, v):
        return f"{v.fleet_number or v.license_plate or v.vin} · {v.vehicle_model} · {v.get_status_display().lower()}"


class StartForm(forms.Form):
    vehicle = VehicleChoice(queryset=None)
    connector = ConnectorChoice(queryset=None, help_text="It must be Available and its station online.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = fleet_selectors.vehicle_list(user=user).select_related("vehicle_model")
        self.fields["connector"].queryset = (
            station_selectors.connector_list(user=user)
            .select_related("charge_point__site")
            .order_by("charge_point__site__name", "charge_point__identity", "evse_id")
        )


@_dashboard_user
@permission_required("charging.add_chargingsession", raise_exception=True)
def session_start(request):
    form = StartForm(request.POST or None, user=request.user, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_start(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Start sent to {session.charge_point.identity}; the session is pending.")
            return redirect("charging:session-detail", pk=session.pk)
    context = {"form": form, "title": "Start charging", "back": "/sessions/", "submit": "Start"}
    return render(request, "form_page.html", context)


@_dashboard_user
@require_POST
@permission_required("charging.change_chargingsession", raise_exception=True)
def session_stop(request, pk: int):
    session = get_object_or_404(selectors.session_list(user=request.user, owner_only=True), pk=pk)
    try:
        command = services.session_stop(actor=request.user, session=session)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, "Stop sent to the station." if command else "The pending session was cancelled.")
    return redirect("charging:session-detail", pk=pk)


class ReservationForm(forms.Form):
    vehicle = VehicleChoice(queryset=None)
    site = forms.ModelChoiceField(queryset=None, required=False, help_text="Any compatible connector here…")
    connector = ConnectorChoice(queryset=None, required=False, help_text="…or this connector.")
    starts_at = forms.DateTimeField(label="From", help_text="In your time zone, e.g. 2026-06-10 08:00")
    ends_at = forms.DateTimeField(label="To")
    departure_at = forms.DateTimeField(label="Departure", required=False, help_text="Orders the queue.")
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


@_dashboard_user
@permission_required("charging.add_reservation", raise_exception=True)
def reservation_create(request):
    form = ReservationForm(request.POST or None, user=request.user, initial={"queue": True})
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
        else:
            if reservation.status == Reservation.Status.QUEUED:
                messages.warning(request, f"Nothing free in that window: queued ({reservation.reason}).")
            else:
                messages.success(request, f"Booked {reservation.connector.label()}.")
            return redirect("charging:reservation-list")
    context = {"form": form, "title": "New reservation", "back": "/reservations/", "submit": "Book"}
    return render(request, "form_page.html", context)


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
