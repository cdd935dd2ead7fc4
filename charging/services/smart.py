"""Smart charging of a site: the problem from the database (limits, vehicles plugged in and booked, prices,
carbon), the plan, its explanation, and the charging profiles sent to the stations (OCPP SetChargingProfile,
TxProfile), cleared when a session ends.

The plan covers SMART_CHARGING_HORIZON 15-minute intervals from the current quarter hour. Each open session is
a request: its vehicle's SoC now (latest telemetry, else the station's reading), its target (the session's,
else 80 %, more when the next trip needs it), its departure (the session's, else its reservation's, else the end
of the horizon), its priority class and its battery's limits (profiles.py). Confirmed reservations that start
within the horizon are future arrivals on their connector. When the site's tariff charges for the peak, this
month's peak so far is paid already (power up to it costs no more), and the vehicles that came in the same hours
a week before are planned as expected arrivals, so the afternoon's plan leaves room for the evening.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.audit import snapshot
from charging.history import site_history
from charging.models import ChargingPlan, ChargingSession, Circuit, Reservation
from charging.optimizer import lp
from charging.optimizer.problem import EXPECTED, LimitNode, Problem, ProblemError, Request
from charging.optimizer.profiles import Battery, battery_limits
from evfleet.jobs import enqueue
from fleet.models import TelemetryPoint, Vehicle
from pricing import engine, selectors
from pricing.models import GridSignal
from stations.models import ChargePoint, Connector, Site

log = logging.getLogger(__name__)
STEP = timedelta(minutes=15)
OPEN = (
    ChargingSession.Status.PENDING,
    ChargingSession.Status.CHARGING,
    ChargingSession.Status.SUSPENDED_EV,
    ChargingSession.Status.SUSPENDED_EVSE,
)
UNKNOWN_NEED_KWH = 30.0  # a session of an unknown vehicle: what it is assumed to need


def horizon_start(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def _index(moment: datetime, start: datetime) -> int:
    return math.floor((moment - start).total_seconds() / STEP.total_seconds())


# --- limits ------------------------------------------------------------------------------------------------------


def site_limits(site: Site, connectors: list[Connector]) -> dict[str, LimitNode]:
    """site > circuits (nested) > charge points > connectors. A charge point without its own limit may draw the sum
    of its connectors; a site without a grid limit, the sum of everything."""
    nodes: dict[str, LimitNode] = {}
    total = sum(float(c.max_power_kw) for c in connectors) or 1.0
    nodes["site"] = LimitNode("site", float(site.grid_limit_kw) if site.grid_limit_kw else total, None, "site")
    for circuit in Circuit.objects.filter(site=site):
        parent = f"circuit-{circuit.parent_id}" if circuit.parent_id else "site"
        nodes[f"circuit-{circuit.pk}"] = LimitNode(f"circuit-{circuit.pk}", float(circuit.max_power_kw), parent,
                                                   "feeder")  # fmt: skip
    by_cp: dict[int, list[Connector]] = {}
    for connector in connectors:
        by_cp.setdefault(connector.charge_point_id, []).append(connector)
    for cp_id, cp_connectors in by_cp.items():
        cp = cp_connectors[0].charge_point
        limit = float(cp.max_power_kw) if cp.max_power_kw else sum(float(c.max_power_kw) for c in cp_connectors)
        parent = f"circuit-{cp.circuit_id}" if cp.circuit_id and f"circuit-{cp.circuit_id}" in nodes else "site"
        nodes[f"cp-{cp_id}"] = LimitNode(f"cp-{cp_id}", limit, parent, "charge_point")
        for connector in cp_connectors:
            nodes[f"conn-{connector.pk}"] = LimitNode(f"conn-{connector.pk}", float(connector.max_power_kw),
                                                      f"cp-{cp_id}", "connector")  # fmt: skip
    return nodes


# --- prices and carbon ---------------------------------------------------------------------------------------------


def interval_prices(site: Site, start: datetime, intervals: int) -> tuple[list[float], str, float]:
    """The energy price (incl. tax, per kWh) of each interval from the site's tariff, replaced by a grid signal's
    price where one covers the interval; the currency; the tariff's demand charge per kW."""
    from pricing.services import engine_calendar, engine_tariff

    connector = Connector.objects.filter(charge_point__site=site).select_related("charge_point").first()
    tariff = selectors.tariff_for_connector(connector, start) if connector else None
    version = selectors.version_at(tariff, start) if tariff else None
    prices = [0.0] * intervals
    currency, demand = (tariff.currency, float(tariff.demand_charge_per_kw or 0)) if tariff else ("", 0.0)
    if version is not None:
        compiled = engine_tariff(version)
        end = start + STEP * intervals
        calendar = engine_calendar(site, start, end)
        for t in range(intervals):
            moment = start + STEP * t
            usage = engine.Usage(((moment, Decimal(0)), (moment + timedelta(minutes=1), Decimal(1))))
            lines = [line for line in engine.price(compiled, usage, calendar).lines if line.dimension == engine.ENERGY]
            unit = lines[0].unit_price if lines else Decimal(0)
            prices[t] = float(unit * (1 + compiled.tax_percent / 100))
    signals = GridSignal.objects.filter(site=site, price_per_kwh__isnull=False, starts_at__lt=start + STEP * intervals,
                                        ends_at__gt=start)  # fmt: skip
    for signal in signals:
        for t in range(max(0, _index(signal.starts_at, start)), min(intervals, _index(signal.ends_at, start) + 1)):
            if signal.starts_at <= start + STEP * t < signal.ends_at:
                prices[t] = float(signal.price_per_kwh)
    return prices, currency, demand


