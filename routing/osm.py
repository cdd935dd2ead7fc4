"""Read an OpenStreetMap PBF extract into a routable `RoadGraphData` (plain Python: no Django).

`read_pbf(path, progress=...)` reads the drivable ways with pyrosm (`OSM(path).get_network("driving", nodes=True)`,
which already splits every way into one segment per pair of consecutive nodes with its length in metres) and
`build_graph(nodes, edges)` turns those two frames into the graph's arrays:

- ways whose `highway` is not one of `routing.graph.HIGHWAY_CLASSES` are dropped (tracks, paths, construction);
- direction: `oneway=yes|true|1` keeps the way's direction, `oneway=-1|reverse` the opposite one, `no|false|0`
  both; without a tag, roundabouts (`junction=roundabout|circular`) and motorways (`motorway`, `motorway_link`)
  are one-way and everything else two-way; `reversible` and `alternating` ways (their direction changes with
  the hour) are dropped. A two-way segment becomes two directed edges;
- `maxspeed` to km/h: "50", "50 mph", "30 knots", "FI:urban", "DE:zone30", "walk"; the first of "50;70";
  NaN where untagged, "none", "signals", "variable" or unknown;
- node elevation from an `ele` tag, else NaN;
- only the largest strongly connected component is kept, so every node reaches every other one (a snapped
  start and destination always have a route).

Progress is reported through `progress(percent, message)`; a file that cannot be used raises `OsmImportError`
naming the file and why.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from routing.graph import HIGHWAY_CLASSES, HIGHWAY_CODE, RoadGraphData

Progress = Callable[[int, str], None]

MPH_KMH = 1.609344
KNOT_KMH = 1.852

# Implicit limits ("FI:urban"): https://wiki.openstreetmap.org/wiki/Default_speed_limits, the common ones.
# NaN: no general limit (German motorways) - the routing then uses the class's typical speed.
_NONE = math.nan
IMPLICIT_KMH = {
    "urban": {"": 50.0, "GB": 30 * MPH_KMH, "US": 25 * MPH_KMH, "RU": 60.0},
    "rural": {
        "": 80.0, "AT": 100.0, "BE": 70.0, "CH": 80.0, "CZ": 90.0, "DE": 100.0, "DK": 80.0, "ES": 90.0, "FI": 80.0,
        "FR": 80.0, "IT": 90.0, "NL": 80.0, "NO": 80.0, "PL": 90.0, "SE": 70.0, "GB": 60 * MPH_KMH, "RU": 90.0,
    },
    "motorway": {
        "": 120.0, "AT": 130.0, "CH": 120.0, "DE": _NONE, "DK": 130.0, "ES": 120.0, "FI": 120.0, "FR": 130.0,
        "IT": 130.0, "NL": 100.0, "NO": 110.0, "PL": 140.0, "SE": 110.0, "GB": 70 * MPH_KMH, "RU": 110.0,
    },
    "trunk": {"": 100.0, "DE": _NONE, "FR": 110.0, "PL": 120.0},
    "living_street": {"": 20.0, "DE": 7.0, "NL": 15.0, "FI": 20.0},
    "nsl_single": {"": 60 * MPH_KMH},
    "nsl_dual": {"": 70 * MPH_KMH},
}  # fmt: skip
_NAMED_KMH = {"walk": 6.0}
_UNKNOWN = {"none", "signals", "variable", "unposted", "implicit", "no", ""}
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots|knot|kn)?\s*$", re.IGNORECASE)
_ZONE = re.compile(r"^([A-Za-z]{2}):(?:zone:?|rural:?)?(\d+)$")
_IMPLICIT = re.compile(r"^([A-Za-z]{2}):([a-z_]+)$")

ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_REVERSE = frozenset({"-1", "reverse"})
ONEWAY_NO = frozenset({"no", "false", "0"})
ONEWAY_DROPPED = frozenset({"reversible", "alternating"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
ROUNDABOUTS = frozenset({"roundabout", "circular"})


class OsmImportError(ValueError):
    """An extract that cannot become a road graph: the message names the file and why."""


def parse_maxspeed(value) -> float:
    """A `maxspeed` tag in km/h, or NaN when it gives no number (untagged, "none", "signals", unknown zone)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip()
    if ";" in text or "|" in text:  # several limits (per lane, per time): the first one
        text = re.split(r"[;|]", text, maxsplit=1)[0].strip()
    if text.lower() in _UNKNOWN:
        return math.nan
    if text.lower() in _NAMED_KMH:
        return _NAMED_KMH[text.lower()]
    match = _NUMBER_UNIT.match(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()
        if unit == "mph":
            number *= MPH_KMH
        elif unit in ("knots", "knot", "kn"):
            number *= KNOT_KMH
        return number if 0 < number <= 300 else math.nan
    match = _ZONE.match(text)
    if match:
        return float(match.group(2))
    match = _IMPLICIT.match(text)
    if match:
        country, kind = match.group(1).upper(), match.group(2).lower()
        by_country = IMPLICIT_KMH.get(kind)
        if by_country is not None:
            return float(by_country.get(country, by_country[""]))
    return math.nan


def _tags(value) -> dict:
    """pyrosm hands way tags as a JSON string, node tags as a dict (None when there are none)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip().lower()


def direction(*, oneway, highway: str, junction: str = "") -> str | None:
    """The way's direction: "forward", "reverse", "both", or None to drop it (it changes with the hour)."""
    tag = _text(oneway)
    if tag in ONEWAY_FORWARD:
        return "forward"
    if tag in ONEWAY_REVERSE:
        return "reverse"
    if tag in ONEWAY_DROPPED:
        return None
    if tag in ONEWAY_NO:
        return "both"
    if _text(junction) in ROUNDABOUTS or highway in IMPLIED_ONEWAY_HIGHWAYS:
        return "forward"
    return "both"


def _elevation(tags) -> float:
    text = _text(_tags(tags).get("ele"))
    match = re.match(r"^(-?\d+(?:\.\d+)?)\s*m?$", text)
    return float(match.group(1)) if match else math.nan


def _haversine_m(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _quiet(percent: int, message: str) -> None:
    pass


def build_graph(nodes, edges, *, name: str = "extract", progress: Progress = _quiet) -> RoadGraphData:
    """The graph of pyrosm's node and edge frames (columns: nodes id, lat, lon, tags; edges u, v, highway, oneway,
    maxspeed, length, id, tags and, when the extract has them, junction)."""
    if edges is None or nodes is None or len(edges) == 0 or len(nodes) == 0:
        raise OsmImportError(f"{name}: the extract holds no drivable roads")
    progress(40, f"Building the graph of {len(edges):,} road segments")
    columns = set(edges.columns)
    highway = edges["highway"].astype(str).str.strip().str.lower().to_numpy()
    known = np.array([h in HIGHWAY_CODE for h in highway], dtype=bool)
    oneway = edges["oneway"].to_numpy() if "oneway" in columns else np.full(len(edges), None)
    junction = [_text(j) for j in edges["junction"].to_numpy()] if "junction" in columns else [""] * len(edges)
    way_tags = edges["tags"].to_numpy() if "tags" in columns else np.full(len(edges), None)
    for i, (tag, tags) in enumerate(zip(junction, way_tags, strict=True)):
        if not tag and isinstance(tags, (str, dict)) and "junction" in tags:
            junction[i] = _text(_tags(tags).get("junction"))
    directions = np.array(
        [
            direction(oneway=o, highway=h, junction=j) if k else None
            for o, h, j, k in zip(oneway, highway, junction, known, strict=True)
        ],
        dtype=object,
    )

    node_ids = edges["u"].to_numpy(dtype=np.int64), edges["v"].to_numpy(dtype=np.int64)
    frame_ids = nodes["id"].to_numpy(dtype=np.int64)
    order = np.argsort(frame_ids, kind="stable")
    sorted_ids = frame_ids[order]

    def index_of(ids):
        position = np.searchsorted(sorted_ids, ids)
        position = np.minimum(position, len(sorted_ids) - 1)
        found = sorted_ids[position] == ids
        return order[position], found

    u_row, u_found = index_of(node_ids[0])
    v_row, v_found = index_of(node_ids[1])
    keep = known & u_found & v_found & (directions != None) & (node_ids[0] != node_ids[1])  # noqa: E711 (elementwise)
    if not keep.any():
        raise OsmImportError(f"{name}: the extract holds no drivable roads of the classes {', '.join(HIGHWAY_CLASSES)}")

    lat = nodes["lat"].to_numpy(dtype=np.float64)
    lon = nodes["lon"].to_numpy(dtype=np.float64)
    length = (
        edges["length"].to_numpy(dtype=np.float64, copy=True) if "length" in columns else np.full(len(edges), np.nan)
    )
    missing = ~np.isfinite(length)
    if missing.any():
        length[missing] = _haversine_m(
            lat[u_row[missing]], lon[u_row[missing]], lat[v_row[missing]], lon[v_row[missing]]
        )
    speed = np.array([parse_maxspeed(s) for s in edges["maxspeed"].to_numpy()]) if "maxspeed" in columns else None
    if speed is None:
        speed = np.full(len(edges), np.nan)
    code = np.array([HIGHWAY_CODE.get(h, 0) for h in highway], dtype=np.int8)
    way = edges["id"].to_numpy(dtype=np.int64) if "id" in columns else np.zeros(len(edges), dtype=np.int64)

    forward = keep & ((directions == "forward") | (directions == "both"))
    backward = keep & ((directions == "reverse") | (directions == "both"))
    edge_u = np.concatenate([u_row[forward], v_row[backward]])
    edge_v = np.concatenate([v_row[forward], u_row[backward]])
    pick = np.concatenate([np.flatnonzero(forward), np.flatnonzero(backward)])
    progress(60, f"Keeping the largest strongly connected part of {len(edge_u):,} directed edges")

    used = np.unique(np.concatenate([edge_u, edge_v]))
    local_u, local_v = np.searchsorted(used, edge_u), np.searchsorted(used, edge_v)
    largest = _largest_strong_component(len(used), local_u, local_v)
    inside = largest[local_u] & largest[local_v]
    kept_nodes = used[largest]
    renumber = np.full(len(used), -1, dtype=np.int64)
    renumber[largest] = np.arange(int(largest.sum()))
    progress(80, f"{len(kept_nodes):,} junctions and {int(inside.sum()):,} directed edges kept")

    elevation = np.array([_elevation(t) for t in nodes["tags"].to_numpy()[kept_nodes]]) if "tags" in nodes else None
    graph = RoadGraphData(
        node_osm_id=frame_ids[kept_nodes],
        node_lat=lat[kept_nodes],
        node_lon=lon[kept_nodes],
        node_elevation_m=elevation if elevation is not None else np.full(len(kept_nodes), np.nan),
        edge_u=renumber[local_u[inside]],
        edge_v=renumber[local_v[inside]],
        edge_length_m=length[pick][inside],
        edge_maxspeed_kmh=speed[pick][inside],
        edge_highway=code[pick][inside],
        edge_osm_way_id=way[pick][inside],
        meta={"source": name},
    )
    progress(90, f"Graph ready: {graph.node_count:,} junctions, {graph.edge_count:,} directed edges")
    return graph


def _largest_strong_component(count: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A mask of the nodes in the largest strongly connected component (ties: the one with the lowest label)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(count, count)).tocsr()
    _, labels = connected_components(matrix, directed=True, connection="strong")
    return labels == np.bincount(labels).argmax()


def read_pbf(path: str | Path, *, name: str | None = None, progress: Progress = _quiet) -> RoadGraphData:
    """The road graph of the PBF extract at `path` (`name`: how messages call the file, its name by default)."""
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise OsmImportError(f"{name}: no such file")
    if path.stat().st_size == 0:
        raise OsmImportError(f"{name}: the file is empty")
    progress(5, f"Reading the drivable roads of {name}")
    import pyrosm  # heavy (geopandas): only when an extract is read

    try:
        network = pyrosm.OSM(str(path)).get_network(network_type="driving", nodes=True)
    except MemoryError:
        raise
    except Exception as error:  # pyrosm raises its own, ValueError, KeyError… for a file it cannot read
        raise OsmImportError(
            f"{name}: not an OpenStreetMap PBF extract, or a damaged one (pyrosm could not read it: "
            f"{type(error).__name__})"
        ) from error
    nodes, edges = network if isinstance(network, tuple) else (None, network)
    progress(35, f"Read {0 if edges is None else len(edges):,} road segments")
    return build_graph(nodes, edges, name=name, progress=progress)
