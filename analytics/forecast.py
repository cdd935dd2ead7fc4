"""Forecasting daily energy and cost: a least-squares regression on trend, weekday and (with a year of history)
season, with a prediction interval and its backtest error.

    y(t) = a + b*t + sum(weekday effects) [+ c*sin(2*pi*doy/365.25) + d*cos(...)] + e

The band is the regression's prediction interval (normal quantile; the residuals' spread and each forecast day's
leverage), clipped at zero. The backtest refits on all but the last 28 days and scores the 28 it did not see with
the mean absolute percentage error over the days with a non-zero actual value (MAPE is undefined at zero).
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

HORIZON_DAYS = 28
MIN_HISTORY_DAYS = 14
Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.9600}


@dataclass
class Forecast:
    days: list[date]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    level: float
    backtest_mape: float | None  # percent
    backtest_days: int
    method: str


class NotEnoughHistory(ValueError):
    pass


def _design(days: list[date], origin: date, seasonal: bool) -> np.ndarray:
    t = np.array([(d - origin).days for d in days], dtype=float)
    columns = [np.ones_like(t), t / 365.25]
    weekdays = np.array([d.weekday() for d in days])
    for weekday in range(1, 7):  # Monday is the baseline
        columns.append((weekdays == weekday).astype(float))
    if seasonal:
        doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
        columns += [np.sin(2 * math.pi * doy / 365.25), np.cos(2 * math.pi * doy / 365.25)]
    return np.column_stack(columns)


def _fit(days: list[date], values: list[float]):
    seasonal = len(days) >= 365
    x = _design(days, days[0], seasonal)
    y = np.asarray(values, dtype=float)
    coef, _residuals, rank, _sv = np.linalg.lstsq(x, y, rcond=None)
    fitted = x @ coef
    dof = max(len(y) - rank, 1)
    sigma2 = float(np.sum((y - fitted) ** 2) / dof)
    xtx_inv = np.linalg.pinv(x.T @ x)
    return coef, sigma2, xtx_inv, seasonal, days[0]


def _predict(model, days: list[date], level: float):
    coef, sigma2, xtx_inv, seasonal, origin = model
    x = _design(days, origin, seasonal)
    mean = x @ coef
    leverage = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    spread = Z[level] * np.sqrt(sigma2 * (1.0 + leverage))
    return mean, mean - spread, mean + spread


def mape(actual: list[float], predicted: list[float]) -> float | None:
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a > 0]
    if not pairs:
        return None
    return 100.0 * sum(abs(a - p) / a for a, p in pairs) / len(pairs)


def forecast(days: list[date], values: list[float], horizon: int = HORIZON_DAYS, level: float = 0.95) -> Forecast:
    """Forecast the `horizon` days after the last of `days` (consecutive days, one value each)."""
    if len(days) < MIN_HISTORY_DAYS:
        raise NotEnoughHistory(f"A forecast needs at least {MIN_HISTORY_DAYS} days of history; there are {len(days)}.")
    model = _fit(days, values)
    future = [days[-1] + timedelta(days=n) for n in range(1, horizon + 1)]
    mean, lower, upper = _predict(model, future, level)
    backtest, backtest_days = None, 0
    if len(days) >= MIN_HISTORY_DAYS + HORIZON_DAYS:
        held = HORIZON_DAYS
        trial = _fit(days[:-held], values[:-held])
        predicted, _lo, _hi = _predict(trial, days[-held:], level)
        backtest = mape(values[-held:], [max(0.0, p) for p in predicted])
        backtest_days = held
    method = "Least-squares regression on trend and weekday" + (" and season" if model[3] else "")
    return Forecast(
        days=future,
        mean=[max(0.0, float(v)) for v in mean],
        lower=[max(0.0, float(v)) for v in lower],
        upper=[max(0.0, float(v)) for v in upper],
        level=level,
        backtest_mape=backtest,
        backtest_days=backtest_days,
        method=method,
    )
