"""Terrain masking for the simulated tower cameras, from a DEM (the coverage planner's viewsheds).

An adapter: it gives the tower model a line-of-sight call backed by `coverage`'s DEM reader and
viewshed, computed once per tower when it is first needed. May import: NumPy, geo, coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from borderwatch.coverage.dem import Dem
from borderwatch.coverage.observers import Observer
from borderwatch.coverage.sight import DemSight
from borderwatch.coverage.viewshed import OUT_OF_RANGE, VISIBLE
from borderwatch.geo.config import SensorFeature, TowerProps
from borderwatch.sensors.models import TOWER_CUTOFF, BoolArray, FloatArray, IntArray

PERSON_HEIGHT_M = 1.7  # viewsheds are for a standing person; vehicles are barely taller


class DemLineOfSight:
    """`(tower, lat, lon) -> visible` over a DEM; points off the DEM or out of the window count as seen."""

    def __init__(self, dem_path: str | Path, towers: Sequence[SensorFeature]) -> None:
        self.dem = Dem(dem_path)
        self.sight = DemSight(self.dem)
        self.observers: list[Observer] = []
        for feature in towers:
            props = feature.properties
            assert isinstance(props, TowerProps)
            reach = max(props.ranges_m.person, props.ranges_m.vehicle, props.ranges_m.animal) * TOWER_CUTOFF
            self.observers.append(
                Observer(
                    props.id,
                    "tower",
                    feature.geometry.lat,
                    feature.geometry.lon,
                    props.height_m,
                    reach,
                    fov_deg=props.fov_deg,
                    pan_center_deg=props.pan_center_deg,
                )
            )
        self._views: dict[int, tuple[np.ndarray, int, int]] = {}

    def __call__(self, tower: IntArray, lat: FloatArray, lon: FloatArray) -> BoolArray:
        visible = np.ones(tower.size, dtype=bool)
        row_f, col_f = self.dem.rowcol(lat, lon)
        inside = self.dem.inside(row_f, col_f)
        for t in np.unique(tower).tolist():
            if t not in self._views:
                self._views[t] = self.sight.observer_viewshed(self.observers[t], PERSON_HEIGHT_M)
            seen, row_off, col_off = self._views[t]
            sel = np.flatnonzero((tower == t) & inside)
            r = np.floor(row_f[sel]).astype(np.int64) - row_off
            c = np.floor(col_f[sel]).astype(np.int64) - col_off
            ok = (r >= 0) & (c >= 0) & (r < seen.shape[0]) & (c < seen.shape[1])
            cell = seen[r[ok], c[ok]]
            visible[sel[ok]] = (cell == VISIBLE) | (cell == OUT_OF_RANGE)
        return visible
