"""Constant-velocity Kalman filtering, vectorised over many tracks: predict, gate and update.

State is [x, y, vx, vy] in a local metric frame (metres, m/s); measurements are positions.
May import: NumPy only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def predict(x: FloatArray, p: FloatArray, dt: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """States (n,4) and covariances (n,4,4) moved on by dt (n,) seconds with acceleration PSD q (n,).

    A negative dt retrodicts (out-of-order detections inside one batch); the process noise then
    uses |dt| so that uncertainty never shrinks by going back in time.
    """
    xn = x.copy()
    xn[:, 0] += x[:, 2] * dt
    xn[:, 1] += x[:, 3] * dt
    d = dt[:, None]
    # F P F^T for F = [[I, dt I], [0, I]], written out: far cheaper than batched matmuls.
    pp, pv, vp, vv = p[:, :2, :2], p[:, :2, 2:], p[:, 2:, :2], p[:, 2:, 2:]
    pn = np.empty_like(p)
    pn[:, :2, :2] = pp + (pv + vp) * d[:, :, None] + vv * (d * d)[:, :, None]
    pn[:, :2, 2:] = pv + vv * d[:, :, None]
    pn[:, 2:, :2] = vp + vv * d[:, :, None]
    pn[:, 2:, 2:] = vv
    a = np.abs(dt)
    q3, q2, q1 = q * a**3 / 3.0, q * a * a / 2.0 * np.sign(dt), q * a
    for i in (0, 1):
        pn[:, i, i] += q3
        pn[:, i, i + 2] += q2
        pn[:, i + 2, i] += q2
        pn[:, i + 2, i + 2] += q1
    return xn, pn


def position_covariance(p: FloatArray, dt: FloatArray, q: FloatArray) -> FloatArray:
    """Only the (n,2,2) position block of the predicted covariance: what gating needs."""
    d = dt[:, None, None]
    pos = p[:, :2, :2] + (p[:, :2, 2:] + p[:, 2:, :2]) * d + p[:, 2:, 2:] * d * d
    extra = q * np.abs(dt) ** 3 / 3.0
    pos[:, 0, 0] += extra
    pos[:, 1, 1] += extra
    return pos


def inverse_2x2(s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverses and determinants of (n,2,2) symmetric matrices."""
    det = s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] * s[:, 1, 0]
    inv = np.empty_like(s)
    inv[:, 0, 0] = s[:, 1, 1] / det
    inv[:, 1, 1] = s[:, 0, 0] / det
    inv[:, 0, 1] = -s[:, 0, 1] / det
    inv[:, 1, 0] = -s[:, 1, 0] / det
    return inv, det


def mahalanobis2(y: FloatArray, s_inv: FloatArray) -> FloatArray:
    """y^T S^-1 y for (n,2) innovations."""
    return np.asarray(
        s_inv[:, 0, 0] * y[:, 0] ** 2 + 2.0 * s_inv[:, 0, 1] * y[:, 0] * y[:, 1] + s_inv[:, 1, 1] * y[:, 1] ** 2,
        dtype=np.float64,
    )


def update(x: FloatArray, p: FloatArray, z: FloatArray, r: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Kalman update of states (n,4), covariances (n,4,4) with position measurements z (n,2), R (n,2,2);
    also returns each update's normalised innovation squared (NIS)."""
    s = p[:, :2, :2] + r
    s_inv, _ = inverse_2x2(s)
    k = np.einsum("nij,njk->nik", p[:, :, :2], s_inv)  # (n,4,2)
    y = z - x[:, :2]
    nis = mahalanobis2(y, s_inv)
    xn = x + np.einsum("nij,nj->ni", k, y)
    # Joseph-free form P - K S K^T, symmetrised: ample for well-conditioned 4x4 blocks.
    pn = p - np.einsum("nij,njk,nlk->nil", k, s, k)
    pn = 0.5 * (pn + np.transpose(pn, (0, 2, 1)))
    return xn, pn, nis
