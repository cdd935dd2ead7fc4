"""Rainflow cycle counting (ASTM E1049-85, section 5.4.4) over many SoC series at once.

The reference is the ``rainflow`` package (3.2.0, ``rainflow.extract_cycles``): same reversal points (first
and last sample included, plateaus collapsed), the same three-point rule, the same half cycles for the
residue. The tests compare both on random profiles. One deliberate difference: for a series of exactly two
samples the package yields no cycle; here the half cycle between them is counted, so throughput is never lost.

The per-row stacks advance in lockstep: reversal ``j`` of every row that has one is pushed, then the
three-point rule runs on all rows that can still close a cycle until none can. Rows are sorted by their number
of reversals so the rows still active at step ``j`` are a prefix of the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cycles:
    """Counted cycles of a batch of series: ``row`` (which series), ``range``, ``mean`` and ``count`` (1 or 0.5)."""

    row: np.ndarray
    range: np.ndarray
    mean: np.ndarray
    count: np.ndarray


def turning_points(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reversal points per row of ``series`` (n, m): a NaN-padded (n, L) array and the count per row."""
    x = np.asarray(series, dtype=float)
    n, m = x.shape
    if m == 0:
        return np.empty((n, 0)), np.zeros(n, dtype=np.intp)
    if m == 1:
        return x.copy(), np.ones(n, dtype=np.intp)
    sign = np.sign(np.diff(x, axis=1))
    # first non-zero slope at or after each position (0 where there is none)
    position = np.where(sign != 0, np.arange(m - 1), m - 1)
    first_nonzero = np.minimum.accumulate(position[:, ::-1], axis=1)[:, ::-1]
    padded = np.concatenate([sign, np.zeros((n, 1))], axis=1)
    next_sign = np.take_along_axis(padded, first_nonzero, axis=1)
    interior = (sign[:, :-1] != 0) & (next_sign[:, 1:] == -sign[:, :-1])
    keep = np.concatenate([np.ones((n, 1), bool), interior, np.ones((n, 1), bool)], axis=1)
    counts = keep.sum(axis=1)
    column = np.cumsum(keep, axis=1) - 1
    points = np.full((n, int(counts.max())), np.nan)
    rows, cols = np.nonzero(keep)
    points[rows, column[rows, cols]] = x[rows, cols]
    return points, counts


def extract_cycles(series: np.ndarray) -> Cycles:
    """Rainflow cycles of every row of ``series`` (n, m)."""
    x = np.atleast_2d(np.asarray(series, dtype=float))
    points, counts = turning_points(x)
    n, width = points.shape
    order = np.argsort(-counts, kind="stable")
    points = points[order]
    counts = counts[order]
    active_rows = [int(np.count_nonzero(counts > j)) for j in range(width)]

    stack = np.empty((n, max(width, 1)))
    start = np.zeros(n, dtype=np.intp)
    end = np.zeros(n, dtype=np.intp)
    out_row, out_x1, out_x2, out_count = [], [], [], []

    for j in range(width):
        k = active_rows[j]
        rows_k = np.arange(k)
        stack[rows_k, end[:k]] = points[:k, j]
        end[:k] += 1
        candidates = rows_k[(end[:k] - start[:k]) >= 3]
        while candidates.size:
            e = end[candidates]
            x1 = stack[candidates, e - 3]
            x2 = stack[candidates, e - 2]
            x3 = stack[candidates, e - 1]
            closes = np.abs(x3 - x2) >= np.abs(x2 - x1)
            if not closes.any():
                break
            r = candidates[closes]
            x1, x2, x3 = x1[closes], x2[closes], x3[closes]
            half = (end[r] - start[r]) == 3
            out_row.append(r)
            out_x1.append(x1)
            out_x2.append(x2)
            out_count.append(np.where(half, 0.5, 1.0))
            start[r[half]] += 1
            full = r[~half]
            stack[full, end[full] - 3] = x3[~half]
            end[full] -= 2
            candidates = r[(end[r] - start[r]) >= 3]

    # the residue: consecutive points left on each stack are half cycles
    length = end - start
    for q in range(int(length.max(initial=0)) - 1):
        r = np.flatnonzero(length > q + 1)
        out_row.append(r)
        out_x1.append(stack[r, start[r] + q])
        out_x2.append(stack[r, start[r] + q + 1])
        out_count.append(np.full(r.size, 0.5))

    if not out_row:
        empty = np.empty(0)
        return Cycles(np.empty(0, dtype=np.intp), empty, empty, empty)
    x1 = np.concatenate(out_x1)
    x2 = np.concatenate(out_x2)
    return Cycles(
        row=order[np.concatenate(out_row)],
        range=np.abs(x1 - x2),
        mean=0.5 * (x1 + x2),
        count=np.concatenate(out_count),
    )
