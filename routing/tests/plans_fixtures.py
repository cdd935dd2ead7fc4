"""What the route plan tests share: a Berlin depot with a fast charger, vans with a payload, jobs around it, and the
solver (the real one when routing.evrptw.solver is installed, else a small insertion heuristic standing in)."""

import importlib
import sys
import types
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from routing.evrptw.instance import Instance
from stations.models import CompatibilityRule
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2030, 3, 12)  # a Tuesday
DEPOT = (52.52, 13.40)
# (name, lat, lon, demand kg, window opens, closes) around the depot, 2-9 km away
JOBS = [
    ("Bakery Mitte", 52.530, 13.385, 120, time(8, 0), time(10, 0)),
    ("Pharmacy Wedding", 52.545, 13.360, 80, time(9, 0), time(12, 0)),
    ("Café Kreuzberg", 52.498, 13.410, 200, time(8, 30), time(11, 0)),
    ("Office Friedrichshain", 52.512, 13.455, 150, time(10, 0), time(14, 0)),
    ("Shop Neukölln", 52.480, 13.435, 90, time(12, 0), time(16, 0)),
]


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BERLIN)


def job_data(day: date = DAY, jobs=JOBS) -> list[dict]:
    return [
        dict(name=n, latitude=lat, longitude=lon, demand_kg=kg, service_minutes=10,
             window_start=local(day, a), window_end=local(day, b))
        for n, lat, lon, kg, a, b in jobs
    ]  # fmt: skip


@dataclass
class FakeSolution:
    routes: list
    vehicles: int
    distance: float
    seconds: float


def _route_ok(instance: Instance, route: list[int]) -> bool:
    t, battery, load = 0.0, instance.battery_capacity, 0.0
    for a, b in zip(route, route[1:], strict=False):
        t += instance.travel_time(a, b)
        battery -= instance.energy(a, b)
        if battery < 0:
            return False
        node = instance.nodes[b]
        if node.kind == "customer":
            t = max(t, node.ready)
            if t > node.due:
                return False
            t += node.service
            load += node.demand
        elif node.kind == "station":
            t += instance.recharge_rate * (instance.battery_capacity - battery)
            battery = instance.battery_capacity
    return load <= instance.load_capacity and t <= instance.nodes[0].due


def insertion_solve(instance: Instance, *, time_limit_s: float = 60.0, seed: int = 0) -> FakeSolution:
    """Cheapest feasible insertion, with a charging stop before the customer when the battery needs one."""
    routes: list[list[int]] = []
    stations = instance.stations
    for c in sorted(instance.customers, key=lambda i: instance.nodes[i].due):
        best = None
        for r, route in enumerate(routes):
            for pos in range(1, len(route)):
                for extra in ([], *([s] for s in stations)):
                    candidate = route[:pos] + extra + [c] + route[pos:]
                    if _route_ok(instance, candidate):
                        cost = sum(instance.distance[a, b] for a, b in zip(candidate, candidate[1:], strict=False))
                        if best is None or cost < best[0]:
                            best = (cost, r, candidate)
        if best is not None:
            routes[best[1]] = best[2]
            continue
        for extra in ([], *([s] for s in stations)):
            if _route_ok(instance, [0, *extra, c, 0]):
                routes.append([0, *extra, c, 0])
                break
            if _route_ok(instance, [0, c, *extra, 0]):
                routes.append([0, c, *extra, 0])
                break
        else:
            routes.append([0, c, 0])  # infeasible: the check will say so
    distance = sum(instance.distance[a, b] for r in routes for a, b in zip(r, r[1:], strict=False))
    return FakeSolution(routes, len(routes), float(distance), 0.01)


def real_solver():
    try:
        return importlib.import_module("routing.evrptw.solver")
    except ImportError:
        return None


@pytest.fixture
def solver(monkeypatch):
    """The solver the plans use: the real one if installed; otherwise the insertion heuristic above as the module."""
    module = real_solver()
    if module is None:
        module = types.ModuleType("routing.evrptw.solver")
        module.solve = insertion_solve
        monkeypatch.setitem(sys.modules, "routing.evrptw.solver", module)
    return module


@pytest.fixture
def world(org):
    """Org A's Berlin depot with one 150 kW CCS2 charger and 11 kW AC, two vans (800 kg), one in org B."""
    for plug in ("ccs2", "type2"):
        CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
    depot = SiteFactory(department=org.a, name="Mitte depot", latitude=DEPOT[0], longitude=DEPOT[1])
    cp = ChargePointFactory(site=depot, identity="PLAN-1")
    ConnectorFactory(charge_point=cp, connector_type="ccs2", current_type="dc", max_power_kw=Decimal("150"))
    model = VehicleModelFactory(name="Plan van", payload_kg=800, usable_battery_kwh=Decimal("64.0"))
    small = VehicleModelFactory(name="Small plan van", payload_kg=400, usable_battery_kwh=Decimal("40.0"))
    vans = [VehicleFactory(department=org.a, vehicle_model=model, fleet_number=f"PV-{n}") for n in (1, 2)]
    small_van = VehicleFactory(department=org.a, vehicle_model=small, fleet_number="PV-S")
    foreign = VehicleFactory(department=org.b, vehicle_model=model, fleet_number="PV-B")
    foreign_depot = SiteFactory(department=org.b, name="B depot", latitude=DEPOT[0], longitude=DEPOT[1])

    class World:
        pass

    w = World()
    w.org, w.depot, w.vans, w.small_van, w.foreign, w.foreign_depot = (
        org,
        depot,
        vans,
        small_van,
        foreign,
        foreign_depot,
    )
    return w


def plan_data(world, **extra) -> dict:
    data = dict(
        name="Tuesday deliveries", department=world.org.a, depot=world.depot, service_date=DAY,
        day_starts=time(7, 0), day_ends=time(18, 0), time_limit_s=2, vehicles=world.vans, jobs=job_data(),
    )  # fmt: skip
    return {**data, **extra}


def hours_later(moment: datetime, hours: float) -> datetime:
    return moment + timedelta(hours=hours)
