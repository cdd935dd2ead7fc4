"""Will each vehicle be ready for its next trip? For the vehicles with a next planned trip: the status, the SoC
expected at departure (from the site's current smart-charging plan, else the session's full rate), where the vehicle
is, the reason when it is not ready and the options the platform can offer; and the alert, through the
notifications, when a vehicle is at risk or not plugged in within `READINESS_ALERT_HOURS` of its departure.

Statuses:
- `ready`: its SoC now is at least the trip's required SoC;
- `will_be_ready`: plugged in, and the SoC expected at departure reaches it;
- `at_risk`: plugged in, and the plan will not reach it (the site's limit, or the battery's rate and taper);
- `not_plugged_in`: below it with no open session: at the depot (no compatible charger free, or just not plugged
  in) or on the road (and back too late to charge enough before the departure).

`fleet_readiness` reads any number of vehicles in a constant number of queries (the board's page, the alert job).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from charging.models import ChargingPlan, ChargingSession
from charging.optimizer.profiles import KNEE_PERCENT
from charging.services.smart_inputs import OPEN
from fleet.models import Vehicle
from operations.models import Trip, VehicleDepot
from operations.selectors import next_trips
from stations.models import Connector, Site

READY, WILL_BE_READY, AT_RISK, NOT_PLUGGED_IN = "ready", "will_be_ready", "at_risk", "not_plugged_in"
STATUSES = {
    READY: "Ready",
    WILL_BE_READY: "Will be ready",
    AT_RISK: "At risk",
    NOT_PLUGGED_IN: "Not plugged in",
}
# why a vehicle will not be ready
NOT_PLUGGED, NO_CHARGER, SITE_LIMIT, ARRIVES_TOO_LATE, BATTERY_LIMIT = (
    "not_plugged_in", "no_charger_free", "site_limit", "arrives_too_late", "battery_limit",
)  # fmt: skip
REASONS = {
    NOT_PLUGGED: "not plugged in",
    NO_CHARGER: "no compatible charger free at the depot",
    SITE_LIMIT: "the site's power limit",
    ARRIVES_TOO_LATE: "arrives too late to charge enough",
    BATTERY_LIMIT: "the battery's charging rate (limit and taper)",
}
TOLERANCE_PERCENT = 0.5  # a plan aimed at the required SoC lands within rounding of it
TAPER_FACTOR = 0.5  # above the knee a battery takes about half its rate (constant voltage): for estimates


@dataclass
class Readiness:
    """One vehicle's readiness for its next trip."""

    vehicle: Vehicle
    trip: Trip
    status: str
    soc_percent: float | None
    required_percent: float | None
    expected_percent: float | None
    where: str  # "charger", "depot", "road"
    session: ChargingSession | None = None
    trip_under_way: Trip | None = None
    reason: str = ""  # a REASONS key
    detail: str = ""  # the words: the plan's explanation, the time it is back
    options: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def reason_text(self) -> str:
        text = REASONS.get(self.reason, "")
        return f"{text}: {self.detail}" if text and self.detail else text or self.detail

    @property
    def depot(self) -> Site:
        return self.trip.depot


def _capacity_kwh(vehicle: Vehicle) -> float:
    return float(vehicle.vehicle_model.usable_battery_kwh) * vehicle.state_of_health_percent / 100.0


def _hours_to(soc: float, target: float, kw: float, capacity: float) -> float:
    """How long a battery takes from `soc` to `target` % at `kw`, more slowly above the knee."""
    if kw <= 0 or capacity <= 0:
        return float("inf")
    below = max(0.0, min(target, KNEE_PERCENT) - soc) / 100 * capacity
    above = max(0.0, target - max(soc, KNEE_PERCENT)) / 100 * capacity
    return below / kw + above / (kw * TAPER_FACTOR)


def _soc_reached(soc: float, kw: float, hours: float, capacity: float) -> float:
    """The SoC reached from `soc` charging at `kw` for `hours`, more slowly above the knee."""
    if capacity <= 0 or hours <= 0 or kw <= 0:
        return soc
    to_knee = _hours_to(soc, KNEE_PERCENT, kw, capacity) if soc < KNEE_PERCENT else 0.0
    if hours <= to_knee:
        return soc + kw * hours / capacity * 100
    start = max(soc, KNEE_PERCENT)
    return min(100.0, start + kw * TAPER_FACTOR * (hours - to_knee) / capacity * 100)


