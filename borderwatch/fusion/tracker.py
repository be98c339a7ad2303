"""The streaming multi-sensor tracker: predict, gate, associate, update, initiate, delete, classify.

`Tracker.process` takes detections and heartbeats in arrival order, holds them `lag_s` to put
late ones back in time order, and works through them in batches of `window_s` data time; each
batch is a few passes over all tracks and detections, compiled where NumPy's fixed cost per call
dominated (fusion.kernels: association per slice, life cycle, duplicate-track merge, border events,
state columns; the NumPy association and merge behind `compiled=False`). `track_stream` wraps it
for an iterator of interchange records.
May import: NumPy, SciPy, borderwatch.geo, borderwatch.sensors.formats and the rest of fusion.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from borderwatch.fusion.association import Gated, assign, gate
from borderwatch.fusion.events import BorderEventDetector
from borderwatch.fusion.kalman import predict, update
from borderwatch.fusion.kernels import (
    GONE,
    KEEP,
    TO_COAST,
    associate_slice,
    life_cycle,
    merge_pairs,
    pair_distance2,
    pairs_within,
    preload,
    state_columns,
)
from borderwatch.fusion.measurements import DetectionBatch, sensor_sites, to_batch
from borderwatch.fusion.params import CLASSES, EventParams, TrackerParams
from borderwatch.fusion.tracks import COASTING, CONFIRMED, STATUS_NAMES, TENTATIVE, TrackTable, track_id
from borderwatch.fusion.types import FusionOutput, TrackStatus, track_states_from_columns
from borderwatch.geo.geodesy import FloatArray, LocalFrame
from borderwatch.geo.model import BorderModel, Locations
from borderwatch.sensors.formats import Detection, Heartbeat, Record

IntArray = npt.NDArray[np.int64]


def tracking_frame(model: BorderModel) -> LocalFrame:
    """One metric frame for the whole configuration: centred on its borders and sensors."""
    min_lon, min_lat, max_lon, max_lat = model.bounds(margin_deg=0.0)
    return LocalFrame(0.5 * (min_lat + max_lat), 0.5 * (min_lon + max_lon))


class Tracker:
    """Streaming tracker over one border model; feed it with process(), end with flush()."""

    def __init__(
        self, model: BorderModel, params: TrackerParams | None = None, event_params: EventParams | None = None,
        *, id_prefix: str = "",
    ) -> None:  # fmt: skip
        preload()  # the compiled kernels, once per process: never in a live batch
        self.model = model
        # Put before every track and event id it emits (a service run's tag, so ids stay unique across
        # restarts): set here, states are built with their final ids instead of copied afterwards.
        self.id_prefix = id_prefix
        self.params = params or TrackerParams()
        self.frame = tracking_frame(model)
        self.sites = sensor_sites(model, self.frame)
        self.tracks = TrackTable(len(CLASSES), len(model.barriers))
        self.events = BorderEventDetector(model, self.frame, event_params or EventParams())
        self.pending: list[Detection] = []
        self.processed_until = -math.inf  # detections before this are late
        self.latest = -math.inf  # latest data time seen
        self._seen: dict[str, float] = {}
        self._sensor_codes: dict[str, int] = {}
        self._twins: dict[tuple[int, int], int] = {}  # pairs of track serials alike in consecutive batches
        self._sector_ids = [sector.id for sector in model.sectors]
        p = self.params
        self._accel = np.array([p.motion[c].accel_psd for c in CLASSES])
        self._max_speed = np.array([p.motion[c].max_speed_mps for c in CLASSES])

    # ------------------------------------------------------------ public API

    def process(self, records: Iterable[Detection | Heartbeat], now: float | None = None) -> FusionOutput:
        """Take new detections and heartbeats; return what became known up to `now - lag_s`.

        `now` is the current data time (default: the latest detection time seen so far). Given, it is
        the clock: records dated more than `max_ahead_s` after it are skipped, not taken as the time.
        """
        out = FusionOutput()
        seen = self._seen
        # Locals for the per-record loop: attribute look-ups were a good part of its cost.
        keep = self.pending.append
        processed_until = self.processed_until
        too_old = processed_until - self.params.late_s
        too_new = math.inf if now is None else now + self.params.max_ahead_s
        latest = self.latest
        for record in records:
            if isinstance(record, Detection):
                ident, t = record.id, record.time
                if ident in seen:
                    out.skipped["duplicate_id"] += 1
                elif not t >= too_old:  # also catches NaN
                    out.skipped["late"] += 1
                elif t > too_new:
                    out.skipped["ahead_of_clock"] += 1
                else:
                    if t < processed_until:
                        out.out_of_sequence += 1
                    seen[ident] = t
                    keep(record)
                    if t > latest:
                        latest = t
            elif isinstance(record, Heartbeat):
                if record.time > too_new:
                    out.skipped["ahead_of_clock"] += 1
                    continue
                out.events += self.events.heartbeat(record, max(latest, record.time))
                if record.time > latest:
                    latest = record.time
            else:
                out.skipped["not_a_detection"] += 1
        self.latest = latest
        horizon = (self.latest if now is None else now) - self.params.lag_s
        self._advance(horizon, out)
        return self._prefixed(out)

    def flush(self) -> FusionOutput:
        """End of stream: work through everything still held back."""
        out = FusionOutput()
        if math.isfinite(self.latest):
            self._advance(self.latest + 1e-6, out)
        return self._prefixed(out)

    def _prefixed(self, out: FusionOutput) -> FusionOutput:
        """Events with `id_prefix` on their own and their tracks' ids (the states have it already)."""
        prefix = self.id_prefix
        if prefix and out.events:
            out.events = [
                replace(e, event_id=prefix + e.event_id, track_ids=tuple(prefix + t for t in e.track_ids))
                for e in out.events
            ]
        return out

    # ------------------------------------------------------------ batches

    def _advance(self, horizon: float, out: FusionOutput) -> None:
        if horizon <= self.processed_until:
            return
        ready = [d for d in self.pending if d.time < horizon]
        if ready:
            self.pending = [d for d in self.pending if d.time >= horizon]
            batch = to_batch(ready, self.frame, self.sites, self.params, out.skipped, self._sensor_codes)
            self._heard(batch)
            # Out-of-sequence detections (older than what was released before) join the first batch.
            first = max(float(batch.time[0]), self.processed_until) if batch.size else 0.0
            edges = (
                np.arange(first, batch.time[-1] + self.params.window_s, self.params.window_s)
                if batch.size
                else np.empty(0)
            )
            cuts = np.searchsorted(batch.time, edges[1:], side="left")
            start = 0
            for stop in [*cuts.tolist(), batch.size]:
                if stop > start:
                    self._step(batch.take(slice(start, stop)), out)
                    # Life cycle at every batch, not every call: a call may carry minutes of data.
                    self._housekeeping(float(batch.time[stop - 1]), out)
                start = max(start, stop)
        self.processed_until = horizon
        self._housekeeping(horizon, out)
        if len(self._seen) > 200_000:
            cutoff = horizon - self.params.duplicate_memory_s
            self._seen = {k: v for k, v in self._seen.items() if v >= cutoff}

    def _heard(self, batch: DetectionBatch) -> None:
        """Each sensor in the batch heard from, once, at its latest detection (as hearing every one in turn)."""
        if batch.size == 0:
            return
        latest = np.full(len(self._sensor_codes), -np.inf)
        np.maximum.at(latest, batch.sensor_code, batch.time)
        names = list(self._sensor_codes)  # codes are given in insertion order
        # In code order: sensors new in this batch were coded in the order they first report.
        for code in np.flatnonzero(np.isfinite(latest)).tolist():
            self.events.heard(names[code], float(latest[code]))

    def _q(self, rows: IntArray | slice = slice(None)) -> FloatArray:
        return np.asarray(np.exp(self.tracks.logp[rows]) @ self._accel, dtype=np.float64)

    def _step(self, batch: DetectionBatch, out: FusionOutput) -> None:
        """One batch: associate and initiate slice by slice, then events, states, merging."""
        tr = self.tracks
        p = self.params
        updated: list[IntArray] = []
        newly_confirmed: list[IntArray] = []
        taken = _Taken()
        held_at = tr.t.copy()  # each track's time before this batch: out-of-sequence updates must not move it back
        # Associate slice by slice in time order; the costlier stages (locating, events, merging,
        # life cycle) then run once for the whole batch.
        cuts = np.searchsorted(
            batch.time, np.arange(batch.time[0], batch.time[-1], p.slice_s)[1:], side="left"
        ).tolist()
        # Compiled: each track's last detection time per sensor in this batch (the same-scan rule).
        last_take = np.full((len(tr), int(batch.sensor_code.max()) + 1), -np.inf) if p.compiled else None
        for start, stop in zip([0, *cuts], [*cuts, batch.size], strict=True):
            if stop <= start:
                continue
            if last_take is not None:
                rows_updated, rows_confirmed, left, gated_mask = associate_slice(
                    tr.x, tr.p, tr.t, tr.last_t, tr.hits, tr.status, tr.logp, tr.jump, last_take, self._accel,
                    batch.z[start:stop], batch.r[start:stop], batch.time[start:stop], batch.sensor_code[start:stop],
                    batch.class_index[start:stop], batch.class_conf[start:stop], p.gate_chi2, p.same_scan_s,
                    p.max_rounds, p.confirm_hits, p.class_conf_floor, p.class_conf_ceiling,
                )  # fmt: skip
                updated.append(rows_updated)
                newly_confirmed.append(rows_confirmed)
                before = len(tr)
                born = self._initiate(batch, start + np.flatnonzero(left & ~gated_mask))
                if len(tr) > before:
                    last_take = np.vstack([last_take, np.full((len(tr) - before, last_take.shape[1]), -np.inf)])
                    # A track's first detection is its take too: the merge's same-scan rule.
                    last_take[np.arange(before, len(tr)), batch.sensor_code[born]] = batch.time[born]
                continue
            remaining, gated = self._associate(batch, np.arange(start, stop), taken, updated, newly_confirmed)
            before = len(tr)
            born = self._initiate(batch, remaining[~gated])
            if born.size:
                taken.add(np.arange(before, len(tr)), batch.sensor_code[born], batch.time[born])
        if batch.time[0] < self.processed_until:
            self._bring_forward(held_at)
        rows = np.unique(np.concatenate(updated)) if updated else np.empty(0, np.int64)
        rows = rows[tr.status[rows] != TENTATIVE]
        confirmed_rows = np.concatenate(newly_confirmed) if newly_confirmed else np.empty(0, np.int64)
        now = float(batch.time[-1])
        out.events += self.events.on_confirmed(tr, confirmed_rows, now)
        # Locate once: the events and the emitted states both need km, offset and sector.
        lat, lon = self.frame.to_latlon(tr.x[rows, 0], tr.x[rows, 1])
        loc = self.model.locate_many(lat, lon)
        not_new = np.ones(len(tr), bool)
        not_new[confirmed_rows] = False
        not_new = not_new[rows]
        out.events += self.events.on_updates(tr, rows[not_new], _subset(loc, not_new), now)
        self._emit_states(rows, out, located=(lat, lon, loc))
        self._merge(now, taken, last_take)
        out.events += self.events.convergence(tr, now, self._accel, p.duplicate_chi2)

    def _bring_forward(self, held_at: FloatArray) -> None:
        """Tracks that an out-of-sequence detection updated in the past are predicted on to the time they
        had reached (retrodict, update, predict: the usual approximation for out-of-sequence measurements),
        so that no track goes back in time and the border events see each track's latest position."""
        tr = self.tracks
        n = min(len(held_at), len(tr))
        back = np.flatnonzero(tr.t[:n] < held_at[:n])
        if back.size:
            tr.x[back], tr.p[back] = predict(tr.x[back], tr.p[back], held_at[back] - tr.t[back], self._q(back))
            tr.t[back] = held_at[back]

    def _associate(
        self,
        batch: DetectionBatch,
        remaining: IntArray,
        taken: _Taken,
        updated: list[IntArray],
        newly_confirmed: list[IntArray],
    ) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Rounds of gating and GNN: each round a track takes at most one detection, and never a second
        one from the same sensor's scan; returns the detections left and whether each was in a gate."""
        tr = self.tracks
        p = self.params
        gated_any = np.zeros(batch.size, bool)
        for _ in range(p.max_rounds):
            if len(tr) == 0 or remaining.size == 0:
                break
            g = gate(
                tr.x, tr.p, tr.t, self._q(), batch.time[remaining], batch.z[remaining], batch.r[remaining], p.gate_chi2
            )
            gated_any[remaining[g.detection]] = True
            g = Gated(g.track, g.detection, g.cost + self._class_cost(g.track, remaining[g.detection], batch))
            allowed = taken.allowed(
                g.track, batch.sensor_code[remaining[g.detection]], batch.time[remaining[g.detection]], p.same_scan_s
            )
            g = Gated(g.track[allowed], g.detection[allowed], g.cost[allowed])
            if g.track.size == 0:
                break
            ti, dj = assign(g, len(tr), remaining.size)
            if ti.size == 0:
                break
            dets = remaining[dj]
            was_tentative = tr.status[ti] == TENTATIVE
            self._update(ti, dets, batch)
            taken.add(ti, batch.sensor_code[dets], batch.time[dets])
            updated.append(ti)
            promote = ti[was_tentative & (tr.hits[ti] >= p.confirm_hits)]
            tr.status[promote] = CONFIRMED
            newly_confirmed.append(promote)
            tr.status[ti[tr.status[ti] == COASTING]] = CONFIRMED
            used = np.zeros(remaining.size, bool)
            used[dj] = True
            remaining = remaining[~used]
        return remaining, gated_any[remaining]

    def _class_cost(self, ti: IntArray, dj: IntArray, batch: DetectionBatch) -> FloatArray:
        """-2 log of how much likelier each detection's class report is under its track's class belief
        than under no belief at all: a dog's track does not take a passing vehicle's reports when the
        vehicle's own track wants them. Unsure reports cost nothing."""
        p = self.params
        cls, conf = batch.class_index[dj], batch.class_conf[dj]
        informative = (cls >= 0) & (conf > p.class_conf_floor)
        cost = np.zeros(ti.size)
        if not np.any(informative):
            return cost
        k = len(CLASSES)
        c = np.minimum(conf[informative], p.class_conf_ceiling)
        prob = np.exp(self.tracks.logp[ti[informative]])
        p_same = prob[np.arange(c.size), cls[informative]]
        likelihood = p_same * c + (1.0 - p_same) * (1.0 - c) / (k - 1)
        cost[informative] = -2.0 * np.log(likelihood * k)
        return cost

    def _update(self, ti: IntArray, dj: IntArray, batch: DetectionBatch) -> None:
        tr = self.tracks
        dt = batch.time[dj] - tr.t[ti]
        x, pc = predict(tr.x[ti], tr.p[ti], dt, self._q(ti))
        x, pc, nis = update(x, pc, batch.z[dj], batch.r[dj])
        tr.x[ti], tr.p[ti] = x, pc
        tr.jump[ti] = np.maximum(tr.jump[ti], nis)
        tr.t[ti] = batch.time[dj]
        tr.last_t[ti] = np.maximum(tr.last_t[ti], batch.time[dj])
        tr.hits[ti] += 1
        self._classify(ti, batch.class_index[dj], batch.class_conf[dj])

    def _classify(self, ti: IntArray, cls: IntArray, conf: FloatArray) -> None:
        """Bayes' rule on the class belief: a report 'class k with confidence c' has likelihood c
        under k and (1-c)/(K-1) under each other class; unsure reports carry nothing."""
        p = self.params
        informative = (cls >= 0) & (conf > p.class_conf_floor)
        if not np.any(informative):
            return
        ti, cls = ti[informative], cls[informative]
        c = np.minimum(conf[informative], p.class_conf_ceiling)
        k = len(CLASSES)
        loglik = np.repeat(np.log((1.0 - c) / (k - 1))[:, None], k, axis=1)
        loglik[np.arange(ti.size), cls] = np.log(c)
        logp = self.tracks.logp[ti] + loglik
        logp -= np.logaddexp.reduce(logp, axis=1)[:, None]
        self.tracks.logp[ti] = np.maximum(logp, -30.0)  # never rule a class out for good

    def _initiate(self, batch: DetectionBatch, rows: IntArray) -> IntArray:
        """Tentative tracks from detections no track could take; one per cluster of such detections.
        Returns the detections that started one, in the order of the tracks added."""
        if rows.size == 0:
            return rows
        if rows.size > 1:
            # Two sensors seeing one new object in the same batch must not start two tracks.
            sigma = np.sqrt(batch.r[rows, 0, 0] + batch.r[rows, 1, 1])
            a, b, d = pairs_within(batch.z[rows, 0], batch.z[rows, 1], 3.0 * float(sigma.max()))
            if a.size:
                close = d < 3.0 * np.maximum(sigma[a], sigma[b])
                # ... but one sensor's two reports in one scan are two objects (a convoy's vehicles).
                sensor, when = batch.sensor_code[rows], batch.time[rows]
                close &= (sensor[a] != sensor[b]) | (np.abs(when[a] - when[b]) >= self.params.same_scan_s)
                drop = np.zeros(rows.size, bool)
                # In index order (a < b): a detection close to one kept before it starts no track.
                for i, j in zip(a[close].tolist(), b[close].tolist(), strict=True):
                    if not drop[i]:
                        drop[j] = True
                rows = rows[~drop]
        p = self.params
        k = rows.size
        cls = batch.class_index[rows]
        vmax = np.where(cls >= 0, self._max_speed[np.maximum(cls, 0)], p.unknown_max_speed_mps)
        x = np.zeros((k, 4))
        x[:, :2] = batch.z[rows]
        pc = np.zeros((k, 4, 4))
        pc[:, :2, :2] = batch.r[rows]
        sv2 = (0.5 * vmax) ** 2
        vel = batch.velocity[rows]
        has_vel = np.isfinite(vel).all(axis=1)
        x[has_vel, 2:] = vel[has_vel]
        sv2 = np.where(has_vel, np.minimum(sv2, 1.0), sv2)
        pc[:, 2, 2] = pc[:, 3, 3] = sv2
        logp = np.full((k, len(CLASSES)), -math.log(len(CLASSES)))
        self.tracks.add(x, pc, batch.time[rows].copy(), logp)
        n = len(self.tracks)
        self._classify(np.arange(n - k, n), cls, batch.class_conf[rows])
        return rows

    def _merge(self, now: float, taken: _Taken, last_take: FloatArray | None) -> None:
        """Drop duplicate tracks of one object: tentatives on top of a confirmed track, and the
        younger of two confirmed tracks that are statistically one object for `duplicate_batches`
        batches in a row (or that are as close and move alike at once). The pair tests are one compiled
        pass (last_take: the compiled association's record) or, without it, NumPy over `taken`."""
        tr = self.tracks
        p = self.params
        if len(tr) < 2:
            self._twins = {}
            return
        if last_take is None:
            found = self._merge_pairs(now, taken)
            if found is None:
                self._twins = {}
                return
            a, b, drop, alike, twin = found
        else:
            a, b, drop, alike, twin = merge_pairs(
                tr.x, tr.p, tr.t, tr.status, tr.logp, self._accel, last_take, now,
                max(p.merge_m, p.duplicate_search_m), p.merge_m, p.merge_speed_mps, p.duplicate_chi2, p.same_scan_s,
            )  # fmt: skip
            if a.size == 0:
                self._twins = {}
                return
        # Likeness that lasts: counted per pair of serials over consecutive batches.
        twins: dict[tuple[int, int], int] = {}
        lasting = np.zeros(a.size, bool)
        if np.any(twin):
            cand = np.flatnonzero(twin)
            for k, sa, sb in zip(cand.tolist(), tr.serial[a[cand]].tolist(), tr.serial[b[cand]].tolist(), strict=True):
                key = (min(sa, sb), max(sa, sb))
                twins[key] = self._twins.get(key, 0) + 1
                lasting[k] = twins[key] >= p.duplicate_batches
        self._twins = twins
        alike |= lasting
        if np.any(alike):
            # Tracks that came together from far apart are two objects meeting, not one seen twice.
            met = self.events.pairs
            for k in np.flatnonzero(alike).tolist():
                sa, sb = int(tr.serial[a[k]]), int(tr.serial[b[k]])
                pair = met.get((min(sa, sb), max(sa, sb)))
                # ... until their meeting has been reported: tracks that then stay one object (a walker
                # who got into a vehicle, a track that slipped onto a passing one) are one track.
                if pair is not None and pair.armed and not (pair.fired and lasting[k]):
                    alike[k] = False
        younger = np.where(tr.hits[a[alike]] >= tr.hits[b[alike]], b[alike], a[alike])
        drop[younger] = True
        if np.any(drop):
            tr.keep(~drop)

    def _merge_pairs(
        self, now: float, taken: _Taken
    ) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None:
        """kernels.merge_pairs in NumPy, with the same-scan rule over every detection taken (None: no pairs)."""
        tr = self.tracks
        p = self.params
        xy = tr.x[:, :2] + tr.x[:, 2:] * (now - tr.t)[:, None]
        pairs = cKDTree(xy).query_pairs(max(p.merge_m, p.duplicate_search_m), output_type="ndarray")
        if pairs.size == 0:
            return None
        a, b = pairs[:, 0], pairs[:, 1]
        near = np.hypot(*(xy[a] - xy[b]).T) < p.merge_m
        firm_a, firm_b = tr.status[a] != TENTATIVE, tr.status[b] != TENTATIVE
        both = firm_a & firm_b
        # Two tracks fed by different sensors' reports of one object keep each other alive (each takes
        # one of the reports): test their whole states, position and velocity, against their joint
        # uncertainty, and merge only a likeness that lasts, so two objects passing each other survive.
        twin = both.copy()
        if np.any(both):
            twin[both] = (
                pair_distance2(tr.x, tr.p, tr.t, tr.logp, self._accel, a[both], b[both], now) < p.duplicate_chi2
            )
        # One sensor reporting both in one scan has told them apart (a convoy's vehicles 15 m apart,
        # vehicles queued at a gate): never one object, however close and alike.
        cand = np.flatnonzero(near | twin)
        apart = np.zeros(a.size, bool)
        apart[cand[taken.seen_together(a[cand], b[cand], p.same_scan_s)]] = True
        near &= ~apart
        twin &= ~apart
        drop = np.zeros(len(tr), bool)
        drop[a[near & firm_b & ~firm_a]] = True
        drop[b[near & firm_a & ~firm_b]] = True
        alike = both & near & (np.hypot(*(tr.x[a, 2:] - tr.x[b, 2:]).T) < p.merge_speed_mps)
        return a, b, drop, alike, twin

    # ------------------------------------------------------------ life cycle

    def _housekeeping(self, now: float, out: FusionOutput) -> None:
        tr = self.tracks
        p = self.params
        if len(tr):
            fate = life_cycle(
                now, tr.p, tr.x, tr.first_t, tr.last_t, tr.hits, tr.status, tr.logp, self._max_speed,
                p.confirm_window_s, p.delete_after_s, p.max_position_sigma_m, p.coast_after_s,
            )  # fmt: skip
            if fate.any():
                to_coast = np.flatnonzero(fate == TO_COAST)
                if to_coast.size:
                    tr.status[to_coast] = COASTING
                    self._emit_states(to_coast, out, at=now)
                gone = np.flatnonzero(fate == GONE)
                if gone.size:
                    self._emit_states(gone, out, at=now, status="deleted")
                tr.keep((fate == KEEP) | (fate == TO_COAST))
        out.events += self.events.silent_sensors(now)

    def _emit_states(
        self,
        rows: IntArray,
        out: FusionOutput,
        at: float | None = None,
        status: TrackStatus | None = None,
        located: tuple[FloatArray, FloatArray, Locations] | None = None,
    ) -> None:
        tr = self.tracks
        if rows.size == 0:
            return
        if at is None:
            x, t = tr.x[rows], tr.t[rows]
        else:
            # Moved on to `at` as fusion.kalman.predict moves states (only the position changes; the
            # covariance is not reported).
            t = np.full(rows.size, at)
            x = tr.x[rows]
            dt = t - tr.t[rows]
            x[:, 0] += x[:, 2] * dt
            x[:, 1] += x[:, 3] * dt
        if located is None:
            lat, lon = self.frame.to_latlon(x[:, 0], x[:, 1])
            loc = self.model.locate_many(lat, lon)
        else:
            lat, lon, loc = located
        best, prob, speed, heading, sigma = state_columns(rows, tr.x, tr.p, tr.logp)
        sector_ids = list(map(self._sector_ids.__getitem__, loc.sector_index.tolist()))
        names = [status] * rows.size if status else list(map(STATUS_NAMES.__getitem__, tr.status[rows].tolist()))
        # Plain Python lists first (indexing NumPy arrays element by element is far slower), and the
        # states built column by column, without a Python-level call per state.
        out.track_states.extend(
            track_states_from_columns(
                [self.id_prefix + i for i in map(track_id, tr.serial[rows].tolist())]
                if self.id_prefix
                else list(map(track_id, tr.serial[rows].tolist())),
                t.tolist(),
                lat.tolist(),
                lon.tolist(),
                list(map(CLASSES.__getitem__, best.tolist())),
                prob.tolist(),
                speed.tolist(),
                heading.tolist(),
                names,
                sector_ids,
                loc.km.tolist(),
                sigma.tolist(),
            )
        )


