"""Read side of the live depot view: a site's charge points and connectors, the session and vehicle on each, the
vehicle's next trip, smart charging's planned power for the next hours, and the load now against the site's and
its circuits' limits. A constant number of queries whatever the number of connectors."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from charging import selectors as charging_selectors
from charging.models import ChargingPlan, ChargingSession, Circuit, MeterSample
from charging.services import smart
from fleet import selectors as fleet_selectors
from fleet.models import Vehicle
from operations.models import Trip, VehicleDepot
from operations.selectors import next_trips
from stations.models import ChargePoint, Connector, Site

PLAN_HOURS = 8  # how far ahead the connectors' sparklines and the site's chart look
START_CHOICES = 200  # the most vehicles a connector's start form offers


def depot_list(*, user: User) -> QuerySet[Site]:
    """The depots the user may see, with their connector counts (one query)."""
    return (
        scoped(Site.objects.select_related("department"), user)
        .annotate(
            connectors=Count("charge_points__connectors", distinct=True),
            charge_points_count=Count("charge_points", distinct=True),
        )
        .order_by("name")
    )


def _latest(field: str) -> Subquery:
    newest = MeterSample.objects.filter(session=OuterRef("pk"), **{f"{field}__isnull": False}).order_by("-sampled_at")
    return Subquery(newest.values(field)[:1])


def open_sessions(*, user: User, sites) -> QuerySet[ChargingSession]:
    """The open sessions at `sites` the user sees, each with the power and SoC of its latest meter reading (one
    query)."""
    return (
        charging_selectors.session_list(user=user)
        .filter(charge_point__site__in=sites, ended_at__isnull=True)
        .select_related("vehicle__vehicle_model")
        .annotate(power_now_kw=_latest("power_kw"), soc_now_percent=_latest("soc_percent"))
    )


def load_now_by_site(*, user: User, sites) -> dict[int, float]:
    """Each site's draw now: the sum of its open sessions' latest power readings, kW (one query)."""
    loads: dict[int, float] = {}
    for site_id, kw in open_sessions(user=user, sites=sites).values_list("charge_point__site_id", "power_now_kw"):
        loads[site_id] = loads.get(site_id, 0.0) + (kw or 0.0)
    return loads


@dataclass
class ConnectorRow:
    """One connector of the depot as the page shows it."""

    connector: Connector
    charge_point: ChargePoint
    session: ChargingSession | None = None
    vehicle_label: str | None = None
    vehicle: Vehicle | None = None  # None when unknown or withheld (a visiting vehicle)
    trip: Trip | None = None
    departure_at: datetime | None = None
    required_soc_percent: float | None = None
    planned_kw: list[float] = field(default_factory=list)  # from now, per 15 minutes, PLAN_HOURS long
    power_now_kw: float | None = None
    soc_now_percent: float | None = None
    soc_from_vehicle: bool = False  # the SoC is the vehicle's telemetry, not the station's meter readings

    @property
    def plug_label(self) -> str:
        """The plug's standard without its norm: "Type 2", "CCS2"."""
        return self.connector.get_connector_type_display().split(" (")[0]

    @property
    def planned_next_kw(self) -> float | None:
        return self.planned_kw[0] if self.planned_kw else None


@dataclass
class CircuitLoad:
    circuit: Circuit
    load_kw: float
    charge_point_ids: list[int]

    @property
    def share(self) -> float:
        """The load as a share of the circuit's limit, %, at most 100 (the bar's width)."""
        return min(100.0, self.load_kw / float(self.circuit.max_power_kw) * 100)


@dataclass
class Depot:
    site: Site
    charge_points: list[ChargePoint]
    rows: list[ConnectorRow]
    plan: ChargingPlan | None
    plan_start_index: int  # the plan's interval under way now
    circuits: list[CircuitLoad]
    load_now_kw: float
    start_vehicles: list[Vehicle]
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.time_zone)


def _plan_by_connector(plan: ChargingPlan | None, start_index: int) -> dict[int, list[float]]:
    """The plan's power per connector (its sessions' and bookings' series summed), from the interval under way."""
    if plan is None:
        return {}
    steps = PLAN_HOURS * 60 // plan.step_minutes
    out: dict[int, list[float]] = {}
    for v in plan.explanation.get("vehicles", []):
        series = plan.schedule.get(v["id"])
        if v.get("connector") is None or not series:
            continue
        window = series[start_index : start_index + steps]
        total = out.setdefault(v["connector"], [0.0] * len(window))
        out[v["connector"]] = [a + b for a, b in zip(total, window, strict=False)]
    return out


