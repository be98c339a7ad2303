"""The detection interchange format: JSON Lines records that sensors and the simulator emit.

Lives here: the record types (Detection, Heartbeat, TruthState, TruthEvent), their strict parsing
with errors that name the record and field, writing, and a reader that skips and counts bad lines
without ever stopping the stream. The format is documented in docs/formats.md.
May import: the standard library and orjson. Nothing else in borderwatch (every part imports this).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal, cast, get_args

import orjson

ObjectClass = Literal["person", "vehicle", "animal", "unknown"]
Role = Literal["smuggler", "patrol", "civilian", "animal"]
Direction = Literal["inbound", "outbound"]

OBJECT_CLASSES: tuple[str, ...] = get_args(ObjectClass)
ROLES: tuple[str, ...] = get_args(Role)
DIRECTIONS: tuple[str, ...] = get_args(Direction)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FormatError(ValueError):
    """A record that breaks the interchange format; the message names the record and field."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One sensor report of one object: cartesian (lat, lon, sigma_m) or polar (range, bearing).

    Polar values are relative to the sensor's configured position in the border configuration;
    bearings are degrees from true north, clockwise. `id` is unique per detection, so a consumer
    that sees the same id twice must count it once.
    """

    id: str
    sensor_id: str
    time: float  # POSIX seconds, UTC
    object_class: ObjectClass  # JSON key "class"
    class_conf: float
    lat: float | None = None
    lon: float | None = None
    sigma_m: float | None = None
    range_m: float | None = None
    bearing_deg: float | None = None
    sigma_range_m: float | None = None
    sigma_bearing_deg: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    extra: dict[str, Any] | None = None

    @property
    def is_polar(self) -> bool:
        """True when the position is given only as range and bearing from the sensor."""
        return self.lat is None and self.range_m is not None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A sensor saying it is alive; when heartbeats stop, the sensor is out."""

    sensor_id: str
    time: float
    status: str | None = None


@dataclass(frozen=True, slots=True)
class TruthState:
    """Ground truth (simulator only): where one mover really was at one time."""

    truth_id: str
    time: float
    lat: float
    lon: float
    object_class: ObjectClass
    role: Role


@dataclass(frozen=True, slots=True)
class TruthEvent:
    """Ground-truth event (simulator only), e.g. a border crossing with its direction.

    `direction` is "inbound" when the mover enters the home country of the border configuration.
    """

    event: str
    truth_id: str
    time: float
    lat: float
    lon: float
    direction: Direction | None = None


Record = Detection | Heartbeat | TruthState | TruthEvent


