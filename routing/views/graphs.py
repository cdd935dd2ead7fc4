"""The road graphs page (`/routing/graphs/`): every region's graph, its latest import with a progress bar that
follows it (the page polls `status.json` while an import runs), and the import form; and `roads.json`, the
streets of the stored graphs inside a bounding box, which the live map draws as its "Roads" layer."""

import math

import numpy as np
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import dashboard_user
from routing.graph import HIGHWAY_CLASSES, GraphFormatError
from routing.models import RoadGraph
from routing.selectors import road_graph_data, road_graph_list, road_graph_usable
from routing.services import graphs

UPLOAD = "upload"
# The road layer: at most this many segments per answer (the main roads first), and no box wider than this
# (the map asks only from zoom 13, a few kilometres across).
ROADS_MAX_SEGMENTS = 20_000
ROADS_MAX_SPAN_DEG = 0.5


class RoadGraphImportForm(forms.Form):
    name = forms.CharField(label="Region", max_length=80, help_text="e.g. Helsinki; an existing region is re-imported.")
    source = forms.ChoiceField(
        label="Extract", choices=[*graphs.bundled_choices(), (UPLOAD, "Upload an .osm.pbf file")], initial=UPLOAD
    )
    file = forms.FileField(
        label="OpenStreetMap extract (.osm.pbf)", required=False,
        help_text=f"At most {graphs.MAX_UPLOAD_BYTES // 1024**2} MB; larger ones: manage.py import_osm on the server.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pbf"}),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("source") == UPLOAD and not data.get("file"):
            self.add_error("file", "Choose the .osm.pbf file to upload, or pick an extract shipped with the platform.")
        return data


def _status(graph: RoadGraph) -> dict:
    return {
        "id": graph.pk,
        "status": graph.status,
        "status_label": graph.get_status_display(),
        "progress_percent": graph.progress_percent,
        "message": graph.message,
        "usable": graph.imported_at is not None,
    }


@dashboard_user
@permission_required("routing.view_roadgraph", raise_exception=True)
def graph_list(request):
    """GET: the graphs and, for administrators, the import form. POST: start an import (routing.add_roadgraph:
    administrators only; anyone else gets the page with the reason, status 403)."""
    can_import = request.user.has_perm("routing.add_roadgraph")
    form = RoadGraphImportForm(request.POST or None, request.FILES or None)
    refused = request.method == "POST" and not can_import
    if refused:
        messages.error(request, graphs.IMPORT_REFUSED)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = data["file"] if data["source"] == UPLOAD else data["source"]
        try:
            graph = graphs.road_graph_import_start(name=data["name"], source=source, user=request.user)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Importing {graph.name}: the progress shows below.")
            return redirect("routing:graph-list")
    rows = list(road_graph_list().select_related("created_by"))
    context = {
        "graphs": rows,
        "form": form,
        "importing": any(g.status in (RoadGraph.Status.PENDING, RoadGraph.Status.IMPORTING) for g in rows),
        "can_import": can_import,
        "can_delete": request.user.has_perm("routing.delete_roadgraph"),
        "max_upload_mb": graphs.MAX_UPLOAD_BYTES // 1024**2,
    }
    status = 403 if refused else 400 if form.is_bound and form.errors else 200
    return render(request, "routing/graph_list.html", context, status=status)


@dashboard_user
@permission_required("routing.delete_roadgraph", raise_exception=True)
@require_POST
def graph_delete(request, pk):
    graph = get_object_or_404(road_graph_list(), pk=pk)
    graphs.road_graph_delete(graph=graph, user=request.user)
    messages.success(request, f"The road graph of {graph.name} was deleted.")
    return redirect("routing:graph-list")


