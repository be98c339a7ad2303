"""Sensor models: thermal cameras on towers, aerostat radars and ground sensors, vectorised.

Each model holds every sensor of its type as arrays and, for one time step, returns what all of
them report about all movers at once (a DetectionBatch of arrays), clutter included. Figures and
their sources are in docs/formats.md ("Sensor models"). The models know nothing of the simulator:
they see the movers through a Snapshot (positions, velocities, classes, a position-at-time call).
May import: NumPy, SciPy, geo (configuration types), sensors.formats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from borderwatch.geo.config import AerostatProps, GroundSensorProps, SensorFeature, TowerProps
from borderwatch.geo.geodesy import GEOD
from borderwatch.sensors.formats import OBJECT_CLASSES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
# Terrain masking: (tower indices, target lat, target lon) -> visible.
LineOfSight = Callable[[IntArray, FloatArray, FloatArray], BoolArray]

PERSON, VEHICLE, ANIMAL, UNKNOWN = (OBJECT_CLASSES.index(c) for c in ("person", "vehicle", "animal", "unknown"))

# WGS84 radii of curvature, for local east/north metres around a sensor (sub-metre at 60 km).
_A = 6_378_137.0
_E2 = 6.69437999014e-3
_SPHERE_R = 6_371_008.8

# Target heights (m) for the horizon, as in coverage: a standing person, a pickup, an animal; unknown as a person.
TARGET_HEIGHT_M = np.array([1.7, 2.0, 1.0, 1.7])
# Horizon distance k * (sqrt(h1) + sqrt(h2)) km with h in metres: 3.57 geometric; 3.86 for light
# with standard refraction; 4.12 for radar with the 4/3-earth model.
OPTICAL_HORIZON_K = 3.86
RADAR_HORIZON_K = 4.12

# Pd(r) = 1 / (1 + (r / R50)^beta): R50 is the configuration's 0.5-probability range. beta = 4
# gives 0.94 at R50/2 and 0.06 at 2 R50, the usual shape of a Johnson-criteria detection curve.
TOWER_PD_BETA = 4.0
TOWER_CUTOFF = 3.2  # beyond 3.2 R50 Pd < 0.01: not worth computing
# Radar cross-section scales detection range by RCS^(1/4) (radar equation): vehicle ~10 m^2,
# person ~1 m^2, a herd a few m^2; radar_range_m in the configuration is the vehicle range.
RADAR_CLASS_RANGE = np.array([0.56, 1.0, 0.75, 0.56])
RADAR_PD_MAX = 0.95
RADAR_PD_BETA = 8.0
# Ground sensors: probability per second of a report while an object is inside the radius,
# by modality and class (person, vehicle, animal, unknown).
GROUND_RATE = {
    "seismic": np.array([0.5, 0.9, 0.4, 0.0]),
    "infrared": np.array([0.7, 0.7, 0.6, 0.0]),
    "magnetic": np.array([0.05, 0.8, 0.0, 0.0]),
}
GROUND_HOLDOFF_S = 10.0  # a ground sensor reports at most once per hold-off per sensor
PAIR_REFRESH_S = 10.0  # how long a sensor model keeps its list of nearby movers


def radii_m(lat_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(meridional, prime-vertical) radii of curvature of the WGS84 ellipsoid at latitudes."""
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = np.sqrt(1.0 - _E2 * s2)
    return _A * (1.0 - _E2) / w**3, _A / w


