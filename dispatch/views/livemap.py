"""The live map: the user's vehicles, depots and charging sites on a Leaflet map over an offline Natural Earth
basemap (and a tile server's tiles when EVFLEET_MAP_TILES_URL is set), moved live by the dashboard socket."""

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import dashboard_user
from dispatch.livemap import map_data


@dashboard_user
@permission_required("fleet.view_vehicle", raise_exception=True)
def live_map(request):
    data = map_data(user=request.user, now=timezone.now())
    return render(
        request,
        "dispatch/map.html",
        {
            "map_data": data,
            "tiles_url": settings.EVFLEET_MAP_TILES_URL,
            "tiles_attribution": settings.EVFLEET_MAP_ATTRIBUTION,
            "depots": [site for site in data["sites"] if site["kind"] == "depot"],
            "without_position": [v for v in data["vehicles"] if v["lat"] is None or v["lon"] is None],
        },
    )


@dashboard_user
@permission_required("fleet.view_vehicle", raise_exception=True)
def live_map_data(request):
    """The same data as the page's, for a refresh after a change the live events do not carry in full."""
    response = JsonResponse(map_data(user=request.user, now=timezone.now()), encoder=DjangoJSONEncoder)
    response["Cache-Control"] = "no-store"
    return response
