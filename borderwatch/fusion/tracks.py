"""The track table: every live track as rows of NumPy arrays (structure of arrays).

Holds the filter state, the M-of-N bookkeeping, the class belief and the per-track state of
the border events. Rows are appended on initiation and compacted away on deletion.
May import: NumPy.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TENTATIVE, CONFIRMED, COASTING = 0, 1, 2
STATUS_NAMES = ("tentative", "confirmed", "coasting")


class TrackTable:
    """Rows of live tracks; `n_barriers` sizes the per-barrier event state."""

    COLUMNS: tuple[str, ...] = (
        "serial",
        "x",
        "p",
        "t",
        "first_t",
        "last_t",
        "hits",
        "status",
        "logp",
        "first_z",
        "side",
        "prev_off",
        "prev_xy",
        "prev_t",
        "cross_t",
        "cross_xy",
        "side_depth",
        "jump",
        "near_t",
        "approach_s",
        "barrier_side",
        "barrier_armed",
        "loiter_xy",
        "loiter_t",
        "loiter_fired",
    )

    def __init__(self, n_classes: int, n_barriers: int) -> None:
        self.serial: IntArray = np.empty(0, np.int64)
        self.x: FloatArray = np.empty((0, 4))
        self.p: FloatArray = np.empty((0, 4, 4))
        self.t: FloatArray = np.empty(0)  # time of the state x, p
        self.first_t: FloatArray = np.empty(0)
        self.last_t: FloatArray = np.empty(0)  # last detection
        self.hits: IntArray = np.empty(0, np.int64)
        self.status: npt.NDArray[np.int8] = np.empty(0, np.int8)
        self.logp: FloatArray = np.empty((0, n_classes))
        self.first_z: FloatArray = np.empty((0, 2))
        # border events: side of the border line (+1 home, -1 neighbour, 0 not yet sure), the
        # last located state, and where the raw offset last changed sign
        self.side: npt.NDArray[np.int8] = np.empty(0, np.int8)
        self.prev_off: FloatArray = np.empty(0)
        self.prev_xy: FloatArray = np.empty((0, 2))
        self.prev_t: FloatArray = np.empty(0)
        self.cross_t: FloatArray = np.empty(0)
        self.cross_xy: FloatArray = np.empty((0, 2))
        # evidence for a crossing: how far past the line the track has been on its current side (no
        # limit before its first side change: a fresh track has nothing to distrust),
        # and the largest normalised innovation (NIS) since it was last firmly on a side (a jump
        # between two targets shows as one large innovation)
        self.side_depth: FloatArray = np.empty(0)
        self.jump: FloatArray = np.empty(0)
        # at an official crossing: when the track came within gate_approach_m of the line, and how long it
        # took from there to the line at its last side change (traffic at a gate crawls up to it)
        self.near_t: FloatArray = np.empty(0)
        self.approach_s: FloatArray = np.empty(0)
        self.barrier_side: npt.NDArray[np.int8] = np.empty((0, n_barriers), np.int8)
        self.barrier_armed: BoolArray = np.empty((0, n_barriers), bool)
        self.loiter_xy: FloatArray = np.empty((0, 2))
        self.loiter_t: FloatArray = np.empty(0)
        self.loiter_fired: BoolArray = np.empty(0, bool)
        self.n_barriers = n_barriers
        self._next_serial = 1

    def __len__(self) -> int:
        return int(self.serial.size)

    def add(self, x: FloatArray, p: FloatArray, t: FloatArray, logp: FloatArray) -> None:
        """Start tentative tracks from initial states (k,4), covariances (k,4,4), times and class beliefs."""
        k = x.shape[0]
        if k == 0:
            return
        nan = np.full(k, np.nan)
        new: dict[str, Any] = {
            "serial": np.arange(self._next_serial, self._next_serial + k, dtype=np.int64),
            "x": x,
            "p": p,
            "t": t,
            "first_t": t,
            "last_t": t,
            "hits": np.ones(k, np.int64),
            "status": np.zeros(k, np.int8),
            "logp": logp,
            "first_z": x[:, :2].copy(),
            "side": np.zeros(k, np.int8),
            "prev_off": nan,
            "prev_xy": np.full((k, 2), np.nan),
            "prev_t": nan,
            "cross_t": nan,
            "cross_xy": np.full((k, 2), np.nan),
            "side_depth": np.full(k, np.inf),
            "jump": np.zeros(k),
            "near_t": nan,
            "approach_s": np.full(k, np.inf),
            "barrier_side": np.zeros((k, self.n_barriers), np.int8),
            "barrier_armed": np.ones((k, self.n_barriers), bool),
            "loiter_xy": x[:, :2].copy(),
            "loiter_t": t.copy(),
            "loiter_fired": np.zeros(k, bool),
        }
        self._next_serial += k
        for name in self.COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))

    def keep(self, mask: BoolArray) -> None:
        """Drop the rows where mask is False."""
        if mask.all():
            return
        for name in self.COLUMNS:
            setattr(self, name, getattr(self, name)[mask])

    def class_prob(self) -> FloatArray:
        return np.asarray(np.exp(self.logp), dtype=np.float64)


@lru_cache(maxsize=65_536)
def track_id(serial: int) -> str:
    """The public id of a track."""
    return f"T{serial:06d}"
