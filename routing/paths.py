"""Shortest, fastest and least-energy routes on a road graph for one vehicle (plain Python, numpy and scipy; no
Django).

``RoadRouter(graph)`` snaps a point to the nearest junction (a k-d tree on projected coordinates, built once per
graph) and searches the graph by one cost per edge (scipy's Dijkstra from the origin over a CSR matrix built once
per cost array). The three costs of an edge:

- **length** (m), as imported;
- **time**: the edge's typical speed at the hour: the posted limit (``maxspeed``), or when untagged the default
  limit of its road class (``DEFAULT_LIMIT_KMH``), times ``FREE_FLOW_SHARE`` (junctions, bends and lights keep
  the mean below the limit even on an empty road; 0.9 is ``simulation.traffic.FREE_FLOW_KMH`` over the usual
  limit of each class: 110/120, 70/80, 45/50, 28/30), divided by 1 + the typical congestion level of the hour and
  weekday for the road class (``simulation.traffic.congestion_level``: the TomTom-shaped daily curve);
- **energy** (kWh): ``simulation.energy.segment_energy`` for all edges in one call, at the edge's speed above,
  the ambient temperature, the stops per km of its road class in the hour's traffic regime
  (``simulation.traffic.STOPS_PER_KM``) and the grade where both ends have an elevation (0 otherwise; downhill the
  model recovers energy, never below what the cabin and the pack draw, so no edge costs less than 0). Driving
  energy (traction + auxiliaries) is multiplied by ``driving_scale`` (a stand-in vehicle's rated ratio, as
  ``operations.energy`` does); cabin HVAC and battery conditioning are added as they are.

Road classes map onto the simulation's four (``TRAFFIC_CLASS``): motorways and trunk roads behave as motorways,
primary and secondary roads as arterials, tertiary and unclassified streets as urban streets, residential and
service streets as residential.

The cost arrays are cached per (vehicle parameters, driving scale, whole hour, weekday kind, temperature bucket);
the temperature is taken to the nearest ``TEMPERATURE_STEP_C`` (2 °C), which changes a route's kWh by well under
1 %. ``routes()`` returns the three routes, each measured in all three units, so they compare side by side.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from routing.graph import HIGHWAY_CLASSES, RoadGraphData
from simulation import traffic
from simulation.energy import AMBIENT_RANGE_C, GRADE_RANGE_PERCENT, segment_energy
from simulation.vehicles import EnergyParams

EARTH_RADIUS_M = 6_371_000.0
SNAP_LIMIT_M = 1000.0  # a point farther than this from every junction is not on the imported roads
BOUNDS_MARGIN_M = 200.0  # a point this far outside the outermost junctions still snaps (the edge of the extract)
FREE_FLOW_SHARE = 0.9
MIN_SPEED_KMH = 5.0
TEMPERATURE_STEP_C = 2.0
CACHE_SIZE = 32

# Default limit (km/h) of a road without a `maxspeed` tag, by OpenStreetMap class. ESTIMATED from the usual
# general limits in the EU (motorways 100-130, rural trunk and primary roads 80-100, built-up areas 50, 30 zones
# in residential streets, 20 in living streets) leaning to the built-up value, since the extracts are cities.
DEFAULT_LIMIT_KMH = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "road": 40.0,
}
_M, _P, _U, _R = (traffic.RoadClass.MOTORWAY, traffic.RoadClass.PRIMARY, traffic.RoadClass.URBAN,
                  traffic.RoadClass.RESIDENTIAL)  # fmt: skip
TRAFFIC_CLASS = {
    "motorway": _M, "motorway_link": _M, "trunk": _M, "trunk_link": _M,
    "primary": _P, "primary_link": _P, "secondary": _P, "secondary_link": _P,
    "tertiary": _U, "tertiary_link": _U, "unclassified": _U, "road": _U,
    "residential": _R, "living_street": _R, "service": _R,
}  # fmt: skip
# weekday (Monday 0) -> the kind of day the typical traffic distinguishes (simulation.traffic.URBAN_CONGESTION's
# rows: Monday to Thursday, Friday, Saturday, Sunday), and a weekday of each kind
DAY_KIND = (0, 0, 0, 0, 1, 2, 3)
WEEKDAY_OF_KIND = (0, 4, 5, 6)
METRICS = ("shortest", "fastest", "least_energy")
METRIC_LABELS = {"shortest": "Shortest", "fastest": "Fastest", "least_energy": "Least energy"}


class RouteError(ValueError):
    """A route that cannot be found: ``field`` names the point or input at fault (origin, destination, …)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Snap:
    node: int
    distance_m: float
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Route:
    """One route: its junctions, edges (indices into the graph's edge arrays), the three measures and the line
    to draw (latitude, longitude pairs)."""

    metric: str
    nodes: list[int]
    edges: list[int]
    km: float
    minutes: float
    kwh: float
    polyline: list[tuple[float, float]]

    def as_dict(self) -> dict:
        return {
            "metric": self.metric,
            "label": METRIC_LABELS.get(self.metric, self.metric),
            "km": round(self.km, 3),
            "minutes": round(self.minutes, 2),
            "kwh": round(self.kwh, 3),
            "polyline": [[round(lat, 6), round(lon, 6)] for lat, lon in self.polyline],
        }


