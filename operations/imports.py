"""CSV import of trips and of duty schedules, with a dry run.

Every row is checked as the services check it (a departure in the past, an overlap with the vehicle's other trips
and with the file's own other rows, a trip beyond a full battery, a vehicle, depot or route the user cannot reach,
bad numbers, dates and times) and every row's errors are listed, each naming its row and column. Nothing is stored
unless every row is valid: the rows are written in one transaction, rolled back when any row failed or on a dry
run (the audit log entries and live events go with it).

The file: UTF-8 (a byte-order mark is fine), at most 5 MB, a header line naming the columns (any order, letter
case ignored), comma-separated (a header with semicolons and no comma is read as semicolon-separated, as
spreadsheets in many European locales save it). Rows are numbered as a spreadsheet shows them: the header is row
1, the first trip row 2. docs/operations.md lists the columns with an example.

Times: a value with a UTC offset (``2027-01-13T06:30:00+01:00`` or ``...Z``) is that instant; a value without
one (``2027-01-13 06:30``) is the local time in the depot's zone (the hour skipped when clocks go forward moves on
by the gap; a repeated hour is its first occurrence, as `services.local_datetime` reads it)."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from operations import services
from operations.models import WEEKDAYS, DutySchedule, RoadMix, Route, Trip
from stations.models import Site

MAX_BYTES = 5 * 1024 * 1024
TRIP_COLUMNS = ("vehicle", "depot", "departs_at", "returns_at", "distance_km", "route", "road_mix", "notes")
TRIP_REQUIRED = ("vehicle", "depot", "departs_at", "returns_at")
SCHEDULE_COLUMNS = (
    "name", "vehicle", "depot", "weekdays", "departs_local", "returns_local", "distance_km", "route", "road_mix",
    "valid_from", "valid_until", "active",
)  # fmt: skip
SCHEDULE_REQUIRED = ("name", "vehicle", "depot", "departs_local", "returns_local", "valid_from")
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the header line
    field: str  # the column ("" for the file as a whole)
    message: str


@dataclass
class ImportResult:
    rows: int = 0  # data rows read (the header not counted)
    created: list = field(default_factory=list)  # the trips or schedules stored (a dry run: those that would be)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def stored(self) -> int:
        return 0 if self.dry_run or self.errors else len(self.created)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "valid_rows": self.rows - len({e.row for e in self.errors if e.row > 1}),
            "created": self.stored,
            "dry_run": self.dry_run,
            "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors],
        }


class _RowInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors


def decode(data: bytes | str) -> tuple[str | None, RowError | None]:
    """The text of an upload, or the error saying why it cannot be read (too large, not UTF-8, empty)."""
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        return None, RowError(
            0, "", f"The file has {len(raw) / 1024 / 1024:.1f} MB; at most 5 MB per import: split it into several."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, RowError(
            0,
            "",
            f"The file is not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start + 1}): save it as "
            '"CSV UTF-8" and import it again.',
        )
    if "\x00" in text:
        return None, RowError(0, "", 'The file holds NUL bytes, so it is no CSV text: save it as "CSV UTF-8".')
    if not text.strip():
        return None, RowError(0, "", "The file is empty: give a header line and at least one row.")
    return text, None


def _read(text: str, columns: tuple[str, ...], required: tuple[str, ...], result: ImportResult) -> list[dict]:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as e:
        result.errors.append(RowError(reader.line_num, "", f"The CSV cannot be read here: {e}. Check the quotes."))
        return []
    header = [h.strip().lower() for h in lines[0]] if lines else []
    expected = ",".join(columns)
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    also = f"; {', '.join(repr(m) for m in missing)} {'is' if len(missing) == 1 else 'are'} missing" if missing else ""
    for name in unknown:  # a misspelt column: one error, naming what is missing with it
        shown = name or "(an empty column name)"
        result.errors.append(
            RowError(1, name, f"Unknown column {shown!r}{also}; the header is (optional columns may be left out): "
                     f"{expected}")
        )  # fmt: skip
    for name in missing if not unknown else ():
        result.errors.append(
            RowError(1, name, f"The column {name!r} is missing; the header is (optional columns may be left out): "
                     f"{expected}")
        )  # fmt: skip
    for name in repeated:
        result.errors.append(RowError(1, name, f"The column {name!r} appears twice; give each column once."))
    if result.errors:
        return []
    rows = []
    for number, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue  # a blank line, as spreadsheets leave at the end
        if len(values) > len(header):
            result.errors.append(
                RowError(number, "", f"The row has {len(values)} values for {len(header)} columns: check the commas "
                         "(quote a value that holds one).")
            )  # fmt: skip
            continue
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        row["_row"] = number
        rows.append(row)
    result.rows = len(rows) + len({e.row for e in result.errors if e.row > 1})
    if not rows and not result.errors:
        result.errors.append(RowError(2, "", "The file has a header but no rows: add a row for each item."))
    return rows


# --- values -----------------------------------------------------------------------------------------------------


class _Lookups:
    """The user's vehicles, depots and routes named in the file, read in three queries."""

    def __init__(self, user: User, rows: list[dict]):
        keys = {r.get("vehicle", "") for r in rows} - {""}
        vehicles = scoped(Vehicle.objects.select_related("vehicle_model", "department"), user).filter(
            Q(fleet_number__in=keys) | Q(vin__in={k.upper() for k in keys})
        )
        self.vehicles: dict[str, list[Vehicle]] = {}
        for v in vehicles:
            for key in {v.fleet_number, v.vin}:
                if key:
                    self.vehicles.setdefault(key.upper(), []).append(v)
        depots = {r.get("depot", "") for r in rows} - {""}
        ids = {int(d) for d in depots if d.isdigit() and len(d) < 19}
        sites = scoped(Site.objects.select_related("department"), user).filter(Q(name__in=depots) | Q(pk__in=ids))
        self.sites = list(sites)
        routes = {r.get("route", "") for r in rows} - {""}
        self.routes = list(scoped(Route.objects.prefetch_related("stops"), user).filter(name__in=routes))

    def vehicle(self, key: str) -> Vehicle:
        found = self.vehicles.get(key.upper(), [])
        if not found:
            raise _RowInvalid({"vehicle": f"No vehicle with fleet number or VIN {key!r} in your departments."})
        if len(found) > 1:
            raise _RowInvalid({"vehicle": f"Several vehicles have fleet number {key!r}: give the VIN instead."})
        return found[0]

    def depot(self, key: str, vehicle: Vehicle) -> Site:
        found = [s for s in self.sites if s.name == key or (key.isdigit() and str(s.pk) == key)]
        own = [s for s in found if s.department_id == vehicle.department_id]
        if len(own) == 1 or (len(found) == 1 and not own):
            return (own or found)[0]
        if not found:
            raise _RowInvalid({"depot": f"No site named {key!r} (or with that id) in your departments."})
        raise _RowInvalid({"depot": f"Several sites are named {key!r}: give the site's id instead."})

    def route(self, name: str, vehicle: Vehicle) -> Route:
        found = [r for r in self.routes if r.name == name and r.department_id == vehicle.department_id]
        if not found:
            raise _RowInvalid({"route": f"No route named {name!r} in {vehicle}'s department."})
        return found[0]


