"""Compiled (numba) association of one time slice: gate, assign, update, in rounds.

Per slice the tracker used to make dozens of small NumPy calls whose fixed cost dominated (about a
millisecond per slice whatever its size); here the whole slice is one compiled call over arrays of
tracks and detections. Same model as fusion.kalman and fusion.association: constant velocity with
class-mixed process noise, chi-square gate, cost -2 log likelihood plus the class report's term,
global nearest neighbour (Hungarian algorithm per cluster of tracks and detections sharing gates),
Kalman update, Bayes class update, M-of-N promotion. Each round a track takes at most one detection,
and never a second one from a sensor it took one from within `same_scan_s`.
The other per-batch passes live here too, for the same reason: the track life cycle, the duplicate-track
merge's pair tests, pairs of points within a radius (convergence, initiation), the border_crossing state
machine, barrier breach and approach, loitering, official-crossing look-ups and the emitted states' columns.
May import: NumPy and numba only.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Int8Array = npt.NDArray[np.int8]

NO_PAIR_COST = 1e6
TENTATIVE, CONFIRMED, COASTING = 0, 1, 2


@numba.njit(cache=True)
def _hungarian(cost: FloatArray) -> IntArray:
    """Minimum-cost assignment of rows to columns (rows <= columns): each row's column."""
    n, m = cost.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    owner = np.zeros(m + 1, np.int64)  # row (1-based) holding each column; column 0 is the root
    way = np.zeros(m + 1, np.int64)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, np.bool_)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta = np.inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while True:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
            if j0 == 0:
                break
    row_col = np.full(n, -1, np.int64)
    for j in range(1, m + 1):
        if owner[j] != 0:
            row_col[owner[j] - 1] = j - 1
    return row_col


@numba.njit(cache=True)
def _find(parent: IntArray, a: int) -> int:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@numba.njit(cache=True)
def _assign(pt: IntArray, pd: IntArray, pc: FloatArray, n_tracks: int, n_dets: int) -> tuple[IntArray, IntArray]:
    """Global nearest neighbour over gated pairs, cluster by cluster: (tracks, detections) chosen."""
    npairs = pt.size
    parent = np.arange(n_tracks + n_dets)
    for k in range(npairs):
        ra, rb = _find(parent, pt[k]), _find(parent, n_tracks + pd[k])
        if ra != rb:
            parent[ra] = rb
    label = np.empty(npairs, np.int64)
    for k in range(npairs):
        label[k] = _find(parent, pt[k])
    order = np.argsort(label, kind="mergesort")
    out_t = np.empty(min(n_tracks, n_dets) + 1, np.int64)
    out_d = np.empty(min(n_tracks, n_dets) + 1, np.int64)
    count = 0
    row_of = np.full(n_tracks, -1, np.int64)
    col_of = np.full(n_dets, -1, np.int64)
    start = 0
    while start < npairs:
        stop = start
        while stop < npairs and label[order[stop]] == label[order[start]]:
            stop += 1
        rows = 0
        cols = 0
        for s in range(start, stop):
            k = order[s]
            if row_of[pt[k]] < 0:
                row_of[pt[k]] = rows
                rows += 1
            if col_of[pd[k]] < 0:
                col_of[pd[k]] = cols
                cols += 1
        if rows == 1 or cols == 1:
            best = order[start]
            for s in range(start + 1, stop):
                if pc[order[s]] < pc[best]:
                    best = order[s]
            out_t[count] = pt[best]
            out_d[count] = pd[best]
            count += 1
        else:
            transpose = rows > cols
            nr, nc = (cols, rows) if transpose else (rows, cols)
            matrix = np.full((nr, nc), NO_PAIR_COST)
            track_at = np.empty(rows, np.int64)
            det_at = np.empty(cols, np.int64)
            for s in range(start, stop):
                k = order[s]
                a, b = row_of[pt[k]], col_of[pd[k]]
                track_at[a] = pt[k]
                det_at[b] = pd[k]
                if transpose:
                    matrix[b, a] = pc[k]
                else:
                    matrix[a, b] = pc[k]
            chosen = _hungarian(matrix)
            for a in range(nr):
                b = chosen[a]
                if b >= 0 and matrix[a, b] < NO_PAIR_COST:
                    if transpose:
                        out_t[count] = track_at[b]
                        out_d[count] = det_at[a]
                    else:
                        out_t[count] = track_at[a]
                        out_d[count] = det_at[b]
                    count += 1
        for s in range(start, stop):
            k = order[s]
            row_of[pt[k]] = -1
            col_of[pd[k]] = -1
        start = stop
    return out_t[:count], out_d[:count]


