"""The operational picture's basemap: GeoJSON layers built from the geometry that ships with the package.

Countries come from `geo/data/iraq_borders.geojson`, towns from `web/data/towns.geojson` (GeoNames),
lakes and reservoirs from `web/data/water.geojson` (Natural Earth), rivers from `web/data/rivers.geojson`
(CIA World Data Bank II, the major ones named in English and Arabic; all three derived by `make data`, see
web/data/PROVENANCE.md); the border, sectors, km markers, barriers, sensors
with their coverage, crossings, checkpoints and patrol bases from the border model in use. Pure
functions of a BorderModel (plus the shipped country outlines): no I/O beyond reading package data.
May import borderwatch.geo and nothing else of borderwatch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from borderwatch.geo.export import model_features
from borderwatch.geo.geodesy import destination
from borderwatch.geo.model import BorderModel

Feature = dict[str, Any]
FeatureCollection = dict[str, Any]

# Layer names, in drawing order (bottom first); the web client styles each by name.
LAYERS = (
    "countries",
    "water",
    "rivers",
    "towns",
    "coverage",
    "sectors",
    "borders",
    "barriers",
    "km_markers",
    "sensors",
    "crossings",
    "checkpoints",
    "patrol_bases",
)
KM_MARKER_STEP = 10.0  # one marker every 10 km; every fifth (50 km) is a major one, labelled at low zoom
WATER_MARGIN_DEG = 1.0  # lakes a little beyond the border's bounds still orient the operator (Tharthar, Habbaniyah)
COVERAGE_VERTICES = 48  # polygon vertices around a full circle of coverage


@cache
def _shipped_countries() -> tuple[Feature, ...]:
    path = resources.files("borderwatch.geo") / "data" / "iraq_borders.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    return tuple(f for f in document["features"] if f.get("properties", {}).get("kind") == "country")


@cache
def _shipped_towns() -> tuple[Feature, ...]:
    path = resources.files("borderwatch.web") / "data" / "towns.geojson"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["features"])


def town_features(bounds: tuple[float, float, float, float]) -> list[Feature]:
    """The shipped towns inside (west, south, east, north), largest first; none for a border elsewhere."""
    west, south, east, north = bounds
    return [
        f for f in _shipped_towns()
        if west <= f["geometry"]["coordinates"][0] <= east and south <= f["geometry"]["coordinates"][1] <= north
    ]  # fmt: skip


@cache
def _shipped_water() -> tuple[Feature, ...]:
    path = resources.files("borderwatch.web") / "data" / "water.geojson"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["features"])


@cache
def _shipped_rivers() -> tuple[Feature, ...]:
    path = resources.files("borderwatch.web") / "data" / "rivers.geojson"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["features"])


def _positions(coordinates: Any) -> Iterator[Sequence[float]]:
    """Every [lon, lat] of a GeoJSON coordinates array, however deeply nested."""
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
    else:
        for part in coordinates:
            yield from _positions(part)


def _geometry_box(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of any GeoJSON geometry but a collection."""
    points = np.array(list(_positions(geometry["coordinates"])), dtype=float)
    return float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max())


def _reaching_into(features: tuple[Feature, ...], bounds: tuple[float, float, float, float]) -> list[Feature]:
    west, south, east, north = bounds
    kept = []
    for feature in features:
        w, s, e, n = _geometry_box(feature["geometry"])
        if w <= east and e >= west and s <= north and n >= south:
            kept.append(feature)
    return kept


def water_features(bounds: tuple[float, float, float, float]) -> list[Feature]:
    """The shipped lakes and reservoirs that reach into (west, south, east, north); none for a border elsewhere."""
    return _reaching_into(_shipped_water(), bounds)


def river_features(bounds: tuple[float, float, float, float]) -> list[Feature]:
    """The shipped rivers that reach into (west, south, east, north), named ones (with `name`, `name_ar`) whole;
    none for a border elsewhere."""
    return _reaching_into(_shipped_rivers(), bounds)


def _padded(bounds: tuple[float, float, float, float], margin: float) -> tuple[float, float, float, float]:
    west, south, east, north = bounds
    return west - margin, south - margin, east + margin, north + margin


