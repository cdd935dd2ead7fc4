"""Telemetry ingest: validate a batch of up to 10,000 readings, store the valid ones once, report the rest.

The batch is validated in plain Python (a serializer per point would cost more than the insert),
the valid points go to the database in one set-based INSERT ... ON CONFLICT DO NOTHING (PostgreSQL:
a binary COPY into a temporary table first; SQLite: executemany), and each vehicle's current state
follows its newest point through one guarded UPDATE, so a late or concurrent batch never winds it back.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import Action, activity_record
from accounts.models import User
from accounts.scoping import scoped
from evfleet import live_events, realtime
from fleet.models import TelemetryPoint, Vehicle

MEASUREMENTS = (
    "soc_percent",
    "odometer_km",
    "latitude",
    "longitude",
    "speed_kmh",
    "battery_temperature_c",
    "power_kw",
)
IDENTITY_FIELDS = ("vehicle", "vin", "recorded_at")
ALLOWED_FIELDS = frozenset(IDENTITY_FIELDS + MEASUREMENTS)
OLDEST_ACCEPTED = timedelta(days=3650)


def _bounds(name: str) -> tuple[float | None, float | None]:
    low = high = None
    for validator in TelemetryPoint._meta.get_field(name).validators:
        if isinstance(validator, MinValueValidator):
            low = float(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = float(validator.limit_value)
    return low, high


# The model's validators are the one source of the allowed ranges (and of the OpenAPI schema's).
# Every measurement has both bounds; a NaN or infinity fails the range test as well.
BOUNDS = {name: _bounds(name) for name in MEASUREMENTS}
POSITION = {name: i for i, name in enumerate(MEASUREMENTS)}
UNITS = {
    "soc_percent": "%",
    "odometer_km": "km",
    "latitude": "°",
    "longitude": "°",
    "speed_kmh": "km/h",
    "battery_temperature_c": "°C",
    "power_kw": "kW",
}


class BatchTooLarge(Exception):
    def __init__(self, size: int):
        self.size = size
        super().__init__(size)


@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    vehicles_updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "vehicles_updated": self.vehicles_updated,
            "errors": self.errors,
        }


@dataclass(slots=True)
class _Point:
    index: int
    vehicle_id: int
    recorded_at: datetime
    values: tuple  # in MEASUREMENTS order


def _error(index: int, field_name: str, code: str, message: str) -> dict[str, Any]:
    return {"index": index, "field": field_name, "code": code, "message": message}


def _parse_time(raw: Any, now: datetime) -> tuple[datetime | None, tuple[str, str] | None]:
    if not isinstance(raw, str):
        return None, ("invalid_type", "Give recorded_at as an ISO 8601 string with offset, e.g. 2026-11-24T08:00:00Z.")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None, ("invalid_datetime", f"'{raw[:40]}' is not ISO 8601; use e.g. 2026-11-24T08:00:00Z.")
    if moment.tzinfo is None:
        return None, ("naive_datetime", "recorded_at needs a UTC offset (Z or +01:00) so the instant is unambiguous.")
    moment = moment.astimezone(UTC)
    skew = settings.TELEMETRY_MAX_CLOCK_SKEW_S
    if moment > now + timedelta(seconds=skew):
        return None, ("in_future", f"recorded_at lies more than {skew} s in the future; check the vehicle's clock.")
    if moment < now - OLDEST_ACCEPTED:
        return None, ("too_old", "recorded_at is more than 10 years old; check the vehicle's clock.")
    return moment, None


def _resolve_vehicles(points: list, user: User) -> tuple[dict[int, dict], dict[str, int]]:
    ids, vins = set(), set()
    for raw in points:
        if isinstance(raw, dict):
            vehicle, vin = raw.get("vehicle"), raw.get("vin")
            if isinstance(vehicle, int) and not isinstance(vehicle, bool):
                ids.add(vehicle)
            elif isinstance(vin, str):
                vins.add(vin.strip().upper())
    if not ids and not vins:
        return {}, {}
    # One condition per kind of reference actually used: an OR of both would keep the planner off the indexes.
    match = Q(pk__any=ids) if ids else Q()
    if vins:
        match = match | Q(vin__any=vins) if ids else Q(vin__any=vins)
    fields = ("id", "vin", "department_id", "odometer_km", "last_telemetry_at")
    rows = scoped(Vehicle.objects.all(), user).filter(match).values_list(*fields)
    by_id = {row[0]: dict(zip(fields, row)) for row in rows}
    return by_id, {row["vin"]: row["id"] for row in by_id.values()}


def _validate(points: list, user: User, result: IngestResult) -> tuple[list[_Point], dict[int, dict]]:
    now = timezone.now()
    vehicles, id_by_vin = _resolve_vehicles(points, user)
    candidates: list[_Point] = []
    errors = result.errors
    for index, raw in enumerate(points):
        if not isinstance(raw, dict):
            errors.append(_error(index, "non_field_errors", "invalid_type", "Each point is a JSON object."))
            continue
        failed = False
        unknown = raw.keys() - ALLOWED_FIELDS
        for name in sorted(unknown):
            errors.append(
                _error(
                    index,
                    name,
                    "unknown_field",
                    f"Unknown field '{name}'; allowed: {', '.join(sorted(ALLOWED_FIELDS))}.",
                )
            )
            failed = True
        vehicle_ref, vin = raw.get("vehicle"), raw.get("vin")
        if vehicle_ref is not None:
            if not isinstance(vehicle_ref, int) or isinstance(vehicle_ref, bool):
                errors.append(_error(index, "vehicle", "invalid_type", "vehicle is the numeric vehicle id."))
                failed, vehicle_id = True, None
            else:
                vehicle_id = vehicle_ref if vehicle_ref in vehicles else None
                if vehicle_id is None:
                    errors.append(
                        _error(
                            index,
                            "vehicle",
                            "unknown_vehicle",
                            f"No vehicle with id {vehicle_ref} in your departments.",
                        )
                    )
                    failed = True
                elif isinstance(vin, str) and vehicles[vehicle_id]["vin"] != vin.strip().upper():
                    errors.append(
                        _error(
                            index, "vin", "vehicle_mismatch", f"vin {vin[:20]} is not the VIN of vehicle {vehicle_ref}."
                        )
                    )
                    failed = True
        elif vin is not None:
            vehicle_id = id_by_vin.get(vin.strip().upper()) if isinstance(vin, str) else None
            if vehicle_id is None:
                errors.append(
                    _error(index, "vin", "unknown_vehicle", f"No vehicle with VIN {str(vin)[:20]} in your departments.")
                )
                failed = True
        else:
            errors.append(_error(index, "vehicle", "required", "Identify the vehicle by 'vehicle' (id) or 'vin'."))
            failed, vehicle_id = True, None
        moment, problem = (
            (None, ("required", "recorded_at is required."))
            if "recorded_at" not in raw
            else _parse_time(raw["recorded_at"], now)
        )
        if problem:
            errors.append(_error(index, "recorded_at", *problem))
            failed = True
        values = [None] * len(MEASUREMENTS)
        present = 0
        # Only the keys present are looked at: a reading usually carries a few of the seven measurements.
        for name, value in raw.items():
            position = POSITION.get(name)
            if position is None or value is None:
                continue
            kind = type(value)
            if kind is not float and kind is not int:  # bool is a subclass of int, not int itself
                errors.append(_error(index, name, "invalid_type", f"{name} is a number in {UNITS[name]}."))
                failed = True
                continue
            low, high = BOUNDS[name]
            if not (low <= value <= high):
                message = f"{name} must lie between {low:g} and {high:g} {UNITS[name]}; got {value:g}."
                errors.append(_error(index, name, "out_of_range", message))
                failed = True
            values[position] = float(value)
            present += 1
        if not present and not failed:
            errors.append(
                _error(index, "non_field_errors", "no_measurement", f"Give at least one of: {', '.join(MEASUREMENTS)}.")
            )
            failed = True
        if not failed:
            candidates.append(_Point(index, vehicle_id, moment, tuple(values)))
    return candidates, vehicles


def _check_odometer(candidates: list[_Point], vehicles: dict[int, dict], result: IngestResult) -> list[_Point]:
    """Drop in-batch duplicates and points whose odometer runs backwards beyond the tolerance."""
    tolerance = settings.TELEMETRY_ODOMETER_TOLERANCE_KM
    odo_at = MEASUREMENTS.index("odometer_km")
    by_vehicle: dict[int, list[_Point]] = defaultdict(list)
    for point in candidates:
        by_vehicle[point.vehicle_id].append(point)
    accepted: list[_Point] = []
    for vehicle_id, points in by_vehicle.items():
        points.sort(key=lambda p: (p.recorded_at, p.index))
        stored = vehicles[vehicle_id]
        last_at, stored_odo = stored["last_telemetry_at"], stored["odometer_km"]
        previous_odo, previous_at = None, None
        for point in points:
            if point.recorded_at == previous_at:
                result.duplicates += 1
                continue
            odo = point.values[odo_at]
            if odo is not None:
                reason = None
                if previous_odo is not None and odo < previous_odo - tolerance:
                    reason = f"odometer_km {odo:g} km is below the batch's earlier reading {previous_odo:g} km"
                elif last_at is not None and point.recorded_at > last_at and odo < stored_odo - tolerance:
                    reason = f"odometer_km {odo:g} km is below the vehicle's stored {stored_odo:g} km"
                elif last_at is not None and point.recorded_at <= last_at and odo > stored_odo + tolerance:
                    reason = f"odometer_km {odo:g} km is above the later stored reading {stored_odo:g} km"
                if reason:
                    result.errors.append(
                        _error(
                            point.index,
                            "odometer_km",
                            "odometer_backwards",
                            f"{reason}; odometers only count up (tolerance {tolerance:g} km).",
                        )
                    )
                    continue
                previous_odo = odo
            previous_at = point.recorded_at
            accepted.append(point)
    return accepted


def _copy_rows(cursor, buffer: str, columns: list[tuple[str, str]], rows) -> None:
    """PostgreSQL: binary-COPY `rows` into a temporary table emptied at commit."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns)
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {buffer} ({definition}) ON COMMIT DELETE ROWS")
    names = ", ".join(name for name, _ in columns)
    with cursor.cursor.copy(f"COPY {buffer} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([kind for _, kind in columns])
        for row in rows:
            copy.write_row(row)


def _insert(points: list[_Point]) -> int:
    table = TelemetryPoint._meta.db_table
    columns = ["vehicle_id", "recorded_at", *MEASUREMENTS]
    column_sql = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Binary COPY into a transaction-local buffer, then one INSERT ... ON CONFLICT: no
            # parameter is rendered as text, and duplicates are skipped by the unique index.
            _copy_rows(
                cursor,
                "telemetry_ingest_buffer",
                [("vehicle_id", "int8"), ("recorded_at", "timestamptz"), *((m, "float8") for m in MEASUREMENTS)],
                ((p.vehicle_id, p.recorded_at, *p.values) for p in points),
            )
            cursor.execute(
                f"INSERT INTO {table} ({column_sql}) SELECT {column_sql} FROM telemetry_ingest_buffer "
                "ON CONFLICT (vehicle_id, recorded_at) DO NOTHING"
            )
            return cursor.rowcount
        adapt = connection.ops.adapt_datetimefield_value
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders}) "
            "ON CONFLICT (vehicle_id, recorded_at) DO NOTHING",
            [(p.vehicle_id, adapt(p.recorded_at), *p.values) for p in points],
        )
        return cursor.rowcount