class _Taken:
    """Which (track, sensor) pairs took a detection in this batch, and when."""

    def __init__(self) -> None:
        self.track: list[IntArray] = []
        self.sensor: list[IntArray] = []
        self.time: list[FloatArray] = []

    def add(self, track: IntArray, sensor: IntArray, time: FloatArray) -> None:
        self.track.append(track)
        self.sensor.append(sensor)
        self.time.append(time)

    def allowed(self, track: IntArray, sensor: IntArray, time: FloatArray, same_scan_s: float) -> npt.NDArray[np.bool_]:
        """False for pairs whose track already took a detection of that sensor within same_scan_s."""
        ok = np.ones(track.size, bool)
        if not self.track or track.size == 0:
            return ok
        key = np.concatenate(self.track) * 1_000_003 + np.concatenate(self.sensor)
        when = np.concatenate(self.time)
        order = np.argsort(key, kind="stable")
        key, when = key[order], when[order]
        probe = track * 1_000_003 + sensor
        lo = np.searchsorted(key, probe, side="left")
        hi = np.searchsorted(key, probe, side="right")
        for k in np.flatnonzero(hi > lo).tolist():
            if np.any(np.abs(when[lo[k] : hi[k]] - time[k]) < same_scan_s):
                ok[k] = False
        return ok

    def seen_together(self, a: IntArray, b: IntArray, same_scan_s: float) -> npt.NDArray[np.bool_]:
        """For pairs of tracks (a, b): whether some sensor gave each of them a detection in one scan."""
        together = np.zeros(a.size, bool)
        if not self.track or a.size == 0:
            return together
        track, sensor, when = np.concatenate(self.track), np.concatenate(self.sensor), np.concatenate(self.time)
        for k, (ta, tb) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            in_a, in_b = track == ta, track == tb
            if not (np.any(in_a) and np.any(in_b)):
                continue
            same = sensor[in_a][:, None] == sensor[in_b][None, :]
            close = np.abs(when[in_a][:, None] - when[in_b][None, :]) < same_scan_s
            together[k] = bool(np.any(same & close))
        return together


def _subset(loc: Locations, mask: npt.NDArray[np.bool_]) -> Locations:
    return Locations(loc.border_index[mask], loc.km[mask], loc.offset_m[mask], loc.sector_index[mask])


def track_stream(
    records: Iterable[Record],
    model: BorderModel,
    params: TrackerParams | None = None,
    event_params: EventParams | None = None,
    chunk: int = 5000,
) -> Iterator[FusionOutput]:
    """Track an iterator of interchange records (truth records are ignored), yielding as it goes."""
    tracker = Tracker(model, params, event_params)
    buffer: list[Detection | Heartbeat] = []
    for record in records:
        if isinstance(record, Detection | Heartbeat):
            buffer.append(record)
            if len(buffer) >= chunk:
                yield tracker.process(buffer)
                buffer = []
    if buffer:
        yield tracker.process(buffer)
    yield tracker.flush()
