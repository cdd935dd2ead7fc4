import numpy as np
import pytest

from routing.graph import HIGHWAY_CODE, GraphFormatError, RoadGraphData


def triangle(**changes) -> RoadGraphData:
    arrays = {
        "node_osm_id": [1, 2, 3],
        "node_lat": [60.0, 60.001, 60.002],
        "node_lon": [24.0, 24.001, 24.0],
        "node_elevation_m": [np.nan, 10.0, 12.0],
        "edge_u": [0, 1, 2],
        "edge_v": [1, 2, 0],
        "edge_length_m": [130.0, 140.0, 222.0],
        "edge_maxspeed_kmh": [30.0, np.nan, 50.0],
        "edge_highway": [HIGHWAY_CODE["residential"], HIGHWAY_CODE["primary"], HIGHWAY_CODE["service"]],
        "edge_osm_way_id": [10, 11, 12],
    }
    arrays.update(changes)
    return RoadGraphData(**arrays)


def test_a_graph_round_trips_through_its_stored_bytes_with_unknown_values_kept():
    graph = triangle()
    again = RoadGraphData.from_bytes(graph.to_bytes(), meta={"name": "t"})
    assert again.node_count == 3 and again.edge_count == 3 and again.meta == {"name": "t"}
    np.testing.assert_array_equal(again.edge_v, graph.edge_v)
    assert np.isnan(again.node_elevation_m[0]) and np.isnan(again.edge_maxspeed_kmh[1])
    assert again.bounds() == (60.0, 24.0, 60.002, 24.001)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"node_lon": [24.0, 24.001]}, "node_lon"),
        ({"edge_v": [1, 2, 3]}, "edge_v"),
        ({"edge_length_m": [1.0, -2.0, 3.0]}, "edge_length_m"),
        ({"edge_highway": [0, 1, 99]}, "edge_highway"),
        ({"node_lat": [95.0, 60.0, 60.0]}, "node_lat"),
    ],
)
def test_a_graph_that_does_not_fit_names_the_array(changes, named):
    with pytest.raises(GraphFormatError, match=named):
        triangle(**changes)


def test_bytes_that_are_no_stored_graph_are_refused_with_the_fix():
    with pytest.raises(GraphFormatError, match="not a stored road graph"):
        RoadGraphData.from_bytes(b"nonsense")
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, format_version=np.int32(0), node_lat=np.zeros(1))
    with pytest.raises(GraphFormatError, match="re-import"):
        RoadGraphData.from_bytes(buffer.getvalue())
