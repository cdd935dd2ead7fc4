"""Every useful E-VRPTW route of an instance, by exhaustive label setting: for each set of customers that one
vehicle can serve, the shortest feasible route serving exactly that set (station visits included).

A label is a partial route from the depot: the customers it has served (a bit mask), the node it is at, its
distance, the time it can leave that node (after service or recharge) and the battery it leaves with. It is
extended to every unserved customer, to every station and back to the depot, under the same rules as
``routing.evrptw.check`` (wait for a window to open, serve by its due time, full recharge at a station taking
``recharge_rate`` x the energy recharged, never below zero energy, load within capacity, back by the depot's due
time). Of two labels with the same mask at the same node, one is dropped only when the other is at least as good
in distance, time and battery: every completion of the dropped one is then open to the other, at no more
distance. So the enumeration is complete: nothing is pruned that could be part of a better route, and sequences
of several stations in a row are covered (a station leaves the battery full, so a cycle through stations is
always dominated by its first visit).

Two bounds cut labels that cannot finish: the earliest time back at the depot (shortest travel time through the
graph) must be within the depot's due time, and the battery must reach the nearest charging point (shortest
energy through the graph). Both are lower bounds, so they never cut a feasible route, also on a distance
matrix that breaks the triangle inequality.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass

import numpy as np

from routing.evrptw.instance import Instance

TOLERANCE = 1e-6  # the same slack on time windows and battery as routing.evrptw.check


@dataclass
class RouteSet:
    """The enumeration's result: ``best[mask] = (distance, route)`` for every customer set one vehicle can serve
    (bit ``k`` of the mask is ``customers[k]``), ``complete`` False when the deadline cut it short, and the number
    of labels it made."""

    customers: list[int]
    best: dict[int, tuple[float, list[int]]]
    complete: bool
    labels: int
    seconds: float


def shortest_paths(matrix: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths (Floyd-Warshall) of a small dense matrix."""
    result = matrix.astype(float).copy()
    for k in range(len(result)):
        np.minimum(result, result[:, k : k + 1] + result[k : k + 1, :], out=result)
    return result


