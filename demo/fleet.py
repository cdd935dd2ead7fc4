"""The demo's simulated fleet: the vehicles based at the simulated depots follow their trips, and the simulated
stations (stations.simulator) plug in only what this module chooses.

- `choose_vehicle(identity, evse_id)`: the vehicle a free connector takes, asked of the database: one based at
  the station's own depot (operations.VehicleDepot) and of the site's department or below, active, at the depot
  (no trip under way), not leaving within minutes, with no open session anywhere (a user may have just started
  it at another charger), below its target SoC, compatible with the connector; the soonest departure first, then
  the emptiest battery. It is plugged in with its own active RFID tag.
- `departures_due(now)`: the tags of the vehicles whose trip leaves now and that a simulated station is charging,
  for the command to unplug them (EVDisconnected) before `step` lets them go.
- `step(now)`: trips leave at their departure (operations.trip_depart), move along their route's stops with
  telemetry (fleet.telemetry.telemetry_ingest, as a telematics login of the vehicle's own department: it can write
  for no other department's vehicles) with the SoC falling by the trip's driving and climate energy spread over
  its duration, and come back at the expected return (operations.trip_return); the stations then plug them in.
  A trip that was due and is already over when the fleet first sees it (the simulator was not running) is
  cancelled, not made up.

No sleeping in here: `step` takes the time, so tests drive it with a fake clock; the command runs it in a loop.
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import user_create
from charging.models import ChargingSession, IdToken
from fleet.models import Vehicle
from fleet.telemetry import telemetry_ingest
from operations import need as trip_need
from operations.demo import DETOUR
from operations.models import Trip
from operations.services import trip_cancel, trip_depart, trip_return
from stations import selectors as station_selectors
from stations.models import Connector, Site
from stations.simulator import Plug

logger = logging.getLogger(__name__)

LEAVING_SOON = timedelta(minutes=10)  # a vehicle leaving within this is not plugged in any more
CLAIM_FOR = timedelta(seconds=90)  # a vehicle chosen for a connector, until its session is seen open
TELEMATICS_PREFIX = "telematics-"


def target_soc_percent(vehicle: Vehicle, required_soc_percent: float | None) -> float:
    """Charge to 80 % (battery health), more when the next trip needs it (its required SoC and 5 points)."""
    return min(100.0, max(80.0, (required_soc_percent or 0.0) + 5.0))


@dataclass
class StepReport:
    departed: list[int] = field(default_factory=list)  # trip ids
    moving: int = 0  # trips under way that reported a position
    returned: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    telemetry_points: int = 0


class DepotFleet:
    """The vehicles based at `site_ids` (the depots of the simulated stations) and what they do."""

    def __init__(self, site_ids: list[int]):
        self.site_ids = list(site_ids)
        self.claimed: dict[int, datetime] = {}  # vehicle id -> when a connector chose it
        self._actors: dict[int, User] = {}
        self._rules_cache: list | None = None

    # --- plugging in --------------------------------------------------------------------------------------------

    def choose_vehicle(self, identity: str, evse_id: int, now: datetime | None = None) -> Plug | None:
        now = now or timezone.now()
        connector = (
            Connector.objects.select_related("charge_point__site__department")
            .filter(charge_point__identity=identity, evse_id=evse_id)
            .order_by("connector_id")
            .first()
        )
        if connector is None or connector.charge_point.site_id not in self.site_ids:
            return None
        site = connector.charge_point.site
        self.claimed = {pk: at for pk, at in self.claimed.items() if now - at < CLAIM_FOR}
        for vehicle in self._candidates(site, now):
            fit = station_selectors.vehicle_fit(vehicle, connector, self._rules())
            if fit is None:
                continue
            self.claimed[vehicle.pk] = now
            return Plug(
                tag=vehicle.tag,
                soc_percent=float(vehicle.soc_percent),
                capacity_kwh=trip_need.capacity_kwh(vehicle),
                max_kw=float(fit.power_kw),
                target_soc_percent=target_soc_percent(vehicle, vehicle.next_required_soc),
            )
        return None

    def _rules(self):
        if self._rules_cache is None:
            self._rules_cache = station_selectors.active_rules()
        return self._rules_cache

    def _candidates(self, site: Site, now: datetime) -> list[Vehicle]:
        """The site's own vehicles that may plug in now, in the order a yard hand would take them."""
        open_session = ChargingSession.objects.filter(vehicle=OuterRef("pk"), ended_at__isnull=True)
        under_way = Trip.objects.filter(vehicle=OuterRef("pk"), status=Trip.Status.UNDER_WAY)
        leaving = Trip.objects.filter(
            vehicle=OuterRef("pk"), status=Trip.Status.PLANNED, departs_at__lte=now + LEAVING_SOON
        )
        next_trip = Trip.objects.filter(
            vehicle=OuterRef("pk"), status=Trip.Status.PLANNED, departs_at__gt=now
        ).order_by("departs_at")
        token = IdToken.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), vehicle=OuterRef("pk"), is_active=True
        ).order_by("pk")
        vehicles = (
            Vehicle.objects.filter(
                depot__site=site,
                department__path__startswith=site.department.path,
                status=Vehicle.Status.ACTIVE,
                soc_percent__isnull=False,
            )
            .exclude(pk__in=list(self.claimed))
            .annotate(
                open_session=Exists(open_session),
                under_way=Exists(under_way),
                leaving=Exists(leaving),
                next_departure=Subquery(next_trip.values("departs_at")[:1]),
                next_required_soc=Subquery(next_trip.values("required_soc_percent")[:1]),
                tag=Subquery(token.values("token")[:1]),
            )
            .filter(open_session=False, under_way=False, leaving=False, tag__isnull=False)
            .select_related("vehicle_model")
        )
        far = now + timedelta(days=365)
        wanting = [v for v in vehicles if v.soc_percent < target_soc_percent(v, v.next_required_soc) - 2]
        return sorted(wanting, key=lambda v: (v.next_departure or far, v.soc_percent, v.pk))

    def vehicle_for_tag(self, tag: str) -> Plug | None:
        """The vehicle a remote start names (a user started it from the platform): its SoC and battery."""
        token = IdToken.objects.select_related("vehicle__vehicle_model").filter(token=tag).first()
        vehicle = token.vehicle if token else None
        if vehicle is None or vehicle.soc_percent is None:
            return None
        return Plug(tag=tag, soc_percent=float(vehicle.soc_percent), capacity_kwh=trip_need.capacity_kwh(vehicle))

    # --- the day ------------------------------------------------------------------------------------------------

    def _trips(self, now: datetime):
        return Trip.objects.filter(depot_id__in=self.site_ids, vehicle__depot__site_id__in=self.site_ids).filter(
            Q(status=Trip.Status.PLANNED, departs_at__lte=now) | Q(status=Trip.Status.UNDER_WAY)
        )

    def departures_due(self, now: datetime) -> list[str]:
        """Tags of the vehicles charging now whose trip leaves now: to unplug before `step` lets them go."""
        due = self._trips(now).filter(status=Trip.Status.PLANNED, returns_at__gt=now).values("vehicle_id")
        return list(
            ChargingSession.objects.filter(vehicle_id__in=due, ended_at__isnull=True)
            .exclude(id_tag="")
            .values_list("id_tag", flat=True)
        )

    def step(self, now: datetime) -> StepReport:
        report = StepReport()
        points: dict[int, list[dict]] = {}  # department id -> telemetry points
        trips = (
            self._trips(now)
            .select_related("vehicle__vehicle_model", "vehicle__department", "depot", "route")
            .prefetch_related("route__stops")
            .order_by("departs_at", "pk")
        )
        for trip in trips:
            vehicle = trip.vehicle
            if vehicle.status != Vehicle.Status.ACTIVE:
                continue
            if trip.status == Trip.Status.PLANNED:
                if trip.returns_at <= now:  # missed while the fleet was not running
                    trip_cancel(actor=None, trip=trip)
                    report.cancelled.append(trip.pk)
                    continue
                trip = trip_depart(actor=None, trip=trip, at=now)
                report.departed.append(trip.pk)
                points.setdefault(vehicle.department_id, []).append(self._reading(trip, vehicle, now, leaving=True))
                continue
            reading = self._reading(trip, vehicle, now)
            points.setdefault(vehicle.department_id, []).append(reading)
            if now >= trip.returns_at:
                report.returned.append(trip.pk)
            else:
                report.moving += 1
        for department_id, batch in points.items():
            result = telemetry_ingest(actor=self._actor(department_id), points=batch)
            report.telemetry_points += result.accepted
            if result.errors:
                logger.warning("simulated fleet: telemetry refused: %s", result.errors[:3])
        for trip in Trip.objects.filter(pk__in=report.returned).select_related("vehicle"):
            trip_return(actor=None, trip=trip, at=now)
        return report

    def _reading(self, trip: Trip, vehicle: Vehicle, now: datetime, leaving: bool = False) -> dict:
        """The vehicle's telemetry at `now` on the trip: where it is along the route, what it has used since its
        last reading (the trip's driving and climate energy, evenly over its duration)."""
        start = trip.departed_at or trip.departs_at
        duration = max((trip.returns_at - start).total_seconds(), 60.0)
        done = 0.0 if leaving else min(1.0, max(0.0, (now - start).total_seconds() / duration))
        last = vehicle.last_telemetry_at
        before = min(1.0, max(0.0, (last - start).total_seconds() / duration)) if last and last > start else 0.0
        share = max(0.0, done - before)
        energy_kwh = (trip.driving_kwh or 0.0) + (trip.climate_kwh or 0.0)
        capacity = trip_need.capacity_kwh(vehicle)
        soc = max(0.0, float(vehicle.soc_percent or 0.0) - energy_kwh * share / capacity * 100.0)
        distance = float(trip.effective_distance_km() or 0.0)
        latitude, longitude = self.position(trip, done)
        moving = 0.0 < done < 1.0
        recorded_at = max(now, (last or now) + timedelta(seconds=1))
        return {
            "vehicle": vehicle.pk,
            "recorded_at": recorded_at.isoformat(),
            "soc_percent": round(soc, 2),
            "odometer_km": round(float(vehicle.odometer_km or 0.0) + distance * share, 2),
            "latitude": latitude,
            "longitude": longitude,
            "speed_kmh": round(distance / (duration / 3600) * 1.6, 1) if moving else 0.0,  # driving ~60 % of it
            "power_kw": round(-energy_kwh / (duration / 3600), 2) if moving else 0.0,
        }

    @staticmethod
    def position(trip: Trip, done: float) -> tuple[float, float]:
        """Where the vehicle is when `done` (0 to 1) of the trip's time has passed: along depot, stops, depot (a
        loop around the depot for a trip without a route)."""
        depot = (trip.depot.latitude, trip.depot.longitude)
        stops = [(s.latitude, s.longitude) for s in trip.route.stops.all()] if trip.route_id else []
        if not stops:
            radius_km = float(trip.effective_distance_km() or 10.0) / (2 * math.pi * DETOUR) / 2
            angle = 2 * math.pi * done
            north, east = radius_km * (1 - math.cos(angle)), radius_km * math.sin(angle)
            return (
                round(depot[0] + north / 111.32, 6),
                round(depot[1] + east / (111.32 * math.cos(math.radians(depot[0]))), 6),
            )
        path = [depot, *stops, depot]
        legs = [math.dist(a, b) for a, b in zip(path, path[1:])]
        total = sum(legs) or 1.0
        goal = total * done
        for (a, b), leg in zip(zip(path, path[1:]), legs):
            if goal <= leg and leg > 0:
                f = goal / leg
                return round(a[0] + (b[0] - a[0]) * f, 6), round(a[1] + (b[1] - a[1]) * f, 6)
            goal -= leg
        return depot

    def _actor(self, department_id: int) -> User:
        """The telematics login of a department (an integrator of that department only, no password): the
        simulated vehicles report as it, so they can write no other department's telemetry."""
        if department_id not in self._actors:
            username = f"{TELEMATICS_PREFIX}{department_id}"
            user = User.objects.filter(username=username).first()
            if user is None:
                department = Department.objects.get(pk=department_id)
                user = user_create(
                    actor=None, username=username, role=User.Role.INTEGRATOR, department=department,
                    first_name="Telematics", last_name=department.name[:150],
                )  # fmt: skip
            self._actors[department_id] = user
        return self._actors[department_id]
