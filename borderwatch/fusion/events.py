"""Border events raised from tracks and heartbeats, with their per-track state in the track table.

border_crossing (side change, direction), barrier_approach and barrier_breach (against the
barriers of the configuration), loitering, convergence (tracks meeting near the border) and
sensor_offline (heartbeats). Every event type's parameters live in fusion.params.EventParams;
docs/formats.md describes them.
May import: NumPy, SciPy, borderwatch.geo, borderwatch.sensors.formats, fusion.kernels/params/tracks/types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from borderwatch.fusion.kernels import (
    barrier_states,
    crossing_sides,
    loiter_due,
    nearest_within,
    pair_distance2,
    pairs_within,
)
from borderwatch.fusion.params import CLASSES, EventParams
from borderwatch.fusion.tracks import CONFIRMED, TrackTable, track_id
from borderwatch.fusion.types import BorderEvent, EventType
from borderwatch.geo.geodesy import LocalFrame
from borderwatch.geo.model import BorderModel, Locations
from borderwatch.sensors.formats import Heartbeat

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class _Pair:
    """Convergence state of two tracks within `convergence_apart_m` of each other."""

    armed: bool  # seen apart as two objects (convergence): they have come together since
    close_since: float | None = None
    fired: bool = False


@dataclass
class _SensorWatch:
    last_heard: float
    offline: bool = False


class BorderEventDetector:
    """Turns located track updates and heartbeats into BorderEvents."""

    def __init__(self, model: BorderModel, frame: LocalFrame, params: EventParams) -> None:
        self.model = model
        self.frame = frame
        self.params = params
        self.border_ids = list(model.border_ids())
        self.barriers = model.barriers
        self.barrier_border = np.array([self.border_ids.index(b.border) for b in self.barriers], np.int64)
        self.barrier_start = np.array([b.start_km for b in self.barriers])
        self.barrier_end = np.array([b.end_km for b in self.barriers])
        self.barrier_offset = np.array([b.offset_m for b in self.barriers])
        self.sensor_pos = {s.properties.id: (s.geometry.lat, s.geometry.lon) for s in model.sensors}
        ports = [c for c in model.crossings if c.properties.crossing_type == "land"]
        px, py = frame.to_xy([c.geometry.lat for c in ports], [c.geometry.lon for c in ports])
        self.port_ids = [c.properties.id for c in ports]
        self.ports = np.column_stack([np.atleast_1d(px), np.atleast_1d(py)]) if ports else None
        self.pairs: dict[tuple[int, int], _Pair] = {}
        self.sensors: dict[str, _SensorWatch] = {}
        self.recent_crossings: list[tuple[float, FloatArray, int, int]] = []  # time, point, side, serial
        self._confirmed_crossings: list[tuple[int, float, FloatArray, int]] = []  # row, time, point, side
        self._count = 0

    # ------------------------------------------------------------ helpers

    def _event(
        self,
        kind: EventType,
        time: float,
        xy: FloatArray | None,
        tracks: Sequence[int],
        table: TrackTable | None,
        rows: Sequence[int],
        reported: float,
        direction: Literal["inbound", "outbound"] | None = None,
        details: dict[str, Any] | None = None,
        latlon: tuple[float, float] | None = None,
    ) -> BorderEvent:
        self._count += 1
        lat = lon = km = None
        sector = None
        if xy is not None:
            la, lo = self.frame.to_latlon(xy[0], xy[1])
            latlon = (float(la), float(lo))
        if latlon is not None:
            lat, lon = latlon
            loc = self.model.locate_many([lat], [lon])
            km = float(loc.km[0])
            sector = self.model.sectors[int(loc.sector_index[0])].id
        if xy is not None and kind != "border_crossing":  # crossings name their gate themselves (see _crossing)
            port = self._port(xy)
            if port is not None:  # a queue or a gate in the barrier is traffic there, for the alert rules
                details = {**(details or {}), "official_crossing": port}
        object_class = class_prob = None
        if table is not None and rows:
            prob = np.exp(table.logp[list(rows)]).mean(axis=0)
            best = int(np.argmax(prob))
            object_class, class_prob = CLASSES[best], float(prob[best])
        return BorderEvent(
            event_id=f"E{self._count:06d}",
            type=kind,
            time=time,
            lat=lat,
            lon=lon,
            track_ids=tuple(track_id(s) for s in tracks),
            object_class=object_class,
            class_prob=class_prob,
            sector=sector,
            km=km,
            direction=direction,
            details=details or {},
            reported_time=reported,
        )

    # ------------------------------------------------------------ track events

    def on_confirmed(self, table: TrackTable, rows: IntArray, now: float) -> list[BorderEvent]:
        """Newly confirmed tracks: a side change while still tentative is a crossing too, reported by the
        batch's on_updates (so none is returned here; the tracker calls on_updates right after)."""
        if rows.size == 0:
            return []
        h = self.params.crossing_hysteresis_m
        pts = np.vstack([table.first_z[rows], table.x[rows, :2]])
        lat, lon = self.frame.to_latlon(pts[:, 0], pts[:, 1])
        off = self.model.locate_many(lat, lon).offset_m
        first, last = off[: rows.size], off[rows.size :]
        born_at_gate = np.zeros(rows.size, bool)
        if self.ports is not None and self.params.gate_born_needs_depth:
            born_at_gate = (
                nearest_within(np.ascontiguousarray(table.first_z[rows]), self.ports, self.params.official_crossing_m)
                >= 0
            )
        events: list[BorderEvent] = []
        for k, i in enumerate(rows.tolist()):
            s0 = int(np.sign(first[k])) if abs(first[k]) > h else 0
            s1 = int(np.sign(last[k])) if abs(last[k]) > h else 0
            table.side[i] = s1 if s1 else s0
            table.prev_off[i] = last[k]
            table.prev_xy[i] = table.x[i, :2]
            table.prev_t[i] = table.t[i]
            table.near_t[i] = table.t[i] if abs(last[k]) <= self.params.gate_approach_m else np.nan
            if born_at_gate[k]:
                # Born at an official crossing, where the queue stands on the line and its detections fall
                # either side of it: the track has a side to leave only once it has been deep on it.
                table.side_depth[i] = abs(last[k]) if s1 else 0.0
                if abs(first[k]) < self.params.crossing_evidence_m:
                    continue
            if s0 and s1 and s0 != s1:
                frac = first[k] / (first[k] - last[k])
                t_cross = table.first_t[i] + frac * (table.t[i] - table.first_t[i])
                xy = table.first_z[i] + frac * (table.x[i, :2] - table.first_z[i])
                if self._too_fast_for_the_gate(table, i, first[k], last[k], t_cross, xy):
                    # Left to the crossing state machine (kernels.crossing_sides): reported once the track is
                    # gate_run_m past the line, or its side is lost in the queue.
                    table.side[i] = s0
                    if born_at_gate[k]:
                        table.side_depth[i] = abs(first[k])  # its evidence on the side it left (checked above)
                    table.cross_t[i] = t_cross
                    table.cross_xy[i] = xy
                    continue
                # Judged after this batch's updates (on_updates): a crossing the track's older twin reports
                # there came first, whichever order the two were found in.
                self._confirmed_crossings.append((i, t_cross, np.array(xy, dtype=np.float64), s1))
        return events

    def _too_fast_for_the_gate(
        self, table: TrackTable, i: int, first: float, last: float, t_cross: float, xy: FloatArray
    ) -> bool:
        """Whether a side change made while tentative, at an official crossing, took less than gate_approach_s
        from gate_approach_m out to the line (the track moving straight from its first detection to its state);
        records that time in approach_s. Not when the track is already gate_run_m past the line."""
        p = self.params
        if p.gate_approach_s <= 0.0 or abs(last) >= p.gate_run_m or self._port(xy) is None:
            return False
        t0, t1 = float(table.first_t[i]), float(table.t[i])
        entered = (
            t0
            if abs(first) <= p.gate_approach_m
            else t0 + (abs(first) - p.gate_approach_m) / abs(first - last) * (t1 - t0)
        )
        table.approach_s[i] = t_cross - entered
        return bool(table.approach_s[i] < p.gate_approach_s)

    def _report_confirmed_crossings(self, table: TrackTable, now: float) -> list[BorderEvent]:
        events: list[BorderEvent] = []
        for i, t_cross, xy, side in self._confirmed_crossings:
            event = self._crossing(table, i, t_cross, xy, side, now)
            if event is not None:
                events.append(event)
        self._confirmed_crossings = []
        return events

    def _port(self, xy: FloatArray) -> str | None:
        """The official land crossing a crossing point is at, if any (traffic there, for the alert rules)."""
        if self.ports is None:
            return None
        index = int(
            nearest_within(
                np.ascontiguousarray(xy, dtype=np.float64).reshape(1, 2), self.ports, self.params.official_crossing_m
            )[0]
        )
        return self.port_ids[index] if index >= 0 else None

    def _crossing(
        self, table: TrackTable, i: int, t: float, xy: FloatArray, side: int, now: float
    ) -> BorderEvent | None:
        speed = float(np.hypot(table.x[i, 2], table.x[i, 3]))
        if speed > self.params.crossing_max_speed_mps or self._duplicate_crossing(table, i, t, xy, side):
            return None
        details: dict[str, Any] = {"speed_mps": round(speed, 2)}
        port = self._port(xy)
        if port is not None:
            details["official_crossing"] = port
        return self._event(
            "border_crossing",
            t,
            xy,
            [int(table.serial[i])],
            table,
            [i],
            now,
            direction="inbound" if side > 0 else "outbound",
            details=details,
        )

    def _duplicate_crossing(self, table: TrackTable, i: int, t: float, xy: FloatArray, side: int) -> bool:
        """Whether this crossing, by a track first seen at most duplicate_crossing_s before it, was reported by
        another track (same way, within duplicate_crossing_s and _m) that is still beside this one: a second
        track born on an object already tracked. Records the crossing otherwise."""
        window, reach = self.params.duplicate_crossing_s, self.params.duplicate_crossing_m
        if window <= 0.0:
            return False
        # Only a track that crossed within `window` of its first detection can be a second one born on an
        # object already tracked: tracks that have followed two vehicles of a convoy for minutes are two
        # (they cross seconds apart, as close as duplicates where barrier bands slow the convoy down).
        self.recent_crossings = [c for c in self.recent_crossings if c[0] >= t - 2.0 * window]
        serial = int(table.serial[i])
        here = table.x[i, :2]
        # At an official crossing's gate, tracks hop between the vehicles queued on the line, so there a track
        # of any age may be a second one on a vehicle whose arrival was reported.
        young = t - float(table.first_t[i]) <= window or (self.params.duplicate_at_gate and self._port(xy) is not None)
        for when, where, way, other in self.recent_crossings if young else []:
            if other == serial or way != side or abs(when - t) > window or np.hypot(*(where - xy)) > reach:
                continue
            row = np.flatnonzero(table.serial == other)
            if (
                row.size
                and np.hypot(*(table.x[row[0], :2] + table.x[row[0], 2:] * (table.t[i] - table.t[row[0]]) - here))
                <= reach
            ):
                return True
        self.recent_crossings.append((t, np.array(xy, dtype=np.float64), side, serial))
        return False

    def on_updates(self, table: TrackTable, rows: IntArray, loc: Locations, now: float) -> list[BorderEvent]:
        """Confirmed tracks that were updated (`loc`: where each of `rows` is): crossings, barriers, loitering;
        then the crossings of the tracks on_confirmed found in the same batch."""
        if rows.size == 0:
            return self._report_confirmed_crossings(table, now)
        p = self.params
        xy = table.x[rows, :2]
        t = table.t[rows]
        off, km = loc.offset_m, loc.km
        events: list[BorderEvent] = []

        at_port = np.zeros(rows.size, bool)
        if self.ports is not None:
            # Traffic stops on the line in a customs area: a wider band keeps its queue quiet.
            at_port = nearest_within(xy, self.ports, p.official_crossing_m) >= 0
        # border_crossing: the first sign change since the track was last firmly on a side is where it
        # crossed (a vehicle that waits on the line, a customs queue, crossed when it got there); reported
        # once the track is firmly on the other side, so noise around the line never alerts.
        found, found_t, found_xy, found_side = crossing_sides(
            rows, off, xy, t, at_port, table.prev_off, table.prev_xy, table.prev_t, table.cross_t, table.cross_xy,
            table.side, table.side_depth, table.jump, table.near_t, table.approach_s, p.crossing_hysteresis_m,
            p.official_crossing_hysteresis_m, p.crossing_at_gate, p.crossing_evidence_m, p.crossing_jump_nis,
            p.gate_approach_m, p.gate_approach_s, p.gate_run_m, p.gate_run_s,
        )  # fmt: skip
        for k, t_cross, point, new_side in zip(
            found.tolist(), found_t.tolist(), found_xy, found_side.tolist(), strict=True
        ):
            event = self._crossing(table, int(rows[k]), t_cross, point, new_side, now)
            if event is not None:
                events.append(event)

        if self.barriers:
            events += self._barrier_events(table, rows, loc.border_index, km, off, xy, t, now)
        events += self._loitering(table, rows, off, xy, t, now)

        table.prev_off[rows] = off
        table.prev_xy[rows] = xy
        table.prev_t[rows] = t
        return events + self._report_confirmed_crossings(table, now)

    def _barrier_events(
        self,
        table: TrackTable,
        rows: IntArray,
        border: IntArray,
        km: FloatArray,
        off: FloatArray,
        xy: FloatArray,
        t: FloatArray,
        now: float,
    ) -> list[BorderEvent]:
        p = self.params
        events: list[BorderEvent] = []
        breach_k, breach_b, breach_rel, near_k, near_b, near_rel = barrier_states(
            rows, border, km, off, self.barrier_border, self.barrier_start, self.barrier_end, self.barrier_offset,
            table.barrier_side, table.barrier_armed, p.barrier_hysteresis_m, p.barrier_approach_m,
        )  # fmt: skip
        for k, b, rel in zip(breach_k.tolist(), breach_b.tolist(), breach_rel.tolist(), strict=True):
            i = int(rows[k])
            barrier = self.barriers[b]
            prev_rel = table.prev_off[i] - barrier.offset_m
            frac = prev_rel / (prev_rel - rel) if np.isfinite(prev_rel) and prev_rel * rel < 0 else 1.0
            prev_xy = table.prev_xy[i] if np.all(np.isfinite(table.prev_xy[i])) else xy[k]
            prev_t = table.prev_t[i] if np.isfinite(table.prev_t[i]) else t[k]
            events.append(
                self._event(
                    "barrier_breach",
                    float(prev_t + frac * (t[k] - prev_t)),
                    prev_xy + frac * (xy[k] - prev_xy),
                    [int(table.serial[i])],
                    table,
                    [i],
                    now,
                    direction="inbound" if rel > 0 else "outbound",
                    details={"barrier": barrier.id, "barrier_type": barrier.barrier_type},
                )
            )
        for k, b, rel in zip(near_k.tolist(), near_b.tolist(), near_rel.tolist(), strict=True):
            i = int(rows[k])
            barrier = self.barriers[b]
            events.append(
                self._event(
                    "barrier_approach",
                    float(t[k]),
                    xy[k],
                    [int(table.serial[i])],
                    table,
                    [i],
                    now,
                    details={
                        "barrier": barrier.id,
                        "barrier_type": barrier.barrier_type,
                        "distance_m": round(-rel, 1),
                    },
                )
            )
        return events

    def _loitering(
        self, table: TrackTable, rows: IntArray, off: FloatArray, xy: FloatArray, t: FloatArray, now: float
    ) -> list[BorderEvent]:
        p = self.params
        due = loiter_due(
            rows, off, xy, t, table.loiter_xy, table.loiter_t, table.loiter_fired,
            p.loiter_border_m, p.loiter_radius_m, p.loiter_time_s,
        )  # fmt: skip
        events = []
        for k in due.tolist():
            i = int(rows[k])
            events.append(
                self._event(
                    "loitering",
                    float(t[k]),
                    table.loiter_xy[i],
                    [int(table.serial[i])],
                    table,
                    [i],
                    now,
                    details={
                        "since": float(table.loiter_t[i]),
                        "radius_m": p.loiter_radius_m,
                        "duration_s": round(float(t[k] - table.loiter_t[i]), 1),
                    },
                )
            )
        return events

    def convergence(
        self, table: TrackTable, now: float, accel: FloatArray, one_object_chi2: float
    ) -> list[BorderEvent]:
        """Confirmed tracks near the border that come together and stay together, having been apart as two
        objects: farther than convergence_m, and when first seen (a track just confirmed beside another) with
        states at least one_object_chi2 apart too (kernels.pair_distance2, the tracker's duplicate test; accel:
        the classes' accel_psd). A second track born on an object off a stray detection is confirmed tens of
        metres from the first, within their joint uncertainty: one object seen twice, not a meeting, and the
        merge (which leaves pairs that met alone until their meeting is reported) must be free to drop it
        before it reports the object's crossing a second time."""
        p = self.params
        rows = np.flatnonzero(table.status == CONFIRMED)
        rows = rows[np.isfinite(table.prev_off[rows]) & (np.abs(table.prev_off[rows]) <= p.convergence_border_m)]
        seen: set[tuple[int, int]] = set()
        events: list[BorderEvent] = []
        if rows.size >= 2:
            xy = table.x[rows, :2] + table.x[rows, 2:] * (now - table.t[rows])[:, None]
            near_a, near_b, near_dist = pairs_within(
                np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), p.convergence_apart_m
            )
            serial = table.serial[rows].tolist()
            fired: list[tuple[int, int]] = []
            first_apart: list[tuple[_Pair, int, int]] = []
            for a, b, dist in zip(near_a.tolist(), near_b.tolist(), near_dist.tolist(), strict=True):
                key = (serial[a], serial[b]) if serial[a] < serial[b] else (serial[b], serial[a])
                seen.add(key)
                pair = self.pairs.get(key)
                if pair is None:
                    pair = self.pairs[key] = _Pair(armed=False)
                    if dist > p.convergence_m:
                        first_apart.append((pair, a, b))  # armed below if their states are two objects' too
                        continue
                if dist > p.convergence_m:
                    pair.close_since = None
                    pair.armed = True
                    continue
                if pair.close_since is None:
                    pair.close_since = now
                if pair.armed and not pair.fired and now - pair.close_since >= p.convergence_dwell_s:
                    pair.fired = True
                    fired.append((a, b))
            if first_apart:
                a_rows = rows[np.array([a for _, a, _ in first_apart], np.int64)]
                b_rows = rows[np.array([b for _, _, b in first_apart], np.int64)]
                distance2 = pair_distance2(table.x, table.p, table.t, table.logp, accel, a_rows, b_rows, now)
                for (pair, _, _), d2 in zip(first_apart, distance2.tolist(), strict=True):
                    pair.armed = d2 >= one_object_chi2
            events += self._convergence_events(table, rows, xy, fired, now)
        for key in [k for k in self.pairs if k not in seen]:
            del self.pairs[key]
        return events

    def _convergence_events(
        self, table: TrackTable, rows: IntArray, xy: FloatArray, fired: list[tuple[int, int]], now: float
    ) -> list[BorderEvent]:
        # Pairs of one meeting (A-B, B-C in one step) make one event with every track in it.
        groups: list[set[int]] = []
        for a, b in fired:
            joined = [g for g in groups if a in g or b in g]
            merged = {a, b}.union(*joined)
            groups = [g for g in groups if g not in joined] + [merged]
        events = []
        for group in groups:
            members = sorted(group)
            centre = xy[members].mean(axis=0)
            serials = [int(table.serial[rows[m]]) for m in members]
            events.append(
                self._event(
                    "convergence",
                    now,
                    centre,
                    serials,
                    table,
                    [int(rows[m]) for m in members],
                    now,
                    details={"tracks": len(members), "distance_m": self.params.convergence_m},
                )
            )
        return events

    # ------------------------------------------------------------ sensors

    def heard(self, sensor_id: str, time: float) -> None:
        watch = self.sensors.get(sensor_id)
        if watch is None:
            self.sensors[sensor_id] = _SensorWatch(time)
        elif time > watch.last_heard:
            watch.last_heard = time
            watch.offline = False

    def heartbeat(self, beat: Heartbeat, now: float) -> list[BorderEvent]:
        """A heartbeat: a failure status raises sensor_offline at once; anything else is a sign of life."""
        status = (beat.status or "").lower()
        if status in self.params.offline_statuses:
            watch = self.sensors.setdefault(beat.sensor_id, _SensorWatch(beat.time))
            if watch.offline:
                return []
            watch.offline = True
            return [self._sensor_event(beat.sensor_id, beat.time, now, f"status {beat.status!r}")]
        self.heard(beat.sensor_id, beat.time)
        return []

    def silent_sensors(self, now: float) -> list[BorderEvent]:
        """Sensors not heard from for offline_after_s (only those ever heard: others are not ours)."""
        limit = self.params.offline_after_s
        events = []
        for sensor_id, watch in self.sensors.items():
            if not watch.offline and now - watch.last_heard > limit:
                watch.offline = True
                events.append(self._sensor_event(sensor_id, watch.last_heard + limit, now, f"silent for {limit:g} s"))
        return events

    def _sensor_event(self, sensor_id: str, time: float, now: float, reason: str) -> BorderEvent:
        pos = self.sensor_pos.get(sensor_id)
        return self._event(
            "sensor_offline",
            time,
            None,
            [],
            None,
            [],
            now,
            latlon=pos,
            details={"sensor_id": sensor_id, "reason": reason},
        )


def heading_deg(vx: FloatArray, vy: FloatArray) -> FloatArray:
    """Course over ground, degrees from grid north (within a degree or two of true north here)."""
    return np.asarray(np.degrees(np.arctan2(vx, vy)) % 360.0, dtype=np.float64)


__all__ = ["BorderEventDetector", "heading_deg"]