def enumerate_routes(
    instance: Instance,
    *,
    deadline: float | None = None,
    label_limit: int | None = None,
    upper_bound: float | None = None,
    cover_all: bool = False,
    beam: int | None = None,
) -> RouteSet:
    """All non-dominated routes, the shortest per customer set; stops (``complete=False``) at ``deadline``
    (a ``time.perf_counter()`` value) or after ``label_limit`` labels.

    ``upper_bound`` keeps only what can be part of a solution of at most that total distance: a partial route
    of distance d over the customer set S is dropped when d plus, for every customer outside S, its shortest
    incoming arc exceeds it (every other customer is entered once by some route, over an arc not yet counted).
    ``cover_all`` looks only for routes serving every customer (drops a label as soon as an unserved customer
    can no longer be reached in its window). ``beam`` keeps the ``beam`` shortest labels of each size at each
    node: a quick source of good routes, not a complete enumeration (``complete`` is then False)."""
    started = clock.perf_counter()
    nodes = instance.nodes
    n = len(nodes)
    customers = instance.customers
    stations = instance.stations
    bit = {c: 1 << k for k, c in enumerate(customers)}
    distance = instance.distance.tolist()
    travel = (instance.distance / instance.velocity).tolist()
    energy = (instance.distance * instance.consumption_rate).tolist()
    capacity = instance.battery_capacity
    load_capacity = instance.load_capacity
    g = instance.recharge_rate
    depot_due = nodes[0].due
    # lower bounds for finishing from a node: time back at the depot, energy to the nearest charging point
    back = shortest_paths(instance.distance / instance.velocity)[:, 0].tolist()
    charge_points = [0, *stations]
    reach = shortest_paths(instance.distance * instance.consumption_rate)[:, charge_points].min(axis=1).tolist()
    ready = [node.ready for node in nodes]
    due = [node.due for node in nodes]
    service = [node.service for node in nodes]
    demand = [node.demand for node in nodes]
    targets = [j for j in range(1, n) if nodes[j].kind in ("customer", "station")]
    fastest = shortest_paths(instance.distance / instance.velocity).tolist()
    # the shortest arc into each customer, for the distance bound
    incoming = instance.distance + np.diag(np.full(n, np.inf))
    min_in = {c: float(incoming[:, c].min()) for c in customers}
    rest_all = sum(min_in.values())
    limit = None if upper_bound is None else upper_bound + TOLERANCE
    full = (1 << len(customers)) - 1

    # labels: parallel lists; a label's route is rebuilt from its parent chain
    l_node: list[int] = [0]
    l_parent: list[int] = [-1]
    l_mask: list[int] = [0]
    l_dist: list[float] = [0.0]
    l_time: list[float] = [0.0]
    l_batt: list[float] = [capacity]
    l_load: list[float] = [0.0]
    l_rest: list[float] = [rest_all]
    alive: list[bool] = [True]
    # per (mask, node): the indices of the labels kept there
    kept: dict[tuple[int, int], list[int]] = {}
    best: dict[int, tuple[float, int]] = {}
    buckets: list[list[int]] = [[] for _ in range(len(customers) + 1)]
    buckets[0].append(0)
    complete = True  # nothing cut: no beam truncation, no stop
    stopped = False

    def add(
        node: int, parent: int, mask: int, dist: float, time: float, batt: float, load: float, rest: float, size: int
    ) -> None:
        if limit is not None and dist + rest > limit:
            return
        if cover_all:
            for c in customers:
                if not mask & bit[c] and time + fastest[node][c] > due[c] + TOLERANCE:
                    return
        key = (mask, node)
        here = kept.get(key)
        if here is None:
            here = kept[key] = []
        else:
            survivors = []
            for other in here:
                if not alive[other]:
                    continue
                if l_dist[other] <= dist and l_time[other] <= time and l_batt[other] >= batt:
                    return  # dominated (or equal): every completion is open to `other` at no more distance
                if dist <= l_dist[other] and time <= l_time[other] and batt >= l_batt[other]:
                    alive[other] = False
                else:
                    survivors.append(other)
            here[:] = survivors
        index = len(l_node)
        l_node.append(node)
        l_parent.append(parent)
        l_mask.append(mask)
        l_dist.append(dist)
        l_time.append(time)
        l_batt.append(batt)
        l_load.append(load)
        l_rest.append(rest)
        alive.append(True)
        here.append(index)
        buckets[size].append(index)

    for size, bucket in enumerate(buckets):
        if beam is not None:  # the `beam` shortest labels of this size at each node
            per_node: dict[int, list[int]] = {}
            for label in bucket:
                if alive[label]:
                    per_node.setdefault(l_node[label], []).append(label)
            kept_here = []
            for labels in per_node.values():
                labels.sort(key=l_dist.__getitem__)
                kept_here.extend(labels[:beam])
                for dropped in labels[beam:]:
                    alive[dropped] = False  # nor does it dominate anything any more
                complete = complete and len(labels) <= beam
            bucket[:] = kept_here
        position = 0
        while position < len(bucket):  # station labels join the bucket they are processed in
            label = bucket[position]
            position += 1
            if not alive[label]:
                continue
            if position % 256 == 0 and (
                (deadline is not None and clock.perf_counter() > deadline)
                or (label_limit is not None and len(l_node) > label_limit)
            ):
                complete, stopped = False, True
                break
            i = l_node[label]
            mask, dist, time, batt, load = l_mask[label], l_dist[label], l_time[label], l_batt[label], l_load[label]
            rest = l_rest[label]
            row_d, row_t, row_e = distance[i], travel[i], energy[i]
            if (  # back to the depot closes a route
                mask
                and i != 0
                and (not cover_all or mask == full)
                and batt - row_e[0] >= -TOLERANCE
                and time + row_t[0] <= depot_due + TOLERANCE
            ):
                total = dist + row_d[0]
                if mask not in best or total < best[mask][0]:
                    best[mask] = (total, label)
            for j in targets:
                if j == i:
                    continue
                b = batt - row_e[j]
                if b < -TOLERANCE:
                    continue
                t = time + row_t[j]
                customer_bit = bit.get(j)
                if customer_bit is not None:
                    if mask & customer_bit or load + demand[j] > load_capacity + TOLERANCE:
                        continue
                    if t < ready[j]:
                        t = ready[j]
                    if t > due[j] + TOLERANCE:
                        continue
                    t += service[j]
                    if t + back[j] > depot_due + TOLERANCE or b - reach[j] < -TOLERANCE:
                        continue
                    served = mask | customer_bit
                    add(j, label, served, dist + row_d[j], t, b, load + demand[j], rest - min_in[j], size + 1)
                else:
                    t += g * (capacity - b)
                    if t > due[j] + TOLERANCE or t + back[j] > depot_due + TOLERANCE:
                        continue
                    add(j, label, mask, dist + row_d[j], t, capacity, load, rest, size)
        if stopped:
            break

    routes: dict[int, tuple[float, list[int]]] = {}
    for mask, (total, label) in best.items():
        route = [0]
        while label > 0:
            route.append(l_node[label])
            label = l_parent[label]
        route.append(0)
        route[1:-1] = reversed(route[1:-1])
        routes[mask] = (total, route)
    return RouteSet(
        customers=customers,
        best=routes,
        complete=complete,
        labels=len(l_node),
        seconds=clock.perf_counter() - started,
    )
