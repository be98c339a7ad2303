"""The scenario simulator: movers through sensors, step by step, into JSON Lines.

`Simulation` wires a scenario to a border model: it builds the movers, picks the sensors, draws
the outages, and for each time step asks every sensor model what it reports. Output is the
interchange format (sensors.formats): detections and heartbeats in one stream, ground truth and
truth events in another, both in time order; the same seed gives byte-identical files.
May import: NumPy, orjson, geo, sensors, sim.
"""

from __future__ import annotations

import math
import time as wallclock
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from borderwatch.geo.config import SensorFeature
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import OBJECT_CLASSES, Record, format_time, parse_line
from borderwatch.sensors.models import (
    AerostatRadars,
    BoolArray,
    Clutter,
    DetectionBatch,
    GroundSensors,
    LineOfSight,
    SensorModel,
    Snapshot,
    TowerCameras,
)
from borderwatch.sim.movers import MoverTable, build_movers
from borderwatch.sim.scenario import Scenario, ScenarioError, Span, resolve_area

SENSOR_REACH_KM = 60.0  # sensors farther than this from the area see nothing of it


def _json(text: str) -> str:
    return orjson.dumps(text).decode()


class _Clock:
    """ISO 8601 UTC strings for POSIX times, cached per whole second (the hot path writes millions)."""

    def __init__(self) -> None:
        self._prefix: dict[int, str] = {}

    def __call__(self, t: float) -> str:
        millis = round(t * 1000.0)
        second, ms = divmod(millis, 1000)
        prefix = self._prefix.get(second)
        if prefix is None:
            prefix = format_time(float(second))[:-5]
            if len(self._prefix) > 4096:
                self._prefix.clear()
            self._prefix[second] = prefix
        return f'"{prefix}.{ms:03d}Z"'


@dataclass
class StepOutput:
    """One step's lines, each with its newline, in time order."""

    t0: float
    detections: list[str]
    truth: list[str]


@dataclass
class Outage:
    sensor_id: str
    start_s: float
    end_s: float


@dataclass
class Tally:
    """Running counts for the summary."""

    detections: Counter[str] = field(default_factory=Counter)  # by sensor type
    classes: Counter[str] = field(default_factory=Counter)
    clutter: int = 0
    heartbeats: int = 0
    truth_states: int = 0
    crossings: Counter[str] = field(default_factory=Counter)


