"""The `borderwatch track` command's body: detections file in, tracks and events files out.

May import: rich, borderwatch.geo, borderwatch.sensors.formats, the rest of fusion.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from borderwatch.fusion.io import write_lines
from borderwatch.fusion.params import EventParams, TrackerParams
from borderwatch.fusion.tracker import track_stream
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import BadLine, Detection, Record, RecordReader


@dataclass
class TrackRun:
    """What one `track` run did."""

    detections: int = 0
    heartbeats: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    track_states: int = 0
    tracks: set[str] = field(default_factory=set)
    events: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def track_file(
    model: BorderModel,
    detections: Path,
    tracks_out: Path,
    events_out: Path,
    params: TrackerParams | None = None,
    event_params: EventParams | None = None,
) -> TrackRun:
    """Track a JSON Lines detections file; write track states and events as JSON Lines."""
    run = TrackRun()
    reader = RecordReader(detections)

    def counted() -> Iterator[Record]:
        for record in reader:
            if isinstance(record, Detection):
                run.detections += 1
            else:
                run.heartbeats += 1
            yield record

    tracks_out.parent.mkdir(parents=True, exist_ok=True)
    events_out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(tracks_out, "w", encoding="utf-8") as tf, open(events_out, "w", encoding="utf-8") as ef:
        for out in track_stream(counted(), model, params, event_params):
            run.track_states += write_lines(out.track_states, tf)
            run.tracks.update(s.track_id for s in out.track_states)
            write_lines(out.events, ef)
            run.events.update(e.type for e in out.events)
            run.skipped.update(out.skipped)
    run.seconds = time.perf_counter() - started
    run.bad_lines = reader.bad
    return run


def track_report(run: TrackRun, console: Console) -> None:
    """Rich summary of a run, with the first bad lines."""
    table = Table(title="Tracking", show_header=False)
    table.add_row("detections read", f"{run.detections:,}")
    table.add_row("other records (heartbeats, truth)", f"{run.heartbeats:,}")
    table.add_row("bad lines skipped", f"{len(run.bad_lines):,}")
    for reason, count in sorted(run.skipped.items()):
        table.add_row(f"skipped: {reason}", f"{count:,}")
    table.add_row("tracks (confirmed)", f"{len(run.tracks):,}")
    table.add_row("track states written", f"{run.track_states:,}")
    for kind, count in sorted(run.events.items()):
        table.add_row(f"event: {kind}", f"{count:,}")
    rate = run.detections / run.seconds if run.seconds > 0 else 0.0
    table.add_row("time (read + track + write)", f"{run.seconds:.2f} s ({rate:,.0f} detections/s)")
    console.print(table)
    for bad in run.bad_lines[:5]:
        console.print(f"[yellow]bad line[/] {bad}", highlight=False)
