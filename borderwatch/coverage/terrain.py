"""Generated terrain: a plausible Iraq–Syria surface for tests, demos and benchmarks.

Lives here: a deterministic elevation function of (lat, lon) — desert plateau sloping to the
Euphrates, incised wadis, a Sinjar-like ridge rising to about 1,460 m — and a writer that
samples it onto a GeoTIFF grid in any projected CRS. May import NumPy, pyproj, shapely, rasterio,
borderwatch.geo and coverage.observers. Not real terrain: real SRTM or Copernicus GeoTIFFs are
read unchanged by `dem.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
import shapely.prepared
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window

from borderwatch.coverage.observers import TARGET_CLASSES, observer_for
from borderwatch.geo.model import BorderModel

FloatArray = npt.NDArray[np.float64]
BLOCK = 256  # GeoTIFF tile edge; also the unit of sparse writing

# Plateau heights (lat, lon, metres) interpolated smoothly: the western desert near al-Tanf is
# high, the Euphrates at al-Qaim low, the Jazira plain in between.
CONTROL_POINTS: tuple[tuple[float, float, float], ...] = (
    (33.2, 38.6, 760.0),
    (33.8, 39.6, 620.0),
    (34.4, 40.9, 190.0),
    (34.5, 41.3, 160.0),
    (35.2, 40.9, 300.0),
    (35.6, 41.3, 320.0),
    (36.2, 41.5, 420.0),
    (36.8, 42.0, 380.0),
    (37.1, 42.4, 450.0),
)
SINJAR_PEAK_M = 1460.0
SINJAR_CENTRE = (36.37, 41.80)  # (lat, lon)
SINJAR_AZIMUTH_DEG = 100.0  # the ridge runs WNW-ESE
SINJAR_HALF_LENGTH_M = 36_000.0
SINJAR_HALF_WIDTH_M = 5_500.0
_REF_LAT, _REF_LON = 35.0, 40.5  # origin of the metric noise coordinates


def _hash_unit(ix: npt.NDArray[np.int64], iy: npt.NDArray[np.int64], seed: int) -> FloatArray:
    """A value in [-1, 1] for each integer lattice point, stable across runs and platforms."""
    with np.errstate(over="ignore"):  # wrapping multiplication is the point of a hash
        h = np.atleast_1d(ix).astype(np.uint64) * np.uint64(0x9E3779B1)
        h ^= np.atleast_1d(iy).astype(np.uint64) * np.uint64(0x85EBCA77)
        h ^= np.uint64((seed * 0x27D4EB2F + 0x165667B1) & 0xFFFFFFFFFFFFFFFF)
        h ^= h >> np.uint64(15)
        h *= np.uint64(0x2C1B3C6D)
        h ^= h >> np.uint64(12)
        h *= np.uint64(0x297A2D39)
        h ^= h >> np.uint64(15)
    h = h.reshape(np.shape(ix))
    return (h & np.uint64(0xFFFFFF)).astype(np.float64) / float(0xFFFFFF) * 2.0 - 1.0


def value_noise(x: FloatArray, y: FloatArray, wavelength_m: float, seed: int) -> FloatArray:
    """Smooth lattice noise in [-1, 1] with features about `wavelength_m` across."""
    u, v = x / wavelength_m, y / wavelength_m
    iu, iv = np.floor(u), np.floor(v)
    fu, fv = u - iu, v - iv
    su, sv = fu * fu * (3.0 - 2.0 * fu), fv * fv * (3.0 - 2.0 * fv)
    i0, j0 = iu.astype(np.int64), iv.astype(np.int64)
    a = _hash_unit(i0, j0, seed)
    b = _hash_unit(i0 + 1, j0, seed)
    c = _hash_unit(i0, j0 + 1, seed)
    d = _hash_unit(i0 + 1, j0 + 1, seed)
    return np.asarray(a + (b - a) * su + (c - a) * sv + (a - b - c + d) * su * sv, dtype=np.float64)


@dataclass(frozen=True)
class GeneratedTerrain:
    """Elevation (metres above sea level) as a pure function of (lat, lon); `seed` varies the details."""

    seed: int = 8
    wadi_depth_m: float = 45.0
    relief_m: float = 35.0

    def elevation(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        lat_a, lon_a = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        x = (lon_a - _REF_LON) * 111_320.0 * np.cos(np.radians(_REF_LAT))
        y = (lat_a - _REF_LAT) * 110_574.0
        z = self._plateau(lat_a, lon_a)
        # Gentle undulation of the plateau, then small relief that matters to a 30 m grid.
        for octave, (wavelength, weight) in enumerate(((9000.0, 1.0), (2500.0, 0.5), (700.0, 0.25), (180.0, 0.1))):
            z += self.relief_m * weight * value_noise(x, y, wavelength, self.seed + octave)
        # Wadis: narrow valleys where a warped noise field crosses zero.
        warp = 1500.0 * value_noise(x, y, 6000.0, self.seed + 11)
        channel = np.abs(value_noise(x + warp, y - warp, 14_000.0, self.seed + 12))
        z -= self.wadi_depth_m * np.clip(1.0 - channel / 0.06, 0.0, 1.0) ** 1.5
        z += self._sinjar(x, y, z)
        return z

    @staticmethod
    def _plateau(lat: FloatArray, lon: FloatArray) -> FloatArray:
        points = np.asarray(CONTROL_POINTS)
        d2 = (lat[..., None] - points[:, 0]) ** 2 + ((lon[..., None] - points[:, 1]) * 0.82) ** 2
        weights = 1.0 / (d2 + 0.02) ** 2  # inverse-distance weights, smoothed near the points
        return np.asarray((weights * points[:, 2]).sum(axis=-1) / weights.sum(axis=-1), dtype=np.float64)

    def _sinjar(self, x: FloatArray, y: FloatArray, base: FloatArray) -> FloatArray:
        cx = (SINJAR_CENTRE[1] - _REF_LON) * 111_320.0 * np.cos(np.radians(_REF_LAT))
        cy = (SINJAR_CENTRE[0] - _REF_LAT) * 110_574.0
        az = np.radians(SINJAR_AZIMUTH_DEG)
        along = (x - cx) * np.sin(az) + (y - cy) * np.cos(az)
        across = (x - cx) * np.cos(az) - (y - cy) * np.sin(az)
        profile = np.clip(1.0 - (along / SINJAR_HALF_LENGTH_M) ** 2, 0.0, 1.0) ** 1.5
        section = np.exp(-((across / SINJAR_HALF_WIDTH_M) ** 2))
        return np.asarray(np.maximum(SINJAR_PEAK_M - base, 0.0) * profile * section, dtype=np.float64)


def write_terrain_geotiff(
    path: str | Path,
    bounds_lonlat: tuple[float, float, float, float],
    cell_m: float = 30.0,
    crs: str | CRS | None = None,
    terrain: GeneratedTerrain | None = None,
    nodata: float = -32768.0,
    region: shapely.Geometry | None = None,
) -> Path:
    """Sample the generated terrain onto a north-up grid covering (min_lon, min_lat, max_lon, max_lat).

    The default CRS is a transverse Mercator centred on the box, so cells are square metres.
    Elevations are written as int16 metres, like SRTM, in 256-cell tiles; with a `region` (lon/lat)
    only the tiles touching it are computed and the rest stay nodata (a sparse file), so a long
    thin border strip does not cost its whole bounding box.
    """
    terrain = terrain or GeneratedTerrain()
    min_lon, min_lat, max_lon, max_lat = bounds_lonlat
    if not (min_lon < max_lon and min_lat < max_lat):
        raise ValueError(f"bounds_lonlat {bounds_lonlat}: min must be below max")
    if crs is None:
        crs = CRS.from_proj4(
            f"+proj=tmerc +lat_0={(min_lat + max_lat) / 2} +lon_0={(min_lon + max_lon) / 2} +k=1 "
            "+x_0=0 +y_0=0 +ellps=WGS84 +units=m"
        )
    target = CRS.from_user_input(crs)
    forward = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    inverse = Transformer.from_crs(target, "EPSG:4326", always_xy=True)
    edge_lon = np.r_[
        np.linspace(min_lon, max_lon, 50), np.full(50, max_lon), np.linspace(max_lon, min_lon, 50), np.full(50, min_lon)
    ]
    edge_lat = np.r_[
        np.full(50, min_lat), np.linspace(min_lat, max_lat, 50), np.full(50, max_lat), np.linspace(max_lat, min_lat, 50)
    ]
    ex, ey = forward.transform(edge_lon, edge_lat)
    x0, y1 = float(np.floor(np.min(ex) / cell_m) * cell_m), float(np.ceil(np.max(ey) / cell_m) * cell_m)
    width = int(np.ceil((np.max(ex) - x0) / cell_m))
    height = int(np.ceil((y1 - np.min(ey)) / cell_m))
    transform = from_origin(x0, y1, cell_m, cell_m)
    target_path = Path(path)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "int16",
        "crs": target,
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "deflate",
        "predictor": 2,
        "sparse_ok": True,
    }
    prepared = None
    if region is not None:
        prepared = shapely.prepared.prep(region)
    with rasterio.open(target_path, "w", **profile) as dst:
        for row0 in range(0, height, BLOCK):
            rows = min(BLOCK, height - row0)
            ys = y1 - (np.arange(row0, row0 + rows) + 0.5) * cell_m
            for col0 in range(0, width, BLOCK):
                cols = min(BLOCK, width - col0)
                xs = x0 + (np.arange(col0, col0 + cols) + 0.5) * cell_m
                if prepared is not None:
                    bx, by = np.meshgrid(xs[[0, -1]], ys[[0, -1]])
                    blon, blat = inverse.transform(bx.ravel(), by.ravel())
                    if not prepared.intersects(shapely.box(min(blon), min(blat), max(blon), max(blat))):
                        continue
                gx, gy = np.meshgrid(xs, ys)
                lon, lat = inverse.transform(gx, gy)
                z = np.round(terrain.elevation(lat, lon)).astype(np.int16)
                dst.write(z, 1, window=Window(col0, row0, cols, rows))
    return target_path


def write_border_terrain(
    model: BorderModel,
    path: str | Path,
    cell_m: float = 30.0,
    strip_width_m: float = 20_000.0,
    terrain: GeneratedTerrain | None = None,
) -> Path:
    """Generated terrain for a border model: the strip either side of every line and each sensor's
    range (whatever the target class), as a sparse GeoTIFF."""
    parts = []
    for line in model.borders.values():
        x, y = line.frame.to_xy(line.lat, line.lon)
        band = shapely.LineString(np.column_stack([x, y])).buffer(strip_width_m / 2.0 + 2 * cell_m, quad_segs=8)
        ring_lat, ring_lon = line.frame.to_latlon(*np.asarray(band.exterior.coords).T)
        parts.append(shapely.Polygon(np.column_stack([ring_lon, ring_lat])))
    for sensor in model.sensors:
        reach = max(observer_for(sensor, target).range_m for target in TARGET_CLASSES)
        lat, lon = sensor.geometry.lat, sensor.geometry.lon
        dlat = (reach + 2 * cell_m) / 110_574.0
        dlon = dlat / np.cos(np.radians(lat))
        parts.append(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    region = shapely.union_all(parts)
    return write_terrain_geotiff(path, region.bounds, cell_m, terrain=terrain, region=region)