@dataclass(frozen=True)
class Conditions:
    """What an edge's time and energy depend on besides the graph. ``weekday``: Monday 0 … Sunday 6."""

    params: EnergyParams
    departs_hour: float = 8.0
    weekday: int = 0
    ambient_c: float = 20.0
    driving_scale: float = 1.0


@dataclass
class RoutePlan:
    origin: Snap
    destination: Snap
    routes: dict[str, Route] = field(default_factory=dict)
    ambient_c: float = 0.0

    def as_dict(self) -> dict:
        return {
            "origin_snap_m": round(self.origin.distance_m, 1),
            "destination_snap_m": round(self.destination.distance_m, 1),
            "ambient_c": self.ambient_c,
            "routes": [self.routes[m].as_dict() for m in METRICS if m in self.routes],
        }


def _params_key(params: EnergyParams) -> tuple:
    return tuple(
        getattr(params, f) for f in params.__dataclass_fields__ if f != "sources"
    )  # EnergyParams holds a dict (its sources), so it is not hashable itself


def stops_for_speed(speed_kmh: float) -> float:
    """Stops per km of a road driven at a mean speed, when its class is not known (an external provider's route):
    the free-flow stops of the class whose typical speed is nearest below (motorway ≥ 80 km/h, arterial ≥ 50,
    urban ≥ 30, residential below)."""
    free = traffic.Regime.FREE_FLOW
    if speed_kmh >= 80:
        return traffic.STOPS_PER_KM[_M][free]
    if speed_kmh >= 50:
        return traffic.STOPS_PER_KM[_P][free]
    if speed_kmh >= 30:
        return traffic.STOPS_PER_KM[_U][free]
    return traffic.STOPS_PER_KM[_R][free]


def energy_along(
    params: EnergyParams, *, km: float, minutes: float, ambient_c: float, driving_scale: float = 1.0
) -> float:
    """kWh of a route known only by its length and time (an external provider's): one segment at its mean speed,
    stops per km by that speed (``stops_for_speed``), no grade."""
    if km <= 0 or minutes <= 0:
        return 0.0
    speed = min(max(km / (minutes / 60.0), MIN_SPEED_KMH), 250.0)
    ambient = min(max(float(ambient_c), AMBIENT_RANGE_C[0]), AMBIENT_RANGE_C[1])
    parts = segment_energy(
        params, distance_km=km, speed_kmh=speed, ambient_c=ambient, stops_per_km=stops_for_speed(speed)
    )
    return float(driving_scale * (parts.traction_kwh + parts.auxiliary_kwh) + parts.hvac_kwh + parts.conditioning_kwh)


