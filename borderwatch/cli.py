"""The `borderwatch` command line (typer + rich): one sub-command group per concern.

May import every subpackage; holds no domain logic, only argument parsing and presentation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from borderwatch.coverage.cli import coverage_app
from borderwatch.geo import ConfigError, load_border_model
from borderwatch.geo.model import BorderModel

app = typer.Typer(
    help="borderwatch — border-security operations: one picture of the green and blue border.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
border_app = typer.Typer(help="The border model: lines, km markers, sectors and features.", no_args_is_help=True)
app.add_typer(border_app, name="border")
app.add_typer(coverage_app, name="coverage")

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Border configuration (GeoJSON); default: the shipped Iraq–Syria one"),
]


def load_model_or_exit(config: Path | None) -> BorderModel:
    """The border model, or a clear message and exit status 2 for a bad configuration."""
    try:
        return load_border_model(config)
    except ConfigError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def border_summary(model: BorderModel) -> list[Table]:
    """Rich tables: the borders with lengths and sectors, and the features by type."""
    borders = Table(title=f"Border model '{model.name}' (home: {model.header.home_country})")
    for column in ("border", "neighbour", "length (km)", "sectors", "home side"):
        borders.add_column(column, justify="right" if column in ("length (km)", "sectors") else "left")
    for border_id, line in model.borders.items():
        n_sectors = sum(1 for s in model.sectors if s.border == border_id)
        borders.add_row(border_id, line.neighbour, f"{line.length_km:,.1f}", str(n_sectors), line.home_side)
    features = Table(title="Features by type")
    features.add_column("type")
    features.add_column("count", justify="right")
    features.add_column("detail")
    barrier_km: dict[str, float] = {}
    for barrier in model.barriers:
        barrier_km[barrier.barrier_type] = barrier_km.get(barrier.barrier_type, 0.0) + barrier.end_km - barrier.start_km
    for kind, km in sorted(barrier_km.items()):
        count = sum(1 for b in model.barriers if b.barrier_type == kind)
        features.add_row(f"barrier: {kind}", str(count), f"{km:,.1f} km")
    sensor_types = Counter(s.properties.sensor_type for s in model.sensors)
    for kind, count in sorted(sensor_types.items()):
        features.add_row(f"sensor: {kind}", str(count), "")
    features.add_row("crossing", str(len(model.crossings)), ", ".join(c.properties.name for c in model.crossings))
    features.add_row("checkpoint", str(len(model.checkpoints)), "")
    features.add_row(
        "patrol base",
        str(len(model.patrol_bases)),
        f"{sum(b.properties.units for b in model.patrol_bases)} units",
    )
    return [borders, features]


@border_app.command("info")
def border_info(config: ConfigOption = None) -> None:
    """Table of borders, lengths, sectors and features by type."""
    model = load_model_or_exit(config)
    for table in border_summary(model):
        console.print(table)
    if model.header.illustrative:
        console.print("[yellow]Sensor layout is illustrative, not a real deployment.[/]")


@border_app.command("locate")
def border_locate(
    lat: Annotated[float, typer.Argument(min=-90, max=90, help="Latitude, degrees north")],
    lon: Annotated[float, typer.Argument(min=-180, max=180, help="Longitude, degrees east")],
    config: ConfigOption = None,
) -> None:
    """Which border, km marker, offset, side and sector a point is at."""
    model = load_model_or_exit(config)
    loc = model.locate(lat, lon)
    table = Table(show_header=False, title=f"{lat:.5f}, {lon:.5f}")
    table.add_row("border", f"{loc.border} ({model.header.home_country}–{loc.neighbour})")
    table.add_row("km marker", f"{loc.km:,.3f}")
    table.add_row("offset", f"{loc.offset_m:+,.0f} m ({'home' if loc.side == 'home' else 'neighbour'} side)")
    table.add_row("side", f"{loc.side} ({model.header.home_country if loc.side == 'home' else loc.neighbour})")
    table.add_row("sector", f"{loc.sector} — {loc.sector_name}")
    console.print(table)


@border_app.command("export")
def border_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="geojson or gpkg")] = "geojson",
    config: ConfigOption = None,
) -> None:
    """Every feature with all its properties, as GeoJSON or GeoPackage (one layer per kind)."""
    from borderwatch.geo.export import export_model

    if fmt not in ("geojson", "gpkg"):
        err_console.print(f"[bold red]error:[/] --format must be geojson or gpkg, not {fmt!r}")
        raise typer.Exit(2)
    model = load_model_or_exit(config)
    path = export_model(model, out, "gpkg" if fmt == "gpkg" else "geojson")
    console.print(f"wrote {path}")


@border_app.command("map")
def border_map(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file")] = Path("border.png"),
    config: ConfigOption = None,
) -> None:
    """A map picture of the border, sectors, barriers, sensors and crossings."""
    from borderwatch.maps import BorderMap

    model = load_model_or_exit(config)
    console.print(f"wrote {BorderMap(model).save(out)}")


from borderwatch.crossings.cli import crossings_app, screen  # noqa: E402

app.add_typer(crossings_app, name="crossings")
app.command("screen")(screen)


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the demo's files")] = Path("out"),
) -> None:
    """The main job on the embedded default; see borderwatch/demo.py for its steps."""
    from borderwatch.demo import run_demo

    run_demo(out, console)


@app.command("simulate")
def simulate(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name (quiet-night, ...) or a YAML file")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for detections, truth and summary")] = Path(
        "out/sim"
    ),
    realtime: Annotated[bool, typer.Option("--realtime", help="Stream at --speed x real time")] = False,
    speed: Annotated[float, typer.Option("--speed", min=0.001, help="Real-time factor with --realtime")] = 1.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the scenario's seed")] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Override the duration (s)")] = None,
    config: ConfigOption = None,
) -> None:
    """Simulate a scenario: sensor detections and ground truth as JSON Lines (docs/formats.md)."""
    from borderwatch.sim import ScenarioError
    from borderwatch.sim.command import run_simulate

    model = load_model_or_exit(config)
    try:
        run_simulate(scenario, model, out, console, realtime=realtime, speed=speed, seed=seed, duration_s=duration)
    except ScenarioError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@app.command("track")
def track(
    detections: Annotated[Path, typer.Option("--detections", "-d", help="Detections (JSON Lines, docs/formats.md)")],
    tracks: Annotated[Path, typer.Option("--tracks", help="Track states out (JSON Lines)")] = Path("tracks.jsonl"),
    events: Annotated[Path, typer.Option("--events", help="Border events out (JSON Lines)")] = Path("events.jsonl"),
    config: ConfigOption = None,
) -> None:
    """Fuse detections into tracks and border events (bad lines are counted and skipped)."""
    from borderwatch.fusion.commands import track_file, track_report

    model = load_model_or_exit(config)
    if not detections.is_file():
        err_console.print(f"[bold red]error:[/] detections file not found: {detections}")
        raise typer.Exit(2)
    run = track_file(model, detections, tracks, events)
    track_report(run, console)
    console.print(f"wrote {tracks} and {events}")


@app.command("evaluate")
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="Truth records (JSON Lines, from the simulator)")],
    tracks: Annotated[Path, typer.Option("--tracks", help="Track states (from borderwatch track)")],
    events: Annotated[Path, typer.Option("--events", help="Border events (from borderwatch track)")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Scores JSON (default: beside events)")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Plot PNG (default: beside events)")] = None,
    sensors: Annotated[int | None, typer.Option(help="Sensors behind the detections (default: config's)")] = None,
    gospa_c: Annotated[float, typer.Option(help="GOSPA cut-off c (m)")] = 100.0,
    gospa_p: Annotated[float, typer.Option(help="GOSPA order p")] = 1.0,
    config: ConfigOption = None,
) -> None:
    """Score tracks and events against truth: GOSPA, id switches, crossing recall, time to alert, false alarms."""
    from borderwatch.evaluation.commands import evaluate_files, report, write_scores

    for path in (truth, tracks, events):
        if not path.is_file():
            err_console.print(f"[bold red]error:[/] file not found: {path}")
            raise typer.Exit(2)
    n_sensors = sensors if sensors is not None else len(load_model_or_exit(config).sensors)
    scores, bad = evaluate_files(truth, tracks, events, n_sensors, gospa_c, gospa_p)
    report(scores, console)
    if bad:
        console.print(f"[yellow]{bad} bad line(s) skipped[/]")
    json_out = out or events.parent / "scores.json"
    plot_out = plot or events.parent / "scores.png"
    write_scores(scores, json_out, plot_out)
    console.print(f"wrote {json_out} and {plot_out}")


def main() -> None:  # pragma: no cover - entry point
    app()
