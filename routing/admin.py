from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from routing.models import RoadGraph
from routing.selectors import road_graph_list
from routing.services import graphs


@admin.register(RoadGraph)
class RoadGraphAdmin(ReadOnlyAdmin):
    """Road graphs, read-only (their arrays are never shown): imports start on /routing/graphs/, the API or
    `manage.py import_osm`; a delete goes through the service (logged)."""

    list_display = ("name", "status", "progress_percent", "node_count", "edge_count", "imported_at", "source")
    list_filter = ("status",)
    search_fields = ("name", "source")
    readonly_fields = (
        "name", "source", "status", "progress_percent", "message", "south", "west", "north", "east", "node_count",
        "edge_count", "imported_at", "created_by", "created_at", "updated_at",
    )  # fmt: skip
    exclude = ("data",)

    def get_queryset(self, request):
        return road_graph_list().select_related("created_by")

    def delete_model(self, request, obj):
        graphs.road_graph_delete(graph=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for graph in queryset:
            graphs.road_graph_delete(graph=graph, user=request.user)
