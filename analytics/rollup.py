"""Daily rollups: each local day's figures per vehicle, per site, per connector, computed once from the raw rows
(telemetry, sessions, meter samples, connector status history, carbon intensity) so that the dashboard and the
reports sum a few small rows instead of millions of raw ones.

A day is a local calendar day: the department's for what vehicles do on the road, the site's for charging. A
rebuild deletes and re-inserts the rows of the days it covers, so running it again gives the same rows.

How the raw data becomes figures:
- Distance: the sum of odometer increases between consecutive readings of the day (the first reading of the day
  counts from the last one before midnight, up to CONSUMPTION_MAX_GAP earlier).
- Energy consumed: driving power (negative power_kw) held from a reading to the next, when they are at most
  CONSUMPTION_MAX_GAP apart (longer gaps: the vehicle may have been parked and off).
- A session belongs to the day it started: its count, energy, cost and emissions.
- A session's energy over time comes from its meter samples' energy register; what they do not cover (or all
  of it, without samples) is spread evenly over the session. That profile gives the emissions hour by hour (the
  zone's hourly intensity, else its regional factor, else ANALYTICS_DEFAULT_GCO2E_PER_KWH) and the site's demand
  per 15-minute interval, whose highest value is the day's peak.
- Connector hours in use: the overlap of sessions with the day. Available: the connector's availability over the
  day (`stations.status.availability`, the definition the connector's endpoint uses too): not Faulted,
  Unavailable or Unknown (offline, or no status yet) and outside its charge point's maintenance windows.
"""

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Department
from analytics.consumption import Expectations, HourUsage, SiteInfo, VehicleInfo
from analytics.models import (
    CarbonIntensity,
    ChargingDay,
    ChargingGroupDay,
    ConnectorDay,
    RollupState,
    SiteDay,
    UsageGroupDay,
    VehicleDay,
)
from charging.models import ChargingSession, MeterSample
from fleet.models import TelemetryPoint, Vehicle
from simulation.models import WeatherHour
from stations.models import Connector, ConnectorStatusChange, MaintenanceWindow, Site
from stations.status import availability

CONSUMPTION_MAX_GAP = timedelta(hours=3)
WEATHER_FROM_NORMALS = "normals"  # WeatherHour.source of the weather feed's offline default
INTERVAL_S = 900  # demand is measured as 15-minute averages
Status = ChargingSession.Status
NOT_CHARGED = (Status.PENDING, Status.FAILED, Status.ABORTED)


