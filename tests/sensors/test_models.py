"""Sensor models' statistics: measured Pd, noise and clutter rates against the models' own figures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from borderwatch.geo.config import SensorFeature
from borderwatch.geo.geodesy import destination
from borderwatch.sensors.models import (
    ANIMAL,
    PERSON,
    UNKNOWN,
    VEHICLE,
    AerostatRadars,
    Clutter,
    DetectionBatch,
    GroundSensors,
    SensorModel,
    Snapshot,
    TowerCameras,
    east_north_m,
    offset_latlon,
    range_bearing,
)

LAT0, LON0 = 34.4, 41.0
NO_CLUTTER = Clutter(0.0, 0.0, 0.0)


def feature(props: dict[str, Any], lat: float = LAT0, lon: float = LON0) -> SensorFeature:
    return SensorFeature.model_validate(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": "sensor", **props},
        }
    )


TOWER = {
    "sensor_type": "tower",
    "id": "cam-t",
    "height_m": 30.0,
    "ranges_m": {"person": 5000.0, "vehicle": 12000.0, "animal": 3500.0},
    "scan_period_s": 4.0,
    "sigma_range_m": 20.0,
    "sigma_bearing_deg": 0.15,
}


def static_snapshot(
    east: np.ndarray, north: np.ndarray, classes: np.ndarray, speed_east: np.ndarray | None = None
) -> Snapshot:
    """Targets at fixed offsets from (LAT0, LON0); with speed_east they move east at that speed."""
    lat, lon = offset_latlon(np.full(east.size, LAT0), np.full(east.size, LON0), east, north)
    ve = np.zeros(east.size) if speed_east is None else speed_east
    t_ref = [0.0]

    def at(index: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return offset_latlon(
            np.full(index.size, LAT0),
            np.full(index.size, LON0),
            east[index] + ve[index] * (times - t_ref[0]),
            north[index],
        )

    return Snapshot(lat, lon, ve, np.zeros(east.size), classes.astype(np.int64), np.ones(east.size, bool), at)


def run_steps(model: SensorModel, snapshot: Snapshot, seconds: float, dt: float = 1.0, seed: int = 1) -> DetectionBatch:
    rng = np.random.default_rng(seed)
    up = np.ones(len(model), bool)
    return DetectionBatch.concat([model.observe(snapshot, k * dt, dt, up, rng) for k in range(int(seconds / dt))])


def binomial_ok(hits: int, n: int, p: float, sigmas: float = 4.5) -> bool:
    return abs(hits - n * p) <= sigmas * math.sqrt(max(n * p * (1 - p), 1.0))


def test_tower_pd_at_ranges_matches_its_curve_and_is_half_at_r50() -> None:
    tower = TowerCameras([feature(TOWER)], [0], NO_CLUTTER, np.zeros(1))
    ratios = np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0])
    classes = np.array([PERSON, VEHICLE, ANIMAL])
    r50 = np.array([5000.0, 12000.0, 3500.0])
    cls = np.repeat(classes, ratios.size)
    rng_m = np.tile(ratios, classes.size) * r50[cls]
    bearings = np.radians(np.linspace(0, 350, cls.size))
    snap = static_snapshot(rng_m * np.sin(bearings), rng_m * np.cos(bearings), cls)
    seconds = 4.0 * 300  # 300 scans: one look per target per scan
    batch = run_steps(tower, snap, seconds)
    looks = 300
    hits = np.bincount(batch.truth[batch.truth >= 0], minlength=cls.size)
    model_pd = tower.pd(np.zeros(cls.size, np.int64), cls, rng_m)
    for i in range(cls.size):
        assert binomial_ok(int(hits[i]), looks, float(model_pd[i])), (cls[i], rng_m[i], hits[i], model_pd[i])
    at_r50 = np.flatnonzero(np.tile(ratios, classes.size) == 1.0)
    assert np.allclose(model_pd[at_r50], 0.5)
    assert np.all(np.diff(model_pd[: ratios.size]) < 0)  # falls with range


def test_tower_sees_nothing_past_its_horizon_or_outside_its_field_of_view() -> None:
    narrow = {
        **TOWER,
        "id": "cam-n",
        "fov_deg": 90.0,
        "pan_center_deg": 0.0,
        "height_m": 2.0,
        "ranges_m": {"person": 60000.0, "vehicle": 60000.0, "animal": 60000.0},
    }
    tower = TowerCameras([feature(narrow)], [0], NO_CLUTTER, np.zeros(1))
    # North, in view and close; south, out of view; north but 20 km, past a 2 m mast's horizon (~10 km).
    snap = static_snapshot(
        np.array([0.0, 0.0, 0.0]), np.array([1000.0, -1000.0, 20000.0]), np.array([VEHICLE, VEHICLE, VEHICLE])
    )
    batch = run_steps(tower, snap, 400.0)
    seen = np.bincount(batch.truth, minlength=3)
    assert seen[0] >= 90  # ~100 scans in 400 s, Pd ~1 at 1 km
    assert seen[0] <= 101  # at most one look per scan
    assert seen[1] == 0 and seen[2] == 0


def test_tower_range_and_bearing_noise_match_the_configured_sigmas() -> None:
    tower = TowerCameras([feature(TOWER)], [0], NO_CLUTTER, np.zeros(1))
    east, north = np.array([2000.0, -1500.0]), np.array([1000.0, 2500.0])
    snap = static_snapshot(east, north, np.array([VEHICLE, VEHICLE]))
    batch = run_steps(tower, snap, 4000.0)
    assert len(batch) > 1500
    true_range = np.hypot(east, north)[batch.truth]
    true_bearing = np.degrees(np.arctan2(east, north))[batch.truth] % 360.0
    range_err = batch.range_m - true_range
    bearing_err = (batch.bearing_deg - true_bearing + 180.0) % 360.0 - 180.0
    assert abs(range_err.mean()) < 3.0
    assert np.std(range_err) == pytest.approx(20.0, rel=0.1)
    assert np.std(bearing_err) == pytest.approx(0.15, rel=0.1)
    assert np.all(batch.sigma_range_m == 20.0) and np.all(np.isnan(batch.lat))


def test_tower_clutter_rate_is_the_configured_poisson_rate() -> None:
    towers = TowerCameras(
        [feature({**TOWER, "id": f"cam-{i}"}) for i in range(5)], range(5), Clutter(tower_per_scan=0.5), np.zeros(5)
    )
    empty = static_snapshot(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    seconds = 2000.0
    batch = run_steps(towers, empty, seconds)
    expected = 0.5 * seconds / 4.0 * 5
    assert abs(len(batch) - expected) < 4.5 * math.sqrt(expected)
    assert np.all(batch.truth == -1)
    assert np.all(batch.range_m <= 1.5 * 5000.0)


def test_aerostat_sees_only_movers_above_its_minimum_speed_with_coarse_classes() -> None:
    props = {
        "sensor_type": "aerostat",
        "id": "aero-t",
        "altitude_m": 500.0,
        "radar_range_m": 40000.0,
        "min_speed_mps": 0.8,
        "scan_period_s": 5.0,
    }
    radar = AerostatRadars([feature(props)], [0], NO_CLUTTER, np.zeros(1))
    # A parked car, a fast pickup and a walker, all 8 km away.
    snap = static_snapshot(
        np.array([8000.0, 0.0, -8000.0]),
        np.array([0.0, 8000.0, 0.0]),
        np.array([VEHICLE, VEHICLE, PERSON]),
        speed_east=np.array([0.0, 12.0, 1.3]),
    )
    batch = run_steps(radar, snap, 1000.0)
    seen = np.bincount(batch.truth, minlength=3)
    scans = 1000.0 / 5.0
    assert seen[0] == 0
    expected_pd = radar.pd(
        np.zeros(2, np.int64), np.array([VEHICLE, PERSON]), np.array([8000.0, 8000.0]), np.array([12.0, 1.3])
    )
    assert binomial_ok(int(seen[1]), int(scans), float(expected_pd[0]))
    assert binomial_ok(int(seen[2]), int(scans), float(expected_pd[1]))
    assert set(batch.object_class.tolist()) <= {VEHICLE, UNKNOWN}
    fast = batch.truth == 1
    assert np.all(batch.object_class[fast] == VEHICLE) or np.mean(batch.object_class[fast] == VEHICLE) > 0.95
    assert np.median(batch.speed_mps[fast]) == pytest.approx(12.0, abs=0.5)
    assert np.median(batch.heading_deg[fast]) == pytest.approx(90.0, abs=2.0)


def test_aerostat_noise_grows_with_range() -> None:
    props = {"sensor_type": "aerostat", "id": "aero-t", "altitude_m": 500.0, "radar_range_m": 40000.0}
    radar = AerostatRadars([feature(props)], [0], NO_CLUTTER, np.zeros(1))
    sigma = radar.sigma_range_at(np.zeros(2, np.int64), np.array([1000.0, 30000.0]))
    assert sigma[1] > sigma[0]


def test_ground_sensor_reports_its_own_position_within_radius_with_hold_off() -> None:
    props = {"sensor_type": "ground", "id": "gs-t", "modality": "seismic", "radius_m": 60.0}
    ground = GroundSensors([feature(props)], [0], NO_CLUTTER)
    snap = static_snapshot(np.array([30.0, 200.0]), np.array([0.0, 0.0]), np.array([VEHICLE, VEHICLE]))
    batch = run_steps(ground, snap, 600.0)
    assert len(batch) > 0 and np.all(batch.truth == 0)  # the one at 200 m is never reported
    assert np.allclose(batch.lat, LAT0) and np.allclose(batch.lon, LON0) and np.all(batch.sigma_m == 60.0)
    assert np.min(np.diff(np.sort(batch.time))) >= 9.0  # hold-off of 10 s between steps' starts
    assert set(batch.object_class.tolist()) <= {PERSON, VEHICLE}
    assert np.mean(batch.object_class == VEHICLE) > 0.7


def test_ground_false_alarm_rate() -> None:
    props = [{"sensor_type": "ground", "id": f"gs-{i}", "radius_m": 50.0} for i in range(10)]
    ground = GroundSensors([feature(p) for p in props], range(10), Clutter(ground_per_hour=20.0))
    empty = static_snapshot(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    batch = run_steps(ground, empty, 3600.0, dt=2.0)
    expected = 20.0 * 10
    # The hold-off hides a few alarms that come within 10 s of the last one.
    assert 0.85 * expected - 4 * math.sqrt(expected) < len(batch) < expected + 4 * math.sqrt(expected)
    assert np.all(batch.object_class == UNKNOWN)


def test_reported_range_and_bearing_are_geodesic_and_the_local_plane_is_close() -> None:
    lat, lon = (np.atleast_1d(v) for v in destination(LAT0, LON0, 37.0, 40000.0))
    rng_m, bearing = range_bearing(np.array([LAT0]), np.array([LON0]), lat, lon)
    assert float(rng_m[0]) == pytest.approx(40000.0, abs=1e-3)
    assert float(bearing[0]) == pytest.approx(37.0, abs=1e-6)
    east, north = east_north_m(np.array([LAT0]), np.array([LON0]), lat, lon)
    assert math.hypot(float(east[0]), float(north[0])) == pytest.approx(40000.0, abs=2.0)
    back_lat, back_lon = offset_latlon(np.array([LAT0]), np.array([LON0]), east, north)
    assert float(back_lat[0]) == pytest.approx(float(lat[0]), abs=1e-6)
    assert float(back_lon[0]) == pytest.approx(float(lon[0]), abs=1e-6)
