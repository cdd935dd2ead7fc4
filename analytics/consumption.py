"""Expected against actual driving consumption: what each vehicle model's energy model (simulation/energy.py)
predicts for the distance, speed, stops and outside temperature of each day a vehicle drove, against what its
telemetry says it drew.

The daily rollup (analytics/rollup.py) stores, per vehicle and local day (VehicleDay):
- the ambient temperature: per hour the vehicle drove, the stored weather of its site (the department's site
  nearest its mean position that day, else the department's first site) where the weather feed recorded that
  hour, else the site's or position's monthly climate normals with their daily cycle
  (simulation.climate.temperature_c at the local hour); the day's figure is the mean weighted by distance, and
  where it came from (weather, or normals when any hour had to use them) and the place are recorded;
- the mean driving speed, its stops included as the energy model's mean speed is (telemetry speed, time-weighted
  over the intervals on a trip: after a moving reading, or one at 0 km/h with driving power — a light, a queue —
  but not parked and off; without speed readings, distance ÷ the time the vehicle drew driving power) and the
  stops (a reading at 0 km/h after a moving one);
- the expected energy: simulation.energy.segment_energy per driven hour (its distance, its own speed or the day's,
  the day's stops per km, its temperature), summed. A model without energy parameters, a day without speed or
  temperature, or conditions the model refuses leave it empty, with the reason in `expected_missing`.

The page and API (`consumption_report`) compare kWh/100 km by temperature band and by vehicle over a period. A
vehicle is flagged when, over the days that have an expectation, it drew more than FLAG_EXCESS_PERCENT above it
over at least FLAG_MIN_DISTANCE_KM: less distance is too little to tell a vehicle from its driver's day.
"""

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Case, Count, F, FloatField, Q, Sum, Value, When

from accounts.models import Department, User
from accounts.scoping import scoped
from analytics.metrics import vehicle_label
from analytics.models import VehicleDay
from analytics.periods import Period
from fleet.models import Vehicle
from simulation.climate import MonthlyNormals, normals_for, temperature_c
from simulation.energy import STOPS_RANGE_PER_KM, EnergyInputError, segment_energy
from simulation.vehicles import MissingParameters, params_for

logger = logging.getLogger(__name__)

# A vehicle is flagged when it drew more than this above its model's expectation (percent) ...
FLAG_EXCESS_PERCENT = 25.0
# ... over at least this distance with an expectation in the period (km).
FLAG_MIN_DISTANCE_KM = 100.0
# The window the daily check for notifications looks at, and how often one vehicle is notified (once a week).
FLAG_NOTICE_WINDOW_DAYS = 30

# A few stops over a few hundred metres would be an absurd rate: the energy model's upper bound caps it.
MAX_STOPS_PER_KM = STOPS_RANGE_PER_KM[1]

Missing = VehicleDay.ExpectationMissing
Source = VehicleDay.TemperatureSource


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low_c: float | None  # included
    high_c: float | None  # excluded


TEMPERATURE_BANDS = [
    Band("below_minus_10", "below −10 °C", None, -10.0),
    Band("minus_10_to_0", "−10 to 0 °C", -10.0, 0.0),
    Band("0_to_10", "0 to 10 °C", 0.0, 10.0),
    Band("10_to_20", "10 to 20 °C", 10.0, 20.0),
    Band("20_to_30", "20 to 30 °C", 20.0, 30.0),
    Band("above_30", "30 °C and above", 30.0, None),
]
UNKNOWN_BAND = Band("unknown", "temperature unknown", None, None)


def band_of(temperature_c: float | None) -> str:
    if temperature_c is None:
        return UNKNOWN_BAND.key
    for band in TEMPERATURE_BANDS:
        if (band.low_c is None or temperature_c >= band.low_c) and (band.high_c is None or temperature_c < band.high_c):
            return band.key
    return UNKNOWN_BAND.key


# --- The rollup's side: one day's conditions and expectation per vehicle ---------------------------------------


