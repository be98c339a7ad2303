"""Hand-built detections for the fusion tests: straight walks across the border, clutter, sensors."""

from __future__ import annotations

import numpy as np

from borderwatch.geo.geodesy import azimuth_deg, distance_m
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection, Heartbeat

T0 = 1_795_000_000.0


def point(model: BorderModel, km: float, offset_m: float) -> tuple[float, float]:
    """(lat, lon) at a km marker and signed offset (positive: home side) of the first border."""
    return next(iter(model.borders.values())).offset_point(km, offset_m)


def path(
    a: tuple[float, float], b: tuple[float, float], speed: float, start: float = T0, pause_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, lats and lons (every second) of a straight walk from a to b, then `pause_s` standing at b."""
    length = float(distance_m(a[0], a[1], b[0], b[1]))
    n = max(2, int(length / speed) + 1)
    frac = np.linspace(0.0, 1.0, n)
    times = start + frac * (length / speed)
    if pause_s > 0:
        extra = np.arange(1.0, pause_s + 1.0)
        frac = np.r_[frac, np.ones(extra.size)]
        times = np.r_[times, times[-1] + extra]
    return times, a[0] + frac * (b[0] - a[0]), a[1] + frac * (b[1] - a[1])


def walk(
    model: BorderModel,
    km: float,
    start_off: float,
    end_off: float,
    speed: float,
    start: float = T0,
    pause_s: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A straight walk at km marker `km` from one offset to another (positive: home side)."""
    return path(point(model, km, start_off), point(model, km, end_off), speed, start, pause_s)


def cartesian(
    times: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    sensor: str = "cam-x",
    sigma: float = 10.0,
    every: int = 2,
    seed: int = 0,
    object_class: str = "person",
    conf: float = 0.8,
    prefix: str = "d",
) -> list[Detection]:
    """Noisy cartesian detections of a path, one every `every` samples."""
    rng = np.random.default_rng(seed)
    out = []
    deg = sigma / 111_000.0
    for i in range(0, len(times), every):
        out.append(
            Detection(
                id=f"{prefix}{sensor}-{i}",
                sensor_id=sensor,
                time=float(times[i]),
                object_class=object_class,  # type: ignore[arg-type]
                class_conf=conf,
                lat=float(lat[i] + rng.normal(0, deg)),
                lon=float(lon[i] + rng.normal(0, deg / np.cos(np.radians(lat[i])))),
                sigma_m=sigma,
            )
        )
    return out


def polar(
    model: BorderModel,
    sensor_id: str,
    times: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    every: int = 4,
    seed: int = 1,
) -> list[Detection]:
    """Polar detections of a path from a configured sensor (exact range and bearing plus noise)."""
    rng = np.random.default_rng(seed)
    sensor = next(s for s in model.sensors if s.properties.id == sensor_id)
    s_lat, s_lon = sensor.geometry.lat, sensor.geometry.lon
    out = []
    for i in range(0, len(times), every):
        rng_m = float(distance_m(s_lat, s_lon, lat[i], lon[i])) + rng.normal(0, 10.0)
        brg = float(azimuth_deg(s_lat, s_lon, lat[i], lon[i])) + rng.normal(0, 0.1)
        out.append(
            Detection(
                id=f"p{sensor_id}-{i}",
                sensor_id=sensor_id,
                time=float(times[i]),
                object_class="person",
                class_conf=0.7,
                range_m=rng_m,
                bearing_deg=brg % 360.0,
                sigma_range_m=10.0,
                sigma_bearing_deg=0.1,
            )
        )
    return out


def clutter(
    model: BorderModel,
    km: float,
    n: int,
    seconds: float,
    seed: int = 7,
    spread_m: float = 4000.0,
) -> list[Detection]:
    """Uniform false detections around km marker `km` over `seconds`."""
    rng = np.random.default_rng(seed)
    line = next(iter(model.borders.values()))
    c_lat, c_lon = line.point_at(km)
    out = []
    for i in range(n):
        d_lat = rng.uniform(-spread_m, spread_m) / 111_000.0
        d_lon = rng.uniform(-spread_m, spread_m) / (111_000.0 * np.cos(np.radians(float(c_lat))))
        out.append(
            Detection(
                id=f"c{i}",
                sensor_id="cam-c",
                time=T0 + float(rng.uniform(0, seconds)),
                object_class="unknown",
                class_conf=0.3,
                lat=float(c_lat + d_lat),
                lon=float(c_lon + d_lon),
                sigma_m=15.0,
            )
        )
    return sorted(out, key=lambda d: d.time)


def heartbeats(sensor: str, start: float, stop: float, every: float = 30.0) -> list[Heartbeat]:
    return [Heartbeat(sensor, float(t)) for t in np.arange(start, stop, every)]