@dataclass
class BadLine:
    """A line the reader skipped: where it was and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


# --- times ------------------------------------------------------------------------------------


def parse_time(text: str) -> float:
    """POSIX seconds from an ISO 8601 time in UTC ("Z" or "+00:00"); anything else is a FormatError."""
    if not isinstance(text, str):
        raise FormatError(f"time must be an ISO 8601 string, not {type(text).__name__}")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise FormatError(f"time {text!r} is not ISO 8601") from None
    if stamp.tzinfo is None:
        raise FormatError(f"time {text!r} has no time zone; it must be UTC ('Z' or '+00:00')")
    if stamp.utcoffset() != timedelta(0):
        raise FormatError(f"time {text!r} is not UTC; it must end in 'Z' or '+00:00'")
    # Exact integer arithmetic: float(timestamp()) can be off by one microsecond.
    delta = stamp - _EPOCH
    return (delta.days * 86_400 + delta.seconds) + delta.microseconds / 1e6


def format_time(t: float) -> str:
    """ISO 8601 UTC with milliseconds, e.g. "2026-11-23T21:04:05.250Z"."""
    if not math.isfinite(t):
        raise FormatError(f"time {t!r} is not a finite number")
    millis = round(t * 1000.0)
    seconds, ms = divmod(millis, 1000)
    minute, second = divmod(seconds, 60)
    return f"{_minute_prefix(minute)}{second:02d}.{ms:03d}Z"


@lru_cache(maxsize=4096)
def _minute_prefix(minute: int) -> str:
    # Every track state and event is written with its time: the calendar arithmetic once a minute.
    return f"{_EPOCH + timedelta(minutes=minute):%Y-%m-%dT%H:%M:}"


# --- field checks -----------------------------------------------------------------------------


class _Fields:
    """Typed access to one JSON object's fields; every error names the record and the field."""

    __slots__ = ("label", "obj")

    def __init__(self, obj: dict[str, Any], label: str) -> None:
        self.obj = obj
        self.label = label

    def fail(self, name: str, reason: str) -> FormatError:
        return FormatError(f"{self.label}: field '{name}' {reason}")

    def has(self, name: str) -> bool:
        return self.obj.get(name) is not None

    def text(self, name: str) -> str:
        value = self.obj.get(name)
        if value is None:
            raise self.fail(name, "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, not {value!r}")
        return value

    def opt_text(self, name: str) -> str | None:
        return self.text(name) if self.has(name) else None

    def number(self, name: str, low: float = -math.inf, high: float = math.inf, *, open_low: bool = False) -> float:
        value = self.obj.get(name)
        if value is None:
            raise self.fail(name, "is missing")
        # bool is an int in Python, but `true` is no coordinate.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"must be a number, not {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(name, f"must be finite, not {value!r}")
        if number < low or number > high or (open_low and number == low):
            bracket = "(" if open_low else "["
            raise self.fail(name, f"= {value!r} is outside {bracket}{low:g}, {high:g}]")
        return number

    def opt_number(
        self, name: str, low: float = -math.inf, high: float = math.inf, *, open_low: bool = False
    ) -> float | None:
        return self.number(name, low, high, open_low=open_low) if self.has(name) else None

    def time(self, name: str = "time") -> float:
        value = self.obj.get(name)
        if value is None:
            raise self.fail(name, "is missing")
        try:
            return parse_time(value)
        except FormatError as exc:
            raise self.fail(name, f"is invalid: {exc}") from None

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.obj.get(name)
        if value is None:
            raise self.fail(name, "is missing")
        if value not in allowed:
            raise self.fail(name, f"= {value!r} is not one of {', '.join(allowed)}")
        return cast(str, value)

    def lat_lon(self) -> tuple[float, float]:
        return self.number("lat", -90.0, 90.0), self.number("lon", -180.0, 180.0)


def _label(kind: str, obj: dict[str, Any], key: str) -> str:
    ident = obj.get(key)
    return f"{kind} {ident!r}" if isinstance(ident, str) else kind


_CARTESIAN = ("lat", "lon", "sigma_m")
_POLAR = ("range_m", "bearing_deg", "sigma_range_m", "sigma_bearing_deg")