def _collection(features: list[Feature]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": features}


def _ring(
    lat: float, lon: float, radius_m: float, start_deg: float = 0.0, span_deg: float = 360.0
) -> list[list[float]]:
    """A closed lon/lat ring: a circle, or a wedge from the centre when span_deg < 360."""
    steps = max(4, int(np.ceil(COVERAGE_VERTICES * span_deg / 360.0)))
    azimuths = start_deg + np.linspace(0.0, span_deg, steps + 1)
    lats, lons = destination(np.full(azimuths.size, lat), np.full(azimuths.size, lon), azimuths, radius_m)
    ring = [[round(float(x), 5), round(float(y), 5)] for x, y in zip(lons, lats, strict=True)]
    if span_deg < 360.0:
        ring = [[lon, lat], *ring]
    ring.append(ring[0])
    return ring


def coverage_features(model: BorderModel) -> list[Feature]:
    """Each sensor's ground coverage: a tower's scanned wedge out to its person range (P=0.5),
    an aerostat's radar circle, a ground sensor's detection radius."""
    features: list[Feature] = []
    for sensor in model.sensors:
        props = sensor.properties
        lat, lon = sensor.geometry.lat, sensor.geometry.lon
        if props.sensor_type == "tower":
            span = props.fov_deg
            ring = _ring(lat, lon, props.ranges_m.person, props.pan_center_deg - span / 2.0, span)
            radius = props.ranges_m.person
        elif props.sensor_type == "aerostat":
            radius = props.radar_range_m
            ring = _ring(lat, lon, radius)
        else:
            radius = props.radius_m
            ring = _ring(lat, lon, radius)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"sensor_id": props.id, "sensor_type": props.sensor_type, "range_m": radius},
            }
        )
    return features


def km_marker_features(model: BorderModel, step_km: float = KM_MARKER_STEP) -> list[Feature]:
    """Points on each border line every `step_km`, with the km and whether it is a major marker."""
    features: list[Feature] = []
    for border_id, line in model.borders.items():
        kms = np.arange(0.0, line.length_km + 1e-9, step_km)
        lats, lons = line.point_at(kms)
        for km, lat, lon in zip(kms, lats, lons, strict=True):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]},
                    "properties": {
                        "border": border_id,
                        "km": round(float(km), 1),
                        "major": bool(round(float(km)) % round(5 * step_km) == 0),
                    },
                }
            )
    return features


def basemap_layers(model: BorderModel) -> dict[str, FeatureCollection]:
    """Every basemap layer, by name (see LAYERS), as a GeoJSON FeatureCollection."""
    by_kind: dict[str, list[Feature]] = {}
    for feature in model_features(model):
        by_kind.setdefault(feature["properties"]["kind"], []).append(feature)
    layers = {
        "countries": _collection(list(_shipped_countries())),
        "water": _collection(water_features(_padded(model.bounds(), WATER_MARGIN_DEG))),
        "rivers": _collection(river_features(_padded(model.bounds(), WATER_MARGIN_DEG))),
        "towns": _collection(town_features(model.bounds())),
        "coverage": _collection(coverage_features(model)),
        "sectors": _collection(by_kind.get("sector", [])),
        "borders": _collection(by_kind.get("border_line", [])),
        "barriers": _collection(by_kind.get("barrier", [])),
        "km_markers": _collection(km_marker_features(model)),
        "sensors": _collection(by_kind.get("sensor", [])),
        "crossings": _collection(by_kind.get("crossing", [])),
        "checkpoints": _collection(by_kind.get("checkpoint", [])),
        "patrol_bases": _collection(by_kind.get("patrol_base", [])),
    }
    assert tuple(layers) == LAYERS  # the client draws in this order
    return layers


def basemap_document(model: BorderModel) -> dict[str, Any]:
    """The whole basemap for the client: layers, the model's bounds and its header."""
    return {
        "name": model.name,
        "home_country": model.header.home_country,
        "illustrative": model.header.illustrative,
        "bounds": list(model.bounds()),
        "layers": basemap_layers(model),
    }