class Simulation:
    """A scenario on a border model, ready to run; with `dem`, towers do not see through terrain."""

    def __init__(self, scenario: Scenario, model: BorderModel, dem: Path | None = None) -> None:
        self.scenario = scenario
        self.model = model
        self.spans: list[Span] = resolve_area(scenario, model)
        seeds = np.random.SeedSequence(scenario.seed).spawn(4)
        # Separate streams so that, e.g., adding a sensor does not move a single mover.
        rng_movers, rng_phase, self._rng_sense, rng_outage = (np.random.default_rng(s) for s in seeds)
        self.start_time = scenario.start_time
        self.movers: MoverTable = build_movers(scenario, model, self.spans, rng_movers)
        self.sensors: list[SensorFeature] = self._select_sensors()
        clutter = Clutter(**scenario.clutter.model_dump())
        by_type: dict[str, list[int]] = {"tower": [], "aerostat": [], "ground": []}
        for i, feature in enumerate(self.sensors):
            by_type[feature.properties.sensor_type].append(i)
        phase = rng_phase.random(len(self.sensors))

        def features(kind: str) -> list[SensorFeature]:
            return [self.sensors[i] for i in by_type[kind]]

        line_of_sight: LineOfSight | None = None
        if dem is not None:
            from borderwatch.sim.terrain import DemLineOfSight  # rasterio only when a DEM is given

            line_of_sight = DemLineOfSight(dem, features("tower"))
        self.models: list[SensorModel] = [
            TowerCameras(features("tower"), by_type["tower"], clutter, phase[by_type["tower"]], line_of_sight),
            AerostatRadars(features("aerostat"), by_type["aerostat"], clutter, phase[by_type["aerostat"]]),
            GroundSensors(features("ground"), by_type["ground"], clutter),
        ]
        periods = np.concatenate([m.scan_periods() for m in self.models] + [np.array([scenario.step_s])])
        # A step no longer than the fastest scan: each target gets exactly one look per scan.
        self.step_s = float(min(scenario.step_s, periods.min()))
        self.heartbeat_phase = phase * scenario.heartbeat_interval_s
        self.outages = self._draw_outages(rng_outage)
        self._outage_sensor = np.array([self._sensor_index[o.sensor_id] for o in self.outages], dtype=np.int64)
        self._outage_start = np.array([o.start_s for o in self.outages])
        self._outage_end = np.array([o.end_s for o in self.outages])
        self._all = np.arange(len(self.movers), dtype=np.int64)
        self._max_speed = float(np.hypot(self.movers.vel_east, self.movers.vel_north).max(initial=0.0))
        self.tally = Tally()
        self._clock = _Clock()
        self._counters = np.zeros(len(self.sensors), dtype=np.int64)
        self._sensor_type = [s.properties.sensor_type for s in self.sensors]
        self._det_prefix = ['{"type":"detection","id":' + _json(s.properties.id)[:-1] for s in self.sensors]
        self._det_sensor = [',"sensor_id":' + _json(s.properties.id) + ',"time":' for s in self.sensors]
        self._hb_prefix = [
            '{"type":"heartbeat","sensor_id":' + _json(s.properties.id) + ',"time":' for s in self.sensors
        ]
        self._truth_prefix = ['{"type":"truth","truth_id":' + _json(t) + ',"time":' for t in self.movers.truth_id]
        self._truth_suffix = [
            f',"class":"{OBJECT_CLASSES[c]}","role":"{r}"}}\n'
            for c, r in zip(self.movers.object_class.tolist(), self.movers.role, strict=True)
        ]

    # ------------------------------------------------------------------ set-up

    def _select_sensors(self) -> list[SensorFeature]:
        wanted = self.scenario.sensors
        types = {"tower", "aerostat", "ground"}
        ids = {s.properties.id for s in self.model.sensors}
        for n, ref in enumerate(wanted):
            if ref != "all" and ref not in types and ref not in ids:
                raise ScenarioError(
                    f"scenario {self.scenario.name!r}: field sensors.{n}: {ref!r} is not 'all', "
                    f"a sensor type ({', '.join(sorted(types))}) or a sensor id of this configuration"
                )
        chosen = [
            s
            for s in self.model.sensors
            if "all" in wanted or s.properties.sensor_type in wanted or s.properties.id in wanted
        ]
        if self.scenario.sensors_in_area_only and chosen:
            loc = self.model.locate_many([s.geometry.lat for s in chosen], [s.geometry.lon for s in chosen])
            border_ids = list(self.model.border_ids())
            keep = []
            for i, sensor in enumerate(chosen):
                border = border_ids[int(loc.border_index[i])]
                km = float(loc.km[i])
                near = any(
                    s.border == border and s.start_km - SENSOR_REACH_KM <= km <= s.end_km + SENSOR_REACH_KM
                    for s in self.spans
                )
                if near or sensor.properties.id in wanted:
                    keep.append(sensor)
            chosen = keep
        self._sensor_index = {s.properties.id: i for i, s in enumerate(chosen)}
        return chosen

    def _draw_outages(self, rng: np.random.Generator) -> list[Outage]:
        spec = self.scenario.outages
        duration = self.scenario.duration_s
        outages: list[Outage] = []
        for sensor in self.sensors:
            count = int(rng.poisson(spec.rate_per_hour * duration / 3600.0))
            starts = np.sort(rng.uniform(0.0, duration, count))
            lengths = rng.exponential(spec.mean_duration_s, count)
            outages += [
                Outage(sensor.properties.id, float(a), float(a + b)) for a, b in zip(starts, lengths, strict=True)
            ]
        for n, scripted in enumerate(spec.scripted):
            if scripted.sensor not in self._sensor_index:
                raise ScenarioError(
                    f"scenario {self.scenario.name!r}: field outages.scripted.{n}.sensor: "
                    f"{scripted.sensor!r} is not among the simulated sensors"
                )
            outages.append(Outage(scripted.sensor, scripted.start_s, scripted.start_s + scripted.duration_s))
        return outages

    def sensors_up(self, t: float) -> BoolArray:
        up = np.ones(len(self.sensors), dtype=bool)
        covered = (self._outage_start <= t) & (self._outage_end > t)
        up[self._outage_sensor[covered]] = False
        return up

    # ------------------------------------------------------------------ running

    def steps(self) -> Iterator[StepOutput]:
        """Run the scenario, yielding each step's output lines."""
        dt = self.step_s
        n_steps = math.ceil(self.scenario.duration_s / dt - 1e-9)
        for k in range(n_steps):
            t0 = k * dt
            step = min(dt, self.scenario.duration_s - t0)
            yield self.step(t0, step)

    def step(self, t0: float, dt: float) -> StepOutput:
        movers = self.movers
        active = (movers.start < t0 + dt) & (movers.end >= t0)
        lat, lon = movers.position(self._all, np.full(self._all.size, t0))
        ve, vn = movers.velocity(self._all, np.full(self._all.size, t0 + 0.5 * dt))
        snapshot = Snapshot(lat, lon, ve, vn, movers.object_class, active, movers.position, self._max_speed)
        up = self.sensors_up(t0)
        rng = self._rng_sense
        batches = [m.observe(snapshot, t0, dt, up[m.index], rng) for m in self.models]
        batch = DetectionBatch.concat(batches)
        lines = self._detection_lines(batch)
        lines = self._merge(lines, self._heartbeat_lines(t0, dt, up))
        truth = self._merge(self._truth_lines(t0, dt), self._event_lines(t0, dt))
        return StepOutput(t0, [line for _, line in lines], [line for _, line in truth])

    @staticmethod
    def _merge(a: list[tuple[float, str]], b: list[tuple[float, str]]) -> list[tuple[float, str]]:
        if not b:
            return a
        return sorted(a + b, key=lambda item: item[0])  # stable: ties keep their order

    def _detection_lines(self, batch: DetectionBatch) -> list[tuple[float, str]]:
        if len(batch) == 0:
            return []
        order = np.lexsort((batch.sensor, batch.time))
        batch = batch.take(order)
        sensor = batch.sensor
        # Per-sensor running numbers: rank within this step plus what came before.
        counts = np.bincount(sensor, minlength=len(self.sensors))
        rank = np.empty(sensor.size, dtype=np.int64)
        by_sensor = np.argsort(sensor, kind="stable")
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        rank[by_sensor] = np.arange(sensor.size) - np.repeat(starts, counts)
        number = self._counters[sensor] + rank + 1
        self._counters += counts
        abs_time = batch.time + self.start_time
        clutter = batch.truth < 0
        self.tally.clutter += int(clutter.sum())
        for kind, count in Counter(self._sensor_type[s] for s in sensor.tolist()).items():
            self.tally.detections[kind] += count
        for cls, count in zip(*np.unique(batch.object_class, return_counts=True), strict=True):
            self.tally.classes[OBJECT_CLASSES[int(cls)]] += int(count)
        millis = np.rint(abs_time * 1000.0).astype(np.int64)
        seconds, ms = np.divmod(millis, 1000)
        prefix = {int(sec): format_time(float(sec))[:-5] for sec in np.unique(seconds)}
        out: list[tuple[float, str]] = []
        rows = zip(
            sensor.tolist(),
            number.tolist(),
            batch.time.tolist(),
            seconds.tolist(),
            ms.tolist(),
            batch.object_class.tolist(),
            batch.class_conf.tolist(),
            batch.lat.tolist(),
            batch.lon.tolist(),
            batch.sigma_m.tolist(),
            batch.range_m.tolist(),
            batch.bearing_deg.tolist(),
            batch.sigma_range_m.tolist(),
            batch.sigma_bearing_deg.tolist(),
            batch.speed_mps.tolist(),
            batch.heading_deg.tolist(),
            strict=True,
        )
        det_prefix, det_sensor, names = self._det_prefix, self._det_sensor, OBJECT_CLASSES
        for s, num, t_rel, sec, milli, cls, conf, la, lo, sig, rg, br, sr, sb, sp, hd in rows:
            if rg == rg:  # not NaN: polar
                where = (
                    f',"range_m":{rg:.1f},"bearing_deg":{br:.3f},"sigma_range_m":{sr:.1f},"sigma_bearing_deg":{sb:.3f}'
                )
            else:
                where = f',"lat":{la:.6f},"lon":{lo:.6f},"sigma_m":{sig:.1f}'
            motion = f',"speed_mps":{sp:.1f},"heading_deg":{hd:.1f}' if sp == sp else ""
            out.append(
                (
                    t_rel,
                    f'{det_prefix[s]}:{num:06d}"{det_sensor[s]}"{prefix[sec]}.{milli:03d}Z"{where},'
                    f'"class":"{names[cls]}","class_conf":{conf:.2f}{motion}}}\n',
                )
            )
        return out

    def _heartbeat_lines(self, t0: float, dt: float, up: BoolArray) -> list[tuple[float, str]]:
        interval = self.scenario.heartbeat_interval_s
        phase = self.heartbeat_phase
        # Next beat at or after t0 for every sensor; beat if it falls in the step and the sensor is up.
        k = np.ceil((t0 - phase) / interval - 1e-9)
        beat = phase + k * interval
        due = np.flatnonzero((beat < t0 + dt) & up)
        self.tally.heartbeats += int(due.size)
        clock = self._clock
        return [
            (float(beat[i]), f'{self._hb_prefix[i]}{clock(float(beat[i]) + self.start_time)},"status":"ok"}}\n')
            for i in due.tolist()
        ]

    def _truth_lines(self, t0: float, dt: float) -> list[tuple[float, str]]:
        interval = self.scenario.truth_interval_s
        first = math.ceil(t0 / interval - 1e-9)
        out: list[tuple[float, str]] = []
        clock = self._clock
        k = first
        while k * interval < t0 + dt - 1e-9:
            t = k * interval
            k += 1
            movers = self.movers.active(t)
            if movers.size == 0:
                continue
            lat, lon = self.movers.position(movers, np.full(movers.size, t))
            stamp = clock(t + self.start_time)
            self.tally.truth_states += int(movers.size)
            for m, la, lo in zip(movers.tolist(), lat.tolist(), lon.tolist(), strict=True):
                out.append((t, f'{self._truth_prefix[m]}{stamp},"lat":{la:.6f},"lon":{lo:.6f}{self._truth_suffix[m]}'))
        return out

    def _event_lines(self, t0: float, dt: float) -> list[tuple[float, str]]:
        mv = self.movers
        lo, hi = np.searchsorted(mv.crossing_time, [t0, t0 + dt], side="left")
        out = []
        for i in range(int(lo), int(hi)):
            t = float(mv.crossing_time[i])
            m = int(mv.crossing_mover[i])
            direction = mv.crossing_direction[i]
            self.tally.crossings[direction] += 1
            out.append(
                (
                    t,
                    '{"type":"truth_event","event":"border_crossing","truth_id":'
                    f'{_json(mv.truth_id[m])},"time":{self._clock(t + self.start_time)},'
                    f'"lat":{mv.crossing_lat[i]:.6f},"lon":{mv.crossing_lon[i]:.6f},"direction":"{direction}"}}\n',
                )
            )
        return out

    # ------------------------------------------------------------------ summary

    def summary(self) -> dict[str, Any]:
        roles = Counter(self.movers.role)
        classes = Counter(OBJECT_CLASSES[c] for c in self.movers.object_class.tolist())
        return {
            "scenario": self.scenario.name,
            "border_model": self.model.name,
            "seed": self.scenario.seed,
            "start": format_time(self.start_time),
            "end": format_time(self.start_time + self.scenario.duration_s),
            "duration_s": self.scenario.duration_s,
            "step_s": self.step_s,
            "area": [
                {"border": s.border, "start_km": round(s.start_km, 3), "end_km": round(s.end_km, 3)} for s in self.spans
            ],
            "sensors": dict(Counter(self._sensor_type)),
            "movers": {
                "total": len(self.movers),
                "by_role": dict(sorted(roles.items())),
                "by_class": dict(sorted(classes.items())),
            },
            "detections": {
                "total": sum(self.tally.detections.values()),
                "by_sensor_type": dict(sorted(self.tally.detections.items())),
                "by_class": dict(sorted(self.tally.classes.items())),
                "clutter": self.tally.clutter,
            },
            "heartbeats": self.tally.heartbeats,
            "truth_states": self.tally.truth_states,
            "border_crossings": dict(sorted(self.tally.crossings.items())),
            "outages": [
                {
                    "sensor_id": o.sensor_id,
                    "start": format_time(self.start_time + o.start_s),
                    "end": format_time(self.start_time + min(o.end_s, self.scenario.duration_s)),
                }
                for o in self.outages
            ],
        }