def _parse_detection(obj: dict[str, Any]) -> Detection:
    f = _Fields(obj, _label("detection", obj, "id"))
    det_id = f.text("id")
    sensor_id = f.text("sensor_id")
    time = f.time()
    object_class = cast(ObjectClass, f.choice("class", OBJECT_CLASSES))
    class_conf = f.number("class_conf", 0.0, 1.0)
    forms: dict[str, bool] = {}
    for form, names in (("cartesian", _CARTESIAN), ("polar", _POLAR)):
        present = [n for n in names if f.has(n)]
        if present and len(present) < len(names):
            missing = next(n for n in names if n not in present)
            raise f.fail(missing, f"is missing ({form} position needs {', '.join(names)})")
        forms[form] = bool(present)
    if not any(forms.values()):
        raise f.fail("lat", "is missing: a detection needs lat/lon/sigma_m or range_m/bearing_deg/sigma_*")
    lat = lon = sigma_m = None
    if forms["cartesian"]:
        lat, lon = f.lat_lon()
        sigma_m = f.number("sigma_m", 0.0, open_low=True)
    range_m = bearing = sigma_range = sigma_bearing = None
    if forms["polar"]:
        range_m = f.number("range_m", 0.0)
        bearing = f.number("bearing_deg", -360.0, 360.0) % 360.0
        sigma_range = f.number("sigma_range_m", 0.0, open_low=True)
        sigma_bearing = f.number("sigma_bearing_deg", 0.0, 180.0, open_low=True)
    heading = f.opt_number("heading_deg", -360.0, 360.0)
    extra = obj.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise f.fail("extra", f"must be a JSON object, not {type(extra).__name__}")
    return Detection(
        id=det_id,
        sensor_id=sensor_id,
        time=time,
        object_class=object_class,
        class_conf=class_conf,
        lat=lat,
        lon=lon,
        sigma_m=sigma_m,
        range_m=range_m,
        bearing_deg=bearing,
        sigma_range_m=sigma_range,
        sigma_bearing_deg=sigma_bearing,
        speed_mps=f.opt_number("speed_mps", 0.0),
        heading_deg=None if heading is None else heading % 360.0,
        extra=extra,
    )


def _parse_heartbeat(obj: dict[str, Any]) -> Heartbeat:
    f = _Fields(obj, _label("heartbeat", obj, "sensor_id"))
    status = obj.get("status")
    if status is not None and not isinstance(status, str):
        raise f.fail("status", f"must be a string, not {status!r}")
    return Heartbeat(sensor_id=f.text("sensor_id"), time=f.time(), status=status)


def _parse_truth(obj: dict[str, Any]) -> TruthState:
    f = _Fields(obj, _label("truth", obj, "truth_id"))
    truth_id = f.text("truth_id")
    time = f.time()
    lat, lon = f.lat_lon()
    return TruthState(
        truth_id=truth_id,
        time=time,
        lat=lat,
        lon=lon,
        object_class=cast(ObjectClass, f.choice("class", OBJECT_CLASSES)),
        role=cast(Role, f.choice("role", ROLES)),
    )


def _parse_truth_event(obj: dict[str, Any]) -> TruthEvent:
    f = _Fields(obj, _label("truth_event", obj, "truth_id"))
    event = f.text("event")
    truth_id = f.text("truth_id")
    time = f.time()
    lat, lon = f.lat_lon()
    direction = cast(Direction, f.choice("direction", DIRECTIONS)) if f.has("direction") else None
    return TruthEvent(event=event, truth_id=truth_id, time=time, lat=lat, lon=lon, direction=direction)


_PARSERS: dict[str, Callable[[dict[str, Any]], Record]] = {
    "detection": _parse_detection,
    "heartbeat": _parse_heartbeat,
    "truth": _parse_truth,
    "truth_event": _parse_truth_event,
}


def parse_record(obj: dict[str, Any]) -> Record:
    """The record a decoded JSON object stands for; FormatError naming the record and field if bad.

    Unknown keys are ignored (newer writers may add fields); `extra` is kept as is.
    """
    if not isinstance(obj, dict):
        raise FormatError(f"a record must be a JSON object, not {type(obj).__name__}")
    kind = obj.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        if kind is None:
            raise FormatError("field 'type' is missing")
        raise FormatError(f"field 'type' = {kind!r} is not one of {', '.join(_PARSERS)}")
    return parser(obj)


