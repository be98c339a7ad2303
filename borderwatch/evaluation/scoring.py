"""Scores of a tracker run against simulator truth, as operators judge a border system.

GOSPA over time (truth and tracks sampled on one time grid, tracks interpolated between their
states), fragmentation and id switches (from the GOSPA assignment), crossing recall (a true
crossing is caught by a `border_crossing` event within `match_m` metres and `match_s` seconds,
same direction), time to alert (event reported_time minus true crossing time) and false
crossing events per sensor per day. With a border model, crossings are also scored apart by
where they happen: on the green border, and through an official land crossing (within `official_m`
of one), where a crossing is registered traffic, not an alarm.
May import: NumPy, SciPy, borderwatch.geo, borderwatch.sensors.formats, borderwatch.fusion.types.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from borderwatch.evaluation.gospa import gospa
from borderwatch.fusion.types import BorderEvent, TrackState
from borderwatch.geo.geodesy import LocalFrame, distance_m
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import TruthEvent, TruthState

FloatArray = npt.NDArray[np.float64]
CROSSING_EVENTS = ("border_crossing", "crossing")  # names a simulator may give a true crossing


@dataclass
class Scores:
    """Everything `borderwatch evaluate` reports; `to_json` is its JSON file."""

    gospa_c: float
    gospa_p: float
    gospa_alpha: float
    gospa_mean: float
    gospa_localisation_mean: float
    gospa_missed_mean: float
    gospa_false_mean: float
    gospa_times: list[float]
    gospa_series: list[float]
    truths: int
    tracks: int
    fragmentations: int
    id_switches: int
    true_crossings: int
    caught_crossings: int
    crossing_recall: float | None
    time_to_alert_s: list[float]
    time_to_alert_median_s: float | None
    time_to_alert_p95_s: float | None
    crossing_events: int
    false_crossing_events: int
    sensors: int
    duration_days: float
    false_crossings_per_sensor_day: float | None
    # Unmatched crossing events where no true mover crossed the line at all (the truth track's own
    # geometry, not the simulator's list of crossings): None without a border model.
    unexplained_crossing_events: int | None = None
    false_at_official_crossings: int = 0  # of the false ones, those the tracker marked as at an official crossing
    unexplained_crossings_per_sensor_day: float | None = None
    missed_crossings: list[dict[str, Any]] = field(default_factory=list)
    # The same split by place (a border model needed; None without): crossings on the green border,
    # where a crossing is an alarm, and through official land crossings, where it is traffic.
    green_true_crossings: int | None = None
    green_caught_crossings: int | None = None
    green_crossing_recall: float | None = None
    green_false_crossing_events: int | None = None
    green_false_crossings_per_sensor_day: float | None = None
    official_true_crossings: int | None = None
    official_caught_crossings: int | None = None
    official_false_crossing_events: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _series(times: FloatArray, values: FloatArray, grid: FloatArray) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Which grid times lie in [times[0], times[-1]] and the interpolated values there."""
    alive = (grid >= times[0]) & (grid <= times[-1])
    return alive, np.interp(grid[alive], times, values)


def _sample(
    groups: dict[str, list[tuple[float, float, float]]], grid: FloatArray, frame: LocalFrame
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """For each object with states (t, lat, lon): (grid index, object index, xy) wherever it is alive."""
    names = sorted(groups)
    grid_idx, obj_idx, xys = [], [], []
    for k, name in enumerate(names):
        arr = np.asarray(sorted(groups[name]))
        x, y = frame.to_xy(arr[:, 1], arr[:, 2])
        alive, xi = _series(arr[:, 0], np.atleast_1d(x), grid)
        _, yi = _series(arr[:, 0], np.atleast_1d(y), grid)
        where = np.flatnonzero(alive)
        grid_idx.append(where)
        obj_idx.append(np.full(where.size, k))
        xys.append(np.column_stack([xi, yi]))
    if not names:
        return names, np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 2))
    return names, np.concatenate(grid_idx), np.concatenate(obj_idx), np.vstack(xys)


