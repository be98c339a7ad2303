"""The Service: composition root of the operations service — store, bus, rules, fusion worker and
housekeeping wired together, with the use cases the API calls.

May import every borderwatch part below the API (alerts, bus, fusion, geo, sensors, store).
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session, sessionmaker

from borderwatch.alerts import AlertRules, load_rules
from borderwatch.bus import Bus, BusError, open_bus
from borderwatch.fusion.types import BorderEvent, TrackState
from borderwatch.geo import load_border_model
from borderwatch.geo.geodesy import distance_m
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection, Heartbeat
from borderwatch.service import alerting, audit, auth, history
from borderwatch.service.config import Settings
from borderwatch.service.ingest import IngestResult, IngestWriter, parse_items
from borderwatch.store import open_store
from borderwatch.store.bulk import SensorSeen
from borderwatch.store.models import (
    AlertRow,
    DetectionRow,
    PatrolRow,
    SensorHealthRow,
    UserRow,
)

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class TrackerLike(Protocol):
    """What the service needs from borderwatch.fusion.Tracker."""

    def process(self, detections: Sequence[Detection | Heartbeat], now: float | None = None) -> Any: ...


def default_tracker(model: BorderModel, lag_s: float | None = None, id_prefix: str = "") -> TrackerLike | None:
    """The fusion Tracker; `lag_s` overrides how long (in data time) it holds detections back to put
    late arrivals in order — a floor under ingest→alert latency in a live feed; `id_prefix` goes
    before every track and event id it emits."""
    try:
        from borderwatch.fusion import Tracker, TrackerParams
    except ImportError:  # fusion not installed in this build: ingest and alerts still work
        log.warning("borderwatch.fusion.Tracker unavailable: running without fusion")
        return None
    params = TrackerParams() if lag_s is None else TrackerParams(lag_s=lag_s)
    tracker: TrackerLike = Tracker(model, params, id_prefix=id_prefix)
    return tracker


def warm_up_tracker(model: BorderModel) -> None:
    """Run a throwaway tracker over a few detections of one mover so its compiled kernels are loaded
    (or compiled) before the first live detection, not while a live feed queues up behind them."""
    try:
        from borderwatch.fusion import Tracker
    except ImportError:
        return
    if not model.sensors:
        return
    sensor = model.sensors[0]
    records = [
        Detection(id=f"warm-up-{i}", sensor_id=sensor.properties.id, time=float(i), object_class="vehicle",
                  class_conf=0.9, lat=sensor.geometry.lat + 1e-4 * i, lon=sensor.geometry.lon, sigma_m=15.0)
        for i in range(6)
    ]  # fmt: skip
    tracker = Tracker(model)
    for record in records:
        tracker.process([record])
    tracker.flush()


@dataclass
class _Batch:
    records: list[Detection | Heartbeat]
    received_at: float  # the earliest receipt of the requests committed together
    committed_at: float = math.nan
    taken_at: float = math.nan  # when the fusion thread took it from the queue
    oldest: float = math.nan  # data time span of its detections
    newest: float = math.nan
    tokens: list[int] = field(default_factory=list)  # the requests' handles in Service._unfused


@dataclass
class _FusionCall:
    """What one tracker call produced, on its way to the alert writer."""

    states: Sequence[TrackState]
    events: Sequence[BorderEvent]
    origins: Mapping[str, _Batch | None]  # event id -> the batch its latency counts from
    started: float  # when the call began
    decided: float  # when the tracker returned


ALERT_SLICE_EVENTS = 100  # events in a burst's first alert transaction; each next one takes twice as many
ALERT_GROUP_EVENTS = 8 * ALERT_SLICE_EVENTS  # the alert writer takes queued calls up to about this many events
ALERT_QUEUE_CALLS = 1_000  # tracker calls waiting for the alert writer before fusion waits for it
ALERT_RETRIES = 3  # tries of one alert transaction before its events are dropped (logged, counted)
FUSION_SLICE_RECORDS = 2_000  # at most about this many records per tracker call when a backlog queued up

# The stages of ingest→alert latency, in order, each timed from the end of the one before it.
STAGES = ("commit", "queued", "held", "tracker", "stored", "pushed")


class Service:
    """One operations service instance. Start with `start()`, stop with `stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        model: BorderModel | None = None,
        rules: AlertRules | None = None,
        bus: Bus | None = None,
        tracker_factory: Callable[[BorderModel], TrackerLike | None] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.run = f"{int(clock()) % 36**6:06x}-"[-8:]  # short tag of this run's start time
        self.model = model or load_border_model(settings.border_config)
        self.rules = rules or load_rules(settings.alert_rules)
        # official crossing id -> opening hours, for the alert rules' outside_opening_hours
        self.opening_hours = {c.properties.id: c.properties.opening_hours for c in self.model.crossings}
        self.bus: Bus = bus or open_bus(settings.bus_url, stream=settings.bus_stream)
        self._owns_bus = bus is None  # a bus handed in belongs to the caller, who closes it
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = open_store(settings.store_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.audit_lock = threading.RLock()
        # Ingest writes leave the request path: one writer thread group-commits what queued meanwhile.
        self.ingest_writer = IngestWriter(self.engine, self._after_ingest, clock=lambda: self.clock())
        # Track states leave the alert path too: stored in batches every half second.
        self.history = history.TrackHistory(self.engine, period_s=0.5)
        self._key_cache: dict[str, str] = {}  # key digest -> sensor id
        self._tracker_factory = tracker_factory
        if tracker_factory is None:
            self.tracker = default_tracker(self.model, settings.fusion_lag_s, self.run) if settings.fusion else None
        else:
            self.tracker = tracker_factory(self.model) if settings.fusion else None
        # The tracker puts the run tag on its ids itself, or (a tracker handed in) the service copies them.
        self._tracker_tags_ids = getattr(self.tracker, "id_prefix", None) == self.run
        self._lag_s = float(getattr(getattr(self.tracker, "params", None), "lag_s", 0.0))
        self._max_ahead_s = float(getattr(getattr(self.tracker, "params", None), "max_ahead_s", 300.0))
        self._queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=10_000)
        # Records received but not yet taken by fusion (token -> oldest data time): the tracker's horizon
        # stays below them, so the service's own queueing never makes a detection late.
        self._unfused: dict[int, float] = {}
        self._unfused_lock = threading.Lock()
        self._tokens = itertools.count(1)
        # Each sensor's newest detection time minus its arrival (wall) time: the data clock's offset from
        # the wall clock comes from them (_clock_offset), so one sensor with a wrong clock cannot move it.
        self._sensor_offsets: dict[str, tuple[float, float]] = {}  # sensor -> (offset, wall time it was seen)
        self._data_offset = -math.inf
        # (newest data time, receipt) of fused batches the tracker may still hold back, oldest first
        self._held: deque[_Batch] = deque(maxlen=100_000)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Tracker output on its way to the alert writer thread, in call order (None: stop). One writer
        # stores calls in order, so the dedup (one open alert per track and type) sees every earlier
        # call's alerts committed, while the tracker goes on with the next detections.
        self._outputs: queue.Queue[_FusionCall | None] = queue.Queue(maxsize=ALERT_QUEUE_CALLS)
        self._alert_writer: threading.Thread | None = None
        self._alert_writing = 0  # calls the alert writer has taken and not yet stored and pushed
        self.latencies: deque[float] = deque(maxlen=100_000)  # ingest→alert seconds, for the benchmark
        # the same split by stage (STAGES): where an alert's latency went
        self.stage_latencies: dict[str, deque[float]] = {stage: deque(maxlen=100_000) for stage in STAGES}
        self._rates: dict[str, deque[tuple[float, int]]] = {}
        self.registry = CollectorRegistry()
        r = self.registry
        self.m_detections = Counter("borderwatch_detections_total", "Detections by outcome", ["outcome"], registry=r)
        self.m_refused = Counter("borderwatch_ingest_refused_total", "Refused ingest requests", ["why"], registry=r)
        self.m_alerts = Counter("borderwatch_alerts_total", "Alerts opened", ["priority"], registry=r)
        self.m_events = Counter("borderwatch_events_total", "Border events from fusion", ["type"], registry=r)
        self.m_latency = Histogram(
            "borderwatch_ingest_to_alert_seconds", "From a detection's receipt to the alert it raised",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=r,
        )  # fmt: skip
        self.m_p99 = Gauge("borderwatch_ingest_to_alert_p99_seconds", "p99 over the last 100,000 alerts", registry=r)
        self.m_p99.set_function(self.latency_p99)
        self.m_p50 = Gauge("borderwatch_ingest_to_alert_p50_seconds", "median over the last 100,000 alerts", registry=r)
        self.m_p50.set_function(lambda: self.latency_quantile(0.5))
        self.m_stage = Gauge(
            "borderwatch_ingest_to_alert_stage_seconds", "Quantiles of each stage of ingest→alert latency",
            ["stage", "quantile"], registry=r,
        )  # fmt: skip
        for stage in STAGES:
            for q in (0.5, 0.99):
                self.m_stage.labels(stage, str(q)).set_function(_quantile_of(self.stage_latencies[stage], q))
        self.m_queue = Gauge("borderwatch_fusion_queue_batches", "Batches waiting for fusion", registry=r)
        self.m_alert_queue = Gauge("borderwatch_alert_queue_calls", "Tracker calls whose output waits for the alert "
                                   "writer", registry=r)  # fmt: skip
        self.m_alert_queue.set_function(self._alert_backlog)
        self.m_skipped = Counter("borderwatch_fusion_skipped_total", "Records the tracker skipped", ["reason"],
                                 registry=r)  # fmt: skip
        self.m_out_of_sequence = Counter(
            "borderwatch_fusion_out_of_sequence_total",
            "Detections that reached the tracker after their time was released (later than fusion_lag_s), fused out "
            "of sequence", registry=r,
        )  # fmt: skip
        self.m_fusion_errors = Counter("borderwatch_fusion_errors_total", "Fusion batches that failed", registry=r)
        self._seed()

    # ------------------------------------------------------------------ lifecycle

    def latency_p99(self) -> float:
        """99th percentile of ingest→alert latency over the recent alerts (0 when none yet)."""
        return self.latency_quantile(0.99)

    def latency_quantile(self, q: float) -> float:
        """Quantile `q` of ingest→alert latency over the recent alerts (0 when none yet)."""
        return _quantile(self.latencies, q)

    def fusion_backlog(self) -> int:
        """Ingested batches waiting for the tracker, and tracker calls whose output waits for the alert
        writer: 0 once everything acknowledged is fused, stored and pushed."""
        return self._queue.qsize() + self._alert_backlog()

    def _alert_backlog(self) -> int:
        """Tracker calls queued for the alert writer, and those it is storing now."""
        return self._outputs.qsize() + self._alert_writing

    def start(self) -> None:
        if self.tracker is not None and self._tracker_factory is None:
            warm_up_tracker(self.model)
        if self.tracker is not None:
            self._alert_writer = threading.Thread(target=self._alert_loop, name="borderwatch-alerts", daemon=True)
            self._alert_writer.start()
        for target, name in ((self._fusion_loop, "fusion"), (self._housekeeping_loop, "housekeeping")):
            thread = threading.Thread(target=target, name=f"borderwatch-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.ingest_writer.close()  # what is queued is stored and handed to fusion first
        self._stop.set()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        writer, self._alert_writer = self._alert_writer, None  # from here on, fusion output is stored inline
        if writer is not None:
            self._outputs.put(None)  # after everything fusion handed over: all of it is stored and pushed
            writer.join(timeout=60)
        self.history.close()
        if self._owns_bus:
            self.bus.close()
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success; holds the audit lock for writes."""
        with self.audit_lock, self.sessions.begin() as session:
            yield session

    def read(self) -> Session:
        return self.sessions()

    def _seed(self) -> None:
        """Patrol units at their bases on first start (the border configuration says how many)."""
        with self.session() as session:
            if session.scalar(select(PatrolRow.id).limit(1)) is not None:
                return
            now = self.clock()
            for base in self.model.patrol_bases:
                for unit in range(1, base.properties.units + 1):
                    patrol = PatrolRow(
                        id=f"{base.properties.id}-{unit}", name=f"{base.properties.name} unit {unit}",
                        base_id=base.properties.id, state="available", lat=base.geometry.lat,
                        lon=base.geometry.lon, updated_at=now,
                    )  # fmt: skip
                    session.add(patrol)
                    session.flush()
                    audit.append(session, at=now, actor="system", action="patrol.create", entity="patrol",
                                 entity_id=patrol.id, after=patrol_dict(patrol))  # fmt: skip

    # ------------------------------------------------------------------ ingest

    def ingest(self, items: Sequence[Any], sensor_id: str | None) -> IngestResult:
        """Parse, check and store one batch; returns once stored (the acknowledgement is durable)."""
        return self.submit_ingest(items, sensor_id).result()

    def submit_ingest(self, items: Sequence[Any], sensor_id: str | None) -> Future[IngestResult]:
        """Parse and check one batch and queue it for the writer; the future completes once it is
        committed. Raises IngestBusyError (nothing stored) when the write queue is full."""
        result = IngestResult(received_at=self.clock())
        records = parse_items(items, sensor_id, result)
        if records:
            if self.tracker is None:
                return self.ingest_writer.submit(records, result)
            # From here until fusion takes them, the tracker must not call these records late.
            with self._unfused_lock:
                result.token = next(self._tokens)
                self._unfused[result.token] = min(r.time for r in records)
            try:
                future = self.ingest_writer.submit(records, result)
            except BaseException:
                self._release_unfused([result.token])
                raise
            future.add_done_callback(lambda f: self._release_unfused([result.token]) if f.exception() else None)
            return future
        self._count(result)
        done: Future[IngestResult] = Future()
        done.set_result(result)
        return done

    def _count(self, result: IngestResult) -> None:
        self.m_detections.labels("accepted").inc(result.accepted)
        self.m_detections.labels("duplicate").inc(result.duplicates)
        self.m_detections.labels("rejected").inc(len(result.rejected) - result.forbidden)
        self.m_detections.labels("forbidden").inc(result.forbidden)

    def _after_ingest(
        self, results: Sequence[IngestResult], seen: dict[str, SensorSeen], back_online: list[Row[Any]], now: float
    ) -> None:
        """On the writer thread, after a commit: metrics, sensor rates, and the hand-off to fusion."""
        for sensor_id, heard in seen.items():
            self._rates.setdefault(sensor_id, deque(maxlen=120)).append((now, heard.detections))
        for row in back_online:
            self._publish_after_commit("sensor_health", self.sensor_dict(row))
        group: list[Detection | Heartbeat] = []
        tokens = [r.token for r in results if r.token]
        try:
            for result in results:
                self._count(result)
                if result.detections or result.heartbeat_records:
                    self._publish_after_commit("ingest", {"accepted": result.accepted, "heartbeats": result.heartbeats})
                    group += result.detections
                    group += result.heartbeat_records
            if group and self.tracker is not None:
                # One hand-off per commit, not per request: each put wakes the fusion thread. The group's
                # earliest receipt stands for all of it, so latency is never under-reported.
                batch = _Batch(group, min(r.received_at for r in results), committed_at=self.clock(), tokens=tokens)
                self._queue.put(batch)
                tokens = []  # fusion releases them when it takes the batch
        finally:
            self._release_unfused(tokens)
        self.m_queue.set(self._queue.qsize())

    def _release_unfused(self, tokens: Iterable[int]) -> None:
        with self._unfused_lock:
            for token in tokens:
                self._unfused.pop(token, None)

    def _unfused_from(self) -> float:
        """The oldest data time of the records received but not yet taken by fusion (inf: none)."""
        with self._unfused_lock:
            return min(self._unfused.values(), default=math.inf)

    def _publish_after_commit(self, topic: str, message: Any) -> None:
        # The records are committed already: a broker outage must not keep them from fusion.
        try:
            self.bus.publish(topic, message)
        except BusError as exc:
            log.warning("bus publish of %r after an ingest commit failed: %s", topic, exc)

    def sensor_rate(self, sensor_id: str, window_s: float = 60.0) -> float:
        """Detections per second over the last `window_s` seconds of wall time."""
        now = self.clock()
        samples = self._rates.get(sensor_id, ())
        return sum(n for t, n in samples if now - t <= window_s) / window_s

    def sensor_dict(self, row: SensorHealthRow | Row[Any]) -> dict[str, Any]:
        return {
            "sensor_id": row.sensor_id, "last_heard_at": row.last_heard_at, "last_time": row.last_time,
            "detections": row.detections, "heartbeats": row.heartbeats, "status": row.status,
            "offline": row.offline, "rate_per_s": round(self.sensor_rate(row.sensor_id), 3),
        }  # fmt: skip

    # ------------------------------------------------------------------ fusion

    def _fusion_loop(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                self.fuse([])  # the clock alone releases detections held for lag_s: no wait for the next post
                continue
            if first is None:
                break
            first.taken_at = self.clock()
            batches = [first]
            taken = len(first.records)
            # A backlog is drained in slices: each call's alerts go out before the next slice is fused
            # (records still queued keep the tracker's horizon below them, so slicing skips nothing).
            while (
                len(batches) < 200 and taken < FUSION_SLICE_RECORDS
            ):  # drain what queued up so fusion keeps pace under load
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stop.set()
                    break
                more.taken_at = first.taken_at
                batches.append(more)
                taken += len(more.records)
            self.m_queue.set(self._queue.qsize())
            try:
                self.fuse(batches)
            except Exception:
                self.m_fusion_errors.inc()
                log.exception("fusion failed on %d batches", len(batches))

    def fuse(self, batches: Sequence[_Batch]) -> None:
        """Run the tracker over queued batches and store its tracks, events and alerts."""
        if self.tracker is None:
            return
        started = self.clock()
        records = sorted((r for b in batches for r in b.records), key=lambda r: r.time)
        # The data clock now: sensor time runs ahead of the newest detection by the wall time since it
        # came in (a lower bound, so nothing in flight is taken for late; replays keep their own time).
        arrived: list[_Batch] = []
        offsets = self._sensor_offsets
        for b in batches:
            if b.records:
                times = [r.time for r in b.records]
                oldest, newest = min(times), max(times)
                newest_of: dict[str, float] = {}
                for r in b.records:
                    if r.time > newest_of.get(r.sensor_id, -math.inf):
                        newest_of[r.sensor_id] = r.time
                for sensor, t in newest_of.items():
                    # A sensor's best (largest) offset of the last minute: transit only ever lowers one,
                    # and a clock put right takes effect within the minute.
                    offset, since = t - b.received_at, offsets.get(sensor, (-math.inf, -math.inf))
                    if offset > since[0] or b.received_at - since[1] > 60.0:
                        offsets[sensor] = (offset, b.received_at)
                arrived.append(replace(b, records=[], oldest=oldest, newest=newest))
        if arrived:
            self._data_offset = self._clock_offset()
        self._held.extend(arrived)
        self._release_unfused(t for b in batches for t in b.tokens)
        now = min(self.clock() + self._data_offset, self._unfused_from() + self._lag_s)
        released_before = getattr(self.tracker, "processed_until", -math.inf)
        output = self.tracker.process(records, now=now)
        decided = self.clock()
        held = list(self._held)  # what this call's events may have come from
        released_until = getattr(self.tracker, "processed_until", math.inf)
        while self._held and self._held[0].newest <= released_until:
            self._held.popleft()
        if not batches and not (output.events or output.track_states):
            return
        for reason, count in getattr(output, "skipped", {}).items():
            self.m_skipped.labels(str(reason)).inc(count)
        self.m_out_of_sequence.inc(getattr(output, "out_of_sequence", 0))
        # The tracker numbers tracks from 1 each run; the run tag keeps ids unique across restarts
        # so a new track never merges into an old track's row or open alert.
        if self._tracker_tags_ids:
            states, events = output.track_states, output.events
        else:
            states = [replace(t, track_id=f"{self.run}{t.track_id}") for t in output.track_states]
            events = [
                replace(e, event_id=f"{self.run}{e.event_id}", track_ids=tuple(f"{self.run}{t}" for t in e.track_ids))
                for e in output.events
            ]
        # Of what the tracker held, the data this call released: new batches (out-of-sequence ones too) and
        # those reaching past the previous release.
        fresh = [b for b in held if b.newest >= released_before] + [b for b in arrived if b.newest < released_before]
        origins = {e.event_id: _origin(fresh, held, e.reported_time or e.time) for e in events}
        # Track history goes to its batched writer from here, in call order, before any alert names a track.
        self.history.add(states)
        if not events and not (states and _wanted(self.bus, "track")):
            return
        call = _FusionCall(states, events, origins, started, decided)
        if self._alert_writer is not None:
            self._outputs.put(call)  # waits only when the writer is ALERT_QUEUE_CALLS calls behind
        else:  # not started (or stopping): stored and pushed here
            self._store_calls([call])

    def _clock_offset(self) -> float:
        """Data time minus wall time: the largest offset among the sensors heard in the last 10 minutes
        (the newest data, so nothing in flight is taken for late) that a second sensor's offset
        corroborates to within `max_ahead_s`. A lone sensor whose clock runs far ahead (or a forged time)
        is outvoted; a replay faster than real time moves all its posting sensors' offsets together."""
        offsets = self._sensor_offsets
        if not offsets:
            return -math.inf
        since = max(heard for _, heard in offsets.values()) - 600.0
        recent = sorted((offset for offset, heard in offsets.values() if heard >= since), reverse=True)
        if len(offsets) > 2 * len(recent) + 1_000:  # forget sensors long silent
            for sensor in [s for s, (_, heard) in offsets.items() if heard < since]:
                del offsets[sensor]
        for top, runner_up in itertools.pairwise(recent):
            if top - runner_up <= self._max_ahead_s:
                return top
        return recent[-1]  # one sensor, or none agreeing with another: the one furthest behind

    def record_fusion(self, states: Sequence[TrackState], events: Sequence[BorderEvent], received_at: float) -> None:
        """Store track states and events, open/update alerts, push the changes on the bus, all before
        returning; the ingest→alert clock of a new alert starts at `received_at`."""
        now = self.clock()
        origin = _Batch([], received_at, received_at, received_at)
        self._store_calls([_FusionCall(states, events, {e.event_id: origin for e in events}, now, now)],
                          defer_history=False)  # fmt: skip

    def _alert_loop(self) -> None:
        """The alert writer: stores and pushes the tracker's output in call order, the calls that queued
        meanwhile (up to about ALERT_GROUP_EVENTS events) together."""
        while True:
            first = self._outputs.get()
            if first is None:
                return
            self._alert_writing = 1
            calls, events, last = [first], len(first.events), False
            while events < ALERT_GROUP_EVENTS:
                try:
                    more = self._outputs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    last = True
                    break
                calls.append(more)
                events += len(more.events)
            self._alert_writing = len(calls)  # taken off the queue: still counted as waiting
            try:
                self._store_calls(calls)
            except Exception:
                self.m_fusion_errors.inc()
                log.exception("storing the output of %d fusion calls failed", len(calls))
            finally:
                self._alert_writing = 0
            if last:
                return

    def _store_calls(self, calls: Sequence[_FusionCall], *, defer_history: bool = True) -> None:
        """Store the calls' events and alerts (with their audit entries), then push them; the track
        states go in the same transaction, or with `defer_history` (they were handed to the batched
        history writer) only the pending ones of the tracks the events name, so no alert names a track
        the store lacks. Deferred, a burst of events is stored and pushed in slices, the first of
        ALERT_SLICE_EVENTS and each next one twice the one before: the first alerts do not wait for the
        last ones' transaction, and a large burst takes few transactions (each costs ~15-20 ms beyond
        its rows on PostgreSQL). A slice the store refuses ALERT_RETRIES times is dropped (logged and
        counted) and the next one goes on."""
        now = self.clock()
        states = calls[0].states if len(calls) == 1 else [s for c in calls for s in c.states]
        latest = history.latest_of(states)
        by_id = {s.track_id: s for s in latest}
        marked = [(e, c) for c in calls for e in c.events]  # each event with the call it came from
        if defer_history:
            slices, start, size = [], 0, ALERT_SLICE_EVENTS
            while start < len(marked):
                slices.append(marked[start : start + size])
                start, size = start + size, 2 * size
        else:
            slices = [marked]  # one transaction, states alone too
        wants_tracks = _wanted(self.bus, "track")
        pushed_tracks: set[str] = set()
        for chunk in slices:
            events = [e for e, _ in chunk]
            if defer_history:
                named = sorted({t for e in events for t in e.track_ids})
                points = self.history.take(named)
                own = history.latest_of([*points, *(by_id[t] for t in named if t in by_id)])
            else:
                points, own = list(states), latest
            try:
                changes = self._commit_alerts(events, points, own, now)
            except Exception:
                if not defer_history:
                    raise
                self.m_fusion_errors.inc()
                log.exception("%d events (and their alerts) dropped: the store refused them %d times", len(events),
                              ALERT_RETRIES)  # fmt: skip
                continue
            stored = self.clock()
            for kind, count in collections.Counter(e.type for e in events).items():
                self.m_events.labels(kind).inc(count)
            # The alerts' own tracks, then the alerts (what someone acts on), then every other track.
            if wants_tracks:
                for s in own:
                    self._publish_after_commit("track", s.to_json())
            pushed_tracks.update(s.track_id for s in own)
            for change in changes:
                self._publish_after_commit("alert", change.alert)
            pushed = self.clock()
            call_of = {e.event_id: c for e, c in chunk}
            for change in changes:
                if change.created:
                    self.m_alerts.labels(change.alert["priority"]).inc()
                    first_event = str(change.alert["event_ids"][0]) if change.alert["event_ids"] else ""
                    call = call_of.get(first_event, calls[0])
                    origin = call.origins.get(first_event) or _Batch([], call.started)
                    self._observe_latency(origin, call.started, call.decided, stored, pushed)
        if wants_tracks:
            for s in latest:
                if s.track_id not in pushed_tracks:
                    self._publish_after_commit("track", s.to_json())

    def _commit_alerts(
        self, events: Sequence[BorderEvent], points: Sequence[TrackState], own: Sequence[TrackState], now: float
    ) -> list[alerting.AlertChange]:
        """One transaction: events, alerts and their audit entries, and track states; tried ALERT_RETRIES
        times (a PostgreSQL serialization failure or a dropped connection is worth another try)."""
        for attempt in range(1, ALERT_RETRIES + 1):
            try:
                with self.session() as session:
                    changes = alerting.apply_events(session, self.rules, events, now, self.opening_hours)
                    history.store_states(session.connection(), points, own)
                return changes
            except Exception:
                if attempt == ALERT_RETRIES:
                    raise
                log.warning("storing %d events failed (try %d of %d)", len(events), attempt, ALERT_RETRIES,
                            exc_info=True)  # fmt: skip
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def _observe_latency(self, origin: _Batch, started: float, decided: float, stored: float, pushed: float) -> None:
        total = pushed - origin.received_at
        self.m_latency.observe(total)
        self.latencies.append(total)
        taken = origin.taken_at if math.isfinite(origin.taken_at) else started
        committed = origin.committed_at if math.isfinite(origin.committed_at) else taken
        marks = (origin.received_at, committed, taken, started, decided, stored, pushed)
        for stage, begin, end in zip(STAGES, marks[:-1], marks[1:], strict=True):
            self.stage_latencies[stage].append(end - begin)

    # ------------------------------------------------------------------ housekeeping

    def _housekeeping_loop(self) -> None:
        while not self._stop.wait(self.settings.housekeeping_period_s):
            try:
                self.housekeeping()
            except Exception:
                log.exception("housekeeping failed")

    def housekeeping(self) -> None:
        """Escalate overdue P1s, mark silent sensors offline (raising an event), apply retention."""
        now = self.clock()
        with self.session() as session:
            escalated = alerting.escalate_due(session, self.settings.escalate_after_s, now)
            silent = list(session.scalars(select(SensorHealthRow).where(
                SensorHealthRow.offline.is_(False),
                SensorHealthRow.last_heard_at < now - self.settings.sensor_offline_after_s,
            )))  # fmt: skip
            for row in silent:
                row.offline = True
            session.execute(delete(DetectionRow).where(
                DetectionRow.received_at < now - self.settings.retention_days * 86400.0))  # fmt: skip
        for alert in escalated:
            self.bus.publish("alert", alert)
        if silent:
            events = []
            for row in silent:
                self.bus.publish("sensor_health", self.sensor_dict(row))
                events.append(BorderEvent(
                    event_id=f"offline-{row.sensor_id}-{int(now)}", type="sensor_offline", time=row.last_time,
                    lat=None, lon=None, track_ids=(), object_class=None, class_prob=None, sector=None, km=None,
                    details={"sensor_id": row.sensor_id, "silent_s": round(now - row.last_heard_at, 1)},
                ))  # fmt: skip
                self._locate_sensor(events[-1], row.sensor_id)
            self.record_fusion([], events, now)

    def _locate_sensor(self, event: BorderEvent, sensor_id: str) -> None:
        for sensor in self.model.sensors:
            if sensor.properties.id == sensor_id:
                loc = self.model.locate(sensor.geometry.lat, sensor.geometry.lon)
                object.__setattr__(event, "lat", sensor.geometry.lat)
                object.__setattr__(event, "lon", sensor.geometry.lon)
                object.__setattr__(event, "sector", loc.sector)
                object.__setattr__(event, "km", loc.km)

    # ------------------------------------------------------------------ people and patrols

    def add_user(self, username: str, role: str, password: str, actor: str) -> dict[str, Any]:
        if role not in auth.ROLES:
            raise ValueError(f"field 'role' = {role!r} is not one of {', '.join(auth.ROLES)}")
        now = self.clock()
        with self.session() as session:
            if session.get(UserRow, username) is not None:
                raise alerting.ConflictError(f"user {username!r} already exists")
            user = UserRow(username=username, role=role, password_hash=auth.hash_password(password), created_at=now,
                           disabled=False)  # fmt: skip
            session.add(user)
            after = user_dict(user)
            audit.append(session, at=now, actor=actor, action="user.create", entity="user", entity_id=username,
                         after=after)  # fmt: skip
            return after

    def sensor_for_key(self, key: str) -> str | None:
        """The sensor a key belongs to; keys are cached in memory (ingest asks on every request), and
        a key the cache does not know is looked up in the store (issued by another process)."""
        digest = auth.digest(key)
        sensor = self._key_cache.get(digest)
        if sensor is None:
            with self.read() as session:
                sensor = auth.sensor_for_key(session, key)
            if sensor is not None:
                self._key_cache[digest] = sensor
        return sensor

    def issue_sensor_key(self, sensor_id: str, actor: str) -> str:
        now = self.clock()
        with self.session() as session:
            key = auth.issue_sensor_key(session, sensor_id, now)
            audit.append(session, at=now, actor=actor, action="sensor_key.issue", entity="sensor",
                         entity_id=sensor_id, after={"sensor_id": sensor_id})  # fmt: skip
        return key

    def ensure_sensor_keys(self, path: Path) -> dict[str, str]:
        """A key for every configured sensor, kept in `path` (mode 0600) so replay and the simulator
        can post; keys already in the file are reused."""
        keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        with self.read() as session:
            live = {k: v for k, v in keys.items() if auth.sensor_for_key(session, v) == k}
        for sensor in self.model.sensors:
            sid = sensor.properties.id
            if sid not in live:
                live[sid] = self.issue_sensor_key(sid, "system")
        # Known good now: the first post of each sensor need not look its key up in the store.
        self._key_cache.update((auth.digest(key), sid) for sid, key in live.items())
        path.write_text(json.dumps(live, indent=1))
        path.chmod(0o600)
        return live

    def update_patrol(self, patrol_id: str, actor: str, **changes: Any) -> dict[str, Any]:
        now = self.clock()
        with self.session() as session:
            patrol = session.get(PatrolRow, patrol_id)
            if patrol is None:
                raise alerting.NotFoundError(f"patrol {patrol_id!r} does not exist")
            before = patrol_dict(patrol)
            if changes.get("state") == "dispatched" and patrol.state != "dispatched":
                raise alerting.ConflictError(f"patrol {patrol_id!r}: dispatch it through an alert")
            for name, value in changes.items():
                if value is not None:
                    setattr(patrol, name, value)
            if patrol.state != "dispatched":
                patrol.alert_id = None
            patrol.updated_at = now
            after = patrol_dict(patrol)
            audit.append(session, at=now, actor=actor, action="patrol.update", entity="patrol", entity_id=patrol_id,
                         before=before, after=after)  # fmt: skip
        self.bus.publish("patrol", after)
        return after

    def create_patrol(self, patrol_id: str, name: str, lat: float, lon: float, base_id: str | None,
                      actor: str) -> dict[str, Any]:  # fmt: skip
        now = self.clock()
        with self.session() as session:
            if session.get(PatrolRow, patrol_id) is not None:
                raise alerting.ConflictError(f"patrol {patrol_id!r} already exists")
            patrol = PatrolRow(id=patrol_id, name=name, base_id=base_id, state="available", lat=lat, lon=lon,
                               updated_at=now)  # fmt: skip
            session.add(patrol)
            after = patrol_dict(patrol)
            audit.append(session, at=now, actor=actor, action="patrol.create", entity="patrol", entity_id=patrol_id,
                         after=after)  # fmt: skip
        return after

    def suggest_patrols(self, alert_id: int, limit: int = 3) -> list[dict[str, Any]]:
        """Available patrols nearest the alert's position, nearest first, with distance in metres."""
        with self.read() as session:
            alert = session.get(AlertRow, alert_id)
            if alert is None:
                raise alerting.NotFoundError(f"alert {alert_id} does not exist")
            if alert.lat is None or alert.lon is None:
                return []
            patrols = list(session.scalars(select(PatrolRow).where(PatrolRow.state == "available")))
        ranked = sorted(
            ((float(distance_m(alert.lat, alert.lon, p.lat, p.lon)), p) for p in patrols), key=lambda x: x[0]
        )
        return [patrol_dict(p) | {"distance_m": round(d, 1)} for d, p in ranked[:limit]]

    def transition(self, alert_id: int, target: str, actor: str, **kwargs: Any) -> dict[str, Any]:
        with self.session() as session:
            after = alerting.transition(session, alert_id, target, actor, self.clock(), **kwargs)
        self.bus.publish("alert", after)
        return after


def _wanted(bus: Bus, topic: str) -> bool:
    """Whether a message on `topic` reaches anyone (a bus that cannot tell: yes)."""
    wanted = getattr(bus, "wanted", None)
    return True if wanted is None else bool(wanted(topic))


def _quantile(samples: Iterable[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _quantile_of(samples: deque[float], q: float) -> Callable[[], float]:
    return lambda: _quantile(samples, q)


def _origin(fresh: Sequence[_Batch], held: Sequence[_Batch], reported: float) -> _Batch | None:
    """The batch an event's latency is counted from. The tracker knew of it from the data it released in
    this call (`fresh`), up to the event's `reported` time; an event raised on confirmation can be dated
    well before that, at the crossing. Of those batches, the one received first, so the hold and the
    earliest receipt count (never under-reports); else the oldest batch held."""
    candidates = [b for b in fresh if b.oldest <= reported]
    return min(candidates or held, key=lambda b: b.received_at, default=None)


def patrol_dict(patrol: PatrolRow) -> dict[str, Any]:
    return {n: getattr(patrol, n) for n in ("id", "name", "base_id", "state", "lat", "lon", "updated_at", "alert_id")}


def user_dict(user: UserRow) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "created_at": user.created_at, "disabled": user.disabled}