_STATE_FIELDS = {
    "soc_percent": "soc_percent",
    "odometer_km": "odometer_km",
    "latitude": "last_latitude",
    "longitude": "last_longitude",
}


def _newest_states(points: list[_Point], vehicles: dict[int, dict]) -> list[dict[str, Any]]:
    """Per vehicle, the newest value of each state field among points newer than what is stored."""
    states: dict[int, dict[str, Any]] = {}
    positions = {name: MEASUREMENTS.index(name) for name in _STATE_FIELDS}
    for point in sorted(points, key=lambda p: p.recorded_at):
        last_at = vehicles[point.vehicle_id]["last_telemetry_at"]
        if last_at is not None and point.recorded_at <= last_at:
            continue
        state = states.setdefault(point.vehicle_id, {"id": point.vehicle_id, **dict.fromkeys(_STATE_FIELDS.values())})
        state["last_telemetry_at"] = point.recorded_at
        for name, column in _STATE_FIELDS.items():
            value = point.values[positions[name]]
            if value is not None:
                state[column] = value
    return list(states.values())


def _update_vehicle_states(states: list[dict[str, Any]]) -> int:
    if not states:
        return 0
    table = Vehicle._meta.db_table
    columns = list(_STATE_FIELDS.values())
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_rows(
                cursor,
                "vehicle_state_buffer",
                [("id", "int8"), ("ts", "timestamptz"), *((c, "float8") for c in columns)],
                ((s["id"], s["last_telemetry_at"], *(s[c] for c in columns)) for s in states),
            )
            # Lock the rows in id order first: two batches about the same vehicles then queue
            # behind each other instead of deadlocking on rows taken in different orders.
            cursor.execute(
                f"SELECT 1 FROM {table} AS v JOIN vehicle_state_buffer AS u ON v.id = u.id "
                "ORDER BY v.id FOR NO KEY UPDATE OF v"
            )
            sets = ", ".join(f"{c} = COALESCE(u.{c}, v.{c})" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS v SET {sets}, last_telemetry_at = u.ts, updated_at = %s "
                "FROM vehicle_state_buffer AS u "
                "WHERE v.id = u.id AND (v.last_telemetry_at IS NULL OR v.last_telemetry_at < u.ts)",
                [now],
            )
            return cursor.rowcount
        adapt = connection.ops.adapt_datetimefield_value
        sets = ", ".join(f"{c} = COALESCE(%s, {c})" for c in columns)
        cursor.executemany(
            f"UPDATE {table} SET {sets}, last_telemetry_at = %s, updated_at = %s "
            "WHERE id = %s AND (last_telemetry_at IS NULL OR last_telemetry_at < %s)",
            [
                (
                    *(s[c] for c in columns),
                    adapt(s["last_telemetry_at"]),
                    adapt(now),
                    s["id"],
                    adapt(s["last_telemetry_at"]),
                )
                for s in states
            ],
        )
        return cursor.rowcount


