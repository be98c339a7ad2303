"""The `borderwatch evaluate` command's body: truth, tracks and events files in; scores out.

May import: rich, borderwatch.geo, borderwatch.sensors.formats, borderwatch.fusion.io, the rest of evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from borderwatch.evaluation.plots import plot_scores
from borderwatch.evaluation.scoring import Scores, evaluate
from borderwatch.fusion.io import read_events, read_tracks
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection, Heartbeat, RecordReader, TruthEvent, TruthState


def evaluate_files(
    truth: Path,
    tracks: Path,
    events: Path,
    sensors: int,
    c: float = 100.0,
    p: float = 1.0,
    model: BorderModel | None = None,
) -> tuple[Scores, int]:
    """Scores of a tracks and events file against a truth file; also how many bad lines were skipped."""
    reader = RecordReader(truth)
    records = list(reader)
    states, bad_tracks = read_tracks(tracks)
    alerts, bad_events = read_events(events)
    scores = evaluate(
        [r for r in records if isinstance(r, TruthState)],
        [r for r in records if isinstance(r, TruthEvent)],
        states,
        alerts,
        sensors,
        c=c,
        p=p,
        model=model,
    )
    return scores, len(reader.bad) + len(bad_tracks) + len(bad_events)


def scenario_sensors(truth: Path, detections: Path | None = None) -> tuple[int, str] | None:
    """How many sensors the scenario behind a truth file had, and where that was read: the simulator's
    `summary.json` beside the truth file, else the sensors heard (detections or heartbeats) in a detections
    file (`detections` when given, which then decides; else `detections.jsonl` beside the truth file).
    None when none of them says.

    These are the denominator of false crossing events per sensor per day: a scenario of one sector is
    judged by its own sensors, not by every sensor of the border configuration."""
    if detections is not None:  # named: its sensors are the ones meant
        heard = _sensors_heard(detections)
        return (heard, f"sensors heard in {detections}") if heard else None
    summary = truth.parent / "summary.json"
    if summary.is_file():
        try:
            counts = json.loads(summary.read_text(encoding="utf-8"))["sensors"]
            total = sum(int(n) for n in counts.values())
        except (ValueError, KeyError, TypeError, AttributeError):
            total = 0  # not the simulator's summary: ask the detections
        if total > 0:
            return total, f"scenario summary {summary}"
    beside = truth.parent / "detections.jsonl"
    heard = _sensors_heard(beside) if beside.is_file() else 0
    return (heard, f"sensors heard in {beside}") if heard else None


def _sensors_heard(detections: Path) -> int:
    return len({r.sensor_id for r in RecordReader(detections) if isinstance(r, Detection | Heartbeat)})


def write_scores(scores: Scores, json_out: Path, plot_out: Path | None, title: str = "") -> None:
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(scores.to_json(), indent=1), encoding="utf-8")
    if plot_out is not None:
        plot_scores(scores, plot_out, title)


def _opt(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def scores_table(scores: Scores, title: str = "Scores") -> Table:
    table = Table(title=title, show_header=False)
    table.add_row("GOSPA mean", f"{scores.gospa_mean:.1f} m  (c={scores.gospa_c:g} m, p={scores.gospa_p:g}, α=2)")
    table.add_row(
        "  localisation / missed / false",
        f"{scores.gospa_localisation_mean:.1f} / {scores.gospa_missed_mean:.1f} / {scores.gospa_false_mean:.1f}",
    )
    table.add_row("truths / tracks", f"{scores.truths} / {scores.tracks}")
    table.add_row("fragmentations / id switches", f"{scores.fragmentations} / {scores.id_switches}")
    table.add_row(
        "crossing recall", f"{_opt(scores.crossing_recall, '.3f')}  ({scores.caught_crossings}/{scores.true_crossings})"
    )
    table.add_row(
        "time to alert median / p95",
        f"{_opt(scores.time_to_alert_median_s, '.0f')} s / {_opt(scores.time_to_alert_p95_s, '.0f')} s",
    )
    table.add_row("false crossing events", f"{scores.false_crossing_events} of {scores.crossing_events}")
    table.add_row(
        "  per sensor per day",
        f"{_opt(scores.false_crossings_per_sensor_day, '.3f')}  "
        f"({scores.sensors} sensors, {scores.duration_days * 24:.2f} h)",
    )
    if scores.green_true_crossings is not None:
        table.add_row(
            "green border: recall",
            f"{_opt(scores.green_crossing_recall, '.3f')}  "
            f"({scores.green_caught_crossings}/{scores.green_true_crossings})",
        )
        table.add_row(
            "  false crossing events (per sensor per day)",
            f"{scores.green_false_crossing_events}  ({_opt(scores.green_false_crossings_per_sensor_day, '.3f')})",
        )
        table.add_row(
            "official crossings: traffic caught / unmatched",
            f"{scores.official_caught_crossings}/{scores.official_true_crossings} / "
            f"{scores.official_false_crossing_events}",
        )
    return table


def report(scores: Scores, console: Console, title: str = "Scores") -> None:
    console.print(scores_table(scores, title))
