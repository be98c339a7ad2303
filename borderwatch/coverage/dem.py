"""Digital elevation models read from GeoTIFF (SRTM, Copernicus, generated), in any CRS.

Lives here: `Dem`, a read-only view of one raster band that answers "which cell is this
(lat, lon) in", "how many metres is a cell here" and "give me the elevations within R metres
of this cell, holes filled"; and `DemError` for every way a DEM can be unfit. May import
NumPy, pyproj, rasterio. Nothing here knows about sensors or borders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
from pyproj import CRS, Geod, Transformer
from rasterio.windows import Window
from scipy.ndimage import distance_transform_edt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PLAUSIBLE_ELEVATION_M = (-500.0, 9000.0)  # outside this the band is not metres above sea level
_GEOD = Geod(ellps="WGS84")


class DemError(ValueError):
    """A DEM that cannot give a right answer here: the message names the file and what is wrong."""


@dataclass(frozen=True)
class DemWindow:
    """Elevations of a rectangular block of the DEM, with where the holes were.

    `elevation` has holes filled from their neighbours so that a line of sight can cross them;
    `holes` says which cells were filled, so that results there are reported as unknown.
    """

    elevation: FloatArray
    holes: BoolArray
    row_off: int
    col_off: int

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.elevation.shape[0]), int(self.elevation.shape[1]))


class Dem:
    """One band of a GeoTIFF (or any raster GDAL reads) used as terrain height in metres."""

    def __init__(self, path: str | Path, band: int = 1) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise DemError(f"DEM {self.path}: no such file")
        try:
            self._dataset = rasterio.open(self.path)
        except rasterio.errors.RasterioIOError as exc:
            raise DemError(f"DEM {self.path}: not a raster GDAL can read ({exc})") from None
        ds = self._dataset
        if not 1 <= band <= ds.count:
            raise DemError(f"DEM {self.path}: band {band} does not exist (the file has {ds.count})")
        if ds.crs is None:
            raise DemError(f"DEM {self.path}: field crs: no coordinate reference system; assign one (gdal_edit -a_srs)")
        if not ds.transform.is_rectilinear:
            raise DemError(f"DEM {self.path}: field transform: rotated grids are not supported; warp it north-up first")
        self.band = band
        self.crs = CRS.from_user_input(ds.crs.to_wkt())
        self.transform = ds.transform
        self.shape = (int(ds.height), int(ds.width))
        self.nodata = ds.nodatavals[band - 1]
        self._to_crs = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        self._to_lonlat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        ellipsoid = self.crs.ellipsoid
        self.semi_major_m = float(ellipsoid.semi_major_metre) if ellipsoid is not None else 6_378_137.0

    def close(self) -> None:
        self._dataset.close()

    def __enter__(self) -> Dem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ geometry

    def rowcol(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Fractional (row, col) of points; whole parts index the cell, may lie outside the grid."""
        x, y = self._to_crs.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        col, row = ~self.transform @ (np.asarray(x), np.asarray(y))
        return np.asarray(row, dtype=np.float64), np.asarray(col, dtype=np.float64)

    def inside(self, row: FloatArray, col: FloatArray) -> BoolArray:
        return np.asarray(
            (row >= 0)
            & (col >= 0)
            & (row < self.shape[0])
            & (col < self.shape[1])
            & np.isfinite(row)
            & np.isfinite(col)
        )

    def cell_centre_xy(self, row: int, col: int) -> tuple[float, float]:
        x, y = self.transform @ (col + 0.5, row + 0.5)
        return float(x), float(y)

    def cell_size_m(self, row: int, col: int) -> tuple[float, float]:
        """Ground size (east, north) in metres of the cell at (row, col), measured on the ellipsoid."""
        x0, y0 = self.transform @ (col + 0.5, row + 0.5)
        x1, y1 = self.transform @ (col + 1.5, row + 0.5)
        x2, y2 = self.transform @ (col + 0.5, row + 1.5)
        lon, lat = self._to_lonlat.transform(np.array([x0, x1, x2]), np.array([y0, y1, y2]))
        if not np.all(np.isfinite(lon)):
            raise DemError(f"DEM {self.path}: cell ({row}, {col}) does not map to a place on earth; is the CRS right?")
        _, _, dist = _GEOD.inv(lon[[0, 0]], lat[[0, 0]], lon[[1, 2]], lat[[1, 2]])
        return float(dist[0]), float(dist[1])

    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the grid, densified edges."""
        rows = np.r_[
            np.zeros(40),
            np.linspace(0, self.shape[0], 40),
            np.full(40, self.shape[0]),
            np.linspace(self.shape[0], 0, 40),
        ]
        cols = np.r_[
            np.linspace(0, self.shape[1], 40),
            np.full(40, self.shape[1]),
            np.linspace(self.shape[1], 0, 40),
            np.zeros(40),
        ]
        x, y = self.transform @ (cols, rows)
        lon, lat = self._to_lonlat.transform(np.asarray(x), np.asarray(y))
        return float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat))

    # ------------------------------------------------------------ reading

    def window(self, row: int, col: int, radius_m: float) -> DemWindow:
        """Elevations of the cells within `radius_m` (a square around it) of cell (row, col), clipped to the grid."""
        if not (0 <= row < self.shape[0] and 0 <= col < self.shape[1]):
            raise DemError(f"DEM {self.path}: cell ({row}, {col}) is outside the {self.shape[0]}x{self.shape[1]} grid")
        dx, dy = self.cell_size_m(row, col)
        half_cols, half_rows = int(np.ceil(radius_m / dx)) + 1, int(np.ceil(radius_m / dy)) + 1
        r0, c0 = max(0, row - half_rows), max(0, col - half_cols)
        r1, c1 = min(self.shape[0], row + half_rows + 1), min(self.shape[1], col + half_cols + 1)
        return self.read(r0, c0, r1 - r0, c1 - c0)

    def holes_at(self, row: npt.NDArray[np.int64], col: npt.NDArray[np.int64], tile: int = 1024) -> BoolArray:
        """Whether each (row, col) cell (inside the grid) is nodata; reads the mask tile by tile."""
        result = np.zeros(row.size, dtype=bool)
        tile_id = (row // tile) * (self.shape[1] // tile + 1) + col // tile
        for tid in np.unique(tile_id):
            pick = tile_id == tid
            r0, c0 = int(row[pick].min()), int(col[pick].min())
            n_rows, n_cols = int(row[pick].max()) - r0 + 1, int(col[pick].max()) - c0 + 1
            mask = self._dataset.read_masks(self.band, window=Window(c0, r0, n_cols, n_rows))
            result[pick] = mask[row[pick] - r0, col[pick] - c0] == 0
        return result

    def read(self, row_off: int, col_off: int, n_rows: int, n_cols: int) -> DemWindow:
        raw = self._dataset.read(self.band, window=Window(col_off, row_off, n_cols, n_rows), masked=True)
        elevation = np.asarray(raw.astype(np.float64).filled(np.nan), dtype=np.float64)
        holes = ~np.isfinite(elevation)
        valid = elevation[~holes]
        if valid.size == 0:
            raise DemError(
                f"DEM {self.path}: rows {row_off}-{row_off + n_rows}, cols {col_off}-{col_off + n_cols} are all nodata"
            )
        low, high = float(valid.min()), float(valid.max())
        if low < PLAUSIBLE_ELEVATION_M[0] or high > PLAUSIBLE_ELEVATION_M[1]:
            raise DemError(
                f"DEM {self.path}: band {self.band} holds {low:.0f} to {high:.0f}, not metres above sea level "
                f"(expected {PLAUSIBLE_ELEVATION_M[0]:.0f} to {PLAUSIBLE_ELEVATION_M[1]:.0f}); "
                "feet, a wrong band, or an unset nodata value?"
            )
        if holes.any():
            # Fill from the surrounding terrain so sight lines cross a hole as they would the ground
            # around it; the caller reports the hole cells themselves as unknown.
            # Nearest valid cell, via the distance transform: linear time even for big holes.
            _, (near_row, near_col) = distance_transform_edt(holes, return_indices=True)
            elevation = elevation[near_row, near_col]
        return DemWindow(elevation, holes, row_off, col_off)
