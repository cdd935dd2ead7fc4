"""Route minimisation for the E-VRPTW under full recharge: an ejection-pool search after Nagata & Bräysy (2009),
"A powerful route minimization heuristic for the vehicle routing problem with time windows" (Operations Research
Letters 37), on the full-recharge feasibility of ``fullcharge.RouteOptimizer`` (plain Python, no Django).

To serve the customers with one vehicle fewer: drop a route and put its customers in the ejection pool; take the
last customer out of the pool and insert it where it is feasible at least distance; when no route can take it,
insert it where the customers that must leave that route (at most ``MAX_EJECT``) have the least sum of penalty
counters (how often each was ejected or taken out before), put them in the pool and count one more on the
inserted customer's counter (so that the hard customers end up placed first); after every step a few random
feasible relocations perturb the solution. The attempt succeeds when the pool is empty: every route is then
feasible under full recharge.

Routes here are customer orders (tuples of node indices without the depot and the stations); their stations are
placed by the optimizer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import combinations

from routing.evrptw.fullcharge import EPS, RouteOptimizer

MAX_EJECT = 2  # customers at most ejected from one route to make room for one
MAX_EJECT_LONG = 1  # ... from a route with more than LONG_ROUTE customers (the pairs would be too many to try)
LONG_ROUTE = 14
PERTURB_MOVES = 10  # random feasible relocations tried after each step
NEIGHBOURS = 10  # a customer's nearest customers, where the perturbation moves it next to


class RouteMinimiser:
    """Ejection-pool route minimisation on customer orders; ``reduce`` tries to remove one route."""

    def __init__(self, optimizer: RouteOptimizer, customers: list[int], py_random: random.Random):
        self.opt = optimizer
        self.random = py_random
        d = optimizer.d
        self.near = {
            c: sorted((o for o in customers if o != c), key=lambda o, c=c: d[c][o])[:NEIGHBOURS] for c in customers
        }
        self.penalty = dict.fromkeys(customers, 1)

    # --- feasibility ----------------------------------------------------------------------------------------
    def _relaxed(self, order) -> bool:
        """Load and time windows without the battery: a necessary condition (stations only add time)."""
        opt = self.opt
        load, time, i = 0.0, 0.0, 0
        for j in order:
            load += opt.demand[j]
            time = max(time + opt.t[i][j], opt.ready[j])
            if time > opt.due[j] + EPS:
                return False
            time += opt.service[j]
            i = j
        return load <= opt.cap + EPS and time + opt.t[i][0] <= opt.due[0] + EPS

    def length(self, order) -> float | None:
        """The distance of the best route serving ``order`` under full recharge, None when infeasible."""
        if not order:
            return 0.0
        if not self._relaxed(order):
            return None
        result = self.opt.best(order)
        return None if result is None else result[0]

    # --- the search -----------------------------------------------------------------------------------------
    def reduce(
        self,
        routes: list[tuple[int, ...]],
        *,
        deadline: float,
        clock: Callable[[], float],
        max_steps: int | None = None,
    ) -> tuple[list[tuple[int, ...]] | None, int]:
        """The customers of ``routes`` on one route fewer, every route feasible, or None when the deadline (or
        ``max_steps`` customers taken from the pool) comes first; and the steps taken."""
        routes = [list(r) for r in routes if r]
        sizes = [len(r) for r in routes]
        weights = [1.0 / size for size in sizes]
        dropped = routes.pop(self.random.choices(range(len(routes)), weights=weights)[0])
        pool = list(dropped)
        self.random.shuffle(pool)
        lengths = [self.length(tuple(r)) for r in routes]
        steps = 0
        while pool:
            if clock() > deadline or (max_steps is not None and steps >= max_steps):
                return None, steps
            steps += 1
            v = pool.pop()
            placed = self._insert(routes, lengths, v)
            if not placed:
                self.penalty[v] += 1
                ejected = self._insert_ejecting(routes, lengths, v)
                if ejected is None:  # no route can take it even emptied of MAX_EJECT customers: keep it for later
                    pool.insert(0, v)
                else:
                    pool.extend(ejected)
            self._perturb(routes, lengths)
        return [tuple(r) for r in routes if r], steps

    def _insert(self, routes, lengths, v) -> bool:
        """Insert ``v`` at its feasible position of least added distance; False when there is none."""
        best = None
        for index, route in enumerate(routes):
            base = lengths[index]
            for position in range(len(route) + 1):
                order = (*route[:position], v, *route[position:])
                new = self.length(order)
                if new is not None and (best is None or new - base < best[0]):
                    best = (new - base, index, position, new)
        if best is None:
            return False
        _, index, position, new = best
        routes[index].insert(position, v)
        lengths[index] = new
        return True

    def _insert_ejecting(self, routes, lengths, v) -> list[int] | None:
        """Insert ``v`` into the route and position where the customers to eject have the least sum of penalty
        counters (ties: at random); returns the ejected customers, or None when no ejection of up to MAX_EJECT
        customers makes room."""
        best = None  # (penalty sum, tie-break, route index, new order, ejected)
        for index, route in enumerate(routes):
            limit = MAX_EJECT if len(route) <= LONG_ROUTE else MAX_EJECT_LONG
            subsets = [
                (sum(self.penalty[c] for c in subset), subset)
                for k in range(1, limit + 1)
                for subset in combinations(route, k)
            ]
            subsets.sort(key=lambda item: item[0])
            for total, subset in subsets:
                if best is not None and total > best[0]:
                    break
                rest = [c for c in route if c not in subset]
                for position in range(len(rest) + 1):
                    order = (*rest[:position], v, *rest[position:])
                    new = self.length(order)
                    if new is not None:
                        tie = self.random.random()
                        if best is None or (total, tie) < best[:2]:
                            best = (total, tie, index, order, new, subset)
                        break
        if best is None:
            return None
        _, _, index, order, new, subset = best
        routes[index] = list(order)
        lengths[index] = new
        return list(subset)

    def _perturb(self, routes, lengths) -> None:
        """Random feasible relocations of a customer next to one of its nearest customers, in another route."""
        where = {c: index for index, route in enumerate(routes) for c in route}
        if not where:
            return
        customers = list(where)
        for _ in range(PERTURB_MOVES):
            u = self.random.choice(customers)
            w = self.random.choice(self.near[u])
            if w not in where or where[u] == where[w]:
                continue
            a, b = where[u], where[w]
            source = [c for c in routes[a] if c != u]
            target = routes[b]
            position = target.index(w) + self.random.randint(0, 1)
            order = (*target[:position], u, *target[position:])
            new_target = self.length(order)
            if new_target is None:
                continue
            new_source = self.length(tuple(source))
            if new_source is None:
                continue
            routes[a], routes[b] = source, list(order)
            lengths[a], lengths[b] = new_source, new_target
            where[u] = b