def peak_so_far_kw(site: Site, now: datetime, end: datetime) -> float:
    """The site's highest 15-minute demand this month (its local month), from the analytics rollup: with a
    demand charge it is paid whatever the plan does, so power up to it costs no more. 0 when the horizon (to
    `end`) reaches into the next month, whose peak starts from nothing (the plan has one peak for its horizon)."""
    zone = ZoneInfo(site.time_zone)
    today = now.astimezone(zone).date()
    if (end - timedelta(microseconds=1)).astimezone(zone).month != today.month:
        return 0.0
    return site_history().peak_kw(site_id=site.pk, first_day=today.replace(day=1), last_day=today)


def interval_carbon(site: Site, start: datetime, intervals: int) -> list[float] | None:
    """g CO2e/kWh per interval: the zone's hourly figure where reported, else its yearly factor."""
    if site.carbon_zone_id is None:
        return None
    zone = site.carbon_zone
    hourly = site_history().carbon_by_hour(
        zone_id=zone.pk, start=start - timedelta(hours=1), end=start + STEP * intervals
    )
    out = []
    for t in range(intervals):
        moment = start + STEP * t
        hour = moment.replace(minute=0)
        out.append(hourly.get(hour, zone.gco2e_per_kwh))
    return out


# --- requests ----------------------------------------------------------------------------------------------------


def _label(vehicle: Vehicle | None) -> str:
    if vehicle is None:
        return "unknown vehicle"
    return vehicle.fleet_number or vehicle.license_plate or vehicle.vin


def _vehicle_state(vehicle_ids: list[int]) -> dict[int, float | None]:
    """Each vehicle's newest battery temperature (one query)."""
    newest = TelemetryPoint.objects.filter(vehicle=OuterRef("pk"), battery_temperature_c__isnull=False).order_by(
        "-recorded_at"
    )
    return dict(
        Vehicle.objects.filter(pk__in=vehicle_ids)
        .annotate(temperature=Subquery(newest.values("battery_temperature_c")[:1]))
        .values_list("pk", "temperature")
    )


@dataclass
class PlanInput:
    """What the plan knows of one vehicle on one connector, before battery health (profiles.py) turns it into a
    request: the same for a session, a booking and a what-if's vehicle (`plan_requests`). `temperature_c` and
    `state_of_health_percent` left None are read as a real plan reads them: the vehicle's newest telemetry
    reading of its battery temperature, its recorded state of health."""

    key: str
    vehicle: Vehicle | None
    connector: Connector
    arrival: int
    departure: int
    soc: float | None
    target: float | None = None
    next_trip_kwh: float | None = None
    priority: str | None = None
    temperature_c: float | None = None
    state_of_health_percent: float | None = None


def plan_requests(inputs: list[PlanInput]) -> list[tuple[Request, dict]]:
    """The requests of the plan's vehicles (and what the explanation shows of each), one way for every plan: the
    site's own and a what-if's. Battery temperatures come from telemetry in one query."""
    unknown = [i.vehicle.pk for i in inputs if i.vehicle is not None and i.temperature_c is None]
    temperatures = _vehicle_state(unknown) if unknown else {}
    out = []
    for i in inputs:
        temperature = i.temperature_c
        if temperature is None and i.vehicle is not None:
            temperature = temperatures.get(i.vehicle.pk)
        out.append(_request(i.key, vehicle=i.vehicle, connector=i.connector, arrival=i.arrival,
                            departure=i.departure, soc=i.soc, target=i.target, next_trip_kwh=i.next_trip_kwh,
                            temperature=temperature, state_of_health=i.state_of_health_percent,
                            priority=i.priority))  # fmt: skip
    return out


