"""Border coverage: which km markers, and which cells of the strip, the sensors see.

Lives here: `assess_coverage` (every observer's sight of km samples along each border line and
of the cells of a strip either side of it), `CoverageResult` with its per-sector table and its
gaps. A km sample is seen when the border line itself is visible there: the place a crosser
must pass. May import borderwatch.geo, NumPy, shapely and rasterio (rasterize only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine
from rasterio.features import rasterize

from borderwatch.coverage.dem import DemError
from borderwatch.coverage.observers import TARGET_HEIGHT_M, Observer, TargetClass, observers_for
from borderwatch.coverage.sight import SightModel
from borderwatch.geo.config import SensorFeature
from borderwatch.geo.model import BorderModel

FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.uint16]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[int, int, str], None]  # (done, total, observer id)

M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True)
class Gap:
    """A stretch of border line [start_km, end_km) that fewer than `min_sensors` sensors see."""

    border: str
    start_km: float
    end_km: float
    sectors: tuple[str, ...]
    min_sensors: int = 1

    @property
    def length_km(self) -> float:
        return self.end_km - self.start_km


@dataclass(frozen=True)
class LineCoverage:
    """Sensor counts at km samples (bin centres, `step_km` apart) along one border line."""

    border: str
    km: FloatArray
    step_km: float
    count: CountArray
    unknown: BoolArray  # on a DEM hole: neither seen nor unseen

    def seen_km(self, min_sensors: int = 1, mask: BoolArray | None = None) -> float:
        hit = (self.count >= min_sensors) & ~self.unknown
        if mask is not None:
            hit &= mask
        return float(hit.sum() * self.step_km)


@dataclass(frozen=True)
class StripRaster:
    """Sensor counts on a lon/lat grid (EPSG:4326) over the strip; 0 outside it, `inside` says where."""

    count: npt.NDArray[np.uint8]
    inside: BoolArray
    unknown: BoolArray
    transform: Affine
    crs: str = "EPSG:4326"

    def seen_fraction(self, min_sensors: int = 1) -> float:
        known = self.inside & ~self.unknown
        return float(((self.count >= min_sensors) & known).sum() / max(int(known.sum()), 1))


@dataclass(frozen=True)
class SectorCoverage:
    sector: str
    name: str
    border: str
    length_km: float
    seen1_km: float
    seen2_km: float
    unknown_km: float


@dataclass
class CoverageResult:
    """Everything one coverage run found, for one target class."""

    target_class: TargetClass
    sight: str
    strip_width_m: float
    observers: list[Observer]
    lines: dict[str, LineCoverage]
    strip: StripRaster | None
    model: BorderModel = field(repr=False)

    def sectors(self) -> list[SectorCoverage]:
        rows = []
        for sector in self.model.sectors:
            line = self.lines[sector.border]
            mask = (line.km >= sector.start_km) & (line.km < sector.end_km)
            rows.append(
                SectorCoverage(
                    sector.id,
                    sector.name,
                    sector.border,
                    sector.length_km,
                    min(line.seen_km(1, mask), sector.length_km),  # bins straddling the sector's ends
                    min(line.seen_km(2, mask), sector.length_km),
                    min(float((line.unknown & mask).sum() * line.step_km), sector.length_km),
                )
            )
        return rows

    def gaps(self, min_sensors: int = 1, min_length_km: float = 0.0) -> list[Gap]:
        """Stretches seen by fewer than `min_sensors`, longest first (DEM holes are not gaps)."""
        found: list[Gap] = []
        for border, line in self.lines.items():
            short = (line.count < min_sensors) & ~line.unknown
            edges = np.flatnonzero(np.diff(np.r_[0, short.astype(np.int8), 0]))
            for start, stop in zip(edges[::2], edges[1::2], strict=True):
                start_km = max(float(line.km[start] - line.step_km / 2), 0.0)
                end_km = min(float(line.km[stop - 1] + line.step_km / 2), self.model.borders[border].length_km)
                if end_km - start_km < min_length_km:
                    continue
                sectors = tuple(
                    s.id
                    for s in self.model.sectors
                    if s.border == border and s.start_km < end_km and s.end_km > start_km
                )
                found.append(Gap(border, start_km, end_km, sectors, min_sensors))
        return sorted(found, key=lambda g: (-g.length_km, g.border, g.start_km))


def line_samples(model: BorderModel, step_m: float) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    """(km, lat, lon) of sample points at the centres of `step_m` bins along every border line."""
    samples = {}
    for border, line in model.borders.items():
        step_km = step_m / 1000.0
        km = np.arange(step_km / 2.0, line.length_km, step_km)
        lat, lon = line.point_at(km)
        samples[border] = (km, lat, lon)
    return samples


def strip_grid(model: BorderModel, width_m: float, cell_m: float) -> tuple[BoolArray, Affine]:
    """Cells (EPSG:4326 grid about `cell_m` square) within width_m / 2 of any border line."""
    polygons = []
    for line in model.borders.values():
        x, y = line.frame.to_xy(line.lat, line.lon)
        band = shapely.LineString(np.column_stack([x, y])).buffer(width_m / 2.0, quad_segs=8)
        ring_lat, ring_lon = line.frame.to_latlon(*np.asarray(band.exterior.coords).T)
        polygons.append(shapely.Polygon(np.column_stack([ring_lon, ring_lat])))
    strip = shapely.union_all(polygons)
    min_lon, min_lat, max_lon, max_lat = strip.bounds
    dlat = cell_m / M_PER_DEG_LAT
    dlon = cell_m / (111_320.0 * np.cos(np.radians((min_lat + max_lat) / 2.0)))
    width = int(np.ceil((max_lon - min_lon) / dlon))
    height = int(np.ceil((max_lat - min_lat) / dlat))
    transform = Affine(dlon, 0.0, min_lon, 0.0, -dlat, max_lat)
    inside = rasterize([strip], out_shape=(height, width), transform=transform, fill=0, default_value=1, dtype="uint8")
    return inside.astype(bool), transform


def _uncovered_ranges(km: FloatArray, bad: BoolArray, step_km: float) -> str:
    edges = np.flatnonzero(np.diff(np.r_[0, bad.astype(np.int8), 0]))
    spans = [
        f"{km[a] - step_km / 2:.1f}-{km[b - 1] + step_km / 2:.1f}" for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]
    return ", ".join(spans[:6]) + (f" and {len(spans) - 6} more" if len(spans) > 6 else "")


def assess_coverage(
    model: BorderModel,
    sight: SightModel,
    target_class: TargetClass = "person",
    strip_width_m: float = 20_000.0,
    step_m: float = 100.0,
    raster_cell_m: float | None = 100.0,
    extra_observers: list[Observer] | None = None,
    progress: Progress | None = None,
    sensors: Sequence[SensorFeature] | None = None,
) -> CoverageResult:
    """Count, for every km sample and strip cell, the sensors that see a `target_class` there.

    `sensors` replaces the model's own layout (an empty list: a bare border, for planning from scratch).
    Raises DemError when the DEM misses part of a border line (naming the km ranges) or a sensor;
    DEM holes on the line are reported as unknown km, never as seen or unseen.
    """
    if strip_width_m <= 0 or step_m <= 0:
        raise ValueError(f"strip_width_m ({strip_width_m}) and step_m ({step_m}) must be positive")
    target_height = TARGET_HEIGHT_M[target_class]
    observers = observers_for(model.sensors if sensors is None else sensors, target_class) + list(extra_observers or [])
    samples = line_samples(model, step_m)
    lat_parts = [s[1] for s in samples.values()]
    lon_parts = [s[2] for s in samples.values()]
    strip_inside: BoolArray | None = None
    strip_transform = Affine.identity()
    if raster_cell_m:
        strip_inside, strip_transform = strip_grid(model, strip_width_m, raster_cell_m)
        rows, cols = np.nonzero(strip_inside)
        lon_c = strip_transform.c + (cols + 0.5) * strip_transform.a
        lat_c = strip_transform.f + (rows + 0.5) * strip_transform.e
        lat_parts.append(np.asarray(lat_c, dtype=np.float64))
        lon_parts.append(np.asarray(lon_c, dtype=np.float64))
    points = sight.prepare(np.concatenate(lat_parts), np.concatenate(lon_parts))
    unknown = sight.unknown(points)
    outside = points.row < 0 if hasattr(points, "row") else np.zeros(len(points), bool)
    offset = 0
    for border, (km, _, _) in samples.items():
        sl = slice(offset, offset + km.size)
        if _is_dem(sight) and outside[sl].any():
            missing = _uncovered_ranges(km, outside[sl], step_m / 1000)
            raise DemError(
                f"{sight.description} does not cover border {border!r} at km {missing}; "
                "supply a DEM that covers the whole line (or check its CRS)"
            )
        offset += km.size
    count = np.zeros(len(points), dtype=np.uint16)
    for i, observer in enumerate(observers):
        count += sight.visible(observer, target_height, points)
        if progress:
            progress(i + 1, len(observers), observer.id)
    count[unknown] = 0
    lines: dict[str, LineCoverage] = {}
    offset = 0
    for border, (km, _, _) in samples.items():
        sl = slice(offset, offset + km.size)
        lines[border] = LineCoverage(border, km, step_m / 1000.0, count[sl].copy(), unknown[sl].copy())
        offset += km.size
    strip = None
    if strip_inside is not None:
        grid_count = np.zeros(strip_inside.shape, dtype=np.uint8)
        grid_unknown = np.zeros(strip_inside.shape, dtype=bool)
        grid_count[strip_inside] = np.minimum(count[offset:], 254).astype(np.uint8)
        grid_unknown[strip_inside] = unknown[offset:]
        strip = StripRaster(grid_count, strip_inside, grid_unknown, strip_transform)
    return CoverageResult(target_class, sight.description, strip_width_m, observers, lines, strip, model)


def _is_dem(sight: SightModel) -> bool:
    from borderwatch.coverage.sight import DemSight

    return isinstance(sight, DemSight)
