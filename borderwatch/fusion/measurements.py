"""Detections as arrays in the tracker's metric frame: positions, covariances, classes, times.

Cartesian detections are projected; polar ones (range, bearing from a configured sensor) are
turned into a position and a converted covariance. Polar detections from a sensor the border
configuration does not know cannot be placed and are skipped and counted.
May import: NumPy, borderwatch.geo, borderwatch.sensors.formats, fusion.params.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from borderwatch.fusion.params import CLASSES, TrackerParams
from borderwatch.geo.geodesy import LocalFrame
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}


@dataclass(frozen=True)
class SensorSite:
    """Where a configured sensor stands in the frame, and how to turn its bearings into the frame."""

    x: float
    y: float
    convergence_rad: float  # grid north minus true north at the site: added to bearings
    scale: float  # projection scale at the site: ground metres to frame metres
    sigma_range_m: float | None
    sigma_bearing_deg: float | None


def sensor_sites(model: BorderModel, frame: LocalFrame) -> dict[str, SensorSite]:
    """Every configured sensor's site in the frame."""
    sites: dict[str, SensorSite] = {}
    for feature in model.sensors:
        props = feature.properties
        lat, lon = feature.geometry.lat, feature.geometry.lon
        x, y = frame.to_xy(lat, lon)
        # Grid convergence from a point 1 km due north: bearings are true, the frame is a grid.
        xn, yn = frame.to_xy(lat + 1000.0 / 111_320.0, lon)
        convergence = math.atan2(float(xn - x), float(yn - y))
        sr = getattr(props, "sigma_range_m", None)
        sb = getattr(props, "sigma_bearing_deg", None)
        sites[props.id] = SensorSite(float(x), float(y), convergence, float(LocalFrame.scale_factor(x)), sr, sb)
    return sites


@dataclass
class DetectionBatch:
    """n detections sorted by time, as arrays."""

    time: FloatArray  # (n,)
    z: FloatArray  # (n,2) position in the frame
    r: FloatArray  # (n,2,2) position covariance
    class_index: IntArray  # (n,) index into CLASSES, -1 for unknown
    class_conf: FloatArray  # (n,)
    velocity: FloatArray  # (n,2) reported velocity, NaN when not reported
    sensor_code: IntArray  # (n,) small integer per sensor id, stable for one tracker (the caller's sensor_codes)

    @property
    def size(self) -> int:
        return int(self.time.size)

    def take(self, index: IntArray | npt.NDArray[np.bool_] | slice) -> DetectionBatch:
        """A sub-batch: by indices, a mask, or a slice (views, no copies)."""
        idx = np.flatnonzero(index) if isinstance(index, np.ndarray) and index.dtype == np.bool_ else index
        return DetectionBatch(
            self.time[idx],
            self.z[idx],
            self.r[idx],
            self.class_index[idx],
            self.class_conf[idx],
            self.velocity[idx],
            self.sensor_code[idx],
        )


# The fields of a Detection read column by column, each in one C-level pass (per-record tuples cost
# more, mostly in the garbage collector's passes over them); the position fields only over the
# detections that use them (cartesian or polar).
_COLUMNS = tuple(
    attrgetter(name) for name in ("time", "lat", "object_class", "class_conf", "sensor_id", "speed_mps", "heading_deg")
)
_CARTESIAN = (attrgetter("lon"), attrgetter("sigma_m"))
_POLAR = tuple(attrgetter(name) for name in ("range_m", "bearing_deg", "sigma_range_m", "sigma_bearing_deg"))


def _floats(values: Sequence[float | None]) -> FloatArray:
    """A column of optional floats as an array, None as NaN."""
    return np.array(values, dtype=np.float64)


def _first_set(first: FloatArray, second: FloatArray, default: float) -> FloatArray:
    """Elementwise `first or second or default` over columns where NaN stands for absent."""
    out = np.where(np.isnan(first) | (first == 0.0), second, first)
    return np.where(np.isnan(out) | (out == 0.0), default, out)