def _request(
    key: str,
    *,
    vehicle: Vehicle | None,
    connector: Connector,
    arrival: int,
    departure: int,
    soc: float | None,
    target: float | None,
    next_trip_kwh: float | None,
    temperature: float | None,
    state_of_health: float | None = None,
    priority: str | None = None,
) -> tuple[Request, dict]:
    dc = connector.current_type == Connector.CurrentType.DC
    meta = {"label": _label(vehicle), "vehicle": vehicle.pk if vehicle else None, "connector": connector.pk}
    if vehicle is None or soc is None:
        reasons = ["vehicle unknown: assumed to need 30 kWh" if vehicle is None else "SoC unknown: assumed 30 kWh"]
        request = Request(key, f"conn-{connector.pk}", arrival, departure, UNKNOWN_NEED_KWH,
                          float(connector.max_power_kw), priority or "normal", reasons=reasons)  # fmt: skip
        return request, {**meta, "soc_percent": soc, "target_percent": None, "capacity_kwh": None}
    model = vehicle.vehicle_model
    vehicle_kw = float((model.max_dc_kw if dc else model.max_ac_kw) or 0)
    health = vehicle.state_of_health_percent if state_of_health is None else state_of_health
    limits = battery_limits(
        Battery(float(model.usable_battery_kwh), soc, health, temperature),
        requested_target_percent=target,
        next_trip_kwh=next_trip_kwh,
        vehicle_max_kw=vehicle_kw,
        connector_max_kw=float(connector.max_power_kw),
        dc=dc,
    )
    request = Request(
        key, f"conn-{connector.pk}", arrival, departure, round(limits.energy_kwh, 4), limits.max_kw,
        priority or vehicle.priority_class, soc_percent=soc, capacity_kwh=limits.capacity_kwh,
        taper_from_soc=limits.taper_from_soc, taper_end_kw=limits.taper_end_kw, reasons=list(limits.reasons),
    )  # fmt: skip
    return request, {**meta, "soc_percent": soc, "target_percent": limits.target_percent,
                     "capacity_kwh": limits.capacity_kwh}  # fmt: skip


def _soc_now(session: ChargingSession) -> float | None:
    """The newest SoC of a charging vehicle: the station's reading or the vehicle's telemetry, whichever is newer;
    telemetry older than the session gets the energy delivered since added."""
    vehicle = session.vehicle
    telemetry = (vehicle.soc_percent, vehicle.last_telemetry_at) if vehicle else (None, None)
    station = (session.station_soc, session.station_soc_at)
    if station[0] is not None and (telemetry[1] is None or station[1] >= telemetry[1]):
        return float(station[0])
    if telemetry[0] is None:
        return None
    soc = telemetry[0]
    if telemetry[1] is not None and telemetry[1] < session.started_at and session.energy_kwh:
        capacity = float(vehicle.vehicle_model.usable_battery_kwh) * vehicle.state_of_health_percent / 100.0
        soc = min(100.0, soc + session.energy_kwh / capacity * 100.0) if capacity else soc
    return soc


