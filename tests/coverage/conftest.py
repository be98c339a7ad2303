"""Fixtures for the coverage planner: small generated DEMs written once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from borderwatch.coverage.terrain import write_terrain_geotiff

# A 12 x 10 km patch over the Sinjar-like ridge and the plain south of it: real relief at 30 m.
SINJAR_BOX = (41.70, 36.28, 41.83, 36.37)


@pytest.fixture(scope="session")
def sinjar_dem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_terrain_geotiff(tmp_path_factory.mktemp("dem") / "sinjar30.tif", SINJAR_BOX, cell_m=30.0)


def write_array_dem(
    path: Path,
    elevation: np.ndarray,
    cell_m: float = 30.0,
    crs: str = "EPSG:32637",
    origin: tuple[float, float] = (500_000.0, 4_000_000.0),
    nodata: float | None = -9999.0,
) -> Path:
    """A DEM from an array (row 0 north), for terrain whose answer is known by geometry."""
    profile = {
        "driver": "GTiff",
        "width": elevation.shape[1],
        "height": elevation.shape[0],
        "count": 1,
        "dtype": "float32",
        "transform": from_origin(origin[0], origin[1], cell_m, cell_m),
        "nodata": nodata,
    }
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(elevation.astype(np.float32), 1)
    return path
