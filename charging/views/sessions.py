"""Dashboard pages of charging sessions: the list with its filters and export, a session's power and SoC, starting
and stopping vehicles (reservations: views/reservations.py)."""

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
from django.views.decorators.http import require_http_methods

from charging import selectors, services
from charging.charts import session_figures
from charging.models import ChargingSession
from evfleet.forms import DatePicker
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
