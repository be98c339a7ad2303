"""GOSPA (generalised optimal sub-pattern assignment, Rahmathullah et al. 2017) with alpha = 2.

GOSPA^p = min over assignments of sum(d(x, y)^p for assigned pairs with d < c)
          + c^p / 2 * (missed + false),
so it splits into localisation, missed-target and false-track parts. Solved with the Hungarian
algorithm (scipy linear_sum_assignment) on min(d, c)^p.
May import: NumPy, SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class GospaResult:
    """GOSPA at one time: the distance, its p-th-power parts, and which track each truth got (-1: none)."""

    distance: float
    localisation: float  # sum of d^p over assigned pairs
    missed: float  # c^p/2 per truth without a track
    false: float  # c^p/2 per track without a truth
    assignment: IntArray  # per truth: index of its track, or -1


def gospa(truth: FloatArray, tracks: FloatArray, c: float = 100.0, p: float = 1.0) -> GospaResult:
    """GOSPA (alpha = 2) between truth positions (n,2) and track positions (m,2), in metres."""
    n, m = truth.shape[0], tracks.shape[0]
    half = c**p / 2.0
    assignment = np.full(n, -1, np.int64)
    if n == 0 or m == 0:
        missed, false = half * n, half * m
        return GospaResult((missed + false) ** (1.0 / p), 0.0, missed, false, assignment)
    dist = np.minimum(cdist(truth, tracks), c)
    cost = dist**p
    rows, cols = linear_sum_assignment(cost)
    real = dist[rows, cols] < c  # a pair at the cut-off is a miss plus a false track, at equal cost
    rows, cols = rows[real], cols[real]
    assignment[rows] = cols
    localisation = float(cost[rows, cols].sum())
    missed = half * (n - rows.size)
    false = half * (m - rows.size)
    return GospaResult((localisation + missed + false) ** (1.0 / p), localisation, missed, false, assignment)
