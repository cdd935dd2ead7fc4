"""The charging-stops page: a vehicle's long trip planned with its charging stops (map, table, totals), and
booking them."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.decorators import dashboard_user
from accounts.scoping import scoped
from evfleet.forms import LocalDateTimeField
from fleet.models import Vehicle
from operations.forms import VehicleChoice
from routing.services import stops as services
from routing.services.paths import route_sites
from routing.views.paths import SiteChoice
from stations.models import Site

PAGE_PERMISSIONS = ("fleet.view_vehicle", "stations.view_site")


class StopsForm(forms.Form):
    """What the page asks; the API's ChargingStopRequestSerializer asks the same. Sites are the user's (scoped), as
    the API offers them; the stations the plan may charge at are the service's choice, by roaming rules."""

    vehicle = VehicleChoice(queryset=Vehicle.objects.none())
    origin_site = SiteChoice(
        queryset=Site.objects.none(), required=False, label="From a site", empty_label="— or coordinates —",
        help_text="Neither a site nor coordinates: the vehicle's last position.",
    )  # fmt: skip
    origin_latitude = forms.FloatField(required=False, min_value=-90, max_value=90, label="Latitude (°)")
    origin_longitude = forms.FloatField(required=False, min_value=-180, max_value=180, label="Longitude (°)")
    destination_site = SiteChoice(
        queryset=Site.objects.none(), required=False, label="To a site", empty_label="— or coordinates —"
    )
    destination_latitude = forms.FloatField(required=False, min_value=-90, max_value=90, label="Latitude (°)")
    destination_longitude = forms.FloatField(required=False, min_value=-180, max_value=180, label="Longitude (°)")
    departure_at = LocalDateTimeField(required=False, label="Departure", help_text="Your local time. Empty: now.")
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
        sites = route_sites(user)
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


ERROR_FIELDS = {"origin": "origin_site", "destination": "destination_site"}  # the service's names for a place


def _add_errors(form, error: ValidationError) -> None:
    for name, errors in error.message_dict.items():
        name = ERROR_FIELDS.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def _query(data) -> str:
    """The plan's fields as a query string: never the CSRF token (a URL ends up in the history and the logs)."""
    kept = data.copy()
    for name in ("csrfmiddlewaretoken", "book"):
        kept.pop(name, None)
    return kept.urlencode()


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
                    return redirect(f"{request.path}?{_query(request.POST)}")
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
            "query": _query(request.GET if request.method == "GET" else request.POST),
            "can_book": request.user.has_perm("charging.add_reservation"),
            "now": timezone.now(),
            "tiles_url": settings.EVFLEET_MAP_TILES_URL,
            "tiles_attribution": settings.EVFLEET_MAP_ATTRIBUTION,
        },
    )