def current_plans(site_ids) -> dict[int, ChargingPlan]:
    """Each site's current plan (its newest, not a what-if nor a refused one), in one query."""
    newest = (
        ChargingPlan.objects.filter(site=OuterRef("pk"))
        .exclude(trigger=ChargingPlan.Trigger.WHAT_IF)
        .exclude(status="invalid")
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    plan_ids = Site.objects.filter(pk__in=list(site_ids)).annotate(plan=Subquery(newest)).values("plan")
    return {p.site_id: p for p in ChargingPlan.objects.filter(pk__in=plan_ids)}


def _planned_row(plan: ChargingPlan | None, session: ChargingSession) -> dict | None:
    if plan is None:
        return None
    return next((v for v in plan.explanation.get("vehicles", []) if v.get("session") == session.pk), None)


def _session_rate_kw(session: ChargingSession) -> float:
    model = session.vehicle.vehicle_model
    dc = session.connector.current_type == Connector.CurrentType.DC
    vehicle_kw = float((model.max_dc_kw if dc else model.max_ac_kw) or 0)
    return min(vehicle_kw, float(session.connector.max_power_kw))


def expected_soc(*, soc: float, capacity_kwh: float, rate_kw: float, plan: ChargingPlan | None, session_id: int,
                 departs_at: datetime, now: datetime) -> tuple[float, float]:  # fmt: skip
    """A plugged-in vehicle's SoC expected at its departure (from the plan's power for its session, at the full
    rate beyond the plan's horizon, or at the full rate without a plan) and what the full rate alone would reach.
    Plain numbers in, so the board can read every plugged-in vehicle's status without building its models."""
    hours = max(0.0, (departs_at - now).total_seconds() / 3600)
    at_full_rate = _soc_reached(soc, rate_kw, hours, capacity_kwh)
    key = f"session-{session_id}"
    if plan is None or key not in plan.schedule:
        return round(at_full_rate, 1), at_full_rate
    step_h = plan.step_minutes / 60
    first = max(0, int((now - plan.starts_at).total_seconds() // (plan.step_minutes * 60)))
    last = int((departs_at - plan.starts_at).total_seconds() // (plan.step_minutes * 60))
    series = plan.schedule[key]
    planned_kwh = sum(series[first : max(first, min(last, len(series)))]) * step_h
    if last > len(series):  # the departure lies beyond the plan's horizon: at full rate after it
        planned_kwh += rate_kw * (last - len(series)) * step_h
    expected = round(min(100.0, soc + planned_kwh / capacity_kwh * 100), 1) if capacity_kwh else soc
    return expected, at_full_rate


def _plugged_in(r: Readiness, plan: ChargingPlan | None, now: datetime) -> None:
    session, trip = r.session, r.trip
    rate = _session_rate_kw(session)
    r.expected_percent, at_full_rate = expected_soc(
        soc=r.soc_percent or 0.0, capacity_kwh=_capacity_kwh(r.vehicle), rate_kw=rate, plan=plan,
        session_id=session.pk, departs_at=trip.departs_at, now=now,
    )  # fmt: skip
    if r.required_percent is None or r.expected_percent + TOLERANCE_PERCENT >= r.required_percent:
        r.status = WILL_BE_READY
        return
    r.status = AT_RISK
    if at_full_rate + TOLERANCE_PERCENT < r.required_percent:
        r.reason = BATTERY_LIMIT
        r.detail = f"at {rate:.0f} kW it reaches {at_full_rate:.0f} % by the departure" + (
            f", tapering above {KNEE_PERCENT:.0f} %" if r.required_percent > KNEE_PERCENT else ""
        )
    else:
        r.reason = SITE_LIMIT
        row = _planned_row(plan, session)
        short = [x for x in (row or {}).get("reasons", []) if "short by departure" in x]
        r.detail = short[0] if short else (plan.explanation.get("summary", "") if plan else "")


def _not_plugged(r: Readiness, under_way: Trip | None, free_chargers: dict[int, int], now: datetime) -> None:
    r.status = NOT_PLUGGED_IN
    trip, vehicle = r.trip, r.vehicle
    zone = ZoneInfo(trip.depot.time_zone)
    if under_way is not None:
        r.where, r.trip_under_way = "road", under_way
        capacity = _capacity_kwh(vehicle)
        rate = float(vehicle.vehicle_model.max_ac_kw or 0)
        back = max(now, under_way.returns_at)
        needed_h = _hours_to(r.soc_percent or 0.0, r.required_percent or 0.0, rate, capacity)
        if back + timedelta(hours=needed_h) > trip.departs_at:
            r.reason = ARRIVES_TOO_LATE
            r.detail = (
                f"back at {back.astimezone(zone):%H:%M %Z}, {needed_h:.1f} h of charging needed before "
                f"{trip.departs_at.astimezone(zone):%H:%M %Z}"
            )
        else:
            r.reason = NOT_PLUGGED
            r.detail = f"on the road, back at {back.astimezone(zone):%H:%M %Z}: plug it in on return"
        return
    r.where = "depot"
    if free_chargers.get(trip.depot_id, 0) == 0:
        r.reason = NO_CHARGER
    else:
        r.reason = NOT_PLUGGED


def _free_chargers(site_ids) -> dict[int, int]:
    """How many connectors at each site are Available and take no open session (one query)."""
    busy = ChargingSession.objects.filter(status__in=OPEN, ended_at__isnull=True).values("connector_id")
    counts: dict[int, int] = {}
    free = (
        Connector.objects.filter(charge_point__site_id__in=list(site_ids), status=Connector.Status.AVAILABLE)
        .exclude(pk__in=busy)
        .values_list("charge_point__site_id", flat=True)
    )
    for site_id in free:
        counts[site_id] = counts.get(site_id, 0) + 1
    return counts


def fleet_readiness(vehicles, *, now: datetime | None = None, trips: dict[int, Trip] | None = None
                    ) -> dict[int, Readiness]:  # fmt: skip
    """The readiness of each of `vehicles` (with their model; each with a next planned trip, the others left out),
    in a constant number of queries whatever their number. `trips` (vehicle id: its next planned trip, with its
    depot) when the caller has read them already."""
    now = now or timezone.now()
    vehicles = list(vehicles)
    ids = [v.pk for v in vehicles]
    trips = next_trips(ids, now=now) if trips is None else trips
    if not trips:
        return {}
    with_trip = [v for v in vehicles if v.pk in trips]
    trip_ids = [v.pk for v in with_trip]
    sessions = {
        s.vehicle_id: s
        for s in ChargingSession.objects.filter(vehicle_id__in=trip_ids, status__in=OPEN, ended_at__isnull=True)
        .select_related("connector__charge_point")
        .order_by("started_at")
    }
    under_way = {
        t.vehicle_id: t
        for t in Trip.objects.filter(vehicle_id__in=trip_ids, status=Trip.Status.UNDER_WAY).order_by("departs_at")
    }
    sites = {s.connector.charge_point.site_id for s in sessions.values()}
    plans = current_plans(sites)  # (run when empty too: the same queries whoever is on the page)
    free = _free_chargers({t.depot_id for t in trips.values()})
    out = {}
    for vehicle in with_trip:
        trip = trips[vehicle.pk]
        session = sessions.get(vehicle.pk)
        if session is not None:
            session.vehicle = vehicle
        soc = vehicle.soc_percent
        r = Readiness(vehicle=vehicle, trip=trip, status=READY, soc_percent=soc,
                      required_percent=trip.required_soc_percent, expected_percent=soc,
                      where="charger" if session is not None else "depot", session=session)  # fmt: skip
        if soc is not None and r.required_percent is not None and soc + 1e-9 >= r.required_percent:
            r.status = READY
            if vehicle.pk in under_way:
                r.where, r.trip_under_way = "road", under_way[vehicle.pk]
        elif session is not None:
            _plugged_in(r, plans.get(session.connector.charge_point.site_id), now)
        else:
            _not_plugged(r, under_way.get(vehicle.pk), free, now)
        out[vehicle.pk] = r
    return out


# --- options and alerts --------------------------------------------------------------------------------------------


def options_for(r: Readiness, ready: dict[int, Readiness] | None = None) -> list[str]:
    """What the platform can offer a vehicle that will not be ready: another compatible free charger at its depot,
    a priority raise, another vehicle of the same class at the depot that is ready and free for the trip."""
    from charging.services.reservation_rules import compatible_connectors

    options = []
    vehicle, trip = r.vehicle, r.trip
    if r.reason in (NOT_PLUGGED, NO_CHARGER, BATTERY_LIMIT, SITE_LIMIT):
        busy = ChargingSession.objects.filter(status__in=OPEN, ended_at__isnull=True).values("connector_id")
        taken = set(Connector.objects.filter(pk__in=busy).values_list("pk", flat=True))
        for connector, power in compatible_connectors(vehicle, trip.depot):
            if connector.pk in taken or connector.status != Connector.Status.AVAILABLE:
                continue
            if r.session is not None and connector.pk == r.session.connector_id:
                continue
            if r.session is not None and float(power) <= _session_rate_kw(r.session):
                continue  # no faster than where it is
            options.append(f"plug it in at {connector.label()} ({float(power):.0f} kW, free now)")
            break
    if r.reason in (SITE_LIMIT, NO_CHARGER) and vehicle.priority_class != Vehicle.PriorityClass.CRITICAL:
        options.append("raise its priority to critical: it charges first when power or chargers are short")
    swap = _swap_candidate(r)
    if swap is not None:
        options.append(f"send {swap} instead: same class, ready, no trip at that time")
    return options


def _swap_candidate(r: Readiness) -> str | None:
    trip = r.trip
    required = r.required_percent or 0.0
    overlapping = Trip.objects.filter(
        status__in=Trip.ACTIVE, departs_at__lt=trip.returns_at, returns_at__gt=trip.departs_at
    ).values("vehicle_id")
    candidates = (
        Vehicle.objects.filter(
            depot__site_id=trip.depot_id,
            department_id=r.vehicle.department_id,
            vehicle_model__vehicle_class=r.vehicle.vehicle_model.vehicle_class,
            status=Vehicle.Status.ACTIVE,
            soc_percent__gte=required,
        )
        .exclude(pk=r.vehicle.pk)
        .exclude(pk__in=overlapping)
        .order_by("-soc_percent", "pk")
    )
    best = candidates.first()
    if best is None:
        return None
    return best.fleet_number or best.license_plate or best.vin


ALERTED = (AT_RISK, NOT_PLUGGED_IN)


def readiness_alerts(*, site_ids=None, now: datetime | None = None) -> int:
    """Tell the department's people of each vehicle at risk or not plugged in whose trip leaves within
    READINESS_ALERT_HOURS, with the reason and the options; told once per trip, status and reason (the same
    news again adds nothing). Returns how many vehicles were told of."""
    from notifications.events import Event, Notice
    from notifications.models import Notification
    from notifications.services import notify

    now = now or timezone.now()
    soon = now + timedelta(hours=settings.READINESS_ALERT_HOURS)
    trips = Trip.objects.filter(status=Trip.Status.PLANNED, departs_at__gt=now, departs_at__lte=soon)
    if site_ids is not None:
        trips = trips.filter(depot_id__in=list(site_ids))
    vehicles = Vehicle.objects.filter(pk__in=trips.values("vehicle_id")).select_related("vehicle_model")
    told = 0
    readiness = fleet_readiness(vehicles, now=now)
    pending = [r for r in readiness.values() if r.status in ALERTED and r.trip.departs_at <= soon]
    keys = {r.vehicle.pk: f"readiness-trip-{r.trip.pk}-{r.status}-{r.reason}" for r in pending}
    sent = set(Notification.objects.filter(event=Event.VEHICLE_NOT_READY, dedup_key__in=keys.values()).values_list(
        "dedup_key", flat=True))  # fmt: skip
    for r in pending:
        key = keys[r.vehicle.pk]
        if key in sent:
            continue
        r.options = options_for(r)
        label = r.vehicle.fleet_number or r.vehicle.license_plate or r.vehicle.vin
        zone = ZoneInfo(r.depot.time_zone)
        leaves = r.trip.departs_at.astimezone(zone)
        title = f"{label} {STATUSES[r.status].lower()} for its {leaves:%a %H:%M %Z} trip"
        needs = f"needs {r.required_percent:.0f} %" if r.required_percent is not None else "need not computed"
        soc = f"{r.soc_percent:.0f} %" if r.soc_percent is not None else "unknown"
        expected = f", expected {r.expected_percent:.0f} % at departure" if r.session is not None else ""
        body = f"SoC {soc}{expected}; the trip {needs}. Why: {r.reason_text}."
        if r.options:
            body += " Options: " + "; ".join(r.options) + "."
        notify(
            event=Notice(
                kind=Event.VEHICLE_NOT_READY,
                department_id=r.vehicle.department_id,
                permission="operations.view_trip",
                title=title[:200],
                body=body,
                link="/",
                data={
                    "vehicle": r.vehicle.pk,
                    "trip": r.trip.pk,
                    "status": r.status,
                    "reason": r.reason,
                    "options": r.options,
                },  # fmt: skip
                dedup_key=key,
            )
        )
        told += 1
    return told


def vehicle_depots(vehicle_ids) -> dict[int, int]:
    """Each vehicle's depot site id (one query)."""
    return dict(VehicleDepot.objects.filter(vehicle_id__in=list(vehicle_ids)).values_list("vehicle_id", "site_id"))
