"""The exact E-VRPTW model for small instances (up to about 15 customers): fewest vehicles first, then the least
total distance at that vehicle count, solved to proven optimality.

Objective. Schneider, Stenger & Goeke (2014) state the E-VRPTW's objective as fewest vehicles first, then total
distance, and their table of small instances reports both (``m`` and ``f``); their MILP's objective (1) is the
distance alone. The two only differ when a shorter plan needs more vehicles; we minimize lexicographically (the
published instance table agrees with it, see ``routing/tests/data/evrptw_small_optimal.csv``).

Method: route enumeration and set partitioning.

1. ``exact_routes.enumerate_routes`` lists, for every set of customers one vehicle can serve, the shortest
   feasible route serving exactly that set (label setting with dominance; station visits, also several in a row,
   included). Exhaustive, so nothing better exists outside it.
2. A set-partitioning MIP over those routes (HiGHS, relative and absolute gap 0): first the fewest routes that
   serve every customer once, then, with that count fixed, the least total distance.

When the full enumeration is too large (wide time windows, long routes; it gets a budget of labels first):

3. The search for one route serving every customer, exhaustive on its own and strongly pruned (a label dies as
   soon as an unserved customer's window can no longer be met). If it finds one, one vehicle is the fewest and
   the shortest such route is the optimum. If it finds none, at least two vehicles are needed.
4. Otherwise a beam search over the labels gives a first plan of distance D, and the enumeration runs again with
   a distance bound: a partial route is dropped when its distance plus the shortest arc into each customer it has
   not served exceeds D. That keeps every route of every plan of distance at most D, so the MIP's best plan over
   them is the optimum when its vehicle count K is proven the fewest (load, pairwise incompatible customers, the
   failed search of 3.); if not, the full enumeration runs after all.

``optimal`` is True only when the enumeration that gave the answer ran to its end and the MIPs closed their gap.
"""

from __future__ import annotations

import math
import os
import sys
import time as clock
from dataclasses import dataclass, field

import numpy as np

from routing.evrptw.exact_routes import RouteSet, enumerate_routes, shortest_paths
from routing.evrptw.instance import Instance, InstanceError

QUICK_LABELS = 150_000  # the plain enumeration's budget before the distance bound is brought in
_banner_shown = False
BEAM = 20  # labels kept per size and node by the beam search that finds the first plan


@dataclass
class ExactResult:
    """``routes`` (node indices, 0 ... 0, station visits included), their ``vehicles`` and total ``distance``;
    ``optimal`` when proven (complete enumeration, MIP gap 0); ``bound`` the best lower bound on the distance at
    that vehicle count (equal to ``distance`` when optimal); ``seconds`` the wall time; ``method`` says which
    enumeration gave the proof ("full", "single route" or "bounded") and ``columns`` how many routes the MIP
    chose from."""

    routes: list[list[int]]
    vehicles: int
    distance: float
    optimal: bool
    bound: float
    seconds: float
    method: str = "full"
    columns: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    masks: list[int]
    vehicles: int
    distance: float
    bound: float
    optimal: bool


def solve_exact(instance: Instance, *, time_limit_s: float = 60.0) -> ExactResult:
    """Fewest vehicles, then least distance; raises InstanceError when a customer cannot be served at all or
    ``instance.max_vehicles`` is too few."""
    result = _solve(instance, time_limit_s)
    if instance.max_vehicles is not None and result.optimal and result.vehicles > instance.max_vehicles:
        raise InstanceError(
            "max_vehicles",
            f"{instance.max_vehicles} available, but every plan needs at least {result.vehicles} (proven): "
            "add vehicles or drop customers",
        )
    return result


def _solve(instance: Instance, time_limit_s: float) -> ExactResult:
    started = clock.perf_counter()
    deadline = started + time_limit_s
    customers = instance.customers
    routes = enumerate_routes(instance, deadline=deadline, label_limit=QUICK_LABELS)
    if routes.complete:
        _require_every_customer(instance, routes)
        plan = _partition(instance, routes.best, deadline)
        return _result(instance, routes.best, plan, started, method="full", proven=True)

    # too many labels. One vehicle? The search for a route serving everybody is exhaustive on its own (and
    # strongly pruned: an unserved customer whose window has passed ends a label); one vehicle is the fewest.
    full_mask = (1 << len(customers)) - 1
    single = enumerate_routes(instance, deadline=deadline, cover_all=True)
    if full_mask in single.best:
        distance, route = single.best[full_mask]
        plan = _Plan(masks=[full_mask], vehicles=1, distance=distance, bound=distance, optimal=True)
        return _result(instance, single.best, plan, started, method="single route", proven=single.complete)
    fewest = max(vehicle_lower_bound(instance), 2 if single.complete else 1)
    # a first plan (beam search) gives a distance bound D; every plan of distance at most D survives the bounded
    # enumeration, so its best plan (K vehicles) is optimal when no plan has fewer than K vehicles
    columns = dict(routes.best)
    _merge(columns, enumerate_routes(instance, deadline=deadline, beam=BEAM).best)
    first = _partition(instance, columns, deadline) if _covers(instance, columns) else None
    if first is None:
        return _full(instance, started, deadline)
    bounded = enumerate_routes(instance, deadline=deadline, upper_bound=first.distance)
    _merge(bounded.best, {mask: columns[mask] for mask in first.masks})
    plan = _partition(instance, bounded.best, deadline)
    if plan is not None and bounded.complete and plan.vehicles > fewest:
        return _full(instance, started, deadline)  # the vehicle count is not proven: enumerate everything
    result = _result(instance, bounded.best, plan, started, method="bounded", proven=bounded.complete)
    if single.complete:
        result.notes.append("no single route serves every customer (exhaustive search)")
    return result


