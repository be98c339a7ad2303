"""A picture of one simulation run: detections and ground truth on the border map.

Reads the run's files back through the interchange format (so the picture shows what a consumer
would see), turns polar reports into positions from each sensor's configured place, and draws
them with the truth tracks and crossings. May import: NumPy, geo, maps, sensors.formats.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from borderwatch.geo.geodesy import destination
from borderwatch.geo.model import BorderModel
from borderwatch.maps import BorderMap
from borderwatch.sensors.formats import Detection, RecordReader, TruthEvent, TruthState

ROLE_COLOURS = {"smuggler": "#d62728", "patrol": "#1f77b4", "civilian": "#2ca02c", "animal": "#8c564b"}
SENSOR_COLOURS = {"tower": "#ff7f0e", "aerostat": "#9467bd", "ground": "#17becf"}


def detection_positions(model: BorderModel, detections: list[Detection]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(lat, lon) arrays of detections by sensor type; polar reports placed from their sensor."""
    sensors = {s.properties.id: s for s in model.sensors}
    by_type: dict[str, list[tuple[float, float]]] = defaultdict(list)
    polar: dict[str, list[Detection]] = defaultdict(list)
    for det in detections:
        sensor = sensors.get(det.sensor_id)
        kind: str = sensor.properties.sensor_type if sensor is not None else "unknown"
        if det.lat is not None and det.lon is not None:
            by_type[kind].append((det.lat, det.lon))
        elif sensor is not None:
            polar[kind].append(det)
    for kind, dets in polar.items():
        lat0 = np.array([sensors[d.sensor_id].geometry.lat for d in dets])
        lon0 = np.array([sensors[d.sensor_id].geometry.lon for d in dets])
        lat, lon = destination(lat0, lon0, np.array([d.bearing_deg for d in dets]), np.array([d.range_m for d in dets]))
        by_type[kind].extend(zip(np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist(), strict=True))
    return {k: (np.array([p[0] for p in v]), np.array([p[1] for p in v])) for k, v in by_type.items() if v}


def draw_run(model: BorderModel, run_dir: Path, png: Path, title: str | None = None, margin_deg: float = 0.05) -> Path:
    """Draw a run's detections.jsonl and truth.jsonl on the border map, framed on the truth."""
    detections = [r for r in RecordReader(run_dir / "detections.jsonl") if isinstance(r, Detection)]
    tracks: dict[str, list[TruthState]] = defaultdict(list)
    events: list[TruthEvent] = []
    for record in RecordReader(run_dir / "truth.jsonl"):
        if isinstance(record, TruthState):
            tracks[record.truth_id].append(record)
        elif isinstance(record, TruthEvent):
            events.append(record)
    lats = [s.lat for t in tracks.values() for s in t]
    lons = [s.lon for t in tracks.values() for s in t]
    bounds = None
    if lats:
        bounds = (min(lons) - margin_deg, min(lats) - margin_deg, max(lons) + margin_deg, max(lats) + margin_deg)
    picture = BorderMap(model, bounds=bounds, title=title)
    for kind, (lat, lon) in sorted(detection_positions(model, detections).items()):
        picture.add_points(
            lat, lon, f"detections: {kind} ({lat.size:,})", color=SENSOR_COLOURS.get(kind, "grey"), s=1.5, alpha=0.25
        )
    for role, colour in ROLE_COLOURS.items():
        paths = [
            (np.array([s.lat for s in t]), np.array([s.lon for s in t]))
            for t in tracks.values()
            if t and t[0].role == role
        ]
        if paths:
            picture.add_paths(paths, f"truth: {role} ({len(paths)})", color=colour)
    if events:
        picture.add_points(
            [e.lat for e in events],
            [e.lon for e in events],
            f"border crossings ({len(events)})",
            color="black",
            marker="x",
            s=40,
            alpha=1.0,
            linewidths=1.5,
            zorder=7,
        )
    return picture.save(png)