@numba.njit(cache=True)
def associate_slice(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    last_t: FloatArray,
    hits: IntArray,
    status: Int8Array,
    logp: FloatArray,
    jump: FloatArray,
    last_take: FloatArray,
    accel: FloatArray,
    z: FloatArray,
    r: FloatArray,
    det_time: FloatArray,
    det_sensor: IntArray,
    det_class: IntArray,
    det_conf: FloatArray,
    gate_chi2: float,
    same_scan_s: float,
    max_rounds: int,
    confirm_hits: int,
    conf_floor: float,
    conf_ceiling: float,
) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """Rounds of gate + GNN + update over one slice's detections; the track arrays change in place.

    Returns the rows updated (once per detection taken), the rows newly confirmed, which detections
    were left and which of them were inside some gate.
    """
    n, m = x.shape[0], z.shape[0]
    k_classes = logp.shape[1]
    left = np.ones(m, np.bool_)
    gated_any = np.zeros(m, np.bool_)
    updated = np.empty(m, np.int64)
    n_updated = 0
    confirmed = np.empty(m, np.int64)
    n_confirmed = 0
    q = np.empty(n)
    for i in range(n):
        acc = 0.0
        for c in range(k_classes):
            acc += math.exp(logp[i, c]) * accel[c]
        q[i] = acc
    sigma_det = 0.0
    t_lo, t_hi = np.inf, -np.inf
    for j in range(m):
        sigma_det = max(sigma_det, math.sqrt(r[j, 0, 0] + r[j, 1, 1]))
        t_lo = min(t_lo, det_time[j])
        t_hi = max(t_hi, det_time[j])
    t_mid, half = 0.5 * (t_lo + t_hi), 0.5 * (t_hi - t_lo)
    for _ in range(max_rounds):
        if n == 0:
            break
        # Remaining detections sorted by x: each track looks only within its radius.
        idx = np.flatnonzero(left)
        if idx.size == 0:
            break
        xs = z[idx, 0]
        order = np.argsort(xs)
        xs_sorted = xs[order]
        cap = 16 * idx.size + 64
        pt = np.empty(cap, np.int64)
        pd = np.empty(cap, np.int64)
        pc = np.empty(cap)
        npairs = 0
        for i in range(n):
            far = max(abs(t_hi - t[i]), abs(t[i] - t_lo))
            trace = (
                p[i, 0, 0]
                + p[i, 1, 1]
                + 2.0 * far * (p[i, 0, 2] + p[i, 1, 3])
                + far * far * (p[i, 2, 2] + p[i, 3, 3])
                + 2.0 * q[i] * far**3 / 3.0
            )
            speed = math.hypot(x[i, 2], x[i, 3])
            radius = math.sqrt(gate_chi2) * (math.sqrt(max(trace, 0.0)) + sigma_det) + speed * half + 1.0
            cx = x[i, 0] + x[i, 2] * (t_mid - t[i])
            cy = x[i, 1] + x[i, 3] * (t_mid - t[i])
            lo = np.searchsorted(xs_sorted, cx - radius)
            hi = np.searchsorted(xs_sorted, cx + radius, side="right")
            for s in range(lo, hi):
                j = idx[order[s]]
                if abs(z[j, 1] - cy) > radius:
                    continue
                dt = det_time[j] - t[i]
                px = x[i, 0] + x[i, 2] * dt
                py = x[i, 1] + x[i, 3] * dt
                extra = q[i] * abs(dt) ** 3 / 3.0
                s00 = p[i, 0, 0] + (p[i, 0, 2] + p[i, 2, 0]) * dt + p[i, 2, 2] * dt * dt + extra + r[j, 0, 0]
                s11 = p[i, 1, 1] + (p[i, 1, 3] + p[i, 3, 1]) * dt + p[i, 3, 3] * dt * dt + extra + r[j, 1, 1]
                s01 = p[i, 0, 1] + (p[i, 0, 3] + p[i, 2, 1]) * dt + p[i, 2, 3] * dt * dt + r[j, 0, 1]
                s10 = p[i, 1, 0] + (p[i, 1, 2] + p[i, 3, 0]) * dt + p[i, 3, 2] * dt * dt + r[j, 1, 0]
                det = s00 * s11 - s01 * s10
                yx, yy = z[j, 0] - px, z[j, 1] - py
                d2 = (s11 * yx * yx - (s01 + s10) * yx * yy + s00 * yy * yy) / det
                if not d2 <= gate_chi2:
                    continue
                gated_any[j] = True
                if abs(det_time[j] - last_take[i, det_sensor[j]]) < same_scan_s:
                    continue
                cost = d2 + math.log(det)
                cls, conf = det_class[j], det_conf[j]
                if cls >= 0 and conf > conf_floor:
                    c = min(conf, conf_ceiling)
                    p_same = math.exp(logp[i, cls])
                    like = p_same * c + (1.0 - p_same) * (1.0 - c) / (k_classes - 1)
                    cost += -2.0 * math.log(like * k_classes)
                if npairs == cap:
                    cap *= 2
                    pt2, pd2, pc2 = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap)
                    pt2[:npairs], pd2[:npairs], pc2[:npairs] = pt[:npairs], pd[:npairs], pc[:npairs]
                    pt, pd, pc = pt2, pd2, pc2
                pt[npairs] = i
                pd[npairs] = j
                pc[npairs] = cost
                npairs += 1
        if npairs == 0:
            break
        ti, dj = _assign(pt[:npairs], pd[:npairs], pc[:npairs], n, m)
        if ti.size == 0:
            break
        for k in range(ti.size):
            i, j = ti[k], dj[k]
            _update_one(x, p, i, z, r, j, det_time[j] - t[i], q[i], jump)
            t[i] = det_time[j]
            last_t[i] = max(last_t[i], det_time[j])
            hits[i] += 1
            last_take[i, det_sensor[j]] = det_time[j]
            cls, conf = det_class[j], det_conf[j]
            if cls >= 0 and conf > conf_floor:
                c = min(conf, conf_ceiling)
                other = math.log((1.0 - c) / (k_classes - 1))
                top = -np.inf
                for cc in range(k_classes):
                    logp[i, cc] += math.log(c) if cc == cls else other
                    top = max(top, logp[i, cc])
                total = 0.0
                for cc in range(k_classes):
                    total += math.exp(logp[i, cc] - top)
                norm = top + math.log(total)
                for cc in range(k_classes):
                    logp[i, cc] = max(logp[i, cc] - norm, -30.0)
                acc = 0.0
                for cc in range(k_classes):
                    acc += math.exp(logp[i, cc]) * accel[cc]
                q[i] = acc
            if status[i] == TENTATIVE and hits[i] >= confirm_hits:
                status[i] = CONFIRMED
                confirmed[n_confirmed] = i
                n_confirmed += 1
            elif status[i] == COASTING:
                status[i] = CONFIRMED
            updated[n_updated] = i
            n_updated += 1
            left[j] = False
    return updated[:n_updated], confirmed[:n_confirmed], left, gated_any


