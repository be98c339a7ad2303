"""Observers: what each sensor of the border model can see for one target class.

Lives here: target heights per class, and `Observer` — a sensor reduced to the facts line of
sight needs (eye height, range for the class, field of view, refraction). May import
borderwatch.geo only. Plain data; no terrain, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from borderwatch.coverage.viewshed import OPTICAL_REFRACTION, RADAR_REFRACTION
from borderwatch.geo.config import SensorFeature

TargetClass = Literal["person", "vehicle", "animal"]
TARGET_CLASSES: tuple[TargetClass, ...] = get_args(TargetClass)
# Height of the part of the target a sensor must see: a standing person, a pickup's cab, a camel.
TARGET_HEIGHT_M: dict[TargetClass, float] = {"person": 1.7, "vehicle": 2.0, "animal": 1.0}


@dataclass(frozen=True)
class Observer:
    """One sensor as seen by the coverage planner.

    `height_m` is the eye above the ground at the site (mast height, or an aerostat's tether
    altitude); `line_of_sight` is False for ground sensors (seismic, magnetic, short-range
    infrared), which cover a disc whatever the terrain.
    """

    id: str
    sensor_type: str
    lat: float
    lon: float
    height_m: float
    range_m: float
    refraction_k: float = OPTICAL_REFRACTION
    fov_deg: float = 360.0
    pan_center_deg: float = 0.0
    line_of_sight: bool = True


def check_target_class(target_class: str) -> TargetClass:
    if target_class not in TARGET_CLASSES:
        raise ValueError(f"target class {target_class!r}: expected one of {', '.join(TARGET_CLASSES)}")
    return target_class


def observer_for(sensor: SensorFeature, target_class: TargetClass) -> Observer:
    """The observer a configured sensor makes for `target_class`."""
    props = sensor.properties
    lat, lon = sensor.geometry.lat, sensor.geometry.lon
    if props.sensor_type == "tower":
        return Observer(
            props.id,
            "tower",
            lat,
            lon,
            props.height_m,
            getattr(props.ranges_m, target_class),
            OPTICAL_REFRACTION,
            props.fov_deg,
            props.pan_center_deg,
        )
    if props.sensor_type == "aerostat":
        # Radar sees every class that moves faster than its minimum speed; the range is the radar's.
        return Observer(props.id, "aerostat", lat, lon, props.altitude_m, props.radar_range_m, RADAR_REFRACTION)
    return Observer(props.id, "ground", lat, lon, 0.0, props.radius_m, line_of_sight=False)


def observers_for(sensors: Iterable[SensorFeature], target_class: TargetClass) -> list[Observer]:
    return [observer_for(sensor, target_class) for sensor in sensors]
