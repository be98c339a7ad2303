"""Towers do not see through terrain when the simulator is given a DEM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from borderwatch.geo.config import SensorFeature
from borderwatch.sensors.models import VEHICLE, Clutter, DetectionBatch, Snapshot, TowerCameras, offset_latlon
from borderwatch.sim.terrain import DemLineOfSight

LAT0, LON0 = 34.4, 41.0
CELL_DEG = 0.0003


def ridge_dem(path: Path) -> None:
    """Flat ground at 200 m with a 150 m ridge running north-south 1 km east of (LAT0, LON0)."""
    n = 240
    west, north = LON0 - n / 2 * CELL_DEG, LAT0 + n / 2 * CELL_DEG
    height = np.full((n, n), 200.0, dtype=np.float32)
    lon = west + (np.arange(n) + 0.5) * CELL_DEG
    east_m = (lon - LON0) * 111_320 * np.cos(np.radians(LAT0))
    height[:, (east_m > 900) & (east_m < 1100)] = 350.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=n,
        width=n,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(CELL_DEG, 0.0, west, 0.0, -CELL_DEG, north),
    ) as dst:
        dst.write(height, 1)


def test_a_ridge_hides_what_is_behind_it(tmp_path: Path) -> None:
    dem = tmp_path / "ridge.tif"
    ridge_dem(dem)
    tower = SensorFeature.model_validate(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [LON0, LAT0]},
            "properties": {
                "kind": "sensor",
                "sensor_type": "tower",
                "id": "cam-r",
                "height_m": 20.0,
                "ranges_m": {"person": 1000.0, "vehicle": 1000.0, "animal": 1000.0},
            },
        }
    )
    sight = DemLineOfSight(dem, [tower])
    east = np.array([-2000.0, 2000.0, 500.0])  # west in the open, east behind the ridge, east before it
    north = np.zeros(3)
    lat, lon = offset_latlon(np.full(3, LAT0), np.full(3, LON0), east, north)
    assert sight(np.zeros(3, np.int64), lat, lon).tolist() == [True, False, True]

    cameras = TowerCameras([tower], [0], Clutter(0.0, 0.0, 0.0), np.zeros(1), sight)
    snapshot = Snapshot(
        lat,
        lon,
        np.zeros(3),
        np.zeros(3),
        np.full(3, VEHICLE),
        np.ones(3, bool),
        lambda index, times: (lat[index], lon[index]),
    )
    rng = np.random.default_rng(3)
    batch = DetectionBatch.concat([cameras.observe(snapshot, float(k), 1.0, np.ones(1, bool), rng) for k in range(200)])
    seen = np.bincount(batch.truth, minlength=3)
    assert seen[0] > 0 and seen[2] > 0 and seen[1] == 0
