"""The denominator of false crossing events per sensor per day: the sensors of the scenario, not of the border."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.evaluation.commands import scenario_sensors
from borderwatch.fusion import Tracker
from borderwatch.fusion.io import write_lines
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Heartbeat, TruthEvent, TruthState, write_jsonl
from tests.fusion.conftest import toy_config
from tests.fusion.scenes import T0, cartesian, walk


def _truth(tmp: Path) -> Path:
    truth = tmp / "truth.jsonl"
    with open(truth, "w") as fp:
        write_jsonl([TruthState("w1", T0, 34.05, 39.99, "person", "smuggler")], fp)
    return truth


def _detections(tmp: Path, sensors: list[str], name: str = "detections.jsonl") -> Path:
    path = tmp / name
    with open(path, "w") as fp:
        write_jsonl([Heartbeat(s, T0 + k, "ok") for k, s in enumerate(sensors)], fp)
    return path


def test_the_simulators_summary_counts_every_sensor_of_the_scenario(tmp_path: Path) -> None:
    truth = _truth(tmp_path)
    _detections(tmp_path, ["cam-1"])  # one heard; the summary lists the scenario's 7
    (tmp_path / "summary.json").write_text(json.dumps({"sensors": {"tower": 4, "aerostat": 1, "ground": 2}}))
    assert scenario_sensors(truth) == (7, f"scenario summary {tmp_path / 'summary.json'}")


def test_without_a_summary_the_sensors_heard_count(tmp_path: Path) -> None:
    truth = _truth(tmp_path)
    (tmp_path / "summary.json").write_text("{not json")  # unreadable: the detections decide
    _detections(tmp_path, ["cam-1", "cam-2", "cam-1", "ugs-9"])
    assert scenario_sensors(truth) == (3, f"sensors heard in {tmp_path / 'detections.jsonl'}")
    named = _detections(tmp_path, ["cam-5"], "other.jsonl")
    assert scenario_sensors(truth, named) == (1, f"sensors heard in {named}")  # named file wins


def test_nothing_beside_the_truth_says_nothing(tmp_path: Path) -> None:
    assert scenario_sensors(_truth(tmp_path)) is None


@pytest.mark.parametrize("beside", [True, False])
def test_evaluate_divides_by_the_scenarios_sensors(toy_model: BorderModel, tmp_path: Path, beside: bool) -> None:
    config = tmp_path / "toy.geojson"
    config.write_text(json.dumps(toy_config()))  # two sensors in the configuration
    t, lat, lon = walk(toy_model, 5.0, -900.0, 900.0, 1.5)
    tracker = Tracker(toy_model)
    out = tracker.process(cartesian(t, lat, lon))
    out.extend(tracker.flush())
    with open(tmp_path / "tracks.jsonl", "w") as fp:
        write_lines(out.track_states, fp)
    with open(tmp_path / "events.jsonl", "w") as fp:
        write_lines(out.events, fp)  # one crossing, unmatched below: a false one
    with open(tmp_path / "truth.jsonl", "w") as fp:
        write_jsonl([TruthState("w1", float(t[0]), float(lat[0]), float(lon[0]), "person", "smuggler")], fp)
        write_jsonl([TruthState("w1", float(t[-1]), float(lat[-1]), float(lon[-1]), "person", "smuggler")], fp)
        write_jsonl([TruthEvent("border_crossing", "w1", float(t[0]), 34.0, 40.0, "inbound")], fp)
    if beside:
        (tmp_path / "summary.json").write_text(json.dumps({"sensors": {"tower": 5}}))
    args = ["evaluate", "--truth", str(tmp_path / "truth.jsonl"), "--config", str(config)]
    args += ["--tracks", str(tmp_path / "tracks.jsonl"), "--events", str(tmp_path / "events.jsonl")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["sensors"] == (5 if beside else 2)  # without a summary: the configuration's, with a warning
    assert ("every sensor of the configuration" in result.output) is not beside
    assert scores["false_crossing_events"] == 1
    assert scores["false_crossings_per_sensor_day"] == pytest.approx(1 / (scores["sensors"] * scores["duration_days"]))
    missing = CliRunner().invoke(app, [*args, "--detections", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "nope.jsonl" in missing.output