def telemetry_ingest(*, actor: User, points: list) -> IngestResult:
    """Store the valid points of a batch (each once) and report every rejected one by index and field."""
    if len(points) > settings.TELEMETRY_BULK_MAX_POINTS:
        raise BatchTooLarge(len(points))
    result = IngestResult(received=len(points))
    candidates, vehicles = _validate(points, actor, result)
    accepted = _check_odometer(candidates, vehicles, result)
    result.rejected = len({e["index"] for e in result.errors})
    result.errors.sort(key=lambda e: e["index"])
    if not accepted:
        return result
    with transaction.atomic():
        inserted = _insert(accepted)
        result.accepted = inserted
        result.duplicates += len(accepted) - inserted
        states = _newest_states(accepted, vehicles)
        result.vehicles_updated = _update_vehicle_states(states)
        activity_record(
            action=Action.CREATE,
            instance=TelemetryPoint(),
            actor=actor,
            object_id="batch",
            object_repr=(
                f"Telemetry batch: {inserted} stored, {result.duplicates} duplicate(s), {result.rejected} rejected"
            ),
            changes={
                "accepted": [None, inserted],
                "duplicates": [None, result.duplicates],
                "rejected": [None, result.rejected],
            },
        )
        transaction.on_commit(lambda: _publish_states(states, vehicles))
    return result


def _publish_states(states: list[dict[str, Any]], vehicles: dict[int, dict]) -> None:
    by_department: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for state in states:
        by_department[vehicles[state["id"]]["department_id"]].append(state)
    for department_id, department_states in by_department.items():
        payload = live_events.render("vehicles.telemetry", vehicles=department_states)
        realtime.publish("vehicles.telemetry", payload, department_id=department_id, plain=True)
