"""GOSPA against hand computations and Stone Soup's own metric; crossing recall and false alarms; the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.evaluation import evaluate, gospa
from borderwatch.fusion import BorderEvent, FusionOutput, Tracker
from borderwatch.fusion.io import read_events, read_tracks, write_lines
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import TruthEvent, TruthState, write_jsonl
from tests.fusion.scenes import cartesian, walk


def test_gospa_by_hand() -> None:
    truth = np.array([[0.0, 0.0], [1000.0, 0.0]])
    tracks = np.array([[30.0, 40.0], [5000.0, 0.0], [6000.0, 0.0]])
    result = gospa(truth, tracks, c=100.0, p=1.0)
    # One pair 50 m apart, one missed truth, two false tracks: 50 + 50 * (1 + 2).
    assert result.distance == pytest.approx(200.0)
    assert result.localisation == pytest.approx(50.0)
    assert result.missed == pytest.approx(50.0) and result.false == pytest.approx(100.0)
    assert result.assignment.tolist() == [0, -1]
    assert gospa(truth, np.empty((0, 2))).distance == pytest.approx(100.0)


def test_gospa_agrees_with_stone_soup() -> None:
    pytest.importorskip("stonesoup")
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    rng = np.random.default_rng(11)
    stamp = dt.datetime(2026, 11, 23, 21, 0)
    for c, p in ((100.0, 1.0), (50.0, 2.0)):
        metric = GOSPAMetric(c=c, p=p, measure=Euclidean(mapping=[0, 1]))
        for _ in range(25):
            truth = rng.uniform(0, 400, (int(rng.integers(1, 7)), 2))  # Stone Soup needs one state at least
            tracks = np.vstack(
                [
                    truth[: int(rng.integers(0, len(truth) + 1))] + rng.normal(0, 30, (1, 2)),
                    rng.uniform(0, 400, (int(rng.integers(0, 4)), 2)),
                ]
            )
            ours = gospa(truth, tracks, c=c, p=p)
            theirs, _ = metric.compute_gospa_metric(
                [State(np.array([[x], [y]]), timestamp=stamp) for x, y in tracks],
                [State(np.array([[x], [y]]), timestamp=stamp) for x, y in truth],
            )
            assert ours.distance == pytest.approx(theirs.value["distance"], rel=1e-9, abs=1e-9)
            assert ours.localisation == pytest.approx(theirs.value["localisation"], rel=1e-9, abs=1e-9)
            assert ours.missed == pytest.approx(theirs.value["missed"], abs=1e-9)
            assert ours.false == pytest.approx(theirs.value["false"], abs=1e-9)


def _crossing_run(model: BorderModel) -> tuple[list[TruthState], list[TruthEvent], FusionOutput]:
    t, lat, lon = walk(model, 5.0, -900.0, 900.0, 1.5)
    truth = [
        TruthState("w1", float(a), float(b), float(c), "person", "smuggler")
        for a, b, c in zip(t[::5], lat[::5], lon[::5], strict=True)
    ]
    k = int(np.argmin(np.abs(t - (t[0] + 900.0 / 1.5))))
    events = [TruthEvent("border_crossing", "w1", float(t[k]), float(lat[k]), float(lon[k]), "inbound")]
    tracker = Tracker(model)
    out = tracker.process(cartesian(t, lat, lon))
    out.extend(tracker.flush())
    return truth, events, out


def test_scores_of_a_caught_crossing(toy_model: BorderModel) -> None:
    truth, truth_events, out = _crossing_run(toy_model)
    scores = evaluate(truth, truth_events, out.track_states, out.events, sensors=2, model=toy_model)
    assert scores.crossing_recall == 1.0 and scores.false_crossing_events == 0
    assert scores.time_to_alert_median_s is not None and 0.0 <= scores.time_to_alert_median_s < 60.0
    assert scores.id_switches == 0 and scores.tracks == 1
    assert scores.gospa_mean < 50.0  # confirmed after a few seconds, then metres off


def test_a_wrong_way_or_far_alert_is_false(toy_model: BorderModel) -> None:
    truth, truth_events, out = _crossing_run(toy_model)
    real = next(e for e in out.events if e.type == "border_crossing")
    fake = [
        BorderEvent(
            "f1", "border_crossing", real.time, real.lat, real.lon, ("T9",), None, None, None, None, "outbound"
        ),
        BorderEvent("f2", "border_crossing", real.time + 400.0, real.lat, real.lon, ("T9",), None, None, None, None),
    ]
    scores = evaluate(truth, truth_events, out.track_states, fake, sensors=2)
    assert scores.crossing_recall == 0.0 and scores.false_crossing_events == 2
    assert scores.false_crossings_per_sensor_day == pytest.approx(2 / (2 * scores.duration_days))


def test_track_and_evaluate_commands(toy_model: BorderModel, tmp_path: Path) -> None:
    from tests.fusion.conftest import toy_config

    config = tmp_path / "toy.geojson"
    config.write_text(json.dumps(toy_config()))
    truth, truth_events, _ = _crossing_run(toy_model)
    t, lat, lon = walk(toy_model, 5.0, -900.0, 900.0, 1.5)
    detections = tmp_path / "detections.jsonl"
    with open(detections, "w") as fp:
        write_jsonl(cartesian(t, lat, lon), fp)
        fp.write('{"type":"detection","id":"bad-1","sensor_id":"s","time":"yesterday"}\n')
        fp.write("not json\n")
    with open(tmp_path / "truth.jsonl", "w") as fp:
        write_jsonl([*truth, *truth_events], fp)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "track",
            "--detections",
            str(detections),
            "--config",
            str(config),
            "--tracks",
            str(tmp_path / "tracks.jsonl"),
            "--events",
            str(tmp_path / "events.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "bad lines skipped" in result.output and "bad-1" in result.output
    states, bad = read_tracks(tmp_path / "tracks.jsonl")
    events, _ = read_events(tmp_path / "events.jsonl")
    assert bad == [] and {s.status for s in states} <= {"confirmed", "coasting", "deleted"}
    assert [e.direction for e in events if e.type == "border_crossing"] == ["inbound"]
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--truth",
            str(tmp_path / "truth.jsonl"),
            "--tracks",
            str(tmp_path / "tracks.jsonl"),
            "--events",
            str(tmp_path / "events.jsonl"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["crossing_recall"] == 1.0 and scores["gospa_c"] == 100.0
    assert (tmp_path / "scores.png").stat().st_size > 10_000
    missing = runner.invoke(app, ["track", "--detections", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2


def test_tracks_and_events_round_trip(toy_model: BorderModel, tmp_path: Path) -> None:
    _, _, out = _crossing_run(toy_model)
    with open(tmp_path / "t.jsonl", "w") as fp:
        write_lines(out.track_states, fp)
    with open(tmp_path / "e.jsonl", "w") as fp:
        write_lines(out.events, fp)
    states, _ = read_tracks(tmp_path / "t.jsonl")
    events, _ = read_events(tmp_path / "e.jsonl")
    assert [s.track_id for s in states] == [s.track_id for s in out.track_states]
    assert abs(states[-1].lat - out.track_states[-1].lat) < 1e-6
    assert [(e.type, e.direction, e.track_ids) for e in events] == [
        (e.type, e.direction, e.track_ids) for e in out.events
    ]
