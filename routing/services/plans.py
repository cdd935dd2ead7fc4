"""Write side of route plans: create a plan with its jobs (refused whole when the solver could not serve it: a
window closing before the job can be reached, a demand above the payloads, a job out of range…), queue the solve,
run it (the Celery task's body), store the routes, and commit them as operations routes and trips, all or nothing.

The arithmetic is ``routing.planning`` (no Django); the solver is ``routing.evrptw.solver.solve``."""

from __future__ import annotations

import csv
import importlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.audit import audited_save, model_delete, model_update, snapshot
from accounts.models import User
from evfleet import jobs as celery_jobs
from evfleet.api.times import EARLIEST, LATEST
from fleet.models import Vehicle
from operations import energy as trip_energy
from operations import need as trip_need
from operations import services as operations
from operations.imports import RowError, decode
from operations.models import RoadMix, Trip
from routing import planning
from routing.evrptw.check import check
from routing.evrptw.instance import InstanceError
from routing.models.plans import PlanJob, PlannedRoute, PlannedVisit, RoutePlan
from routing.services.paths import router_holding
from simulation.selectors.feeds import weather_at
from stations import selectors as station_selectors
from stations.models import Connector, Site

logger = logging.getLogger(__name__)

JOB_FIELDS = (
    "name", "address", "latitude", "longitude", "demand_kg", "service_minutes", "window_start", "window_end",
)  # fmt: skip
SOLVER_MODULE = "routing.evrptw.solver"
SOLVE_TASK = "routing.plan_tasks.plan_solve"
MAX_JOBS = 500  # jobs in one plan: the instance is O(n²) to build and the solver's time limit must hold
# Seconds the solve task may take beyond the plan's time limit (building the instance, the road table, the check,
# storing the routes) before Celery interrupts it (soft: the plan fails saying so), and then kills it (hard).
SOLVE_MARGIN_S = 60
SOLVE_KILL_AFTER_S = 30
# The road mix a planned route is priced at, for its energy per km and its speed (the typical urban speed at the
# middle of the plan's day) and for the trips it becomes.
ROAD_MIX = RoadMix.URBAN