def evaluate(
    truth: Sequence[TruthState],
    truth_events: Sequence[TruthEvent],
    tracks: Sequence[TrackState],
    events: Sequence[BorderEvent],
    sensors: int,
    c: float = 100.0,
    p: float = 1.0,
    step_s: float = 5.0,
    match_m: float = 500.0,
    match_s: float = 120.0,
    model: BorderModel | None = None,
    official_m: float = 600.0,
) -> Scores:
    """Score tracks and events against truth. `sensors` is how many sensors produced the detections;
    with a `model`, crossings within `official_m` of an official land crossing are also scored apart."""
    all_lat = [s.lat for s in truth] + [s.lat for s in tracks]
    all_lon = [s.lon for s in truth] + [s.lon for s in tracks]
    frame = LocalFrame(float(np.mean(all_lat)) if all_lat else 0.0, float(np.mean(all_lon)) if all_lon else 0.0)
    times = [s.time for s in truth] or [s.time for s in tracks] or [0.0]
    t0, t1 = min(times), max(times)
    grid = np.arange(t0, t1 + 1e-9, step_s)

    truth_groups: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for s in truth:
        truth_groups[s.truth_id].append((s.time, s.lat, s.lon))
    track_groups: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for ts in tracks:
        if ts.status != "tentative":
            track_groups[ts.track_id].append((ts.time, ts.lat, ts.lon))
    truth_names, tg, to, txy = _sample(truth_groups, grid, frame)
    track_names, kg, ko, kxy = _sample(track_groups, grid, frame)
    t_order, k_order = np.argsort(tg, kind="stable"), np.argsort(kg, kind="stable")
    t_cut = np.searchsorted(tg[t_order], np.arange(grid.size + 1))
    k_cut = np.searchsorted(kg[k_order], np.arange(grid.size + 1))

    values, loc, missed, false = (np.zeros(grid.size) for _ in range(4))
    assigned: dict[int, list[int]] = defaultdict(list)  # truth -> track per grid step (-1: none)
    for g in range(grid.size):
        ti = t_order[t_cut[g] : t_cut[g + 1]]
        ki = k_order[k_cut[g] : k_cut[g + 1]]
        result = gospa(txy[ti], kxy[ki], c, p)
        values[g], loc[g], missed[g], false[g] = result.distance, result.localisation, result.missed, result.false
        for truth_row, track_col in zip(ti.tolist(), result.assignment.tolist(), strict=True):
            assigned[int(to[truth_row])].append(int(ko[ki[track_col]]) if track_col >= 0 else -1)
    fragmentations = id_switches = 0
    for sequence in assigned.values():
        held = [s for s in sequence if s >= 0]
        id_switches += sum(1 for a, b in itertools.pairwise(held) if a != b)
        gaps = np.diff(np.r_[0, (np.asarray(sequence) >= 0).astype(int)])
        fragmentations += max(0, int((gaps == 1).sum()) - 1)

    crossings = [e for e in truth_events if e.event in CROSSING_EVENTS]
    alerts = [e for e in events if e.type == "border_crossing" and e.lat is not None and e.lon is not None]
    matched: dict[int, int] = {}
    if crossings and alerts:
        c_lat = np.array([e.lat for e in crossings])
        c_lon = np.array([e.lon for e in crossings])
        a_lat = np.array([e.lat for e in alerts], dtype=float)
        a_lon = np.array([e.lon for e in alerts], dtype=float)
        dist = distance_m(c_lat[:, None], c_lon[:, None], a_lat[None, :], a_lon[None, :])
        dt = np.abs(np.array([e.time for e in crossings])[:, None] - np.array([e.time for e in alerts])[None, :])
        same_way = np.array(
            [
                [a.direction is None or t.direction is None or a.direction == t.direction for a in alerts]
                for t in crossings
            ]
        )
        ok = (dist <= match_m) & (dt <= match_s) & same_way
        cost = np.where(ok, dist / match_m + dt / match_s, 1e6)
        rows, cols = linear_sum_assignment(cost)
        matched = {int(r): int(k) for r, k in zip(rows, cols, strict=True) if ok[r, k]}
    delays = []
    for r, k in matched.items():
        alert = alerts[k]
        delays.append((alert.reported_time if alert.reported_time is not None else alert.time) - crossings[r].time)
    duration_days = max(t1 - t0, 1.0) / 86_400.0
    false_events = len(alerts) - len(matched)
    unexplained: int | None = None
    if model is not None:
        unmatched = [a for k, a in enumerate(alerts) if k not in set(matched.values())]
        line_crossings = geometric_crossings(truth, model)
        unexplained = sum(
            1
            for a in unmatched
            if not any(
                abs(a.time - t) <= match_s and float(distance_m(a.lat or 0.0, a.lon or 0.0, la, lo)) <= match_m
                for t, la, lo in line_crossings
            )
        )
    missed_list = [
        {"truth_id": e.truth_id, "time": e.time, "lat": e.lat, "lon": e.lon, "direction": e.direction}
        for i, e in enumerate(crossings)
        if i not in matched
    ]
    by_place: dict[str, Any] = {}
    if model is not None:
        at_port_truth = near_official_crossing(
            model, [e.lat for e in crossings], [e.lon for e in crossings], official_m
        )
        at_port_alert = near_official_crossing(
            model, [a.lat or 0.0 for a in alerts], [a.lon or 0.0 for a in alerts], official_m
        )
        caught_alerts = set(matched.values())
        green = [r for r in range(len(crossings)) if not at_port_truth[r]]
        green_caught = sum(1 for r in green if r in matched)
        green_false = sum(1 for k in range(len(alerts)) if k not in caught_alerts and not at_port_alert[k])
        by_place = {
            "green_true_crossings": len(green),
            "green_caught_crossings": green_caught,
            "green_crossing_recall": green_caught / len(green) if green else None,
            "green_false_crossing_events": green_false,
            "green_false_crossings_per_sensor_day": green_false / (sensors * duration_days) if sensors > 0 else None,
            "official_true_crossings": len(crossings) - len(green),
            "official_caught_crossings": len(matched) - green_caught,
            "official_false_crossing_events": false_events - green_false,
        }
    return Scores(
        **by_place,
        gospa_c=c,
        gospa_p=p,
        gospa_alpha=2.0,
        gospa_mean=float(values.mean()) if grid.size else 0.0,
        gospa_localisation_mean=float(loc.mean()) if grid.size else 0.0,
        gospa_missed_mean=float(missed.mean()) if grid.size else 0.0,
        gospa_false_mean=float(false.mean()) if grid.size else 0.0,
        gospa_times=grid.tolist(),
        gospa_series=values.tolist(),
        truths=len(truth_names),
        tracks=len(track_names),
        fragmentations=fragmentations,
        id_switches=id_switches,
        true_crossings=len(crossings),
        caught_crossings=len(matched),
        crossing_recall=len(matched) / len(crossings) if crossings else None,
        time_to_alert_s=delays,
        time_to_alert_median_s=float(np.median(delays)) if delays else None,
        time_to_alert_p95_s=float(np.percentile(delays, 95)) if delays else None,
        crossing_events=len(alerts),
        false_crossing_events=false_events,
        sensors=sensors,
        duration_days=duration_days,
        false_crossings_per_sensor_day=false_events / (sensors * duration_days) if sensors > 0 else None,
        missed_crossings=missed_list,
        unexplained_crossing_events=unexplained,
        false_at_official_crossings=sum(
            1 for k, a in enumerate(alerts) if k not in set(matched.values()) and "official_crossing" in a.details
        ),
        unexplained_crossings_per_sensor_day=(
            unexplained / (sensors * duration_days) if unexplained is not None and sensors > 0 else None
        ),
    )


