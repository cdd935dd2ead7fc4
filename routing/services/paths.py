"""Routes by distance, time and energy for a vehicle of the user's departments (a read: nothing is stored).

`route_plan_compute` finds the road graph under the origin, reads the vehicle's energy parameters as a trip's
need does (`operations.need.vehicle_model`, the usable battery at its state of health), the temperature the
simulation forecasts at the origin for the departure (`weather_at` at a site; the climate normals at a point
that is no site) and the traffic of the local hour, and returns the shortest, fastest and least-energy routes,
plus the route of each configured external provider (OSRM, Valhalla) measured with the same energy model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from operations import need
from routing import paths
from routing.graph import GraphFormatError, RoadGraphData
from routing.models import RoadGraph
from routing.providers import ProviderError, external_providers
from routing.selectors import road_graph_data, road_graph_usable, road_graphs_holding
from routing.services.graphs import unreadable_message
from simulation.selectors.feeds import normals_at, weather_at
from stations.models import Site


@dataclass(frozen=True)
class Place:
    """An origin or destination: a site of the user's departments, or coordinates (degrees)."""

    latitude: float
    longitude: float
    site: Site | None = None

    @property
    def label(self) -> str:
        return self.site.name if self.site else f"{self.latitude:.5f}, {self.longitude:.5f}"


@dataclass
class ProviderResult:
    name: str
    label: str
    km: float | None = None
    minutes: float | None = None
    kwh: float | None = None
    polyline: list[tuple[float, float]] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict:
        return {
            "provider": self.name,
            "label": self.label,
            "km": None if self.km is None else round(self.km, 3),
            "minutes": None if self.minutes is None else round(self.minutes, 2),
            "kwh": None if self.kwh is None else round(self.kwh, 3),
            "polyline": [[round(a, 6), round(b, 6)] for a, b in self.polyline],
            "error": self.error,
        }


@dataclass
class RoutePlanResult:
    vehicle: Vehicle
    origin: Place
    destination: Place
    departs_at: datetime
    departs_local: datetime
    graph: RoadGraph
    region: str
    plan: paths.RoutePlan
    ambient_c: float
    temperature_source: str
    vehicle_source: str
    capacity_kwh: float
    providers: list[ProviderResult]

    @property
    def routes(self) -> list[paths.Route]:
        return [self.plan.routes[m] for m in paths.METRICS]

    def battery_percent(self, route) -> float:
        return round(route.kwh / self.capacity_kwh * 100, 1) if self.capacity_kwh > 0 else 0.0

    def comparison(self) -> list[dict]:
        """One row per route with the differences against the fastest (the usual default)."""
        diffs = paths.differences(self.plan.routes, against="fastest")
        rows = []
        for route in self.routes:
            d = diffs[route.metric]
            rows.append({**route.as_dict(), "battery_percent": self.battery_percent(route), "vs_fastest": d})
        return rows


def route_vehicles(user: User) -> QuerySet[Vehicle]:
    """The vehicles the user may plan a route for, with their model (the energy parameters)."""
    return scoped(Vehicle.objects.select_related("vehicle_model", "department"), user).order_by("fleet_number", "pk")


def route_sites(user: User) -> QuerySet[Site]:
    return scoped(Site.objects.all(), user).order_by("name", "pk")


@lru_cache(maxsize=8)
def _router(data: RoadGraphData) -> paths.RoadRouter:
    """One router per graph read (the selector's cache hands out the same arrays until a re-import)."""
    return paths.RoadRouter(data)


def road_router(graph: RoadGraph) -> paths.RoadRouter:
    """The router of a stored graph, built once a process and import (``GraphFormatError`` when its arrays cannot be
    read, ``routing.paths.RouteError`` when it has no roads)."""
    return _router(road_graph_data(graph))


def router_holding(points) -> tuple[paths.RoadRouter, list[paths.Snap]] | None:
    """The router of the smallest imported road graph that holds every point ((lat, lon) degrees) within its snapping
    distance (``RoadRouter.snap``: inside the bounds plus 200 m, at most 1 km from a junction), with each point's
    snap; None when no graph holds them all. One query (the graphs around the points); a graph's arrays and router
    are read and built once a process."""
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    margin_lat = math.degrees(paths.BOUNDS_MARGIN_M / paths.EARTH_RADIUS_M)
    margin_lon = margin_lat / max(math.cos(math.radians(sum(lats) / len(lats))), 1e-6)
    # the box of the points shrunk by the margin a point may lie outside a graph's bounds (the snap checks each)
    graphs = road_graphs_holding(
        south=min(lats) + margin_lat, west=min(lons) + margin_lon,
        north=max(lats) - margin_lat, east=max(lons) - margin_lon,
    )  # fmt: skip
    for graph in graphs:
        try:
            router = road_router(graph)
            return router, [router.snap(lat, lon) for lat, lon in points]
        except (GraphFormatError, paths.RouteError):
            continue  # a point too far from its roads (or arrays that cannot be read): try a larger region
    return None


