"""Ingest: turn a batch of decoded JSON items into records, refuse what is malformed or from the
wrong sensor (naming the item and field), and store detections exactly once.

A request body is first offered to `fast_records`, which decodes and checks a batch of well-formed
detections and heartbeats from the key's sensor in one pass (msgspec, in C); any batch it cannot
vouch for item by item is decoded again and goes through `parse_items`, whose per-item checks name
each bad item and field. Both paths give the same records for a batch the fast one takes.

Writes leave the request path: `IngestWriter` queues parsed batches (bounded: a full queue refuses with
`IngestBusyError`, which the API answers with 429 and Retry-After) and one writer thread stores everything
queued meanwhile in one transaction (group commit). A batch is acknowledged only once its
transaction has committed.

May import borderwatch.sensors.formats, borderwatch.store and msgspec.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import orjson
from sqlalchemy import Connection, Engine, Row

from borderwatch.sensors.formats import (
    OBJECT_CLASSES,
    Detection,
    FormatError,
    Heartbeat,
    ObjectClass,
    Record,
    parse_record,
    parse_time,
)
from borderwatch.store.bulk import SensorSeen, insert_new_detections, touch_sensors

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An item that was not even JSON (a bad JSON Lines line): rejected with this reason."""

    reason: str


@dataclass
class IngestResult:
    """What happened to each item of a batch (indices are positions in the batch)."""

    received: int = 0
    received_at: float = 0.0  # service clock when the batch arrived (ingest→alert latency starts here)
    accepted: int = 0
    duplicates: int = 0
    heartbeats: int = 0
    ignored: int = 0  # truth records: simulator bookkeeping, not sensor data
    forbidden: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)  # newly stored, in batch order
    heartbeat_records: list[Heartbeat] = field(default_factory=list)
    token: int = 0  # the service's handle on its records until fusion takes them (0: none)

    def absorb(self, stored: IngestResult) -> None:
        """Take in what a store transaction reported (after it committed)."""
        self.accepted += stored.accepted
        self.duplicates += stored.duplicates
        self.heartbeats += stored.heartbeats
        self.detections.extend(stored.detections)
        self.heartbeat_records.extend(stored.heartbeat_records)


_CLASSES = frozenset(OBJECT_CLASSES)
_FINITE = sys.float_info.max  # an upper bound that also refuses infinity
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CARTESIAN = ("lat", "lon", "sigma_m")
_POLAR = ("range_m", "bearing_deg", "sigma_range_m", "sigma_bearing_deg")


def _number(value: Any, low: float, high: float) -> float | None:
    """`value` as a float when it is a JSON number in [low, high] (not a bool, finite), else None."""
    if type(value) is float or type(value) is int:
        number = float(value)
        if low <= number <= high:  # also false for NaN
            return number
    return None


def _positive(value: Any, high: float = math.inf) -> float | None:
    """`value` as a float when it is a JSON number in (0, high] and finite, else None."""
    number = _number(value, 0.0, high)
    return None if number is None or number == 0.0 or number == math.inf else number


def _common_detection(item: Any) -> Detection | None:
    """The Detection that parse_record would return for the common shapes of item (a cartesian or
    polar detection, or one with both forms, whose fields are all well-formed), checked with a few
    plain comparisons instead of parse_record's general field machinery; None for anything else
    (a form half given, optional fields out of range, any doubt), which parse_record then decides on
    and, if bad, names the field."""
    if type(item) is not dict or item.get("type") != "detection":
        return None
    det_id, sensor_id, cls, stamp = item.get("id"), item.get("sensor_id"), item.get("class"), item.get("time")
    if type(det_id) is not str or type(sensor_id) is not str or type(cls) is not str or type(stamp) is not str:
        return None
    if not det_id.strip() or not sensor_id.strip() or cls not in _CLASSES:
        return None
    conf = _number(item.get("class_conf"), 0.0, 1.0)
    if conf is None:
        return None
    lat = lon = sigma = range_m = bearing = sigma_range = sigma_bearing = None
    if item.get("lat") is not None or item.get("lon") is not None or item.get("sigma_m") is not None:
        lat, lon = _number(item.get("lat"), -90.0, 90.0), _number(item.get("lon"), -180.0, 180.0)
        sigma = _positive(item.get("sigma_m"))
        if lat is None or lon is None or sigma is None:
            return None
    if any(item.get(name) is not None for name in _POLAR):
        range_m = _number(item.get("range_m"), 0.0, _FINITE)
        bearing = _number(item.get("bearing_deg"), -360.0, 360.0)
        sigma_range = _positive(item.get("sigma_range_m"))
        sigma_bearing = _positive(item.get("sigma_bearing_deg"), 180.0)
        if range_m is None or bearing is None or sigma_range is None or sigma_bearing is None:
            return None
        bearing %= 360.0
    elif lat is None:
        return None  # no position at all
    speed = item.get("speed_mps")
    if speed is not None and (speed := _number(speed, 0.0, _FINITE)) is None:
        return None
    heading = item.get("heading_deg")
    if heading is not None and (heading := _number(heading, -360.0, 360.0)) is None:
        return None
    extra = item.get("extra")
    if extra is not None and type(extra) is not dict:
        return None
    try:
        time = parse_time(stamp)
    except FormatError:
        return None
    return _detection(
        det_id, sensor_id, time, cls, conf, lat, lon, sigma, range_m, bearing, sigma_range, sigma_bearing, speed,
        None if heading is None else heading % 360.0, extra,
    )  # fmt: skip


