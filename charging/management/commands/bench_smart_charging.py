"""Benchmark of smart charging on reproducible depot days (charging/optimizer/scenarios.py, seeded).

For each size three days: a feasible one, a tight one (more energy asked than the site and the batteries' taper
can deliver) and one with a demand charge; at the short sizes a fourth, short of power (the site's limit 4 % of
the chargers'); and a workplace day (117 vehicles of one class under 60 kW), short too. Per algorithm
(uncontrolled, round robin, earliest deadline first, least laxity first, ours) it reports energy delivered /
requested, vehicles reaching their target, energy cost, peak site power, limit violations, solve time and each
class's least share of need, and the LP optimum (the full model, solved by HiGHS) as the lower bound; on the
days short of power the least shares are compared with the LP's. The online replay re-plans the day at every
arrival and departure knowing only the vehicles that have arrived, and is scored against the offline optimum;
with a demand charge it is replayed twice, blind and with a forecast (the same depot's day a week before,
another seed: what a site knows from its history). The re-plan after one arrival is timed with the rest of the
day known. One JSON document on stdout (or the README's tables with --format markdown), progress on stderr.
"""

import json
import os
import platform
import statistics
import sys
import time

from django.core.management.base import BaseCommand

from charging.optimizer import baselines, evaluate, lp, online
from charging.optimizer.problem import PRIORITIES, Problem, Schedule
from charging.optimizer.scenarios import depot_day, workplace_day

TARGETS = {
    "ours_gap_to_lp_percent_when_feasible": 0.5,
    "online_delivered_percent_of_offline": 98.0,
    "online_cost_percent_over_offline": 3.0,
    "plan_1000_s": 0.5,
    "plan_5000_s": 3.0,
    "replan_one_arrival_1000_ms": 100.0,
    "least_share_points_below_the_lp_when_short": 1.0,
}
NAMES = ["uncontrolled", "round_robin", "earliest_deadline_first", "least_laxity_first", "ours"]
LABELS = {
    "uncontrolled": "uncontrolled (full power on arrival)",
    "round_robin": "round robin (equal shares)",
    "earliest_deadline_first": "earliest deadline first",
    "least_laxity_first": "least laxity first",
    "ours": "**ours**",
    "lp": "LP optimum (lower bound)",
}
DAYS = ("feasible", "tight", "demand_charge", "short")
SHORT = ("short", "workplace")  # the days short of power, where the least share counts
SERVED_DAYS = ("feasible", "tight", "demand_charge")  # where serving fewer vehicles than another rule is a miss


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def _lp(problem: Problem, interior: bool) -> Schedule:
    """The full LP; `interior`: by the interior-point method without crossover (the same optimum, to HiGHS'
    tolerances, five times sooner than the simplex on days where every vehicle tapers)."""
    started = time.perf_counter()
    planner = lp.LpPlanner(problem)
    if interior:
        planner.h.setOptionValue("solver", "ipm")
        planner.h.setOptionValue("run_crossover", "off")
    schedule = planner.solve()
    schedule.solve_seconds = time.perf_counter() - started
    return schedule


def _least_shares(problem: Problem, schedule: Schedule) -> tuple[dict[str, float], int]:
    """Each class's least share of need (%) and how many vehicles that need something get nothing."""
    shares: dict[str, float] = {}
    nothing = 0
    for r in problem.requests:
        if r.energy_kwh <= 1e-9:
            continue
        got = sum(schedule.power_kw.get(r.id, [])) * problem.hours
        shares[r.priority] = min(shares.get(r.priority, 100.0), min(got, r.energy_kwh) / r.energy_kwh * 100.0)
        nothing += got <= 1e-6
    return {c: round(shares[c], 2) for c in PRIORITIES if c in shares}, nothing


def _score(problem: Problem, schedule: Schedule) -> dict:
    shares, nothing = _least_shares(problem, schedule)
    return {**evaluate.score(problem, schedule).as_dict(), "objective": schedule.objective,
            "least_share_percent": shares, "given_nothing": nothing}  # fmt: skip


def _percent(value: float, of: float) -> float | None:
    return round(value / of * 100.0, 3) if of else None