def map_roads(graph: RoadGraph | None, *, limit: int = 6000) -> tuple[list[float] | None, list]:
    """A graph's bounds (south, west, north, east) and its roads as map segments (``RoadRouter.road_lines``);
    (None, []) without a graph or when its stored arrays cannot be read."""
    if graph is None:
        return None, []
    try:
        router = _router(road_graph_data(graph))
    except (GraphFormatError, paths.RouteError):
        return None, []
    return list(router.graph.bounds()), router.road_lines(limit=limit)


def _graph_under(place: Place, field_name: str) -> tuple[RoadGraph, paths.RoadRouter]:
    """The smallest imported graph whose bounds hold the place and whose arrays can be read, with its router. A
    graph stored in a format this code cannot read is passed over for a larger one holding the place; when none
    is left, RouteError on `graph` says which region to re-import."""
    unreadable = None
    for graph in road_graphs_holding(south=place.latitude, west=place.longitude, north=place.latitude,
                                     east=place.longitude):  # fmt: skip
        try:
            return graph, road_router(graph)
        except GraphFormatError as error:
            unreadable = unreadable or unreadable_message(graph, error)
    if unreadable:
        raise paths.RouteError("graph", unreadable)
    names = list(road_graph_usable().values_list("name", flat=True)[:10])
    known = f"imported: {', '.join(names)}" if names else "no road graph is imported yet"
    raise paths.RouteError(
        field_name,
        f"{place.label} lies outside every imported road graph ({known}): pick a point inside one or import "
        "the region's OpenStreetMap extract",
    )


def _time_zone(place: Place, vehicle: Vehicle) -> str:
    return place.site.time_zone if place.site else vehicle.department.time_zone


def route_plan_compute(*, vehicle: Vehicle, origin: Place, destination: Place, departs_at: datetime) -> RoutePlanResult:
    """The three routes for ``vehicle`` (already scoped by the caller) from ``origin`` to ``destination`` leaving at
    ``departs_at`` (aware). Raises ``routing.paths.RouteError`` naming the field (origin, destination) that is at
    fault: outside every imported graph, far from a road, or with no road joining them; ``graph`` when the region's
    stored graph cannot be read (re-import it)."""
    zone = ZoneInfo(_time_zone(origin, vehicle))
    local = departs_at.astimezone(zone)
    graph, router = _graph_under(origin, "origin")
    weather = (
        weather_at(origin.site, departs_at)
        if origin.site
        else normals_at(Site(latitude=origin.latitude, longitude=origin.longitude, time_zone=str(zone)), departs_at)
    )
    energy_model = need.vehicle_model(vehicle)
    conditions = paths.Conditions(
        params=energy_model.params,
        departs_hour=local.hour + local.minute / 60,
        weekday=local.weekday(),
        ambient_c=weather.temperature_c,
        driving_scale=energy_model.driving_scale,
    )
    plan = router.routes(
        (origin.latitude, origin.longitude),
        (destination.latitude, destination.longitude),
        params=conditions.params,
        departs_hour=conditions.departs_hour,
        weekday=conditions.weekday,
        ambient_c=conditions.ambient_c,
        driving_scale=conditions.driving_scale,
    )
    providers = []
    for provider in external_providers(
        osrm_url=settings.OSRM_URL, valhalla_url=settings.VALHALLA_URL, timeout_s=settings.ROUTING_PROVIDER_TIMEOUT_S
    ):
        result = ProviderResult(provider.name, provider.label)
        try:
            answer = provider.route((origin.latitude, origin.longitude), (destination.latitude, destination.longitude))
        except ProviderError as exc:
            result.error = f"{exc}; the road graph's routes are shown."
        else:
            result.km, result.minutes, result.polyline = answer.km, answer.minutes, answer.polyline
            result.kwh = paths.energy_along(
                conditions.params,
                km=answer.km,
                minutes=answer.minutes,
                ambient_c=conditions.ambient_c,
                driving_scale=conditions.driving_scale,
            )
        providers.append(result)
    return RoutePlanResult(
        vehicle=vehicle,
        origin=origin,
        destination=destination,
        departs_at=departs_at,
        departs_local=local,
        graph=graph,
        region=router.region,
        plan=plan,
        ambient_c=round(float(weather.temperature_c), 1),
        temperature_source=weather.source,
        vehicle_source=energy_model.source,
        capacity_kwh=round(need.capacity_kwh(vehicle), 2),
        providers=providers,
    )