class _WireDetection(msgspec.Struct, tag="detection", tag_field="type", gc=False):
    """A detection on the wire, every field present well-formed (the bounds are parse_record's):
    cartesian, polar or both. Whether each position form is whole is checked after decoding. Anything
    else — a field out of range, a bool for a number — fails to decode, and the batch goes to
    parse_record, which names the field. Unknown keys are ignored, as parse_record ignores them. Not
    tracked by the garbage collector (gc=False: its fields are strings, numbers and raw bytes, no cycles),
    so a batch's wire structs do not bring on collections of the whole heap."""

    id: str
    sensor_id: str
    time: str
    object_class: ObjectClass = msgspec.field(name="class")
    class_conf: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    lat: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)] | None = None
    lon: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)] | None = None
    sigma_m: Annotated[float, msgspec.Meta(gt=0.0, le=_FINITE)] | None = None
    range_m: Annotated[float, msgspec.Meta(ge=0.0, le=_FINITE)] | None = None
    bearing_deg: Annotated[float, msgspec.Meta(ge=-360.0, le=360.0)] | None = None
    sigma_range_m: Annotated[float, msgspec.Meta(gt=0.0, le=_FINITE)] | None = None
    sigma_bearing_deg: Annotated[float, msgspec.Meta(gt=0.0, le=180.0)] | None = None
    speed_mps: Annotated[float, msgspec.Meta(ge=0.0, le=_FINITE)] | None = None
    heading_deg: Annotated[float, msgspec.Meta(ge=-360.0, le=360.0)] | None = None
    # Kept raw and decoded by orjson, as the careful path decodes it (msgspec keeps integers beyond
    # 64 bits exact where orjson makes them floats: the stored extra must not depend on the path).
    extra: msgspec.Raw = msgspec.Raw()


class _WireHeartbeat(msgspec.Struct, tag="heartbeat", tag_field="type", gc=False):
    sensor_id: str
    time: str
    status: str | None = None


# Detection is a frozen dataclass, whose generated __init__ sets each of its 15 fields through
# object.__setattr__: ~4 us a detection, as much as decoding and checking it. The fast path fills the
# slots through their descriptors instead (same object, equal and hashed alike; tested), ~40 % less.
_SLOT_SETTERS = {f.name: getattr(Detection, f.name).__set__ for f in fields(Detection)}
_set_id, _set_sensor_id, _set_time = _SLOT_SETTERS["id"], _SLOT_SETTERS["sensor_id"], _SLOT_SETTERS["time"]
_set_object_class, _set_class_conf = _SLOT_SETTERS["object_class"], _SLOT_SETTERS["class_conf"]
_set_lat, _set_lon, _set_sigma_m = _SLOT_SETTERS["lat"], _SLOT_SETTERS["lon"], _SLOT_SETTERS["sigma_m"]
_set_range_m, _set_bearing_deg = _SLOT_SETTERS["range_m"], _SLOT_SETTERS["bearing_deg"]
_set_sigma_range_m, _set_sigma_bearing_deg = _SLOT_SETTERS["sigma_range_m"], _SLOT_SETTERS["sigma_bearing_deg"]
_set_speed_mps, _set_heading_deg = _SLOT_SETTERS["speed_mps"], _SLOT_SETTERS["heading_deg"]
_set_extra = _SLOT_SETTERS["extra"]
if len(_SLOT_SETTERS) != 15:  # a field added to Detection must be set below too
    raise ImportError(f"Detection has {len(_SLOT_SETTERS)} fields; _detection sets 15")


