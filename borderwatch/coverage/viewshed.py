"""Line of sight from one observer over a DEM window: the viewshed kernel.

Lives here: the single-scan viewshed of Wang et al. (2000) as GDAL implements it ("edge"
cell mode: each cell's horizon height is interpolated from the two neighbours nearer the
observer that were already processed), with earth curvature and refraction, a range limit
and a field-of-view limit. Compiled with numba because each cell depends on its neighbour in
the same row; the surrounding work is NumPy. May import NumPy and numba only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

VISIBLE = 1
HIDDEN = 0
OUT_OF_RANGE = 255  # also the nodata value of every visibility raster we write
WGS84_SEMI_MAJOR_M = 6_378_137.0
OPTICAL_REFRACTION = 0.13  # coefficient k for visible and thermal light
RADAR_REFRACTION = 0.25  # k for radar: the "4/3 earth" model

UInt8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]


def curvature_coefficient(refraction_k: float) -> float:
    """GDAL's -cc for a refraction coefficient k: the drop is (1 - k) * d^2 / (2 R)."""
    return 1.0 - refraction_k


@dataclass(frozen=True)
class SightParams:
    """Everything about one observer that the kernel needs, in the window's pixel frame.

    `row`, `col`: the observer's cell in the window; `cell_dx_m`, `cell_dy_m`: the ground size of
    a cell in metres (they differ on geographic grids); `azimuth_*`: limit to a field of view,
    degrees clockwise from grid north (None for all round).
    """

    row: int
    col: int
    observer_height_m: float
    target_height_m: float
    radius_m: float
    cell_dx_m: float
    cell_dy_m: float
    curvature_coeff: float = 1.0 - OPTICAL_REFRACTION
    earth_radius_m: float = WGS84_SEMI_MAJOR_M
    fov_deg: float = 360.0
    pan_center_deg: float = 0.0


@numba.njit(cache=True, fastmath=False)
def _horizon_edge(i: int, j: int, za: float, zb: float) -> float:
    """Height on the sight plane at offset (i, j) (i < j) through two processed neighbours."""
    return (za * i + zb * (j - i)) / (j - 1)


@numba.njit(cache=True, fastmath=False)
def _sweep(h: FloatArray, r0: int, c0: int, target: float, out: UInt8Array) -> None:
    """Visibility of every cell of `h` (heights relative to the observer's eye, curvature applied).

    Rows are processed outward from the observer's row, each row outward from the observer's
    column, so the two neighbours nearer the observer are always final. `h` becomes the
    horizon height (max of terrain and sight line) as it goes.
    """
    n_rows, n_cols = h.shape
    out[r0, c0] = VISIBLE
    # The observer's own row: a straight line outward.
    for step in (-1, 1):
        c = c0 + step
        if 0 <= c < n_cols:
            out[r0, c] = VISIBLE
        c = c0 + 2 * step
        while 0 <= c < n_cols:
            d = abs(c - c0)
            z = h[r0, c - step] * d / (d - 1)
            out[r0, c] = HIDDEN if h[r0, c] + target < z else VISIBLE
            if z > h[r0, c]:
                h[r0, c] = z
            c += step
    for direction in (-1, 1):
        r = r0 + direction
        while 0 <= r < n_rows:
            dy = abs(r - r0)
            prev = r - direction
            z = h[r, c0] if dy == 1 else h[prev, c0] * dy / (dy - 1)
            out[r, c0] = HIDDEN if h[r, c0] + target < z else VISIBLE
            if z > h[r, c0]:
                h[r, c0] = z
            for step in (-1, 1):
                c = c0 + step
                while 0 <= c < n_cols:
                    dx = abs(c - c0)
                    if dx == dy:
                        z = h[r, c] if dx == 1 else h[prev, c - step] * dx / (dx - 1)
                    elif dx > dy:
                        z = _horizon_edge(dy, dx, h[prev, c - step], h[r, c - step])
                    else:
                        z = _horizon_edge(dx, dy, h[prev, c - step], h[prev, c])
                    out[r, c] = HIDDEN if h[r, c] + target < z else VISIBLE
                    if z > h[r, c]:
                        h[r, c] = z
                    c += step
            r += direction


def offsets_m(shape: tuple[int, int], params: SightParams) -> tuple[FloatArray, FloatArray]:
    """East and north ground offsets (metres) of every cell centre from the observer's cell."""
    east = (np.arange(shape[1]) - params.col) * params.cell_dx_m
    north = (params.row - np.arange(shape[0])) * params.cell_dy_m
    return np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64)


def viewshed(elevation: npt.NDArray[np.floating], params: SightParams) -> UInt8Array:
    """Visibility of each cell of `elevation` (metres, no holes) from the observer in `params`.

    Returns uint8: VISIBLE, HIDDEN, or OUT_OF_RANGE beyond the radius or outside the field of view.
    """
    n_rows, n_cols = elevation.shape
    if not (0 <= params.row < n_rows and 0 <= params.col < n_cols):
        raise ValueError(f"observer cell ({params.row}, {params.col}) is outside the {n_rows}x{n_cols} window")
    east, north = offsets_m((n_rows, n_cols), params)
    r2 = north[:, None] ** 2 + east[None, :] ** 2
    eye = float(elevation[params.row, params.col]) + params.observer_height_m
    drop = params.curvature_coeff / (2.0 * params.earth_radius_m)
    h = np.asarray(elevation, dtype=np.float64) - eye - drop * r2
    out = np.empty((n_rows, n_cols), dtype=np.uint8)
    _sweep(h, params.row, params.col, params.target_height_m, out)
    outside = r2 > params.radius_m**2
    if params.fov_deg < 360.0:
        azimuth = np.degrees(np.arctan2(east[None, :], north[:, None])) % 360.0
        off_axis = np.abs((azimuth - params.pan_center_deg + 180.0) % 360.0 - 180.0)
        outside |= off_axis > params.fov_deg / 2.0
        outside[params.row, params.col] = False
    out[outside] = OUT_OF_RANGE
    return out


def window_radius_cells(radius_m: float, cell_m: float) -> int:
    """How many cells either side of the observer a window needs to hold the radius."""
    return math.ceil(radius_m / cell_m) + 1
