"""A routable road graph as plain arrays (no Django): what an OpenStreetMap import produces, what is stored per
region, and what the route searches read.

Nodes are road junctions and the ends of ways; edges are directed (a two-way street is two edges). Every array of
one kind has the same length: ``node_*`` arrays have ``node_count`` entries, ``edge_*`` arrays ``edge_count``.
Unknown values are NaN (an edge without a ``maxspeed`` tag, a node without an elevation).

``to_bytes`` / ``from_bytes`` round-trip the graph through a compressed NumPy archive, the form stored in the
database (one row per region, so every worker on every machine reads the same graph and a restart does not
re-import).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

FORMAT_VERSION = 1

# OpenStreetMap `highway` values a vehicle may drive on, in the order of their codes (``edge_highway``).
HIGHWAY_CLASSES = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
)
HIGHWAY_CODE = {name: code for code, name in enumerate(HIGHWAY_CLASSES)}

_NODE_ARRAYS = ("node_osm_id", "node_lat", "node_lon", "node_elevation_m")
_EDGE_ARRAYS = ("edge_u", "edge_v", "edge_length_m", "edge_maxspeed_kmh", "edge_highway", "edge_osm_way_id")


class GraphFormatError(ValueError):
    """A stored graph that cannot be read: names what is wrong."""


@dataclass(eq=False)
class RoadGraphData:
    """A directed road graph: node coordinates (WGS84 degrees), edges by node index with their length (m), the
    posted speed limit (km/h, NaN when not tagged), the road class (a code of ``HIGHWAY_CLASSES``) and the OSM
    way they come from."""

    node_osm_id: np.ndarray  # int64
    node_lat: np.ndarray  # float64, degrees
    node_lon: np.ndarray  # float64, degrees
    node_elevation_m: np.ndarray  # float64, NaN where unknown
    edge_u: np.ndarray  # int32, index into the node arrays
    edge_v: np.ndarray  # int32
    edge_length_m: np.ndarray  # float64
    edge_maxspeed_kmh: np.ndarray  # float64, NaN where not tagged
    edge_highway: np.ndarray  # int8, code of HIGHWAY_CLASSES
    edge_osm_way_id: np.ndarray  # int64
    meta: dict = field(default_factory=dict)  # free-form: source file, bounds, import time

    def __post_init__(self) -> None:
        self.node_osm_id = np.asarray(self.node_osm_id, dtype=np.int64)
        self.node_lat = np.asarray(self.node_lat, dtype=np.float64)
        self.node_lon = np.asarray(self.node_lon, dtype=np.float64)
        self.node_elevation_m = np.asarray(self.node_elevation_m, dtype=np.float64)
        self.edge_u = np.asarray(self.edge_u, dtype=np.int32)
        self.edge_v = np.asarray(self.edge_v, dtype=np.int32)
        self.edge_length_m = np.asarray(self.edge_length_m, dtype=np.float64)
        self.edge_maxspeed_kmh = np.asarray(self.edge_maxspeed_kmh, dtype=np.float64)
        self.edge_highway = np.asarray(self.edge_highway, dtype=np.int8)
        self.edge_osm_way_id = np.asarray(self.edge_osm_way_id, dtype=np.int64)
        self.validate()

    @property
    def node_count(self) -> int:
        return int(self.node_lat.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.edge_u.shape[0])

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) in degrees."""
        if not self.node_count:
            raise GraphFormatError("the graph has no nodes")
        return (
            float(self.node_lat.min()),
            float(self.node_lon.min()),
            float(self.node_lat.max()),
            float(self.node_lon.max()),
        )

    def validate(self) -> None:
        """Raise GraphFormatError naming the array that does not fit."""
        for name in _NODE_ARRAYS:
            if getattr(self, name).shape != (self.node_count,):
                raise GraphFormatError(f"{name} must have one entry per node ({self.node_count})")
        for name in _EDGE_ARRAYS:
            if getattr(self, name).shape != (self.edge_count,):
                raise GraphFormatError(f"{name} must have one entry per edge ({self.edge_count})")
        if self.edge_count:
            for name in ("edge_u", "edge_v"):
                ends = getattr(self, name)
                if int(ends.min()) < 0 or int(ends.max()) >= self.node_count:
                    raise GraphFormatError(f"{name} refers to a node that is not in the graph")
            if not np.all(np.isfinite(self.edge_length_m)) or float(self.edge_length_m.min()) < 0.0:
                raise GraphFormatError("edge_length_m must be finite and not negative")
            if int(self.edge_highway.min()) < 0 or int(self.edge_highway.max()) >= len(HIGHWAY_CLASSES):
                raise GraphFormatError("edge_highway holds a code outside HIGHWAY_CLASSES")
        if self.node_count and not (np.all(np.abs(self.node_lat) <= 90.0) and np.all(np.abs(self.node_lon) <= 180.0)):
            raise GraphFormatError("node_lat / node_lon must be WGS84 degrees")

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        arrays = {name: getattr(self, name) for name in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}
        np.savez_compressed(buffer, format_version=np.int32(FORMAT_VERSION), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, meta: dict | None = None) -> RoadGraphData:
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError) as error:
            raise GraphFormatError(f"not a stored road graph: {error}") from error
        with archive:
            version = int(archive["format_version"]) if "format_version" in archive.files else None
            if version != FORMAT_VERSION:
                raise GraphFormatError(f"stored graph format {version}, this code reads {FORMAT_VERSION}: re-import")
            missing = [name for name in (*_NODE_ARRAYS, *_EDGE_ARRAYS) if name not in archive.files]
            if missing:
                raise GraphFormatError(f"stored graph lacks {', '.join(missing)}: re-import")
            return cls(**{name: archive[name] for name in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}, meta=dict(meta or {}))
