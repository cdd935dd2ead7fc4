"""The routing home (/routing/): a vehicle, an origin and a destination (sites, coordinates or clicks on the map)
and a departure; the shortest, fastest and least-energy routes drawn on the map and compared side by side.

The form is sent with GET (nothing is stored: a route query is a read), so a comparison is a link to share."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import dashboard_user
from evfleet.forms import LocalDateTimeField
from operations.forms import VehicleChoice
from routing.paths import RouteError
from routing.selectors import road_graph_usable
from routing.services.paths import Place, map_roads, route_plan_compute, route_sites, route_vehicles

ROUTE_COLOURS = {"shortest": "#1f5fa8", "fastest": "#c2410c", "least_energy": "#0b8a5a"}
PROVIDER_COLOUR = "#7c3aed"
BASE_ROADS_LIMIT = 6000


class SiteChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RoutePlanForm(forms.Form):
    """What the page asks; the API's RoadRouteRequestSerializer asks the same."""

    vehicle = VehicleChoice(queryset=None, help_text="Its model's energy use and battery health count.")
    origin_site = SiteChoice(queryset=None, required=False, label="From a site", empty_label="— or coordinates —")
    origin_lat = forms.FloatField(required=False, min_value=-90, max_value=90, label="Latitude (°)")
    origin_lon = forms.FloatField(required=False, min_value=-180, max_value=180, label="Longitude (°)")
    destination_site = SiteChoice(queryset=None, required=False, label="To a site", empty_label="— or coordinates —")
    destination_lat = forms.FloatField(required=False, min_value=-90, max_value=90, label="Latitude (°)")
    destination_lon = forms.FloatField(required=False, min_value=-180, max_value=180, label="Longitude (°)")
    departs = LocalDateTimeField(required=False, label="Departure", help_text="Your local time. Empty: now.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = route_vehicles(user).select_related("vehicle_model")
        sites = route_sites(user)
        self.fields["origin_site"].queryset = sites
        self.fields["destination_site"].queryset = sites

    def _place(self, data: dict, name: str) -> Place | None:
        site, lat, lon = data.get(f"{name}_site"), data.get(f"{name}_lat"), data.get(f"{name}_lon")
        if site is not None:
            return Place(site.latitude, site.longitude, site)
        if lat is None or lon is None:
            if f"{name}_lat" not in self.errors and f"{name}_lon" not in self.errors:
                missing = f"{name}_lat" if lat is None else f"{name}_lon"
                self.add_error(missing, "Choose a site, type the latitude and longitude, or click the map.")
            return None
        return Place(lat, lon)

    def clean(self):
        data = super().clean()
        data["origin"] = self._place(data, "origin")
        data["destination"] = self._place(data, "destination")
        return data


def _signed(value: float, decimals: int) -> str:
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return f"±{text}"
    return f"+{text}" if value > 0 else f"−{text}"


def difference_text(diff: dict) -> str:
    """ "−8.0 % kWh, +3.1 min, +2.0 % distance" against the fastest route."""
    return (
        f"{_signed(diff['kwh_percent'], 1)} % kWh, {_signed(diff['minutes'], 1)} min, "
        f"{_signed(diff['km_percent'], 1)} % distance"
    )


ERROR_FIELDS = {"origin": "origin_lat", "destination": "destination_lat"}


def _map_graph(result):
    """The graph whose roads the map draws under the routes: the searched one, else the first imported."""
    if result is not None:
        return result.graph
    return road_graph_usable().order_by("name").first()


@dashboard_user
@permission_required(("routing.view_roadgraph", "fleet.view_vehicle"), raise_exception=True)
def route_planner(request):
    asked = "vehicle" in request.GET
    form = RoutePlanForm(request.GET if asked else None, user=request.user)
    result = None
    if asked and form.is_valid():
        data = form.cleaned_data
        try:
            result = route_plan_compute(
                vehicle=data["vehicle"],
                origin=data["origin"],
                destination=data["destination"],
                departs_at=data.get("departs") or timezone.now(),
            )
        except RouteError as exc:
            form.add_error(ERROR_FIELDS.get(exc.field), exc.message)
    graph = _map_graph(result)
    bounds, roads = map_roads(graph, limit=BASE_ROADS_LIMIT)
    map_data = {
        "roads": roads,
        "bounds": bounds,
        "routes": [],
        "providers": [],
        "origin": None,
        "destination": None,
    }
    rows, same_route = [], False
    if result is not None:
        same_route = len({tuple(route.edges) for route in result.routes}) == 1
        rows = result.comparison()
        map_data["routes"] = [
            {"metric": r["metric"], "label": r["label"], "colour": ROUTE_COLOURS[r["metric"]], "line": r["polyline"]}
            for r in rows
        ]
        map_data["providers"] = [
            {"label": p.label, "colour": PROVIDER_COLOUR, "line": p.as_dict()["polyline"]}
            for p in result.providers
            if p.polyline
        ]
        map_data["origin"] = [result.origin.latitude, result.origin.longitude]
        map_data["destination"] = [result.destination.latitude, result.destination.longitude]
        for row in rows:
            row["difference"] = difference_text(row["vs_fastest"])
    return render(
        request,
        "routing/paths.html",
        {
            "form": form,
            "result": result,
            "rows": rows,
            "same_route": same_route,
            "graph": graph,
            "map_data": map_data,
            "tiles_url": settings.EVFLEET_MAP_TILES_URL,
            "tiles_attribution": settings.EVFLEET_MAP_ATTRIBUTION,
        },
    )