def _detection(
    det_id: str, sensor_id: str, time: float, object_class: str, class_conf: float, lat: float | None,
    lon: float | None, sigma_m: float | None, range_m: float | None, bearing_deg: float | None,
    sigma_range_m: float | None, sigma_bearing_deg: float | None, speed_mps: float | None,
    heading_deg: float | None, extra: dict[str, Any] | None,
) -> Detection:  # fmt: skip
    """Detection(...) of these values in field order, built without the frozen __init__."""
    d: Detection = object.__new__(Detection)
    _set_id(d, det_id)
    _set_sensor_id(d, sensor_id)
    _set_time(d, time)
    _set_object_class(d, object_class)
    _set_class_conf(d, class_conf)
    _set_lat(d, lat)
    _set_lon(d, lon)
    _set_sigma_m(d, sigma_m)
    _set_range_m(d, range_m)
    _set_bearing_deg(d, bearing_deg)
    _set_sigma_range_m(d, sigma_range_m)
    _set_sigma_bearing_deg(d, sigma_bearing_deg)
    _set_speed_mps(d, speed_mps)
    _set_heading_deg(d, heading_deg)
    _set_extra(d, extra)
    return d


_ARRAY_DECODER = msgspec.json.Decoder(list[_WireDetection | _WireHeartbeat])
_LINE_DECODER = msgspec.json.Decoder(_WireDetection | _WireHeartbeat)


class CheckedRecords(list[Detection | Heartbeat]):
    """Records `fast_records` decoded and checked, all from `sensor_id` and free of NUL characters:
    `parse_items` takes them as they are when they come with the same sensor."""

    def __init__(self, records: list[Detection | Heartbeat], sensor_id: str | None) -> None:
        super().__init__(records)
        self.sensor_id = sensor_id


def fast_records(body: bytes, sensor_id: str | None, *, lines: bool = False) -> CheckedRecords | None:
    """The records of a JSON array (or, with `lines`, JSON Lines) body when every item is a
    well-formed detection or heartbeat from `sensor_id` (any sensor when None) — exactly what
    parse_record would make of them; None when any item needs the careful path (malformed, another
    record type or sensor, a doubtful time, a NUL character, a repeated "type" key), which then names
    what is wrong. One msgspec pass, no per-item dicts."""
    if b"\\u0000" in body:  # a NUL somewhere (or the text \u0000): parse_items refuses only that item
        return None
    try:
        wire = _LINE_DECODER.decode_lines(body) if lines else _ARRAY_DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return None
    # msgspec reads an object's first "type" key, orjson keeps its last: a body with any object holding
    # two (or a "type" key inside extra) is left to the careful path, so both read the same records.
    if body.count(b'"type"') != len(wire):
        return None
    fromisoformat, epoch = datetime.fromisoformat, _EPOCH
    records: list[Detection | Heartbeat] = []
    append = records.append
    for item in wire:
        if sensor_id is None:
            if not item.sensor_id.strip():
                return None
        elif item.sensor_id != sensor_id:
            return None
        # parse_time's rule, its own arithmetic: an ISO 8601 time whose zone is UTC.
        try:
            stamp = fromisoformat(item.time)
        except ValueError:
            return None
        if stamp.tzinfo is not UTC:
            return None
        delta = stamp - epoch
        time = (delta.days * 86_400 + delta.seconds) + delta.microseconds / 1e6
        if type(item) is _WireDetection:
            if not item.id.strip():
                return None
            # A position form is all of its fields or none, and there is at least one (parse_record's rule).
            lat, lon, sigma_m = item.lat, item.lon, item.sigma_m
            if lat is None:
                if lon is not None or sigma_m is not None:
                    return None
            elif lon is None or sigma_m is None:
                return None
            range_m, bearing = item.range_m, item.bearing_deg
            sigma_range, sigma_bearing = item.sigma_range_m, item.sigma_bearing_deg
            if range_m is None:
                if lat is None or bearing is not None or sigma_range is not None or sigma_bearing is not None:
                    return None
            elif bearing is None or sigma_range is None or sigma_bearing is None:
                return None
            else:
                bearing %= 360.0
            extra = None
            if item.extra:
                extra = orjson.loads(memoryview(item.extra))
                if extra is not None and type(extra) is not dict:
                    return None
            heading = item.heading_deg
            append(
                _detection(
                    item.id, item.sensor_id, time, item.object_class, item.class_conf, lat, lon, sigma_m, range_m,
                    bearing, sigma_range, sigma_bearing, item.speed_mps, None if heading is None else heading % 360.0,
                    extra,
                )
            )  # fmt: skip
        else:
            assert isinstance(item, _WireHeartbeat)
            append(Heartbeat(item.sensor_id, time, item.status))
    return CheckedRecords(records, sensor_id)


