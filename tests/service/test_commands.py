"""The service's CLI commands and replay feed, end to end on SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from borderwatch.api.server import running_server
from borderwatch.cli import app
from borderwatch.geo import BorderModel
from borderwatch.service import Service, load_settings
from borderwatch.service.feed import SensorPoster, replay_dir
from tests.service.conftest import crossing

runner = CliRunner()


def test_user_add_then_audit_verify_names_the_edited_entry(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(app, ["user", "add", "sara", "--role", "analyst", "--password", "long password", *data])
    assert added.exit_code == 0, added.output
    assert "analyst" in added.output
    refused = runner.invoke(app, ["user", "add", "omar", "--role", "chief", "--password", "long password", *data])
    assert refused.exit_code == 2 and "role" in refused.output
    assert runner.invoke(app, ["audit", "verify", *data]).exit_code == 0
    with sqlite3.connect(tmp_path / "borderwatch.sqlite3") as db:
        seq = db.execute("SELECT seq FROM audit_log WHERE action = 'user.create'").fetchone()[0]
        db.execute("UPDATE audit_log SET after = json_set(after, '$.role', 'admin') WHERE seq = ?", (seq,))
    verdict = runner.invoke(app, ["audit", "verify", *data], terminal_width=200)
    assert verdict.exit_code == 1
    rows = [line for line in verdict.output.splitlines() if "edited" in line]
    assert len(rows) == 1 and f" {seq} " in rows[0] and "user.create" in verdict.output


def test_replay_feeds_a_simulator_directory_with_per_sensor_keys(tmp_path: Path, border_model: BorderModel) -> None:
    sensors = [s.properties.id for s in border_model.sensors[:2]]
    lines = crossing(border_model, sensors[0], prefix="a", points=10) + crossing(
        border_model, sensors[1], prefix="b", points=10, km=300.0
    )
    lines.append({"type": "heartbeat", "sensor_id": sensors[1], "time": lines[-1]["time"]})
    lines.append({"type": "detection", "id": "orphan", "sensor_id": "no-such-sensor"})
    lines.sort(key=lambda r: r.get("time", ""))
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "detections.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines) + "{broken\n")
    service = Service(load_settings(environ={}, data_dir=tmp_path / "data", fusion=False), model=border_model)
    keys = service.ensure_sensor_keys(tmp_path / "data" / "keys.json")
    with running_server(service) as server:
        poster = SensorPoster(server.url, keys)
        tally = replay_dir(tmp_path / "sim", poster, speed=0)
        again = replay_dir(tmp_path / "sim", SensorPoster(server.url, keys), speed=0)
    assert (tally.accepted, tally.duplicates, tally.bad_lines, tally.no_key) == (20, 0, 1, {"no-such-sensor"})
    assert (again.accepted, again.duplicates) == (0, 20)


def test_simulate_realtime_posts_each_step_to_a_running_service(tmp_path: Path, border_model: BorderModel) -> None:
    service = Service(load_settings(environ={}, data_dir=tmp_path / "data", fusion=False), model=border_model)
    keys_file = tmp_path / "data" / "keys.json"
    keys = service.ensure_sensor_keys(keys_file)
    out = tmp_path / "sim"
    with running_server(service) as server:
        args = ["simulate", "quiet-night", "--duration", "120", "--realtime", "--speed", "2000", "--out", str(out)]
        result = runner.invoke(app, [*args, "--post", server.url, "--keys", str(keys_file)], terminal_width=200)
        assert result.exit_code == 0, result.output
        again = replay_dir(out, SensorPoster(server.url, keys), speed=0)
        refused = runner.invoke(app, [*args, "--post", server.url, "--keys", str(tmp_path / "missing.json")])
    written = [json.loads(line) for line in (out / "detections.jsonl").read_text().splitlines()]
    detections = sum(r["type"] == "detection" for r in written)
    assert detections > 0
    assert f"sent {len(written):,}: {detections:,} accepted, 0 duplicates" in result.output
    # Everything the simulator wrote had already reached the store: a second feed is all duplicates.
    assert (again.accepted, again.duplicates, again.no_key) == (0, detections, set())
    assert refused.exit_code == 2 and "missing.json" in refused.output
