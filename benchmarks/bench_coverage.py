"""Coverage planner beside gdal_viewshed: one observer (15 km, 30 m cells), the whole Iraq–Syria
strip with the default layout (30 m cells), and placing 20 towers among 1,000 candidates (greedy
beside the HiGHS optimum). Generated terrain is cached under build/coverage-bench/."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from borderwatch.coverage.assessment import assess_coverage
from borderwatch.coverage.dem import Dem
from borderwatch.coverage.observers import TARGET_HEIGHT_M, observers_for
from borderwatch.coverage.placement import TowerSpec, build_problem, candidate_grid, exact_milp, lazy_greedy
from borderwatch.coverage.sight import DemSight, write_observer_viewshed
from borderwatch.coverage.terrain import write_border_terrain, write_terrain_geotiff
from borderwatch.coverage.viewshed import curvature_coefficient
from borderwatch.geo import load_border_model

CACHE = Path("build/coverage-bench")
OBSERVER = (36.36, 41.75)  # on the Sinjar-like ridge: hard terrain for a sweep


def _gdal(dem: Path, out: Path, x: float, y: float, height: float, target: float, radius: float, k: float) -> None:
    subprocess.run(
        [
            "gdal_viewshed",
            "-q",
            "-ox",
            f"{x}",
            "-oy",
            f"{y}",
            "-oz",
            f"{height}",
            "-tz",
            f"{target}",
            "-md",
            f"{radius}",
            "-cc",
            f"{curvature_coefficient(k)}",
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
        capture_output=True,
    )


def _median_s(run: object, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def one_observer(console: Console, have_gdal: bool, tmp: Path) -> None:
    dem_path = CACHE / "sinjar_40km_30m.tif"
    if not dem_path.exists():
        write_terrain_geotiff(dem_path, (41.50, 36.18, 42.00, 36.54), cell_m=30.0)
    lat, lon = OBSERVER
    ours = tmp / "ours.tif"
    write_observer_viewshed(dem_path, lat, lon, ours, 30.0, 1.7, 15_000.0)  # compile once, outside the clock
    ours_s = _median_s(lambda: write_observer_viewshed(dem_path, lat, lon, ours, 30.0, 1.7, 15_000.0))
    table = Table(title="One observer: 15 km radius, 30 m cells, DEM file to visibility GeoTIFF (median of 5)")
    for column in ("engine", "time (s)", "ratio to gdal_viewshed"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    if have_gdal:
        with Dem(dem_path) as dem:
            row, col = (int(v[0]) for v in dem.rowcol([lat], [lon]))
            x, y = dem.cell_centre_xy(row, col)
        gdal_s = _median_s(lambda: _gdal(dem_path, tmp / "gdal.tif", x, y, 30.0, 1.7, 15_000.0, 0.13))
        table.add_row("gdal_viewshed (process)", f"{gdal_s:.3f}", "1.00")
        table.add_row("borderwatch", f"{ours_s:.3f}", f"{ours_s / gdal_s:.2f}")
    else:
        table.add_row("borderwatch", f"{ours_s:.3f}", "gdal_viewshed not installed")
    console.print(table)


def whole_strip(console: Console, have_gdal: bool, tmp: Path) -> None:
    model = load_border_model()
    dem_path = CACHE / "iraq_syria_strip_30m.tif"
    if not dem_path.exists():
        console.print("generating 30 m terrain for the strip (cached for next time)...")
        write_border_terrain(model, dem_path, 30.0)
    sight = DemSight(Dem(dem_path))
    line_of_sight = [o for o in observers_for(model.sensors, "person") if o.line_of_sight]
    started = time.perf_counter()
    result = assess_coverage(model, sight, "person", strip_width_m=20_000.0, raster_cell_m=100.0)
    ours_s = time.perf_counter() - started
    table = Table(
        title=f"Whole Iraq–Syria strip (20 km wide), default layout, person, 30 m DEM: "
        f"{len(line_of_sight)} line-of-sight sensors + {len(model.sensors) - len(line_of_sight)} ground"
    )
    for column in ("engine", "time (s)", "ratio to gdal_viewshed", "what"):
        table.add_column(column, justify="right" if column.startswith(("time", "ratio")) else "left")
    if have_gdal:
        dem = Dem(dem_path)
        jobs = []
        for i, observer in enumerate(line_of_sight):
            row, col = sight.observer_cell(observer)
            x, y = dem.cell_centre_xy(row, col)
            jobs.append((x, y, observer.height_m, observer.range_m, observer.refraction_k, tmp / f"g{i}.tif"))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:  # two gdal_viewshed processes at a time
            list(
                pool.map(lambda j: _gdal(dem_path, j[5], j[0], j[1], j[2], TARGET_HEIGHT_M["person"], j[3], j[4]), jobs)
            )
        gdal_s = time.perf_counter() - started
        table.add_row("gdal_viewshed × sensor, 2 processes", f"{gdal_s:.2f}", "1.00", "viewshed rasters only")
        table.add_row(
            "borderwatch",
            f"{ours_s:.2f}",
            f"{ours_s / gdal_s:.2f}",
            "viewsheds + km coverage, gaps, strip raster (1 process)",
        )
    else:
        table.add_row("borderwatch", f"{ours_s:.2f}", "gdal_viewshed not installed", "")
    line = result.lines["SYR"]
    table.caption = (
        f"seen by ≥1: {line.seen_km(1):.1f} of {model.borders['SYR'].length_km:.1f} km, "
        f"≥2: {line.seen_km(2):.1f} km; {len(result.gaps())} gaps"
    )
    console.print(table)


def placement(console: Console) -> None:
    model = load_border_model()
    sight = DemSight(Dem(CACHE / "iraq_syria_strip_30m.tif"))
    bare = assess_coverage(model, sight, "person", raster_cell_m=None, sensors=[])
    started = time.perf_counter()
    problem = build_problem(
        model, sight, bare, candidate_grid(model, count=1000), TowerSpec(30.0, 5000.0), min_spacing_m=3000.0
    )
    build_s = time.perf_counter() - started
    greedy = lazy_greedy(problem, 20)
    exact = exact_milp(problem, 20, time_limit_s=120.0)
    table = Table(
        title=f"Placing 20 towers among {len(problem.candidates)} candidates (bare border, 3 km spacing, "
        f"30 m terrain); candidate viewsheds took {build_s:.1f} s"
    )
    for column in ("method", "objective (km seen)", "share of optimum", "time (s)"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for p in (exact, greedy):
        share = p.objective_km / exact.objective_km if exact.objective_km else float("nan")
        table.add_row(
            p.method + (" (optimal)" if p.optimal else ""), f"{p.objective_km:.1f}", f"{share:.1%}", f"{p.seconds:.3f}"
        )
    console.print(table)


def run(console: Console) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    have_gdal = shutil.which("gdal_viewshed") is not None
    with tempfile.TemporaryDirectory() as tmp:
        one_observer(console, have_gdal, Path(tmp))
        whole_strip(console, have_gdal, Path(tmp))
    placement(console)
