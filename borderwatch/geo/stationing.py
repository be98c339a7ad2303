"""Stationing along one border line: km markers, signed offsets and sides.

A border line runs from km 0 at its first vertex to its geodesic length at its last. A point
is located by its nearest point on the line: the km marker there, the signed offset (metres,
positive on the home side) and the side (home or neighbour). Everything is vectorised over
arrays of points, because fusion locates every track update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from borderwatch.geo.geodesy import GEOD, ArrayLike, FloatArray, LocalFrame

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
        x, y = self.frame.to_xy(lat, lon)
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        seg, frac = self._nearest_segment(x, y)
        start, end = self._xy[seg], self._xy[seg + 1]
        direction = end - start
        foot = start + frac[:, None] * direction
        dx, dy = x - foot[:, 0], y - foot[:, 1]
        tangent = self._side_tangent(seg, frac)
        cross = tangent[:, 0] * dy - tangent[:, 1] * dx
        left = cross > 0.0
        home = left if self.home_side == "left" else ~left
        plane_offset = np.hypot(dx, dy) / LocalFrame.scale_factor(foot[:, 0])
        offset = np.where(home, plane_offset, -plane_offset)
        metres = self.vertex_m[seg] + frac * (self.vertex_m[seg + 1] - self.vertex_m[seg])
        near_lat, near_lon = self.frame.to_latlon(foot[:, 0], foot[:, 1])
        return Stations(
            km=metres / 1000.0,
            offset_m=offset,
            nearest_lat=np.atleast_1d(near_lat),
            nearest_lon=np.atleast_1d(near_lon),
        )

    def _side_tangent(self, seg: npt.NDArray[np.intp], frac: FloatArray) -> FloatArray:
        """Direction against which a point's side is judged.

        Inside a segment it is the segment's direction; where the nearest point is a vertex,
        the sum of the two unit directions meeting there, so that points off a sharp corner
        fall on the correct side.
        """
        unit = self._unit_dir
        tangent = unit[seg].copy()
        last = len(unit) - 1
        at_start = (frac <= 0.0) & (seg > 0)
        at_end = (frac >= 1.0) & (seg < last)
        tangent[at_start] += unit[seg[at_start] - 1]
        tangent[at_end] += unit[seg[at_end] + 1]
        return tangent

    def _nearest_segment(self, x: FloatArray, y: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Index of the nearest segment and the fraction along it, for plane points.

        Candidates are the segments touching the k nearest vertices (k-d tree); with vertices
        at most MAX_SEGMENT_M apart the nearest segment is always among them.
        """
        k = min(CANDIDATE_VERTICES, len(self.lon))
        _, vertex = self._tree.query(np.column_stack([x, y]), k=k)
        vertex = vertex.reshape(len(x), k)
        last_segment = len(self.lon) - 2
        candidates = np.concatenate([np.clip(vertex - 1, 0, last_segment), np.clip(vertex, 0, last_segment)], axis=1)
        start = self._xy[candidates]
        direction = self._xy[candidates + 1] - start
        length2 = np.maximum(np.einsum("nkd,nkd->nk", direction, direction), 1e-12)
        rel = np.stack([x[:, None] - start[..., 0], y[:, None] - start[..., 1]], axis=-1)
        frac = np.clip(np.einsum("nkd,nkd->nk", rel, direction) / length2, 0.0, 1.0)
        foot = start + frac[..., None] * direction
        dist2 = (x[:, None] - foot[..., 0]) ** 2 + (y[:, None] - foot[..., 1]) ** 2
        best = np.argmin(dist2, axis=1)
        rows = np.arange(len(x))
        return candidates[rows, best], frac[rows, best]

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
