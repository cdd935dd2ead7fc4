"""Full-recharge feasibility for the E-VRPTW, the semantics of ``check.py``: at a station the battery is always
filled to capacity, taking ``recharge_rate`` x the energy recharged.

Two tools the solver builds on (plain Python, no Django):

- ``RouteOptimizer.best(customers)``: for a fixed order of customers, the shortest route 0 … 0 that visits them in
  that order with stations inserted between stops where needed (up to ``max_chain`` stations in a row), feasible
  under full recharge — a label-setting search over (distance, time, battery) with Pareto pruning; ``None`` when
  no station placement makes the order feasible.
- ``unservable(instance)``: the customers that no vehicle can serve at all, each with the reason (demand above the
  capacity, time window closing before the earliest possible arrival, out of battery reach even via stations, or
  no way back to the depot in time).
"""

from __future__ import annotations

import heapq
import math

from routing.evrptw.instance import Instance

EPS = 1e-6


class RouteOptimizer:
    """Station placement under full recharge for fixed customer orders, with a cache keyed by the order."""

    def __init__(self, instance: Instance, *, candidates: int = 6, max_chain: int = 1, keep: int = 6):
        self.instance = instance
        self.n = len(instance.nodes)
        self.Q = float(instance.battery_capacity)
        self.g = float(instance.recharge_rate)
        self.cap = float(instance.load_capacity)
        d = instance.distance
        self.d = d.tolist()
        self.t = (d / instance.velocity).tolist()
        self.e = (d * instance.consumption_rate).tolist()
        self.ready = [node.ready for node in instance.nodes]
        self.due = [node.due for node in instance.nodes]
        self.service = [node.service for node in instance.nodes]
        self.demand = [node.demand for node in instance.nodes]
        self.is_customer = [node.kind == "customer" for node in instance.nodes]
        self.stations = instance.stations
        self.candidates = candidates
        self.max_chain = max_chain
        self.keep = keep
        self._near: dict[tuple[int, int], list[int]] = {}
        self.cache: dict[tuple[int, ...], tuple[float, list[int]] | None] = {}

    def _stations_between(self, i: int, j: int) -> list[int]:
        key = (i, j)
        near = self._near.get(key)
        if near is None:
            d = self.d
            ranked = sorted(self.stations, key=lambda s: d[i][s] + d[s][j])
            near = [s for s in ranked if s != i and s != j][: self.candidates]
            self._near[key] = near
        return near

    def schedule(self, route: list[int]) -> tuple[bool, float]:
        """Whether a complete route (0 … 0, stations included) is feasible under full recharge, and its length."""
        time, battery, load, dist = 0.0, self.Q, 0.0, 0.0
        for i, j in zip(route, route[1:], strict=False):
            dist += self.d[i][j]
            time += self.t[i][j]
            battery -= self.e[i][j]
            if battery < -EPS:
                return False, dist
            if self.is_customer[j]:
                load += self.demand[j]
                time = max(time, self.ready[j])
                if time > self.due[j] + EPS:
                    return False, dist
                time += self.service[j]
            elif j != 0:
                time += self.g * (self.Q - battery)
                battery = self.Q
                if time > self.due[j] + EPS:
                    return False, dist
        ok = time <= self.due[0] + EPS and load <= self.cap + EPS
        return ok, dist

    def best(
        self, customers: tuple[int, ...] | list[int], hint: list[int] | None = None
    ) -> tuple[float, list[int]] | None:
        """``hint``: a complete route visiting these customers in this order (e.g. with the stations another method
        chose); when it is feasible under full recharge it is taken as it is, which saves the label setting."""
        key = tuple(customers)
        if key in self.cache:
            return self.cache[key]
        result = None
        direct = [0, *key, 0]
        ok, dist = self.schedule(direct)
        if ok:
            result = (dist, direct)
        elif hint is not None:
            ok, dist = self.schedule(hint)
            if ok:
                result = (dist, list(hint))
        if result is None:
            result = self._best(key)
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache[key] = result
        return result

    def _extend(self, label, j: int):
        """The label after driving straight to ``j`` (service included), or None."""
        dist, time, battery, path = label
        i = path[-1]
        battery -= self.e[i][j]
        if battery < -EPS:
            return None
        time += self.t[i][j]
        if self.is_customer[j]:
            time = max(time, self.ready[j])
            if time > self.due[j] + EPS:
                return None
            time += self.service[j]
        elif j == 0:
            if time > self.due[0] + EPS:
                return None
        else:  # a station: full recharge
            time += self.g * (self.Q - battery)
            battery = self.Q
            if time > self.due[j] + EPS:
                return None
        return (dist + self.d[i][j], time, battery, (*path, j))

    def _best(self, customers: tuple[int, ...]) -> tuple[float, list[int]] | None:
        if sum(self.demand[c] for c in customers) > self.cap + EPS:
            return None
        labels = [(0.0, 0.0, self.Q, (0,))]
        for j in (*customers, 0):
            new = []
            frontier = labels
            for _depth in range(self.max_chain + 1):
                stations_next = []
                for label in frontier:
                    direct = self._extend(label, j)
                    if direct is not None:
                        new.append(direct)
                    if _depth == self.max_chain:
                        continue
                    for s in self._stations_between(label[3][-1], j):
                        via = self._extend(label, s)
                        if via is not None:
                            stations_next.append(via)
                by_station: dict[int, list] = {}
                for label in stations_next:
                    by_station.setdefault(label[3][-1], []).append(label)
                frontier = [label for group in by_station.values() for label in _pareto(group, self.keep)]
                if not frontier:
                    break
            labels = _pareto(new, self.keep)
            if not labels:
                return None
        dist, _time, _battery, path = labels[0]
        return dist, list(path)


