"""Read side of routing: the stored road graphs and, per process, their arrays ready to search."""

from functools import lru_cache

from django.db.models import F, QuerySet

from routing.graph import RoadGraphData
from routing.models import RoadGraph


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


def road_graph_at(latitude: float, longitude: float) -> RoadGraph | None:
    """The imported graph whose bounds hold the point: the smallest such region, or None."""
    return (
        road_graph_usable()
        .filter(
            south__lte=latitude,
            north__gte=latitude,
            west__lte=longitude,
            east__gte=longitude,
        )
        .order_by((F("north") - F("south")) * (F("east") - F("west")), "pk")
        .first()
    )