def near_official_crossing(
    model: BorderModel, lat: Sequence[float], lon: Sequence[float], within_m: float
) -> npt.NDArray[np.bool_]:
    """Whether each point lies within `within_m` of one of the model's official land crossings."""
    ports = [c.geometry for c in model.crossings if c.properties.crossing_type == "land"]
    if not ports or not lat:
        return np.zeros(len(lat), bool)
    dist = distance_m(
        np.asarray(lat, float)[:, None],
        np.asarray(lon, float)[:, None],
        np.array([g.lat for g in ports])[None, :],
        np.array([g.lon for g in ports])[None, :],
    )
    return np.asarray(np.min(dist, axis=1) <= within_m, dtype=np.bool_)


def geometric_crossings(truth: Sequence[TruthState], model: BorderModel) -> list[tuple[float, float, float]]:
    """(time, lat, lon) wherever a truth track's own positions change side of a border line."""
    by_id: dict[str, list[TruthState]] = defaultdict(list)
    for s in truth:
        by_id[s.truth_id].append(s)
    out = []
    for states in by_id.values():
        states.sort(key=lambda s: s.time)
        off = model.locate_many([s.lat for s in states], [s.lon for s in states]).offset_m
        for k in np.flatnonzero(off[:-1] * off[1:] < 0).tolist():
            a, b = states[k], states[k + 1]
            frac = off[k] / (off[k] - off[k + 1])
            out.append(
                (a.time + frac * (b.time - a.time), a.lat + frac * (b.lat - a.lat), a.lon + frac * (b.lon - a.lon))
            )
    return out
