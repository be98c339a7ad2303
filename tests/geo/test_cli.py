"""The `borderwatch border` commands, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.geo import BorderModel

runner = CliRunner()


def test_info_lists_borders_and_features() -> None:
    result = runner.invoke(app, ["border", "info"])
    assert result.exit_code == 0, result.output
    assert "SYR" in result.output and "599.3" in result.output
    assert "Al-Qaim" in result.output and "tower" in result.output


def test_locate_prints_border_km_side_and_sector(border_model: BorderModel) -> None:
    result = runner.invoke(app, ["border", "locate", "34.37", "41.09"])
    assert result.exit_code == 0, result.output
    loc = border_model.locate(34.37, 41.09)
    assert f"{loc.km:,.3f}" in result.output
    assert loc.sector in result.output and "home" in result.output


def test_locate_rejects_impossible_latitude() -> None:
    result = runner.invoke(app, ["border", "locate", "--", "95", "41"])
    assert result.exit_code == 2


def test_export_geojson_keeps_every_property(tmp_path: Path, border_model: BorderModel) -> None:
    out = tmp_path / "border.geojson"
    result = runner.invoke(app, ["border", "export", "--format", "geojson", "--out", str(out)])
    assert result.exit_code == 0, result.output
    features = json.loads(out.read_text())["features"]
    kinds = {f["properties"]["kind"] for f in features}
    assert kinds == {"border_line", "sector", "barrier", "sensor", "crossing", "checkpoint", "patrol_base"}
    line = next(f for f in features if f["properties"]["kind"] == "border_line")
    assert line["properties"]["neighbour"] == "Syria"
    tower = next(f for f in features if f["properties"].get("id") == "cam-01")
    assert tower["properties"]["ranges_m"]["person"] > 0 and tower["properties"]["height_m"] > 0
    assert sum(1 for f in features if f["properties"]["kind"] == "sensor") == len(border_model.sensors)


def test_export_gpkg_one_layer_per_kind(tmp_path: Path, border_model: BorderModel) -> None:
    out = tmp_path / "border.gpkg"
    result = runner.invoke(app, ["border", "export", "--format", "gpkg", "--out", str(out)])
    assert result.exit_code == 0, result.output
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"border_line", "sensor", "crossing", "barrier", "sector"} <= layers
    info = pyogrio.read_info(out, layer="sensor")
    assert info["features"] == len(border_model.sensors)
    assert "height_m" in list(info["fields"])
    _, _, _, fields = pyogrio.raw.read(out, layer="border_line")[:4]
    assert "Syria" in [
        str(v) for v in fields[list(pyogrio.read_info(out, layer="border_line")["fields"]).index("neighbour")]
    ]


def test_export_rejects_unknown_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["border", "export", "--format", "kml", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2


def test_map_writes_png(tmp_path: Path) -> None:
    out = tmp_path / "border.png"
    result = runner.invoke(app, ["border", "map", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 50_000


def test_map_draws_and_names_the_rivers_in_view(border_model: BorderModel) -> None:
    from borderwatch.maps.border_map import BorderMap

    labels = {text.get_text() for text in BorderMap(border_model).ax.texts}
    assert {"Euphrates", "Tigris"} <= labels
    # Zoomed onto the southern stretch (al-Walid), the Euphrates and Tigris are out of view and unnamed.
    labels = {text.get_text() for text in BorderMap(border_model, bounds=(38.7, 33.2, 39.3, 33.6)).ax.texts}
    assert not {"Euphrates", "Tigris"} & labels
