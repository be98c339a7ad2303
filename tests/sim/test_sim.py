"""The simulator end to end: determinism, valid output, truth crossings where movers cross, any config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.geo import BorderModel
from borderwatch.geo.config import parse_config
from borderwatch.sensors.formats import Detection, Heartbeat, RecordReader, TruthEvent, TruthState
from borderwatch.sim import ScenarioError, Simulation, load_scenario, parse_scenario, shipped_scenarios
from borderwatch.sim.engine import simulate_to_dir

CROSSERS = """
name: crossers
seed: 7
duration_s: 900
truth_interval_s: 2
area: {km: [{border: SYR, start_km: 200, end_km: 260}]}
sensors: [ground, aero-2]
movers:
  - {kind: smuggler_vehicle, count: 12, window_s: [0, 60], speed_mps: 25}
  - {kind: convoy, count: 1, vehicles: 3, window_s: [0, 30], speed_mps: 25}
  - {kind: legit_traffic, count: 4, window_s: [0, 60]}
  - {kind: patrol, count: 2}
routes:
  - truth_id: walker
    class: person
    role: smuggler
    speed_mps: 1.5
    waypoints: [{km: 228, offset_m: -300}, {km: 228.2, offset_m: 300}]
"""


def run(scenario_text: str, model: BorderModel, out: Path) -> dict[str, Any]:
    return simulate_to_dir(Simulation(parse_scenario(scenario_text), model), out)


@pytest.fixture(scope="module")
def crossers(border_model: BorderModel, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("crossers")
    return out, run(CROSSERS, border_model, out)


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(
    border_model: BorderModel, tmp_path: Path, crossers: tuple[Path, dict[str, Any]]
) -> None:
    first, _ = crossers
    run(CROSSERS, border_model, tmp_path / "again")
    for name in ("detections.jsonl", "truth.jsonl"):
        assert (tmp_path / "again" / name).read_bytes() == (first / name).read_bytes()
    run(CROSSERS.replace("seed: 7", "seed: 8"), border_model, tmp_path / "other")
    assert (tmp_path / "other" / "truth.jsonl").read_bytes() != (first / "truth.jsonl").read_bytes()


def test_output_is_valid_interchange_format_in_time_order_with_unique_ids(
    crossers: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = crossers
    reader = RecordReader(out / "detections.jsonl")
    records = list(reader)
    assert reader.bad == []
    detections = [r for r in records if isinstance(r, Detection)]
    heartbeats = [r for r in records if isinstance(r, Heartbeat)]
    assert len(detections) == summary["detections"]["total"] > 0
    assert len(heartbeats) == summary["heartbeats"] > 0
    assert len({d.id for d in detections}) == len(detections)
    times = [r.time for r in records]
    assert times == sorted(times)
    truth_reader = RecordReader(out / "truth.jsonl")
    truth = list(truth_reader)
    assert truth_reader.bad == []
    assert [r.time for r in truth] == sorted(r.time for r in truth)
    assert json.loads((out / "summary.json").read_text())["scenario"] == "crossers"


def test_truth_crossings_are_where_movers_cross_the_line(
    border_model: BorderModel, crossers: tuple[Path, dict[str, Any]]
) -> None:
    out, _ = crossers
    records = list(RecordReader(out / "truth.jsonl"))
    events = [r for r in records if isinstance(r, TruthEvent)]
    states: dict[str, list[TruthState]] = {}
    for r in records:
        if isinstance(r, TruthState):
            states.setdefault(r.truth_id, []).append(r)
    assert len(events) >= 10
    assert "walker" in {e.truth_id for e in events}
    for event in events:
        assert abs(border_model.locate(event.lat, event.lon).offset_m) < 1.0  # on the line itself
        track = states[event.truth_id]
        offsets = border_model.locate_many([s.lat for s in track], [s.lon for s in track]).offset_m
        # The nearest samples off the line (traffic waits at the gate, on the line, for customs).
        side_before = [o for s, o in zip(track, offsets, strict=True) if s.time < event.time and abs(o) > 1.0][-1]
        side_after = next(
            (o for s, o in zip(track, offsets, strict=True) if s.time > event.time and abs(o) > 1.0), None
        )
        if side_after is None:
            continue  # the scenario ended while it waited at the gate
        if event.direction == "inbound":
            assert side_before < 0 < side_after
        else:
            assert side_after < 0 < side_before
    # Conversely, every mover whose sampled track changes side has an event for it.
    crossed = {e.truth_id for e in events}
    for truth_id, track in states.items():
        offsets = border_model.locate_many([s.lat for s in track], [s.lon for s in track]).offset_m
        if np.any(offsets > 5.0) and np.any(offsets < -5.0):
            assert truth_id in crossed, truth_id


def test_vehicles_go_round_the_wall(border_model: BorderModel, crossers: tuple[Path, dict[str, Any]]) -> None:
    out, _ = crossers
    wall = next(b for b in border_model.barriers if b.barrier_type == "wall")
    events = [r for r in RecordReader(out / "truth.jsonl") if isinstance(r, TruthEvent)]
    kms = [border_model.locate(e.lat, e.lon).km for e in events if not e.truth_id.startswith("lt-")]
    assert kms and all(not (wall.start_km < km < wall.end_km) for km in kms)


def test_sensor_selection_and_scripted_outage(border_model: BorderModel, tmp_path: Path) -> None:
    text = CROSSERS + "outages:\n  rate_per_hour: 0\n  scripted: [{sensor: aero-2, start_s: 100, duration_s: 300}]\n"
    summary = run(text, border_model, tmp_path)
    assert set(summary["sensors"]) == {"ground", "aerostat"}
    records = list(RecordReader(tmp_path / "detections.jsonl"))
    t0 = min(r.time for r in records)
    aero = [r.time - t0 for r in records if r.sensor_id == "aero-2"]
    assert aero and not any(101.0 < t < 399.0 for t in aero)  # silent while out ...
    assert any(t > 400.0 for t in aero)  # ... and back afterwards
    beats = [r.time - t0 for r in records if isinstance(r, Heartbeat) and r.sensor_id == "aero-2"]
    assert not any(101.0 < t < 399.0 for t in beats) and any(t > 400.0 for t in beats)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("area: {sectors: [XYZ-99]}", ("area.sectors.0", "XYZ-99")),
        ("sensors: [radar-9]", ("sensors.0", "radar-9")),
        ("duration_s: -1", ("duration_s",)),
        ("start: '2026-11-23T21:00:00+03:00'", ("start", "UTC")),
        ("movers: [{kind: submarine, count: 1}]", ("movers.0.kind",)),
    ],
)
def test_bad_scenarios_name_the_field(border_model: BorderModel, change: str, words: tuple[str, ...]) -> None:
    key = change.split(":")[0]
    lines = [line for line in CROSSERS.splitlines() if not line.startswith(key + ":")]
    if key == "movers":  # drop the group list that followed
        lines = [line for line in lines if not line.startswith("  - {kind")]
    text = "\n".join(lines) + "\n" + change + "\n"
    with pytest.raises(ScenarioError) as err:
        Simulation(parse_scenario(text), border_model)
    for word in words:
        assert word in str(err.value)


def synthetic_config() -> dict[str, Any]:
    """A made-up straight 40 km border with its own names: nothing of the shipped configuration."""

    def point(kind: str, ident: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": kind, "id": ident, **props},
        }

    return {
        "type": "FeatureCollection",
        "borderwatch": {"version": 1, "name": "testland", "home_country": "Testland", "sector_length_km": 10.0},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[10.0, 5.0], [10.36, 5.0]]},
                "properties": {"kind": "border_line", "id": "NORTH", "neighbour": "Otherland", "home_side": "right"},
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "kind": "barrier",
                    "id": "w1",
                    "barrier_type": "wall",
                    "border": "NORTH",
                    "start_km": 10.0,
                    "end_km": 30.0,
                    "offset_m": 50.0,
                },
            },
            point(
                "sensor",
                "t1",
                10.1,
                4.99,
                sensor_type="tower",
                height_m=20.0,
                ranges_m={"person": 3000.0, "vehicle": 8000.0, "animal": 2000.0},
            ),
            point(
                "sensor",
                "t2",
                10.25,
                4.99,
                sensor_type="tower",
                height_m=20.0,
                fov_deg=180.0,
                pan_center_deg=0.0,
                ranges_m={"person": 3000.0, "vehicle": 8000.0, "animal": 2000.0},
            ),
            point("sensor", "g1", 10.2, 5.0, sensor_type="ground", radius_m=50.0),
            point("crossing", "gate", 10.18, 5.0, name="Gate", neighbour="Otherland"),
        ],
    }


def test_runs_on_another_border_configuration(tmp_path: Path) -> None:
    model = BorderModel(parse_config(synthetic_config()))
    text = """