def local_window(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in `zone`, as UTC instants."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- Vehicles on the road ----------------------------------------------------------------------------------------


def _seconds_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _floor(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR({expression}) AS INTEGER)"
    return f"CAST({expression} AS INTEGER)"  # truncation: the expression is never negative where it is read


# Per vehicle and hour of the local day (whole hours since its midnight): distance, driving energy, readings, the
# time on a trip and the speed over it (its stops included, as the energy model's mean speed is), the time drawing
# driving power, stops, and the sums of the positions.
_HELD = "t.gap_s > 0 AND t.gap_s <= %(max_gap)s"
# On a trip: moving, or standing with the drive drawing power (in traffic, at a light); not parked and off.
_ON_TRIP = "(t.prev_speed > 0 OR (t.prev_speed = 0 AND t.prev_power < 0))"
USAGE_SQL = f"""
SELECT t.vehicle_id, t.hour,
       COALESCE(SUM(CASE WHEN t.prev_odometer IS NOT NULL AND t.odometer_km > t.prev_odometer
                         THEN t.odometer_km - t.prev_odometer ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN t.prev_power < 0 AND {_HELD} THEN -t.prev_power * t.gap_s / 3600.0 ELSE 0 END), 0),
       COUNT(*),
       COALESCE(SUM(CASE WHEN {_ON_TRIP} AND {_HELD} THEN t.gap_s ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN {_ON_TRIP} AND {_HELD} THEN t.prev_speed * t.gap_s ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN t.prev_power < 0 AND {_HELD} THEN t.gap_s ELSE 0 END), 0),
       SUM(CASE WHEN t.prev_speed > 0 AND t.speed_kmh = 0 AND {_HELD} THEN 1 ELSE 0 END),
       COALESCE(SUM(t.latitude), 0), COALESCE(SUM(t.longitude), 0), COUNT(t.latitude)
FROM (
    SELECT p.vehicle_id, p.recorded_at, p.odometer_km, p.speed_kmh,
           CASE WHEN p.longitude IS NULL THEN NULL ELSE p.latitude END AS latitude,
           CASE WHEN p.latitude IS NULL THEN NULL ELSE p.longitude END AS longitude,
           LAG(p.odometer_km) OVER w AS prev_odometer,
           LAG(p.power_kw) OVER w AS prev_power,
           LAG(p.speed_kmh) OVER w AS prev_speed,
           {{gap}} AS gap_s,
           {{hour}} AS hour
    FROM {{point}} AS p
    WHERE p.recorded_at >= %(lead_in)s AND p.recorded_at < %(end)s AND p.vehicle_id IN (
        SELECT v.id FROM {{vehicle}} AS v WHERE v.department_id IN ({{departments}}))
    WINDOW w AS (PARTITION BY p.vehicle_id ORDER BY p.recorded_at)
) AS t
WHERE t.recorded_at >= %(start)s
GROUP BY t.vehicle_id, t.hour
"""


def _stored_temperatures(site_ids: list[int], start: datetime, end: datetime) -> dict[tuple[int, int], float]:
    """(site id, UTC hour as epoch seconds) -> °C the weather feed stored for the sites in [start, end). The rows
    its offline default stored (source "normals") are left out: the rollup computes the normals itself, at the
    vehicle's position. One query."""
    if not site_ids:
        return {}
    rows = (
        WeatherHour.objects.filter(site_id__in=site_ids, hour__gte=start, hour__lt=end)
        .exclude(source=WEATHER_FROM_NORMALS)
        .values_list("site_id", "hour", "temperature_c")
    )
    return {(site_id, int(hour.timestamp())): temperature for site_id, hour, temperature in rows}


def rollup_vehicle_days(first: date, last: date, departments: Iterable[Department] | None = None) -> int:
    """Rebuild VehicleDay for the local days [first, last] of the departments (all by default): the figures, the
    day's conditions and the energy expected for them (analytics/consumption.py). Per time zone, three queries to
    start (vehicles, sites, stored weather) and per day one to read the telemetry and four to replace the rows,
    whatever the number of vehicles."""
    departments = list(departments if departments is not None else Department.objects.all())
    by_zone: dict[str, list[int]] = defaultdict(list)
    for department in departments:
        by_zone[department.time_zone].append(department.pk)
    written = 0
    for zone_name, department_ids in by_zone.items():
        zone = ZoneInfo(zone_name)
        vehicles = {
            pk: VehicleInfo(dept, model, make or "", name or "", variant or "", lat, lon)
            for pk, dept, model, make, name, variant, lat, lon in Vehicle.objects.filter(
                department_id__in=department_ids
            ).values_list(
                "pk", "department_id", "vehicle_model_id", "vehicle_model__make", "vehicle_model__name",
                "vehicle_model__variant", "last_latitude", "last_longitude",
            )
        }  # fmt: skip
        sites: dict[int, list[SiteInfo]] = defaultdict(list)
        for pk, dept, site_name, lat, lon in (
            Site.objects.filter(department_id__in=department_ids)
            .order_by("pk")
            .values_list("pk", "department_id", "name", "latitude", "longitude")
        ):
            sites[dept].append(SiteInfo(pk, site_name, lat, lon))
        zone_start, zone_end = local_window(first, last, zone)
        weather = _stored_temperatures([s.pk for group in sites.values() for s in group], zone_start, zone_end)
        expectations = Expectations(zone, sites, weather)
        sql = USAGE_SQL.format(
            point=TelemetryPoint._meta.db_table,
            vehicle=Vehicle._meta.db_table,
            departments=",".join(str(int(pk)) for pk in department_ids),
            gap=_seconds_between("p.recorded_at", "LAG(p.recorded_at) OVER w"),
            # half a millisecond more: SQLite's julianday arithmetic gives 35999.99999 s for ten hours
            hour=_floor(f"({_seconds_between('p.recorded_at', '%(start)s')} + 0.0005) / 3600.0"),
        )
        for day in _days(first, last):
            start, end = local_window(day, day, zone)
            params = {"start": start, "end": end, "lead_in": start - CONSUMPTION_MAX_GAP,
                      "max_gap": CONSUMPTION_MAX_GAP.total_seconds()}  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            usage: dict[int, list] = defaultdict(lambda: [0.0, 0.0, 0, []])  # km, kWh, readings, hours
            for vehicle_id, hour, distance, consumed, points, moving, speed, driving, stops, lat, lon, n in rows:
                if vehicle_id not in vehicles:
                    continue
                day_usage = usage[vehicle_id]
                day_usage[0] += float(distance)
                day_usage[1] += float(consumed)
                day_usage[2] += int(points or 0)
                day_usage[3].append(
                    HourUsage(int(hour), float(distance), float(moving), float(speed), float(driving), int(stops or 0),
                              float(lat), float(lon), int(n or 0))
                )  # fmt: skip
            conditions = {
                vehicle_id: (vehicles[vehicle_id], expectations.conditions(vehicles[vehicle_id], start, hours))
                for vehicle_id, (_km, _kwh, points, hours) in usage.items()
                if points
            }
            expectations.expect(conditions)
            objects = []
            for vehicle_id, (info, day_conditions) in conditions.items():
                distance, consumed, points, _hours = usage[vehicle_id]
                objects.append(
                    VehicleDay(
                        day=day,
                        vehicle_id=vehicle_id,
                        department_id=info.department_id,
                        vehicle_model_id=info.vehicle_model_id,
                        distance_km=round(distance, 3),
                        energy_consumed_kwh=round(consumed, 4),
                        telemetry_points=points,
                        ambient_temperature_c=day_conditions.ambient_temperature_c,
                        temperature_source=day_conditions.temperature_source,
                        temperature_place=day_conditions.temperature_place,
                        mean_speed_kmh=(
                            round(day_conditions.mean_speed_kmh, 2)
                            if day_conditions.mean_speed_kmh is not None
                            else None
                        ),
                        stops=day_conditions.stops,
                        expected_energy_kwh=day_conditions.expected_energy_kwh,
                        expected_missing=day_conditions.expected_missing,
                    )
                )
            groups: dict[tuple[int, int], UsageGroupDay] = {}
            for row in objects:
                group = groups.setdefault(
                    (row.department_id, row.vehicle_model_id),
                    UsageGroupDay(day=day, department_id=row.department_id, vehicle_model_id=row.vehicle_model_id),
                )
                group.vehicles += 1
                group.distance_km += row.distance_km
                group.energy_consumed_kwh += row.energy_consumed_kwh
            with transaction.atomic():
                VehicleDay.objects.filter(day=day, department_id__in=department_ids).delete()
                VehicleDay.objects.bulk_create(objects, batch_size=2000)
                UsageGroupDay.objects.filter(day=day, department_id__in=department_ids).delete()
                UsageGroupDay.objects.bulk_create(groups.values(), batch_size=2000)
            written += len(objects)
    return written


# --- Charging at sites -----------------------------------------------------------------------------------------


@dataclass
class _Session:
    pk: int
    connector_id: int
    vehicle_id: int | None
    department_id: int
    vehicle_model_id: int | None
    currency: str
    cost: Decimal
    energy_kwh: float
    start: float  # epoch seconds
    end: float
    counted: bool


def energy_profile(start: float, end: float, energy_kwh: float, samples: list[tuple[float, float]]):
    """Pieces (t0, t1, kWh) of a session's energy: between meter register readings where there are some, the
    rest spread evenly over the whole session."""
    pieces = []
    covered = 0.0
    for (t0, e0), (t1, e1) in zip(samples, samples[1:], strict=False):
        delta = (e1 - e0) / 1000.0
        if delta > 0 and t1 > t0:
            pieces.append((t0, t1, delta))
            covered += delta
    rest = energy_kwh - covered
    if rest > 1e-9:
        if end > start:
            pieces.append((start, end, rest))
        else:
            pieces.append((start, start + 1.0, rest))
    return pieces


def _split(t0: float, t1: float, kwh: float, step: int):
    """Yield (bucket start, kWh) of a piece cut at multiples of `step` seconds."""
    length = t1 - t0
    bucket = math.floor(t0 / step) * step
    while bucket < t1:
        overlap = min(t1, bucket + step) - max(t0, bucket)
        if overlap > 0:
            yield bucket, kwh * overlap / length
        bucket += step


def _overlap_hours(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0)) / 3600.0


