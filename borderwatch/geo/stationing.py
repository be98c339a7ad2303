"""Stationing along one border line: km markers, signed offsets and sides.

A border line runs from km 0 at its first vertex to its geodesic length at its last. A point
is located by its nearest point on the line: the km marker there, the signed offset (metres,
positive on the home side) and the side (home or neighbour). Everything is vectorised over
arrays of points, because fusion locates every track update: a k-d tree picks the candidate
vertices, one compiled (numba) pass does the rest (nearest segment, foot, side, offset, km), since
NumPy's fixed cost per call dominated for the few dozen tracks of one batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

import numba
import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from borderwatch.geo.geodesy import EARTH_RADIUS_M, GEOD, ArrayLike, FloatArray, LocalFrame

Side = Literal["home", "neighbour"]
HomeSide = Literal["left", "right"]

# Geodesic segments longer than this are split so that interpolating in the local plane and
# along the ellipsoid agree to millimetres.
MAX_SEGMENT_M = 500.0
CANDIDATE_VERTICES = 6


@dataclass(frozen=True)
class Stations:
    """Vectorised result of locating points against one border line."""

    km: FloatArray
    offset_m: FloatArray  # signed: positive on the home side
    nearest_lat: FloatArray
    nearest_lon: FloatArray

    @property
    def on_home_side(self) -> npt.NDArray[np.bool_]:
        return self.offset_m >= 0.0


@dataclass(frozen=True)
class BorderLine:
    """One border line between the home country and a neighbour, with km markers.

    `coords` are (lon, lat) pairs; `home_side` says on which side of the line, walking from
    km 0 to the end, the home country lies.
    """

    id: str
    neighbour: str
    coords: tuple[tuple[float, float], ...]
    home_side: HomeSide
    lon: FloatArray = field(init=False, repr=False, compare=False)
    lat: FloatArray = field(init=False, repr=False, compare=False)
    vertex_m: FloatArray = field(init=False, repr=False, compare=False)
    frame: LocalFrame = field(init=False, repr=False, compare=False)
    _xy: FloatArray = field(init=False, repr=False, compare=False)
    _tree: cKDTree = field(init=False, repr=False, compare=False)
    _unit_dir: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.coords) < 2:
            raise ValueError(f"border line {self.id!r} needs at least two points")
        lon, lat = _densify(np.asarray(self.coords, dtype=np.float64))
        _, _, seg = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        frame = LocalFrame(float(np.mean(lat)), float(np.mean(lon)))
        x, y = frame.to_xy(lat, lon)
        xy = np.column_stack([x, y])
        for name, value in {
            "lon": lon,
            "lat": lat,
            "vertex_m": np.r_[0.0, np.cumsum(seg)],
            "frame": frame,
            "_xy": xy,
            "_tree": cKDTree(xy),
            "_unit_dir": _unit_directions(xy),
        }.items():
            object.__setattr__(self, name, value)

    @property
    def length_km(self) -> float:
        return float(self.vertex_m[-1]) / 1000.0

    def point_at(self, km: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(lat, lon) of km marker(s), interpolated along the geodesic segment."""
        metres = np.asarray(km, dtype=np.float64) * 1000.0
        if np.any(metres < -1e-6) or np.any(metres > self.vertex_m[-1] + 1e-6):
            raise ValueError(f"km outside border line {self.id!r} (0 to {self.length_km:.3f} km)")
        seg = np.clip(np.searchsorted(self.vertex_m, metres, side="right") - 1, 0, len(self.lon) - 2)
        az, _, _ = GEOD.inv(self.lon[seg], self.lat[seg], self.lon[seg + 1], self.lat[seg + 1])
        lon, lat, _ = GEOD.fwd(self.lon[seg], self.lat[seg], az, metres - self.vertex_m[seg])
        return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)

    def locate(self, lat: ArrayLike, lon: ArrayLike) -> Stations:
        """Km marker, signed offset and nearest line point for each (lat, lon)."""
        km, offset, foot_x, foot_y = self._station(lat, lon)
        near_lat, near_lon = self.frame.to_latlon(foot_x, foot_y)
        return Stations(
            km=km,
            offset_m=offset,
            nearest_lat=np.atleast_1d(near_lat),
            nearest_lon=np.atleast_1d(near_lon),
        )

    def km_offset(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Km marker and signed offset (metres, positive on the home side) for each (lat, lon)."""
        km, offset, _, _ = self._station(lat, lon)
        return km, offset

    def _station(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(km, signed offset, foot x, foot y) for each point.

        Candidates are the segments touching the k nearest vertices (k-d tree); with vertices at
        most MAX_SEGMENT_M apart the nearest segment is always among them.
        """
        x, y = self.frame.to_xy(lat, lon)
        x, y = np.atleast_1d(x).astype(np.float64), np.atleast_1d(y).astype(np.float64)
        k = min(CANDIDATE_VERTICES, len(self.lon))
        _, vertex = self._tree.query(np.column_stack([x, y]), k=k)
        vertex = np.asarray(vertex, dtype=np.int64).reshape(len(x), k)
        return _station_points(x, y, vertex, self._xy, self._unit_dir, self.vertex_m, self.home_side == "left")

    def offset_point(self, km: float, offset_m: float) -> tuple[float, float]:
        """(lat, lon) at km marker `km`, `offset_m` metres off the line (positive: home side)."""
        lat, lon = self.point_at(km)
        metres = km * 1000.0
        seg = int(np.clip(np.searchsorted(self.vertex_m, metres, side="right") - 1, 0, len(self.lon) - 2))
        az, _, _ = GEOD.inv(self.lon[seg], self.lat[seg], self.lon[seg + 1], self.lat[seg + 1])
        home_turn = -90.0 if self.home_side == "left" else 90.0
        lon2, lat2, _ = GEOD.fwd(lon, lat, az + home_turn, offset_m)
        return float(np.asarray(lat2).reshape(-1)[0]), float(np.asarray(lon2).reshape(-1)[0])

    def slice_coords(self, start_km: float, end_km: float, offset_m: float = 0.0) -> list[tuple[float, float]]:
        """(lon, lat) vertices of the stretch [start_km, end_km], shifted `offset_m` to the home side."""
        inner = self.vertex_m[(self.vertex_m > start_km * 1000.0) & (self.vertex_m < end_km * 1000.0)] / 1000.0
        kms = np.r_[start_km, inner, end_km]
        if offset_m == 0.0:
            lat, lon = self.point_at(kms)
            return list(zip(lon.tolist(), lat.tolist(), strict=True))
        points = [self.offset_point(float(k), offset_m) for k in kms]
        return [(lon, lat) for lat, lon in points]


@numba.njit(cache=True)
def _station_points(
    x: FloatArray,
    y: FloatArray,
    vertex: npt.NDArray[np.int64],
    line_xy: FloatArray,
    unit_dir: FloatArray,
    vertex_m: FloatArray,
    home_left: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    """Per point: the nearest of the segments touching its candidate vertices (the first of equals),
    the foot on it, the side and the signed offset in ground metres, and the km marker.

    The side is judged against the segment's direction inside it; where the foot is a vertex,
    against the sum of the two unit directions meeting there, so that points off a sharp corner
    fall on the correct side.
    """
    n, k = vertex.shape
    last_segment = line_xy.shape[0] - 2
    km = np.empty(n)
    offset = np.empty(n)
    foot_x = np.empty(n)
    foot_y = np.empty(n)
    for i in range(n):
        best_d2 = np.inf
        best_seg = -1
        best_frac = 0.0
        # Segments before and after each candidate vertex, in that order (ties keep the first).
        for half in range(2):
            for j in range(k):
                seg = vertex[i, j] - 1 + half
                seg = min(max(seg, 0), last_segment)
                sx, sy = line_xy[seg, 0], line_xy[seg, 1]
                dx, dy = line_xy[seg + 1, 0] - sx, line_xy[seg + 1, 1] - sy
                length2 = max(dx * dx + dy * dy, 1e-12)
                frac = min(max(((x[i] - sx) * dx + (y[i] - sy) * dy) / length2, 0.0), 1.0)
                fx, fy = sx + frac * dx, sy + frac * dy
                d2 = (x[i] - fx) ** 2 + (y[i] - fy) ** 2
                if d2 < best_d2 or best_seg < 0:
                    best_d2, best_seg, best_frac = d2, seg, frac
        seg, frac = best_seg, best_frac
        sx, sy = line_xy[seg, 0], line_xy[seg, 1]
        fx = sx + frac * (line_xy[seg + 1, 0] - sx)
        fy = sy + frac * (line_xy[seg + 1, 1] - sy)
        tx, ty = unit_dir[seg, 0], unit_dir[seg, 1]
        if frac <= 0.0 and seg > 0:
            tx += unit_dir[seg - 1, 0]
            ty += unit_dir[seg - 1, 1]
        elif frac >= 1.0 and seg < last_segment:
            tx += unit_dir[seg + 1, 0]
            ty += unit_dir[seg + 1, 1]
        dx, dy = x[i] - fx, y[i] - fy
        left = tx * dy - ty * dx > 0.0
        ratio = fx / EARTH_RADIUS_M
        ground = math.hypot(dx, dy) / (1.0 + 0.5 * ratio * ratio)
        offset[i] = ground if left == home_left else -ground
        km[i] = (vertex_m[seg] + frac * (vertex_m[seg + 1] - vertex_m[seg])) / 1000.0
        foot_x[i] = fx
        foot_y[i] = fy
    return km, offset, foot_x, foot_y


def _unit_directions(xy: FloatArray) -> FloatArray:
    direction = np.diff(xy, axis=0)
    norm = np.hypot(direction[:, 0], direction[:, 1])
    return np.asarray(direction / np.where(norm > 0, norm, 1.0)[:, None], dtype=np.float64)


def _densify(coords: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Split geodesic segments longer than MAX_SEGMENT_M; returns (lon, lat) arrays."""
    lon_out: list[float] = [float(coords[0, 0])]
    lat_out: list[float] = [float(coords[0, 1])]
    for (lon1, lat1), (lon2, lat2) in pairwise(coords):
        _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
        extra = int(np.ceil(dist / MAX_SEGMENT_M)) - 1
        if extra > 0:
            for lon, lat in GEOD.npts(lon1, lat1, lon2, lat2, extra):
                lon_out.append(lon)
                lat_out.append(lat)
        if dist > 0.0:
            lon_out.append(float(lon2))
            lat_out.append(float(lat2))
    return np.asarray(lon_out), np.asarray(lat_out)