def iter_records(simulation: Simulation, *, truth: bool = False) -> Iterator[Record]:
    """The run as records, in time order: detections and heartbeats (and truth with `truth=True`).

    For in-process consumers (the live demo, tests); each step's lines are parsed back through the
    interchange format, so what they get is exactly what the files would hold.
    """
    for output in simulation.steps():
        lines = output.detections + output.truth if truth else output.detections
        records = [parse_line(line) for line in lines]
        if truth:
            records.sort(key=lambda r: r.time)
        yield from records


def run_simulation(
    simulation: Simulation,
    detections: IO[str],
    truth: IO[str],
    *,
    realtime: bool = False,
    speed: float = 1.0,
    on_step: Callable[[StepOutput], None] | None = None,
) -> dict[str, Any]:
    """Run to the end, writing both streams; with `realtime`, pace steps at `speed` x wall time.

    Returns the summary with the wall time it took (the only part that differs between runs).
    """
    if speed <= 0.0:
        raise ValueError(f"speed must be > 0, not {speed}")
    started = wallclock.perf_counter()
    for output in simulation.steps():
        detections.writelines(output.detections)
        truth.writelines(output.truth)
        if realtime:  # a live reader sees each step as soon as it is simulated
            detections.flush()
            truth.flush()
        if on_step is not None:
            on_step(output)
        if realtime:
            due = started + (output.t0 + simulation.step_s) / speed
            pause = due - wallclock.perf_counter()
            if pause > 0:
                wallclock.sleep(pause)
    wall = wallclock.perf_counter() - started
    summary = simulation.summary()
    summary["timing"] = {
        "wall_s": round(wall, 3),
        "sim_s_per_wall_s": round(simulation.scenario.duration_s / max(wall, 1e-9), 1),
    }
    return summary


def simulate_to_dir(
    simulation: Simulation,
    out: Path,
    *,
    realtime: bool = False,
    speed: float = 1.0,
    on_step: Callable[[StepOutput], None] | None = None,
) -> dict[str, Any]:
    """Write detections.jsonl, truth.jsonl and summary.json into `out`; returns the summary.

    `on_step` sees each step's lines as they are written (e.g. to post them to a running service).
    """
    out.mkdir(parents=True, exist_ok=True)
    with (
        open(out / "detections.jsonl", "w", encoding="utf-8", newline="\n") as det,
        open(out / "truth.jsonl", "w", encoding="utf-8", newline="\n") as tru,
    ):
        summary = run_simulation(simulation, det, tru, realtime=realtime, speed=speed, on_step=on_step)
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    return summary