name: elsewhere
seed: 3
duration_s: 600
area: {sectors: [NORTH-02, NORTH-03]}
movers:
  - {kind: smuggler_vehicle, count: 6, window_s: [0, 30], speed_mps: 20}
  - {kind: smuggler_foot, count: 4, window_s: [0, 60]}
  - {kind: legit_traffic, count: 3, window_s: [0, 60]}
  - {kind: shepherd, count: 2}
  - {kind: wildlife, count: 3, species: camel}
  - {kind: patrol, count: 1}
"""
    summary = run(text, model, tmp_path)
    assert summary["border_model"] == "testland"
    assert summary["sensors"] == {"tower": 2, "ground": 1}
    assert summary["detections"]["total"] > 0
    events = [r for r in RecordReader(tmp_path / "truth.jsonl") if isinstance(r, TruthEvent)]
    assert events
    for event in events:
        loc = model.locate(event.lat, event.lon)
        assert abs(loc.offset_m) < 1.0
        if not event.truth_id.startswith("lt-"):
            assert not 10.0 < loc.km < 30.0  # round the wall


def test_shipped_scenarios_load_and_resolve(border_model: BorderModel) -> None:
    assert {"quiet-night", "smuggling-surge", "whole-border-stress"} <= set(shipped_scenarios())
    for name in shipped_scenarios():
        simulation = Simulation(load_scenario(name), border_model)
        assert len(simulation.movers) > 0
    surge = Simulation(load_scenario("smuggling-surge"), border_model)
    qaim = next(c for c in border_model.crossings if c.properties.id == "qaim")
    qaim_km = border_model.locate(qaim.geometry.lat, qaim.geometry.lon).km
    crossing_km = [
        border_model.locate(lat, lon).km
        for lat, lon in zip(surge.movers.crossing_lat, surge.movers.crossing_lon, strict=True)
    ]
    assert len(crossing_km) >= 20
    assert all(abs(km - qaim_km) < 15.0 for km in crossing_km)
    stress = Simulation(load_scenario("whole-border-stress"), border_model)
    assert 1800 <= len(stress.movers) <= 2500


def test_cli_simulate_writes_files_and_rejects_unknown_scenarios(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "quiet-night", "--out", str(tmp_path), "--duration", "60"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "detections.jsonl").stat().st_size > 0
    assert json.loads((tmp_path / "summary.json").read_text())["duration_s"] == 60.0
    bad = runner.invoke(app, ["simulate", "no-such-scenario", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert "quiet-night" in bad.output


def test_realtime_flushes_each_step_for_a_live_reader(border_model: BorderModel, tmp_path: Path) -> None:
    from borderwatch.sim.engine import run_simulation

    simulation = Simulation(parse_scenario(CROSSERS.replace("duration_s: 900", "duration_s: 40")), border_model)
    seen_on_disk: list[int] = []
    with open(tmp_path / "d.jsonl", "w") as det, open(tmp_path / "t.jsonl", "w") as tru:
        written = [0]

        def check(output: Any) -> None:
            written[0] += len(output.detections)
            seen_on_disk.append(len((tmp_path / "d.jsonl").read_text().splitlines()) - written[0])

        summary = run_simulation(simulation, det, tru, realtime=True, speed=1e6, on_step=check)
    assert len(seen_on_disk) == 40
    assert all(missing == 0 for missing in seen_on_disk)  # every written line is already readable
    assert summary["heartbeats"] > 0


def test_iter_records_matches_the_files(border_model: BorderModel, tmp_path: Path) -> None:
    from borderwatch.sim import iter_records

    text = CROSSERS.replace("duration_s: 900", "duration_s: 60")
    run(text, border_model, tmp_path)
    from_files = list(RecordReader(tmp_path / "detections.jsonl"))
    in_process = list(iter_records(Simulation(parse_scenario(text), border_model)))
    assert in_process == from_files
    with_truth = list(iter_records(Simulation(parse_scenario(text), border_model), truth=True))
    assert len(with_truth) == len(from_files) + len(list(RecordReader(tmp_path / "truth.jsonl")))