def _pareto(labels, keep: int):
    """Keep the labels (all at one node) that no other beats in distance, time and battery at once, by distance."""
    labels.sort(key=lambda label: (label[0], label[1], -label[2]))
    kept = []
    for label in labels:
        dist, time, battery, _path = label
        if any(k[1] <= time + EPS and k[2] >= battery - EPS for k in kept):
            continue
        kept.append(label)
        if len(kept) >= keep:
            break
    return kept


def earliest_arrivals(instance: Instance) -> list[float]:
    """Per node, the earliest time a vehicle leaving the depot at 0 with a full battery can arrive there, recharging
    fully at stations on the way (Dijkstra over the depot and the stations); ``inf`` when out of battery reach."""
    n = len(instance.nodes)
    Q, g = instance.battery_capacity, instance.recharge_rate
    stations = instance.stations
    t = instance.distance / instance.velocity
    e = instance.distance * instance.consumption_rate
    # departure time from a hub (depot or station) with a full battery
    departure = dict.fromkeys([0, *stations], math.inf)
    departure[0] = 0.0
    heap = [(0.0, 0)]
    done: set[int] = set()
    while heap:
        time, hub = heapq.heappop(heap)
        if hub in done:
            continue
        done.add(hub)
        for s in stations:
            if s in done or e[hub, s] > Q + EPS:
                continue
            leave = time + t[hub, s] + g * e[hub, s]
            if leave <= instance.nodes[s].due + EPS and leave < departure[s]:
                departure[s] = leave
                heapq.heappush(heap, (leave, s))
    arrival = [math.inf] * n
    for hub, leave in departure.items():
        if math.isinf(leave):
            continue
        for j in range(n):
            if e[hub, j] <= Q + EPS:
                arrival[j] = min(arrival[j], leave + float(t[hub, j]))
    return arrival


def unservable(instance: Instance, optimizer: RouteOptimizer | None = None) -> list[tuple[int, str]]:
    """The customers no vehicle can serve, each with the reason as a sentence. A customer the (fast) ``optimizer``
    cannot serve alone is tried again with every station and up to three stations in a row; what that finds goes
    into the optimizer's cache."""
    optimizer = optimizer or RouteOptimizer(instance)
    deep = RouteOptimizer(instance, candidates=len(instance.stations), max_chain=3, keep=12)
    arrival = earliest_arrivals(instance)
    problems = []
    for c in instance.customers:
        node = instance.nodes[c]
        if node.demand > instance.load_capacity + EPS:
            problems.append(
                (c, f"its demand {node.demand:g} is above the vehicle load capacity {instance.load_capacity:g}")
            )
        elif math.isinf(arrival[c]):
            problems.append((c, "it is out of the battery's reach from the depot, even via the recharging stations"))
        elif arrival[c] > node.due + EPS:
            problems.append(
                (
                    c,
                    f"its time window closes at {node.due:g}, before a vehicle can reach it "
                    f"(at {arrival[c]:.2f} at the earliest)",
                )
            )
        elif optimizer.best((c,)) is None and deep.best((c,)) is None:
            problems.append(
                (
                    c,
                    "no vehicle can serve it and get back to the depot by its closing time "
                    f"({instance.nodes[0].due:g}) within the battery, even via the recharging stations",
                )
            )
        elif optimizer.best((c,)) is None:
            optimizer.cache[(c,)] = deep.best((c,))
    return problems
