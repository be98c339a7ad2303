"""WGS84 geodesy on the ellipsoid (pyproj's Geod) and local metric frames.

Every distance a user sees is geodesic. Local frames (transverse Mercator centred on a point)
exist for the vectorised maths of tracking and stationing, where a flat metric plane over a
few hundred kilometres is accurate to well under 0.1 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Geod, Transformer

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike

GEOD = Geod(ellps="WGS84")
EARTH_RADIUS_M = 6_371_008.8


def _broadcast(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """pyproj's Geod wants arrays of one shape; NumPy broadcasting rules apply here."""
    arrays = [np.array(x, dtype=np.float64) for x in np.broadcast_arrays(*(np.asarray(v, float) for v in (a, b, c, d)))]
    return arrays[0], arrays[1], arrays[2], arrays[3]


def distance_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Geodesic distance in metres between two (arrays of) points."""
    _, _, dist = GEOD.inv(*_broadcast(lon1, lat1, lon2, lat2))
    return np.asarray(dist, dtype=np.float64)


def azimuth_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Forward azimuth (degrees from true north, clockwise, in [0, 360)) from point 1 to point 2."""
    az, _, _ = GEOD.inv(*_broadcast(lon1, lat1, lon2, lat2))
    return np.asarray(az, dtype=np.float64) % 360.0


def destination(lat: ArrayLike, lon: ArrayLike, azimuth: ArrayLike, dist_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The point reached from (lat, lon) going `dist_m` metres along `azimuth` (degrees)."""
    lon2, lat2, _ = GEOD.fwd(*_broadcast(lon, lat, azimuth, dist_m))
    return np.asarray(lat2, dtype=np.float64), np.asarray(lon2, dtype=np.float64)


@dataclass(frozen=True)
class LocalFrame:
    """A transverse Mercator plane centred on (lat0, lon0): x east, y north, metres.

    Scale error is below 0.05 % within 200 km of the centre; `scale_factor` gives it exactly
    enough to correct distances measured far off the centre.
    """

    lat0: float
    lon0: float
    _forward: Transformer = field(init=False, repr=False, compare=False)
    _inverse: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = CRS.from_proj4(
            f"+proj=tmerc +lat_0={self.lat0} +lon_0={self.lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
        )
        object.__setattr__(self, "_forward", Transformer.from_crs("EPSG:4326", crs, always_xy=True))
        object.__setattr__(self, "_inverse", Transformer.from_crs(crs, "EPSG:4326", always_xy=True))

    @property
    def crs(self) -> CRS:
        return CRS.from_user_input(self._forward.target_crs)

    def to_xy(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
        x, y = self._forward.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_latlon(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inverse.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)

    @staticmethod
    def scale_factor(x: ArrayLike) -> FloatArray:
        """Point scale of the projection at easting x (spherical approximation, ample here)."""
        ratio = np.asarray(x, dtype=np.float64) / EARTH_RADIUS_M
        return np.asarray(1.0 + 0.5 * ratio * ratio, dtype=np.float64)