class _Search:
    """One cost array as a CSR matrix (parallel edges reduced to the cheapest) and the edge behind each entry."""

    def __init__(self, graph: RoadGraphData, cost: np.ndarray):
        u, v = graph.edge_u.astype(np.int64), graph.edge_v.astype(np.int64)
        keep = np.flatnonzero(u != v)  # a loop never shortens a route
        order = keep[np.lexsort((cost[keep], v[keep], u[keep]))]
        pair = u[order] * graph.node_count + v[order]
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        order = order[first]  # sorted by (u, v), the cheapest edge of each pair
        self.edge_of_entry = order
        counts = np.bincount(u[order], minlength=graph.node_count)
        indptr = np.concatenate(([0], np.cumsum(counts)))
        # scipy drops explicit zeros from a CSR matrix: a zero-cost edge would vanish, so every cost is nudged up
        data = cost[order] + 1e-9
        self.matrix = csr_matrix((data, v[order].astype(np.int32), indptr), shape=(graph.node_count,) * 2)

    def tree_edges(self, sources: np.ndarray) -> np.ndarray:
        """One search from each of ``sources`` (node indices): for every source (row) and node (column) the edge
        by which the cheapest path reaches the node, -1 at the source itself and where no path leads."""
        _, predecessors = dijkstra(self.matrix, directed=True, indices=sources, return_predecessors=True)
        predecessors = np.atleast_2d(predecessors)
        n = self.matrix.shape[0]
        nodes = np.broadcast_to(np.arange(n), predecessors.shape)
        has_parent = predecessors >= 0
        # the matrix's entries are sorted by (row, column) with one entry a pair: a pair's entry by binary search
        keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.matrix.indptr)) * n + self.matrix.indices
        entry = np.searchsorted(keys, np.where(has_parent, predecessors, 0).astype(np.int64) * n + nodes)
        return np.where(has_parent, self.edge_of_entry[np.minimum(entry, keys.size - 1)], -1)

    def path(self, source: int, target: int) -> tuple[list[int], list[int]] | None:
        distances, predecessors = dijkstra(self.matrix, directed=True, indices=source, return_predecessors=True)
        if not math.isfinite(distances[target]):
            return None
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(predecessors[nodes[-1]]))
        nodes.reverse()
        indptr, indices = self.matrix.indptr, self.matrix.indices
        edges = []
        for a, b in zip(nodes, nodes[1:], strict=False):
            row = slice(indptr[a], indptr[a + 1])
            edges.append(int(self.edge_of_entry[row][np.flatnonzero(indices[row] == b)[0]]))
        return nodes, edges


def _along_tree(graph: RoadGraphData, sources: np.ndarray, tree: np.ndarray, arrays: list[np.ndarray]):
    """Sums of ``arrays`` (one value an edge) along the search trees ``tree`` (``_Search.tree_edges``) from each
    source to every node, by pointer jumping (each round doubles the stretch summed: log2 of the deepest path
    rounds). Returns whether each node is reached from each source, and the sums (0 where not reached)."""
    rows = np.arange(tree.shape[0])[:, None]
    has_parent = tree >= 0
    edge = np.maximum(tree, 0)
    ancestor = np.where(has_parent, graph.edge_u[edge], np.arange(tree.shape[1]))  # a root points at itself
    sums = [np.where(has_parent, values[edge], 0.0) for values in arrays]
    while True:
        further = ancestor[rows, ancestor]
        if np.array_equal(further, ancestor):
            break
        sums = [total + total[rows, ancestor] for total in sums]
        ancestor = further
    return ancestor == sources[:, None], sums


@dataclass(frozen=True)
class Table:
    """The cheapest paths by ``metric`` from each source to each target, measured in km, minutes and kWh (inf where
    no road leads; minutes and kWh None when no conditions were given)."""

    metric: str
    sources: list[Snap]
    targets: list[Snap]
    km: np.ndarray
    minutes: np.ndarray | None
    kwh: np.ndarray | None

    def unreachable(self) -> list[tuple[int, int]]:
        """The (source, target) index pairs no road joins."""
        return [(int(i), int(j)) for i, j in zip(*np.nonzero(~np.isfinite(self.km)), strict=True)]


@dataclass(frozen=True)
class EdgeCosts:
    length_m: np.ndarray
    seconds: np.ndarray
    kwh: np.ndarray
    speed_kmh: np.ndarray