@numba.njit(cache=True)
def _update_one(
    x: FloatArray, p: FloatArray, i: int, z: FloatArray, r: FloatArray, j: int, dt: float, q: float, jump: FloatArray
) -> None:  # pragma: no cover - compiled
    """Predict track i by dt and update it with detection j (Kalman, position measurement).

    Written out element by element: 4x4 matrix products through BLAS cost about 2 us an update, most of
    the association's time, for arithmetic that takes a tenth of that."""
    # Predict: x' = F x, P' = F P F^T + Q, with F the constant-velocity transition over dt.
    pn = np.empty((4, 4))
    for row in range(4):
        for col in range(4):
            pn[row, col] = p[i, row, col] + (dt * p[i, row + 2, col] if row < 2 else 0.0)
    for row in range(4):
        for col in range(2):
            pn[row, col] += dt * pn[row, col + 2]
    a = abs(dt)
    q3, q2, q1 = q * a**3 / 3.0, q * a * a / 2.0 * (1.0 if dt >= 0 else -1.0), q * a
    for d in range(2):
        pn[d, d] += q3
        pn[d, d + 2] += q2
        pn[d + 2, d] += q2
        pn[d + 2, d + 2] += q1
    xp0 = x[i, 0] + x[i, 2] * dt
    xp1 = x[i, 1] + x[i, 3] * dt
    # Update with z = H x + noise, H taking the position.
    s00, s01 = pn[0, 0] + r[j, 0, 0], pn[0, 1] + r[j, 0, 1]
    s10, s11 = pn[1, 0] + r[j, 1, 0], pn[1, 1] + r[j, 1, 1]
    det = s00 * s11 - s01 * s10
    i00, i01, i10, i11 = s11 / det, -s01 / det, -s10 / det, s00 / det
    y0, y1 = z[j, 0] - xp0, z[j, 1] - xp1
    nis = i00 * y0 * y0 + (i01 + i10) * y0 * y1 + i11 * y1 * y1
    gain = np.empty((4, 2))
    for row in range(4):
        gain[row, 0] = pn[row, 0] * i00 + pn[row, 1] * i10
        gain[row, 1] = pn[row, 0] * i01 + pn[row, 1] * i11
    x[i, 0] = xp0 + (gain[0, 0] * y0 + gain[0, 1] * y1)
    x[i, 1] = xp1 + (gain[1, 0] * y0 + gain[1, 1] * y1)
    x[i, 2] = x[i, 2] + (gain[2, 0] * y0 + gain[2, 1] * y1)
    x[i, 3] = x[i, 3] + (gain[3, 0] * y0 + gain[3, 1] * y1)
    # P = P' - K S K^T, kept symmetric.
    for row in range(4):
        ks0 = gain[row, 0] * s00 + gain[row, 1] * s10
        ks1 = gain[row, 0] * s01 + gain[row, 1] * s11
        for col in range(4):
            p[i, row, col] = pn[row, col] - (ks0 * gain[col, 0] + ks1 * gain[col, 1])
    for row in range(4):
        for col in range(row + 1, 4):
            mean = 0.5 * (p[i, row, col] + p[i, col, row])
            p[i, row, col] = mean
            p[i, col, row] = mean
    jump[i] = max(jump[i], nis)