class Command(BaseCommand):
    help = "Smart charging against the classic baselines on seeded depot days, offline and online (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10,100,1000,5000", help="Vehicles per day, comma-separated.")
        parser.add_argument("--seed", type=int, default=2026, help="The scenarios' seed (the same for every day).")
        parser.add_argument("--demand-charge", type=float, default=12.0, help="Per kW of the day's peak.")
        parser.add_argument("--online-sizes", default="10,100,1000,5000",
                            help="Sizes whose feasible day is replayed online.")  # fmt: skip
        parser.add_argument("--online-demand-sizes", default="10,100,1000",
                            help="Sizes whose demand-charge day is replayed online.")  # fmt: skip
        parser.add_argument("--tight-lp-up-to", type=int, default=1000,
                            help="Largest tight day solved as the full LP (above: the flow's bound only).")  # fmt: skip
        parser.add_argument("--demand-lp-up-to", type=int, default=5000,
                            help="Largest demand-charge day solved as the full LP (above: flow bound).")  # fmt: skip
        parser.add_argument("--short-sizes", default="100,1000,5000",
                            help="Sizes with a day short of power too (the site 4 %% of the chargers).")  # fmt: skip
        parser.add_argument("--short-lp-up-to", type=int, default=5000,
                            help="Largest short day solved as the full LP (above: the bound only).")  # fmt: skip
        parser.add_argument("--workplace", type=int, default=117,
                            help="Vehicles of the workplace day (60 kW; 0: none).")  # fmt: skip
        parser.add_argument("--replan-vehicles", type=int, default=1000,
                            help="Day size for timing the re-plan after one arrival (0: skip).")  # fmt: skip
        parser.add_argument("--repeat", type=int, default=3,
                            help="Runs of ours per day (the median time counts; days over 5 s run once).")  # fmt: skip
        parser.add_argument("--format", choices=["json", "markdown"], default="json")

    def _log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def handle(self, *args, **options):
        lp.plan(depot_day(lp.EXACT_UP_TO + 10, seed=1, demand_charge=1.0))  # imports, first calls: not timed
        started = time.perf_counter()
        seed = options["seed"]
        online_sizes = {d: set(_sizes(options[k])) for d, k in
                        (("feasible", "online_sizes"), ("demand_charge", "online_demand_sizes"))}  # fmt: skip
        days = []
        short_sizes = set(_sizes(options["short_sizes"]))
        for n in _sizes(options["sizes"]):
            for kind in DAYS:
                if kind == "short" and n not in short_sizes:
                    continue
                day = self._day(n, seed, kind, options)
                if n in online_sizes.get(kind, ()):
                    day["online"] = self._online(n, seed, kind, options["demand_charge"], day)
                days.append(day)
        if options["workplace"]:
            days.append(self._day(options["workplace"], seed, "workplace", options))
        replan = None
        if options["replan_vehicles"]:
            self._log(f"{options['replan_vehicles']} vehicles: the re-plan after one arrival ...")
            replan = online.single_arrival(depot_day(options["replan_vehicles"], seed=seed))
            replan["vehicles"] = options["replan_vehicles"]
        document = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "seed": seed,
            "intervals": 96,
            "demand_charge_per_kw": options["demand_charge"],
            "days": days,
            "replan_after_one_arrival": replan,
            "targets": self._targets(days, replan),
            "seconds": round(time.perf_counter() - started, 1),
        }
        if options["format"] == "markdown":
            self.stdout.write(_markdown(document))
        else:
            self.stdout.write(json.dumps(document, indent=1))

    def _problem(self, n: int, seed: int, kind: str, options) -> Problem:
        if kind == "workplace":  # the day, its own seed: 117 vehicles under 60 kW
            return workplace_day(n)
        if kind == "short":
            return depot_day(n, seed=seed, short=True)
        if kind == "tight":
            return depot_day(n, seed=seed, tight=True)
        if kind == "demand_charge":
            return depot_day(n, seed=seed, demand_charge=options["demand_charge"])
        return depot_day(n, seed=seed)

    def _day(self, n: int, seed: int, kind: str, options) -> dict:
        self._log(f"{n} vehicles, {kind} day ...")
        problem = self._problem(n, seed, kind, options)
        day = {
            "vehicles": n,
            "day": kind,
            "requested_kwh": round(sum(max(r.energy_kwh, 0.0) for r in problem.requests), 1),
            "site_limit_kw": problem.root().limit_at(0),
            "charger_rating_kw": round(sum(x.limit_at(0) for x in problem.nodes.values() if x.kind == "connector"), 1),
        }
        algorithms = {}
        for name, function in baselines.BASELINES.items():
            algorithms[name] = _score(problem, function(problem))
        runs, details = [], None
        for _ in range(max(options["repeat"], 1)):
            ours, details = lp.plan_details(self._problem(n, seed, kind, options))
            runs.append(ours.solve_seconds)
            if ours.solve_seconds > 5.0:
                break
        algorithms["ours"] = {**_score(problem, ours), "solve_ms": round(statistics.median(runs) * 1000.0, 1),
                              "solve_ms_runs": [round(s * 1000.0, 1) for s in runs]}  # fmt: skip
        day["algorithms"] = algorithms
        day["ours_method"] = {k: (round(v, 8) if isinstance(v, float) else v) for k, v in details.items()}
        # the LP optimum
        if (
            (kind == "tight" and n > options["tight_lp_up_to"])
            or (kind == "demand_charge" and n > options["demand_lp_up_to"])
            or (kind == "short" and n > options["short_lp_up_to"])
        ):
            day["lp"] = None
        else:
            self._log(f"{n} vehicles, {kind} day: the full LP ...")
            interior = kind == "tight" or (kind == "short" and n > 1000)  # the simplex takes minutes there
            optimum = _lp(self._problem(n, seed, kind, options), interior=interior)
            day["lp"] = {**_score(problem, optimum), "method": "interior point" if interior else "simplex"}
            day["_offline"] = optimum
        ours_score, lp_score = algorithms["ours"], day["lp"]
        if lp_score is not None:
            day["ours_vs_lp"] = {
                "cost_gap_percent": round((ours_score["cost"] - lp_score["cost"]) / lp_score["cost"] * 100.0, 4),
                "objective_gap_percent": round((ours_score["objective"] - lp_score["objective"])
                                               / abs(lp_score["objective"]) * 100.0, 6),
                "delivered_points": round(ours_score["delivered_percent"] - lp_score["delivered_percent"], 3),
                "ready_points": round(ours_score["ready_percent"] - lp_score["ready_percent"], 3),
                "least_share_points": {c: round(ours_score["least_share_percent"][c] - share, 2)
                                       for c, share in lp_score["least_share_percent"].items()},
            }  # fmt: skip
        else:
            day["ours_vs_lp"] = {"objective_gap_to_flow_bound_percent": round(details["gap"] * 100.0, 6)}
        return day

    def _online(self, n: int, seed: int, kind: str, demand_charge: float, day: dict) -> dict:
        charge = demand_charge if kind == "demand_charge" else 0.0
        offline = evaluate.score(depot_day(n, seed=seed, demand_charge=charge), day["_offline"])

        def replayed(forecast) -> dict:
            self._log(f"{n} vehicles, {kind} day: online replay{' with a forecast' if forecast else ''} ...")
            problem = depot_day(n, seed=seed, demand_charge=charge)
            schedule, stats = online.replay(problem, forecast=forecast)
            score = evaluate.score(problem, schedule)
            return {
                "forecast": "the same depot a week before" if forecast else None,
                "delivered_percent_of_offline": _percent(score.delivered_percent, offline.delivered_percent),
                "cost_percent_of_offline": _percent(score.cost, offline.cost),
                "ready_percent": round(score.ready_percent, 2),
                "limit_violations": score.limit_violations,
                "online": score.as_dict(),
                "replans": stats,
            }

        if kind != "demand_charge":
            return replayed(None)
        # a week before: another draw of the same depot's day (the seed is the only difference)
        return {**replayed(depot_day(n, seed=seed + 7).requests), "blind": replayed(None)}

    def _targets(self, days: list[dict], replan: dict | None) -> dict:
        for day in days:
            day.pop("_offline", None)
        feasible = [d for d in days if d["lp"] is not None and d["lp"]["delivered_percent"] >= 99.999]
        gaps = [d["ours_vs_lp"]["cost_gap_percent"] for d in feasible]
        fewer = [
            f"{d['vehicles']} {d['day']}: {name}"
            for d in days
            if d["day"] in SERVED_DAYS
            for name, s in d["algorithms"].items()
            if s["ready_percent"] > d["algorithms"]["ours"]["ready_percent"] + 1e-9
        ]
        shares = [(d, c, points) for d in days if d["day"] in SHORT and d["lp"] is not None
                  for c, points in d["ours_vs_lp"]["least_share_points"].items()]  # fmt: skip
        below = [f"{d['vehicles']} {d['day']}: {c} {p:+.2f}" for d, c, p in shares
                 if p < -TARGETS["least_share_points_below_the_lp_when_short"]]  # fmt: skip
        violations = sum(s["limit_violations"] for d in days for n, s in d["algorithms"].items() if n != "uncontrolled")
        replays = [d["online"] for d in days if "online" in d]
        energy = [o["delivered_percent_of_offline"] for o in replays]
        cost = [d["online"]["cost_percent_of_offline"] for d in days if "online" in d and d["day"] == "feasible"]
        demand = [d["online"]["cost_percent_of_offline"] for d in days if "online" in d and d["day"] != "feasible"]
        blind = [d["online"]["blind"]["cost_percent_of_offline"] for d in days if "blind" in d.get("online", {})]
        sizes = {d["vehicles"] for d in days}
        out = {
            "ours_within_0.5_percent_of_the_lp_cost_when_all_demand_is_feasible": {
                "met": bool(gaps) and max(gaps) <= TARGETS["ours_gap_to_lp_percent_when_feasible"],
                "max_gap_percent": max(gaps) if gaps else None,
                "days": len(gaps),
            },
            "ours_never_serves_fewer_vehicles": {
                "met": not fewer,
                "exceptions": fewer,
                "days": "feasible, tight, demand charge",
            },  # fmt: skip
            "ours_least_share_per_class_within_1_point_of_the_lp_when_power_is_short": {
                "met": bool(shares) and not below,
                "least_points": min((p for _d, _c, p in shares), default=None),
                "days": len({(d["vehicles"], d["day"]) for d, _c, _p in shares}),
                "exceptions": below,
            },
            "no_limit_violations_but_uncontrolled": {"met": violations == 0, "violations": violations},
            "online_energy_at_least_98_percent_of_offline": {
                "met": bool(energy) and min(energy) >= TARGETS["online_delivered_percent_of_offline"],
                "min_percent": min(energy) if energy else None,
            },
            "online_cost_within_3_percent_of_offline": {
                "met": bool(cost) and max(cost) <= 100.0 + TARGETS["online_cost_percent_over_offline"],
                "max_percent": max(cost) if cost else None,
            },
            "online_cost_within_3_percent_of_offline_with_a_demand_charge": {
                "met": bool(demand) and max(demand) <= 100.0 + TARGETS["online_cost_percent_over_offline"],
                "max_percent_with_a_forecast": max(demand) if demand else None,
                "max_percent_blind": max(blind) if blind else None,
            },
        }
        for n, limit in ((1000, TARGETS["plan_1000_s"]), (5000, TARGETS["plan_5000_s"])):
            if n in sizes:  # every day of that size, the slowest counts
                times = {d["day"]: d["algorithms"]["ours"]["solve_ms"] for d in days if d["vehicles"] == n}
                out[f"plan_{n}_vehicles_within_{limit:g}_s"] = {
                    "met": max(times.values()) <= limit * 1000.0,
                    **{f"{day}_day_ms": ms for day, ms in times.items()},
                }
        if replan is not None and replan["vehicles"] == 1000:
            out["replan_after_one_arrival_1000_within_100_ms"] = {
                "met": replan["p50_ms"] <= TARGETS["replan_one_arrival_1000_ms"],
                "p50_ms": replan["p50_ms"],
                "max_ms": replan["max_ms"],
            }
        return out


