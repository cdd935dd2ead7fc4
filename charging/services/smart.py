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
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.audit import snapshot
from charging.models import ChargingPlan, ChargingSession, Circuit
from charging.optimizer import lp
from charging.optimizer.problem import Problem, ProblemError, Request
from charging.services.smart_inputs import (
    STEP,
    PlanInput,
    _index,
    expected_arrivals,
    horizon_start,
    interval_carbon,
    interval_prices,
    peak_so_far_kw,
    plan_requests,
    site_limits,
    site_requests,
)
from charging.services.smart_profiles import profiles_send
from evfleet import live_events, realtime
from evfleet.jobs import enqueue
from pricing.models import GridSignal
from stations.models import Connector, Site

log = logging.getLogger(__name__)


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
            "reasons": reasons, "trip": meta.get("trip"), "required_percent": meta.get("required_percent"),
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
    if trigger != ChargingPlan.Trigger.WHAT_IF:  # the readiness board reads the expected SoC at departure anew
        payload = live_events.render("readiness.changed", site=site.pk, plan=plan.pk)
        department_id = site.department_id
        transaction.on_commit(lambda: realtime.publish("readiness.changed", payload, department_id=department_id))
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


__all__ = [
    "NEEDS",
    "ProblemError",
    "plan_site",
    "what_if",
    "current_plan",
    "session_needs_update",
]
