"""What a site's smart-charging plan is made of, read from the database: the tree of limits (site, circuits, charge
points, connectors), the price, demand charge and carbon of each 15-minute interval, and the requests: each open
session's vehicle (its SoC now, target, departure, priority and battery limits), the confirmed reservations that
arrive within the horizon, and the arrivals expected from the same hours a week before. `smart.py` plans with them.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Q, Subquery

from charging.history import site_history
from charging.models import ChargingSession, Circuit, Reservation
from charging.optimizer.problem import EXPECTED, LimitNode, Request
from charging.optimizer.profiles import Battery, battery_limits
from fleet.models import TelemetryPoint, Vehicle
from operations.selectors import next_trips
from pricing import engine, selectors
from pricing.models import GridSignal
from simulation.battery.chemistry import Chemistry
from simulation.battery.pack import pack_for
from stations.models import Connector, Site

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
    required_percent: float | None = None  # the next trip's required SoC at departure


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
                            priority=i.priority, required=i.required_percent))  # fmt: skip
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
    required: float | None = None,
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
        Battery(float(model.usable_battery_kwh), soc, health, temperature, chemistry=_chemistry(model)),
        requested_target_percent=target,
        next_trip_kwh=next_trip_kwh,
        vehicle_max_kw=vehicle_kw,
        connector_max_kw=float(connector.max_power_kw),
        dc=dc,
        required_percent=required,
    )
    request = Request(
        key, f"conn-{connector.pk}", arrival, departure, round(limits.energy_kwh, 4), limits.max_kw,
        priority or vehicle.priority_class, soc_percent=soc, capacity_kwh=limits.capacity_kwh,
        taper_from_soc=limits.taper_from_soc, taper_end_kw=limits.taper_end_kw, reasons=list(limits.reasons),
    )  # fmt: skip
    return request, {**meta, "soc_percent": soc, "target_percent": limits.target_percent,
                     "capacity_kwh": limits.capacity_kwh}  # fmt: skip


def _chemistry(model) -> Chemistry:
    """The cell chemistry of a vehicle model's pack (the catalogue's, else the fallback by class): it sets how
    the battery takes DC power in the cold and the heat."""
    pack = pack_for(model.make, model.name, model.variant, float(model.usable_battery_kwh), model.vehicle_class)
    return pack.chemistry


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
    # each vehicle's next planned trip (one batch for the site): its departure and required SoC, unless the
    # session or its reservation says otherwise
    trips = next_trips({x.vehicle_id for x in (*sessions, *reservations) if x.vehicle_id}, now=now)
    inputs, extras = [], []
    busy = set()
    for s in sessions:
        trip = trips.get(s.vehicle_id) if s.vehicle_id else None
        departure_at = s.departure_at or (departures.get(s.vehicle_id) if s.vehicle else None)
        if trip is not None and (departure_at is None or (s.departure_at is None and trip.departs_at < departure_at)):
            departure_at = trip.departs_at
        departure = min(intervals, _index(departure_at, start)) if departure_at else intervals
        required = None
        if trip is not None and s.target_soc_percent is None and s.next_trip_kwh is None:
            required = trip.required_soc_percent
        inputs.append(PlanInput(f"session-{s.pk}", s.vehicle, s.connector, 0, max(departure, 1), _soc_now(s),
                                target=s.target_soc_percent, next_trip_kwh=s.next_trip_kwh,
                                required_percent=required))  # fmt: skip
        extras.append((s, departure_at, trip))
        busy.add(s.connector_id)
    for r in reservations:
        if r.connector_id in busy:  # its connector is still taken by an open session
            continue
        trip = trips.get(r.vehicle_id)
        if trip is not None and not r.starts_at < trip.departs_at:
            trip = None  # the trip leaves before the booking starts: not what this charge is for
        departure_at = r.departure_at or (trip.departs_at if trip is not None else r.ends_at)
        inputs.append(PlanInput(f"reservation-{r.pk}", r.vehicle, r.connector, max(0, _index(r.starts_at, start)),
                                min(intervals, _index(departure_at, start)), r.vehicle.soc_percent,
                                priority=r.priority_class,
                                required_percent=trip.required_soc_percent if trip is not None else None))  # fmt: skip
        extras.append((r, departure_at, trip))
    out = []
    zone = ZoneInfo(site.time_zone)
    for (request, meta), (source, departure_at, trip) in zip(plan_requests(inputs), extras, strict=True):
        if trip is not None and departure_at == trip.departs_at:
            needs = f", needs {trip.required_soc_percent:.0f} %" if trip.required_soc_percent is not None else ""
            request.reasons.append(f"next trip at {trip.departs_at.astimezone(zone):%H:%M} (local){needs}")
            meta = {**meta, "trip": trip.pk, "required_percent": trip.required_soc_percent}
        if isinstance(source, ChargingSession):
            if departure_at is None:
                request.reasons.append("no departure given: planned to the end of the horizon")
            if source.connector.status in (Connector.Status.FAULTED, Connector.Status.UNAVAILABLE):
                request.max_kw = 0.0  # its power goes to the others
                request.reasons.append(f"{source.connector.label()} is {source.connector.status.lower()}")
            out.append((request, {**meta, "session": source.pk, "departure_at": departure_at}))
        else:
            local = source.starts_at.astimezone(zone)
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
