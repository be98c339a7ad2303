"""The interchange format: round trips, times, and every kind of bad line the reader must survive."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.sensors.formats import (
    OBJECT_CLASSES,
    Detection,
    FormatError,
    Heartbeat,
    Record,
    RecordReader,
    TruthEvent,
    TruthState,
    format_time,
    parse_line,
    parse_record,
    parse_time,
    record_to_json,
    write_jsonl,
)

ISSUE_EXAMPLE = (
    '{"type": "detection", "id": "cam-17:000123", "sensor_id": "cam-17", "time": "2026-11-23T21:04:05.250Z",'
    ' "lat": 34.3812, "lon": 40.9951, "sigma_m": 25.0, "class": "person", "class_conf": 0.8}'
)

GOOD: dict[str, dict[str, Any]] = {
    "cartesian": json.loads(ISSUE_EXAMPLE),
    "polar": {
        "type": "detection",
        "id": "tw-3:9",
        "sensor_id": "tw-3",
        "time": "2026-11-23T21:00:00Z",
        "range_m": 4200.0,
        "bearing_deg": 271.5,
        "sigma_range_m": 30.0,
        "sigma_bearing_deg": 0.5,
        "class": "vehicle",
        "class_conf": 0.6,
        "speed_mps": 7.5,
        "heading_deg": 90.0,
        "extra": {"scan": 12, "tags": ["a", "b"]},
    },
    "heartbeat": {"type": "heartbeat", "sensor_id": "cam-17", "time": "2026-11-23T21:04:05.000Z", "status": "ok"},
    "truth": {
        "type": "truth",
        "truth_id": "t-42",
        "time": "2026-11-23T21:04:05.000Z",
        "lat": 34.38,
        "lon": 40.99,
        "class": "vehicle",
        "role": "smuggler",
    },
    "truth_event": {
        "type": "truth_event",
        "event": "border_crossing",
        "truth_id": "t-42",
        "time": "2026-11-23T21:04:06.500+00:00",
        "lat": 34.38,
        "lon": 40.99,
        "direction": "inbound",
    },
}


def test_issue_example_parses_to_its_fields() -> None:
    record = parse_line(ISSUE_EXAMPLE)
    assert isinstance(record, Detection)
    assert (record.id, record.sensor_id, record.object_class) == ("cam-17:000123", "cam-17", "person")
    assert (record.lat, record.lon, record.sigma_m, record.class_conf) == (34.3812, 40.9951, 25.0, 0.8)
    assert record.time == parse_time("2026-11-23T21:04:05.250Z")
    assert not record.is_polar


@pytest.mark.parametrize("name", sorted(GOOD))
def test_round_trip_through_json_keeps_every_field(name: str) -> None:
    record = parse_record(GOOD[name])
    again = parse_line(json.dumps(record_to_json(record)))
    assert again == record
    # Fields in the input survive with their values (times re-written in the canonical form).
    written = record_to_json(record)
    for key, value in GOOD[name].items():
        if key != "time":
            assert written[key] == value, key
    assert parse_time(written["time"]) == parse_time(GOOD[name]["time"])


def test_polar_detection_is_polar_and_keeps_extra_as_is() -> None:
    record = parse_record(GOOD["polar"])
    assert isinstance(record, Detection)
    assert record.is_polar
    assert record.extra == {"scan": 12, "tags": ["a", "b"]}


def test_write_jsonl_then_reader_returns_the_same_records() -> None:
    records: list[Record] = [parse_record(obj) for obj in GOOD.values()]
    buffer = io.StringIO()
    assert write_jsonl(records, buffer) == len(records)
    text = buffer.getvalue()
    assert text.count("\n") == len(records)
    reader = RecordReader(io.StringIO(text), name="mem")
    assert list(reader) == records
    assert reader.good_count == len(records)
    assert reader.bad == []


finite = st.floats(allow_nan=False, allow_infinity=False)
times = st.floats(min_value=0.0, max_value=4e9).map(lambda t: round(t, 3))


@given(
    st.text(min_size=1).filter(str.strip),
    times,
    st.sampled_from(OBJECT_CLASSES),
    st.floats(0.0, 1.0),
    st.floats(-90.0, 90.0),
    st.floats(-180.0, 180.0),
    st.floats(0.01, 1e5),
)
def test_any_valid_cartesian_detection_round_trips(
    ident: str, t: float, cls: str, conf: float, lat: float, lon: float, sigma: float
) -> None:
    record = Detection(ident, "s-1", t, cls, conf, lat=lat, lon=lon, sigma_m=sigma)  # type: ignore[arg-type]
    again = parse_line(json.dumps(record_to_json(record)))
    assert isinstance(again, Detection)
    assert again.time == pytest.approx(t, abs=5e-4)
    assert (again.id, again.object_class, again.lat, again.lon, again.sigma_m) == (ident, cls, lat, lon, sigma)


@given(times)
def test_format_time_then_parse_time_is_within_half_a_millisecond(t: float) -> None:
    text = format_time(t)
    assert text.endswith("Z") and len(text) == len("2026-11-23T21:04:05.250Z")
    assert abs(parse_time(text) - t) <= 5e-4 + 1e-9


def test_time_examples() -> None:
    assert format_time(parse_time("2026-11-23T21:04:05.250Z")) == "2026-11-23T21:04:05.250Z"
    assert parse_time("2026-11-23T21:04:05+00:00") == parse_time("2026-11-23T21:04:05Z")
    assert format_time(0.0) == "1970-01-01T00:00:00.000Z"
    assert format_time(59.9996) == "1970-01-01T00:01:00.000Z"  # carry into the next second


@pytest.mark.parametrize(
    "text", ["2026-11-23T21:04:05", "2026-11-23T21:04:05+03:00", "yesterday", "2026-13-01T00:00:00Z", ""]
)
def test_parse_time_rejects_non_utc_and_garbage(text: str) -> None:
    with pytest.raises(FormatError):
        parse_time(text)


def _with(name: str, **changes: Any) -> str:
    obj = dict(GOOD[name])
    for key, value in changes.items():
        if value is _DROP:
            obj.pop(key)
        else:
            obj[key] = value
    return json.dumps(obj)


_DROP = object()

# Each case: a bad line and the words its reason must contain (the field named).
BAD_LINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "not json": ('{"type": "detection", "id": ', ("not JSON",)),
    "json array": ("[1, 2, 3]", ("JSON object",)),
    "nan literal": (ISSUE_EXAMPLE.replace("34.3812", "NaN"), ("not JSON",)),
    "no type": (_with("cartesian", type=_DROP), ("'type'", "missing")),
    "unknown type": (_with("cartesian", type="alarm"), ("'type'", "alarm")),
    "missing id": (_with("cartesian", id=_DROP), ("'id'", "missing")),
    "empty sensor id": (_with("cartesian", sensor_id=""), ("'sensor_id'",)),
    "missing time": (_with("cartesian", time=_DROP), ("'time'", "missing")),
    "time not utc": (_with("cartesian", time="2026-11-23T21:04:05+03:00"), ("'time'", "UTC")),
    "time naive": (_with("cartesian", time="2026-11-23T21:04:05"), ("'time'", "time zone")),
    "time a number": (_with("cartesian", time=1763931845), ("'time'",)),
    "unknown class": (_with("cartesian", **{"class": "tank"}), ("'class'", "tank")),
    "missing class": (_with("cartesian", **{"class": _DROP}), ("'class'", "missing")),
    "conf above one": (_with("cartesian", class_conf=1.5), ("'class_conf'",)),
    "conf a string": (_with("cartesian", class_conf="high"), ("'class_conf'", "number")),
    "lat out of range": (_with("cartesian", lat=95.0), ("'lat'", "outside")),
    "lon out of range": (_with("cartesian", lon=-181.0), ("'lon'",)),
    "lat a bool": (_with("cartesian", lat=True), ("'lat'", "number")),
    "sigma zero": (_with("cartesian", sigma_m=0.0), ("'sigma_m'",)),
    "half cartesian": (_with("cartesian", sigma_m=_DROP), ("'sigma_m'", "missing")),
    "no position": (_with("cartesian", lat=_DROP, lon=_DROP, sigma_m=_DROP), ("'lat'", "missing")),
    "half polar": (_with("polar", sigma_bearing_deg=_DROP), ("'sigma_bearing_deg'", "missing")),
    "negative range": (_with("polar", range_m=-5.0), ("'range_m'",)),
    "negative speed": (_with("polar", speed_mps=-1.0), ("'speed_mps'",)),
    "extra not object": (_with("polar", extra=[1]), ("'extra'",)),
    "heartbeat no sensor": (_with("heartbeat", sensor_id=_DROP), ("'sensor_id'",)),
    "truth bad role": (_with("truth", role="tourist"), ("'role'", "tourist")),
    "truth bad lat": (_with("truth", lat="north"), ("'lat'",)),
    "event bad direction": (_with("truth_event", direction="sideways"), ("'direction'",)),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_bad_line_is_reported_with_line_number_and_reason_and_the_stream_goes_on(case: str) -> None:
    bad, words = BAD_LINES[case]
    good = [json.dumps(GOOD["cartesian"]), json.dumps(GOOD["truth"])]
    reader = RecordReader([good[0] + "\n", bad + "\n", "\n", good[1] + "\n"], name="feed.jsonl")
    records = list(reader)
    assert [type(r) for r in records] == [Detection, TruthState]
    assert reader.good_count == 2
    assert len(reader.bad) == 1
    (line,) = reader.bad
    assert (line.source, line.line) == ("feed.jsonl", 2)
    for word in words:
        assert word in line.reason, (word, line.reason)


def test_reason_names_the_record_by_its_id() -> None:
    with pytest.raises(FormatError, match=r"detection 'cam-17:000123': field 'lat'"):
        parse_line(_with("cartesian", lat=91.0))


def test_reader_from_a_file_survives_broken_utf8_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    good = json.dumps(GOOD["cartesian"]).encode()
    path.write_bytes(good + b"\n" + b'{"type": "heartbeat", "sensor_id": "\xff\xfe"}\n' + good + b"\n")
    reader = RecordReader(path)
    assert len(list(reader)) == 2
    assert [(b.source, b.line) for b in reader.bad] == [(str(path), 2)]
    assert "UTF-8" in reader.bad[0].reason


def test_reader_can_drop_resent_detection_ids() -> None:
    line = json.dumps(GOOD["cartesian"]) + "\n"
    reader = RecordReader([line, line, json.dumps(GOOD["polar"])], skip_duplicate_ids=True)
    assert [r.id for r in reader if isinstance(r, Detection)] == ["cam-17:000123", "tw-3:9"]
    assert reader.duplicates == 1


def test_writer_leaves_out_missing_optionals_and_keeps_unicode() -> None:
    record = Heartbeat("برج-1", 0.0)
    buffer = io.StringIO()
    write_jsonl([record, TruthEvent("border_crossing", "t-1", 1.0, 34.0, 41.0, None)], buffer)
    first, second = buffer.getvalue().splitlines()
    assert json.loads(first) == {"type": "heartbeat", "sensor_id": "برج-1", "time": "1970-01-01T00:00:00.000Z"}
    assert "برج" in first
    assert "direction" not in json.loads(second)


def test_format_time_rejects_nan() -> None:
    with pytest.raises(FormatError):
        format_time(math.nan)
