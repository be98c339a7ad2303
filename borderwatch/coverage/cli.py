"""`borderwatch coverage`: the coverage planner's commands (viewshed, report, place).

Lives here: argument parsing and presentation for the coverage planner; the work is done by
the rest of borderwatch.coverage. May import borderwatch.geo and borderwatch.coverage.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from borderwatch.geo import ConfigError, load_border_model

if TYPE_CHECKING:  # the planner pulls in numba and rasterio: load it when a command runs, not at startup
    from borderwatch.coverage.observers import TargetClass
    from borderwatch.coverage.placement import Candidate
    from borderwatch.coverage.sight import SightModel
    from borderwatch.geo.model import BorderModel

coverage_app = typer.Typer(
    help="Coverage planner: line of sight, border km seen, gaps, where to put new towers. "
    "Without a sub-command: the coverage report.",
    invoke_without_command=True,
)
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Border configuration (GeoJSON)")]
DemOption = Annotated[
    Path | None, typer.Option("--dem", help="Elevation GeoTIFF (SRTM, Copernicus...), any CRS; default: smooth earth")
]
ClassOption = Annotated[str, typer.Option("--class", help="Target class: person, vehicle or animal")]
GeneratedOption = Annotated[
    float | None,
    typer.Option(
        "--generated-terrain",
        help="Use generated Iraq–Syria terrain with cells this many metres (written to the "
        "output directory) instead of --dem",
    ),
]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def _model(config: Path | None) -> BorderModel:
    try:
        return load_border_model(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _class(name: str) -> TargetClass:
    from borderwatch.coverage.observers import check_target_class

    try:
        return check_target_class(name)
    except ValueError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _progress(label: str):  # type: ignore[no-untyped-def]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None, item="")

        def update(done: int, total: int, item: str) -> None:
            bar.update(task, completed=done, total=total, item=item)

        yield update


def _sight(
    model: BorderModel, dem: Path | None, generated_cell_m: float | None, out: Path, strip_width_m: float
) -> SightModel:
    from borderwatch.coverage.dem import Dem, DemError
    from borderwatch.coverage.sight import DemSight, SmoothEarthSight
    from borderwatch.coverage.terrain import write_border_terrain

    if dem is not None and generated_cell_m is not None:
        raise _fail("give --dem or --generated-terrain, not both")
    try:
        if generated_cell_m is not None:
            path = out / f"terrain_{generated_cell_m:g}m.tif"
            if not path.exists():
                err_console.print(f"generating terrain at {generated_cell_m:g} m cells: {path}")
                write_border_terrain(model, path, generated_cell_m, strip_width_m)
            return DemSight(Dem(path))
        if dem is not None:
            return DemSight(Dem(dem))
    except DemError as exc:
        raise _fail(str(exc)) from None
    return SmoothEarthSight()


@coverage_app.callback()
def coverage_report(
    ctx: typer.Context,
    dem: DemOption = None,
    target_class: ClassOption = "person",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Report directory")] = None,
    strip_width_km: Annotated[float, typer.Option(help="Width of the strip, both sides together", min=0.1)] = 20.0,
    step_m: Annotated[float, typer.Option(help="Spacing of km samples along the line", min=1.0)] = 100.0,
    raster_cell_m: Annotated[float, typer.Option(help="Cell size of the strip raster and polygons", min=10.0)] = 100.0,
    generated_terrain: GeneratedOption = None,
    config: ConfigOption = None,
) -> None:
    """Coverage table, gaps, GeoTIFF, GeoJSON polygons, map and along-border plot into --out."""
    if ctx.invoked_subcommand is not None:
        return
    from borderwatch.coverage.assessment import assess_coverage
    from borderwatch.coverage.dem import DemError
    from borderwatch.coverage.report import coverage_table, gaps_table, write_report

    if out is None:
        raise _fail("--out DIR is required for the coverage report")
    model = _model(config)
    klass = _class(target_class)
    out.mkdir(parents=True, exist_ok=True)
    sight = _sight(model, dem, generated_terrain, out, strip_width_km * 1000.0)
    try:
        with _progress("line of sight") as update:
            result = assess_coverage(
                model, sight, klass, strip_width_km * 1000.0, step_m, raster_cell_m, progress=update
            )
    except DemError as exc:
        raise _fail(str(exc)) from None
    console.print(coverage_table(result))
    console.print(gaps_table(result.gaps()))
    for kind, path in write_report(result, out).items():
        console.print(f"[green]{kind}:[/] {path}")


@coverage_app.command("viewshed")
def viewshed_command(
    dem: Annotated[Path, typer.Option("--dem", help="Elevation GeoTIFF")],
    lat: Annotated[float, typer.Option(min=-90, max=90, help="Observer latitude")],
    lon: Annotated[float, typer.Option(min=-180, max=180, help="Observer longitude")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Visibility GeoTIFF to write")],
    height: Annotated[float, typer.Option(help="Observer eye above ground, m", min=0.0)] = 30.0,
    target_height: Annotated[float, typer.Option(help="Target height above ground, m", min=0.0)] = 1.7,
    radius: Annotated[float, typer.Option(help="Maximum range, m", min=1.0)] = 15_000.0,
    refraction: Annotated[float, typer.Option(help="Refraction coefficient k (0.13 optical, 0.25 radar)")] = 0.13,
    fov: Annotated[float, typer.Option(help="Field of view, degrees", min=0.1, max=360.0)] = 360.0,
    pan: Annotated[float, typer.Option(help="Centre azimuth of the field of view, degrees")] = 0.0,
) -> None:
    """One observer's visibility on the DEM's grid: 1 visible, 0 not, 255 (nodata) beyond the radius.

    Like gdal_viewshed, the raster covers the DEM cells within the radius (same cell alignment);
    curvature coefficient is 1 - k.
    """
    from borderwatch.coverage.dem import DemError
    from borderwatch.coverage.sight import write_observer_viewshed
    from borderwatch.coverage.viewshed import OUT_OF_RANGE, VISIBLE

    try:
        seen = write_observer_viewshed(dem, lat, lon, out, height, target_height, radius, refraction, fov, pan)
    except DemError as exc:
        raise _fail(str(exc)) from None
    in_range = int((seen != OUT_OF_RANGE).sum())
    visible = int((seen == VISIBLE).sum())
    console.print(
        f"wrote {out}: {visible:,} of {in_range:,} cells in range visible ({100 * visible / max(in_range, 1):.1f} %)"
    )


def _read_candidates(path: Path) -> list[Candidate]:
    """CSV with columns lat, lon and optionally id; every bad row is reported, none dropped silently."""
    from borderwatch.coverage.placement import Candidate

    sites: list[Candidate] = []
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"lat", "lon"} <= set(reader.fieldnames):
            raise _fail(f"{path}: needs a header with columns lat and lon (and optionally id)")
        for number, row in enumerate(reader, start=2):
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError("out of range")
            except (TypeError, ValueError):
                problems.append(
                    f"{path}:{number}: field lat/lon: {row.get('lat')!r}, {row.get('lon')!r} is not a position"
                )
                continue
            sites.append(Candidate(row.get("id") or f"site-{number - 1}", lat, lon))
    if problems:
        raise _fail("\n".join(problems))
    return sites


@coverage_app.command("place")
def place_command(
    towers: Annotated[int, typer.Option("--towers", "-n", help="How many new towers", min=1)],
    dem: DemOption = None,
    target_class: ClassOption = "person",
    candidates: Annotated[
        Path | None, typer.Option(help="CSV of candidate sites (lat, lon, id); default: a grid along the border")
    ] = None,
    spacing_km: Annotated[float, typer.Option(help="Grid: km between candidate sites", min=0.01)] = 0.5,
    offset_m: Annotated[float, typer.Option(help="Grid: metres inside the home side")] = 1000.0,
    min_spacing_m: Annotated[float, typer.Option(help="Least distance between towers, new or old", min=0.0)] = 3000.0,
    height: Annotated[float | None, typer.Option(help="Mast height, m (default: the commonest tower's)")] = None,
    range_m: Annotated[
        float | None, typer.Option(help="Detection range for the class, m (default: the commonest tower's)")
    ] = None,
    exact: Annotated[bool | None, typer.Option(help="Also solve exactly with HiGHS (default: when N <= 30)")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Directory for sites CSV and GeoJSON")] = None,
    generated_terrain: GeneratedOption = None,
    config: ConfigOption = None,
) -> None:
    """Choose N new tower sites that add the most border km seen: lazy greedy, and HiGHS for the optimum."""
    import numpy as np

    from borderwatch.coverage.assessment import assess_coverage
    from borderwatch.coverage.dem import DemError
    from borderwatch.coverage.placement import (
        Placement,
        TowerSpec,
        build_problem,
        candidate_grid,
        exact_milp,
        lazy_greedy,
    )
    from borderwatch.coverage.report import placement_table

    model = _model(config)
    klass = _class(target_class)
    sight = _sight(model, dem, generated_terrain, out or Path("."), 20_000.0)
    towers_now = [s.properties for s in model.sensors if s.properties.sensor_type == "tower"]
    commonest = Counter((t.height_m, getattr(t.ranges_m, klass)) for t in towers_now).most_common(1)
    default_height, default_range = commonest[0][0] if commonest else (30.0, 5000.0)
    spec = TowerSpec(
        height if height is not None else default_height, range_m if range_m is not None else default_range
    )
    sites = _read_candidates(candidates) if candidates else candidate_grid(model, spacing_km, offset_m)
    try:
        with _progress("current coverage") as update:
            baseline = assess_coverage(model, sight, klass, raster_cell_m=None, progress=update)
        with _progress("candidate sites") as update:
            problem = build_problem(model, sight, baseline, sites, spec, klass, min_spacing_m, progress=update)
    except (DemError, ValueError) as exc:
        raise _fail(str(exc)) from None
    placements: list[Placement] = [lazy_greedy(problem, towers)]
    if exact if exact is not None else towers <= 30:
        placements.append(exact_milp(problem, towers))
    console.print(placement_table(problem, placements))
    if len(placements) == 2 and placements[1].objective_km > 0:
        console.print(
            f"greedy reaches {100 * placements[0].objective_km / placements[1].objective_km:.1f} % "
            f"of the optimum ({placements[1].objective_km:.1f} km)"
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        best = max(placements, key=lambda p: p.objective_km)
        with (out / "new_towers.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["rank", "id", "lat", "lon", "border", "km", "gain_km"])
            for rank, (site, gain) in enumerate(zip(best.sites, best.gains_km, strict=True), start=1):
                writer.writerow(
                    [
                        rank,
                        site.id,
                        f"{site.lat:.6f}",
                        f"{site.lon:.6f}",
                        site.border,
                        "" if np.isnan(site.km) else f"{site.km:.2f}",
                        f"{gain:.2f}",
                    ]
                )
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "kind": "proposed_tower",
                    "id": s.id,
                    "rank": i + 1,
                    "gain_km": round(g, 2),
                    "method": best.method,
                },
            }
            for i, (s, g) in enumerate(zip(best.sites, best.gains_km, strict=True))
        ]
        (out / "new_towers.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )
        console.print(f"[green]sites:[/] {out / 'new_towers.csv'}, {out / 'new_towers.geojson'}")


def run_coverage_demo(out: Path, out_console: Console, cell_m: float = 90.0, new_towers: int = 10) -> None:
    """`make demo`: the default Iraq–Syria layout on generated terrain — coverage, gaps, ten new towers."""
    from borderwatch.coverage.assessment import assess_coverage
    from borderwatch.coverage.dem import Dem
    from borderwatch.coverage.placement import TowerSpec, build_problem, candidate_grid, exact_milp, lazy_greedy
    from borderwatch.coverage.report import coverage_table, gaps_table, placement_table, write_report
    from borderwatch.coverage.sight import DemSight
    from borderwatch.coverage.terrain import write_border_terrain

    model = load_border_model()
    target = out / "coverage"
    target.mkdir(parents=True, exist_ok=True)
    terrain = target / f"terrain_{cell_m:g}m.tif"
    if not terrain.exists():
        write_border_terrain(model, terrain, cell_m)
    out_console.print(f"terrain: generated (not real) Iraq–Syria surface, {cell_m:g} m cells: {terrain}")
    sight = DemSight(Dem(terrain))
    result = assess_coverage(model, sight, "person")
    out_console.print(coverage_table(result))
    out_console.print(gaps_table(result.gaps(), limit=10))
    problem = build_problem(model, sight, result, candidate_grid(model), TowerSpec(30.0, 5000.0), "person")
    out_console.print(placement_table(problem, [lazy_greedy(problem, new_towers), exact_milp(problem, new_towers)]))
    for kind, path in write_report(result, target).items():
        out_console.print(f"[green]{kind}:[/] {path}")