def site_requests(site: Site, start: datetime, intervals: int, now: datetime) -> list[tuple[Request, dict]]:
    """The open sessions at the site and the confirmed reservations due within the horizon."""
    end = start + STEP * intervals
    from charging.models import MeterSample

    station_soc = MeterSample.objects.filter(session=OuterRef("pk"), soc_percent__isnull=False).order_by("-sampled_at")
    sessions = list(
        ChargingSession.objects.filter(charge_point__site=site, status__in=OPEN, ended_at__isnull=True)
        .select_related("vehicle__vehicle_model", "connector__charge_point")
        .annotate(
            station_soc=Subquery(station_soc.values("soc_percent")[:1]),
            station_soc_at=Subquery(station_soc.values("sampled_at")[:1]),
        )
        .order_by("started_at")
    )
    reservations = list(
        Reservation.objects.filter(site=site, status__in=Reservation.HOLDING, starts_at__lt=end, ends_at__gt=now)
        .filter(Q(session__isnull=True))
        .exclude(connector=None)
        .select_related("vehicle__vehicle_model", "connector__charge_point")
    )
    departures = {
        r.vehicle_id: r.departure_at or r.ends_at
        for r in Reservation.objects.filter(
            site=site, status__in=Reservation.HOLDING + (Reservation.Status.FULFILLED,), ends_at__gt=now
        ).order_by("starts_at")  # fmt: skip
    }
    inputs, extras = [], []
    busy = set()
    for s in sessions:
        departure_at = s.departure_at or (departures.get(s.vehicle_id) if s.vehicle else None)
        departure = _index(departure_at, start) if departure_at else intervals
        inputs.append(PlanInput(f"session-{s.pk}", s.vehicle, s.connector, 0, max(departure, 1), _soc_now(s),
                                target=s.target_soc_percent, next_trip_kwh=s.next_trip_kwh))  # fmt: skip
        extras.append((s, departure_at))
        busy.add(s.connector_id)
    for r in reservations:
        if r.connector_id in busy:  # its connector is still taken by an open session
            continue
        departure_at = r.departure_at or r.ends_at
        inputs.append(PlanInput(f"reservation-{r.pk}", r.vehicle, r.connector, max(0, _index(r.starts_at, start)),
                                min(intervals, _index(departure_at, start)), r.vehicle.soc_percent,
                                priority=r.priority_class))  # fmt: skip
        extras.append((r, departure_at))
    out = []
    for (request, meta), (source, departure_at) in zip(plan_requests(inputs), extras, strict=True):
        if isinstance(source, ChargingSession):
            if departure_at is None:
                request.reasons.append("no departure given: planned to the end of the horizon")
            if source.connector.status in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE):
                request.max_kw = 0.0  # its power goes to the others
                request.reasons.append(f"{source.connector.label()} is {source.connector.status.lower()}")
            out.append((request, {**meta, "session": source.pk, "departure_at": departure_at}))
        else:
            local = source.starts_at.astimezone(ZoneInfo(site.time_zone))
            request.reasons.append(f"booked from {local:%H:%M} {site.time_zone} (reservation {source.pk})")
            out.append((request, {**meta, "reservation": source.pk, "departure_at": departure_at}))
    return out


FORECAST_LOOKBACK = timedelta(days=7)


def expected_arrivals(site: Site, start: datetime, intervals: int, now: datetime,
                      known_vehicles: set[int]) -> list[tuple[Request, dict]]:  # fmt: skip
    """The vehicles expected later in the horizon, from the site's sessions of the same hours a week before
    (model-predictive control): each a placeholder under the site's own limit (which connector it will take is
    not known), asking the energy it took then, in the class below low (a vehicle that is there comes first),
    so that under a demand charge the plan keeps the evening's peak in mind when it spreads the afternoon's
    energy.
    Vehicles already plugged in or booked are not expected twice."""
    end = start + STEP * intervals
    then = (
        ChargingSession.objects.filter(
            charge_point__site=site,
            started_at__gte=now - FORECAST_LOOKBACK,
            started_at__lt=end - FORECAST_LOOKBACK,
            ended_at__isnull=False,
            energy_kwh__gt=0,
        )  # fmt: skip
        .exclude(vehicle_id__in=known_vehicles)
        .select_related("vehicle", "connector")
        .order_by("started_at")
    )
    zone = ZoneInfo(site.time_zone)
    out = []
    for s in then:
        # the same local time a week on (aware arithmetic keeps the wall clock across a change to summer time)
        comes, leaves = (
            s.started_at.astimezone(zone) + FORECAST_LOOKBACK,
            s.ended_at.astimezone(zone) + FORECAST_LOOKBACK,
        )
        arrival = max(0, _index(comes, start))
        departure = min(intervals, _index(leaves, start) + 1)
        if departure <= arrival or comes < now:
            continue
        request = Request(f"expected-{s.pk}", "site", arrival, departure, float(s.energy_kwh),
                          float(s.connector.max_power_kw), EXPECTED,
                          reasons=[f"expected: arrived {s.started_at.astimezone(zone):%a %H:%M} last week "
                                   f"(session {s.pk})"])  # fmt: skip
        out.append((request, {"label": f"expected: {_label(s.vehicle)}", "expected": True,
                              "vehicle": s.vehicle_id, "departure_at": leaves}))  # fmt: skip
    return out


# --- planning ----------------------------------------------------------------------------------------------------