def to_batch(
    detections: Sequence[Detection],
    frame: LocalFrame,
    sites: dict[str, SensorSite],
    params: TrackerParams,
    skipped: Counter[str],
    sensor_codes: dict[str, int],
) -> DetectionBatch:
    """Detections (any order) as a time-sorted batch; unplaceable ones are counted in `skipped`."""
    n = len(detections)
    if n == 0:
        return DetectionBatch(
            np.empty(0), np.empty((0, 2)), np.empty((0, 2, 2)), np.empty(0, np.int64), np.empty(0),
            np.empty((0, 2)), np.empty(0, np.int64),
        )  # fmt: skip
    times, lats, classes, confs, sensor_ids, speeds, headings = (list(map(column, detections)) for column in _COLUMNS)
    polar = np.fromiter(map(operator.is_, lats, repeat(None)), dtype=bool, count=n)
    # Every record's sensor as a small local number, in order of first appearance.
    local_names = list(dict.fromkeys(sensor_ids))
    local_number = {name: k for k, name in enumerate(local_names)}
    sensor_local = np.fromiter(map(local_number.__getitem__, sensor_ids), dtype=np.int64, count=n)
    time = _floats(times)
    z = np.full((n, 2), np.nan)
    r = np.zeros((n, 2, 2))
    ok = np.ones(n, bool)

    cart = np.flatnonzero(~polar)
    if cart.size:
        cart_records = detections if cart.size == n else [detections[i] for i in cart.tolist()]
        lons, sigmas = (list(map(column, cart_records)) for column in _CARTESIAN)
        x, y = frame.to_xy(_floats(lats)[cart], _floats(lons))
        z[cart, 0], z[cart, 1] = x, y
        sigma = _floats(sigmas)
        # As `sigma_m or default`: absent or zero takes the default.
        sigma = np.where(np.isnan(sigma) | (sigma == 0.0), params.default_sigma_m, sigma)
        r[cart, 0, 0] = r[cart, 1, 1] = sigma * sigma

    pol = np.flatnonzero(polar)
    if pol.size:
        # Sites looked up once per sensor, then spread to its detections by index.
        site_of = [sites.get(name) for name in local_names]
        which = sensor_local[pol]
        known = np.array([site is not None for site in site_of], dtype=bool)[which]
        if not known.all():
            skipped["unknown_sensor_polar"] += int((~known).sum())
            ok[pol[~known]] = False
        idx = pol[known]
        if idx.size:
            polar_records = detections if idx.size == n else [detections[i] for i in idx.tolist()]
            ranges, bearings, sigma_ranges, sigma_bearings = (list(map(column, polar_records)) for column in _POLAR)
            which = which[known]
            site_rows = [site for site in site_of if site is not None]
            at = np.cumsum([site is not None for site in site_of]) - 1  # index among the known sites
            site_table = np.array(
                [
                    (
                        site.x,
                        site.y,
                        site.convergence_rad,
                        site.scale,
                        site.sigma_range_m or np.nan,
                        site.sigma_bearing_deg or np.nan,
                    )
                    for site in site_rows
                ],
                dtype=np.float64,
            )[at[which]]
            sx, sy, conv, scale = site_table[:, 0], site_table[:, 1], site_table[:, 2], site_table[:, 3]
            # As `detection's or site's or the default`: absent (NaN here) or zero falls through.
            sr = _first_set(_floats(sigma_ranges), site_table[:, 4], params.default_sigma_range_m)
            sb = np.radians(_first_set(_floats(sigma_bearings), site_table[:, 5], params.default_sigma_bearing_deg))
            # An absent or NaN range or bearing leaves the detection unplaceable (counted below).
            rng = _floats(ranges)
            brg = np.radians(_floats(bearings))
            theta = brg + conv
            u = np.column_stack([np.sin(theta), np.cos(theta)])  # along the beam
            w = np.column_stack([np.cos(theta), -np.sin(theta)])  # across it
            z[idx] = np.column_stack([sx, sy]) + (rng * scale)[:, None] * u
            across = (rng * scale * sb) ** 2
            r[idx] = (sr * sr)[:, None, None] * u[:, :, None] * u[:, None, :] + across[:, None, None] * (
                w[:, :, None] * w[:, None, :]
            )
            # A beam seen end-on still has some cross-range spread: keep R invertible.
            r[idx, 0, 0] += 1.0
            r[idx, 1, 1] += 1.0

    bad = ~np.isfinite(z).all(axis=1) | ~np.isfinite(time)
    if np.any(bad & ok):
        skipped["unplaceable"] += int((bad & ok).sum())
    ok &= ~bad
    keep = np.flatnonzero(ok)
    keep = keep[np.argsort(time[keep], kind="stable")]
    cls = np.fromiter(map(CLASS_INDEX.get, classes, repeat(-1)), dtype=np.int64, count=n)[keep]
    conf = _floats(confs)[keep]
    speed, heading = _floats(speeds)[keep], np.radians(_floats(headings)[keep])
    # Not reported (None, NaN here) in either field: no velocity.
    velocity = np.column_stack([speed * np.sin(heading), speed * np.cos(heading)])
    # The tracker's codes: sensors new to it are numbered in the order they first report in time.
    local = sensor_local[keep]
    present, first = np.unique(local, return_index=True)
    code_of = np.zeros(len(local_names), dtype=np.int64)
    for k in present[np.argsort(first, kind="stable")].tolist():
        code_of[k] = sensor_codes.setdefault(local_names[k], len(sensor_codes))
    codes = code_of[local]
    return DetectionBatch(time[keep], z[keep], r[keep], cls, conf, velocity, codes)