KEEP, TO_COAST, GONE, DROP = 0, 1, 2, 3


@numba.njit(cache=True)
def life_cycle(
    now: float,
    p: FloatArray,
    x: FloatArray,
    first_t: FloatArray,
    last_t: FloatArray,
    hits: IntArray,
    status: Int8Array,
    logp: FloatArray,
    max_speed: FloatArray,
    confirm_window_s: float,
    delete_after_s: float,
    max_position_sigma_m: float,
    coast_after_s: float,
) -> Int8Array:  # pragma: no cover - compiled
    """Each track's fate at `now`: KEEP, TO_COAST (confirmed and silent), GONE (firm and silent too long
    or too uncertain: reported deleted) or DROP (a tentative that did not confirm in time, or moves
    faster than its class can: dropped unreported). One pass instead of a dozen array passes per batch."""
    n = x.shape[0]
    fate = np.zeros(n, np.int8)
    for i in range(n):
        silent = now - last_t[i]
        if status[i] == TENTATIVE:
            if now - first_t[i] > confirm_window_s:
                fate[i] = DROP
            elif hits[i] >= 2:
                vmax = 0.0
                for c in range(logp.shape[1]):
                    vmax += math.exp(logp[i, c]) * max_speed[c]
                if math.hypot(x[i, 2], x[i, 3]) > 1.5 * vmax:
                    fate[i] = DROP
            continue
        sigma = math.sqrt(max(p[i, 0, 0], p[i, 1, 1]))
        if silent > delete_after_s or sigma > max_position_sigma_m:
            fate[i] = GONE
        elif status[i] == CONFIRMED and silent > coast_after_s:
            fate[i] = TO_COAST
    return fate


@numba.njit(cache=True)
def _add_predicted(
    x: FloatArray, p: FloatArray, i: int, dt: float, q: float, sign: float, diff: FloatArray, s: FloatArray
) -> None:
    """Add track i's state predicted by dt (times sign) to diff and its covariance to s (as fusion.kalman.predict)."""
    diff[0] += sign * (x[i, 0] + x[i, 2] * dt)
    diff[1] += sign * (x[i, 1] + x[i, 3] * dt)
    diff[2] += sign * x[i, 2]
    diff[3] += sign * x[i, 3]
    for r in range(2):
        for c in range(2):
            s[r, c] += p[i, r, c] + (p[i, r, c + 2] + p[i, r + 2, c]) * dt + p[i, r + 2, c + 2] * (dt * dt)
            s[r, c + 2] += p[i, r, c + 2] + p[i, r + 2, c + 2] * dt
            s[r + 2, c] += p[i, r + 2, c] + p[i, r + 2, c + 2] * dt
            s[r + 2, c + 2] += p[i, r + 2, c + 2]
    a = abs(dt)
    q3, q2, q1 = q * a**3 / 3.0, q * a * a / 2.0 * (1.0 if dt > 0 else (-1.0 if dt < 0 else 0.0)), q * a
    for d in range(2):
        s[d, d] += q3
        s[d, d + 2] += q2
        s[d + 2, d] += q2
        s[d + 2, d + 2] += q1


@numba.njit(cache=True)
def pair_distance2(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    logp: FloatArray,
    accel: FloatArray,
    a: IntArray,
    b: IntArray,
    now: float,
) -> FloatArray:  # pragma: no cover - compiled
    """Squared Mahalanobis distance between the states of tracks a[k] and b[k], both predicted to `now`
    (the cross-covariance of two tracks of one object is left out: that errs towards merging)."""
    out = np.empty(a.size)
    diff = np.empty(4)
    s = np.empty((4, 4))
    for k in range(a.size):
        out[k] = _pair_distance2(x, p, t, logp, accel, a[k], b[k], now, diff, s)
    return out