def parse_items(items: Sequence[Any], allowed_sensor: str | None, result: IngestResult) -> list[Record]:
    """Records for the good items; bad ones go to result.rejected, foreign-sensor ones to forbidden.
    Items may be decoded JSON values, Undecodable, or records already made (`CheckedRecords` from
    the same sensor are taken as they are)."""
    result.received += len(items)
    if isinstance(items, CheckedRecords) and (allowed_sensor is None or items.sensor_id == allowed_sensor):
        return list(items)
    records: list[Record] = []
    for index, item in enumerate(items):
        if isinstance(item, Undecodable):
            result.rejected.append(Rejection(index, item.reason))
            continue
        try:
            record = item if type(item) in (Detection, Heartbeat) else _common_detection(item) or parse_record(item)
        except FormatError as exc:
            result.rejected.append(Rejection(index, str(exc)))
            continue
        sensor = getattr(record, "sensor_id", None)
        nul = next(
            (name for name in ("id", "sensor_id", "status") if "\x00" in (getattr(record, name, "") or "")), None
        )
        if nul is not None:  # PostgreSQL text cannot hold it: refuse this item, keep the others
            result.rejected.append(Rejection(index, f"field {nul!r} must not contain a NUL character"))
            continue
        if sensor is None:
            result.ignored += 1
            continue
        if allowed_sensor is not None and sensor != allowed_sensor:
            result.forbidden += 1
            result.rejected.append(
                Rejection(index, f"field 'sensor_id' = {sensor!r}: this key is for sensor {allowed_sensor!r}")
            )
            continue
        records.append(record)
    return records


def _row(d: Detection, now: float) -> tuple[Any, ...]:
    """The detections table's values for `d`, in borderwatch.store.bulk.DETECTION_COLUMNS order."""
    return (d.id, d.sensor_id, d.time, d.object_class, d.class_conf, d.lat, d.lon, d.sigma_m, d.range_m,
            d.bearing_deg, d.sigma_range_m, d.sigma_bearing_deg, d.speed_mps, d.heading_deg, d.extra, now)  # fmt: skip


def store_group(
    connection: Connection, batches: Sequence[Sequence[Record]], now: float, results: Sequence[IngestResult]
) -> tuple[dict[str, SensorSeen], list[Row[Any]]]:
    """Store several batches' detections in one transaction (one existence check, one executemany)
    and update the senders' health. Counts go to `results[i]` exactly as if the batches had been
    stored one after the other: an id seen in an earlier batch of the group, earlier in the same
    batch, or in the store counts as a duplicate. Returns what each sensor was heard to say and the
    health rows of sensors that were offline until now."""
    first_offer: set[str] = set()
    offered: list[tuple[int, Detection]] = []
    rows: list[tuple[Any, ...]] = []
    for index, (records, into) in enumerate(zip(batches, results, strict=True)):
        for record in records:
            if isinstance(record, Heartbeat):
                into.heartbeats += 1
                into.heartbeat_records.append(record)
            elif isinstance(record, Detection):
                if record.id in first_offer:
                    into.duplicates += 1
                else:
                    first_offer.add(record.id)
                    offered.append((index, record))
                    rows.append(_row(record, now))
    inserted = insert_new_detections(connection, rows)
    seen: dict[str, SensorSeen] = {}
    for index, d in offered:
        into = results[index]
        if d.id in inserted:
            into.accepted += 1
            into.detections.append(d)
            heard = seen.setdefault(d.sensor_id, SensorSeen(d.time))
            heard.detections += 1
            heard.last_time = max(heard.last_time, d.time)
        else:
            into.duplicates += 1
    for into in results:
        for h in into.heartbeat_records:
            heard = seen.setdefault(h.sensor_id, SensorSeen(h.time))
            heard.heartbeats += 1
            heard.last_time = max(heard.last_time, h.time)
            heard.status = h.status if h.status is not None else heard.status
    return seen, touch_sensors(connection, seen, now)


