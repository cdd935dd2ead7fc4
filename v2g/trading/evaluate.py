"""Run a schedule against the physics (a battery holds between 0 and its capacity; a vehicle charges only while
plugged in, at most at its rates) and score it: money, the battery's wear, the users' satisfaction and every kWh
a limit was passed by."""

from __future__ import annotations

from dataclasses import dataclass

from v2g.trading.problem import Problem, Schedule, Vehicle


@dataclass
class Executed:
    """What happened: power per vehicle per interval (kW, at the charger) and the energy held at departure."""

    charge_kw: dict[str, list[float]]
    discharge_kw: dict[str, list[float]]
    energy_at_departure_kwh: dict[str, float]


def step(v: Vehicle, energy_kwh: float, charge_kw: float, discharge_kw: float, dt: float) -> tuple[float, float, float]:
    """One interval of vehicle v: the power it really takes or gives (kW) and what it holds after (kWh)."""
    if charge_kw >= discharge_kw:
        room = max(0.0, v.capacity_kwh - energy_kwh) / (dt * v.charge_efficiency)
        charge = min(charge_kw - discharge_kw, v.max_charge_kw, room)
        return charge, 0.0, energy_kwh + dt * v.charge_efficiency * charge
    held = max(0.0, energy_kwh) * v.discharge_efficiency / dt
    discharge = min(discharge_kw - charge_kw, v.max_discharge_kw, held)
    return 0.0, discharge, energy_kwh - dt * discharge / v.discharge_efficiency


def execute(problem: Problem, schedule: Schedule) -> Executed:
    n, dt = problem.intervals, problem.step_hours
    charge = {v.id: [0.0] * n for v in problem.vehicles}
    discharge = {v.id: [0.0] * n for v in problem.vehicles}
    at_departure = {}
    for v in problem.vehicles:
        energy = v.energy_kwh
        for t in range(max(0, v.arrival), min(v.departure, n)):
            c, d, energy = step(v, energy, schedule.charge_kw[v.id][t], schedule.discharge_kw[v.id][t], dt)
            charge[v.id][t], discharge[v.id][t] = c, d
        at_departure[v.id] = energy
    return Executed(charge, discharge, at_departure)


@dataclass
class Score:
    algorithm: str
    import_cost: float
    export_revenue: float
    degradation_cost: float
    profit: float  # export revenue − import cost − degradation cost
    satisfaction_mean: float  # energy at departure ÷ the target, capped at 1, over the vehicles
    satisfaction_min: float
    overload_kwh: float  # energy beyond any limit of the tree, either direction
    imported_kwh: float
    exported_kwh: float
    cycled_kwh: float  # energy given back by the vehicles (at the charger)
    carbon_kg: float
    solve_seconds: float

    def as_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def score(problem: Problem, executed: Executed, *, algorithm: str, solve_seconds: float = 0.0) -> Score:
    n, dt = problem.intervals, problem.step_hours
    base = list(problem.baseline_kw) if problem.baseline_kw is not None else [0.0] * n
    by_node = {node: [0.0] * n for node in problem.nodes}
    wear = 0.0
    for v in problem.vehicles:
        chain = problem.ancestors(v.node)
        for t in range(n):
            c, d = executed.charge_kw[v.id][t], executed.discharge_kw[v.id][t]
            if c or d:
                wear += v.degradation_per_kwh * dt * (v.charge_efficiency * c + d / v.discharge_efficiency)
                for node in chain:
                    by_node[node][t] += c - d
    root = problem.root().id
    for t in range(n):
        by_node[root][t] += base[t]
    overload = 0.0
    for node_id, node in problem.nodes.items():
        for t in range(n):
            net = by_node[node_id][t]
            overload += dt * (max(0.0, net - node.import_at(t) - 1e-6) + max(0.0, -net - node.export_at(t) - 1e-6))
    cost = revenue = imported = exported = carbon = 0.0
    for t in range(n):
        net = by_node[root][t]
        if net > 0:
            imported += dt * net
            cost += dt * net * problem.import_price[t]
        else:
            exported += -dt * net
            revenue += -dt * net * problem.export_price[t]
        if problem.carbon_g_per_kwh is not None:
            carbon += dt * net * problem.carbon_g_per_kwh[t] / 1000.0
    shares = [
        min(1.0, executed.energy_at_departure_kwh[v.id] / v.target_kwh) if v.target_kwh > 1e-9 else 1.0
        for v in problem.vehicles
    ]
    cycled = sum(dt * sum(series) for series in executed.discharge_kw.values())
    return Score(
        algorithm=algorithm,
        import_cost=cost,
        export_revenue=revenue,
        degradation_cost=wear,
        profit=revenue - cost - wear,
        satisfaction_mean=sum(shares) / len(shares) if shares else 1.0,
        satisfaction_min=min(shares, default=1.0),
        overload_kwh=overload,
        imported_kwh=imported,
        exported_kwh=exported,
        cycled_kwh=cycled,
        carbon_kg=carbon,
        solve_seconds=solve_seconds,
    )
