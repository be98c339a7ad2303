"""The `borderwatch` command line (typer + rich): one sub-command group per concern.

May import every subpackage; holds no domain logic, only argument parsing and presentation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

    # Piped into a log (make demo in CI), rich would fold the wide tables to 80 columns.
    run_demo(out, console if console.is_terminal else Console(width=150))


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
    dem: Annotated[Path | None, typer.Option("--dem", help="DEM (GeoTIFF): towers do not see through terrain")] = None,
    post: Annotated[
        str | None, typer.Option("--post", help="Also post each step to a running service at this URL")
    ] = None,
    keys: Annotated[
        Path | None, typer.Option("--keys", help="Sensor keys JSON for --post (default: in --data-dir)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="The service's data directory (keys)")] = None,
    config: ConfigOption = None,
) -> None:
    """Simulate a scenario: sensor detections and ground truth as JSON Lines (docs/formats.md)."""
    from borderwatch.coverage.dem import DemError
    from borderwatch.service.feed import FeedError
    from borderwatch.sim import ScenarioError
    from borderwatch.sim.command import run_simulate

    model = load_model_or_exit(config)
    options: dict[str, Any] = {"realtime": realtime, "speed": speed, "seed": seed, "duration_s": duration, "dem": dem}
    try:
        if post is None:
            run_simulate(scenario, model, out, console, **options)
        else:
            from borderwatch.service.commands import run_simulate_posting

            keys_file = keys or (data_dir or Path("borderwatch-data")) / "sensor_keys.json"
            run_simulate_posting(scenario, model, out, post, keys_file, console, **options)
    except (ScenarioError, DemError, FeedError) as exc:
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
    sensors: Annotated[
        int | None,
        typer.Option(min=1, help="Sensors of the scenario (default: its summary.json or detections beside --truth)"),
    ] = None,
    detections: Annotated[
        Path | None, typer.Option("--detections", help="Detections file whose sensors are counted (see --sensors)")
    ] = None,
    gospa_c: Annotated[float, typer.Option(help="GOSPA cut-off c (m)")] = 100.0,
    gospa_p: Annotated[float, typer.Option(help="GOSPA order p")] = 1.0,
    config: ConfigOption = None,
) -> None:
    """Score tracks and events against truth: GOSPA, id switches, crossing recall, time to alert, false alarms."""
    from borderwatch.evaluation.commands import evaluate_files, report, scenario_sensors, write_scores

    for path in (truth, tracks, events):
        if not path.is_file():
            err_console.print(f"[bold red]error:[/] file not found: {path}")
            raise typer.Exit(2)
    model = load_model_or_exit(config)
    if detections is not None and not detections.is_file():
        err_console.print(f"[bold red]error:[/] file not found: {detections}")
        raise typer.Exit(2)
    if sensors is not None:
        n_sensors = sensors
    elif (found := scenario_sensors(truth, detections)) is not None:
        n_sensors, source = found
        console.print(f"sensors of the scenario: {n_sensors} ({source})")
    else:
        n_sensors = len(model.sensors)
        console.print(
            f"[yellow]sensors: {n_sensors}, every sensor of the configuration[/] (no summary.json or detections "
            "beside the truth file: give --sensors or --detections for the scenario's own)"
        )
    scores, bad = evaluate_files(truth, tracks, events, n_sensors, gospa_c, gospa_p, model)
    report(scores, console)
    if bad:
        console.print(f"[yellow]{bad} bad line(s) skipped[/]")
    json_out = out or events.parent / "scores.json"
    plot_out = plot or events.parent / "scores.png"
    write_scores(scores, json_out, plot_out)
    console.print(f"wrote {json_out} and {plot_out}")


# ---------------------------------------------------------------- operations service (issue 5)

if TYPE_CHECKING:
    from borderwatch.service.config import Settings as ServiceSettings

user_app = typer.Typer(help="People who sign in to the operations service.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
ServiceConfig = Annotated[
    Path | None, typer.Option("--settings", help="Service settings YAML (docs/service.md); also $BORDERWATCH_CONFIG")
]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (SQLite store, sensor keys)")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql://...")]


def _service_settings(settings: Path | None, **flags: Any) -> ServiceSettings:
    from borderwatch.service import SettingsError
    from borderwatch.service.commands import settings_from

    try:
        return settings_from(settings, **flags)
    except SettingsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8080)")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    bus: Annotated[str | None, typer.Option("--bus", help="NATS JetStream URL, e.g. nats://host:4222")] = None,
    settings: ServiceConfig = None,
) -> None:
    """Run the operations service: ingest, fusion, alerts, store and API in one process."""
    from borderwatch.bus import BusError
    from borderwatch.service.commands import run_serve

    flags = {"host": host, "port": port, "data_dir": data_dir, "database_url": database_url, "bus_url": bus}
    try:
        run_serve(_service_settings(settings, **flags))
    except BusError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    role: Annotated[str, typer.Option("--role", help="operator, supervisor, crossing_officer, analyst or admin")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="BORDERWATCH_NEW_PASSWORD",
            help="Prompted for when not given",
        ),
    ],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    settings: ServiceConfig = None,
) -> None:
    """Add a user with a role; the password is stored as an argon2 hash (audited as actor 'cli')."""
    from borderwatch.service.commands import run_user_add

    try:
        run_user_add(_service_settings(settings, data_dir=data_dir, database_url=database_url), username, role,
                     password, console)  # fmt: skip
    except ValueError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None, database_url: DatabaseUrl = None, settings: ServiceConfig = None) -> None:
    """Check the audit log's hash chain; names every edited or deleted entry (exit 1 if any)."""
    from borderwatch.service.commands import run_audit_verify

    chosen = _service_settings(settings, data_dir=data_dir, database_url=database_url)
    if not run_audit_verify(chosen, console):
        raise typer.Exit(1)


@app.command("replay")
def replay(
    directory: Annotated[Path, typer.Argument(help="Simulator output directory (detections.jsonl) or the file")],
    speed: Annotated[float, typer.Option("--speed", min=0.0, help="Times real time; 0 = as fast as possible")] = 1.0,
    url: Annotated[str, typer.Option("--url", help="The running service")] = "http://127.0.0.1:8080",
    keys: Annotated[Path | None, typer.Option("--keys", help="Sensor keys JSON (default: in --data-dir)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Feed a simulator output directory into a running service, each sensor with its own key."""
    from borderwatch.service.commands import run_replay
    from borderwatch.service.feed import FeedError

    keys_file = keys or (data_dir or Path("borderwatch-data")) / "sensor_keys.json"
    try:
        run_replay(directory, url, keys_file, speed, console)
    except FeedError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def main() -> None:  # pragma: no cover - entry point
    app()