def parse_line(line: str | bytes) -> Record:
    """The record on one JSON Lines line; FormatError if it is not JSON or not a valid record."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc}") from None
    return parse_record(obj)


# --- writing ----------------------------------------------------------------------------------


def record_to_json(record: Record) -> dict[str, Any]:
    """The JSON object for a record; optional fields that are None are left out."""
    out: dict[str, Any]
    if isinstance(record, Detection):
        out = {"type": "detection", "id": record.id, "sensor_id": record.sensor_id, "time": format_time(record.time)}
        for name in (*_CARTESIAN, *_POLAR):
            value = getattr(record, name)
            if value is not None:
                out[name] = value
        out["class"] = record.object_class
        out["class_conf"] = record.class_conf
        if record.speed_mps is not None:
            out["speed_mps"] = record.speed_mps
        if record.heading_deg is not None:
            out["heading_deg"] = record.heading_deg
        if record.extra is not None:
            out["extra"] = record.extra
    elif isinstance(record, Heartbeat):
        out = {"type": "heartbeat", "sensor_id": record.sensor_id, "time": format_time(record.time)}
        if record.status is not None:
            out["status"] = record.status
    elif isinstance(record, TruthState):
        out = {
            "type": "truth",
            "truth_id": record.truth_id,
            "time": format_time(record.time),
            "lat": record.lat,
            "lon": record.lon,
            "class": record.object_class,
            "role": record.role,
        }
    elif isinstance(record, TruthEvent):
        out = {
            "type": "truth_event",
            "event": record.event,
            "truth_id": record.truth_id,
            "time": format_time(record.time),
            "lat": record.lat,
            "lon": record.lon,
        }
        if record.direction is not None:
            out["direction"] = record.direction
    else:
        raise TypeError(f"not an interchange record: {type(record).__name__}")
    return out


def record_to_line(record: Record) -> str:
    """One JSON Lines line (with its newline) for a record: compact, UTF-8, stable key order."""
    return orjson.dumps(record_to_json(record)).decode() + "\n"


def write_jsonl(records: Iterable[Record], fp: IO[str]) -> int:
    """Write records as JSON Lines to a text stream; returns how many were written."""
    count = 0
    for record in records:
        fp.write(record_to_line(record))
        count += 1
    return count


# --- reading ----------------------------------------------------------------------------------


@dataclass
class RecordReader:
    """Iterate the good records of a JSON Lines source; bad lines are reported, counted and skipped.

    `source` is a path (str or Path), an open text stream, or any iterable of lines. Blank lines
    are skipped silently. With `skip_duplicate_ids` a detection whose id was already seen is
    dropped and counted in `duplicates` (re-sent detections must never count twice).
    """

    source: str | Path | IO[str] | Iterable[str]
    name: str | None = None
    skip_duplicate_ids: bool = False
    bad: list[BadLine] = field(default_factory=list, init=False)
    good_count: int = field(default=0, init=False)
    duplicates: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.name is None:
            if isinstance(self.source, str | Path):
                self.name = str(self.source)
            else:
                self.name = str(getattr(self.source, "name", "<stream>"))

    @property
    def bad_count(self) -> int:
        return len(self.bad)

    def _lines(self) -> Iterator[str | bytes]:
        if isinstance(self.source, str | Path):
            # Binary, so that one line of broken UTF-8 is a bad line, not the end of the file.
            with open(self.source, "rb") as fp:
                yield from fp
        else:
            yield from self.source

    def __iter__(self) -> Iterator[Record]:
        source = self.name or "<stream>"
        seen: set[str] = set()
        for number, raw in enumerate(self._lines(), start=1):
            if isinstance(raw, bytes):
                try:
                    line: str = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.bad.append(BadLine(source, number, f"not UTF-8: {exc.reason} at byte {exc.start}"))
                    continue
            else:
                line = raw
            if not line.strip():
                continue
            try:
                record = parse_line(line)
            except FormatError as exc:
                self.bad.append(BadLine(source, number, str(exc)))
                continue
            if self.skip_duplicate_ids and isinstance(record, Detection):
                if record.id in seen:
                    self.duplicates += 1
                    continue
                seen.add(record.id)
            self.good_count += 1
            yield record


def read_jsonl(source: str | Path | IO[str] | Iterable[str]) -> tuple[list[Record], list[BadLine]]:
    """All good records of a source and the bad lines met on the way."""
    reader = RecordReader(source)
    return list(reader), reader.bad