def _available_hours(
    history: list[tuple[datetime, str]], initial: str | None, windows, day_start: datetime, day_end: datetime
) -> float:
    """Hours of [day_start, day_end) the connector could serve, by the one definition of availability."""
    moments = [moment for moment, _status in history]
    first, last = bisect.bisect_right(moments, day_start), bisect.bisect_left(moments, day_end)
    before = history[first - 1][1] if first else initial
    result = availability(
        changes=history[first:last], status_before=before, start=day_start, end=day_end, maintenance=windows
    )
    return result.available_s / 3600.0


def rollup_site_days(first: date, last: date, sites: Iterable[Site] | None = None, now: datetime | None = None) -> int:
    """Rebuild ChargingDay, SiteDay and ConnectorDay for the local days [first, last] of the sites."""
    now = now or timezone.now()
    sites = list(sites if sites is not None else Site.objects.select_related("carbon_zone"))
    written = 0
    for site in sites:
        written += _rollup_site(site, first, last, now)
    return written


def _rollup_site(site: Site, first: date, last: date, now: datetime) -> int:
    zone = ZoneInfo(site.time_zone)
    start, end = local_window(first, last, zone)
    now_s = now.timestamp()
    day_bounds = [(day, *(m.timestamp() for m in local_window(day, day, zone))) for day in _days(first, last)]
    day_starts = [b[1] for b in day_bounds]

    def day_of(moment: float) -> int | None:
        index = bisect.bisect_right(day_starts, moment) - 1
        return index if 0 <= index < len(day_bounds) and moment < day_bounds[index][2] else None

    rows = (
        ChargingSession.objects.filter(charge_point__site=site, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list(
            "pk", "connector_id", "vehicle_id", "vehicle__department_id", "vehicle__vehicle_model_id", "currency",
            "cost_total", "energy_kwh", "started_at", "ended_at", "last_meter_at", "status",
        )
    )  # fmt: skip
    sessions = []
    for pk, connector_id, vehicle_id, dept, model, currency, cost, energy, started, ended, last_meter, status in rows:
        finish = ended or (now if status not in NOT_CHARGED else (last_meter or started))
        sessions.append(
            _Session(
                pk=pk, connector_id=connector_id, vehicle_id=vehicle_id, department_id=dept or site.department_id,
                vehicle_model_id=model, currency=currency or "", cost=cost or Decimal(0), energy_kwh=energy or 0.0,
                start=started.timestamp(), end=min(finish.timestamp(), max(now_s, started.timestamp())),
                counted=status not in NOT_CHARGED,
            )
        )  # fmt: skip
    samples: dict[int, list[tuple[float, float]]] = defaultdict(list)
    if sessions:
        for session_id, sampled_at, energy_wh in (
            MeterSample.objects.filter(session__in=[s.pk for s in sessions], energy_wh__isnull=False)
            .order_by("session_id", "sampled_at")
            .values_list("session_id", "sampled_at", "energy_wh")
        ):
            samples[session_id].append((sampled_at.timestamp(), energy_wh))

    # the carbon intensity of every hour the sessions touch
    default_g = site.carbon_zone.gco2e_per_kwh if site.carbon_zone else settings.ANALYTICS_DEFAULT_GCO2E_PER_KWH
    default_renewable = site.carbon_zone.renewable_percent if site.carbon_zone else 0.0
    hourly: dict[float, tuple[float, float | None]] = {}
    if site.carbon_zone_id and sessions:
        earliest = min(s.start for s in sessions)
        latest = max(s.end for s in sessions)
        for hour, grams, renewable in CarbonIntensity.objects.filter(
            zone_id=site.carbon_zone_id,
            hour_start__gte=datetime.fromtimestamp(math.floor(earliest / 3600) * 3600, UTC),
            hour_start__lte=datetime.fromtimestamp(latest, UTC),
        ).values_list("hour_start", "gco2e_per_kwh", "renewable_percent"):
            hourly[hour.timestamp()] = (grams, renewable)

    charging: dict[tuple, dict] = {}
    buckets: dict[float, float] = defaultdict(float)
    connector_use: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0, 0.0])  # (connector, day) -> n, h
    for s in sessions:
        pieces = energy_profile(s.start, s.end, s.energy_kwh, samples.get(s.pk, []))
        for t0, t1, kwh in pieces:
            for bucket, part in _split(t0, t1, kwh, INTERVAL_S):
                buckets[bucket] += part
        index = max(0, bisect.bisect_right(day_starts, s.start) - 1)
        while index < len(day_bounds) and day_bounds[index][1] < s.end:
            hours = _overlap_hours(s.start, s.end, day_bounds[index][1], day_bounds[index][2])
            if hours > 0:
                connector_use[(s.connector_id, index)][1] += hours
            index += 1
        start_day = day_of(s.start)
        if start_day is None or not s.counted:
            continue
        connector_use[(s.connector_id, start_day)][0] += 1
        emissions_g = renewable_kwh = hourly_kwh = 0.0
        for t0, t1, kwh in pieces:
            for hour, part in _split(t0, t1, kwh, 3600):
                grams, renewable = hourly.get(hour, (None, None))
                if grams is None:
                    grams, renewable = default_g, default_renewable
                else:
                    hourly_kwh += part
                    renewable = default_renewable if renewable is None else renewable
                emissions_g += part * grams
                renewable_kwh += part * renewable / 100.0
        key = (start_day, s.vehicle_id, s.currency)
        row = charging.setdefault(
            key,
            {"department_id": s.department_id, "vehicle_model_id": s.vehicle_model_id, "sessions": 0,
             "energy_kwh": 0.0, "cost_total": Decimal(0), "emissions_kg": 0.0, "renewable_kwh": 0.0,
             "hourly_intensity_kwh": 0.0},
        )  # fmt: skip
        row["sessions"] += 1
        row["energy_kwh"] += s.energy_kwh
        row["cost_total"] += s.cost
        row["emissions_kg"] += emissions_g / 1000.0
        row["renewable_kwh"] += renewable_kwh
        row["hourly_intensity_kwh"] += hourly_kwh

    # connectors: status history and maintenance windows for availability
    charge_point_of = dict(Connector.objects.filter(charge_point__site=site).values_list("pk", "charge_point_id"))
    connectors = list(charge_point_of)
    initial = dict(
        Connector.objects.filter(pk__in=connectors)
        .annotate(
            before=Subquery(
                ConnectorStatusChange.objects.filter(connector=OuterRef("pk"), changed_at__lte=start)
                .order_by("-changed_at", "-pk")
                .values("status")[:1]
            )
        )
        .values_list("pk", "before")
    )
    changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for connector_id, changed_at, status in (
        ConnectorStatusChange.objects.filter(connector__in=connectors, changed_at__gt=start, changed_at__lt=end)
        .order_by("connector_id", "changed_at", "pk")
        .values_list("connector_id", "changed_at", "status")
    ):
        changes[connector_id].append((changed_at, status))
    maintenance: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for charge_point_id, window_start, window_end in MaintenanceWindow.objects.filter(
        charge_point__site=site, starts_at__lt=end, ends_at__gt=start
    ).values_list("charge_point_id", "starts_at", "ends_at"):
        maintenance[charge_point_id].append((window_start, window_end))

    buckets_by_day: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for bucket, kwh in buckets.items():
        index = day_of(bucket)
        if index is not None:
            buckets_by_day[index].append((bucket, kwh))
    charging_rows, site_rows, connector_rows = [], [], []
    grid_limit = float(site.grid_limit_kw) if site.grid_limit_kw is not None else None
    for index, (day, d0, d1) in enumerate(day_bounds):
        if d0 >= now_s:  # a day that has not begun yet here
            continue
        d1_clipped = min(d1, max(d0, now_s))  # today: only the hours so far
        total_h = (d1_clipped - d0) / 3600.0
        occupied_sum = available_sum = 0.0
        day_start = datetime.fromtimestamp(d0, UTC)
        day_end = day_start + timedelta(seconds=d1_clipped - d0)
        for connector_id in connectors:
            sessions_n, occupied = connector_use.get((connector_id, index), (0, 0.0))
            windows = maintenance.get(charge_point_of[connector_id], ())
            history, before = changes.get(connector_id, []), initial.get(connector_id)
            available = _available_hours(history, before, windows, day_start, day_end) if total_h > 0 else 0.0
            occupied = min(occupied, total_h)
            occupied_sum += occupied
            available_sum += available
            connector_rows.append(
                ConnectorDay(
                    day=day, connector_id=connector_id, site=site, department_id=site.department_id,
                    sessions=sessions_n, occupied_hours=round(occupied, 4), available_hours=round(available, 4),
                    total_hours=round(total_h, 4),
                )
            )  # fmt: skip
        day_buckets = buckets_by_day.get(index, [])
        peak_bucket, peak_kwh = max(day_buckets, key=lambda item: item[1], default=(None, 0.0))
        site_rows.append(
            SiteDay(
                day=day, site=site, department_id=site.department_id, connectors=len(connectors),
                energy_kwh=round(sum(kwh for _b, kwh in day_buckets), 4),
                peak_kw=round(peak_kwh * 3600.0 / INTERVAL_S, 3),
                peak_at=datetime.fromtimestamp(peak_bucket, UTC) if peak_bucket is not None else None,
                grid_limit_kw=grid_limit, occupied_hours=round(occupied_sum, 4),
                available_hours=round(available_sum, 4), total_hours=round(total_h * len(connectors), 4),
            )
        )  # fmt: skip
    for (index, vehicle_id, currency), row in charging.items():
        charging_rows.append(
            ChargingDay(
                day=day_bounds[index][0], site=site, vehicle_id=vehicle_id, currency=currency,
                department_id=row["department_id"], vehicle_model_id=row["vehicle_model_id"],
                sessions=row["sessions"], energy_kwh=round(row["energy_kwh"], 4),
                cost_total=row["cost_total"], emissions_kg=round(row["emissions_kg"], 4),
                renewable_kwh=round(row["renewable_kwh"], 4),
                hourly_intensity_kwh=round(row["hourly_intensity_kwh"], 4),
            )
        )  # fmt: skip
    groups: dict[tuple, ChargingGroupDay] = {}
    for row in charging_rows:
        group = groups.setdefault(
            (row.day, row.department_id, row.vehicle_model_id, row.currency),
            ChargingGroupDay(day=row.day, site=site, department_id=row.department_id,
                             vehicle_model_id=row.vehicle_model_id, currency=row.currency),
        )  # fmt: skip
        group.sessions += row.sessions
        group.energy_kwh += row.energy_kwh
        group.cost_total += row.cost_total
        group.emissions_kg += row.emissions_kg
        group.renewable_kwh += row.renewable_kwh
    with transaction.atomic():
        ChargingGroupDay.objects.filter(site=site, day__gte=first, day__lte=last).delete()
        ChargingGroupDay.objects.bulk_create(groups.values(), batch_size=2000)
        ChargingDay.objects.filter(site=site, day__gte=first, day__lte=last).delete()
        SiteDay.objects.filter(site=site, day__gte=first, day__lte=last).delete()
        ConnectorDay.objects.filter(site=site, day__gte=first, day__lte=last).delete()
        ChargingDay.objects.bulk_create(charging_rows, batch_size=2000)
        SiteDay.objects.bulk_create(site_rows, batch_size=2000)
        ConnectorDay.objects.bulk_create(connector_rows, batch_size=2000)
    return len(charging_rows) + len(site_rows) + len(connector_rows)