def site_problem(site: Site, now: datetime, extra: list[tuple[Request, dict]] | None = None,
                 include_current: bool = True) -> tuple[Problem, dict[str, dict], str]:  # fmt: skip
    start = horizon_start(now)
    intervals = settings.SMART_CHARGING_HORIZON
    connectors = list(Connector.objects.filter(charge_point__site=site).select_related("charge_point"))
    nodes = site_limits(site, connectors)
    prices, currency, demand = interval_prices(site, start, intervals)
    pairs = site_requests(site, start, intervals, now) if include_current else []
    pairs += extra or []
    if demand and include_current:  # the evening's peak matters at noon: plan with last week's arrivals
        known = {meta["vehicle"] for _r, meta in pairs if meta.get("vehicle")}
        pairs += expected_arrivals(site, start, intervals, now, known)
    problem = Problem(
        start=start, step=STEP, intervals=intervals, price=prices, nodes=nodes, requests=[r for r, _m in pairs],
        carbon_g_per_kwh=interval_carbon(site, start, intervals),
        carbon_price_per_kg=settings.SMART_CHARGING_CARBON_PRICE_PER_KG, demand_charge_per_kw=demand,
        peak_floor_kw=peak_so_far_kw(site, now, start + STEP * intervals) if demand else 0.0,
    )  # fmt: skip
    return problem, {r.id: m for r, m in pairs}, currency


def _explain(problem: Problem, schedule, metas: dict[str, dict]) -> dict:
    h = problem.hours
    vehicles, placeholders = [], []
    for r in problem.requests:
        meta = metas.get(r.id, {})
        planned = sum(schedule.power_kw.get(r.id, [])) * h
        if meta.get("expected"):
            placeholders.append({"id": r.id, "label": meta["label"], "arrival_interval": r.arrival,
                             "departure_interval": r.departure, "energy_kwh": round(r.energy_kwh, 2),
                             "planned_kwh": round(planned, 2), "reasons": list(r.reasons)})  # fmt: skip
            continue
        expected = None
        if meta.get("soc_percent") is not None and meta.get("capacity_kwh"):
            expected = round(min(100.0, meta["soc_percent"] + planned / meta["capacity_kwh"] * 100.0), 1)
        reasons = list(r.reasons)
        unmet = schedule.unmet_kwh.get(r.id, 0.0)
        if unmet > 0.01 and r.id not in schedule.cannot_serve:
            reasons.append(
                f"{unmet:.1f} kWh short by departure: the limits leave no more power (priority {r.priority})"
            )
        vehicles.append({
            "id": r.id, "session": meta.get("session"), "reservation": meta.get("reservation"),
            "vehicle": meta.get("vehicle"), "label": meta.get("label"), "connector": meta.get("connector"),
            "priority": r.priority, "arrival_interval": r.arrival, "departure_interval": r.departure,
            "departure_at": meta["departure_at"].isoformat() if meta.get("departure_at") else None,
            "soc_percent": meta.get("soc_percent"), "target_percent": meta.get("target_percent"),
            "energy_needed_kwh": round(r.energy_kwh, 2), "planned_kwh": round(planned, 2),
            "unmet_kwh": round(unmet, 2), "expected_soc_at_departure_percent": expected, "max_kw": round(r.max_kw, 1),
            "reasons": reasons,
        })  # fmt: skip
    site_kw = schedule.site_kw(problem.intervals)
    root = problem.root()
    binding = [t for t in range(problem.intervals) if site_kw[t] >= root.limit_at(t) - 1e-3]
    summary = (
        f"{len(vehicles)} vehicle(s); the site's limit binds in {len(binding)} of {problem.intervals} intervals; "
        f"{sum(1 for v in vehicles if v['unmet_kwh'] > 0.01)} short by departure."
    )
    peak = max(site_kw, default=0.0)
    if problem.demand_charge_per_kw:
        summary += (
            f" Demand charge {problem.demand_charge_per_kw:g} per kW: planned peak {peak:.1f} kW; this month's "
            f"peak so far, {problem.peak_floor_kw:.1f} kW, is paid already; {len(placeholders)} arrival(s) expected "
            "from last week's sessions."
        )
    return {
        "vehicles": vehicles,
        "cannot_serve": [
            {"id": k, "label": metas.get(k, {}).get("label"), "reason": v} for k, v in schedule.cannot_serve.items()
        ],  # fmt: skip
        "expected": placeholders,
        "site_limit_binding_intervals": binding,
        "planned_peak_kw": round(peak, 3),
        "peak_so_far_kw": problem.peak_floor_kw if problem.demand_charge_per_kw else None,
        "method": list(schedule.notes),
        "summary": summary,
    }


def _energy_cost(problem: Problem, schedule) -> float:
    site = schedule.site_kw(problem.intervals)
    return sum(problem.price[t] * site[t] * problem.hours for t in range(problem.intervals))


