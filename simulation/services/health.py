"""Write side of the state of health: the daily job that ages every vehicle by its telemetry, corrects the estimate
with the day's capacity observations and predicts its future, and the backfill.

One day of one vehicle, in order:

1. its telemetry of the day (UTC), averaged by hour in the database; an hour without a reading holds the hour
   before (the first hours hold the previous day's last value); a day without any reading is a day at rest at the
   last SoC and the local climate normal's temperature (simulation.climate, at the vehicle's last position, else at
   its department's first site);
2. the aging model (`simulation.battery.aging.age_increment`), one vectorized call per chemistry over the chunk;
3. the filter (`simulation.battery.health.filter_step`): the model's fade of the day moves the estimate, each
   capacity observation of the day (a session over a wide SoC window, through the port simulation.observations)
   corrects it;
4. the history row, the vehicle's health row with the prediction (the last 30 days' hourly profile repeated through
   the aging model, with its 95 % band), and `fleet.Vehicle.state_of_health_percent`.

Idempotent per day: a vehicle whose health row is integrated through the day (or later) is left alone, and the
history's unique (vehicle, day) guards a second run racing the first. Chunks of CHUNK vehicles run a constant
number of queries each.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import Avg
from django.db.models.functions import TruncHour
from django.utils import timezone

from fleet.models import TelemetryPoint, Vehicle
from simulation import climate, observations
from simulation.battery import aging, health
from simulation.battery.pack import pack_for
from simulation.models import CapacityObservation, HealthDay, VehicleHealth
from stations.models import Connector, Site

logger = logging.getLogger(__name__)

CHUNK = 500
HOURS = 24
PROFILE_DAYS = 30  # the prediction repeats the vehicle's last 30 days of use
PREDICTION_STEP_DAYS = 30
PREDICTION_YEARS = 10
# How much the true state of health may wander from the model in a day, in %² (SoH points squared): the filter's
# process noise, and the prediction band's growth (0.004 %²/day: ± 2.4 points at 95 % after 1 year from the model
# alone).
PROCESS_VARIANCE_PER_DAY = 0.004
# The prior of a vehicle the job meets for the first time: its recorded SoH (fleet.Vehicle), with this variance
# (%²): 1 for a vehicle recorded as new (100 %), 9 (± 6 points at 95 %) for one entered with a figure.
FIRST_VARIANCE_NEW = 1.0
FIRST_VARIANCE_RECORDED = 9.0
# The share of a recorded loss put down to calendar aging (an assumption: a fleet vehicle stands most of the day;
# field studies of EV fleets find calendar aging the larger part in the first years).
CALENDAR_SHARE = 2 / 3
DEFAULT_SOC_PERCENT = 50.0  # a vehicle that never reported its SoC rests at half charge
REST_TEMPERATURE_C = 15.0  # a vehicle without a position or a site: a temperate yearly mean
TEMPERATURE_RANGE_C = (-40.0, 60.0)  # the aging models' range; readings outside are clipped, and counted


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


# --- the day's hourly profile --------------------------------------------------------------------------------------


def _hold_forward(values: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """NaN hours take the value before them (the first hours `initial`); shape (n, 24)."""
    filled = np.concatenate([initial[:, None], values], axis=1)
    index = np.where(np.isnan(filled), 0, np.arange(filled.shape[1]))
    np.maximum.accumulate(index, axis=1, out=index)
    return np.take_along_axis(filled, index, axis=1)[:, 1:]


@lru_cache(maxsize=4096)
def _normal_day_c(latitude: float, longitude: float, day: date, time_zone: str) -> tuple[float, ...]:
    """The climate normal's temperature for each UTC hour of `day` at a place (simulation.climate), by local time."""
    normals = climate.normals_for(latitude, longitude)
    start, _end = day_bounds(day)
    zone = ZoneInfo(time_zone)
    local = [(start + timedelta(hours=h)).astimezone(zone) for h in range(HOURS)]
    values = climate.temperature_c(
        normals,
        np.array([t.month for t in local]),
        np.array([t.hour + t.minute / 60 for t in local], dtype=float),
        day_of_month=np.array([t.day for t in local]),
    )
    return tuple(float(v) for v in np.asarray(values, dtype=float))


