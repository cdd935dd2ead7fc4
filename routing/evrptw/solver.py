"""The E-VRPTW solver: routingblocks (Klein & Schiffer 2023) blocks and a search of our own under full recharge,
made to answer the full-recharge problem of ``check.py``.

routingblocks' native E-VRPTW evaluation (``adptw``) lets a vehicle recharge partially; the published instances
and ``check.py`` recharge fully. Where routingblocks searches (phase 1), it runs with the recharge rate times
SEARCH_RECHARGE_FACTOR (a partial recharge that takes about as long as the full one), and every candidate it keeps
is re-timed under full recharge by ``fullcharge.RouteOptimizer`` (stations re-placed per customer order, cached).
Phases 2 and 3 (``routemin``) work on customer orders judged by that optimizer alone. Only solutions feasible
under full recharge are returned.

Phases: a construction (best insertion, local search, routes cut where full recharge needs it); 1. routingblocks'
ALNS with a cost per vehicle, dropping a short route when the fleet has not shrunk for a while (ALNS_SHARE of the
time); 2. route minimisation by an ejection pool (Nagata & Bräysy 2009) until MINIMISE_SHARE, an attempt given up
after MINIMISE_PATIENCE; 3. ruin and recreate for distance until the end. Objective: fewest vehicles, then
distance.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import routingblocks as rb
from routingblocks.operators import (
    BestInsertionOperator,
    WorstRemovalOperator,
    blink_selector_factory,
    first_move_selector,
)

from routing.evrptw.fullcharge import RouteOptimizer, unservable
from routing.evrptw.instance import Instance, InstanceError
from routing.evrptw.routemin import RouteMinimiser

ALNS_SHARE = 0.15  # of the time limit (or of max_iterations), for routingblocks' ALNS; then route minimisation
ATTEMPT_SHARE = 0.03  # of the time limit without fewer vehicles in the ALNS, then a route of the best is dropped
MINIMISE_PATIENCE = 0.12  # of the time limit: an attempt at one route fewer that takes longer is given up
MINIMISE_SHARE = 0.5  # ... until this share (steps of the ejection pool count as iterations); then ruin and recreate
SHARES = {"minimise": MINIMISE_SHARE - ALNS_SHARE, "improve": 1.0 - MINIMISE_SHARE}
FLEET_COST = 1.0  # cost of a vehicle in the search, times the longest return trip depot-customer
REMOVE_MIN, REMOVE_MAX = 0.1, 0.35  # share of the customers an ALNS step removes
REMOVE_LEAST = 2  # customers an ALNS step removes at least (one alone rarely finds a better place)
FULL_RECHARGE_PENALTY = 0.05  # relative cost added to a solution feasible only with partial recharging
START_TEMPERATURE = 0.01  # record-to-record acceptance: relative slack, falling to 0 over the run
CONSTRUCT_BATTERY_PENALTY = 1e4  # per time unit of missing charge, while constructing
PENALTY_PERIOD = 20  # iterations between penalty updates
TARGET_FEASIBLE = 0.5  # penalties rise when fewer candidates than this are feasible, fall otherwise
LS_SHARE = 0.3  # the local search runs on the candidates whose repaired cost is in this lowest share of late
BEST_IMPROVEMENT = True  # the local search's pivoting rule (else first improvement)
GRANULARITY = 15  # arcs to the nearest vertices the local search considers
SEARCH_RECHARGE_FACTOR = 2.0  # the search's recharge rate, times the instance's (above 1: nearer full recharge)
# A local search takes up to roughly this many seconds × customers² (the construction's, 300 customers: 3 to 11 s
# on the 2-core development machine, by its load) and cannot be interrupted: it is left out when less time is left
# before the deadline, so a large plan keeps a short time limit (100 customers: the last 0.3 s).
LS_SECONDS_PER_PAIR = 3e-5


@dataclass
class Solution:
    """Routes are node indices of the Instance, each 0 … 0 with the stations where the vehicle recharges."""

    routes: list[list[int]]
    vehicles: int
    distance: float
    seconds: float
    iterations: int = 0


def solve(
    instance: Instance,
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    max_iterations: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Solution:
    """Plan the routes within ``time_limit_s``; InstanceError names the customer that cannot be served at all, or
    ``max_vehicles`` when the jobs need more vehicles than the instance allows.

    With ``max_iterations`` the search stops after so many ALNS iterations (the time limit still caps it), and the
    same seed gives the same routes; under a time limit alone how far it gets depends on the machine's speed.
    ``clock`` measures the time limit (wall time; a benchmark on a shared machine may pass ``time.process_time``)."""
    started = clock()
    optimizer = RouteOptimizer(instance)
    problems = unservable(instance, optimizer)
    if problems:
        first, reason = problems[0]
        others = "".join(f"; also customer {instance.nodes[c].id}: {why}" for c, why in problems[1:])
        raise InstanceError(f"customer {instance.nodes[first].id}", f"{reason}{others}")
    demand = sum(instance.nodes[c].demand for c in instance.customers)
    lower_bound = max(1, math.ceil(demand / instance.load_capacity - 1e-9))
    if instance.max_vehicles is not None and lower_bound > instance.max_vehicles:
        raise InstanceError(
            "max_vehicles",
            f"the jobs need at least {lower_bound} vehicles for their load ({demand:g} in vehicles of "
            f"{instance.load_capacity:g}); {instance.max_vehicles} available",
        )
    search = _Search(instance, optimizer, seed=seed, lower_bound=lower_bound, clock=clock)
    routes, iterations = search.run(deadline=started + time_limit_s, max_iterations=max_iterations)
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
        seconds=clock() - started,
        iterations=iterations,
    )


class _RelatedRemoval(rb.DestroyOperator):
    """Shaw-style removal: a random customer and the customers most related to it (near in space and in opening
    time), with some randomness in the rank picked (rank = floor(n * u^4))."""

    def __init__(self, ranked: dict[int, list[int]], customers: list[int], py_random: random.Random):
        rb.DestroyOperator.__init__(self)
        self._ranked = ranked
        self._customers = customers
        self._random = py_random

    def name(self) -> str:
        return "RelatedRemoval"

    def can_apply_to(self, solution: rb.Solution) -> bool:
        return True

    def apply(self, evaluation: rb.Evaluation, solution: rb.Solution, count: int) -> list[int]:
        seed = self._random.choice(self._customers)
        chosen = [seed]
        taken = {seed}
        while len(chosen) < count:
            pivot = self._random.choice(chosen)
            candidates = [b for b in self._ranked[pivot][: 4 * count] if b not in taken]
            if not candidates:
                candidates = [b for b in self._customers if b not in taken]
                if not candidates:
                    break
            pick = candidates[int(len(candidates) * self._random.random() ** 4)]
            chosen.append(pick)
            taken.add(pick)
        locations = [location for vertex in chosen for location in solution.find(vertex)]
        solution.remove_vertices(locations)
        return chosen


class _Search:
    def __init__(
        self,
        instance: Instance,
        optimizer: RouteOptimizer,
        *,
        seed: int,
        lower_bound: int,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.clock = clock
        self.instance = instance
        self.optimizer = optimizer
        self.lower_bound = max(lower_bound, 1)
        self.target = instance.max_vehicles
        self.py_random = random.Random(seed)
        self.random = rb.Random(seed)
        g = (instance.recharge_rate if instance.recharge_rate > 0 else 1e-9) * SEARCH_RECHARGE_FACTOR
        self.g = g
        self.rb_instance, self.to_node = self._build_instance(g)
        self.to_vertex = {node: vertex for vertex, node in enumerate(self.to_node)}
        self.evaluation = rb.adptw.Evaluation(instance.battery_capacity * g, instance.load_capacity)
        self.penalties = [100.0, 100.0, 100.0]
        self._set_penalties(self.penalties)
        pivot = rb.BestImprovementPivotingRule() if BEST_IMPROVEMENT else rb.FirstImprovementPivotingRule()
        self.local_search = rb.LocalSearch(self.rb_instance, self.evaluation, None, pivot)
        arc_set = self._granular_arcs(GRANULARITY)
        ri = self.rb_instance
        self.ls_operators = [
            rb.operators.SwapOperator_0_1(ri, arc_set),
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
        builder = rb.utility.InstanceBuilder(
            create_vertex=rb.adptw.create_adptw_vertex, create_arc=rb.adptw.create_adptw_arc
        )
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
        # a fixed cost on every arc leaving the depot: each vehicle used costs it once, so the search trades
        # vehicles against distance (the reported distance is always the true one)
        self.fleet_cost = FLEET_COST * 2.0 * max(float(d[0, c]) for c in inst.customers)
        for i in range(len(inst.nodes)):
            for j in range(len(inst.nodes)):
                dist = float(d[i, j])
                cost = dist + (self.fleet_cost if i == 0 and j != 0 else 0.0)
                builder.add_arc(
                    str(i), str(j), rb.adptw.ArcData(cost, dist * inst.consumption_rate * g, dist / inst.velocity)
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

    def _related_removal(self) -> rb.DestroyOperator:
        inst = self.instance
        vertices = self.rb_instance.number_of_vertices
        customers = [v for v in range(vertices) if inst.nodes[self.to_node[v]].kind == "customer"]
        d = inst.distance
        scale = float(d.max()) or 1.0
        horizon = inst.nodes[0].due if math.isfinite(inst.nodes[0].due) and inst.nodes[0].due > 0 else 1.0
        # per customer, the other customers from most to least related (near in space and in opening time)
        ranked = {}
        for a in customers:
            na = inst.nodes[self.to_node[a]]

            def gap(b: int, na=na, a=a) -> float:
                nb = inst.nodes[self.to_node[b]]
                return d[self.to_node[a], self.to_node[b]] / scale + 0.5 * abs(na.ready - nb.ready) / horizon

            ranked[a] = sorted((b for b in customers if b != a), key=gap)
        return _RelatedRemoval(ranked, customers, self.py_random)

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
            result = self.optimizer.best(customers, hint=[self.to_node[node.vertex_id] for node in route])
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
        routes = [
            rb.create_route(self.evaluation, self.rb_instance, [self.to_vertex[c] for c in order]) for order in orders
        ]
        return rb.Solution(self.evaluation, self.rb_instance, routes)

    def _nonempty(self, solution: rb.Solution) -> rb.Solution:
        orders = [[self.to_node[node.vertex_id] for node in route][1:-1] for route in solution]
        return self._rb_solution([o for o in orders if any(self.instance.nodes[n].kind == "customer" for n in o)])

    # --- search ---------------------------------------------------------------------------------------------
    def construct(self, deadline: float | None = None) -> tuple[rb.Solution, rb.Solution]:
        """Customers in order of closing time, each where it costs least, with the battery's penalty low (the
        insertion does not add stations; the local search does) and the others high, so that a vehicle is added
        only when no route takes a customer in time; then local search. Returns that solution (it may still break a
        constraint; the search goes on from it) and one feasible under full recharge (its routes cut where needed).
        Before ``deadline`` (the clock's) too little time is left for the local search: it is skipped."""
        self._set_penalties([1e4, CONSTRUCT_BATTERY_PENALTY, 1e4])
        solution = rb.Solution(self.evaluation, self.rb_instance, 1)
        customers = sorted(self.instance.customers, key=lambda c: (self.instance.nodes[c].due, self.py_random.random()))
        for c in customers:
            self.reinsert.apply(self.evaluation, solution, [self.to_vertex[c]])
            if not solution[len(solution) - 1].empty:
                solution.add_route()
        self._set_penalties(self.penalties)
        if deadline is None or self._time_for_local_search(deadline):
            self.local_search.optimize(solution, self.ls_operators)
        orders = []
        for route in solution:
            customers_in_route = self._customers(route)
            if customers_in_route:
                orders.extend(self._split(customers_in_route))
        return self._nonempty(solution), self._rb_solution(orders)

    def _drop_route(self, solution: rb.Solution, deadline: float) -> rb.Solution:
        """The solution without its route of fewest customers, whose customers are reinserted where they cost least
        (violations allowed, with raised penalties), then local search."""
        solution = solution.copy()
        sizes = [len(self._customers(route)) for route in solution]
        weights = [1.0 / (1 + size) ** 2 for size in sizes]
        index = self.py_random.choices(range(len(sizes)), weights=weights)[0]
        route = solution[index]
        removed = [node.vertex_id for node in route if node.vertex.is_customer]
        solution.remove_route(route)
        self.reinsert.apply(self.evaluation, solution, removed)
        if self._time_for_local_search(deadline):
            self.local_search.optimize(solution, self.ls_operators)
        return solution

    def _minimise(self, minimiser: RouteMinimiser, best, *, deadline: float, budget: float, max_steps: int | None):
        """Fewer routes by the ejection pool of ``routemin``, one route at a time, until the deadline (or
        ``max_steps`` steps of the pool), or the load's lower bound, or an attempt longer than MINIMISE_PATIENCE x
        ``budget``; returns the best (vehicles, distance, routes)
        and the steps taken."""
        optimizer = self.optimizer
        taken = 0
        orders = [tuple(c for c in route if optimizer.is_customer[c]) for route in best[2]]
        started = self.clock()
        while len(orders) > self.lower_bound:
            patience = self.clock() + MINIMISE_PATIENCE * budget
            reduced, steps = minimiser.reduce(
                orders, deadline=min(deadline, patience), clock=self.clock, max_steps=max_steps
            )
            taken += steps
            if reduced is None:
                break
            if max_steps is not None:
                max_steps -= steps
            orders = reduced
            planned = [optimizer.best(order) for order in orders]
            best = (len(orders), sum(plan[0] for plan in planned), [plan[1] for plan in planned])
            self.stats["log"].append((round(self.clock() - started, 1), 0, best[0], round(best[1], 1)))
        return best, taken

    def run(self, *, deadline: float, max_iterations: int | None = None) -> tuple[list[list[int]], int]:
        """Search until the deadline (or ``max_iterations``: then the phases follow the iterations, not the clock,
        and a seed gives the same routes on any machine as long as the deadline is not reached first)."""
        started = self.clock()
        budget = max(deadline - started, 1e-3)

        def progress(iterations: int) -> float:
            if max_iterations:
                return iterations / max_iterations
            return (self.clock() - started) / budget

        self.stats = {"pr_feasible": 0, "fr_feasible": 0, "log": []}
        current, best_rb = self.construct(deadline)
        self.stats["construct"] = (round(self.clock() - started, 1), len(current), len(best_rb))
        full = self.full(best_rb)
        assert full is not None  # every piece was made feasible in construct()
        best = (len(full[1]), full[0], full[1])
        current = best_rb.copy()
        self._current_penalty = 0.0
        iterations = 0
        window: list[bool] = []
        ratios: deque[float] = deque()
        # 1. routingblocks' ALNS (every vehicle at a fleet cost): fewer vehicles and shorter routes quickly
        attempt_started = None
        while self.clock() < deadline and (now := progress(iterations)) < ALNS_SHARE:
            iterations += 1
            if best[0] > self.lower_bound and (attempt_started is None or now - attempt_started > ATTEMPT_SHARE):
                # (another) attempt at one vehicle fewer than the best: drop a short route, reinsert its customers
                current = self._drop_route(best_rb, deadline)
                self._current_penalty = 0.0
                attempt_started = now
            candidate = current.copy()
            customers = len(self.instance.customers)
            count = min(customers, max(REMOVE_LEAST, int(customers * self.py_random.uniform(REMOVE_MIN, REMOVE_MAX))))
            operators = self.alns.generate(self.evaluation, candidate, count)
            ratio = candidate.cost / max(self._cost(current), 1e-9)
            ratios.append(ratio)
            if len(ratios) > 60:
                ratios.popleft()
            promising = LS_SHARE >= 1.0 or ratio <= sorted(ratios)[int(LS_SHARE * (len(ratios) - 1))]
            if promising and self._time_for_local_search(deadline):
                self.local_search.optimize(candidate, self.ls_operators)
            score = 0
            feasible = candidate.feasible
            window.append(feasible)
            penalty = 0.0
            self.stats["pr_feasible"] += feasible
            if feasible:
                full = self.full(candidate)
                self.stats["fr_feasible"] += full is not None
                if full is None:
                    penalty = FULL_RECHARGE_PENALTY * candidate.cost
                else:
                    vehicles = len(full[1])
                    if (vehicles, full[0]) < (best[0], best[1] - 1e-9):
                        score = 9
                        if vehicles < best[0]:
                            attempt_started = None  # at once try one fewer again
                        best = (vehicles, full[0], full[1])
                        best_rb = self._nonempty(candidate)
                        seconds = round(self.clock() - started, 1)
                        self.stats["log"].append((seconds, iterations, vehicles, round(full[0], 1)))
            temperature = START_TEMPERATURE * max(0.0, 1.0 - now / ALNS_SHARE)
            threshold = self._cost(current) * (1.0 + temperature * self.py_random.random())
            if candidate.cost + penalty < threshold:
                if candidate.cost + penalty < self._cost(current):
                    score = max(score, 1)
                current = candidate
                self._current_penalty = penalty
            self.alns.collect_score(*operators, score)
            if iterations % 50 == 0:
                self.alns.adapt_operator_weights()
            if iterations % PENALTY_PERIOD == 0:
                share = sum(window) / len(window)
                factor = 1.3 if share < TARGET_FEASIBLE else 0.8
                self.penalties = [min(1e5, max(0.5, p * factor)) for p in self.penalties]
                self._set_penalties(self.penalties)
                window.clear()
        # 2. route minimisation (ejection pool, under full recharge); 3. ruin and recreate for distance
        steps = {phase: int(share * max_iterations) if max_iterations else None for phase, share in SHARES.items()}
        minimiser = RouteMinimiser(self.optimizer, list(self.instance.customers), self.py_random)
        best, taken = self._minimise(
            minimiser,
            best,
            deadline=min(deadline, started + MINIMISE_SHARE * budget),
            budget=budget,
            max_steps=steps["minimise"],
        )
        iterations += taken
        orders = [tuple(c for c in route if self.optimizer.is_customer[c]) for route in best[2]]
        improved, taken = minimiser.improve(orders, deadline=deadline, clock=self.clock, max_steps=steps["improve"])
        iterations += taken
        planned = [self.optimizer.best(order) for order in improved]
        candidate = (len(planned), sum(plan[0] for plan in planned), [plan[1] for plan in planned])
        if candidate[:2] < best[:2]:
            best = candidate
        return best[2], iterations

    _current_penalty = 0.0

    def _time_for_local_search(self, deadline: float) -> bool:
        return self.clock() + LS_SECONDS_PER_PAIR * len(self.instance.customers) ** 2 < deadline

    def _cost(self, solution: rb.Solution) -> float:
        return solution.cost + self._current_penalty