def plan_site(
    *,
    site: Site,
    trigger: str,
    now: datetime | None = None,
    apply: bool = True,
    extra: list[tuple[Request, dict]] | None = None,
    include_current: bool = True,
) -> ChargingPlan:
    """Plan the site now and keep the plan; with `apply`, send each session its charging profile."""
    now = now or timezone.now()
    problem, metas, currency = site_problem(site, now, extra=extra, include_current=include_current)
    try:
        schedule = lp.plan(problem)
    except ProblemError as exc:  # bad data (a limit of 0 kW set in the database, say): kept as a refused plan
        log.warning("Smart charging cannot plan %s: %s", site, exc)
        return ChargingPlan.objects.create(
            site=site, trigger=trigger, starts_at=problem.start, intervals=problem.intervals, status="invalid",
            solve_ms=0.0, applied=False, explanation={"errors": exc.errors, "summary": f"Cannot plan: {exc}"},
        )  # fmt: skip
    plan = ChargingPlan.objects.create(
        site=site, trigger=trigger, starts_at=problem.start, step_minutes=15, intervals=problem.intervals,
        status=schedule.status, solve_ms=round(schedule.solve_seconds * 1000, 2), objective=schedule.objective,
        energy_cost=Decimal(str(round(_energy_cost(problem, schedule), 4))), currency=currency, applied=apply,
        limit_kw=[problem.root().limit_at(t) for t in range(problem.intervals)],
        price=[round(p, 4) for p in problem.price],
        schedule={k: [round(v, 3) for v in series] for k, series in schedule.power_kw.items()},
        explanation=_explain(problem, schedule, metas),
    )  # fmt: skip
    if apply:
        transaction.on_commit(lambda: profiles_send(plan))
    return plan


def what_if(*, site: Site, vehicles: list[dict], include_current: bool, now: datetime | None = None) -> ChargingPlan:
    """A plan for the vehicles given (each: vehicle, connector, soc_percent, target_soc_percent, arrival,
    departure, priority, battery_temperature_c, state_of_health_percent), with or without the site's current
    sessions; kept, never sent to the stations. Its requests are built as a real plan's (`plan_requests`): a
    vehicle's battery temperature and state of health, unless given, are those a real plan would read."""
    now = now or timezone.now()
    start = horizon_start(now)
    intervals = settings.SMART_CHARGING_HORIZON
    inputs = []
    for index, v in enumerate(vehicles):
        vehicle = v.get("vehicle")
        inputs.append(PlanInput(
            f"what-if-{index}", vehicle, v["connector"], max(0, _index(v.get("arrival") or now, start)),
            min(intervals, _index(v["departure"], start)) if v.get("departure") else intervals,
            v.get("soc_percent", vehicle.soc_percent if vehicle else None), target=v.get("target_soc_percent"),
            next_trip_kwh=v.get("next_trip_kwh"), priority=v.get("priority"),
            temperature_c=v.get("battery_temperature_c"), state_of_health_percent=v.get("state_of_health_percent"),
        ))  # fmt: skip
    extra = []
    for (request, meta), v in zip(plan_requests(inputs), vehicles, strict=True):
        if v.get("cannot"):  # no compatible connector: listed as not served, with the reason
            request.max_kw = 0.0
            request.reasons.append(v["cannot"])
        extra.append((request, {**meta, "departure_at": v.get("departure")}))
    return plan_site(site=site, trigger=ChargingPlan.Trigger.WHAT_IF, now=now, apply=False, extra=extra,
                     include_current=include_current)  # fmt: skip


def current_plan(site: Site) -> ChargingPlan | None:
    return (
        ChargingPlan.objects.filter(site=site)
        .exclude(trigger=ChargingPlan.Trigger.WHAT_IF)
        .exclude(status="invalid")
        .first()
    )


