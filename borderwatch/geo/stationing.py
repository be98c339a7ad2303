"""Stationing along one border line: km markers, signed offsets and sides.

A border line runs from km 0 at its first vertex to its geodesic length at its last. A point
is located by its nearest point on the line: the km marker there, the signed offset (metres,
positive on the home side) and the side (home or neighbour). Everything is vectorised over
arrays of points, because fusion locates every track update: the frame's compiled projection, then
one compiled (numba) pass picks the candidate vertices from a grid over the line's vertices (the k
nearest, exactly) and does the rest (nearest segment, foot, side, offset, km), since the fixed cost
of k-d tree queries, pyproj and NumPy calls dominated for the few dozen tracks of one batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

import numba
import numpy as np
import numpy.typing as npt

from borderwatch.geo.geodesy import EARTH_RADIUS_M, GEOD, ArrayLike, FloatArray, LocalFrame

Side = Literal["home", "neighbour"]
HomeSide = Literal["left", "right"]

# Geodesic segments longer than this are split so that interpolating in the local plane and
# along the ellipsoid agree to millimetres.
MAX_SEGMENT_M = 500.0
CANDIDATE_VERTICES = 6
GRID_CELL_M = 4000.0  # cells of the vertex grid (at least; wider for very long lines, see _VertexGrid)


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
    _grid: _VertexGrid = field(init=False, repr=False, compare=False)
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
            "_grid": _VertexGrid.over(xy),
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

        Candidates are the segments touching the k nearest vertices; with vertices at most
        MAX_SEGMENT_M apart the nearest segment is always among them.
        """
        lat_a = np.ascontiguousarray(np.atleast_1d(np.asarray(lat, dtype=np.float64))).ravel()
        lon_a = np.ascontiguousarray(np.atleast_1d(np.asarray(lon, dtype=np.float64))).ravel()
        if lat_a.shape != lon_a.shape:
            lat_a, lon_a = (np.ascontiguousarray(v).ravel() for v in np.broadcast_arrays(lat_a, lon_a))
        # Projected here, not inside the compiled pass: numba's cache does not see changes in another module.
        x, y = self.frame.to_xy(lat_a, lon_a)
        g = self._grid
        return _locate_points(
            x, y, min(CANDIDATE_VERTICES, len(self.lon)), g.x0, g.y0, g.cell_m, g.nx, g.ny, g.start, g.vertex,
            self._xy, self._unit_dir, self.vertex_m, self.home_side == "left",
        )  # fmt: skip

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


@dataclass(frozen=True)
class _VertexGrid:
    """A line's vertices bucketed in square cells (compressed rows: cell c holds vertex[start[c]:start[c+1]])."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    start: npt.NDArray[np.int64]
    vertex: npt.NDArray[np.int64]

    @staticmethod
    def over(xy: FloatArray) -> _VertexGrid:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        cell = max(GRID_CELL_M, float((hi - lo).max()) / 512.0)  # at most 512 x 512 cells
        nx, ny = (np.floor((hi - lo) / cell).astype(np.int64) + 1).tolist()
        ix = np.minimum(((xy[:, 0] - lo[0]) / cell).astype(np.int64), nx - 1)
        iy = np.minimum(((xy[:, 1] - lo[1]) / cell).astype(np.int64), ny - 1)
        cell_of = ix * ny + iy
        order = np.argsort(cell_of, kind="stable")
        start = np.searchsorted(cell_of[order], np.arange(nx * ny + 1)).astype(np.int64)
        return _VertexGrid(float(lo[0]), float(lo[1]), cell, int(nx), int(ny), start, order.astype(np.int64))


@numba.njit(cache=True)
def _nearest_vertices(
    px: float,
    py: float,
    k: int,
    x0: float,
    y0: float,
    cell_m: float,
    nx: int,
    ny: int,
    start: npt.NDArray[np.int64],
    vertex: npt.NDArray[np.int64],
    line_xy: FloatArray,
    best: npt.NDArray[np.int64],
    best_d2: FloatArray,
) -> None:  # pragma: no cover - compiled
    """The k nearest vertices to (px, py), nearest first, into best (best_d2: their squared distances):
    rings of cells outward from the point's cell until no unvisited cell can hold a nearer vertex."""
    found = 0
    for j in range(k):
        best_d2[j] = np.inf
        best[j] = -1
    fx = (px - x0) / cell_m
    fy = (py - y0) / cell_m
    if not (np.isfinite(fx) and np.isfinite(fy)):
        for j in range(k):  # an unplaceable point: any vertices (its results are NaN anyway)
            best[j] = j
        return
    cx = math.floor(min(max(fx, -1e9), 1e9))
    cy = math.floor(min(max(fy, -1e9), 1e9))
    # Chebyshev distance (in cells) from the point's cell to the grid: rings nearer hold no cell.
    ring = max(0, -cx, cx - (nx - 1), -cy, cy - (ny - 1))
    last_ring = max(cx, nx - 1 - cx, cy, ny - 1 - cy)
    while ring <= last_ring:
        # Every vertex in a ring beyond this one is at least `ring` whole cells away.
        if found == k and best_d2[k - 1] <= (ring - 1) * cell_m * ((ring - 1) * cell_m) and ring > 1:
            break
        for ix in range(max(cx - ring, 0), min(cx + ring, nx - 1) + 1):
            edge_x = ix == cx - ring or ix == cx + ring
            iy = max(cy - ring, 0)
            while iy <= min(cy + ring, ny - 1):
                if edge_x or iy == cy - ring or iy == cy + ring:
                    c = ix * ny + iy
                    for m in range(start[c], start[c + 1]):
                        v = vertex[m]
                        d2 = (line_xy[v, 0] - px) ** 2 + (line_xy[v, 1] - py) ** 2
                        if d2 < best_d2[k - 1]:
                            j = k - 1
                            while j > 0 and best_d2[j - 1] > d2:
                                best_d2[j] = best_d2[j - 1]
                                best[j] = best[j - 1]
                                j -= 1
                            best_d2[j] = d2
                            best[j] = v
                            found = min(found + 1, k)
                    iy += 1
                else:
                    iy = cy + ring  # inner columns: only the ring's top and bottom cells
        ring += 1


@numba.njit(cache=True)
def _locate_points(
    x: FloatArray,
    y: FloatArray,
    k: int,
    x0: float,
    y0: float,
    cell_m: float,
    nx: int,
    ny: int,
    start: npt.NDArray[np.int64],
    vertex: npt.NDArray[np.int64],
    line_xy: FloatArray,
    unit_dir: FloatArray,
    vertex_m: FloatArray,
    home_left: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    """Find each point's k nearest vertices (points in the line's frame), station them."""
    n = x.size
    candidates = np.empty((n, k), np.int64)
    best = np.empty(k, np.int64)
    best_d2 = np.empty(k)
    for i in range(n):
        _nearest_vertices(x[i], y[i], k, x0, y0, cell_m, nx, ny, start, vertex, line_xy, best, best_d2)
        candidates[i] = best
    return _station_points(x, y, candidates, line_xy, unit_dir, vertex_m, home_left)


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
