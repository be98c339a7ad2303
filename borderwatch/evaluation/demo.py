"""The fusion part of `make demo`: simulate -> track -> evaluate on two scenarios, with pictures.

May import: every subpackage (a composition root, like borderwatch/demo.py).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from rich.console import Console

from borderwatch.evaluation.commands import evaluate_files, report, scenario_sensors, write_scores
from borderwatch.fusion.commands import track_file, track_report
from borderwatch.fusion.io import read_events, read_tracks
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import RecordReader, TruthState

CLASS_COLOURS = {"person": "#d62728", "vehicle": "#1f77b4", "animal": "#8c564b", "unknown": "#7f7f7f"}
EVENT_STYLE = {  # drawn in this order: crossings last, on top
    "barrier_breach": {"marker": "X", "s": 60, "color": "#000000"},
    "barrier_approach": {"marker": "v", "s": 28, "color": "#ff7f0e"},
    "loitering": {"marker": "o", "s": 60, "facecolors": "none", "edgecolors": "#9467bd", "linewidths": 1.2},
    "convergence": {"marker": "D", "s": 40, "color": "#17becf", "edgecolors": "black", "linewidths": 0.4},
    "sensor_offline": {"marker": "s", "s": 50, "color": "#bcbd22", "edgecolors": "black", "linewidths": 0.4},
    "border_crossing": {"marker": "*", "s": 140, "color": "#ff00aa", "edgecolors": "black", "linewidths": 0.5},
}


def draw_tracks(model: BorderModel, run_dir: Path, png: Path, title: str, margin_deg: float = 0.05) -> Path:
    """Truth (thin grey), tracks (by class) and events (by type) on the border map."""
    from borderwatch.maps import BorderMap

    truth: dict[str, list[TruthState]] = defaultdict(list)
    for record in RecordReader(run_dir / "truth.jsonl"):
        if isinstance(record, TruthState):
            truth[record.truth_id].append(record)
    states, _ = read_tracks(run_dir / "tracks.jsonl")
    events, _ = read_events(run_dir / "events.jsonl")
    lats = [s.lat for t in truth.values() for s in t] or [s.lat for s in states]
    lons = [s.lon for t in truth.values() for s in t] or [s.lon for s in states]
    bounds = (
        (min(lons) - margin_deg, min(lats) - margin_deg, max(lons) + margin_deg, max(lats) + margin_deg)
        if lats
        else None
    )
    picture = BorderMap(model, bounds=bounds, title=title)
    picture.add_paths(
        [(np.array([s.lat for s in t]), np.array([s.lon for s in t])) for t in truth.values()],
        f"truth ({len(truth)})",
        color="#999999",
        linewidth=2.2,
        alpha=0.45,
    )
    by_track: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for s in states:
        by_track[s.track_id].append((s.lat, s.lon, s.object_class))
    for cls, colour in CLASS_COLOURS.items():
        paths = [
            (np.array([p[0] for p in seq]), np.array([p[1] for p in seq]))
            for seq in by_track.values()
            if seq[-1][2] == cls
        ]
        if paths:
            picture.add_paths(paths, f"tracks: {cls} ({len(paths)})", color=colour, linewidth=0.9)
    for kind, style in EVENT_STYLE.items():
        placed = [e for e in events if e.type == kind and e.lat is not None and e.lon is not None]
        if placed:
            picture.add_points(
                [e.lat or 0.0 for e in placed],
                [e.lon or 0.0 for e in placed],
                f"{kind} ({len(placed)})",
                zorder=8,
                alpha=0.95,
                **style,
            )
    return picture.save(png)


def fusion_demo(
    model: BorderModel, out: Path, console: Console, scenarios: tuple[str, ...] = ("quiet-night", "smuggling-surge")
) -> None:
    """For each scenario: simulate (unless already there), track, evaluate, print the scores, draw."""
    from borderwatch.sim.command import run_simulate

    for name in scenarios:
        run_dir = out / name
        if not (run_dir / "detections.jsonl").is_file() or not (run_dir / "truth.jsonl").is_file():
            run_simulate(name, model, run_dir, console)
        run = track_file(model, run_dir / "detections.jsonl", run_dir / "tracks.jsonl", run_dir / "events.jsonl")
        track_report(run, console)
        found = scenario_sensors(run_dir / "truth.jsonl")
        sensors = found[0] if found is not None else len(model.sensors)
        scores, _ = evaluate_files(
            run_dir / "truth.jsonl", run_dir / "tracks.jsonl", run_dir / "events.jsonl", sensors, model=model
        )
        write_scores(scores, run_dir / "scores.json", run_dir / "scores.png", title=f"{name}: GOSPA and time to alert")
        report(scores, console, title=f"Scores — {name} ({sensors} sensors in the scenario)")
        png = draw_tracks(model, run_dir, out / f"{name}-tracks.png", f"borderwatch — {name}: tracks and events")
        console.print(f"[green]map:[/] {png}   [green]scores:[/] {run_dir / 'scores.json'}, {run_dir / 'scores.png'}")