@numba.njit(cache=True)
def _pair_distance2(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    logp: FloatArray,
    accel: FloatArray,
    a: int,
    b: int,
    now: float,
    diff: FloatArray,
    s: FloatArray,
) -> float:  # pragma: no cover - compiled
    """pair_distance2 of one pair; diff (4,) and s (4,4) are scratch space."""
    diff[:] = 0.0
    s[:] = 0.0
    for i, sign in ((a, 1.0), (b, -1.0)):
        q = 0.0
        for c in range(logp.shape[1]):
            q += math.exp(logp[i, c]) * accel[c]
        _add_predicted(x, p, i, now - t[i], q, sign, diff, s)
    return float(diff @ np.linalg.solve(s, diff))


@numba.njit(cache=True)
def pairs_within(
    px: FloatArray, py: FloatArray, radius_m: float
) -> tuple[IntArray, IntArray, FloatArray]:  # pragma: no cover - compiled
    """Every pair (a < b) of points within radius_m of each other, in lexicographic order, and their
    distances: a sweep along x (a k-d tree's fixed cost per call dominated for the few dozen tracks of a
    batch)."""
    n = px.size
    order = np.argsort(px)
    cap = 4 * n + 16
    pa = np.empty(cap, np.int64)
    pb = np.empty(cap, np.int64)
    count = 0
    for u in range(n):
        i = order[u]
        for v in range(u + 1, n):
            j = order[v]
            if px[j] - px[i] > radius_m:
                break
            if math.hypot(px[j] - px[i], py[j] - py[i]) <= radius_m:
                if count == cap:
                    cap *= 2
                    pa_new = np.empty(cap, np.int64)
                    pb_new = np.empty(cap, np.int64)
                    pa_new[:count] = pa[:count]
                    pb_new[:count] = pb[:count]
                    pa, pb = pa_new, pb_new
                pa[count] = min(i, j)
                pb[count] = max(i, j)
                count += 1
    key = pa[:count] * n + pb[:count]
    lexicographic = np.argsort(key)
    a, b = pa[:count][lexicographic], pb[:count][lexicographic]
    dist = np.empty(count)
    for k in range(count):
        dist[k] = math.hypot(px[a[k]] - px[b[k]], py[a[k]] - py[b[k]])
    return a, b, dist


@numba.njit(cache=True)
def nearest_within(xy: FloatArray, points: FloatArray, radius_m: float) -> IntArray:  # pragma: no cover - compiled
    """For each row of xy, the nearest of `points` (the first of equals) if within radius_m, else -1: a
    handful of points (official crossings) against a batch of tracks, without a k-d tree's fixed cost."""
    out = np.full(xy.shape[0], -1, np.int64)
    for k in range(xy.shape[0]):
        best = np.inf
        for m in range(points.shape[0]):
            d = math.hypot(xy[k, 0] - points[m, 0], xy[k, 1] - points[m, 1])
            if d < best:
                best = d
                if d <= radius_m:
                    out[k] = m
                else:
                    out[k] = -1
    return out


