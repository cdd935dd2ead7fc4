"""Read side of routing: the stored road graphs and, per process, their arrays ready to search; the route plans."""

from functools import lru_cache

from django.db.models import Count, F, QuerySet

from accounts.scoping import scoped
from routing.graph import RoadGraphData
from routing.models import RoadGraph, RoutePlan


def road_graph_list() -> QuerySet[RoadGraph]:
    """Every graph without its arrays (a list or a page never needs them)."""
    return RoadGraph.objects.defer("data")


@lru_cache(maxsize=8)
def _graph_data(pk: int, imported_at) -> RoadGraphData:
    row = RoadGraph.objects.only("data", "name", "source").get(pk=pk)
    return RoadGraphData.from_bytes(bytes(row.data), meta={"graph_id": pk, "name": row.name, "source": row.source})


def road_graph_data(graph: RoadGraph) -> RoadGraphData:
    """The graph's arrays, read from the database once per process and import (the cache key holds `imported_at`,
    so a re-import is read again)."""
    return _graph_data(graph.pk, graph.imported_at)


def road_graph_usable() -> QuerySet[RoadGraph]:
    """The graphs that have been imported: their arrays are stored. A re-import under way or failed keeps the
    previous arrays in use until a new import is stored (routing.services.graphs), so this goes by `imported_at`,
    not by the latest import's status."""
    return road_graph_list().filter(imported_at__isnull=False)


def road_graphs_holding(*, south: float, west: float, north: float, east: float) -> QuerySet[RoadGraph]:
    """The imported graphs whose bounds hold the whole box (degrees), the smallest region first."""
    return (
        road_graph_usable()
        .filter(south__lte=south, north__gte=north, west__lte=west, east__gte=east)
        .order_by((F("north") - F("south")) * (F("east") - F("west")), "pk")
    )


def road_graph_at(latitude: float, longitude: float) -> RoadGraph | None:
    """The imported graph whose bounds hold the point: the smallest such region, or None."""
    return road_graphs_holding(south=latitude, west=longitude, north=latitude, east=longitude).first()


# --- route plans ------------------------------------------------------------------------------------------------


def route_plan_list(*, user) -> QuerySet:
    """The user's route plans, newest day first, with their depot and counts (the list page and the API's list)."""
    return (
        scoped(RoutePlan.objects.select_related("depot", "department"), user)
        .annotate(job_count=Count("jobs", distinct=True), route_count=Count("routes", distinct=True))
        .order_by("-service_date", "-pk")
    )


def route_plan_detail(*, user) -> QuerySet:
    """The user's route plans with all the plan page shows: jobs, vehicles, routes, their visits and trips."""
    return scoped(RoutePlan.objects.select_related("depot", "department", "created_by"), user).prefetch_related(
        "jobs",
        "vehicles__vehicle_model",
        "routes__vehicle",
        "routes__trips",
        "routes__visits__job",
        "routes__visits__site",
    )
