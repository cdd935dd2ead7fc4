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
RUIN_MIN, RUIN_MAX = 4, 15  # customers a ruin-and-recreate step takes out
IMPROVE_SLACK = 0.01  # record-to-record acceptance of the distance search: relative slack, falling to 0


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
        """Insert ``v`` at its feasible position of least added distance; False when there is none. Positions are
        tried in the order of the distance the detour adds without stations, and the search stops once that
        estimate reaches the best found (it is a bound for routes without stations; with stations, a station
        placed anew may save a little more, which this pruning may miss)."""
        d = self.opt.d
        bounds = []
        for index, route in enumerate(routes):
            previous = 0
            for position, following in enumerate((*route, 0)):
                bounds.append((d[previous][v] + d[v][following] - d[previous][following], index, position))
                previous = following
        bounds.sort()
        best = None
        for bound, index, position in bounds:
            if best is not None and bound >= best[0] - 1e-9:
                break
            route = routes[index]
            new = self.length((*route[:position], v, *route[position:]))
            if new is not None and (best is None or new - lengths[index] < best[0]):
                best = (new - lengths[index], index, position, new)
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

    # --- distance: ruin and recreate under full recharge -----------------------------------------------------
    def improve(
        self,
        routes: list[tuple[int, ...]],
        *,
        deadline: float,
        clock: Callable[[], float],
        max_steps: int | None = None,
    ) -> tuple[list[tuple[int, ...]], int]:
        """Shorter routes on no more vehicles: remove some customers (related ones: near each other; or at random),
        reinsert them one by one where feasible at least added distance (ties of the order broken at random), keep
        the result when it is not longer than the current one by more than a slack that falls to 0 (record to
        record). Returns the best routes found and the steps taken."""
        current = [list(r) for r in routes if r]
        lengths = [self.length(tuple(r)) for r in current]
        total = sum(lengths)
        best = (total, [tuple(r) for r in current])
        started = clock()
        budget = max(deadline - started, 1e-9)
        steps = 0
        while clock() < deadline and (max_steps is None or steps < max_steps):
            steps += 1
            progress = steps / max_steps if max_steps else (clock() - started) / budget
            candidate = [list(r) for r in current]
            candidate_lengths = list(lengths)
            removed = self._ruin(candidate)
            touched = {index for index, route in enumerate(candidate) if len(route) != len(current[index])}
            ok = True
            for index in touched:
                candidate_lengths[index] = self.length(tuple(candidate[index]))
                ok = ok and candidate_lengths[index] is not None
            if not ok:
                continue
            self.random.shuffle(removed)
            for c in removed:
                if not self._insert(candidate, candidate_lengths, c):
                    ok = False
                    break
            if not ok:
                continue
            new_total = sum(candidate_lengths)
            slack = IMPROVE_SLACK * max(0.0, 1.0 - progress)
            if new_total < total * (1.0 + slack * self.random.random()) - 1e-9:
                current, lengths, total = candidate, candidate_lengths, new_total
                if total < best[0] - 1e-9:
                    best = (total, [tuple(r) for r in current if r])
        return best[1], steps

    def _ruin(self, routes: list[list[int]]) -> list[int]:
        """Take out RUIN_MIN … RUIN_MAX customers: near ones (from a random seed, each next one near one already
        taken), or any."""
        where = {c: index for index, route in enumerate(routes) for c in route}
        customers = list(where)
        count = min(len(customers), self.random.randint(RUIN_MIN, RUIN_MAX))
        if self.random.random() < 0.7:
            chosen = [self.random.choice(customers)]
            taken = set(chosen)
            while len(chosen) < count:
                candidates = [o for o in self.near[self.random.choice(chosen)] if o not in taken]
                if not candidates:
                    candidates = [o for o in customers if o not in taken]
                pick = self.random.choice(candidates)
                chosen.append(pick)
                taken.add(pick)
        else:
            chosen = self.random.sample(customers, count)
        taken = set(chosen)
        for index, route in enumerate(routes):
            routes[index] = [c for c in route if c not in taken]
        return chosen