def east_north_m(lat0: FloatArray, lon0: FloatArray, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Local east and north metres of points from origins (ellipsoidal radii at the mid-latitude)."""
    mid = 0.5 * (lat0 + lat)
    m, n = radii_m(mid)
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return np.radians(dlon) * n * np.cos(np.radians(mid)), np.radians(lat - lat0) * m


def offset_latlon(
    lat0: FloatArray, lon0: FloatArray, east: FloatArray, north: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Inverse of east_north_m: the point `east`, `north` metres from an origin."""
    m, n = radii_m(lat0)
    lat = lat0 + np.degrees(north / m)
    m, n = radii_m(0.5 * (lat0 + lat))
    lat = lat0 + np.degrees(north / m)
    lon = lon0 + np.degrees(east / (n * np.cos(np.radians(0.5 * (lat0 + lat)))))
    return lat, (lon + 180.0) % 360.0 - 180.0


def unit_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on a sphere of the mean earth radius (m): chord distances for k-d tree range queries."""
    phi, lam = np.radians(lat), np.radians(lon)
    c = np.cos(phi)
    return np.column_stack([c * np.cos(lam), c * np.sin(lam), np.sin(phi)]) * _SPHERE_R


@dataclass(frozen=True)
class Snapshot:
    """Every mover as the sensors see it during one step: positions at its start, velocity, class.

    Indices are stable from step to step (movers not yet started or already gone are in the
    arrays but not `active`), so sensor models may cache who is near whom. `at(index, times)`
    gives exact positions at times inside the step, so that a look at t + 0.7 s sees the mover
    where it is then. `max_speed` bounds how far any mover goes in a given time.
    """

    lat: FloatArray
    lon: FloatArray
    vel_east: FloatArray  # m/s
    vel_north: FloatArray
    object_class: IntArray  # index into OBJECT_CLASSES
    active: BoolArray
    at: Callable[[IntArray, FloatArray], tuple[FloatArray, FloatArray]]
    max_speed: float = 60.0

    @property
    def speed(self) -> FloatArray:
        return np.asarray(np.hypot(self.vel_east, self.vel_north))

    def __len__(self) -> int:
        return int(self.lat.size)


@dataclass
class DetectionBatch:
    """Detections of one step as arrays; NaN where a field is absent (polar vs cartesian form).

    `truth` is the index of the mover in the step's Snapshot, -1 for clutter: the simulator's
    own bookkeeping, never written into a detection.
    """

    sensor: IntArray  # global sensor index
    time: FloatArray
    object_class: IntArray
    class_conf: FloatArray
    lat: FloatArray
    lon: FloatArray
    sigma_m: FloatArray
    range_m: FloatArray
    bearing_deg: FloatArray
    sigma_range_m: FloatArray
    sigma_bearing_deg: FloatArray
    speed_mps: FloatArray
    heading_deg: FloatArray
    truth: IntArray

    def __len__(self) -> int:
        return int(self.sensor.size)

    @staticmethod
    def empty() -> DetectionBatch:
        return DetectionBatch.build(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64), np.zeros(0))

    @staticmethod
    def build(
        sensor: IntArray,
        time: FloatArray,
        object_class: IntArray,
        class_conf: FloatArray,
        **fields: FloatArray | IntArray,
    ) -> DetectionBatch:
        n = sensor.size
        nan = np.full(n, np.nan)
        values: dict[str, FloatArray | IntArray] = {
            name: fields.get(name, nan)
            for name in (
                "lat",
                "lon",
                "sigma_m",
                "range_m",
                "bearing_deg",
                "sigma_range_m",
                "sigma_bearing_deg",
                "speed_mps",
                "heading_deg",
            )
        }
        truth = fields.get("truth", np.full(n, -1, np.int64))
        return DetectionBatch(sensor, time, object_class, class_conf, truth=np.asarray(truth, np.int64), **values)  # type: ignore[arg-type]

    @staticmethod
    def concat(batches: Sequence[DetectionBatch]) -> DetectionBatch:
        if not batches:
            return DetectionBatch.empty()
        names = DetectionBatch.__dataclass_fields__
        return DetectionBatch(**{n: np.concatenate([getattr(b, n) for b in batches]) for n in names})

    def take(self, order: IntArray | BoolArray) -> DetectionBatch:
        return DetectionBatch(**{n: getattr(self, n)[order] for n in DetectionBatch.__dataclass_fields__})


@dataclass(frozen=True)
class Clutter:
    """False-alarm rates: Poisson per sensor per scan (towers, aerostats) or per hour (ground)."""

    tower_per_scan: float = 0.01
    aerostat_per_scan: float = 0.05
    ground_per_hour: float = 0.5


def _sweep_looks(
    rel_bearing: FloatArray, fov: FloatArray, period: FloatArray, phase: FloatArray, t0: float, dt: float
) -> tuple[BoolArray, FloatArray]:
    """Which targets a scanning sensor looks at during [t0, t0 + dt), and when.

    The beam sweeps the field of view at a constant rate, once per scan period, then flies back
    (a pan pattern; with fov 360 a steady rotation). `rel_bearing` is measured from the start of
    the field of view. Each target inside it is looked at once per period.
    """
    u = rel_bearing / fov
    inside = u < 1.0
    # The beam points at target u whenever t / period + phase - u is a whole number; count the
    # whole numbers in [f(t0), f(t0 + dt)) the same way at both ends, so that a target on a step
    # boundary is looked at in exactly one of the two steps.
    start = t0 / period + phase - u
    end = (t0 + dt) / period + phase - u
    first = np.ceil(start)
    looked = inside & (first < np.ceil(end))
    return looked, np.clip((first - phase + u) * period, t0, t0 + dt)


def range_bearing(
    lat0: FloatArray, lon0: FloatArray, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Geodesic distance (m) and azimuth at the origin (degrees from true north, [0, 360)).

    Reports use this exact form, so that a consumer's geodesic `destination(sensor, bearing,
    range)` lands back on the target; the flat east/north approximation is only used for gating.
    """
    if lat.size == 0:
        return np.zeros(0), np.zeros(0)
    az, _, dist = GEOD.inv(lon0, lat0, lon, lat)
    return np.asarray(dist, dtype=np.float64), np.asarray(az, dtype=np.float64) % 360.0


def _pairs(sensor_xyz: FloatArray, snapshot: Snapshot, radius_m: float) -> tuple[IntArray, IntArray]:
    """(sensor, mover) index pairs within `radius_m` of each other (chord distance), by sensor."""
    if len(snapshot) == 0 or sensor_xyz.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    found = cKDTree(unit_xyz(snapshot.lat, snapshot.lon)).query_ball_point(sensor_xyz, r=radius_m, return_sorted=True)
    counts = np.array([len(f) for f in found], dtype=np.int64)
    if counts.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    mover = np.concatenate([np.asarray(f, dtype=np.int64) for f in found])
    sensor = np.repeat(np.arange(len(found), dtype=np.int64), counts)
    return sensor, mover


def _horizon_m(k: float, sensor_height: FloatArray, target_class: IntArray) -> FloatArray:
    return np.asarray(k * 1000.0 * (np.sqrt(sensor_height) + np.sqrt(TARGET_HEIGHT_M[target_class])))


def _clutter_in_fov(
    rng: np.random.Generator,
    counts: IntArray,
    lat: FloatArray,
    lon: FloatArray,
    max_range: FloatArray,
    fov: FloatArray,
    pan_start: FloatArray,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """(sensor, range, bearing) of clutter points uniform over each sensor's field of view area."""
    sensor = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    n = sensor.size
    rng_m = max_range[sensor] * np.sqrt(rng.random(n))
    bearing = (pan_start[sensor] + fov[sensor] * rng.random(n)) % 360.0
    return sensor, rng_m, bearing


class SensorModel:
    """All sensors of one type; `observe` returns one step of their detections."""

    sensor_type: str = ""

    def __init__(self, features: Sequence[SensorFeature], global_index: Sequence[int]) -> None:
        self.ids = [f.properties.id for f in features]
        self.index = np.asarray(global_index, dtype=np.int64)
        self.lat = np.array([f.geometry.lat for f in features], dtype=np.float64)
        self.lon = np.array([f.geometry.lon for f in features], dtype=np.float64)
        self.xyz = unit_xyz(self.lat, self.lon) if features else np.zeros((0, 3))
        self._cache: tuple[IntArray, IntArray] | None = None
        self._cache_until = -math.inf
        self._cache_size = -1

    def __len__(self) -> int:
        return len(self.ids)

    def scan_periods(self) -> FloatArray:
        return np.zeros(0)

    def candidates(self, snapshot: Snapshot, t0: float, reach_m: float) -> tuple[IntArray, IntArray]:
        """Active (sensor, mover) pairs that may be within reach (`reach_m`, or `pair_reach` if smaller).

        The k-d tree query is the expensive part, so its answer is kept for PAIR_REFRESH_S with a
        margin no mover can cover in that time.
        """
        if self._cache is None or t0 >= self._cache_until or self._cache_size != len(snapshot):
            margin = snapshot.max_speed * PAIR_REFRESH_S + 10.0
            sensor, mover = _pairs(self.xyz, snapshot, reach_m + margin)
            east, north = east_north_m(self.lat[sensor], self.lon[sensor], snapshot.lat[mover], snapshot.lon[mover])
            near = np.hypot(east, north) <= self.pair_reach(sensor, snapshot.object_class[mover]) + margin
            self._cache = (sensor[near], mover[near])
            self._cache_until = t0 + PAIR_REFRESH_S
            self._cache_size = len(snapshot)
        sensor, mover = self._cache
        keep = snapshot.active[mover]
        return sensor[keep], mover[keep]

    def pair_reach(self, sensor: IntArray, object_class: IntArray) -> FloatArray:
        """How far each sensor can see a mover of each class; beyond it the pair is never computed."""
        return np.full(sensor.size, np.inf)

    def observe(
        self, snapshot: Snapshot, t0: float, dt: float, up: BoolArray, rng: np.random.Generator
    ) -> DetectionBatch:
        raise NotImplementedError


class TowerCameras(SensorModel):
    """Thermal cameras on towers: per-class Pd falling with range, range/bearing noise, pan or 360°.

    Reports are polar (range, bearing from the tower). Classification gets worse with range: near
    targets are classed right with ~0.95, at R50 about half are reported "unknown" or confused
    (person <-> animal). `line_of_sight(tower, lat, lon)` (tower: index in this model) may add
    terrain masking from a DEM.
    """

    sensor_type = "tower"

    def __init__(
        self,
        features: Sequence[SensorFeature],
        global_index: Sequence[int],
        clutter: Clutter,
        phase: FloatArray,
        line_of_sight: LineOfSight | None = None,
    ) -> None:
        super().__init__(features, global_index)
        props = [f.properties for f in features]
        assert all(isinstance(p, TowerProps) for p in props)
        towers: list[TowerProps] = props  # type: ignore[assignment]
        self.height = np.array([p.height_m for p in towers], dtype=np.float64)
        # R50 per (tower, class); "unknown" movers are seen like people.
        self.r50 = np.array(
            [[p.ranges_m.person, p.ranges_m.vehicle, p.ranges_m.animal, p.ranges_m.person] for p in towers],
            dtype=np.float64,
        ).reshape(len(towers), 4)
        self.fov = np.array([p.fov_deg for p in towers], dtype=np.float64)
        self.pan_start = np.array([(p.pan_center_deg - p.fov_deg / 2.0) % 360.0 for p in towers], dtype=np.float64)
        self.period = np.array([p.scan_period_s for p in towers], dtype=np.float64)
        self.sigma_range = np.array([p.sigma_range_m for p in towers], dtype=np.float64)
        self.sigma_bearing = np.array([p.sigma_bearing_deg for p in towers], dtype=np.float64)
        self.phase = np.asarray(phase, dtype=np.float64)
        self.clutter_per_scan = clutter.tower_per_scan
        self.line_of_sight = line_of_sight

    def scan_periods(self) -> FloatArray:
        return self.period

    def pair_reach(self, sensor: IntArray, object_class: IntArray) -> FloatArray:
        return np.asarray(self.r50[sensor, object_class] * TOWER_CUTOFF)

    def pd(self, tower: IntArray, object_class: IntArray, range_m: FloatArray) -> FloatArray:
        """Probability of detection per look, horizon included."""
        ratio = range_m / self.r50[tower, object_class]
        pd = 1.0 / (1.0 + ratio**TOWER_PD_BETA)
        horizon = _horizon_m(OPTICAL_HORIZON_K, self.height[tower], object_class)
        return np.asarray(np.where(range_m <= horizon, pd, 0.0))

    def observe(
        self, snapshot: Snapshot, t0: float, dt: float, up: BoolArray, rng: np.random.Generator
    ) -> DetectionBatch:
        if len(self) == 0:
            return DetectionBatch.empty()
        reach = float(self.r50.max()) * TOWER_CUTOFF
        tower, mover = self.candidates(snapshot, t0, reach)
        keep = up[tower]
        tower, mover = tower[keep], mover[keep]
        east, north = east_north_m(self.lat[tower], self.lon[tower], snapshot.lat[mover], snapshot.lon[mover])
        bearing = np.degrees(np.arctan2(east, north)) % 360.0
        looked, t_look = _sweep_looks(
            (bearing - self.pan_start[tower]) % 360.0, self.fov[tower], self.period[tower], self.phase[tower], t0, dt
        )
        tower, mover, t_look = tower[looked], mover[looked], t_look[looked]
        lat, lon = snapshot.at(mover, t_look)
        east, north = east_north_m(self.lat[tower], self.lon[tower], lat, lon)
        true_range = np.hypot(east, north)
        cls = snapshot.object_class[mover]
        hit = rng.random(tower.size) < self.pd(tower, cls, true_range)
        if self.line_of_sight is not None and np.any(hit):
            sel = np.flatnonzero(hit)
            hit[sel] = self.line_of_sight(tower[sel], lat[sel], lon[sel])
        tower, mover, t_look, cls = tower[hit], mover[hit], t_look[hit], cls[hit]
        true_range, true_bearing = range_bearing(self.lat[tower], self.lon[tower], lat[hit], lon[hit])
        n = tower.size
        range_m = np.maximum(true_range + rng.normal(0.0, 1.0, n) * self.sigma_range[tower], 0.0)
        bearing = (true_bearing + rng.normal(0.0, 1.0, n) * self.sigma_bearing[tower]) % 360.0
        reported, conf = self._classify(rng, cls, true_range / self.r50[tower, cls])
        real = DetectionBatch.build(
            self.index[tower],
            t_look,
            reported,
            conf,
            range_m=range_m,
            bearing_deg=bearing,
            sigma_range_m=self.sigma_range[tower],
            sigma_bearing_deg=self.sigma_bearing[tower],
            truth=mover,
        )
        return DetectionBatch.concat([real, self._clutter(t0, dt, up, rng)])

    @staticmethod
    def _classify(rng: np.random.Generator, cls: IntArray, ratio: FloatArray) -> tuple[IntArray, FloatArray]:
        p_right = np.clip(0.95 - 0.5 * ratio, 0.3, 0.95)
        draw = rng.random(cls.size)
        confused = np.where(cls == PERSON, ANIMAL, np.where(cls == ANIMAL, PERSON, UNKNOWN))
        reported = np.where(draw < p_right, cls, np.where(draw < p_right + 0.3 * (1 - p_right), confused, UNKNOWN))
        conf = np.where(reported == UNKNOWN, 0.3, np.clip(p_right + rng.normal(0.0, 0.05, cls.size), 0.05, 0.99))
        return reported.astype(np.int64), np.asarray(np.round(conf, 2), dtype=np.float64)

    def _clutter(self, t0: float, dt: float, up: BoolArray, rng: np.random.Generator) -> DetectionBatch:
        rate = self.clutter_per_scan * dt / self.period * up
        counts = rng.poisson(rate).astype(np.int64)
        tower, range_m, bearing = _clutter_in_fov(
            rng, counts, self.lat, self.lon, 1.5 * self.r50[:, PERSON], self.fov, self.pan_start
        )
        n = tower.size
        cls = rng.choice(np.array([UNKNOWN, ANIMAL, PERSON]), size=n, p=[0.6, 0.25, 0.15]).astype(np.int64)
        return DetectionBatch.build(
            self.index[tower],
            t0 + dt * rng.random(n),
            cls,
            np.round(rng.uniform(0.2, 0.6, n), 2),
            range_m=range_m,
            bearing_deg=bearing,
            sigma_range_m=self.sigma_range[tower],
            sigma_bearing_deg=self.sigma_bearing[tower],
        )


class AerostatRadars(SensorModel):
    """Aerostat (tethered balloon) ground-surveillance radar: moving targets only, coarse class.

    Detects movers faster than min_speed_mps out to the smaller of the class range (radar_range_m
    for vehicles, scaled by RCS^(1/4) for smaller targets) and the 4/3-earth radar horizon from
    its altitude. Polar reports from the tether point, with range noise growing with range and
    bearing noise (cross-range error grows with range too); speed and heading come with them.
    """

    sensor_type = "aerostat"

    def __init__(
        self, features: Sequence[SensorFeature], global_index: Sequence[int], clutter: Clutter, phase: FloatArray
    ) -> None:
        super().__init__(features, global_index)
        props = [f.properties for f in features]
        assert all(isinstance(p, AerostatProps) for p in props)
        radars: list[AerostatProps] = props  # type: ignore[assignment]
        self.altitude = np.array([p.altitude_m for p in radars], dtype=np.float64)
        self.radar_range = np.array([p.radar_range_m for p in radars], dtype=np.float64)
        self.min_speed = np.array([p.min_speed_mps for p in radars], dtype=np.float64)
        self.period = np.array([p.scan_period_s for p in radars], dtype=np.float64)
        self.sigma_range = np.array([p.sigma_range_m for p in radars], dtype=np.float64)
        self.sigma_bearing = np.array([p.sigma_bearing_deg for p in radars], dtype=np.float64)
        self.phase = np.asarray(phase, dtype=np.float64)
        self.clutter_per_scan = clutter.aerostat_per_scan

    def scan_periods(self) -> FloatArray:
        return self.period

    def pair_reach(self, sensor: IntArray, object_class: IntArray) -> FloatArray:
        return np.asarray(self.radar_range[sensor] * RADAR_CLASS_RANGE[object_class] * 1.5)

    def pd(self, radar: IntArray, object_class: IntArray, range_m: FloatArray, speed: FloatArray) -> FloatArray:
        reach = self.radar_range[radar] * RADAR_CLASS_RANGE[object_class]
        pd = RADAR_PD_MAX / (1.0 + (range_m / reach) ** RADAR_PD_BETA)
        horizon = _horizon_m(RADAR_HORIZON_K, self.altitude[radar], object_class)
        return np.asarray(np.where((range_m <= horizon) & (speed >= self.min_speed[radar]), pd, 0.0))

    def sigma_range_at(self, radar: IntArray, range_m: FloatArray) -> FloatArray:
        return np.asarray(self.sigma_range[radar] * (1.0 + range_m / self.radar_range[radar]))

    def observe(
        self, snapshot: Snapshot, t0: float, dt: float, up: BoolArray, rng: np.random.Generator
    ) -> DetectionBatch:
        if len(self) == 0:
            return DetectionBatch.empty()
        radar, mover = self.candidates(snapshot, t0, float(self.radar_range.max()))
        speed = snapshot.speed[mover]
        keep = up[radar] & (speed >= self.min_speed[radar])
        radar, mover = radar[keep], mover[keep]
        east, north = east_north_m(self.lat[radar], self.lon[radar], snapshot.lat[mover], snapshot.lon[mover])
        looked, t_look = _sweep_looks(
            np.degrees(np.arctan2(east, north)) % 360.0,
            np.full(radar.size, 360.0),
            self.period[radar],
            self.phase[radar],
            t0,
            dt,
        )
        radar, mover, t_look = radar[looked], mover[looked], t_look[looked]
        lat, lon = snapshot.at(mover, t_look)
        east, north = east_north_m(self.lat[radar], self.lon[radar], lat, lon)
        true_range = np.hypot(east, north)
        cls = snapshot.object_class[mover]
        hit = rng.random(radar.size) < self.pd(radar, cls, true_range, snapshot.speed[mover])
        radar, mover, t_look = radar[hit], mover[hit], t_look[hit]
        true_range, true_bearing = range_bearing(self.lat[radar], self.lon[radar], lat[hit], lon[hit])
        n = radar.size
        sigma_r = self.sigma_range_at(radar, true_range)
        range_m = np.maximum(true_range + rng.normal(0.0, 1.0, n) * sigma_r, 0.0)
        bearing = (true_bearing + rng.normal(0.0, 1.0, n) * self.sigma_bearing[radar]) % 360.0
        ve, vn = snapshot.vel_east[mover], snapshot.vel_north[mover]
        speed = np.maximum(np.hypot(ve, vn) + rng.normal(0.0, 0.5, n), 0.0)
        heading = (np.degrees(np.arctan2(ve, vn)) + rng.normal(0.0, 5.0, n)) % 360.0
        # Coarse class from Doppler speed alone: fast is a vehicle, the rest cannot be told apart.
        fast = speed > 4.0
        real = DetectionBatch.build(
            self.index[radar],
            t_look,
            np.where(fast, VEHICLE, UNKNOWN).astype(np.int64),
            np.where(fast, 0.6, 0.5),
            range_m=range_m,
            bearing_deg=bearing,
            sigma_range_m=np.round(sigma_r, 1),
            sigma_bearing_deg=self.sigma_bearing[radar],
            speed_mps=speed,
            heading_deg=heading,
            truth=mover,
        )
        counts = rng.poisson(self.clutter_per_scan * dt / self.period * up).astype(np.int64)
        radar_c, range_c, bearing_c = _clutter_in_fov(
            rng, counts, self.lat, self.lon, self.radar_range, np.full(len(self), 360.0), np.zeros(len(self))
        )
        m = radar_c.size
        clutter = DetectionBatch.build(
            self.index[radar_c],
            t0 + dt * rng.random(m),
            np.full(m, UNKNOWN, np.int64),
            np.full(m, 0.3),
            range_m=range_c,
            bearing_deg=bearing_c,
            sigma_range_m=np.round(self.sigma_range_at(radar_c, range_c), 1),
            sigma_bearing_deg=self.sigma_bearing[radar_c],
            speed_mps=rng.uniform(0.5, 6.0, m),
            heading_deg=rng.uniform(0.0, 360.0, m),
        )
        return DetectionBatch.concat([real, clutter])


class GroundSensors(SensorModel):
    """Unattended ground sensors (seismic, infrared, magnetic): presence within a radius.

    A report carries the sensor's own position with sigma_m = radius and a class hint (person or
    vehicle; magnetic sensors only see vehicles). At most one report per sensor per hold-off.
    """

    sensor_type = "ground"

    def __init__(self, features: Sequence[SensorFeature], global_index: Sequence[int], clutter: Clutter) -> None:
        super().__init__(features, global_index)
        props = [f.properties for f in features]
        assert all(isinstance(p, GroundSensorProps) for p in props)
        grounds: list[GroundSensorProps] = props  # type: ignore[assignment]
        self.radius = np.array([p.radius_m for p in grounds], dtype=np.float64)
        self.rate = np.array([GROUND_RATE[p.modality] for p in grounds], dtype=np.float64).reshape(len(grounds), 4)
        self.magnetic = np.array([p.modality == "magnetic" for p in grounds], dtype=bool)
        self.per_hour = clutter.ground_per_hour
        self.last_report = np.full(len(grounds), -math.inf)

    def pd_per_step(self, sensor: IntArray, object_class: IntArray, dt: float) -> FloatArray:
        return np.asarray(1.0 - (1.0 - self.rate[sensor, object_class]) ** dt)

    def observe(
        self, snapshot: Snapshot, t0: float, dt: float, up: BoolArray, rng: np.random.Generator
    ) -> DetectionBatch:
        if len(self) == 0:
            return DetectionBatch.empty()
        sensor, mover = self.candidates(snapshot, t0, float(self.radius.max()))
        east, north = east_north_m(self.lat[sensor], self.lon[sensor], snapshot.lat[mover], snapshot.lon[mover])
        cls = snapshot.object_class[mover]
        inside = (np.hypot(east, north) <= self.radius[sensor]) & up[sensor]
        hit = inside & (rng.random(sensor.size) < self.pd_per_step(sensor, cls, dt))
        false_alarm = up & (rng.random(len(self)) < 1.0 - np.exp(-self.per_hour * dt / 3600.0))
        ready = self.last_report <= t0 - GROUND_HOLDOFF_S
        # One report per sensor: the first hit mover (pairs are ordered by mover), else a false alarm.
        sensor, mover, cls = sensor[hit], mover[hit], cls[hit]
        first = np.unique(sensor, return_index=True)[1] if sensor.size else np.zeros(0, np.int64)
        sensor, mover, cls = sensor[first], mover[first], cls[first]
        by_sensor = np.full(len(self), -1, np.int64)
        by_sensor[sensor] = np.arange(sensor.size)
        report = ready & ((by_sensor >= 0) | false_alarm)
        chosen = np.flatnonzero(report)
        row = by_sensor[chosen]
        real = row >= 0
        # Row -1 (a false alarm) picks the padding at the end: class unknown, no mover.
        true_cls = np.r_[cls, UNKNOWN][row]
        truth = np.r_[mover, -1][row]
        n = chosen.size
        right = rng.random(n) < 0.85
        hint = np.where(true_cls == VEHICLE, np.where(right, VEHICLE, PERSON), np.where(right, PERSON, VEHICLE))
        hint = np.where(self.magnetic[chosen], VEHICLE, hint)
        hint = np.where(real, hint, UNKNOWN).astype(np.int64)
        self.last_report[chosen] = t0
        return DetectionBatch.build(
            self.index[chosen],
            t0 + dt * rng.random(n),
            hint,
            np.where(real, 0.6, 0.3),
            lat=self.lat[chosen],
            lon=self.lon[chosen],
            sigma_m=self.radius[chosen],
            truth=truth,
        )
