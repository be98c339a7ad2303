"""`borderwatch coverage`: the report end to end, and clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from borderwatch.cli import app

runner = CliRunner()


def test_report_on_smooth_earth_writes_every_layer(tmp_path: Path) -> None:
    result = runner.invoke(app, ["coverage", "--class", "vehicle", "--raster-cell-m", "500", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "SYR total" in result.output and "Gaps" in result.output
    for name in (
        "coverage_vehicle_sectors.csv",
        "coverage_vehicle_gaps.csv",
        "coverage_vehicle.tif",
        "coverage_vehicle.geojson",
        "coverage_vehicle_map.png",
        "coverage_vehicle_along_border.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    rows = list(csv.DictReader((tmp_path / "coverage_vehicle_sectors.csv").open()))
    assert len(rows) == 24
    assert all(float(r["seen2_km"]) <= float(r["seen1_km"]) <= float(r["length_km"]) + 1e-6 for r in rows)
    layer = json.loads((tmp_path / "coverage_vehicle.geojson").read_text())
    assert {f["properties"]["min_sensors"] for f in layer["features"]} == {1, 2}


def test_report_with_a_missing_dem_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["coverage", "--dem", str(tmp_path / "none.tif"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no such file" in " ".join(result.output.split())  # rich wraps lines


def test_unknown_class_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["coverage", "--class", "camel", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "person, vehicle, animal" in " ".join(result.output.split())