class RoadRouter:
    """Route searches on one road graph. Build once per graph and keep (its k-d tree and matrices are cached)."""

    def __init__(self, graph: RoadGraphData):
        if not graph.edge_count:
            raise RouteError("graph", f"the road graph {self.region_name(graph)!r} has no roads: import it again")
        self.graph = graph
        self.region = self.region_name(graph)
        lat0 = math.radians(float(np.mean(graph.node_lat)))
        self._cos_lat0 = math.cos(lat0)
        used = np.zeros(graph.node_count, dtype=bool)
        used[graph.edge_u] = True
        used[graph.edge_v] = True
        self._snappable = np.flatnonzero(used)
        self._xy = self._project(graph.node_lat, graph.node_lon)
        self._tree = cKDTree(self._xy[self._snappable])
        south, west, north, east = graph.bounds()
        margin_lat = math.degrees(BOUNDS_MARGIN_M / EARTH_RADIUS_M)
        margin_lon = margin_lat / max(self._cos_lat0, 1e-6)
        self._bounds = (south - margin_lat, west - margin_lon, north + margin_lat, east + margin_lon)
        highway = np.array(HIGHWAY_CLASSES)[graph.edge_highway]
        limit = np.array([DEFAULT_LIMIT_KMH[h] for h in HIGHWAY_CLASSES])[graph.edge_highway]
        posted = graph.edge_maxspeed_kmh
        self._free_flow_kmh = np.maximum(np.where(np.isfinite(posted) & (posted > 0), posted, limit) * FREE_FLOW_SHARE,
                                         MIN_SPEED_KMH)  # fmt: skip
        self._traffic_class = np.array([TRAFFIC_CLASS[h].value for h in highway])
        self._grade = self._grades(graph)
        self._length = _Search(graph, graph.edge_length_m)
        self._cache: OrderedDict[tuple, tuple[EdgeCosts, _Search, _Search]] = OrderedDict()
        self._time_cache: OrderedDict[tuple, tuple[np.ndarray, np.ndarray, _Search]] = OrderedDict()

    @staticmethod
    def region_name(graph: RoadGraphData) -> str:
        return str(graph.meta.get("name") or "the imported region")

    def _project(self, lat, lon) -> np.ndarray:
        lat, lon = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
        return np.column_stack((EARTH_RADIUS_M * lon * self._cos_lat0, EARTH_RADIUS_M * lat))

    @staticmethod
    def _grades(graph: RoadGraphData) -> np.ndarray:
        rise = graph.node_elevation_m[graph.edge_v] - graph.node_elevation_m[graph.edge_u]
        grade = np.zeros(graph.edge_count)
        known = np.isfinite(rise) & (graph.edge_length_m > 1.0)
        grade[known] = rise[known] / graph.edge_length_m[known] * 100.0
        return np.clip(grade, *GRADE_RANGE_PERCENT)

    # --- snapping ------------------------------------------------------------------------------------------------

    def snap(self, latitude: float, longitude: float, *, field: str = "origin") -> Snap:
        """The nearest junction and how far it is (m). RouteError naming ``field`` when the point is not a number,
        outside the region, or farther than ``SNAP_LIMIT_M`` from every road."""
        try:
            lat, lon = float(latitude), float(longitude)
        except (TypeError, ValueError):
            raise RouteError(
                field, f"needs a latitude and a longitude in degrees, got {latitude!r}, {longitude!r}"
            ) from None
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise RouteError(field, f"({lat:g}, {lon:g}) is not a WGS84 position (latitude ±90°, longitude ±180°)")
        south, west, north, east = self._bounds
        if not (south <= lat <= north and west <= lon <= east):
            raise RouteError(
                field,
                f"({lat:.5f}, {lon:.5f}) is outside the imported region {self.region!r} "
                f"({south:.4f}–{north:.4f} °N, {west:.4f}–{east:.4f} °E): pick a point inside it or import a "
                "road graph that covers it",
            )
        distance, index = self._tree.query(self._project([lat], [lon])[0])
        if distance > SNAP_LIMIT_M:
            raise RouteError(
                field,
                f"({lat:.5f}, {lon:.5f}) is {distance:,.0f} m from the nearest road of {self.region!r} (at most "
                f"{SNAP_LIMIT_M:,.0f} m): pick a point on or near a road",
            )
        node = int(self._snappable[index])
        return Snap(node, float(distance), float(self.graph.node_lat[node]), float(self.graph.node_lon[node]))

    # --- costs ---------------------------------------------------------------------------------------------------

    def _timed(self, hour: int, day_row: int) -> tuple[np.ndarray, np.ndarray, _Search]:
        key = (hour, day_row)
        if key not in self._time_cache:
            weekday = WEEKDAY_OF_KIND[day_row]
            speed = np.empty(self.graph.edge_count)
            stops = np.empty(self.graph.edge_count)
            for rc in traffic.RoadClass:
                mask = self._traffic_class == rc.value
                if not mask.any():
                    continue
                level = float(traffic.congestion_level(rc, hour, weekday))
                speed[mask] = np.maximum(self._free_flow_kmh[mask] / (1.0 + level), MIN_SPEED_KMH)
                stops[mask] = traffic.STOPS_PER_KM[rc][traffic.regime_for_ratio(1.0 / (1.0 + level))]
            seconds = self.graph.edge_length_m / (speed / 3.6)
            self._time_cache[key] = (speed, stops, _Search(self.graph, seconds))
            while len(self._time_cache) > CACHE_SIZE:
                self._time_cache.popitem(last=False)
        self._time_cache.move_to_end(key)
        return self._time_cache[key]

    def _costs(self, conditions: Conditions) -> tuple[EdgeCosts, _Search, _Search]:
        hour = int(math.floor(float(conditions.departs_hour))) % 24
        if not 0 <= conditions.weekday <= 6:
            raise RouteError("weekday", f"must be 0 (Monday) to 6 (Sunday), got {conditions.weekday!r}")
        day_row = DAY_KIND[conditions.weekday]
        ambient = float(conditions.ambient_c)
        if not (math.isfinite(ambient) and AMBIENT_RANGE_C[0] <= ambient <= AMBIENT_RANGE_C[1]):
            raise RouteError(
                "ambient_c", f"must be {AMBIENT_RANGE_C[0]:g} to {AMBIENT_RANGE_C[1]:g} °C, got {ambient!r}"
            )
        bucket = round(ambient / TEMPERATURE_STEP_C) * TEMPERATURE_STEP_C
        bucket = min(max(bucket, AMBIENT_RANGE_C[0]), AMBIENT_RANGE_C[1])
        key = (_params_key(conditions.params), float(conditions.driving_scale), hour, day_row, bucket)
        if key not in self._cache:
            speed, stops, time_search = self._timed(hour, day_row)
            parts = segment_energy(
                conditions.params,
                distance_km=self.graph.edge_length_m / 1000.0,
                speed_kmh=speed,
                ambient_c=bucket,
                stops_per_km=stops,
                grade_percent=self._grade,
            )
            kwh = conditions.driving_scale * (parts.traction_kwh + parts.auxiliary_kwh)
            kwh = np.maximum(kwh + parts.hvac_kwh + parts.conditioning_kwh, 0.0)
            costs = EdgeCosts(self.graph.edge_length_m, self.graph.edge_length_m / (speed / 3.6), kwh, speed)
            self._cache[key] = (costs, time_search, _Search(self.graph, kwh))
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def edge_costs(self, conditions: Conditions) -> EdgeCosts:
        return self._costs(conditions)[0]

    def road_lines(self, bounds: tuple[float, float, float, float] | None = None, *, limit: int = 6000) -> list:
        """The roads inside ``bounds`` (south, west, north, east; default the whole graph) as [[lat, lon], [lat, lon]]
        segments for a map's base layer, one per street piece (a two-way street once), at most ``limit``."""
        g = self.graph
        south, west, north, east = bounds or g.bounds()
        inside = (g.node_lat >= south) & (g.node_lat <= north) & (g.node_lon >= west) & (g.node_lon <= east)
        a, b = np.minimum(g.edge_u, g.edge_v), np.maximum(g.edge_u, g.edge_v)
        keep = inside[a] & inside[b] & (a != b)
        pairs = np.unique(np.column_stack((a[keep], b[keep])), axis=0)[:limit]
        lat, lon = np.round(g.node_lat, 5), np.round(g.node_lon, 5)
        return [[[float(lat[x]), float(lon[x])], [float(lat[y]), float(lon[y])]] for x, y in pairs]

    # --- searches ------------------------------------------------------------------------------------------------

    def _route(self, metric: str, search: _Search, costs: EdgeCosts, origin: Snap, destination: Snap) -> Route:
        found = search.path(origin.node, destination.node)
        if found is None:
            raise RouteError(
                "destination",
                f"no road of {self.region!r} leads from the origin to the destination (one-way streets or a part of "
                "the network not joined to the origin's): pick another destination or origin",
            )
        nodes, edges = found
        ids = np.asarray(edges, dtype=np.int64)
        polyline = [(float(self.graph.node_lat[n]), float(self.graph.node_lon[n])) for n in nodes]
        return Route(
            metric=metric,
            nodes=nodes,
            edges=edges,
            km=float(costs.length_m[ids].sum()) / 1000.0,
            minutes=float(costs.seconds[ids].sum()) / 60.0,
            kwh=float(costs.kwh[ids].sum()),
            polyline=polyline,
        )

    def route(self, origin: Snap, destination: Snap, metric: str, conditions: Conditions) -> Route:
        if metric not in METRICS:
            raise RouteError("metric", f"must be one of {', '.join(METRICS)}, got {metric!r}")
        costs, time_search, energy_search = self._costs(conditions)
        search = {"shortest": self._length, "fastest": time_search, "least_energy": energy_search}[metric]
        return self._route(metric, search, costs, origin, destination)

    def table(
        self,
        sources: Sequence[Snap],
        targets: Sequence[Snap] | None = None,
        *,
        metric: str = "shortest",
        conditions: Conditions | None = None,
    ) -> Table:
        """One-to-many and many-to-many: the cheapest path by ``metric`` from every source to every target (default:
        between all sources), one search per distinct source junction, each path measured like ``route``'s (km;
        minutes and kWh when ``conditions`` are given, which ``fastest`` and ``least_energy`` need). The same
        paths as ``route`` finds pair by pair, without walking each one back."""
        if metric not in METRICS:
            raise RouteError("metric", f"must be one of {', '.join(METRICS)}, got {metric!r}")
        if conditions is None and metric != "shortest":
            raise RouteError("conditions", f"the {metric} paths depend on the vehicle, the hour and the temperature")
        sources, targets = list(sources), list(sources if targets is None else targets)
        if conditions is None:
            costs, search, arrays = None, self._length, [self.graph.edge_length_m]
        else:
            costs, time_search, energy_search = self._costs(conditions)
            search = {"shortest": self._length, "fastest": time_search, "least_energy": energy_search}[metric]
            arrays = [costs.length_m, costs.seconds, costs.kwh]
        shape = (len(sources), len(targets))
        if not sources or not targets:
            empty = np.zeros(shape)
            return Table(metric, sources, targets, empty, None if costs is None else empty, None if costs is None
                         else empty)  # fmt: skip
        roots, row = np.unique([s.node for s in sources], return_inverse=True)
        reached, sums = _along_tree(self.graph, roots, search.tree_edges(roots), arrays)
        columns = np.array([t.node for t in targets])
        found = reached[row][:, columns]
        measured = [np.where(found, total[row][:, columns], np.inf) for total in sums]
        km = measured[0] / 1000.0
        if costs is None:
            return Table(metric, sources, targets, km, None, None)
        return Table(metric, sources, targets, km, measured[1] / 60.0, measured[2])

    def routes(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        *,
        params: EnergyParams,
        departs_hour: float = 8.0,
        weekday: int = 0,
        ambient_c: float = 20.0,
        driving_scale: float = 1.0,
        metrics: tuple[str, ...] = METRICS,
    ) -> RoutePlan:
        """The shortest, fastest and least-energy routes from ``origin`` to ``destination`` ((lat, lon) degrees),
        each measured in km, minutes and kWh."""
        conditions = Conditions(params, departs_hour, weekday, ambient_c, driving_scale)
        start = self.snap(*origin, field="origin")
        end = self.snap(*destination, field="destination")
        plan = RoutePlan(start, end, ambient_c=round(float(ambient_c), 1))
        for metric in metrics:
            plan.routes[metric] = self.route(start, end, metric, conditions)
        return plan


def differences(routes: dict[str, Route], *, against: str = "fastest") -> dict[str, dict[str, float]]:
    """Each route's km, minutes and kWh against one of them: relative (%) for km and kWh, absolute minutes."""
    base = routes.get(against)
    if base is None:
        return {}
    out = {}
    for metric, route in routes.items():
        out[metric] = {
            "km_percent": _percent(route.km, base.km),
            "kwh_percent": _percent(route.kwh, base.kwh),
            "minutes": round(route.minutes - base.minutes, 1),
        }
    return out


def _percent(value: float, base: float) -> float:
    return round((value - base) / base * 100.0, 1) if base > 0 else 0.0