@dataclass
class HourUsage:
    """What one vehicle did in one hour of a local day (seconds since the day's start // 3600)."""

    hour: int
    distance_km: float = 0.0
    moving_s: float = 0.0  # time on a trip: after a reading with speed > 0, or at 0 km/h with driving power
    speed_s: float = 0.0  # speed × time over those intervals (km/h · s)
    driving_s: float = 0.0  # time after a reading with driving power (< 0 kW)
    stops: int = 0
    latitude_sum: float = 0.0
    longitude_sum: float = 0.0
    positions: int = 0


@dataclass(frozen=True)
class VehicleInfo:
    department_id: int
    vehicle_model_id: int
    make: str
    name: str
    variant: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class SiteInfo:
    pk: int
    name: str
    latitude: float
    longitude: float


@dataclass
class DayConditions:
    ambient_temperature_c: float | None = None
    temperature_source: str = ""
    temperature_place: str = ""
    mean_speed_kmh: float | None = None
    stops: int = 0
    expected_energy_kwh: float | None = None
    expected_missing: str = ""
    # per driven hour, for the energy model: distance, speed, temperature
    _hours: list[tuple[float, float, float]] = field(default_factory=list, repr=False)


def _distance2(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Squared equirectangular distance: enough to pick the nearest of a department's sites."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return x * x + y * y


class Expectations:
    """The conditions and expected energy of vehicle days, for one rollup of one time zone. Caches the energy
    parameters per vehicle model and the climate normals per place, so a day costs no query and one energy-model
    call per vehicle model."""

    def __init__(self, zone: ZoneInfo, sites: dict[int, list[SiteInfo]], weather: dict[tuple[int, int], float]):
        self.zone = zone
        self.sites = sites  # department id -> its sites, the first one first
        self.weather = weather  # (site id, UTC hour as epoch seconds) -> °C
        self._params: dict[int, object | None] = {}
        self._normals: dict[tuple[float, float], MonthlyNormals] = {}

    def params(self, info: VehicleInfo):
        if info.vehicle_model_id not in self._params:
            try:
                self._params[info.vehicle_model_id] = params_for(info.make, info.name, info.variant)
            except MissingParameters:
                self._params[info.vehicle_model_id] = None
        return self._params[info.vehicle_model_id]

    def normals(self, latitude: float, longitude: float) -> MonthlyNormals:
        key = (round(latitude, 1), round(longitude, 1))
        if key not in self._normals:
            self._normals[key] = normals_for(*key)
        return self._normals[key]

    def site_for(self, info: VehicleInfo, latitude: float | None, longitude: float | None) -> SiteInfo | None:
        sites = self.sites.get(info.department_id, [])
        if not sites:
            return None
        if latitude is None or longitude is None:
            return sites[0]
        return min(sites, key=lambda s: _distance2(latitude, longitude, s.latitude, s.longitude))

    def conditions(self, info: VehicleInfo, day_start: datetime, hours: list[HourUsage]) -> DayConditions:
        """The day's temperature, speed and stops (the expected energy comes from `expect`, batched)."""
        result = DayConditions()
        distance = sum(h.distance_km for h in hours)
        moving_s = sum(h.moving_s for h in hours)
        driving_s = sum(h.driving_s for h in hours)
        result.stops = sum(h.stops for h in hours)
        if moving_s > 0:
            result.mean_speed_kmh = sum(h.speed_s for h in hours) / moving_s
        elif driving_s > 0 and distance > 0:
            result.mean_speed_kmh = distance / (driving_s / 3600.0)
        positions = sum(h.positions for h in hours)
        if positions:
            latitude = sum(h.latitude_sum for h in hours) / positions
            longitude = sum(h.longitude_sum for h in hours) / positions
        else:
            latitude, longitude = info.latitude, info.longitude
        site = self.site_for(info, latitude, longitude)
        normals = None
        if latitude is not None and longitude is not None:
            normals = self.normals(latitude, longitude)
        elif site is not None:
            normals = self.normals(site.latitude, site.longitude)

        # the hours that count for the temperature: those driven, else those with readings
        weighted = [h for h in hours if h.distance_km > 0] or hours
        temperatures, weights, from_weather = [], [], 0
        for h in weighted:
            moment = day_start + timedelta(hours=h.hour)
            stored = self.weather.get((site.pk, int(moment.timestamp()) // 3600 * 3600)) if site else None
            if stored is not None:
                temperatures.append(stored)
                from_weather += 1
            elif normals is not None:
                local = moment.astimezone(self.zone)
                # the middle of the hour, the hour's driving spread over it
                temperatures.append(float(temperature_c(normals, local.month, local.hour + 0.5, local.day)))
            else:
                temperatures.append(None)
            weights.append(h.distance_km if distance > 0 else 1.0)
        known = [(t, w) for t, w in zip(temperatures, weights, strict=True) if t is not None]
        if known and sum(w for _t, w in known) > 0:
            result.ambient_temperature_c = round(sum(t * w for t, w in known) / sum(w for _t, w in known), 2)
            if from_weather == len(weighted):
                result.temperature_source, result.temperature_place = Source.WEATHER, site.name
            else:
                result.temperature_source = Source.NORMALS
                result.temperature_place = (normals.place if normals is not None else site.name)[:120]

        if distance <= 0:
            result.expected_energy_kwh = 0.0
            return result
        if result.mean_speed_kmh is None or result.mean_speed_kmh <= 0:
            result.expected_missing = Missing.NO_SPEED
            return result
        if any(t is None for t, h in zip(temperatures, weighted, strict=True) if h.distance_km > 0):
            result.expected_missing = Missing.NO_TEMPERATURE
            return result
        for t, h in zip(temperatures, weighted, strict=True):
            if h.distance_km > 0:
                speed = h.speed_s / h.moving_s if h.moving_s > 0 else result.mean_speed_kmh
                result._hours.append((h.distance_km, speed if speed > 0 else result.mean_speed_kmh, t))
        return result

    def expect(self, days: dict[int, tuple[VehicleInfo, DayConditions]]) -> None:
        """Fill in the expected energy of the days (vehicle id -> (info, conditions)): one energy-model call per
        vehicle model; a batch the model refuses is retried vehicle by vehicle, so one bad day spoils only
        itself."""
        by_model: dict[int, list[int]] = defaultdict(list)
        for vehicle_id, (info, conditions) in days.items():
            if conditions._hours and not conditions.expected_missing:
                if self.params(info) is None:
                    conditions.expected_missing = Missing.NO_MODEL
                else:
                    by_model[info.vehicle_model_id].append(vehicle_id)
        for vehicle_ids in by_model.values():
            try:
                self._expect(days, vehicle_ids)
            except EnergyInputError:
                for vehicle_id in vehicle_ids:
                    try:
                        self._expect(days, [vehicle_id])
                    except EnergyInputError as exc:
                        logger.info("vehicle %s: no expected energy: %s", vehicle_id, exc)
                        days[vehicle_id][1].expected_missing = Missing.OUT_OF_RANGE

    def _expect(self, days, vehicle_ids: list[int]) -> None:
        info = days[vehicle_ids[0]][0]
        owners, distance, speed, ambient, stops = [], [], [], [], []
        for index, vehicle_id in enumerate(vehicle_ids):
            conditions = days[vehicle_id][1]
            day_km = sum(d for d, _s, _t in conditions._hours)
            for d, s, t in conditions._hours:
                owners.append(index)
                distance.append(d)
                speed.append(s)
                ambient.append(t)
                stops.append(min(conditions.stops / day_km, MAX_STOPS_PER_KM))
        breakdown = segment_energy(
            self.params(info),
            distance_km=np.asarray(distance),
            speed_kmh=np.asarray(speed),
            ambient_c=np.asarray(ambient),
            stops_per_km=np.asarray(stops),
        )
        totals = np.zeros(len(vehicle_ids))
        np.add.at(
            totals, np.asarray(owners), np.broadcast_to(np.asarray(breakdown.total_kwh, dtype=float), len(owners))
        )
        for index, vehicle_id in enumerate(vehicle_ids):
            days[vehicle_id][1].expected_energy_kwh = round(float(totals[index]), 4)


# --- The page's and API's side ---------------------------------------------------------------------------------


def _per_100(kwh: float | None, km: float | None) -> float | None:
    if kwh is None or not km:
        return None
    return round(kwh / km * 100.0, 2)


def _ratio(actual: float | None, expected: float | None) -> float | None:
    if actual is None or not expected:
        return None
    return round(actual / expected, 3)


def is_flagged(*, actual_kwh: float | None, expected_kwh: float | None, distance_km: float | None) -> bool:
    """Drew more than FLAG_EXCESS_PERCENT above its expectation over at least FLAG_MIN_DISTANCE_KM."""
    if not expected_kwh or actual_kwh is None or (distance_km or 0.0) < FLAG_MIN_DISTANCE_KM:
        return False
    return actual_kwh > expected_kwh * (1.0 + FLAG_EXCESS_PERCENT / 100.0)


def _days(user: User | None, period: Period, department: Department | None):
    rows = VehicleDay.objects.filter(day__gte=period.first, day__lte=period.last, distance_km__gt=0)
    if user is not None:
        rows = scoped(rows, user)
    if department is not None:
        rows = rows.filter(department__path__startswith=department.path)
    return rows


MODELLED = Q(expected_energy_kwh__isnull=False)
_SUMS = {  # named apart from the fields they sum: an aggregate may not shadow a field it reads
    "days": Count("pk"),
    "vehicles": Count("vehicle_id", distinct=True),
    "km": Sum("distance_km"),
    "kwh": Sum("energy_consumed_kwh"),
    "modelled_km": Sum("distance_km", filter=MODELLED),
    "modelled_kwh": Sum("energy_consumed_kwh", filter=MODELLED),
    "expected_kwh": Sum("expected_energy_kwh", filter=MODELLED),
}


def _band_case() -> Case:
    whens = []
    for band in TEMPERATURE_BANDS:
        q = Q(ambient_temperature_c__isnull=False)
        if band.low_c is not None:
            q &= Q(ambient_temperature_c__gte=band.low_c)
        if band.high_c is not None:
            q &= Q(ambient_temperature_c__lt=band.high_c)
        whens.append(When(q, then=Value(band.key)))
    return Case(*whens, default=Value(UNKNOWN_BAND.key))


def _figures(row: dict) -> dict:
    """kWh/100 km actual (all driven days) and expected (the days with an expectation), and their ratio over the
    days with an expectation."""
    modelled_km = row.get("modelled_km") or 0.0
    return {
        "days": row.get("days") or 0,
        "distance_km": round(row.get("km") or 0.0, 1),
        "energy_consumed_kwh": round(row.get("kwh") or 0.0, 3),
        "modelled_distance_km": round(modelled_km, 1),
        "expected_energy_kwh": round(row["expected_kwh"], 3) if row.get("expected_kwh") else None,
        "actual_kwh_per_100km": _per_100(row.get("kwh"), row.get("km")),
        "actual_modelled_kwh_per_100km": _per_100(row.get("modelled_kwh"), modelled_km),
        "expected_kwh_per_100km": _per_100(row.get("expected_kwh"), modelled_km),
        "ratio": _ratio(row.get("modelled_kwh"), row.get("expected_kwh")),
    }


def consumption_report(user: User | None, period: Period, department: Department | None = None) -> dict:
    """kWh/100 km expected against actual by temperature band and by vehicle, with the flagged vehicles, for a
    period in a department's subtree (default: all the user sees). Four queries whatever the fleet's size."""
    days = _days(user, period, department)
    band_rows = {
        row["band"]: row for row in days.annotate(band=_band_case()).values("band").annotate(**_SUMS).order_by()
    }
    bands = []
    for band in [*TEMPERATURE_BANDS, UNKNOWN_BAND]:
        row = band_rows.get(band.key)
        if row is None and band is UNKNOWN_BAND:
            continue
        bands.append(
            {"band": band.key, "label": band.label, "low_c": band.low_c, "high_c": band.high_c,
             "vehicles": (row or {}).get("vehicles") or 0, **_figures(row or {})}
        )  # fmt: skip

    vehicle_rows = list(
        days.values("vehicle_id")
        .annotate(
            **{k: v for k, v in _SUMS.items() if k != "vehicles"},
            temperature_km=Sum(F("ambient_temperature_c") * F("distance_km"), output_field=FloatField()),
            temperature_distance=Sum("distance_km", filter=Q(ambient_temperature_c__isnull=False)),
            no_model_days=Count("pk", filter=Q(expected_missing=Missing.NO_MODEL)),
        )
        .order_by()
    )
    names = {
        pk: (vehicle_label(fleet_number, plate, vin), str(model))
        for pk, fleet_number, plate, vin, model in _vehicle_names([r["vehicle_id"] for r in vehicle_rows])
    }
    vehicles = []
    for row in vehicle_rows:
        figures = _figures(row)
        label, model = names.get(row["vehicle_id"], (str(row["vehicle_id"]), ""))
        excess = round((figures["ratio"] - 1.0) * 100.0, 1) if figures["ratio"] is not None else None
        vehicles.append(
            {
                "vehicle": row["vehicle_id"],
                "label": label,
                "vehicle_model": model,
                **figures,
                "mean_temperature_c": round(row["temperature_km"] / row["temperature_distance"], 1)
                if row.get("temperature_distance")
                else None,
                "excess_percent": excess,
                "no_model": bool(row["no_model_days"]) and not row.get("expected_kwh"),
                "flagged": is_flagged(
                    actual_kwh=row.get("modelled_kwh"),
                    expected_kwh=row.get("expected_kwh"),
                    distance_km=row.get("modelled_km"),
                ),
            }
        )
    vehicles.sort(key=lambda v: (not v["flagged"], -(v["ratio"] or 0.0), str(v["label"])))
    missing = dict(
        days.filter(expected_energy_kwh__isnull=True)
        .values_list("expected_missing")
        .annotate(n=Count("pk"))
        .values_list("expected_missing", "n")
        .order_by()
    )
    total_row = {k: sum((r.get(k) or 0) for r in band_rows.values()) for k in _SUMS if k != "vehicles"}
    return {
        "period": {"start": period.first.isoformat(), "end": period.last.isoformat()},
        "thresholds": {"excess_percent": FLAG_EXCESS_PERCENT, "min_distance_km": FLAG_MIN_DISTANCE_KM},
        "total": {**_figures(total_row), "vehicles": len(vehicles)},
        "bands": bands,
        "vehicles": vehicles,
        "flagged": [v for v in vehicles if v["flagged"]],
        "no_model_vehicles": sum(1 for v in vehicles if v["no_model"]),
        "days_without_expectation": {
            key or "unknown": n for key, n in sorted(missing.items(), key=lambda item: item[0] or "")
        },
    }


def _vehicle_names(ids: list[int]):
    if not ids:
        return []
    rows = Vehicle.objects.filter(pk__in=ids).select_related("vehicle_model")
    return [(v.pk, v.fleet_number, v.license_plate, v.vin, v.vehicle_model) for v in rows]


def flagged_vehicles(today: date, departments=None) -> list[dict]:
    """The vehicles flagged over the FLAG_NOTICE_WINDOW_DAYS days before `today` (all departments by default), with
    their department: what the daily check notifies. Two queries."""
    period = Period(today - timedelta(days=FLAG_NOTICE_WINDOW_DAYS), today - timedelta(days=1))
    rows = _days(None, period, None).filter(MODELLED)
    if departments is not None:
        rows = rows.filter(department__in=departments)
    grouped = (
        rows.values("vehicle_id", "department_id")
        .annotate(km=Sum("distance_km"), actual=Sum("energy_consumed_kwh"), expected=Sum("expected_energy_kwh"))
        .order_by("vehicle_id")
    )
    flagged = [
        row
        for row in grouped
        if is_flagged(actual_kwh=row["actual"], expected_kwh=row["expected"], distance_km=row["km"])
    ]
    names = {
        pk: (vehicle_label(f, p, v), str(m)) for pk, f, p, v, m in _vehicle_names([r["vehicle_id"] for r in flagged])
    }
    return [
        {
            "vehicle": row["vehicle_id"],
            "department": row["department_id"],
            "label": names.get(row["vehicle_id"], (str(row["vehicle_id"]), ""))[0],
            "vehicle_model": names.get(row["vehicle_id"], ("", ""))[1],
            "period": period,
            "distance_km": round(row["km"], 1),
            "actual_kwh_per_100km": _per_100(row["actual"], row["km"]),
            "expected_kwh_per_100km": _per_100(row["expected"], row["km"]),
            "excess_percent": round((row["actual"] / row["expected"] - 1.0) * 100.0, 1),
        }
        for row in flagged
    ]