class IngestBusyError(RuntimeError):
    """The write queue is full; nothing of the batch was stored. Retry after `retry_after_s`."""

    def __init__(self, pending: int, limit: int, retry_after_s: float) -> None:
        super().__init__(f"the ingest queue is full ({pending:,} records waiting, limit {limit:,}); "
                         f"nothing of this batch was stored: retry after {retry_after_s:g} s")  # fmt: skip
        self.retry_after_s = retry_after_s


@dataclass
class _Job:
    records: list[Record]
    result: IngestResult
    future: Future[IngestResult]


Committed = Callable[[Sequence[IngestResult], dict[str, SensorSeen], list[Row[Any]], float], None]


class IngestWriter:
    """One writer thread storing queued batches in group commits.

    `submit` returns at once with a Future that completes once the batch is committed (or fails
    with the error that stopped it); `on_committed(results, seen, back_online, now)` runs on the
    writer thread after each commit and before those futures complete (metrics, fusion hand-off).
    The queue holds at most `max_pending` records: a batch that would overflow it is refused with
    IngestBusyError (a batch larger than the limit is still taken when the queue is empty)."""

    def __init__(
        self,
        engine: Engine,
        on_committed: Committed,
        *,
        clock: Callable[[], float],
        max_pending: int = 200_000,
        retry_after_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.on_committed = on_committed
        self.clock = clock
        self.max_pending = max_pending
        self.retry_after_s = retry_after_s
        self._jobs: deque[_Job] = deque()
        self._pending = 0  # records in self._jobs
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.groups = 0  # transactions committed, for metrics and tests
        self.hold = threading.Lock()  # held, it pauses the writer between groups (tests use it to queue requests)

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, records: list[Record], result: IngestResult) -> Future[IngestResult]:
        future: Future[IngestResult] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the ingest writer has stopped")
            if self._pending and self._pending + len(records) > self.max_pending:
                raise IngestBusyError(self._pending, self.max_pending, self.retry_after_s)
            self._jobs.append(_Job(records, result, future))
            self._pending += len(records)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="borderwatch-ingest-writer", daemon=True)
                self._thread.start()
            self._wake.notify()
        return future

    def close(self, timeout_s: float = 30.0) -> None:
        """Store what is queued, then stop the writer thread; later submits raise."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=timeout_s)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._jobs and not self._closed:
                    self._wake.wait()
                if not self._jobs:
                    return
            with self.hold:
                with self._wake:
                    group = list(self._jobs)
                    self._jobs.clear()
                    self._pending = 0
                self._write(group)

    def _write(self, jobs: list[_Job]) -> None:
        """Store the jobs in one transaction; if that fails, each on its own, so one bad batch costs
        only its own request."""
        attempts = [jobs] if len(jobs) > 1 else []
        attempts += [[job] for job in jobs]
        for group in attempts:
            if all(job.future.done() for job in group):
                continue
            now = self.clock()
            stored = [IngestResult() for _ in group]
            try:
                with self.engine.begin() as connection:
                    seen, back_online = store_group(connection, [job.records for job in group], now, stored)
            except Exception as exc:
                if len(group) == 1:
                    group[0].future.set_exception(exc)
                else:
                    log.warning("group commit of %d ingest batches failed (%s); storing each alone", len(group), exc)
                continue
            self.groups += 1
            for job, into in zip(group, stored, strict=True):
                job.result.absorb(into)
            try:
                self.on_committed([job.result for job in group], seen, back_online, now)
            except Exception:  # stored and committed: the acknowledgement stands
                log.exception("after-commit hook failed for %d ingest batches", len(group))
            for job in group:
                job.future.set_result(job.result)