# --- the README's tables -------------------------------------------------------------------------------------------


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}"


def _markdown(doc: dict) -> str:
    lines = []
    days = doc["days"]
    sizes = sorted({d["vehicles"] for d in days})
    show = 1000 if 1000 in sizes else sizes[-1]
    for day in (d for d in days if d["vehicles"] == show):
        lines += [f"{show:,} vehicles, {day['day'].replace('_', ' ')} day (requested {day['requested_kwh']:,.0f} kWh, "
                  f"site limit {day['site_limit_kw']:,.0f} kW of {day['charger_rating_kw']:,.0f} kW of chargers):", "",
                  "| algorithm | delivered % | at target % | energy cost | demand cost | peak kW | violations | "
                  "solve ms |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        rows = [(name, day["algorithms"][name]) for name in NAMES]
        if day["lp"] is not None:
            rows.append(("lp", day["lp"]))
        for name, s in rows:
            lines.append(f"| {LABELS[name]} | {s['delivered_percent']:.2f} | {s['ready_percent']:.1f} | "
                         f"{s['energy_cost']:,.0f} | {s['demand_cost']:,.0f} | {s['peak_kw']:,.0f} | "
                         f"{s['limit_violations']:,} | {s['solve_ms']:,.0f} |")  # fmt: skip
        lines.append("")
    short = [d for d in days if d["day"] in SHORT]
    if short:
        lines += ["Power short: each class's least share of need (%; critical / normal / low), the vehicles given "
                  "nothing, and those at their target (%):", "",
                  "| vehicles | day | ours | LP | earliest deadline first | round robin "
                  "| given nothing: ours / LP / EDF | at target %: ours / LP / EDF |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip

        def classes(score) -> str:
            return " / ".join(f"{score['least_share_percent'][c]:.1f}" if c in score["least_share_percent"] else "–"
                              for c in PRIORITIES)  # fmt: skip

        for d in short:
            ours, edf, rr = (d["algorithms"][k] for k in ("ours", "earliest_deadline_first", "round_robin"))
            optimum = d["lp"]
            lines.append(f"| {d['vehicles']:,} | {d['day']} | {classes(ours)} | "
                         f"{classes(optimum) if optimum else 'not solved'} | {classes(edf)} | {classes(rr)} | "
                         f"{ours['given_nothing']} / {optimum['given_nothing'] if optimum else '–'} / "
                         f"{edf['given_nothing']} | {ours['ready_percent']:.1f} / "
                         f"{optimum['ready_percent'] if optimum else 0:.1f} / "
                         f"{edf['ready_percent']:.1f} |")  # fmt: skip
        lines.append("")
    lines += ["Ours against the LP optimum, every size (cost: energy plus demand charge):", "",
              "| vehicles | day | ours: cost, solve ms | LP: cost, solve ms | cost gap | objective gap | "
              "delivered / at target, ours vs LP (points) |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for d in days:
        ours, optimum, vs = d["algorithms"]["ours"], d["lp"], d["ours_vs_lp"]
        if optimum is None:
            lines.append(f"| {d['vehicles']:,} | {d['day'].replace('_', ' ')} | {ours['cost']:,.0f}, "
                         f"{ours['solve_ms']:,.0f} | not solved | – | "
                         f"≤ {vs['objective_gap_to_flow_bound_percent']:.4f} % (flow bound) | – |")  # fmt: skip
            continue
        lines.append(f"| {d['vehicles']:,} | {d['day'].replace('_', ' ')} | {ours['cost']:,.2f}, "
                     f"{ours['solve_ms']:,.0f} | {optimum['cost']:,.2f}, {optimum['solve_ms']:,.0f} | "
                     f"{vs['cost_gap_percent']:+.4f} % | {vs['objective_gap_percent']:+.5f} % | "
                     f"{vs['delivered_points']:+.2f} / {vs['ready_points']:+.1f} |")  # fmt: skip
    replays = [d for d in days if "online" in d]
    if replays:
        lines += ["", "Online replay (arrivals revealed when they happen, re-planned at every event) against the "
                  "offline optimum:", "",
                  "| vehicles | day | forecast | energy delivered, % of offline | cost, % of offline | re-plans | "
                  "re-plan p50 / p95 / max ms |", "|---|---|---|---|---|---|---|"]  # fmt: skip
        for d in replays:
            for o in (d["online"], d["online"].get("blind")):
                if o is None:
                    continue
                r = o["replans"]
                timing = f"{r['p50_ms']:,.1f} / {r['p95_ms']:,.1f} / {r['max_ms']:,.1f}"
                lines.append(f"| {d['vehicles']:,} | {d['day'].replace('_', ' ')} | {o['forecast'] or 'none'} | "
                             f"{o['delivered_percent_of_offline']:.2f} | {o['cost_percent_of_offline']:.3f} | "
                             f"{r['replans']} | {timing} |")  # fmt: skip
    replan = doc["replan_after_one_arrival"]
    if replan is not None:
        lines += ["", f"The re-plan after one arrival with {replan['known']:,} vehicles known ({replan['arrivals']} "
                  f"arrivals, each timed): p50 {replan['p50_ms']} ms, p95 {replan['p95_ms']} ms, max "
                  f"{replan['max_ms']} ms."]  # fmt: skip
    lines += ["", "| target | met | measured |", "|---|---|---|"]
    for name, target in doc["targets"].items():
        measured = ", ".join(f"{k.replace('_', ' ')} {_fmt(v, 3) if not isinstance(v, list) else '; '.join(v) or '–'}"
                             for k, v in target.items() if k != "met")  # fmt: skip
        lines.append(f"| {name.replace('_', ' ')} | {'**yes**' if target['met'] else '**no**'} | {measured} |")
    lines += ["", f"Whole run: {doc['seconds']:,.0f} s."]
    return "\n".join(lines) + "\n"
