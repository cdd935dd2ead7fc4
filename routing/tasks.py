"""Routing's Celery tasks: thin, ids in, the work in routing.services."""

from celery import shared_task

from routing.services import graphs


# No automatic retry: an import that fails is marked failed on its row with the reason (a retry would read a
# deleted upload again); the person starts it again from the page or the API.
@shared_task
def road_graph_import(*, graph_id: int, source: str) -> int | None:
    """Import the extract `source` into the road graph `graph_id` (progress on the row as it goes)."""
    graph = graphs.road_graph_import_run(graph_id=graph_id, source=source)
    return graph.pk if graph is not None else None
