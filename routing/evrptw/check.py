"""Feasibility of an E-VRPTW solution, checked independently of any solver.

A solution is a list of routes; a route is a list of node indices that starts and ends at the depot (0) and may
visit stations, also more than once. The vehicle leaves the depot at time 0 with a full battery; at a customer
service starts at max(arrival, ready) and must start by its due time; at a station the battery is recharged to
full, taking ``recharge_rate`` x the energy recharged; the battery never goes below zero on arrival anywhere;
the load of a route is at most the capacity; the vehicle is back at the depot by the depot's due time; every
customer is served exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.evrptw.instance import Instance

TOLERANCE = 1e-6


@dataclass
class Check:
    """What the check found: ``feasible``, the number of vehicles (non-empty routes), the total distance, and every
    violation as a sentence naming the route and the node."""

    feasible: bool
    vehicles: int
    distance: float
    violations: list[str] = field(default_factory=list)


def route_distance(instance: Instance, route: list[int]) -> float:
    return float(sum(instance.distance[i, j] for i, j in zip(route, route[1:], strict=False)))


def check(instance: Instance, routes: list[list[int]]) -> Check:
    violations: list[str] = []
    served: dict[int, int] = {}
    n = len(instance.nodes)
    used = [route for route in routes if len(route) > 2 or (len(route) == 2 and route[0] != route[1])]
    for r, route in enumerate(used, start=1):
        if route[0] != 0 or route[-1] != 0:
            violations.append(f"route {r} must start and end at the depot")
            continue
        if any(not (0 <= node < n) for node in route):
            violations.append(f"route {r} visits a node that is not in the instance")
            continue
        time = 0.0
        battery = instance.battery_capacity
        load = 0.0
        for previous, node in zip(route, route[1:], strict=False):
            info = instance.nodes[node]
            time += instance.travel_time(previous, node)
            battery -= instance.energy(previous, node)
            if battery < -TOLERANCE:
                violations.append(f"route {r}: the battery runs out before {info.id} ({battery:.3f})")
            if info.kind == "customer":
                served[node] = served.get(node, 0) + 1
                load += info.demand
                time = max(time, info.ready)
                if time > info.due + TOLERANCE:
                    violations.append(f"route {r}: {info.id} reached at {time:.3f}, after its due time {info.due}")
                time += info.service
            elif info.kind == "station":
                time += instance.recharge_rate * (instance.battery_capacity - battery)
                battery = instance.battery_capacity
                if time > info.due + TOLERANCE:
                    violations.append(f"route {r}: leaves station {info.id} at {time:.3f}, after {info.due}")
        depot = instance.nodes[0]
        if time > depot.due + TOLERANCE:
            violations.append(f"route {r}: back at the depot at {time:.3f}, after {depot.due}")
        if load > instance.load_capacity + TOLERANCE:
            violations.append(f"route {r}: load {load} above the capacity {instance.load_capacity}")
    for customer in instance.customers:
        count = served.get(customer, 0)
        if count != 1:
            violations.append(f"customer {instance.nodes[customer].id} served {count} times")
    if instance.max_vehicles is not None and len(used) > instance.max_vehicles:
        violations.append(f"{len(used)} vehicles, {instance.max_vehicles} available")
    return Check(
        feasible=not violations,
        vehicles=len(used),
        distance=sum(route_distance(instance, route) for route in used),
        violations=violations,
    )
