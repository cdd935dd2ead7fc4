"""Aging benchmark: a fleet's year of hourly SoC and battery temperature through ``age_increment``.

Run: ``python -m simulation.battery.bench [n_vehicles] [hours]`` (prints one JSON line).

The synthetic fleet (seeded) drives on weekdays (and on some weekend days) from a departure hour of 6-9 h for
1-4 hours at 6-22 %/h, plugs in at 18 h, and charges at 7-30 %/h to a target of 80-100 %; about a fifth of the
vehicles only charge below 50 %. Cell temperature follows a site's seasonal and daily cycle, warmer while
driving or charging. A quarter of the fleet is LFP, the rest NMC. The profile is generated one window at a time
(so memory stays bounded); the generation time is reported separately from the aging time.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from .aging import AgingState, age_increment, capacity_percent, resistance_percent
from .chemistry import Chemistry

WINDOW_HOURS = 168


class _Fleet:
    def __init__(self, n: int, rng: np.random.Generator):
        self.rng = rng
        self.n = n
        self.departure = rng.integers(6, 10, n)
        self.drive_hours = rng.integers(1, 5, n)
        self.drive_rate = rng.uniform(6.0, 22.0, n)
        self.charge_rate = rng.uniform(7.0, 30.0, n)
        self.target = rng.uniform(80.0, 100.0, n)
        self.opportunistic = rng.random(n) < 0.2
        self.site_mean_c = rng.uniform(2.0, 16.0, n)
        self.season_amplitude_c = rng.uniform(4.0, 12.0, n)
        self.soc = rng.uniform(40.0, 90.0, n)
        self.charging = np.zeros(n, bool)
        self.drives_today = np.ones(n, bool)

    def window(self, first_hour: int, hours: int) -> tuple[np.ndarray, np.ndarray]:
        soc = np.empty((self.n, hours))
        temperature = np.empty((self.n, hours))
        for k in range(hours):
            hour = first_hour + k
            hour_of_day = hour % 24
            day = hour // 24
            if hour_of_day == 0:
                weekend = day % 7 >= 5
                self.drives_today = self.rng.random(self.n) < (0.3 if weekend else 0.95)
            driving = (
                self.drives_today & (hour_of_day >= self.departure) & (hour_of_day < self.departure + self.drive_hours)
            )
            self.soc = np.where(driving, self.soc - self.drive_rate * self.rng.uniform(0.5, 1.2, self.n), self.soc)
            at_home = (hour_of_day >= 18) | (hour_of_day < 6)
            start = at_home & ~self.charging & np.where(self.opportunistic, self.soc < 50.0, self.soc < self.target - 5)
            self.charging = (self.charging | start) & at_home & (self.soc < self.target)
            self.soc = np.where(self.charging, np.minimum(self.soc + self.charge_rate, self.target), self.soc)
            self.soc = np.clip(self.soc, 5.0, 100.0)
            season = -np.cos(2 * np.pi * (day - 15) / 365.0) * self.season_amplitude_c
            daily = 4.0 * np.sin(2 * np.pi * (hour_of_day - 9) / 24.0)
            heat = np.where(driving | self.charging, 6.0, 0.0)
            soc[:, k] = self.soc
            temperature[:, k] = np.clip(self.site_mean_c + season + daily + heat, -40.0, 60.0)
        return soc, temperature


def aging_bench(n_vehicles: int = 10_000, hours: int = 8760, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    fleet = _Fleet(n_vehicles, rng)
    is_lfp = rng.random(n_vehicles) < 0.25
    groups = {Chemistry.NMC: np.flatnonzero(~is_lfp), Chemistry.LFP: np.flatnonzero(is_lfp)}
    states = {chem: AgingState.new(len(rows)) for chem, rows in groups.items()}
    profile_seconds = aging_seconds = 0.0
    for first in range(0, hours, WINDOW_HOURS):
        width = min(WINDOW_HOURS, hours - first)
        t0 = time.perf_counter()
        soc, temperature = fleet.window(first, width)
        t1 = time.perf_counter()
        for chem, rows in groups.items():
            states[chem] = age_increment(
                states[chem], chemistry=chem, soc_percent=soc[rows], temperature_c=temperature[rows]
            )
        t2 = time.perf_counter()
        profile_seconds += t1 - t0
        aging_seconds += t2 - t1
    summary = {}
    for chem, state in states.items():
        capacity = capacity_percent(state)
        summary[chem.value] = {
            "vehicles": state.n,
            "capacity_percent_mean": round(float(capacity.mean()), 3) if state.n else None,
            "capacity_percent_min": round(float(capacity.min()), 3) if state.n else None,
            "resistance_percent_mean": round(float(resistance_percent(state).mean()), 3) if state.n else None,
            "full_equivalent_cycles_mean": round(float(state.full_equivalent_cycles.mean()), 1) if state.n else None,
        }
    return {
        "benchmark": "battery_aging",
        "vehicles": n_vehicles,
        "hours": hours,
        "window_hours": WINDOW_HOURS,
        "seconds": round(aging_seconds, 2),
        "profile_seconds": round(profile_seconds, 2),
        "budget_seconds": 60,
        "within_budget": aging_seconds <= 60,
        "by_chemistry": summary,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(aging_bench(*args)))