# --- the plan's day -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """The plan's day at its depot: time 0 of the instance and its length in minutes, through UTC."""

    start: datetime  # aware, UTC
    end: datetime
    zone: ZoneInfo
    date: date  # the service date, the depot's

    @property
    def minutes(self) -> float:
        return planning.minutes_between(self.start, self.end)

    def at(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def minutes_of(self, moment: datetime) -> float:
        return planning.minutes_between(self.start, moment)

    def clock(self, minutes: float) -> str:
        """The depot's clock time; with the date when it is not the plan's day (a window on another day)."""
        local = self.at(minutes).astimezone(self.zone)
        return local.strftime("%H:%M") if local.date() == self.date else local.strftime("%Y-%m-%d %H:%M")

    def clip(self, opens: datetime, closes: datetime) -> tuple[datetime, datetime]:
        """A window cut to the plan's day: nothing is served outside it, and operations' stops keep the local
        time of day only (a window across midnight would close before it opens there)."""
        return max(opens, self.start), min(closes, self.end)


def plan_day(plan: RoutePlan) -> Day:
    zone = ZoneInfo(plan.depot.time_zone)
    start = operations.local_datetime(plan.service_date, plan.day_starts, zone)
    end = operations.local_datetime(plan.service_date, plan.day_ends, zone)
    return Day(start, end, zone, plan.service_date)


# --- building the instance ----------------------------------------------------------------------------------------


def road_matrix(points) -> planning.RoadDistances | None:
    """Road distances (km, the shortest paths; inf where no road leads) between the points when one imported road
    graph holds them all, each within its snapping distance (``routing.services.paths.router_holding``: the
    smallest such region). None otherwise: the plan falls back on great-circle × detour."""
    found = router_holding(points)
    if found is None:
        return None
    router, snaps = found
    return planning.RoadDistances(router.table(snaps).km, router.region)


def _chargers(plan: RoutePlan, vehicles: list[Vehicle]) -> tuple[planning.StationSpec | None, list]:
    """The depot and the department's other sites where every offered vehicle has a compatible connector, with the
    slowest of those vehicles' best power there. Two queries."""
    path = plan.department.path
    sites = [
        s for s in Site.objects.select_related("department").order_by("pk")
        if path.startswith(s.department.path) or s.pk == plan.depot_id
    ]  # fmt: skip
    connectors = list(Connector.objects.filter(charge_point__site__in=sites).select_related("charge_point"))
    rules = station_selectors.active_rules()
    depot, others = None, []
    for site in sites:
        here = [c for c in connectors if c.charge_point.site_id == site.pk]
        powers = []
        for vehicle in vehicles:
            fits = [station_selectors.vehicle_fit(vehicle, c, rules) for c in here]
            best = max((float(f.power_kw) for f in fits if f is not None), default=0.0)
            powers.append(best)
        if not powers or min(powers) <= 0:
            continue
        spec = planning.StationSpec(site.pk, site.name, site.latitude, site.longitude, min(powers))
        if site.pk == plan.depot_id:
            depot = spec
        else:
            others.append(spec)
    return depot, others


@dataclass(frozen=True)
class Conditions:
    speed_kmh: float
    ambient_c: float
    temperature_source: str
    reserve_percent: float


def _vehicle_specs(plan: RoutePlan, vehicles: list[Vehicle], day: Day) -> tuple[list, Conditions]:
    """Each vehicle's payload, battery above the reserve at its state of health, and kWh per km from the simulation's
    consumption model at the typical urban speed in the middle of the day and the depot's forecast temperature."""
    middle = day.start + (day.end - day.start) / 2
    weather = weather_at(plan.depot, middle)
    local = middle.astimezone(day.zone)
    reserve = trip_need.reserve_percent(plan.department_id)
    specs, speeds = [], []
    for vehicle in vehicles:
        parts = trip_energy.trip_energy(
            trip_need.vehicle_model(vehicle), distance_km=100.0, road_mix=ROAD_MIX,
            departs_hour_local=local.hour + local.minute / 60, weekday=local.weekday(), hours=1.0,
            ambient_c=weather.temperature_c,
        )  # fmt: skip
        capacity = trip_need.capacity_kwh(vehicle)
        battery = capacity - trip_energy.reserve_kwh(capacity, reserve)
        model = vehicle.vehicle_model
        specs.append(
            planning.VehicleSpec(
                vehicle.pk, str(vehicle), model.payload_kg, battery, (parts.driving_kwh + parts.climate_kwh) / 100.0
            )
        )
        speeds.append(parts.mean_speed_kmh)
    conditions = Conditions(min(speeds) if speeds else 30.0, weather.temperature_c, weather.source, reserve)
    return specs, conditions


def _job_specs(jobs: list[PlanJob], day: Day) -> list[planning.JobSpec]:
    return [
        planning.JobSpec(
            n, job.name, job.latitude, job.longitude, float(job.demand_kg), float(job.service_minutes),
            day.minutes_of(job.window_start), day.minutes_of(job.window_end),
        )
        for n, job in enumerate(jobs)
    ]  # fmt: skip


def plan_instance(plan: RoutePlan, *, vehicles=None, jobs=None) -> tuple[planning.Built, Conditions, Day]:
    """The plan's E-VRPTW instance, or ValidationError naming every job or vehicle that makes it impossible."""
    vehicles = list(vehicles if vehicles is not None else plan.vehicles.select_related("vehicle_model"))
    jobs = list(jobs if jobs is not None else plan.jobs.all())
    day = plan_day(plan)
    specs, conditions = _vehicle_specs(plan, vehicles, day)
    depot_station, stations = _chargers(plan, vehicles) if vehicles else (None, [])
    try:
        built = planning.build(
            name=f"plan-{plan.pk}", depot=(plan.depot.latitude, plan.depot.longitude), depot_station=depot_station,
            stations=stations, jobs=_job_specs(jobs, day), vehicles=specs, day_minutes=day.minutes,
            speed_kmh=conditions.speed_kmh, clock=day.clock, road=road_matrix,
        )  # fmt: skip
    except planning.PlanInputError as e:
        raise ValidationError(e.errors, code="plan_impossible") from None
    return built, conditions, day


# --- create, delete -----------------------------------------------------------------------------------------------


def plan_department(*, actor: User | None, depot: Site):
    """The department a plan is made in when none is given: the depot's when it is the actor's department or one
    below it (a parent department's manager planning at a team's depot: the team's vehicles drive from there), else
    the actor's (a depot shared from a department above), else the depot's (an actor with no department)."""
    mine = actor.department if actor is not None and getattr(actor, "department_id", None) else None
    if mine is None or depot.department.path.startswith(mine.path):
        return depot.department
    return mine


def _vehicles_of(plan: RoutePlan, vehicles: list[Vehicle]) -> None:
    path = plan.department.path
    foreign = [str(v) for v in vehicles if not v.department.path.startswith(path)]
    if foreign:
        raise ValidationError(
            {
                "vehicles": f"{', '.join(foreign)} belong(s) to another department than the plan's, "
                f"{plan.department.name} (the depot {plan.depot.name} is of {plan.depot.department.name}): offer "
                f"vehicles of {plan.department.name} or the departments below it, or plan at another depot."
            }
        )
    gone = [str(v) for v in vehicles if v.status in (Vehicle.Status.RETIRED, Vehicle.Status.MAINTENANCE)]
    if gone:
        raise ValidationError({"vehicles": f"{', '.join(gone)} cannot drive (retired or in maintenance)."})
    _vehicles_free(plan, vehicles)


def _vehicles_free(plan: RoutePlan, vehicles: list[Vehicle]) -> None:
    """Refuse vehicles that already have a trip (planned or under way) within the plan's day: every planned route
    may take the whole day, so such a vehicle's route could not be committed (operations refuses overlapping
    trips). The error names each trip on the depot's clock and the two ways out."""
    day = plan_day(plan)
    busy = (
        Trip.objects.filter(
            vehicle__in=vehicles, status__in=Trip.ACTIVE, departs_at__lt=day.end, returns_at__gt=day.start
        )
        .select_related("vehicle")
        .order_by("vehicle__fleet_number", "departs_at")
    )
    taken = {}
    for trip in busy:
        start, end = trip.departs_at.astimezone(day.zone), trip.returns_at.astimezone(day.zone)
        taken.setdefault(str(trip.vehicle), f"trip {trip.pk} {start:%H:%M}–{end:%H:%M}")
    if taken:
        listed = "; ".join(f"{vehicle} has {trip}" for vehicle, trip in taken.items())
        raise ValidationError(
            {
                "vehicles": f"{listed}, within the plan's day ({day.clock(0)}–{day.clock(day.minutes)}): offer "
                "vehicles that are free that day, or shorten the plan's day to the hours they are free."
            },
            code="vehicle_busy",
        )


def _jobs(plan: RoutePlan, jobs: list[dict]) -> list[PlanJob]:
    """Validated jobs, not saved; errors keyed jobs[N].field, N from 0 as sent."""
    out, errors, names = [], {}, {}
    for n, data in enumerate(jobs):
        unknown = set(data) - set(JOB_FIELDS)
        if unknown:
            errors[f"jobs[{n}]"] = f"Unknown field(s) {', '.join(sorted(unknown))}; a job has {', '.join(JOB_FIELDS)}."
            continue
        job = PlanJob(plan=plan, sequence=n + 1, **data)
        try:
            job.full_clean(exclude=["plan"], validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            errors.update({f"jobs[{n}].{f}": " ".join(m) for f, m in e.message_dict.items()})
            continue
        if job.name in names:
            errors[f"jobs[{n}].name"] = f"Job {names[job.name] + 1} has the name {job.name!r} already: name each once."
            continue
        names[job.name] = n
        out.append(job)
    if errors:
        raise ValidationError(errors)
    return out


def _clock_windows(jobs: list[PlanJob], day: Day) -> None:
    """Operations' stops keep a window as the depot's clock times: refuse a window that, cut to the plan's day,
    closes on the clock at or before it opens (it ends in the hour repeated when the clocks go back)."""
    errors = {}
    for n, job in enumerate(jobs):
        opens, closes = day.clip(job.window_start, job.window_end)
        if opens < closes and _local_time(closes, day.zone) <= _local_time(opens, day.zone):
            shut, open_ = _local_time(closes, day.zone), _local_time(opens, day.zone)
            errors[f"jobs[{n}].window_end"] = (
                f"{job.name}: the window closes at {shut:%H:%M} in the hour the clocks repeat, after it opened at "
                f"{open_:%H:%M} on the clock: trips keep the clock time only, so end the window before the clocks go "
                "back or open it after."
            )
    if errors:
        raise ValidationError(errors, code="plan_impossible")


def plan_create(*, actor: User | None, vehicles: list[Vehicle], jobs: list[dict], **data: Any) -> RoutePlan:
    """A plan in draft with its jobs, refused whole (nothing stored) when a field is wrong or the plan is impossible
    before any search (``routing.planning.build``'s checks). Without a department: ``plan_department``'s."""
    vehicles = list(vehicles)
    plan = RoutePlan(created_by=actor if actor and actor.is_authenticated else None, **data)
    if plan.department_id is None and plan.depot_id is not None:
        plan.department = plan_department(actor=actor, depot=plan.depot)
    plan.full_clean()
    if not vehicles:
        raise ValidationError({"vehicles": "No vehicle is offered: choose at least one vehicle for the plan."})
    if not jobs:
        raise ValidationError({"jobs": "The plan has no job: add at least one stop to serve."})
    if len(jobs) > MAX_JOBS:
        raise ValidationError(
            {"jobs": f"{len(jobs)} jobs: a plan takes at most {MAX_JOBS}; split them into several plans."},
            code="too_many_jobs",
        )
    _vehicles_of(plan, vehicles)
    built_jobs = _jobs(plan, jobs)
    # the O(n²) distances (and the road table) are built before the transaction, which then only writes
    _, _, day = plan_instance(plan, vehicles=vehicles, jobs=built_jobs)  # refuses an impossible plan
    _clock_windows(built_jobs, day)
    with transaction.atomic():
        audited_save(plan, actor=actor, before=None, validated=True)
        plan.vehicles.set(vehicles)
        for job in built_jobs:
            job.plan = plan
        PlanJob.objects.bulk_create(built_jobs)
    return plan


def plan_delete(*, actor: User | None, plan: RoutePlan) -> None:
    if plan.status == RoutePlan.Status.COMMITTED:
        raise ValidationError(
            {"status": "A committed plan stays as the record of its trips; cancel the trips in operations instead."}
        )
    model_delete(instance=plan, actor=actor)


# --- solve --------------------------------------------------------------------------------------------------------


def solve_limits(plan: RoutePlan) -> tuple[int, int]:
    """(soft, hard) seconds the solve task may run: the plan's time limit and a margin, then a kill."""
    soft = int(plan.time_limit_s) + SOLVE_MARGIN_S
    return soft, soft + SOLVE_KILL_AFTER_S


def solve_stale(plan: RoutePlan, now: datetime) -> bool:
    """A plan "solving" for longer than its task may run: the task was lost (a worker killed, a broker down, the
    database gone when it wanted to say so), and the plan may be solved again."""
    return plan.status == RoutePlan.Status.SOLVING and plan.updated_at < now - timedelta(seconds=solve_limits(plan)[1])


def _queue_solve(plan_id: int, limits: tuple[int, int]) -> None:
    """Hand the solve to Celery once the transaction commits; a queue that cannot take it fails the plan (instead of
    leaving it "solving")."""
    task = celery_jobs.task_named(SOLVE_TASK)

    def send() -> None:
        try:
            task.apply_async(kwargs={"plan_id": plan_id}, soft_time_limit=limits[0], time_limit=limits[1])
        except (OSError, BrokerError) as e:  # the broker is down or refuses: the plan's answer
            logger.exception("route plan %s: the solve could not be queued", plan_id)
            plan_solve_failed(plan_id=plan_id, error=f"the solver's queue could not take it ({type(e).__name__}); "
                              "try again")  # fmt: skip

    transaction.on_commit(send)


def plan_solve(*, actor: User | None, plan: RoutePlan, now: datetime | None = None) -> RoutePlan:
    """Queue the solve (status "solving"); the task stores the routes or why it failed. The plan row is locked and
    its status read again: two solves, or a solve and a commit, do not cross. A plan "solving" for longer than its
    task may run (``solve_stale``) may be solved again."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().select_related("depot", "department").get(pk=plan.pk)
        solvable = (RoutePlan.Status.DRAFT, RoutePlan.Status.FAILED, RoutePlan.Status.SOLVED)
        if plan.status not in solvable and not solve_stale(plan, now):
            raise ValidationError(
                {"status": f"A plan that is {plan.get_status_display().lower()} cannot be solved again."},
                code="not_solvable",
            )
        _vehicles_free(plan, list(plan.vehicles.all()))  # a trip booked since the plan was made
        plan.routes.all().delete()
        plan = model_update(
            instance=plan, data={"status": RoutePlan.Status.SOLVING, "message": "", "result": {}}, actor=actor
        )
        _queue_solve(plan.pk, solve_limits(plan))
    return plan


def _solver():
    try:
        return importlib.import_module(SOLVER_MODULE).solve
    except ImportError:
        return None


_JOB_NODE = re.compile(r"job-(\d+)")


def _named(text: str, jobs: list[PlanJob]) -> str:
    """The solver's and the check's node ids ("job-3") as the jobs' names."""
    return _JOB_NODE.sub(lambda m: repr(jobs[int(m[1])].name) if int(m[1]) < len(jobs) else m[0], text)


def _fail(plan: RoutePlan, message: str, result: dict | None = None) -> RoutePlan:
    plan.status, plan.message, plan.result = RoutePlan.Status.FAILED, message[:2000], result or {}
    plan.save(update_fields=["status", "message", "result", "updated_at"])
    return plan


def plan_solve_run(*, plan_id: int) -> RoutePlan | None:
    """The solve itself (the Celery task's body): build the instance, solve it within the plan's time limit, check
    the routes independently, store them with their timetables. A plan no longer "solving" is left alone."""
    plan = RoutePlan.objects.select_related("depot", "department").filter(pk=plan_id).first()
    if plan is None or plan.status != RoutePlan.Status.SOLVING:
        return plan
    vehicles = sorted(plan.vehicles.select_related("vehicle_model", "department"), key=lambda v: v.pk)
    jobs = list(plan.jobs.order_by("sequence"))
    try:
        built, conditions, day = plan_instance(plan, vehicles=vehicles, jobs=jobs)
    except ValidationError as e:
        return _fail(plan, " ".join(m for ms in e.message_dict.values() for m in ms))
    solve = _solver()
    if solve is None:
        return _fail(plan, "The E-VRPTW solver (routing.evrptw.solver) is not installed on this server.")
    instance = built.instance
    try:
        solution = solve(instance, time_limit_s=float(plan.time_limit_s), seed=0)
    except InstanceError as e:
        if e.field == "max_vehicles":
            return _fail(
                plan,
                f"The jobs need more vehicles than the {len(vehicles)} offered: {_named(e.message, jobs)}. Offer more "
                "vehicles, allow the solver more time, widen the windows or leave jobs out.",
            )
        return _fail(plan, f"The solver refused the plan: {_named(e.message, jobs)} ({_named(e.field, jobs)}).")
    routes = [list(r) for r in solution.routes if len(r) > 2 or (len(r) == 2 and r[0] != r[1])]
    found = check(instance, routes)
    result = {
        "vehicles": found.vehicles,
        "distance_km": round(found.distance, 2),
        "seconds": round(float(solution.seconds), 2),
        "feasible": found.feasible,
        "violations": [_named(v, jobs) for v in found.violations],
        "rule": built.rule,
        "battery_kwh": round(instance.battery_capacity, 2),
        "payload_kg": instance.load_capacity,
        "kwh_per_km": round(instance.consumption_rate, 4),
        "speed_kmh": round(conditions.speed_kmh, 1),
        "recharge_min_per_kwh": round(instance.recharge_rate, 3),
        "ambient_c": round(conditions.ambient_c, 1),
        "temperature_source": conditions.temperature_source,
        "reserve_percent": conditions.reserve_percent,
        "distances": built.distances.label,
        "distance_source": built.distances.source,
        "road_graph": built.distances.region,
        "clipped_windows": [
            j.name for j in jobs if day.clip(j.window_start, j.window_end) != (j.window_start, j.window_end)
        ],
    }
    if not found.feasible:
        return _fail(plan, "The solver's routes break the plan: " + "; ".join(result["violations"][:5]), result)
    tables = [planning.timetable(instance, route) for route in routes]
    owners = planning.assign([t.distance_km for t in tables], [s.battery_kwh for s in _specs_of(vehicles, plan, day)])
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != RoutePlan.Status.SOLVING:
            return plan
        for number, (table, owner) in enumerate(zip(tables, owners, strict=True), start=1):
            _store_route(plan, number, vehicles[owner], table, built, jobs, day)
        plan.status, plan.result, plan.solved_at = RoutePlan.Status.SOLVED, result, timezone.now()
        plan.message = f"{found.vehicles} route(s), {found.distance:.1f} km, found in {float(solution.seconds):.1f} s."
        if result["clipped_windows"]:
            names = ", ".join(result["clipped_windows"][:5]) + (", …" if len(result["clipped_windows"]) > 5 else "")
            plan.message += f" Windows reaching beyond the plan's day were cut to it: {names}."
        plan.save(update_fields=["status", "result", "solved_at", "message", "updated_at"])
    return plan


def _specs_of(vehicles: list[Vehicle], plan: RoutePlan, day: Day) -> list[planning.VehicleSpec]:
    return _vehicle_specs(plan, vehicles, day)[0]


def _store_route(plan, number, vehicle, table: planning.Timetable, built: planning.Built, jobs, day: Day) -> None:
    route = PlannedRoute(
        plan=plan, number=number, vehicle=vehicle, distance_km=round(table.distance_km, 2),
        energy_kwh=round(table.energy_kwh, 2), load_kg=table.load_kg, departs_at=day.at(table.leave_depot),
        returns_at=day.at(table.back),
    )  # fmt: skip
    route.full_clean(exclude=["plan", "vehicle"], validate_constraints=False)
    route.save()
    visits = []
    for sequence, visit in enumerate(table.visits, start=1):
        kind, key = built.node_kind[visit.node], built.node_key[visit.node]
        visits.append(
            PlannedVisit(
                route=route, sequence=sequence,
                kind=PlannedVisit.Kind.JOB if kind == "job" else PlannedVisit.Kind.CHARGE,
                job=jobs[key] if kind == "job" else None, site_id=key if kind != "job" else None,
                arrives_at=day.at(visit.arrive), starts_at=day.at(visit.start), departs_at=day.at(visit.leave),
                battery_kwh=round(visit.battery, 2), charge_kwh=round(visit.charged_kwh, 2),
                charge_minutes=round(visit.charge_minutes, 1), km_from_previous=round(visit.km, 3),
            )
        )  # fmt: skip
    PlannedVisit.objects.bulk_create(visits)


def plan_solve_failed(*, plan_id: int, error: str) -> None:
    """The task gave up (an unexpected error, its time up, retries spent): the plan says so instead of staying
    "solving" for ever."""
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().filter(pk=plan_id, status=RoutePlan.Status.SOLVING).first()
        if plan is not None:
            _fail(plan, f"The solve failed: {error[:500]}")


def plan_solve_timed_out(*, plan_id: int) -> None:
    """The task ran past its soft limit (the plan's time limit and ``SOLVE_MARGIN_S``)."""
    plan = RoutePlan.objects.filter(pk=plan_id).only("time_limit_s").first()
    if plan is not None:
        plan_solve_failed(
            plan_id=plan_id,
            error=f"it did not finish within {solve_limits(plan)[0]} s (the time limit of {plan.time_limit_s} s and "
            f"{SOLVE_MARGIN_S} s to build and store the plan). Leave jobs out or split the plan, then solve again.",
        )


# --- commit -------------------------------------------------------------------------------------------------------


def _local_time(moment: datetime, zone: ZoneInfo):
    return moment.astimezone(zone).time().replace(second=0, microsecond=0)


@dataclass
class Leg:
    """A stretch of a planned route between charges: from the depot or the site it charged at, to the next charge
    or home. Operations' trips know no charging stop (a trip beyond a full battery is refused), so a route that
    recharges becomes one trip per leg."""

    start_site: Site
    departs_at: datetime
    charge_at: Site | None  # where the leg ends to charge; None: home at the depot
    returns_at: datetime
    jobs: list[PlanJob]
    km: float


def route_legs(plan: RoutePlan, route: PlannedRoute) -> list[Leg]:
    legs, site, departs, jobs, km = [], plan.depot, route.departs_at, [], 0.0
    for visit in route.visits.all():
        km += visit.km_from_previous
        if visit.kind == PlannedVisit.Kind.JOB:
            jobs.append(visit.job)
            continue
        if jobs or km > 0.05:  # a charge at the depot before anything else is no leg
            legs.append(Leg(site, departs, visit.site, visit.arrives_at, jobs, km))
        site, departs, jobs, km = visit.site, visit.departs_at, [], 0.0
    legs.append(Leg(site, departs, None, route.returns_at, jobs, max(0.0, route.distance_km - _driven(legs))))
    return legs


def _driven(legs: list[Leg]) -> float:
    return sum(leg.km for leg in legs)


def _leg_stops(leg: Leg, day: Day) -> list[dict]:
    """The operations route's stops: the leg's jobs with their windows cut to the plan's day on the depot's clock,
    then where it charges."""
    stops = []
    for job in leg.jobs:
        opens, closes = day.clip(job.window_start, job.window_end)
        stops.append(
            dict(name=job.name, address=job.address, latitude=job.latitude, longitude=job.longitude,
                 window_opens=_local_time(opens, day.zone), window_closes=_local_time(closes, day.zone),
                 service_minutes=job.service_minutes)
        )  # fmt: skip
    if leg.charge_at is not None:
        end = leg.charge_at
        stops.append(dict(name=f"Charge at {end.name}"[:120], address=end.address, latitude=end.latitude,
                          longitude=end.longitude))  # fmt: skip
    return stops


_STOP_FIELD = re.compile(r"^stops\[(\d+)\]\.?(\w*)$")


def _stop_named(field: str, leg: Leg) -> str:
    """Operations' ``stops[N].field`` as the job's name (or the charging stop) and the field."""
    match = _STOP_FIELD.match(field)
    if match is None:
        return field
    n = int(match[1])
    place = repr(leg.jobs[n].name) if n < len(leg.jobs) else "the charging stop"
    return f"{place} {match[2]}".strip()


def plan_commit(*, actor: User | None, plan: RoutePlan, now: datetime | None = None) -> RoutePlan:
    """Each planned route becomes operations routes (the jobs in order with their windows and service minutes) and
    trips of its vehicle, one per leg between charges (``route_legs``), through the operations services (past,
    overlap and range checked there). All or nothing: one refusal names the route and rolls back every one."""
    with transaction.atomic():
        # locked and read again: two commits (a double click, two managers) make the trips once
        plan = RoutePlan.objects.select_for_update().select_related("depot", "department").get(pk=plan.pk)
        if plan.status == RoutePlan.Status.COMMITTED:
            raise ValidationError({"status": "The plan is already committed."}, code="already_committed")
        if plan.status != RoutePlan.Status.SOLVED:
            raise ValidationError(
                {"status": f"Only a solved plan can be committed; this one is {plan.get_status_display().lower()}."},
                code="not_solved",
            )
        day = plan_day(plan)
        routes = list(
            plan.routes.select_related("vehicle__vehicle_model", "vehicle__department").prefetch_related(
                "visits__job", "visits__site"
            )
        )
        made = 0
        for route in routes:
            label = f"Route {route.number} ({route.vehicle})"
            legs = route_legs(plan, route)
            # the vehicle's department owns its trips (operations wants them alike); a plan of a parent department
            # may offer a team's vehicles, and the plan's depot and charging sites are of that department or above
            owner = route.vehicle.department
            for n, leg in enumerate(legs, start=1):
                # the plan's id keeps two plans of one name and day apart (route names are unique per department)
                suffix = f" {plan.service_date:%Y-%m-%d} (plan {plan.pk}) #{route.number}"
                suffix = f"{suffix}.{n}" if len(legs) > 1 else suffix
                name = plan.name[: 120 - len(suffix)] + suffix
                try:
                    ops_route = operations.route_create(
                        actor=actor, department=owner, name=name, road_mix=ROAD_MIX,
                        distance_km=max(0.1, round(leg.km, 1)), notes=f"Route plan {plan.pk}, {label}, leg {n}.",
                        stops=_leg_stops(leg, day),
                    )  # fmt: skip
                    trip = operations.trip_create(
                        actor=actor, now=now, department=owner, vehicle=route.vehicle, depot=leg.start_site,
                        departs_at=leg.departs_at, returns_at=leg.returns_at, route=ops_route, road_mix=ROAD_MIX,
                        notes=f"Route plan {plan.pk}: {plan.name}"[:250],
                    )  # fmt: skip
                except ValidationError as e:
                    reasons = "; ".join(f"{_stop_named(f, leg)}: {' '.join(m)}" for f, m in e.message_dict.items())
                    message = f"{label}: operations refused it ({reasons}). Nothing was committed."
                    raise ValidationError({f"routes[{route.number - 1}]": message}, code="commit_refused") from None
                route.operations_routes.add(ops_route)
                route.trips.add(trip)
                made += 1
        before = snapshot(plan)
        plan.status, plan.committed_at = RoutePlan.Status.COMMITTED, timezone.now()
        plan.message = f"{made} trip(s) created. " + plan.message
        audited_save(plan, actor=actor, before=before)
    return plan


# --- jobs from CSV ------------------------------------------------------------------------------------------------

CSV_COLUMNS = JOB_FIELDS
CSV_REQUIRED = ("name", "latitude", "longitude", "window_start", "window_end")
CSV_EXAMPLE = (
    "name,address,latitude,longitude,demand_kg,service_minutes,window_start,window_end\n"
    "Bakery Mitte,Torstr. 1,52.530,13.385,120,10,08:00,10:00\n"
)


def _csv_number(raw: str, name: str) -> float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValidationError({name: f"{raw!r} is not a number (a point or comma as decimal mark)."}) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError({name: "Give a finite number."})
    return value


def _csv_moment(raw: str, name: str, service_date, zone: ZoneInfo) -> datetime:
    """HH:MM is the depot's local time on the service date; ISO 8601 with an offset is that instant."""
    raw = raw.strip()
    try:
        if len(raw) <= 5 and ":" in raw:
            hours, minutes = (int(p) for p in raw.split(":"))
            return operations.local_datetime(service_date, time(hours, minutes), zone)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({name: f"{raw!r} is no time: give HH:MM (the depot's clock) or ISO 8601."}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not EARLIEST <= moment < LATEST:
        raise ValidationError({name: f"Give a date from 1970 to 2199; got {raw!r}."})
    return moment


def jobs_from_csv(data: bytes | str, *, service_date, zone: ZoneInfo) -> tuple[list[dict], list]:
    """The jobs of a CSV (columns ``CSV_COLUMNS``, header first, any order) and every row's errors as
    ``operations.imports.RowError`` (row 1 is the header, row 0 the file), in the operations import's style."""
    text, problem = decode(data)
    if problem is not None:
        return [], [problem]
    first = text.lstrip().splitlines()[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    try:
        lines = list(csv.reader(io.StringIO(text.lstrip(), newline=""), delimiter=delimiter))
    except csv.Error as e:  # a field over the csv module's limit (128 KiB), a NUL byte…
        return [], [RowError(0, "", f"The file is no CSV we can read: {e}.")]
    header = [h.strip().lower() for h in lines[0]]
    errors = [
        RowError(1, h, f"Unknown column {h!r}; the header is (optional columns may be left out): "
                 f"{','.join(CSV_COLUMNS)}")
        for h in header if h not in CSV_COLUMNS
    ]  # fmt: skip
    errors += [RowError(1, c, f"The column {c!r} is missing.") for c in CSV_REQUIRED if c not in header]
    if errors:
        return [], errors
    jobs = []
    for number, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(jobs) == MAX_JOBS:
            errors.append(RowError(number, "", f"A plan takes at most {MAX_JOBS} jobs: split the file into plans."))
            break
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        job: dict[str, Any] = {"name": row["name"], "address": row.get("address", "")}
        for name in ("latitude", "longitude", "demand_kg", "service_minutes", "window_start", "window_end"):
            raw = row.get(name, "")
            try:
                if not raw:
                    if name in CSV_REQUIRED:
                        raise ValidationError({name: "Required: give a value."})
                    continue
                if name.startswith("window"):
                    job[name] = _csv_moment(raw, name, service_date, zone)
                else:
                    value = _csv_number(raw, name)
                    job[name] = int(value) if name == "service_minutes" and value == int(value) else value
            except ValidationError as e:
                errors += [RowError(number, f, " ".join(m)) for f, m in e.message_dict.items()]
        if not row["name"]:
            errors.append(RowError(number, "name", "Required: give the job a name."))
        jobs.append(job)
    if not jobs and not errors:
        errors.append(RowError(2, "", "The file has a header but no rows: add a row for each job."))
    return jobs, errors