@numba.njit(cache=True)
def state_columns(
    rows: IntArray, x: FloatArray, p: FloatArray, logp: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    """What a track state reports beside its position, for the given rows: most likely class and its
    probability, speed, heading (degrees from grid north) and 1-sigma position uncertainty (the larger of
    the two position variances' roots); one pass instead of a dozen array passes per batch."""
    n = rows.size
    best = np.empty(n, np.int64)
    prob = np.empty(n)
    speed = np.empty(n)
    heading = np.empty(n)
    sigma = np.empty(n)
    for k in range(n):
        i = rows[k]
        top, top_prob = 0, math.exp(logp[i, 0])
        for c in range(1, logp.shape[1]):
            pc = math.exp(logp[i, c])
            if pc > top_prob:
                top, top_prob = c, pc
        best[k] = top
        prob[k] = top_prob
        speed[k] = math.hypot(x[i, 2], x[i, 3])
        heading[k] = np.degrees(np.arctan2(x[i, 2], x[i, 3])) % 360.0
        sigma[k] = math.sqrt(max(p[i, 0, 0], p[i, 1, 1]))
    return best, prob, speed, heading, sigma


@numba.njit(cache=True)
def barrier_states(
    rows: IntArray,
    border: IntArray,
    km: FloatArray,
    off: FloatArray,
    barrier_border: IntArray,
    barrier_start: FloatArray,
    barrier_end: FloatArray,
    barrier_offset: FloatArray,
    barrier_side: Int8Array,
    barrier_armed: BoolArray,
    hysteresis_m: float,
    approach_m: float,
) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:  # pragma: no cover - compiled
    """barrier_breach and barrier_approach over updated tracks (rows, each once, located on `border` at km,
    signed offset `off`), one pass instead of some twenty array passes over tracks x barriers; the side and
    armed columns change in place. Along a barrier's span, a track firmly (hysteresis_m) on the other side
    of it than before breached it; an armed track within approach_m outside it approaches it (disarmed until
    it leaves the span or goes twice as far out). Returns (index into rows, barrier, offset from the barrier:
    positive inside) of the breaches, then of the approaches, each in row-major order."""
    n, nb = rows.size, barrier_border.size
    breach_k = np.empty(n * nb, np.int64)
    breach_b = np.empty(n * nb, np.int64)
    breach_rel = np.empty(n * nb)
    near_k = np.empty(n * nb, np.int64)
    near_b = np.empty(n * nb, np.int64)
    near_rel = np.empty(n * nb)
    n_breach = 0
    n_near = 0
    for k in range(n):
        i = rows[k]
        for b in range(nb):
            in_span = border[k] == barrier_border[b] and km[k] >= barrier_start[b] and km[k] <= barrier_end[b]
            rel = off[k] - barrier_offset[b]
            firm = 0
            if abs(rel) > hysteresis_m:
                firm = 1 if rel > 0.0 else -1
            side = int(barrier_side[i, b])
            armed = barrier_armed[i, b]
            if in_span and firm != 0 and side != 0 and firm != side:
                breach_k[n_breach] = k
                breach_b[n_breach] = b
                breach_rel[n_breach] = rel
                n_breach += 1
            if in_span and armed and rel < 0.0 and -rel <= approach_m:
                near_k[n_near] = k
                near_b[n_near] = b
                near_rel[n_near] = rel
                n_near += 1
                armed = False
            if not in_span or rel < -2.0 * approach_m:
                armed = True
            barrier_armed[i, b] = armed
            barrier_side[i, b] = 0 if not in_span else (firm if firm != 0 else side)
    return (
        breach_k[:n_breach], breach_b[:n_breach], breach_rel[:n_breach],
        near_k[:n_near], near_b[:n_near], near_rel[:n_near],
    )  # fmt: skip


@numba.njit(cache=True)
def merge_pairs(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    status: Int8Array,
    logp: FloatArray,
    accel: FloatArray,
    last_take: FloatArray,
    now: float,
    radius_m: float,
    merge_m: float,
    merge_speed_mps: float,
    duplicate_chi2: float,
    same_scan_s: float,
) -> tuple[IntArray, IntArray, BoolArray, BoolArray, BoolArray]:  # pragma: no cover - compiled
    """The duplicate test of the tracker's merge step in one pass, instead of a k-d tree and some twenty
    array passes per batch. Tracks are predicted to `now`; pairs (a < b) within radius_m of each other
    are found by a sweep along x. Returns the pairs, `drop` (per track: a tentative within merge_m of a
    firm track), and per pair `alike` (both firm, within merge_m, moving alike within merge_speed_mps)
    and `twin` (both firm, states within duplicate_chi2 of each other). None of the three holds for a
    pair that one sensor gave a detection each within same_scan_s (last_take: each track's last detection
    time per sensor, -inf if none): one scan seeing two objects has told them apart, however close."""
    n = x.shape[0]
    px = np.empty(n)
    py = np.empty(n)
    for i in range(n):
        px[i] = x[i, 0] + x[i, 2] * (now - t[i])
        py[i] = x[i, 1] + x[i, 3] * (now - t[i])
    a, b, _ = pairs_within(px, py, radius_m)
    count = a.size
    drop = np.zeros(n, np.bool_)
    alike = np.zeros(count, np.bool_)
    twin = np.zeros(count, np.bool_)
    diff = np.empty(4)
    s = np.empty((4, 4))
    for k in range(count):
        i, j = a[k], b[k]
        near = math.hypot(px[i] - px[j], py[i] - py[j]) < merge_m
        firm_i, firm_j = status[i] != TENTATIVE, status[j] != TENTATIVE
        both = firm_i and firm_j
        alike_k = both and near and math.hypot(x[i, 2] - x[j, 2], x[i, 3] - x[j, 3]) < merge_speed_mps
        twin_k = both and _pair_distance2(x, p, t, logp, accel, i, j, now, diff, s) < duplicate_chi2
        if not (near or twin_k):
            continue
        # One sensor reporting both in one scan has told them apart (a convoy's vehicles 15 m apart,
        # vehicles queued at a gate): never one object, however close and alike.
        apart = False
        for sensor in range(last_take.shape[1]):
            if abs(last_take[i, sensor] - last_take[j, sensor]) < same_scan_s:
                apart = True
                break
        if apart:
            continue
        if near and firm_j and not firm_i:
            drop[i] = True
        if near and firm_i and not firm_j:
            drop[j] = True
        alike[k] = alike_k
        twin[k] = twin_k
    return a, b, drop, alike, twin


@numba.njit(cache=True)
def crossing_sides(
    rows: IntArray,
    off: FloatArray,
    xy: FloatArray,
    t: FloatArray,
    at_port: BoolArray,
    prev_off: FloatArray,
    prev_xy: FloatArray,
    prev_t: FloatArray,
    cross_t: FloatArray,
    cross_xy: FloatArray,
    side: Int8Array,
    side_depth: FloatArray,
    jump: FloatArray,
    near_t: FloatArray,
    approach_s: FloatArray,
    hysteresis_m: float,
    port_hysteresis_m: float,
    crossing_at_gate: bool,
    evidence_m: float,
    jump_nis: float,
    gate_approach_m: float,
    gate_approach_s: float,
    gate_run_m: float,
    gate_run_s: float,
) -> tuple[IntArray, FloatArray, FloatArray, Int8Array]:  # pragma: no cover - compiled
    """The border_crossing state machine over updated tracks (rows, each once; off: their signed offsets),
    one pass instead of some thirty array passes; the table's side columns change in place.

    Remembers where the raw offset first changed sign since the track was last firmly on a side, and
    reports a crossing once the track is firmly (hysteresis; wider in an official crossing's band) on the
    other side with evidence on both: deep enough on the side it left, no jump on the way over. At an
    official crossing (crossing_at_gate), reaching the line from a known side is the crossing, provided the
    track was seen approaching it: at least gate_approach_s from gate_approach_m out to the line (near_t: when
    it came that close, approach_s: how long it took to the line). A faster side change there counts only
    once the track is gate_run_m past the line, within gate_run_s of the line; a track that does neither has
    lost its side in the queue (0: it must show evidence_m on a side again). Returns, per crossing, the index
    into rows, its time and point, and the new side (+1 home, -1 neighbour)."""
    n = rows.size
    found = np.empty(n, np.int64)
    found_t = np.empty(n)
    found_xy = np.empty((n, 2))
    found_side = np.empty(n, np.int8)
    count = 0
    for k in range(n):
        i = rows[k]
        o = off[k]
        sign = 1.0 if o > 0.0 else (-1.0 if o < 0.0 else 0.0)
        prev = prev_off[i]
        # When the track came within gate_approach_m of the line (interpolated between located states).
        entered = near_t[i]
        if np.isfinite(prev) and abs(prev) > gate_approach_m and (abs(o) <= gate_approach_m or prev * o < 0.0):
            edge = gate_approach_m if prev > 0.0 else -gate_approach_m
            entered = prev_t[i] + (prev - edge) / (prev - o) * (t[k] - prev_t[i])
        elif not np.isfinite(prev):
            entered = t[k]
        if np.isfinite(prev) and prev * o < 0.0 and np.isnan(cross_t[i]):
            frac = prev / (prev - o)
            cross_t[i] = prev_t[i] + frac * (t[k] - prev_t[i])
            cross_xy[i, 0] = prev_xy[i, 0] + frac * (xy[k, 0] - prev_xy[i, 0])
            cross_xy[i, 1] = prev_xy[i, 1] + frac * (xy[k, 1] - prev_xy[i, 1])
            approach_s[i] = cross_t[i] - entered if np.isfinite(entered) else 0.0
        near_t[i] = entered if abs(o) <= gate_approach_m else np.nan
        band = port_hysteresis_m if at_port[k] else hysteresis_m
        firm = int(sign) if abs(o) > band else 0
        old = int(side[i])
        if crossing_at_gate and at_port[k] and old != 0 and np.isfinite(cross_t[i]) and sign == -old:
            firm = -old
        if at_port[k] and old != 0 and np.isfinite(cross_t[i]) and approach_s[i] < gate_approach_s:
            # Too fast for a gate, where traffic crawls up and stops: a track drawn into the queue's detections
            # at speed (one that lagged a braking vehicle) unless it keeps going; one that comes back, or is
            # still at the line gate_run_s on, has lost its side in the queue.
            back = sign == old and abs(o) > band
            if back or (t[k] - cross_t[i] > gate_run_s and abs(o) <= band):
                side[i] = 0
                side_depth[i] = 0.0
                cross_t[i] = np.nan
                continue
            if firm == -old and abs(o) < gate_run_m:
                firm = 0
        if firm != 0 and old != 0 and firm != old and side_depth[i] >= evidence_m and jump[i] <= jump_nis:
            found[count] = k
            if np.isfinite(cross_t[i]):
                found_t[count] = cross_t[i]
                found_xy[count, 0] = cross_xy[i, 0]
                found_xy[count, 1] = cross_xy[i, 1]
            else:
                found_t[count] = t[k]
                found_xy[count, 0] = xy[k, 0]
                found_xy[count, 1] = xy[k, 1]
            found_side[count] = firm
            count += 1
        # A track first seen in the customs band takes its side by the ordinary band.
        first_side = int(sign) if abs(o) > hysteresis_m else 0
        new = firm if firm != 0 else (first_side if old == 0 else old)
        side[i] = new
        if firm != 0:
            cross_t[i] = np.nan  # firmly on a side: the next crossing starts afresh
            jump[i] = 0.0  # ... and jumps are looked for afresh
        depth = abs(o) if sign == new else 0.0
        side_depth[i] = depth if new != old else max(side_depth[i], depth)
    return found[:count], found_t[:count], found_xy[:count], found_side[:count]


@numba.njit(cache=True)
def loiter_due(
    rows: IntArray,
    off: FloatArray,
    xy: FloatArray,
    t: FloatArray,
    loiter_xy: FloatArray,
    loiter_t: FloatArray,
    loiter_fired: BoolArray,
    border_m: float,
    radius_m: float,
    time_s: float,
) -> IntArray:  # pragma: no cover - compiled
    """Loitering over updated tracks (rows, each once): a track that left its circle or the border band
    starts a new stay where it is; one that stayed within radius_m for time_s, near the border, is due
    (marked fired: once per stay). Returns the indices into rows of the tracks due."""
    due = np.empty(rows.size, np.int64)
    count = 0
    for k in range(rows.size):
        i = rows[k]
        moved = math.hypot(xy[k, 0] - loiter_xy[i, 0], xy[k, 1] - loiter_xy[i, 1]) > radius_m
        if moved or not abs(off[k]) <= border_m:
            loiter_xy[i, 0] = xy[k, 0]
            loiter_xy[i, 1] = xy[k, 1]
            loiter_t[i] = t[k]
            loiter_fired[i] = False
        elif not loiter_fired[i] and t[k] - loiter_t[i] >= time_s:
            loiter_fired[i] = True
            due[count] = k
            count += 1
    return due[:count]


@functools.cache
def preload() -> None:
    """Compile (or load from numba's cache) every kernel once per process, on arrays of the types the
    tracker passes, so that no live batch pays for it: a kernel first needed by, say, the first crossing
    would otherwise stall that batch (seconds on a machine without the cache)."""
    n, k = 2, 3
    x, p, t = np.zeros((n, 4)), np.tile(np.eye(4), (n, 1, 1)), np.zeros(n)
    hits, status, logp = np.ones(n, np.int64), np.zeros(n, np.int8), np.full((n, k), -math.log(k))
    rows, f1, f2 = np.zeros(1, np.int64), np.zeros(1), np.zeros((1, 2))
    associate_slice(
        x, p, t, t.copy(), hits, status, logp, t.copy(), np.full((n, 1), -np.inf), np.ones(k),
        f2, np.tile(np.eye(2), (1, 1, 1)), f1, rows, rows, f1, 13.8, 1.0, 1, 3, 0.4, 0.95,
    )  # fmt: skip
    life_cycle(0.0, p, x, t, t, hits, status, logp, np.ones(k), 20.0, 40.0, 1e3, 12.0)
    pair_distance2(x, p, t, logp, np.ones(k), rows, rows + 1, 0.0)
    merge_pairs(x, p, t, status, logp, np.ones(k), np.full((n, 1), -np.inf), 0.0, 50.0, 30.0, 2.0, 9.0, 1.0)
    pairs_within(f1, f1, 1.0)
    nearest_within(f2, f2, 1.0)
    state_columns(rows, x, p, logp)
    barrier_states(
        rows, rows, f1, f1, rows, f1, f1, f1, np.zeros((n, 1), np.int8), np.ones((n, 1), bool), 20.0, 300.0
    )  # fmt: skip
    loiter_due(rows, f1, f2, f1, np.zeros((n, 2)), t.copy(), np.zeros(n, bool), 3000.0, 150.0, 300.0)
    crossing_sides(
        rows, f1, f2, f1, np.zeros(1, bool), t.copy(), np.zeros((n, 2)), t.copy(), np.full(n, np.nan),
        np.zeros((n, 2)), np.zeros(n, np.int8), t.copy(), t.copy(), t.copy(), t.copy(), 30.0, 30.0, True, 80.0,
        np.inf, 100.0, 10.0, 200.0, 30.0,
    )  # fmt: skip
