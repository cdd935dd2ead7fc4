"""The E-VRPTW solver: an adaptive large neighbourhood search assembled from routingblocks (Klein & Schiffer 2023)
blocks, made to answer the full-recharge problem of ``check.py``.

routingblocks' native E-VRPTW evaluation (``adptw``) lets a vehicle recharge partially; the published instances
and ``check.py`` recharge fully. The search therefore runs on routingblocks (insertion/removal operators, local
search with station insertion/removal, penalised time-window, battery and load violations adapted over the
search), and every candidate it keeps is re-timed under full recharge by ``fullcharge.RouteOptimizer``, which
re-places the stations of each route (cached per customer order). Only solutions feasible under full recharge are
returned.

Phases: a construction (best insertion into as many routes as customers, local search, repair under full recharge
by splitting routes); route minimisation (remove the route with fewest customers, reinsert its customers with
penalties, search until it is feasible again or give up); then distance minimisation at the best vehicle count.
Objective: fewest vehicles, then distance.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import routingblocks as rb
from routingblocks.operators import (
    BestInsertionOperator,
    RelatedRemovalOperator,
    WorstRemovalOperator,
    blink_selector_factory,
    build_relatedness_matrix,
    first_move_selector,
)

from routing.evrptw.fullcharge import RouteOptimizer, unservable
from routing.evrptw.instance import Instance, InstanceError


@dataclass
class Solution:
    """Routes are node indices of the Instance, each 0 … 0 with the stations where the vehicle recharges."""

    routes: list[list[int]]
    vehicles: int
    distance: float
    seconds: float
    iterations: int = 0


def solve(instance: Instance, *, time_limit_s: float = 60.0, seed: int = 0) -> Solution:
    """Plan the routes; InstanceError names the customer that cannot be served at all, or ``max_vehicles`` when the
    jobs need more vehicles than the instance allows."""
    started = time.perf_counter()
    optimizer = RouteOptimizer(instance)
    problems = unservable(instance)
    if problems:
        text = "; ".join(f"customer {instance.nodes[c].id}: {reason}" for c, reason in problems)
        raise InstanceError(f"customer {instance.nodes[problems[0][0]].id}", text)
    demand = sum(instance.nodes[c].demand for c in instance.customers)
    lower_bound = max(1, math.ceil(demand / instance.load_capacity - 1e-9))
    if instance.max_vehicles is not None and lower_bound > instance.max_vehicles:
        raise InstanceError(
            "max_vehicles",
            f"the jobs need at least {lower_bound} vehicles for their load ({demand:g} in vehicles of "
            f"{instance.load_capacity:g}); {instance.max_vehicles} available",
        )
    search = _Search(instance, optimizer, seed=seed, lower_bound=lower_bound)
    routes, iterations = search.run(deadline=started + time_limit_s)
    vehicles = len(routes)
    if instance.max_vehicles is not None and vehicles > instance.max_vehicles:
        raise InstanceError(
            "max_vehicles",
            f"no plan found with {instance.max_vehicles} vehicles in {time_limit_s:g} s; the best needs {vehicles}",
        )
    distance = sum(optimizer.schedule(route)[1] for route in routes)
    return Solution(
        routes=routes,
        vehicles=vehicles,
        distance=float(distance),
        seconds=time.perf_counter() - started,
        iterations=iterations,
    )


class _Search:
    def __init__(self, instance: Instance, optimizer: RouteOptimizer, *, seed: int, lower_bound: int):
        self.instance = instance
        self.optimizer = optimizer
        self.lower_bound = max(lower_bound, 1)
        self.target = instance.max_vehicles
        self.py_random = random.Random(seed)
        self.random = rb.Random(seed)
        g = instance.recharge_rate if instance.recharge_rate > 0 else 1e-9
        self.g = g
        self.rb_instance, self.to_node = self._build_instance(g)
        self.to_vertex = {node: vertex for vertex, node in enumerate(self.to_node)}
        self.evaluation = rb.adptw.Evaluation(instance.battery_capacity * g, instance.load_capacity)
        self.penalties = [100.0, 100.0, 100.0]
        self._set_penalties(self.penalties)
        self.local_search = rb.LocalSearch(self.rb_instance, self.evaluation, None, rb.BestImprovementPivotingRule())
        arc_set = self._granular_arcs(25)
        ri = self.rb_instance
        self.ls_operators = [
            rb.operators.SwapOperator_0_1(ri, arc_set),
            rb.operators.SwapOperator_0_2(ri, arc_set),
            rb.operators.SwapOperator_1_1(ri, arc_set),
            rb.operators.InterRouteTwoOptOperator(ri, arc_set),
            rb.operators.InsertStationOperator(ri),
            rb.operators.RemoveStationOperator(ri),
        ]
        self.alns = rb.AdaptiveLargeNeighborhood(self.random, 0.3)
        self.alns.add_destroy_operator(rb.operators.RandomRemovalOperator(self.random))
        self.alns.add_destroy_operator(WorstRemovalOperator(ri, blink_selector_factory(0.05, self.random)))
        self.alns.add_destroy_operator(self._related_removal())
        self.alns.add_repair_operator(BestInsertionOperator(ri, first_move_selector))
        self.alns.add_repair_operator(BestInsertionOperator(ri, blink_selector_factory(0.15, self.random)))
        self.reinsert = BestInsertionOperator(ri, first_move_selector)

    # --- building -------------------------------------------------------------------------------------------
    def _build_instance(self, g: float):
        inst = self.instance
        builder = rb.utility.InstanceBuilder(create_vertex=rb.adptw.create_adptw_vertex, create_arc=rb.adptw.create_adptw_arc)
        for index, node in enumerate(inst.nodes):
            due = node.due if math.isfinite(node.due) else 1e12
            data = rb.adptw.VertexData(node.x, node.y, node.demand, node.ready, due, node.service)
            if node.kind == "depot":
                builder.set_depot(str(index), data)
            elif node.kind == "customer":
                builder.add_customer(str(index), data)
            else:
                builder.add_station(str(index), data)
        d = inst.distance
        for i in range(len(inst.nodes)):
            for j in range(len(inst.nodes)):
                dist = float(d[i, j])
                builder.add_arc(
                    str(i), str(j), rb.adptw.ArcData(dist, dist * inst.consumption_rate * g, dist / inst.velocity)
                )
        builder.fleet_size = len(inst.customers)
        rb_instance = builder.build()
        to_node = [int(rb_instance.get_vertex(v).str_id) for v in range(rb_instance.number_of_vertices)]
        return rb_instance, to_node

    def _granular_arcs(self, neighbours: int) -> rb.ArcSet:
        n = self.rb_instance.number_of_vertices
        arc_set = rb.ArcSet(n)
        d = self.instance.distance
        for i in range(1, n):
            ranked = sorted(range(1, n), key=lambda j: d[self.to_node[i], self.to_node[j]])
            for j in ranked[neighbours:]:
                arc_set.forbid_arc(i, j)
        return arc_set

    def _related_removal(self):
        inst = self.instance
        d = inst.distance
        scale = float(d.max()) or 1.0
        horizon = max(inst.nodes[0].due if math.isfinite(inst.nodes[0].due) else 1.0, 1.0)
        nodes = [inst.nodes[self.to_node[v]] for v in range(self.rb_instance.number_of_vertices)]

        def related(a: int, b: int) -> float:
            na, nb = nodes[a], nodes[b]
            if na.kind != "customer" or nb.kind != "customer":
                return 0.0
            gap = d[self.to_node[a], self.to_node[b]] / scale + 0.5 * abs(na.ready - nb.ready) / horizon
            return 1.0 / (1e-3 + gap)

        matrix = build_relatedness_matrix(self.rb_instance, related)
        return RelatedRemovalOperator(
            matrix,
            blink_selector_factory(0.1, self.random),
            rb.operators.random_selector_factory(self.random),
            rb.operators.random_selector_factory(self.random),
            cluster_size=2,
        )

    def _set_penalties(self, values):
        self.evaluation.overload_penalty_factor = values[0]
        self.evaluation.resource_penalty_factor = values[1]
        self.evaluation.time_shift_penalty_factor = values[2]

    # --- full-recharge view ---------------------------------------------------------------------------------
    def _customers(self, route) -> tuple[int, ...]:
        return tuple(self.to_node[node.vertex_id] for node in route if node.vertex.is_customer)

    def full(self, solution: rb.Solution):
        """(distance, routes) under full recharge, or None when a route cannot be made feasible."""
        routes, total = [], 0.0
        for route in solution:
            customers = self._customers(route)
            if not customers:
                continue
            result = self.optimizer.best(customers)
            if result is None:
                return None
            total += result[0]
            routes.append(result[1])
        return total, routes

    def _split(self, customers: tuple[int, ...]) -> list[list[int]]:
        """Cut an order into the fewest consecutive pieces each feasible under full recharge (greedy)."""
        pieces, current = [], []
        for c in customers:
            if self.optimizer.best((*current, c)) is not None:
                current.append(c)
            else:
                if current:
                    pieces.append(current)
                current = [c]
        if current:
            pieces.append(current)
        return pieces

    def _rb_solution(self, orders: list[list[int]]) -> rb.Solution:
        routes = [rb.create_route(self.evaluation, self.rb_instance, [self.to_vertex[c] for c in order]) for order in orders]
        return rb.Solution(self.evaluation, self.rb_instance, routes)

    def _nonempty(self, solution: rb.Solution) -> rb.Solution:
        orders = [[self.to_node[node.vertex_id] for node in route][1:-1] for route in solution]
        return self._rb_solution([o for o in orders if any(self.instance.nodes[n].kind == "customer" for n in o)])

    # --- search ---------------------------------------------------------------------------------------------
    def construct(self) -> rb.Solution:
        solution = rb.Solution(self.evaluation, self.rb_instance, len(self.instance.customers))
        customers = [self.to_vertex[c] for c in self.instance.customers]
        self.py_random.shuffle(customers)
        self.reinsert.apply(self.evaluation, solution, customers)
        self.local_search.optimize(solution, self.ls_operators)
        orders = []
        for route in solution:
            customers_in_route = self._customers(route)
            if customers_in_route:
                orders.extend(self._split(customers_in_route))
        return self._rb_solution(orders)

    def run(self, *, deadline: float) -> tuple[list[list[int]], int]:
        current = self.construct()
        full = self.full(current)
        assert full is not None  # every piece was made feasible in construct()
        best = (len(full[1]), full[0], full[1])
        best_rb = current.copy()
        iterations = 0
        since_best = 0
        minimising = False
        failed_minimisation = 0
        stage_iters = 0
        window = []
        temperature0 = 0.01
        while time.perf_counter() < deadline:
            iterations += 1
            stage_iters += 1
            # Route minimisation: from the best feasible solution, drop the route with fewest customers.
            if (
                not minimising
                and best[0] > self.lower_bound
                and failed_minimisation < 6
                and since_best > 50
            ):
                current = best_rb.copy()
                smallest = min(current, key=lambda r: len(self._customers(r)))
                removed = [node.vertex_id for node in smallest if node.vertex.is_customer]
                current.remove_route(smallest)
                self._set_penalties([p * 10 for p in self.penalties])
                self.reinsert.apply(self.evaluation, current, removed)
                self.local_search.optimize(current, self.ls_operators)
                self._set_penalties(self.penalties)
                minimising = True
                stage_iters = 0
            candidate = current.copy()
            removed_fraction = self.py_random.uniform(0.1, 0.4)
            count = max(1, int(len(self.instance.customers) * removed_fraction))
            operators = self.alns.generate(self.evaluation, candidate, count)
            self.local_search.optimize(candidate, self.ls_operators)
            score = 0
            feasible_pr = candidate.feasible
            window.append(feasible_pr)
            if feasible_pr:
                full = self.full(candidate)
                if full is not None:
                    vehicles = len(full[1])
                    if (vehicles, full[0]) < (best[0], best[1] - 1e-9):
                        if vehicles < best[0]:
                            minimising = False
                            failed_minimisation = 0
                        best = (vehicles, full[0], full[1])
                        best_rb = self._nonempty(candidate)
                        since_best = 0
                        score = 9
                    else:
                        since_best += 1
                else:
                    since_best += 1
            else:
                since_best += 1
            temperature = temperature0 * max(0.0, 1.0 - stage_iters / 3000)
            if candidate.cost < current.cost * (1.0 + temperature * self.py_random.random()):
                if candidate.cost < current.cost:
                    score = max(score, 1)
                current = candidate
            self.alns.collect_score(*operators, score)
            if iterations % 50 == 0:
                self.alns.adapt_operator_weights()
                ratio = sum(window) / len(window)
                factor = 1.2 if ratio < 0.5 else 0.85
                self.penalties = [min(1e5, max(0.5, p * factor)) for p in self.penalties]
                self._set_penalties(self.penalties)
                window.clear()
            if minimising and stage_iters > 600:
                # give up on this vehicle count for now
                minimising = False
                failed_minimisation += 1
                current = best_rb.copy()
                stage_iters = 0
                since_best = 0
        return best[2], iterations