def _full(instance: Instance, started: float, deadline: float) -> ExactResult:
    routes = enumerate_routes(instance, deadline=deadline)
    if routes.complete:
        _require_every_customer(instance, routes)
    plan = _partition(instance, routes.best, deadline) if _covers(instance, routes.best) else None
    return _result(instance, routes.best, plan, started, method="full", proven=routes.complete)


def vehicle_lower_bound(instance: Instance) -> int:
    """At least this many vehicles: the total load over the capacity, and a set of customers no two of which can
    share a route (neither order fits the time windows, or their loads together exceed the capacity)."""
    nodes = instance.nodes
    customers = instance.customers
    load = sum(nodes[c].demand for c in customers)
    bound = max(1, math.ceil(load / instance.load_capacity - 1e-9))
    fastest = shortest_paths(instance.distance / instance.velocity)
    depot_due = nodes[0].due

    def fits(a: int, b: int) -> bool:
        start = max(nodes[a].ready, fastest[0, a])
        arrive = max(nodes[b].ready, start + nodes[a].service + fastest[a, b])
        return arrive <= nodes[b].due + 1e-6 and arrive + nodes[b].service + fastest[b, 0] <= depot_due + 1e-6

    def apart(a: int, b: int) -> bool:
        return nodes[a].demand + nodes[b].demand > instance.load_capacity + 1e-9 or not (fits(a, b) or fits(b, a))

    clique: list[int] = []
    for c in sorted(customers, key=lambda c: -sum(apart(c, o) for o in customers if o != c)):
        if all(apart(c, other) for other in clique):
            clique.append(c)
    return max(bound, len(clique))


def _merge(into: dict, more: dict) -> None:
    for mask, (distance, route) in more.items():
        if mask not in into or distance < into[mask][0]:
            into[mask] = (distance, route)


def _covers(instance: Instance, columns: dict) -> bool:
    union = 0
    for mask in columns:
        union |= mask
    return union == (1 << len(instance.customers)) - 1


def _require_every_customer(instance: Instance, routes: RouteSet) -> None:
    union = 0
    for mask in routes.best:
        union |= mask
    for k, c in enumerate(routes.customers):
        if not union >> k & 1:
            node = instance.nodes[c]
            raise InstanceError(
                f"customer {node.id}",
                f"no vehicle can serve it: its time window ({node.ready:g}-{node.due:g}), its demand ({node.demand:g}) "
                "or the battery (even with every station) rules out every route; widen the window or check the data",
            )


def _highs():
    import highspy

    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:  # HiGHS prints its banner from C on the first model of a process, before options: not into a JSON report
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("presolve", "off")  # HiGHS' presolve takes seconds on these few-row, many-column models
    return h, highspy


def _partition(instance: Instance, columns: dict[int, tuple[float, list[int]]], deadline: float) -> _Plan | None:
    """Set partitioning over ``columns``: fewest routes, then least distance at that count."""
    customers = instance.customers
    masks = list(columns)
    if not masks:
        return None
    h, highspy = _highs()
    m = len(customers)
    h.addRows(m, np.ones(m), np.ones(m), 0, np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]))
    starts, indices = [], []
    for mask in masks:
        starts.append(len(indices))
        indices.extend(k for k in range(m) if mask >> k & 1)
    ncol = len(masks)
    h.addCols(
        ncol,
        np.ones(ncol),
        np.zeros(ncol),
        np.ones(ncol),
        len(indices),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.ones(len(indices)),
    )
    h.changeColsIntegrality(ncol, np.arange(ncol, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * ncol))
    h.setOptionValue("time_limit", max(1.0, deadline - clock.perf_counter()))
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None
    first_optimal = status == highspy.HighsModelStatus.kOptimal
    if not math.isfinite(h.getInfo().objective_function_value):  # stopped before any plan
        return None
    vehicles = round(h.getInfo().objective_function_value)
    # second stage: the distance, with the vehicle count fixed
    h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), np.array([columns[mask][0] for mask in masks]))
    h.addRow(vehicles, vehicles, ncol, np.arange(ncol, dtype=np.int32), np.ones(ncol))
    h.setOptionValue("time_limit", max(1.0, deadline - clock.perf_counter()))
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    values = h.getSolution().col_value
    chosen = [mask for mask, value in zip(masks, values, strict=True) if value > 0.5]
    return _Plan(
        masks=chosen,
        vehicles=len(chosen),
        distance=sum(columns[mask][0] for mask in chosen),
        bound=float(info.mip_dual_bound),
        optimal=first_optimal and status == highspy.HighsModelStatus.kOptimal,
    )


def _result(
    instance: Instance, columns: dict, plan: _Plan | None, started: float, *, method: str, proven: bool
) -> ExactResult:
    seconds = clock.perf_counter() - started
    if plan is None:
        return ExactResult(routes=[], vehicles=0, distance=math.inf, optimal=False, bound=0.0, seconds=seconds)
    optimal = proven and plan.optimal
    return ExactResult(
        routes=[columns[mask][1] for mask in plan.masks],
        vehicles=plan.vehicles,
        distance=plan.distance,
        optimal=optimal,
        bound=plan.bound if proven else 0.0,
        seconds=seconds,
        method=method,
        columns=len(columns),
    )
