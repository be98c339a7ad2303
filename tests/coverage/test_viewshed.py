"""The viewshed kernel against geometry, and against Debian's gdal_viewshed (the peer)."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.coverage.dem import Dem
from borderwatch.coverage.viewshed import HIDDEN, OUT_OF_RANGE, VISIBLE, SightParams, viewshed

runner = CliRunner()


def params(**overrides: float) -> SightParams:
    base = {
        "row": 100,
        "col": 100,
        "observer_height_m": 10.0,
        "target_height_m": 0.0,
        "radius_m": 1e9,
        "cell_dx_m": 30.0,
        "cell_dy_m": 30.0,
        "curvature_coeff": 0.0,
    }
    base.update(overrides)
    return SightParams(**base)  # type: ignore[arg-type]


def test_flat_ground_without_curvature_is_all_visible() -> None:
    seen = viewshed(np.zeros((201, 201)), params())
    assert (seen == VISIBLE).all()


def test_wall_casts_the_shadow_geometry_predicts() -> None:
    z = np.zeros((201, 201))
    z[:, 110] = 20.0  # a 20 m wall 10 cells (300 m) east of the observer, eye at 10 m
    seen = viewshed(z, params())
    row = seen[100]
    # Behind the wall the sight line over its top climbs 10 m per 300 m: ground is hidden, and a
    # target is visible only once it stands above the line.
    assert (row[111:] == HIDDEN).all()
    assert (row[:110] == VISIBLE).all()
    tall = viewshed(z, params(target_height_m=25.0))[100]
    distance = (np.arange(111, 201) - 100) * 30.0
    expected = 10.0 + 10.0 * distance / 300.0 <= 25.0
    assert np.array_equal(tall[111:] == VISIBLE, expected)


def test_curvature_limits_sight_to_the_horizon_distance() -> None:
    z = np.zeros((3, 4001))
    k_optical = 0.13
    p = params(
        row=1,
        col=0,
        observer_height_m=30.0,
        target_height_m=1.7,
        curvature_coeff=1 - k_optical,
        earth_radius_m=6_371_000.0,
        cell_dx_m=10.0,
        cell_dy_m=10.0,
    )
    seen = viewshed(z, p)[1]
    last_visible_m = np.flatnonzero(seen == VISIBLE).max() * 10.0
    effective = 6_371_000.0 / (1 - k_optical)
    horizon = math.sqrt(2 * effective * 30.0) + math.sqrt(2 * effective * 1.7)
    assert abs(last_visible_m - horizon) <= 20.0  # two cells


def test_range_and_field_of_view_mark_cells_out_of_range() -> None:
    seen = viewshed(np.zeros((201, 201)), params(radius_m=1500.0, fov_deg=90.0, pan_center_deg=90.0))
    assert seen[100, 100] == VISIBLE
    assert seen[100, 140] == VISIBLE  # 1.2 km due east, inside the fan
    assert seen[100, 160] == OUT_OF_RANGE  # 1.8 km east: beyond the radius
    assert seen[60, 100] == OUT_OF_RANGE  # due north: outside the fan
    assert seen[100, 60] == OUT_OF_RANGE  # due west


def _gdal_viewshed(
    dem: Path, out: Path, x: float, y: float, height: float, target: float, radius: float, refraction: float
) -> None:
    subprocess.run(
        [
            "gdal_viewshed",
            "-q",
            "-ox",
            str(x),
            "-oy",
            str(y),
            "-oz",
            str(height),
            "-tz",
            str(target),
            "-md",
            str(radius),
            "-cc",
            str(1 - refraction),
            "-vv",
            "1",
            "-iv",
            "0",
            "-ov",
            "255",
            str(dem),
            str(out),
        ],
        check=True,
    )


@pytest.mark.skipif(shutil.which("gdal_viewshed") is None, reason="gdal-bin not installed (make test installs it)")
@pytest.mark.parametrize(
    ("lat", "lon", "height", "radius"),
    [
        (36.33, 41.76, 30.0, 5000.0),  # on the ridge's flank
        (36.30, 41.72, 15.0, 4000.0),  # on the plain below it
        (36.355, 41.80, 60.0, 6000.0),  # near the crest
    ],
)
def test_cli_viewshed_agrees_with_gdal_viewshed(
    sinjar_dem: Path, tmp_path: Path, lat: float, lon: float, height: float, radius: float
) -> None:
    ours = tmp_path / "ours.tif"
    result = runner.invoke(
        app,
        [
            "coverage",
            "viewshed",
            "--dem",
            str(sinjar_dem),
            "--lat",
            str(lat),
            "--lon",
            str(lon),
            "--height",
            str(height),
            "--target-height",
            "1.7",
            "--radius",
            str(radius),
            "--out",
            str(ours),
        ],
    )
    assert result.exit_code == 0, result.output
    with Dem(sinjar_dem) as dem:
        row, col = (int(v[0]) for v in dem.rowcol([lat], [lon]))
        x, y = dem.cell_centre_xy(row, col)
    peer = tmp_path / "gdal.tif"
    _gdal_viewshed(sinjar_dem, peer, x, y, height, 1.7, radius, 0.13)
    with rasterio.open(ours) as a, rasterio.open(peer) as b:
        assert a.crs == b.crs and a.res == b.res
        ours_v, peer_v = a.read(1), b.read(1)
        # Put both on the DEM grid: the windows may differ by a cell at the rim.
        dr = round((a.transform.f - b.transform.f) / a.res[1])
        dc = round((b.transform.c - a.transform.c) / a.res[0])
    full_a = np.full((ours_v.shape[0] + 4, ours_v.shape[1] + 4), OUT_OF_RANGE, np.uint8)
    full_b = np.full_like(full_a, OUT_OF_RANGE)
    full_a[2 : 2 + ours_v.shape[0], 2 : 2 + ours_v.shape[1]] = ours_v
    full_b[2 + dr : 2 + dr + peer_v.shape[0], 2 + dc : 2 + dc + peer_v.shape[1]] = peer_v
    within = (full_a != OUT_OF_RANGE) & (full_b != OUT_OF_RANGE)
    assert within.sum() > 0.3 * math.pi * (radius / 30.0) ** 2
    agreement = float((full_a[within] == full_b[within]).mean())
    assert agreement >= 0.98, f"only {agreement:.2%} of cells agree with gdal_viewshed"
    hidden = float((full_b[within] == 0).mean())
    assert 0.02 < hidden < 0.98, "terrain too plain to test anything"
