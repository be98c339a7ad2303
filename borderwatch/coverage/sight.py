"""Which points an observer sees: over a DEM, or over a smooth earth when there is none.

Lives here: the `SightModel` interface (visibility of many (lat, lon) points from one
observer) and its two implementations, `DemSight` (viewshed on the DEM window around the
observer) and `SmoothEarthSight` (curvature and refraction only); and `write_observer_viewshed`,
one observer's visibility GeoTIFF (the gdal_viewshed contract). May import NumPy, rasterio and
the rest of borderwatch.coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import rasterio
from affine import Affine

from borderwatch.coverage.dem import Dem, DemError
from borderwatch.coverage.observers import Observer
from borderwatch.coverage.viewshed import (
    OPTICAL_REFRACTION,
    OUT_OF_RANGE,
    VISIBLE,
    SightParams,
    UInt8Array,
    curvature_coefficient,
    viewshed,
)
from borderwatch.geo.geodesy import EARTH_RADIUS_M, azimuth_deg, distance_m

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TargetPoints:
    """Points to test (border km samples, strip cells), with their DEM cells worked out once."""

    lat: FloatArray
    lon: FloatArray
    row: IntArray  # -1 where outside the DEM (or no DEM)
    col: IntArray

    def __len__(self) -> int:
        return int(self.lat.size)


class SightModel(Protocol):
    """Visibility of target points from one observer, for a target `target_height_m` tall."""

    description: str

    def prepare(self, lat: FloatArray, lon: FloatArray) -> TargetPoints: ...

    def visible(self, observer: Observer, target_height_m: float, points: TargetPoints) -> BoolArray: ...

    def unknown(self, points: TargetPoints) -> BoolArray:
        """Points whose visibility cannot be known (DEM holes)."""
        ...


def _disc(observer: Observer, points: TargetPoints) -> tuple[BoolArray, FloatArray]:
    """Points within the observer's range and field of view, and all distances."""
    # A cheap box first: geodesic distances to a million strip cells per observer would dominate.
    reach_lat = observer.range_m / 110_000.0 + 1e-4
    reach_lon = reach_lat / max(np.cos(np.radians(abs(observer.lat) + reach_lat)), 1e-6)
    near = np.flatnonzero(
        (np.abs(points.lat - observer.lat) <= reach_lat) & (np.abs(points.lon - observer.lon) <= reach_lon)
    )
    dist = np.full(len(points), np.inf)
    dist[near] = distance_m(observer.lat, observer.lon, points.lat[near], points.lon[near])
    inside = dist <= observer.range_m
    if observer.fov_deg < 360.0:
        az = azimuth_deg(observer.lat, observer.lon, points.lat[near], points.lon[near])
        off_axis = np.abs((az - observer.pan_center_deg + 180.0) % 360.0 - 180.0)
        inside[near] &= (off_axis <= observer.fov_deg / 2.0) | (dist[near] < 1.0)
    return np.asarray(inside), dist


class SmoothEarthSight:
    """No DEM: a bare spheroid, with the radio or optical horizon as the only obstacle."""

    description = "smooth earth (curvature and refraction only, no terrain)"

    def prepare(self, lat: FloatArray, lon: FloatArray) -> TargetPoints:
        none = np.full(lat.size, -1, dtype=np.int64)
        return TargetPoints(np.asarray(lat, float), np.asarray(lon, float), none, none.copy())

    def visible(self, observer: Observer, target_height_m: float, points: TargetPoints) -> BoolArray:
        inside, dist = _disc(observer, points)
        if not observer.line_of_sight:
            return inside
        effective_radius = EARTH_RADIUS_M / curvature_coefficient(observer.refraction_k)
        horizon = np.sqrt(2.0 * effective_radius * observer.height_m) + np.sqrt(
            2.0 * effective_radius * target_height_m
        )
        return np.asarray(inside & (dist <= horizon))

    def unknown(self, points: TargetPoints) -> BoolArray:
        return np.zeros(len(points), dtype=bool)