def prune_plans(now: datetime | None = None) -> int:
    """Delete the plans made before the retention period, but each site's current plan (the page shows it
    while smart charging is off), and the what-ifs made more than a day ago. Returns how many went."""
    now = now or timezone.now()
    current = (
        ChargingPlan.objects.filter(site=OuterRef("site"))
        .exclude(trigger=ChargingPlan.Trigger.WHAT_IF)
        .exclude(status="invalid")
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    old = Q(created_at__lt=now - timedelta(days=settings.SMART_CHARGING_PLAN_RETENTION_DAYS)) | Q(
        trigger=ChargingPlan.Trigger.WHAT_IF, created_at__lt=now - timedelta(days=1)
    )
    kept = ChargingPlan.objects.filter(old).annotate(current=Subquery(current)).filter(pk=F("current"))
    deleted, _ = ChargingPlan.objects.filter(old).exclude(pk__in=kept.values("pk")).delete()
    return deleted


NEEDS = ("departure_at", "target_soc_percent", "next_trip_kwh")


@transaction.atomic
def session_needs_update(*, session: ChargingSession, actor, **needs) -> ChargingSession:
    """When the vehicle must leave, the SoC it should have and the next trip's energy; a smart-charging site
    re-plans at once."""
    from django.core.exceptions import ValidationError

    errors = {}
    unknown = set(needs) - set(NEEDS)
    if unknown:
        errors.update({name: f"Unknown field {name!r}: use {', '.join(NEEDS)}." for name in unknown})
    if session.ended_at is not None:
        errors["session"] = "The session has ended: there is nothing left to plan."
    departure = needs.get("departure_at")
    if departure is not None and departure <= max(session.started_at, timezone.now()):
        errors["departure_at"] = "The departure must be in the future (and after the session started)."
    target = needs.get("target_soc_percent")
    soc = session.vehicle.soc_percent if session.vehicle_id else None
    if target is not None and soc is not None and target < soc:
        errors["target_soc_percent"] = f"The target ({target} %) is below the vehicle's SoC now ({soc:.0f} %)."
    if errors:
        raise ValidationError(errors)
    from charging.services.session_log import session_log

    before = snapshot(session)
    for name, value in needs.items():
        setattr(session, name, value)
    session.full_clean()
    session.save(update_fields=[*needs, "updated_at"])
    session_log(session, actor=actor, before=before)
    site = session.charge_point.site
    if site is not None and site.smart_charging:
        enqueue("charging.tasks.smart_charging_plan", site_id=site.pk, trigger="manual")
    return session


# --- charging profiles -------------------------------------------------------------------------------------------


def _periods(series: list[float], start: datetime, now: datetime) -> list[dict[str, Any]]:
    """The plan as schedule periods from now: seconds from `now`, limit in W; equal neighbours merged."""
    periods, last = [], None
    offset = (now - start).total_seconds()
    for t, kw in enumerate(series):
        begins = max(0.0, t * STEP.total_seconds() - offset)
        if (t + 1) * STEP.total_seconds() <= offset:
            continue
        watts = round(kw * 1000.0, 1)
        if watts != last:
            periods.append({"startPeriod": int(begins), "limit": watts})
            last = watts
    return periods or [{"startPeriod": 0, "limit": 0.0}]


def profile_request(session: ChargingSession, series: list[float], start: datetime, now: datetime):
    """(action, payload) of the TxProfile for a session's plan, in the station's protocol; None when the station's
    protocol does not carry a transaction id we can name."""
    periods = _periods(series, start, now)
    moment = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    charge_point = session.charge_point
    if charge_point.protocol == ChargePoint.Protocol.OCPP201:
        return "SetChargingProfile", {
            "evseId": session.connector.evse_id,
            "chargingProfile": {
                "id": session.pk, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Absolute", "transactionId": session.transaction_id,
                "chargingSchedule": [{"id": session.pk, "startSchedule": moment, "chargingRateUnit": "W",
                                      "chargingSchedulePeriod": periods}],
            },
        }  # fmt: skip
    if not session.transaction_id.isdigit():
        return None
    return "SetChargingProfile", {
        "connectorId": session.connector.evse_id,
        "csChargingProfiles": {
            "chargingProfileId": session.pk, "transactionId": int(session.transaction_id), "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"startSchedule": moment, "chargingRateUnit": "W",
                                 "chargingSchedulePeriod": periods},
        },
    }  # fmt: skip


def _command(charge_point: ChargePoint, action: str, payload: dict) -> None:
    from stations.ocpp.commands import command_problem
    from stations.services import command_create

    problem = command_problem(protocol=charge_point.protocol, action=action, payload=payload)
    if problem is not None:  # a bug of ours, not the station's: say so loudly, send nothing
        log.error("Smart charging built an invalid %s for %s: %s", action, charge_point.identity, problem[1])
        return
    command_create(charge_point=charge_point, action=action, request=payload, actor=None)


def profiles_send(plan: ChargingPlan, now: datetime | None = None) -> int:
    """Send each planned open session its TxProfile; returns how many were sent."""
    now = now or timezone.now()
    ids = [int(k.split("-", 1)[1]) for k in plan.schedule if k.startswith("session-")]
    sent = 0
    sessions = (
        ChargingSession.objects.filter(pk__in=ids, ended_at__isnull=True)
        .exclude(status=ChargingSession.Status.PENDING)  # no transaction at the station yet: nothing to name
        .select_related("charge_point", "connector")
    )
    for session in sessions:
        if not session.charge_point.is_connected or not session.charge_point.protocol:
            continue
        found = profile_request(session, plan.schedule[f"session-{session.pk}"], plan.starts_at, now)
        if found is None:
            continue
        _command(session.charge_point, *found)
        sent += 1
    return sent