def plan_start_index(plan: ChargingPlan | None, now: datetime) -> int:
    if plan is None:
        return 0
    return max(0, int((now - plan.starts_at).total_seconds() // (plan.step_minutes * 60)))


def start_candidates(*, user: User, site: Site, busy: set[int]) -> list[Vehicle]:
    """The vehicles a connector's start form offers: those based at the depot, else (none is) the depot's
    department's, leaving out the ones on a session now (one query)."""
    vehicles = fleet_selectors.vehicle_list(user=user).exclude(status__in=("maintenance", "retired"))
    based = VehicleDepot.objects.filter(site=site).values("vehicle_id")
    home = Q(department__path__startswith=site.department.path)
    chosen = vehicles.filter(
        Q(pk__in=based) | (home & Q(depot__isnull=True)) if VehicleDepot.objects.filter(site=site).exists() else home
    )
    chosen = chosen.exclude(pk__in=busy).order_by("fleet_number", "license_plate", "vin")
    return list(chosen[:START_CHOICES])


def depot_detail(*, user: User, site: Site, now: datetime | None = None) -> Depot:
    """Everything the depot page shows of `site` (already scoped), in a fixed number of queries."""
    now = now or timezone.now()
    charge_points = list(
        ChargePoint.objects.filter(site=site)
        .order_by("identity")
        .prefetch_related("connectors")
        .select_related("circuit")
    )
    sessions = list(open_sessions(user=user, sites=[site]).order_by("started_at"))
    by_connector = {s.connector_id: s for s in sessions}
    visible = [s.vehicle_id for s in sessions if s.vehicle_id and not s.vehicle_hidden]
    trips = next_trips(visible, now=now) if visible else {}
    plan = smart.current_plan(site)
    start = plan_start_index(plan, now)
    planned = _plan_by_connector(plan, start)
    rows = []
    for cp in charge_points:
        for connector in sorted(cp.connectors.all(), key=lambda c: (c.evse_id, c.connector_id)):
            row = ConnectorRow(connector=connector, charge_point=cp, planned_kw=planned.get(connector.pk, []))
            session = by_connector.get(connector.pk)
            if session is not None:
                row.session = session
                row.vehicle_label = charging_selectors.session_vehicle_label(session)
                row.vehicle = None if session.vehicle_hidden else session.vehicle
                row.power_now_kw = session.power_now_kw
                row.soc_now_percent = session.soc_now_percent
                if row.soc_now_percent is None and row.vehicle is not None:  # the station sends none
                    row.soc_now_percent, row.soc_from_vehicle = row.vehicle.soc_percent, True
                row.trip = trips.get(session.vehicle_id) if row.vehicle is not None else None
                if row.trip is not None:
                    row.departure_at, row.required_soc_percent = row.trip.departs_at, row.trip.required_soc_percent
                else:  # no trip: what the session was told, if anything
                    row.departure_at, row.required_soc_percent = session.departure_at, session.target_soc_percent
            rows.append(row)
    circuits = list(Circuit.objects.filter(site=site).order_by("name"))
    load_by_cp: dict[int, float] = {}
    for s in sessions:
        load_by_cp[s.charge_point_id] = load_by_cp.get(s.charge_point_id, 0.0) + (s.power_now_kw or 0.0)
    return Depot(
        site=site,
        charge_points=charge_points,
        rows=rows,
        plan=plan,
        plan_start_index=start,
        circuits=_circuit_loads(circuits, charge_points, load_by_cp),
        load_now_kw=sum(load_by_cp.values()),
        start_vehicles=start_candidates(user=user, site=site, busy={s.vehicle_id for s in sessions if s.vehicle_id}),
        now=now,
    )


def _circuit_loads(circuits: list[Circuit], charge_points: list[ChargePoint], load_by_cp: dict[int, float]):
    """Each circuit's charge points (its own and its sub-circuits') and their draw now."""
    children: dict[int | None, list[int]] = {}
    for c in circuits:
        children.setdefault(c.parent_id, []).append(c.pk)

    def below(pk: int) -> set[int]:
        found, todo = {pk}, [pk]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    out = []
    for c in circuits:
        under = below(c.pk)
        cps = [cp.pk for cp in charge_points if cp.circuit_id in under]
        out.append(CircuitLoad(circuit=c, load_kw=sum(load_by_cp.get(pk, 0.0) for pk in cps), charge_point_ids=cps))
    return out


def plan_totals(plan: ChargingPlan, start_index: int) -> tuple[list[datetime], list[float], list[float], list[float]]:
    """The site's planned load from the interval under way, PLAN_HOURS long: the moments, the vehicles' planned
    kW, the expected arrivals' kW and the limit."""
    steps = PLAN_HOURS * 60 // plan.step_minutes
    end = min(plan.intervals, start_index + steps)
    vehicles, expected = [0.0] * (end - start_index), [0.0] * (end - start_index)
    for key, series in plan.schedule.items():
        target = expected if key.startswith("expected-") else vehicles
        for i, kw in enumerate(series[start_index:end]):
            target[i] += kw
    moments = [plan.starts_at + timedelta(minutes=plan.step_minutes * t) for t in range(start_index, end)]
    return moments, [round(kw, 2) for kw in vehicles], [round(kw, 2) for kw in expected], plan.limit_kw[start_index:end]