class DemSight:
    """Terrain from a DEM: each observer's viewshed on the window its range covers."""

    def __init__(self, dem: Dem) -> None:
        self.dem = dem
        crs_name = dem.crs.name if dem.crs.name != "unknown" else "custom CRS"
        dx, dy = dem.cell_size_m(dem.shape[0] // 2, dem.shape[1] // 2)
        self.description = (
            f"DEM {dem.path.name} ({dem.shape[1]}x{dem.shape[0]} cells of {dx:.0f}x{dy:.0f} m, {crs_name})"
        )

    def prepare(self, lat: FloatArray, lon: FloatArray) -> TargetPoints:
        row_f, col_f = self.dem.rowcol(lat, lon)
        inside = self.dem.inside(row_f, col_f)
        row = np.where(inside, np.floor(np.nan_to_num(row_f, nan=-1.0)), -1).astype(np.int64)
        col = np.where(inside, np.floor(np.nan_to_num(col_f, nan=-1.0)), -1).astype(np.int64)
        return TargetPoints(np.asarray(lat, float), np.asarray(lon, float), row, col)

    def observer_cell(self, observer: Observer) -> tuple[int, int]:
        row_f, col_f = self.dem.rowcol([observer.lat], [observer.lon])
        if not self.dem.inside(row_f, col_f)[0]:
            raise DemError(
                f"sensor {observer.id!r}: at {observer.lat:.5f}, {observer.lon:.5f}, outside DEM {self.dem.path} "
                f"(covers lon {self.dem.bounds_lonlat()[0]:.3f} to {self.dem.bounds_lonlat()[2]:.3f}, "
                f"lat {self.dem.bounds_lonlat()[1]:.3f} to {self.dem.bounds_lonlat()[3]:.3f})"
            )
        return int(row_f[0]), int(col_f[0])

    def observer_viewshed(self, observer: Observer, target_height_m: float) -> tuple[UInt8Array, int, int]:
        """The observer's viewshed on its DEM window, and the window's (row_off, col_off)."""
        row, col = self.observer_cell(observer)
        window = self.dem.window(row, col, observer.range_m)
        if window.holes[row - window.row_off, col - window.col_off]:
            raise DemError(f"sensor {observer.id!r}: its DEM cell ({row}, {col}) is nodata; the eye height is unknown")
        dx, dy = self.dem.cell_size_m(row, col)
        params = SightParams(
            row=row - window.row_off,
            col=col - window.col_off,
            observer_height_m=observer.height_m,
            target_height_m=target_height_m,
            radius_m=observer.range_m,
            cell_dx_m=dx,
            cell_dy_m=dy,
            curvature_coeff=curvature_coefficient(observer.refraction_k),
            earth_radius_m=self.dem.semi_major_m,
            fov_deg=observer.fov_deg,
            pan_center_deg=observer.pan_center_deg,
        )
        seen = viewshed(window.elevation, params)
        seen[window.holes & (seen != OUT_OF_RANGE)] = OUT_OF_RANGE
        return seen, window.row_off, window.col_off

    def visible(self, observer: Observer, target_height_m: float, points: TargetPoints) -> BoolArray:
        if not observer.line_of_sight:
            inside, _ = _disc(observer, points)
            return inside
        seen, row_off, col_off = self.observer_viewshed(observer, target_height_m)
        r, c = points.row - row_off, points.col - col_off
        in_window = (points.row >= 0) & (r >= 0) & (c >= 0) & (r < seen.shape[0]) & (c < seen.shape[1])
        result = np.zeros(len(points), dtype=bool)
        result[in_window] = seen[r[in_window], c[in_window]] == VISIBLE
        return result

    def unknown(self, points: TargetPoints) -> BoolArray:
        """Points outside the DEM or on a nodata cell."""
        result = points.row < 0
        inside = ~result
        if inside.any():
            result[inside] = self.dem.holes_at(points.row[inside], points.col[inside])
        return result


def write_observer_viewshed(
    dem_path: str | Path,
    lat: float,
    lon: float,
    out: str | Path,
    height_m: float = 30.0,
    target_height_m: float = 1.7,
    radius_m: float = 15_000.0,
    refraction_k: float = OPTICAL_REFRACTION,
    fov_deg: float = 360.0,
    pan_center_deg: float = 0.0,
) -> UInt8Array:
    """One observer's visibility GeoTIFF on the DEM's own grid, the gdal_viewshed contract.

    The raster covers the DEM cells within the radius (aligned with the DEM), 1 visible, 0 hidden,
    255 (nodata) beyond the radius, outside the field of view or on DEM holes. Returns the array.
    """
    with Dem(dem_path) as dem:
        row_f, col_f = dem.rowcol([lat], [lon])
        if not dem.inside(row_f, col_f)[0]:
            west, south, east, north = dem.bounds_lonlat()
            raise DemError(
                f"observer {lat:.5f}, {lon:.5f}: outside DEM {dem.path} "
                f"(lon {west:.3f} to {east:.3f}, lat {south:.3f} to {north:.3f})"
            )
        row, col = int(row_f[0]), int(col_f[0])
        window = dem.window(row, col, radius_m)
        if window.holes[row - window.row_off, col - window.col_off]:
            raise DemError(f"observer {lat:.5f}, {lon:.5f}: DEM cell ({row}, {col}) is nodata")
        dx, dy = dem.cell_size_m(row, col)
        params = SightParams(
            row - window.row_off,
            col - window.col_off,
            height_m,
            target_height_m,
            radius_m,
            dx,
            dy,
            curvature_coefficient(refraction_k),
            dem.semi_major_m,
            fov_deg,
            pan_center_deg,
        )
        seen = viewshed(window.elevation, params)
        seen[window.holes] = OUT_OF_RANGE
        profile = {
            "driver": "GTiff",
            "width": seen.shape[1],
            "height": seen.shape[0],
            "count": 1,
            "dtype": "uint8",
            "crs": dem.crs.to_wkt(),
            "transform": dem.transform @ Affine.translation(window.col_off, window.row_off),
            "nodata": OUT_OF_RANGE,
            "compress": "deflate",
        }
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(seen, 1)
    return seen