@dashboard_user
@permission_required("routing.view_roadgraph", raise_exception=True)
@require_GET
def graph_status(request):
    """The state of every graph's latest import, for the page's progress bars (polled while one runs)."""
    rows = road_graph_list().only("id", "status", "progress_percent", "message", "imported_at")
    response = JsonResponse({"graphs": [_status(g) for g in rows]})
    response["Cache-Control"] = "no-store"
    return response


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        south, west, north, east = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationError("Give bbox=south,west,north,east in degrees, e.g. 60.16,24.93,60.18,24.96.") from None
    if not all(math.isfinite(v) for v in (south, west, north, east)):
        raise ValidationError("bbox must hold four finite numbers.")
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise ValidationError("bbox must be south < north within ±90° and west < east within ±180°.")
    if north - south > ROADS_MAX_SPAN_DEG or east - west > ROADS_MAX_SPAN_DEG:
        raise ValidationError(f"bbox spans at most {ROADS_MAX_SPAN_DEG}° each way; zoom in.")
    return south, west, north, east


def _segments(graph, box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The undirected segments of `graph` with an end in `box`: (lat/lon pairs, highway codes), each once."""
    south, west, north, east = box
    data = road_graph_data(graph)
    lat, lon = data.node_lat, data.node_lon
    inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
    u, v = data.edge_u, data.edge_v
    chosen = inside[u] | inside[v]
    a, b = np.minimum(u[chosen], v[chosen]), np.maximum(u[chosen], v[chosen])
    highway = data.edge_highway[chosen]
    pairs, first = np.unique(np.stack([a, b], axis=1), axis=0, return_index=True)
    return lat, lon, pairs, highway[first]


@dashboard_user
@permission_required("routing.view_roadgraph", raise_exception=True)
@require_GET
def roads(request):
    """GeoJSON of the stored graphs' streets inside `bbox=south,west,north,east`: one MultiLineString per road
    class, the main roads first, at most ROADS_MAX_SEGMENTS segments (`truncated` says when some were left out);
    a graph whose stored arrays cannot be read is left out and named in `unreadable` with what to do."""
    try:
        box = _bbox(request.GET.get("bbox", ""))
    except ValidationError as error:
        return JsonResponse(
            {"code": "validation_error", "message": error.messages[0],
             "fields": {"bbox": [{"code": "invalid", "message": error.messages[0]}]}},
            status=400,
        )  # fmt: skip
    south, west, north, east = box
    graphs_in_view = road_graph_usable().filter(south__lte=north, north__gte=south, west__lte=east, east__gte=west)
    by_class: dict[int, list] = {}
    total, truncated, unreadable = 0, False, []
    for graph in graphs_in_view.only("id", "imported_at", "name", "source"):
        try:
            lat, lon, pairs, highway = _segments(graph, box)
        except GraphFormatError as error:  # stored in another format: the other graphs' streets are still drawn
            unreadable.append({"region": graph.name, "message": graphs.unreadable_message(graph, error)})
            continue
        order = np.argsort(highway, kind="stable")  # motorways first: what stays when the cap is reached
        room = ROADS_MAX_SEGMENTS - total
        if len(order) > room:
            order, truncated = order[:room], True
        total += len(order)
        for code in np.unique(highway[order]):
            picked = pairs[order[highway[order] == code]]
            lines = np.stack(
                [np.round(lon[picked[:, 0]], 6), np.round(lat[picked[:, 0]], 6),
                 np.round(lon[picked[:, 1]], 6), np.round(lat[picked[:, 1]], 6)], axis=1,
            ).reshape(-1, 2, 2)  # fmt: skip
            by_class.setdefault(int(code), []).extend(lines.tolist())
        if total >= ROADS_MAX_SEGMENTS:
            break
    features = [
        {
            "type": "Feature",
            "properties": {"highway": HIGHWAY_CLASSES[code], "segments": len(lines)},
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        }
        for code, lines in sorted(by_class.items())
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features, "segments": total,
                             "truncated": truncated, "unreadable": unreadable})  # fmt: skip
    response["Cache-Control"] = "private, max-age=60"
    return response
