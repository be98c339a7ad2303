"""Export a border model's features as GeoJSON or GeoPackage (one layer per feature kind).

Every feature keeps all its properties; barriers get their derived geometry, sectors the
stretch of line they cover, and each border line names its neighbour country.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import LineString, Point, mapping

from borderwatch.geo.config import CheckpointFeature, CrossingFeature, PatrolBaseFeature, SensorFeature
from borderwatch.geo.model import BorderModel

ExportFormat = Literal["geojson", "gpkg"]


def model_features(model: BorderModel) -> list[dict[str, Any]]:
    """Every feature of the model as a GeoJSON feature with all its properties."""
    features: list[dict[str, Any]] = []
    for feature in model.config.border_lines:
        props = feature.properties.model_dump(exclude_none=True)
        props["length_km"] = round(model.borders[props["id"]].length_km, 3)
        features.append({"type": "Feature", "geometry": feature.geometry.model_dump(), "properties": props})
    for sector in model.sectors:
        line = model.borders[sector.border]
        coords = line.slice_coords(sector.start_km, sector.end_km)
        props = {
            "kind": "sector",
            "id": sector.id,
            "name": sector.name,
            "border": sector.border,
            "neighbour": line.neighbour,
            "start_km": round(sector.start_km, 3),
            "end_km": round(sector.end_km, 3),
        }
        features.append({"type": "Feature", "geometry": mapping(LineString(coords)), "properties": props})
    for barrier, config_feature in zip(model.barriers, model.config.barriers, strict=True):
        props = config_feature.properties.model_dump(exclude_none=True)
        features.append({"type": "Feature", "geometry": mapping(LineString(barrier.coords)), "properties": props})
    point_features: list[SensorFeature | CrossingFeature | CheckpointFeature | PatrolBaseFeature] = [
        *model.sensors,
        *model.crossings,
        *model.checkpoints,
        *model.patrol_bases,
    ]
    for point_feature in point_features:
        props = point_feature.properties.model_dump(exclude_none=True)
        if "ranges_m" in props:  # flat columns for GeoPackage; nested objects stay in GeoJSON
            props.update({f"range_{k}_m": v for k, v in props["ranges_m"].items()})
        features.append({"type": "Feature", "geometry": point_feature.geometry.model_dump(), "properties": props})
    return features


def export_model(model: BorderModel, out: str | Path, fmt: ExportFormat) -> Path:
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    features = model_features(model)
    if fmt == "geojson":
        document = {
            "type": "FeatureCollection",
            "borderwatch": model.header.model_dump(exclude_none=True),
            "features": features,
        }
        target.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")
        return target
    _write_gpkg(features, target)
    return target


def _write_gpkg(features: list[dict[str, Any]], target: Path) -> None:
    from pyogrio.raw import write

    if target.exists():
        target.unlink()
    layers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for feature in features:
        layers[feature["properties"]["kind"]].append(feature)
    for kind, members in layers.items():
        columns = sorted({k for f in members for k, v in f["properties"].items() if not isinstance(v, dict | list)})
        geometries = [shapely.geometry.shape(f["geometry"]) for f in members]
        geometry_type = "Point" if isinstance(geometries[0], Point) else "LineString"
        field_data = []
        for column in columns:
            values = [f["properties"].get(column) for f in members]
            sample = next((v for v in values if v is not None), "")
            if isinstance(sample, bool) or not isinstance(sample, int | float):
                field_data.append(np.array(["" if v is None else str(v) for v in values], dtype=object))
            else:
                field_data.append(np.array([np.nan if v is None else float(v) for v in values], dtype=float))
        write(
            str(target),
            geometry=np.array(shapely.to_wkb(geometries), dtype=object),
            field_data=field_data,
            fields=columns,
            layer=kind,
            driver="GPKG",
            geometry_type=geometry_type,
            crs="EPSG:4326",
            append=target.exists(),
        )
