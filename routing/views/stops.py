"""The charging-stops page: a vehicle's long trip planned with its charging stops (map, table, totals), and
booking them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.decorators import dashboard_user
from accounts.scoping import scoped
from fleet.models import Vehicle
from routing.services import stops as services
from routing.services.paths import route_sites
from stations.models import Site

PAGE_PERMISSIONS = ("fleet.view_vehicle", "stations.view_site")


class StopsForm(forms.Form):
    vehicle = forms.ModelChoiceField(queryset=Vehicle.objects.none())
    origin_site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, label="Origin site",
        help_text="Or coordinates below; neither: the vehicle's last position.",
    )  # fmt: skip
    origin_latitude = forms.FloatField(required=False, min_value=-90, max_value=90, label="Origin latitude (°)")
    origin_longitude = forms.FloatField(required=False, min_value=-180, max_value=180, label="Origin longitude (°)")
    destination_site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, label="Destination site")
    destination_latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, label="Destination latitude (°)"
    )
    destination_longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, label="Destination longitude (°)"
    )
    departure_at = forms.DateTimeField(required=False, label="Departure", help_text="Your time zone. Default: now.")
    start_soc_percent = forms.FloatField(
        required=False, min_value=0, max_value=100, label="Start SoC (%)", help_text="Default: the vehicle's latest."
    )
    arrival_soc_percent = forms.FloatField(
        required=False, min_value=0, max_value=100, label="SoC at arrival (%)", help_text="Default: 20 %."
    )
    reserve_percent = forms.FloatField(
        required=False, min_value=0, max_value=50, label="Reserve (%)",
        help_text="Held at every point. Default: the department's policy.",
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = scoped(Vehicle.objects.select_related("vehicle_model", "department"), user)
        sites = route_sites(user)  # the user's departments' sites, as the API's choices
        self.fields["origin_site"].queryset = sites
        self.fields["destination_site"].queryset = sites

    def clean(self):
        data = super().clean()
        if data.get("destination_site") is None and (
            data.get("destination_latitude") is None or data.get("destination_longitude") is None
        ):
            self.add_error("destination_site", "Choose a site or give the destination's latitude and longitude.")
        return data


def _plan(form, user):
    data = dict(form.cleaned_data)
    data["reserve_percent_"] = data.pop("reserve_percent")
    return services.charging_stop_plan(user=user, **data)


def _add_errors(form, error: ValidationError) -> None:
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@dashboard_user
@permission_required(PAGE_PERMISSIONS, raise_exception=True)
def charging_stops(request):
    """GET with the form's fields: the plan; POST the same fields with "book": book its stops."""
    source = request.POST if request.method == "POST" else (request.GET or None)
    form = StopsForm(source, user=request.user)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = _plan(form, request.user)
        except ValidationError as error:
            _add_errors(form, error)
        if result is not None and request.method == "POST":
            if not request.user.has_perm("charging.add_reservation"):
                messages.error(request, "Your role cannot book chargers.")
            else:
                try:
                    booked = services.charging_stop_plan_book(actor=request.user, result=result)
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                else:
                    messages.success(
                        request,
                        f"Booked {len(booked)} stop{'s' if len(booked) != 1 else ''}: "
                        + ", ".join(f"reservation {r.pk} at {r.site.name}" for r in booked)
                        if booked
                        else "No stop to book: the trip needs no charging.",
                    )
                    return redirect(f"{request.path}?{request.POST.urlencode()}")
    map_data = None
    if result is not None:
        plan = result.as_dict()
        map_data = {
            "origin": plan["origin"],
            "destination": plan["destination"],
            "stops": [
                {"name": s["site_name"], "latitude": s["latitude"], "longitude": s["longitude"]} for s in plan["stops"]
            ],
        }
    return render(
        request,
        "routing/stops.html",
        {
            "form": form,
            "plan": result.as_dict() if result is not None else None,
            "map_data": map_data,
            "query": request.GET.urlencode() if request.method == "GET" else request.POST.urlencode(),
            "can_book": request.user.has_perm("charging.add_reservation"),
            "now": timezone.now(),
        },
    )
