"""Dashboard pages of charging sessions and reservations: lists with filters, a session's power and SoC,
starting and stopping vehicles, booking and cancelling connectors."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scoping import scoped
from charging import selectors, services
from charging.charts import session_figures
from charging.models import ChargingSession, Reservation
from evfleet.forms import DatePicker, LocalDateTimeField
from fleet import selectors as fleet_selectors
from fleet.views import _dashboard_user
from stations import selectors as station_selectors
from stations.models import Site


class SessionFilterForm(forms.Form):
    vehicle = forms.CharField(required=False, label="Vehicle", help_text="VIN, plate or fleet number")
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="all sites")
    status = forms.ChoiceField(choices=[("", "any status"), *ChargingSession.Status.choices], required=False)
    start = forms.DateField(required=False, label="From", widget=DatePicker)
    end = forms.DateField(required=False, label="To", widget=DatePicker)

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
            "figures": session_figures(
                samples, session.meter_start_wh, (session.started_at, session.ended_at or timezone.now())
            ),
            "samples": len(samples),
            "latest": samples[-1] if samples else None,
            "time_zone": timezone.get_current_timezone_name(),  # the charts' axis, extended live
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
        status = v.get_current_status_display().lower()
        return f"{v.fleet_number or v.license_plate or v.vin} · {v.vehicle_model} · {status}"


class OptionSelect(forms.Select):
    """A select whose options named in `disabled` (value → reason) are shown disabled, the reason as their title."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
            option["attrs"]["title"] = self.disabled[str(value)]
        return option


def _connector_label(option: selectors.StartOption) -> str:
    c = option.connector
    site = c.charge_point.site.name if c.charge_point.site_id else "no site"
    label = f"{site} · {c.charge_point.identity}/{c.evse_id} · {c.get_connector_type_display()} {c.max_power_kw} kW"
    if option.power_kw is not None and not option.reason:
        label += f" · {option.power_kw.normalize():f} kW for this vehicle"
    return f"{label} — {option.reason}" if option.reason else label


class StartForm(forms.Form):
    vehicle = VehicleChoice(queryset=None, widget=forms.Select(attrs={"data-reload-on-change": ""}))
    connector = forms.ModelChoiceField(
        queryset=None,
        widget=OptionSelect,
        help_text="Connectors that can start now come first; the others are shown disabled with the reason.",
    )

    def __init__(self, *args, user, vehicle=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = fleet_selectors.vehicle_list(user=user).select_related("vehicle_model")
        self.fields["connector"].queryset = station_selectors.connector_list(user=user)
        self.options = selectors.start_options(user=user, vehicle=vehicle)
        ready = [(o.connector.pk, _connector_label(o)) for o in self.options if not o.reason]
        other = [(o.connector.pk, _connector_label(o)) for o in self.options if o.reason]
        what = "for this vehicle" if vehicle is not None else "(choose the vehicle to check its fit)"
        self.fields["connector"].choices = [
            ("", "---------"),
            *([(f"Can start now {what}", ready)] if ready else []),
            *([("Not available now", other)] if other else []),
        ]
        self.fields["connector"].widget.disabled = {str(o.connector.pk): o.reason for o in self.options if o.reason}


def _chosen_vehicle(request):
    """The vehicle the start form is for (POST, else ?vehicle=), in the user's scope; None if none or unknown."""
    raw = request.POST.get("vehicle") or request.GET.get("vehicle")
    if not raw or not str(raw).isdigit():
        return None
    return fleet_selectors.vehicle_list(user=request.user).select_related("vehicle_model").filter(pk=raw).first()


@_dashboard_user
@permission_required("charging.add_chargingsession", raise_exception=True)
def session_start(request):
    vehicle = _chosen_vehicle(request)
    checking = "check" in request.POST  # the button that lists the connectors for the chosen vehicle (no script)
    bound = request.POST if request.method == "POST" and not checking else None
    initial = request.GET.dict() | ({"vehicle": vehicle.pk} if vehicle is not None else {})
    form = StartForm(bound, user=request.user, vehicle=vehicle, initial=initial)
    if bound is not None and form.is_valid():
        try:
            session = services.session_start(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Start sent to {session.charge_point.identity}; the session is pending.")
            return redirect("charging:session-detail", pk=session.pk)
    return render(request, "charging/session_start.html", {"form": form})


@_dashboard_user
@require_http_methods(["GET", "POST"])
@permission_required("charging.change_chargingsession", raise_exception=True)
def session_stop(request, pk: int):
    """GET asks for confirmation (a page of its own: no script needed); POST, its form, stops the session."""
    session = get_object_or_404(selectors.session_list(user=request.user, owner_only=True), pk=pk)
    if request.method == "GET":
        if session.ended_at is not None:
            messages.info(request, f"Session {pk} has already ended ({session.get_status_display().lower()}).")
            return redirect("charging:session-detail", pk=pk)
        session.vehicle_shown = selectors.session_vehicle_label(session)
        return render(request, "charging/session_stop.html", {"session": session})
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