def _rest_temperatures(vehicles: list[Vehicle], day: date) -> np.ndarray:
    """(n, 24) ambient temperature where each vehicle rests: its last position, else its department's first site."""
    missing = {v.department_id for v in vehicles if v.last_latitude is None or v.last_longitude is None}
    sites = {}
    if missing:
        for department_id, latitude, longitude in (
            Site.objects.filter(department_id__in=missing)
            .order_by("department_id", "pk")
            .values_list("department_id", "latitude", "longitude")
        ):
            sites.setdefault(department_id, (latitude, longitude))
    rows = []
    for v in vehicles:
        place = (v.last_latitude, v.last_longitude)
        if place[0] is None or place[1] is None:
            place = sites.get(v.department_id)
        if place is None:
            rows.append((REST_TEMPERATURE_C,) * HOURS)
        else:
            rows.append(_normal_day_c(round(place[0], 1), round(place[1], 1), day, v.department.time_zone))
    return np.array(rows, dtype=float)


def _hourly(vehicle_ids: list[int], start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean SoC and battery temperature by vehicle and UTC hour in [start, end), NaN where nothing was read: one
    query, grouped in the database. Also the number of hours with any reading, per vehicle."""
    position = {pk: i for i, pk in enumerate(vehicle_ids)}
    hours = int((end - start).total_seconds() // 3600)
    soc = np.full((len(vehicle_ids), hours), np.nan)
    temperature = np.full((len(vehicle_ids), hours), np.nan)
    rows = (
        TelemetryPoint.objects.filter(vehicle_id__in=vehicle_ids, recorded_at__gte=start, recorded_at__lt=end)
        .annotate(hour=TruncHour("recorded_at", tzinfo=UTC))
        .values("vehicle_id", "hour")
        .annotate(soc=Avg("soc_percent"), temperature=Avg("battery_temperature_c"))
        .order_by()
        .values_list("vehicle_id", "hour", "soc", "temperature")
    )
    for vehicle_id, hour, s, t in rows:
        h = int((hour - start).total_seconds() // 3600)
        i = position[vehicle_id]
        if s is not None:
            soc[i, h] = s
        if t is not None:
            temperature[i, h] = t
    read_hours = (~np.isnan(soc) | ~np.isnan(temperature)).sum(axis=1)
    return soc, temperature, read_hours


# --- the aging state, to and from its row ----------------------------------------------------------------------------


def _state_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(aging.AgingState)]


def _states(rows: list[dict | None]) -> aging.AgingState:
    """The AgingState of n vehicles from their stored dicts (None: new)."""
    state = aging.AgingState.new(len(rows))
    values = {}
    for name in _state_fields():
        current = getattr(state, name)
        if isinstance(current, np.ndarray) and current.shape == (len(rows),):
            column = current.astype(float).copy()
            for i, row in enumerate(rows):
                if row and name in row:
                    column[i] = np.nan if row[name] is None else row[name]
            values[name] = column
        else:
            values[name] = current
    return dataclasses.replace(state, **values)


def _first_state(vehicle: Vehicle) -> dict | None:
    """The aging state of a vehicle met for the first time: new, or, when it was entered with a state of health below
    100 %, with that loss already in it (CALENDAR_SHARE of it calendar aging, the rest cycle aging), so that the
    model continues along its curves from there rather than with a new battery's steep first days. Its resistance
    rise is unknown and starts at 0."""
    loss = max(0.0, 100.0 - float(vehicle.state_of_health_percent)) / 100.0
    if loss == 0:
        return None
    return {"calendar_capacity_loss": loss * CALENDAR_SHARE, "cycle_capacity_loss": loss * (1 - CALENDAR_SHARE)}


def _state_row(state: aging.AgingState, i: int) -> dict:
    out = {}
    for name in _state_fields():
        value = getattr(state, name)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            number = float(value[i])
            out[name] = number if np.isfinite(number) else None  # JSON has no NaN (e.g. no SoC aged yet)
    return out


def _take(state: aging.AgingState, index: np.ndarray) -> aging.AgingState:
    n = None
    values = {}
    for name in _state_fields():
        value = getattr(state, name)
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            n = value.shape[0] if n is None else n
            values[name] = value[index]
    return dataclasses.replace(state, **values)


# --- the prediction --------------------------------------------------------------------------------------------------


def _prediction_days() -> np.ndarray:
    return np.arange(0, PREDICTION_YEARS * 365 + 1, PREDICTION_STEP_DAYS, dtype=float)


def predict_paths(
    state: aging.AgingState, *, chemistry, soc_percent: np.ndarray, temperature_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The model's capacity (%) at `days` ahead for n vehicles repeating their profile ((n, hours), hourly):
    (days, paths of shape (n, len(days)))."""
    days = _prediction_days()
    hours_per_window = PREDICTION_STEP_DAYS * HOURS
    reps = -(-hours_per_window // soc_percent.shape[1])
    soc = np.tile(soc_percent, (1, reps))[:, :hours_per_window]
    temperature = np.tile(temperature_c, (1, reps))[:, :hours_per_window]
    paths = [np.asarray(aging.capacity_percent(state), dtype=float)]
    for _ in days[1:]:
        state = aging.age_increment(state, chemistry=chemistry, soc_percent=soc, temperature_c=temperature)
        paths.append(np.asarray(aging.capacity_percent(state), dtype=float))
    return days, np.stack(paths, axis=1)


def prediction_document(
    *, start: date, soh_percent: float, variance: float, days: np.ndarray, model_path_percent: np.ndarray
) -> dict:
    """The stored prediction: days after `start`, and the mean with its 95 % band (simulation.battery.health)."""
    mean, low, high = health.predict_band(
        soh_percent=soh_percent,
        variance=variance,
        model_path_percent=model_path_percent,
        days=days,
        process_variance_per_day=PROCESS_VARIANCE_PER_DAY,
    )

    def rounded(values) -> list[float]:
        return [round(float(v), 3) for v in np.asarray(values, dtype=float)]

    return {
        "start": start.isoformat(),
        "days": [int(d) for d in days],
        "mean": rounded(mean),
        "low": rounded(low),
        "high": rounded(high),
    }


def _profiles(vehicle_ids: list[int], day: date, today_soc: np.ndarray, today_temperature: np.ndarray):
    """(n, hours) of the last PROFILE_DAYS days' stored hourly profiles (today's included), oldest first."""
    earlier = defaultdict(list)
    for vehicle_id, soc, temperature in (
        HealthDay.objects.filter(vehicle_id__in=vehicle_ids, day__gt=day - timedelta(days=PROFILE_DAYS), day__lt=day)
        .order_by("vehicle_id", "day")
        .values_list("vehicle_id", "soc_profile_percent", "temperature_profile_c")
    ):
        if len(soc) == HOURS and len(temperature) == HOURS:
            earlier[vehicle_id].append((soc, temperature))
    socs, temperatures = [], []
    for i, pk in enumerate(vehicle_ids):
        days = earlier.get(pk, [])
        socs.append(np.concatenate([*(np.asarray(s, dtype=float) for s, _t in days), today_soc[i]]))
        temperatures.append(np.concatenate([*(np.asarray(t, dtype=float) for _s, t in days), today_temperature[i]]))
    return socs, temperatures


# --- the job ---------------------------------------------------------------------------------------------------------


def _throughput_kwh(soc: np.ndarray, previous_soc: np.ndarray, usable_kwh: np.ndarray, soh: np.ndarray) -> np.ndarray:
    """Energy cycled in and out over the day's hourly SoC: Σ|ΔSoC| × the capacity now, in kWh."""
    steps = np.abs(np.diff(np.concatenate([previous_soc[:, None], soc], axis=1), axis=1)).sum(axis=1)
    return steps / 100.0 * usable_kwh * soh / 100.0


def _observe(records, packs: dict[int, tuple]) -> list[CapacityObservation]:
    """Capacity observations of the sessions the port gave (those over too narrow a window are none)."""
    made = []
    for source, record in records:
        usable_kwh = packs[record.vehicle_id][2]
        if not 0 <= record.soc_start_percent < record.soc_end_percent <= 100:
            continue
        observation = health.capacity_observation(
            energy_kwh=record.energy_kwh,
            soc_start_percent=record.soc_start_percent,
            soc_end_percent=record.soc_end_percent,
            usable_kwh_new=usable_kwh,
            ac=not record.dc,
        )
        if observation is None:
            continue
        made.append(
            CapacityObservation(
                vehicle_id=record.vehicle_id,
                observed_at=record.ended_at,
                energy_kwh=record.energy_kwh,
                soc_start_percent=record.soc_start_percent,
                soc_end_percent=record.soc_end_percent,
                current_type=Connector.CurrentType.DC if record.dc else Connector.CurrentType.AC,
                soh_percent=float(observation.soh_percent),
                variance=float(observation.variance),
                source=source,
                source_id=record.source_id,
            )
        )
    return made


def _chunk_update(vehicles: list[Vehicle], day: date, result: dict, *, predict: bool) -> None:
    start, end = day_bounds(day)
    ids = [v.pk for v in vehicles]
    n = len(vehicles)
    rows = [getattr(v, "battery_health", None) for v in vehicles]  # select_related: no query
    packs = {}
    for v in vehicles:
        model = v.vehicle_model
        pack = pack_for(model.make, model.name, model.variant, float(model.usable_battery_kwh), model.vehicle_class)
        packs[v.pk] = (pack.chemistry, bool(pack.assumed), float(model.usable_battery_kwh), float(pack.capacity_ah))

    soc, temperature, read_hours = _hourly(ids, start, end)
    rest = _rest_temperatures(vehicles, day)
    previous_soc = np.array(
        [
            row.last_soc_percent
            if row is not None and row.last_soc_percent is not None
            else (v.soc_percent if v.soc_percent is not None else DEFAULT_SOC_PERCENT)
            for v, row in zip(vehicles, rows, strict=True)
        ],
        dtype=float,
    )
    previous_temperature = np.array(
        [row.last_temperature_c if row is not None and row.last_temperature_c is not None else np.nan for row in rows],
        dtype=float,
    )
    # the first hours hold the day before; a vehicle never read rests at the ambient temperature
    previous_temperature = np.where(np.isnan(previous_temperature), rest[:, 0], previous_temperature)
    at_rest = read_hours == 0
    soc = _hold_forward(soc, previous_soc)
    temperature = _hold_forward(temperature, previous_temperature)
    temperature[at_rest] = rest[at_rest]  # a day without telemetry: the battery at the ambient temperature
    clipped = int(((temperature < TEMPERATURE_RANGE_C[0]) | (temperature > TEMPERATURE_RANGE_C[1])).sum())
    if clipped:
        logger.warning(
            "health: %s hourly battery temperatures outside %s °C clipped on %s", clipped, TEMPERATURE_RANGE_C, day
        )
        result["clipped_hours"] += clipped
    temperature = np.clip(temperature, *TEMPERATURE_RANGE_C)
    soc = np.clip(soc, 0.0, 100.0)

    # the day's capacity observations: new ones from the port, stored once (unique per source record)
    records = observations.sessions_between(ids, start, end)
    made = _observe(records, packs)
    if made:
        CapacityObservation.objects.bulk_create(made, ignore_conflicts=True)
    by_vehicle = defaultdict(list)
    for obs in CapacityObservation.objects.filter(
        vehicle_id__in=ids, observed_at__gte=start, observed_at__lt=end
    ).order_by("observed_at", "pk"):
        by_vehicle[obs.vehicle_id].append(obs)

    # the aging model: one call per chemistry over the chunk
    old_state = [row.aging_state if row is not None else _first_state(v) for v, row in zip(vehicles, rows, strict=True)]
    model_before = np.empty(n)
    model_after = np.empty(n)
    resistance = np.empty(n)
    new_rows: list[dict] = [{}] * n
    paths = [None] * n
    days_ahead = None
    usable = np.array([packs[pk][2] for pk in ids])
    socs_30, temperatures_30 = _profiles(ids, day, soc, temperature) if predict else ([], [])
    by_chemistry = defaultdict(list)
    for i, pk in enumerate(ids):
        by_chemistry[packs[pk][0]].append(i)
    for chemistry, members in by_chemistry.items():
        index = np.array(members)
        state = _states([old_state[i] for i in members])
        model_before[index] = aging.capacity_percent(state)
        capacity_ah = np.array([packs[ids[i]][3] for i in members])
        state = aging.age_increment(
            state,
            chemistry=chemistry,
            soc_percent=soc[index],
            temperature_c=temperature[index],
            capacity_ah=capacity_ah,
        )
        model_after[index] = aging.capacity_percent(state)
        resistance[index] = aging.resistance_percent(state)
        for j, i in enumerate(members):
            new_rows[i] = _state_row(state, j)
        if not predict:
            continue
        # the prediction: each vehicle's last 30 days repeated (vehicles with the same history length together)
        by_length = defaultdict(list)
        for j, i in enumerate(members):
            by_length[len(socs_30[i])].append(j)
        for _length, js in by_length.items():
            sub = _take(state, np.array(js))
            days_ahead, sub_paths = predict_paths(
                sub,
                chemistry=chemistry,
                soc_percent=np.stack([socs_30[members[j]] for j in js]),
                temperature_c=np.stack([temperatures_30[members[j]] for j in js]),
            )
            for k, j in enumerate(js):
                paths[members[j]] = sub_paths[k]

    throughput = _throughput_kwh(soc, previous_soc, usable, model_after)
    now = timezone.now()
    history, health_rows, new_health, used, rejected = [], [], [], [], []
    for i, vehicle in enumerate(vehicles):
        row = rows[i]
        if row is None:
            recorded = float(vehicle.state_of_health_percent)
            prior = health.HealthEstimate(
                soh_percent=recorded, variance=FIRST_VARIANCE_NEW if recorded >= 100 else FIRST_VARIANCE_RECORDED
            )
        else:
            prior = health.HealthEstimate(soh_percent=row.soh_percent, variance=row.variance)
        fade = max(0.0, float(model_before[i] - model_after[i]))
        estimate = health.filter_step(prior, model_fade_percent=fade, process_variance=PROCESS_VARIANCE_PER_DAY)
        day_observations = by_vehicle.get(vehicle.pk, [])
        believed = 0
        for obs in day_observations:
            observed = health.HealthEstimate(soh_percent=obs.soh_percent, variance=obs.variance)
            if health.is_outlier(estimate, observed):  # a wrong reading: kept and shown, not believed
                rejected.append(obs.pk)
                continue
            estimate = health.filter_step(estimate, model_fade_percent=0.0, process_variance=0.0, observation=observed)
            used.append(obs.pk)
            believed += 1
        soh = float(np.clip(estimate.soh_percent, 0.0, 100.0))
        variance = max(0.0, float(estimate.variance))
        chemistry, assumed, _usable, _capacity_ah = packs[vehicle.pk]
        total_throughput = (row.throughput_kwh if row is not None else 0.0) + float(throughput[i])
        prediction = (
            prediction_document(
                start=day, soh_percent=soh, variance=variance, days=days_ahead, model_path_percent=paths[i]
            )
            if predict
            else (row.prediction if row is not None else {})
        )
        fields = dict(
            chemistry=str(chemistry.value if hasattr(chemistry, "value") else chemistry),
            pack_assumed=assumed,
            aging_state=new_rows[i],
            model_soh_percent=float(np.clip(model_after[i], 0.0, 100.0)),
            resistance_percent=max(100.0, float(resistance[i])),
            throughput_kwh=total_throughput,
            soh_percent=soh,
            variance=variance,
            integrated_through=day,
            last_soc_percent=float(soc[i, -1]),
            last_temperature_c=float(temperature[i, -1]),
            prediction=prediction,
        )
        if row is None:
            new_health.append(VehicleHealth(vehicle=vehicle, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
            health_rows.append(row)
        history.append(
            HealthDay(
                vehicle=vehicle,
                day=day,
                model_soh_percent=fields["model_soh_percent"],
                soh_percent=soh,
                variance=variance,
                resistance_percent=fields["resistance_percent"],
                throughput_kwh=total_throughput,
                telemetry_hours=int(read_hours[i]),
                soc_profile_percent=[round(float(x), 2) for x in soc[i]],
                temperature_profile_c=[round(float(x), 2) for x in temperature[i]],
                observation_used=believed > 0,
            )
        )
        vehicle.state_of_health_percent = round(soh, 2)

    # writes: a constant number of statements for the chunk
    HealthDay.objects.bulk_create(history)
    if new_health:
        VehicleHealth.objects.bulk_create(new_health)
    if health_rows:
        VehicleHealth.objects.bulk_update(health_rows, [*fields, "updated_at"])
    if used:
        CapacityObservation.objects.filter(pk__in=used).update(used_on=day)
    if rejected:
        CapacityObservation.objects.filter(pk__in=rejected).update(used_on=day, rejected=True)
    # what smart charging and the vehicle page read (fleet has no bulk service; one UPDATE, no live event)
    Vehicle.objects.bulk_update(vehicles, ["state_of_health_percent"])
    result["aged"] += n
    result["at_rest"] += int(at_rest.sum())
    result["observations"] += len(used)
    result["rejected_observations"] += len(rejected)


def vehicle_health_update(*, day: date, predict: bool = True, chunk: int = CHUNK) -> dict:
    """Age every vehicle not yet integrated through `day` (UTC) by that day's telemetry, correct it with the day's
    capacity observations, store its history and its SoH on the vehicle, and (with `predict`; a backfill predicts
    on its last day only) its prediction. Running it again for the same day changes nothing. Returns counts."""
    result = {
        "day": day.isoformat(),
        "aged": 0,
        "skipped": 0,
        "at_rest": 0,
        "observations": 0,
        "rejected_observations": 0,
        "clipped_hours": 0,
        "observation_sources": sorted(observations.sources()),
    }
    candidates = Vehicle.objects.exclude(status=Vehicle.Status.RETIRED).order_by("pk")
    result["skipped"] = candidates.filter(battery_health__integrated_through__gte=day).count()
    due = candidates.exclude(battery_health__integrated_through__gte=day)
    last_pk = 0
    while True:
        vehicles = list(
            due.filter(pk__gt=last_pk)
            .select_related("vehicle_model", "department", "battery_health")
            .order_by("pk")[:chunk]
        )
        if not vehicles:
            break
        last_pk = vehicles[-1].pk
        with transaction.atomic():
            _chunk_update(vehicles, day, result, predict=predict)
    return result


def health_catch_up(*, today: date, max_days: int = 31) -> list[dict]:
    """Every day from the oldest day a vehicle is missing up to yesterday (at most `max_days`), in order: what the
    beat job runs, so a missed night is aged the next."""
    yesterday = today - timedelta(days=1)
    behind = (
        VehicleHealth.objects.exclude(vehicle__status=Vehicle.Status.RETIRED)
        .order_by("integrated_through")
        .values_list("integrated_through", flat=True)
        .first()
    )
    first = (
        yesterday
        if behind is None or behind >= yesterday
        else max(behind + timedelta(days=1), yesterday - timedelta(days=max_days - 1))
    )
    count = (yesterday - first).days + 1
    return [vehicle_health_update(day=first + timedelta(days=k), predict=k == count - 1) for k in range(count)]


def health_backfill(*, today: date, days: int, reset: bool = False) -> list[dict]:
    """Age every vehicle over the last `days` days before `today`, in order (with `reset`, from new: the history,
    health rows and observations' use are dropped first)."""
    if reset:
        with transaction.atomic():
            HealthDay.objects.all().delete()
            VehicleHealth.objects.all().delete()
            CapacityObservation.objects.update(used_on=None)
    first = today - timedelta(days=days)
    return [vehicle_health_update(day=first + timedelta(days=k), predict=k == days - 1) for k in range(days)]
