"""A malformed configuration is rejected with a message naming the feature and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.geo import BorderModel, ConfigError
from borderwatch.geo.config import parse_config


def build(document: dict[str, Any]) -> BorderModel:
    return BorderModel(parse_config(document))


def find(document: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(f for f in document["features"] if f["properties"].get("id") == ident)


def test_default_configuration_is_valid(default_document: dict[str, Any]) -> None:
    model = build(default_document)
    assert model.header.illustrative
    assert {c.properties.name for c in model.crossings} == {"Al-Qaim", "Rabia", "Al-Walid"}
    wall = next(b for b in model.barriers if b.barrier_type == "wall")
    assert wall.end_km - wall.start_km == pytest.approx(160.0)


def test_bad_coordinates(default_document: dict[str, Any]) -> None:
    find(default_document, "cam-05")["geometry"]["coordinates"] = [41.0, 95.0]
    with pytest.raises(ConfigError) as err:
        build(default_document)
    assert "'cam-05'" in str(err.value) and "geometry.coordinates" in str(err.value)
    assert "latitude 95.0" in str(err.value)


def test_unknown_feature_type(default_document: dict[str, Any]) -> None:
    default_document["features"].append(
        {"type": "Feature", "geometry": None, "properties": {"kind": "minefield", "id": "mf-1"}}
    )
    with pytest.raises(ConfigError, match=r"'mf-1' \(minefield\).*properties\.kind.*unknown type"):
        build(default_document)


def test_unknown_sensor_type_and_bad_field(default_document: dict[str, Any]) -> None:
    find(default_document, "cam-02")["properties"]["sensor_type"] = "drone"
    find(default_document, "cam-03")["properties"]["height_m"] = -5
    with pytest.raises(ConfigError) as err:
        build(default_document)
    text = str(err.value)
    assert "'cam-02'" in text and "sensor_type" in text
    assert "'cam-03'" in text and "height_m" in text  # every problem listed, not just the first


def test_overlapping_sectors(default_document: dict[str, Any]) -> None:
    for ident, start, end in (("S-A", 0.0, 100.0), ("S-B", 90.0, 200.0)):
        default_document["features"].append(
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "kind": "sector",
                    "id": ident,
                    "name": ident,
                    "border": "SYR",
                    "start_km": start,
                    "end_km": end,
                },
            }
        )
    with pytest.raises(ConfigError, match=r"sector 'S-B': field properties.start_km: 90.0 overlaps sector 'S-A'"):
        build(default_document)


def test_explicit_sectors_are_used(default_document: dict[str, Any]) -> None:
    for ident, start, end in (("north", 300.0, 599.3), ("south", 0.0, 300.0)):
        default_document["features"].append(
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "kind": "sector",
                    "id": ident,
                    "name": ident.title(),
                    "border": "SYR",
                    "start_km": start,
                    "end_km": end,
                },
            }
        )
    model = build(default_document)
    assert [s.id for s in model.sectors] == ["south", "north"]
    assert model.locate(36.8, 42.1).sector == "north"


def test_sensor_far_from_the_border(default_document: dict[str, Any]) -> None:
    # Basra is ~700 km from the Syria line; the default limit is 60 km.
    find(default_document, "gs-04")["geometry"]["coordinates"] = [47.8, 30.5]
    with pytest.raises(ConfigError, match=r"sensor 'gs-04': field geometry.coordinates: \d+\.\d km from"):
        build(default_document)


def test_km_range_past_the_end_of_the_line(default_document: dict[str, Any]) -> None:
    find(default_document, "wall-north")["properties"]["end_km"] = 900.0
    with pytest.raises(ConfigError, match=r"barrier 'wall-north': field properties.end_km: 900.0 is past the end"):
        build(default_document)


def test_barrier_on_unknown_border(default_document: dict[str, Any]) -> None:
    find(default_document, "berm")["properties"]["border"] = "XXX"
    with pytest.raises(ConfigError, match=r"barrier 'berm': field properties.border: unknown border 'XXX'"):
        build(default_document)


def test_duplicate_ids(default_document: dict[str, Any]) -> None:
    find(default_document, "cam-07")["properties"]["id"] = "cam-06"
    with pytest.raises(ConfigError, match="duplicate id"):
        build(default_document)


def test_not_geojson_and_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a GeoJSON FeatureCollection"):
        parse_config({"type": "Feature"})
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["border", "info", "--config", str(bad)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output and "Traceback" not in result.output


def test_cli_reports_problems_without_traceback(tmp_path: Path, default_document: dict[str, Any]) -> None:
    find(default_document, "cam-01")["geometry"]["coordinates"] = [200.0, 33.0]
    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps(default_document), encoding="utf-8")
    result = CliRunner().invoke(app, ["border", "info", "--config", str(path)])
    assert result.exit_code == 2
    assert "'cam-01'" in result.output and "longitude 200.0" in result.output
    assert "Traceback" not in result.output