def _number(row: dict, name: str) -> float | None:
    value = row.get(name, "")
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        hint = " (use a point as the decimal mark)" if "," in value else ""
        raise _RowInvalid({name: f"{value!r} is not a number{hint}, e.g. 140 or 82.5."}) from None
    if not math.isfinite(number):
        raise _RowInvalid({name: f"{value!r} is not a number, e.g. 140 or 82.5."})
    return number


def _moment(row: dict, name: str, zone: ZoneInfo) -> datetime:
    value = row.get(name, "")
    if not value:
        raise _RowInvalid({name: "Give a date and time, e.g. 2027-01-13 06:30 (the depot's local time)."})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _RowInvalid(
            {name: f"{value!r} is no date and time: write 2027-01-13 06:30 (the depot's local time) or with an "
             "offset, 2027-01-13T06:30:00+01:00."}
        ) from None  # fmt: skip
    if not (1970 <= parsed.year < 2200):
        raise _RowInvalid({name: f"Give a date from 1970 to 2199; got {value!r}."})
    if parsed.tzinfo is None:
        return services.local_datetime(parsed.date(), parsed.time().replace(fold=0), zone)
    return parsed


def _time(row: dict, name: str) -> time | None:
    value = row.get(name, "")
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise _RowInvalid({name: f"{value!r} is no time of day: write it as 06:30."}) from None


def _date(row: dict, name: str) -> date | None:
    value = row.get(name, "")
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _RowInvalid({name: f"{value!r} is no date: write it as 2027-01-13."}) from None
    if not (1970 <= parsed.year < 2200):
        raise _RowInvalid({name: f"Give a date from 1970 to 2199; got {value!r}."})
    return parsed


def _road_mix(row: dict, default: str) -> str:
    value = row.get("road_mix", "").lower()
    if not value:
        return default
    if value not in RoadMix.values:
        raise _RowInvalid({"road_mix": f"{value!r} is not a road mix; give one of {', '.join(RoadMix.values)}."})
    return value


