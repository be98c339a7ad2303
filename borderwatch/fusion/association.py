"""Gating and global-nearest-neighbour association of detections to tracks.

Candidate pairs come from a k-d tree (scipy cKDTree) over detection positions, then an exact
chi-square gate on each pair's innovation; the assignment is solved with the Hungarian algorithm
(scipy linear_sum_assignment) separately in each cluster of tracks and detections that share
gates, so its cost grows with the clusters, not with the whole picture.
May import: NumPy, SciPy, fusion.kalman.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from borderwatch.fusion.kalman import inverse_2x2, mahalanobis2, position_covariance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NO_PAIR_COST = 1e6  # cost of a pair outside the gate in a cluster's dense matrix
DENSE_LIMIT = 40_000  # up to this many matrix cells, one dense problem beats splitting into clusters


@dataclass
class Gated:
    """Track-detection pairs inside the gate, with their costs (-2 log likelihood up to a constant)."""

    track: IntArray
    detection: IntArray
    cost: FloatArray


def gate(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    q: FloatArray,
    det_time: FloatArray,
    det_z: FloatArray,
    det_r: FloatArray,
    gate_chi2: float,
) -> Gated:
    """Pairs (track, detection) whose innovation passes the chi-square gate."""
    empty = Gated(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if x.shape[0] == 0 or det_time.size == 0:
        return empty
    t_lo, t_hi = float(det_time.min()), float(det_time.max())
    t_mid = 0.5 * (t_lo + t_hi)
    half = 0.5 * (t_hi - t_lo)
    # A bound on each track's gate radius over the batch: covariance predicted to the farthest
    # detection time (trace >= largest eigenvalue), plus the largest measurement spread.
    far = np.maximum(np.abs(t_hi - t), np.abs(t - t_lo))
    # Trace of the predicted position covariance, without forming the matrices.
    trace = (
        p[:, 0, 0]
        + p[:, 1, 1]
        + 2.0 * far * (p[:, 0, 2] + p[:, 1, 3])
        + far * far * (p[:, 2, 2] + p[:, 3, 3])
        + 2.0 * q * far**3 / 3.0
    )
    sigma_track = np.sqrt(np.maximum(trace, 0.0))
    sigma_det = float(np.sqrt((det_r[:, 0, 0] + det_r[:, 1, 1]).max()))
    speed = np.hypot(x[:, 2], x[:, 3])
    radius = np.sqrt(gate_chi2) * (sigma_track + sigma_det) + speed * half + 1.0
    centre = x[:, :2] + x[:, 2:] * (t_mid - t)[:, None]
    # Each track with its own radius: one wide tentative gate must not widen everybody's search.
    found = cKDTree(det_z).query_ball_point(centre, radius, return_sorted=False)
    counts = np.fromiter(map(len, found), np.int64, len(found))
    if counts.sum() == 0:
        return empty
    ti = np.repeat(np.arange(len(found), dtype=np.int64), counts)
    dj = np.fromiter(itertools.chain.from_iterable(found), np.int64, int(counts.sum()))
    if ti.size == 0:
        return empty
    dt = det_time[dj] - t[ti]
    pred = x[ti, :2] + x[ti, 2:] * dt[:, None]
    s = position_covariance(p[ti], dt, q[ti]) + det_r[dj]
    s_inv, det = inverse_2x2(s)
    d2 = mahalanobis2(det_z[dj] - pred, s_inv)
    inside = d2 <= gate_chi2
    return Gated(ti[inside], dj[inside], (d2 + np.log(det))[inside])


def assign(gated: Gated, n_tracks: int, n_dets: int) -> tuple[IntArray, IntArray]:
    """Global nearest neighbour: (track, detection) pairs, each track and detection used once.

    Pairs whose track and detection have no other candidate are taken as they are; the rest are
    split into connected clusters and each cluster solved with the Hungarian algorithm.
    """
    if gated.track.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    track_deg = np.bincount(gated.track, minlength=n_tracks)
    det_deg = np.bincount(gated.detection, minlength=n_dets)
    lone = (track_deg[gated.track] == 1) & (det_deg[gated.detection] == 1)
    out_t = [gated.track[lone]]
    out_d = [gated.detection[lone]]
    rest = ~lone
    if np.any(rest):
        ti, dj, cost = gated.track[rest], gated.detection[rest], gated.cost[rest]
        rows, r_inv = np.unique(ti, return_inverse=True)
        cols, c_inv = np.unique(dj, return_inverse=True)
        if rows.size * cols.size <= DENSE_LIMIT:
            # Small enough for one dense problem: cheaper than finding the clusters first.
            _solve(rows, cols, r_inv, c_inv, cost, out_t, out_d)
            return np.concatenate(out_t).astype(np.int64), np.concatenate(out_d).astype(np.int64)
        # Bipartite graph: tracks are nodes 0..n_tracks-1, detections follow.
        graph = coo_matrix((np.ones(ti.size), (ti, dj + n_tracks)), shape=(n_tracks + n_dets,) * 2)
        _, label = connected_components(graph, directed=False)
        pair_label = label[ti]
        # Clusters of one track or of one detection (the common case): the cheapest pair wins,
        # for all of them at once. Only clusters with several of each need the Hungarian algorithm.
        n_tr = np.bincount(label[:n_tracks][np.unique(ti)], minlength=label.max() + 1)
        n_de = np.bincount(label[n_tracks:][np.unique(dj)], minlength=label.max() + 1)
        simple = (n_tr[pair_label] == 1) | (n_de[pair_label] == 1)
        if np.any(simple):
            idx = np.flatnonzero(simple)
            order = idx[np.lexsort((cost[idx], pair_label[idx]))]
            first = order[np.r_[True, pair_label[order][1:] != pair_label[order][:-1]]]
            out_t.append(ti[first])
            out_d.append(dj[first])
        hard = np.flatnonzero(~simple)
        order = hard[np.argsort(pair_label[hard], kind="stable")]
        bounds = np.flatnonzero(np.diff(pair_label[order])) + 1
        for chunk in np.split(order, bounds) if order.size else []:
            rows, r_inv = np.unique(ti[chunk], return_inverse=True)
            cols, c_inv = np.unique(dj[chunk], return_inverse=True)
            _solve(rows, cols, r_inv, c_inv, cost[chunk], out_t, out_d)
    return np.concatenate(out_t).astype(np.int64), np.concatenate(out_d).astype(np.int64)


def _solve(
    rows: IntArray,
    cols: IntArray,
    r_inv: IntArray,
    c_inv: IntArray,
    cost: FloatArray,
    out_t: list[IntArray],
    out_d: list[IntArray],
) -> None:
    """Hungarian algorithm on one dense block; pairs outside the gate are never chosen."""
    matrix = np.full((rows.size, cols.size), NO_PAIR_COST)
    matrix[r_inv, c_inv] = cost
    r_sel, c_sel = linear_sum_assignment(matrix)
    good = matrix[r_sel, c_sel] < NO_PAIR_COST
    out_t.append(rows[r_sel[good]])
    out_d.append(cols[c_sel[good]])