def profile_clear(session: ChargingSession) -> None:
    """The session ended: its profile goes (stations drop TxProfiles with the transaction, but say it anyway)."""
    charge_point = session.charge_point
    if not charge_point.is_connected or not charge_point.protocol:
        return
    if not ChargingPlan.objects.filter(site_id=charge_point.site_id, applied=True).exists():
        return
    if charge_point.protocol == ChargePoint.Protocol.OCPP201:
        _command(charge_point, "ClearChargingProfile", {"chargingProfileId": session.pk})
    else:
        _command(charge_point, "ClearChargingProfile", {"id": session.pk})


__all__ = [
    "NEEDS",
    "ProblemError",
    "plan_site",
    "what_if",
    "current_plan",
    "profiles_send",
    "profile_clear",
    "session_needs_update",
]


def planned_pauses(sessions: list[ChargingSession], since: datetime, now: datetime) -> set[int]:
    """The sessions that the current plan of their (smart-charging) site holds at (almost) no power throughout
    [since, now]: a meter that does not move there is the plan, not a fault. One query per smart site."""
    paused: set[int] = set()
    by_site: dict[int, list[ChargingSession]] = {}
    for session in sessions:
        site = session.charge_point.site
        if site is not None and site.smart_charging:
            by_site.setdefault(site.pk, []).append(session)
    for site_id, site_sessions in by_site.items():
        plan = (
            ChargingPlan.objects.filter(site_id=site_id, applied=True)
            .exclude(status="invalid")
            .only("starts_at", "intervals", "schedule")
            .first()
        )
        if plan is None:
            continue
        first, last = _index(since, plan.starts_at), _index(now, plan.starts_at)
        for session in site_sessions:
            series = plan.schedule.get(f"session-{session.pk}")
            if series is None:
                continue
            window = [series[t] for t in range(max(first, 0), min(last + 1, len(series)))]
            if window and max(window) < 0.1:
                paused.add(session.pk)
    return paused


def _off_plan(plan: ChargingPlan, now: datetime) -> list[str]:
    """Sessions whose newest meter reading (of the last 5 minutes) is off their planned power by more than the
    allowed share (and 1 kW)."""
    from charging.models import MeterSample

    t = _index(now, plan.starts_at)
    ids = {int(k.split("-", 1)[1]): series for k, series in plan.schedule.items() if k.startswith("session-")}
    if not ids or not 0 <= t < plan.intervals:
        return []
    newest = MeterSample.objects.filter(session=OuterRef("pk"), power_kw__isnull=False,
                                        sampled_at__gte=now - timedelta(minutes=5)).order_by("-sampled_at")  # fmt: skip
    readings = (
        ChargingSession.objects.filter(pk__in=ids, ended_at__isnull=True)
        .annotate(power=Subquery(newest.values("power_kw")[:1]))
        .values_list("pk", "power")
    )
    off = []
    for pk, power in readings:
        planned = ids[pk][t]
        if power is not None and abs(power - planned) > max(1.0, settings.SMART_CHARGING_OFF_PLAN_SHARE * planned):
            off.append(f"session-{pk}")
    return off


def smart_charging_tick(now: datetime | None = None) -> dict:
    """Re-plan each smart-charging site whose plan is from an earlier quarter hour (periodic), whose site, circuits
    or grid signals changed since (limit, price), or whose sessions are off the plan (meter)."""
    now = now or timezone.now()
    done = {}
    for site in Site.objects.filter(smart_charging=True).select_related("carbon_zone"):
        plan = current_plan(site)
        trigger = None
        if plan is None or plan.starts_at < horizon_start(now):
            trigger = ChargingPlan.Trigger.PERIODIC
        elif (
            site.updated_at > plan.created_at
            or Circuit.objects.filter(site=site, updated_at__gt=plan.created_at).exists()
        ):
            trigger = ChargingPlan.Trigger.LIMIT
        elif GridSignal.objects.filter(site=site, received_at__gt=plan.created_at).exists():
            trigger = ChargingPlan.Trigger.PRICE
        elif _off_plan(plan, now):
            trigger = ChargingPlan.Trigger.METER
        if trigger is not None:
            done[site.pk] = plan_site(site=site, trigger=trigger, now=now).trigger
    return done