def _messages(e: ValidationError) -> dict[str, str]:
    if hasattr(e, "error_dict"):
        return {
            ("" if name == "__all__" else name): " ".join(str(m) for m in ValidationError(errors).messages)
            for name, errors in e.error_dict.items()
        }
    return {"": " ".join(e.messages)}


def _add(result: ImportResult, row: int, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        result.errors.append(RowError(row, name, message))


def _run(result: ImportResult, dry_run: bool, body) -> ImportResult:
    """Run `body` in one transaction, rolled back on a dry run or when any row failed."""
    with transaction.atomic():
        body()
        if dry_run or result.errors:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda e: (e.row, e.field))
    return result


# --- trips ------------------------------------------------------------------------------------------------------


def _trip_fields(row: dict, lookups: _Lookups) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for name, read in (
        ("vehicle", lambda: lookups.vehicle(row["vehicle"])),
        ("distance_km", lambda: _number(row, "distance_km")),
    ):
        try:
            data[name] = read()
        except _RowInvalid as e:
            errors.update(e.errors)
    vehicle = data.get("vehicle")
    if vehicle is not None:
        for name, read in (
            ("depot", lambda: lookups.depot(row["depot"], vehicle)),
            ("route", lambda: lookups.route(row["route"], vehicle) if row.get("route") else None),
        ):
            try:
                data[name] = read()
            except _RowInvalid as e:
                errors.update(e.errors)
    zone = ZoneInfo(data["depot"].time_zone) if data.get("depot") else None
    for name in ("departs_at", "returns_at"):
        try:  # without a depot the row has an error already: the time is only checked for its form
            data[name] = _moment(row, name, zone or ZoneInfo("UTC"))
        except _RowInvalid as e:
            errors.update(e.errors)
    try:
        route = data.get("route")
        data["road_mix"] = _road_mix(row, route.road_mix if route else RoadMix.MIXED)
    except _RowInvalid as e:
        errors.update(e.errors)
    if not row.get("route") and not row.get("distance_km") and "distance_km" not in errors:
        errors["distance_km"] = "Give a distance in km or the name of a route."
    if errors:
        raise _RowInvalid(errors)
    data["notes"] = row.get("notes", "")[:250]
    if data.get("route") is not None:
        data.setdefault("distance_km", None)
    return data


def import_trips(*, actor: User | None, user: User, csv_text: str | bytes, dry_run: bool) -> ImportResult:
    """Check (and unless `dry_run` or any row fails, store) the trips of a CSV file; every row's errors listed."""
    result = ImportResult(dry_run=dry_run)
    text, problem = decode(csv_text)
    if problem:
        result.errors.append(problem)
        return result
    rows = _read(text, TRIP_COLUMNS, TRIP_REQUIRED, result)
    if not rows:
        return result
    lookups = _Lookups(user, rows)
    now = timezone.now()

    def body():
        parsed: list[tuple[int, dict]] = []
        for row in rows:
            try:
                parsed.append((row["_row"], _trip_fields(row, lookups)))
            except _RowInvalid as e:
                _add(result, row["_row"], e.errors)
        for number, data in parsed:
            other = _overlapping_row(number, data, parsed)
            if other is not None:
                _add(result, number, {"departs_at": f"Overlaps row {other} (the same vehicle, {data['vehicle']}): "
                                                   "move one of the two."})  # fmt: skip
                continue
            try:
                with transaction.atomic():
                    result.created.append(services.trip_create(actor=actor, now=now, **data))
            except ValidationError as e:
                _add(result, number, _messages(e))

    return _run(result, dry_run, body)


def _overlapping_row(number: int, data: dict, parsed: list[tuple[int, dict]]) -> int | None:
    """The first earlier row of the file with the same vehicle whose time overlaps this one's."""
    for other_number, other in parsed:
        if other_number >= number:
            return None
        if (
            other["vehicle"].pk == data["vehicle"].pk
            and other["departs_at"] < data["returns_at"]
            and data["departs_at"] < other["returns_at"]
        ):
            return other_number
    return None


# --- duty schedules ---------------------------------------------------------------------------------------------