# --- Orchestration ---------------------------------------------------------------------------------------------


def rollup_range(first: date, last: date, now: datetime | None = None) -> dict:
    """Rebuild every rollup for the local days [first, last]."""
    return {
        "vehicle_days": rollup_vehicle_days(first, last),
        "site_rows": rollup_site_days(first, last, now=now),
        "first": first.isoformat(),
        "last": last.isoformat(),
    }


def rollup_recent(now: datetime | None = None) -> dict:
    """The periodic job: yesterday and today everywhere (late telemetry and sessions that just ended change
    them), and any days since the last complete run."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    state, _ = RollupState.objects.get_or_create(key="complete_until")
    first = today - timedelta(days=1)
    if state.value is not None:
        first = min(first, state.value.astimezone(UTC).date() - timedelta(days=1))
        # a session counts on the day it started: one that started days ago and ended (or was priced) since the
        # last run changes that day
        changed = ChargingSession.objects.filter(updated_at__gte=state.value).aggregate(first=Min("started_at"))
        if changed["first"] is not None:
            first = min(first, changed["first"].astimezone(UTC).date() - timedelta(days=1))
    first = max(first, today - timedelta(days=settings.ANALYTICS_MAX_PERIOD_DAYS))
    # local "today" runs up to 14 hours ahead of UTC, so cover tomorrow (UTC date) too
    summary = rollup_range(first, today + timedelta(days=1), now=now)
    state.value = now
    state.save(update_fields=["value", "updated_at"])
    return summary