def _schedule_fields(row: dict, lookups: _Lookups) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"name": row.get("name", "")}
    if not data["name"]:
        errors["name"] = "Give the schedule a name, e.g. Early round."
    try:
        data["vehicle"] = lookups.vehicle(row.get("vehicle", ""))
        data["department"] = data["vehicle"].department
    except _RowInvalid as e:
        errors.update(e.errors)
    if "vehicle" in data:
        for name, read in (
            ("depot", lambda: lookups.depot(row["depot"], data["vehicle"])),
            ("route", lambda: lookups.route(row["route"], data["vehicle"]) if row.get("route") else None),
        ):
            try:
                data[name] = read()
            except _RowInvalid as e:
                errors.update(e.errors)
    readers = (
        ("departs_local", lambda: _time(row, "departs_local")),
        ("returns_local", lambda: _time(row, "returns_local")),
        ("distance_km", lambda: _number(row, "distance_km")),
        ("valid_from", lambda: _date(row, "valid_from")),
        ("valid_until", lambda: _date(row, "valid_until")),
        ("road_mix", lambda: _road_mix(row, data["route"].road_mix if data.get("route") else RoadMix.MIXED)),
    )
    for name, read in readers:
        try:
            data[name] = read()
        except _RowInvalid as e:
            errors.update(e.errors)
    weekdays = row.get("weekdays", "").lower().replace(" ", "") or "mon,tue,wed,thu,fri"
    wrong = [d for d in weekdays.split(",") if d not in WEEKDAYS]
    if wrong:
        errors["weekdays"] = f"{', '.join(wrong)} is no weekday; write e.g. mon,tue,wed (any of {','.join(WEEKDAYS)})."
    data["weekdays"] = weekdays
    active = row.get("active", "").lower() or "true"
    if active not in TRUE | FALSE:
        errors["active"] = f"{row['active']!r}: write true or false."
    data["active"] = active in TRUE
    for name in ("departs_local", "returns_local", "valid_from"):
        if data.get(name) is None and name not in errors:
            errors[name] = "This column needs a value in every row."
    if not row.get("route") and not row.get("distance_km") and "distance_km" not in errors:
        errors["distance_km"] = "Give a distance in km or the name of a route."
    if errors:
        raise _RowInvalid(errors)
    return data


def import_schedules(*, actor: User | None, user: User, csv_text: str | bytes, dry_run: bool) -> ImportResult:
    """Check (and unless `dry_run` or any row fails, store) the duty schedules of a CSV file. A schedule whose
    departures collide with the vehicle's other trips (or with another row's schedule) is an error of its row."""
    result = ImportResult(dry_run=dry_run)
    text, problem = decode(csv_text)
    if problem:
        result.errors.append(problem)
        return result
    rows = _read(text, SCHEDULE_COLUMNS, SCHEDULE_REQUIRED, result)
    if not rows:
        return result
    lookups = _Lookups(user, rows)
    now = timezone.now()
    row_of: dict[int, int] = {}  # schedule id -> its row, to name a row rather than a trip the file itself made

    def body():
        for row in rows:
            number = row["_row"]
            try:
                data = _schedule_fields(row, lookups)
            except _RowInvalid as e:
                _add(result, number, e.errors)
                continue
            try:
                with transaction.atomic():
                    schedule = services.schedule_create(actor=actor, now=now, **data)
                    skipped = _skipped(schedule, now, row_of)
                    if skipped:
                        raise ValidationError({"departs_local": skipped})
                result.created.append(schedule)
                row_of[schedule.pk] = number
            except ValidationError as e:
                _add(result, number, _messages(e))

    return _run(result, dry_run, body)


TRIP_NAMED = re.compile(r"\(trip (\d+)\)")


def _skipped(schedule: DutySchedule, now: datetime, row_of: dict[int, int]) -> str:
    """Why some of the schedule's departures could not become trips (an overlap, beyond range), or "". A trip of
    a schedule of an earlier row of the file (which will not exist if the import fails) is named by that row."""
    made = set(schedule.trips.values_list("departs_at", flat=True))
    generated = services.schedule_generate(schedule=schedule, now=now)  # idempotent: only what was skipped
    skipped = [(at, why) for at, why in generated["skipped"] if at not in made]
    if not skipped:
        return ""
    first_at, why = skipped[0]
    named = TRIP_NAMED.search(why)
    if named:
        other = Trip.objects.filter(pk=int(named.group(1))).values_list("schedule_id", flat=True).first()
        if other in row_of:
            why = why.replace(named.group(0), f"(a trip of the schedule in row {row_of[other]})")
    zone = ZoneInfo(schedule.depot.time_zone)
    return (
        f"{len(skipped)} of its departures cannot be booked; the first, {first_at.astimezone(zone):%Y-%m-%d %H:%M}: "
        f"{why}"
    )


def result_trips(result: ImportResult) -> list[Trip]:
    return [t for t in result.created if isinstance(t, Trip)]
