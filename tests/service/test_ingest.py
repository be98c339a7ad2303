"""Ingest under concurrency: requests that queue behind a write are committed together, with exact
duplicate counts, and one batch whose write fails costs only its own request (both backends)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from borderwatch.geo import BorderModel
from borderwatch.sensors.formats import Detection
from borderwatch.service import ingest
from borderwatch.service.ingest import IngestResult
from borderwatch.store.models import DetectionRow, SensorHealthRow
from tests.service.conftest import ServiceFactory, crossing


def test_group_commit_counts_exactly_and_isolates_a_failing_batch(
    make_service: ServiceFactory, border_model: BorderModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service(fusion=False)
    one, two = (s.properties.id for s in border_model.sensors[:2])
    track = crossing(border_model, one, prefix="a", points=15)
    batches = {
        "first": (one, track[:10]),
        "overlapping": (one, track[5:]),  # a5..a9 sent again
        "other sensor": (two, crossing(border_model, two, prefix="b", points=10, km=300.0)),
        "poisoned": (two, crossing(border_model, two, prefix="poison", points=3, km=310.0)),
    }
    real_insert = ingest.insert_new_detections

    def failing_insert(connection: Any, rows: Any) -> set[str]:
        if any(row[0].startswith("poison") for row in rows):
            raise RuntimeError("disk full")
        return real_insert(connection, rows)

    monkeypatch.setattr(ingest, "insert_new_detections", failing_insert)
    results: dict[str, IngestResult | Exception] = {}

    def send(name: str) -> None:
        sensor, items = batches[name]
        try:
            results[name] = service.ingest(items, sensor)
        except Exception as exc:
            results[name] = exc

    threads = [threading.Thread(target=send, args=(name,)) for name in batches]
    writer = service.ingest_writer
    queued = sum(len(items) for _, items in batches.values())
    with writer.hold:  # a write in progress: every request queues behind it
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while writer.pending < queued and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.pending == queued
    for thread in threads:
        thread.join(timeout=20)

    first, overlapping, other = (results[n] for n in ("first", "overlapping", "other sensor"))
    assert isinstance(first, IngestResult) and isinstance(overlapping, IngestResult)
    assert isinstance(other, IngestResult)
    assert first.accepted + overlapping.accepted == 15
    assert first.duplicates + overlapping.duplicates == 5
    assert (other.accepted, other.duplicates) == (10, 0)
    poisoned = results["poisoned"]
    assert isinstance(poisoned, RuntimeError) and "disk full" in str(poisoned)
    with service.read() as session:
        assert session.scalar(select(func.count()).select_from(DetectionRow)) == 25
        health = {row.sensor_id: row.detections for row in session.scalars(select(SensorHealthRow))}
    assert health == {one: 15, two: 10}


def test_fusion_lag_comes_from_the_settings(tmp_path: Any, border_model: BorderModel) -> None:
    from borderwatch.fusion import Tracker, TrackerParams
    from borderwatch.service import Service, load_settings

    settings = load_settings(environ={"BORDERWATCH_FUSION_LAG_S": "0.35"}, data_dir=tmp_path)
    live = Service(settings, model=border_model)
    default = Service(load_settings(environ={}, data_dir=tmp_path / "other"), model=border_model)
    try:
        assert isinstance(live.tracker, Tracker) and isinstance(default.tracker, Tracker)
        assert live.tracker.params.lag_s == 0.35
        assert default.tracker.params.lag_s == 0.2  # the service's default for a live feed
    finally:
        live.engine.dispose()
        default.engine.dispose()
    (tmp_path / "own.yaml").write_text("fusion_lag_s: null\n")
    own = Service(load_settings(tmp_path / "own.yaml", environ={}, data_dir=tmp_path / "own"), model=border_model)
    try:  # null: the tracker's own lag
        assert isinstance(own.tracker, Tracker) and own.tracker.params.lag_s == TrackerParams().lag_s
    finally:
        own.engine.dispose()


def test_a_full_write_queue_refuses_with_429_and_stores_nothing_of_that_batch(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    from borderwatch.api.server import running_server

    service = make_service(fusion=False)
    sensor = border_model.sensors[0].properties.id
    key = service.issue_sensor_key(sensor, "test")
    writer = service.ingest_writer
    writer.max_pending = 5
    queued, refused = crossing(border_model, sensor, prefix="q", points=4), crossing(border_model, sensor, prefix="r")
    with running_server(service) as server, httpx.Client(base_url=server.url, timeout=20) as http:
        headers = {"X-Sensor-Key": key}
        results: list[httpx.Response] = []
        with writer.hold:  # a write in progress: the first batch waits in the queue
            first = threading.Thread(target=lambda: results.append(
                http.post("/api/v1/detections", json=queued, headers=headers)))  # fmt: skip
            first.start()
            deadline = time.monotonic() + 10
            while writer.pending < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            busy = http.post("/api/v1/detections", json=refused, headers=headers)
        first.join(timeout=20)
        assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"].startswith("application/problem+json") and "retry" in busy.json()["detail"]
        assert results[0].status_code == 200 and results[0].json()["accepted"] == 4
        again = http.post("/api/v1/detections", json=refused, headers=headers)  # the client's retry is taken
        assert again.status_code == 200 and again.json()["accepted"] == len(refused)
    with service.read() as session:
        ids = set(session.scalars(select(DetectionRow.id)))
    assert ids == {d["id"] for d in queued + refused}


def test_a_nul_character_refuses_only_its_item(make_service: ServiceFactory, border_model: BorderModel) -> None:
    service = make_service(fusion=False)
    sensor = border_model.sensors[0].properties.id
    items = crossing(border_model, sensor, prefix="n", points=3)
    items[1] = items[1] | {"id": "n-\u0000-1"}  # PostgreSQL text cannot hold NUL; SQLite could
    result = service.ingest(items, sensor)
    assert result.accepted == 2 and [(r.index, "NUL" in r.reason) for r in result.rejected] == [(1, True)]


def test_every_field_is_stored_as_sent_and_a_repeat_is_counted_once(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    service = make_service(fusion=False)
    sensor = border_model.sensors[0].properties.id
    cartesian = crossing(border_model, sensor, prefix="f", points=2)
    cartesian[0] |= {"speed_mps": 1.5, "heading_deg": -90, "extra": {"plate": "بغداد 12", "n": [1, 2.5, None]}}
    polar = {"type": "detection", "id": "f-polar", "sensor_id": sensor, "time": cartesian[1]["time"],
             "class": "person", "class_conf": 0.5, "range_m": 1200.0, "bearing_deg": -10.0, "sigma_range_m": 20.0,
             "sigma_bearing_deg": 0.5}  # fmt: skip
    first = service.ingest([*cartesian, polar, cartesian[1]], sensor)
    again = service.ingest([cartesian[0]], sensor)
    assert (first.accepted, first.duplicates, again.accepted, again.duplicates) == (3, 1, 0, 1)
    with service.read() as session:
        stored = {row.id: row for row in session.scalars(select(DetectionRow))}
    assert sorted(stored) == ["f-polar", "f0", "f1"]
    f0, p = stored["f0"], stored["f-polar"]
    assert (f0.lat, f0.lon, f0.speed_mps, f0.heading_deg) == (cartesian[0]["lat"], cartesian[0]["lon"], 1.5, 270.0)
    assert f0.extra == {"plate": "بغداد 12", "n": [1, 2.5, None]} and stored["f1"].extra is None
    assert (p.lat, p.range_m, p.bearing_deg, p.sigma_bearing_deg, p.object_class) == (None, 1200.0, 350.0, 0.5,
                                                                                     "person")  # fmt: skip


def test_bulk_insert_takes_integers_among_floats(make_service: ServiceFactory) -> None:
    from borderwatch.store.bulk import insert_new_detections

    service = make_service(fusion=False)
    rows = [
        ("i1", "T1", 1.5, "person", 1, 34, 41.25, 15, None, None, None, None, 0, None, None, 2),
        ("i2", "T1", 2.0, "person", 0.5, 34.5, 41, 15.0, None, None, None, None, None, None, {"k": 1}, 2.0),
    ]
    with service.engine.begin() as connection:
        assert insert_new_detections(connection, rows) == {"i1", "i2"}
        assert insert_new_detections(connection, rows[:1]) == set()
    with service.read() as session:
        stored = {row.id: (row.class_conf, row.lat, row.lon, row.speed_mps, row.extra)
                  for row in session.scalars(select(DetectionRow))}  # fmt: skip
    assert stored == {"i1": (1.0, 34.0, 41.25, 0.0, None), "i2": (0.5, 34.5, 41.0, None, {"k": 1})}


def test_bulk_insert_of_many_shapes_and_sizes_stores_each_row_as_given_and_names_only_the_new(
    make_service: ServiceFactory,
) -> None:
    from borderwatch.store.bulk import DETECTION_COLUMNS, insert_new_detections

    service = make_service(fusion=False)

    def row(n: int) -> tuple[Any, ...]:
        # Cartesian, polar or both; speed, heading and extra present or not: many NULL patterns.
        cartesian = (34.0 + n / 1e4, 41.0 - n / 1e4, 15.5) if n % 3 != 1 else (None, None, None)
        polar = (100.0 + n, (n * 7.5) % 360.0, 10.0, 0.25) if n % 3 != 0 else (None, None, None, None)
        return (f"r{n}", f"S{n % 4}", 1000.0 + n, "person", 0.5, *cartesian, *polar,
                float(n % 5) if n % 2 else None, 90.0 if n % 7 == 0 else None, {"n": n} if n % 11 == 0 else None,
                5.0)  # fmt: skip

    earlier = [row(n) for n in range(0, 700, 3)]
    rows = [row(n) for n in range(700)]
    with service.engine.begin() as connection:
        assert insert_new_detections(connection, earlier) == {r[0] for r in earlier}
    with service.engine.begin() as connection:
        assert insert_new_detections(connection, rows) == {r[0] for r in rows} - {r[0] for r in earlier}
    with service.read() as session:
        stored = {r.id: tuple(getattr(r, c) for c in DETECTION_COLUMNS) for r in session.scalars(select(DetectionRow))}
    assert stored == {r[0]: r for r in rows}


def test_track_points_are_stored_as_given_whatever_the_number_types(make_service: ServiceFactory) -> None:
    import numpy as np

    from borderwatch.store.bulk import insert_track_points
    from borderwatch.store.models import TrackPointRow

    service = make_service(fusion=False)
    points = [
        {"track_id": "t1", "time": 1.5, "lat": np.float64(34.25), "lon": 41, "speed_mps": 0, "heading_deg": 90.0,
         "status": "confirmed"},
        {"track_id": "t2", "time": 2.0, "lat": 34.5, "lon": 41.5, "speed_mps": 1.25, "heading_deg": np.float64(180),
         "status": "tentative"},
    ]  # fmt: skip
    with service.engine.begin() as connection:
        insert_track_points(connection, points)
    with service.read() as session:
        stored = sorted((r.track_id, r.time, r.lat, r.lon, r.speed_mps, r.heading_deg, r.status)
                        for r in session.scalars(select(TrackPointRow)))  # fmt: skip
    assert stored == [
        ("t1", 1.5, 34.25, 41.0, 0.0, 90.0, "confirmed"),
        ("t2", 2.0, 34.5, 41.5, 1.25, 180.0, "tentative"),
    ]


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "vehicle", "person", "animal", "unknown", "T1", "2026-11-23T21:00:00Z",
                     "2026-11-23T21:00:00.250+00:00", "2026-11-23T21:00:00", "2026-11-23T21:00:00+01:00", "x"]),
    st.just({"k": 1}), st.just([1]),
)  # fmt: skip
_FIELDS = ("id", "sensor_id", "time", "class", "class_conf", "lat", "lon", "sigma_m", "speed_mps", "heading_deg",
           "extra", "range_m", "bearing_deg", "sigma_range_m", "sigma_bearing_deg")  # fmt: skip
_GOOD = {"type": "detection", "id": "d1", "sensor_id": "T1", "time": "2026-11-23T21:00:00.250Z", "class": "vehicle",
         "class_conf": 0.5, "lat": 34.0, "lon": 41.0, "sigma_m": 15.0}  # fmt: skip
# A tower camera's or radar's report: range and bearing from the sensor, no lat/lon.
_POLAR_GOOD = {"type": "detection", "id": "p1", "sensor_id": "T1", "time": "2026-11-23T21:00:00.250Z",
               "class": "person", "class_conf": 0.75, "range_m": 1234.5, "bearing_deg": 271.25, "sigma_range_m": 10.0,
               "sigma_bearing_deg": 0.5}  # fmt: skip
_DETECTIONS = st.sampled_from([_GOOD, _POLAR_GOOD, _GOOD | _POLAR_GOOD])
_POLAR_VALUES = st.one_of(
    _VALUES, st.sampled_from([0, 0.0, -0.0, 180, 180.0, 180.5, 359.9, 360, 360.5, -360, -360.5, 1e308, 5e-324]),
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(_DETECTIONS, st.dictionaries(st.sampled_from(_FIELDS), _POLAR_VALUES, max_size=6))
def test_the_common_detection_fast_path_agrees_with_parse_record(good: dict[str, Any], changes: dict[str, Any]) -> None:
    from borderwatch.sensors.formats import FormatError, parse_record

    item = good | changes
    fast = ingest._common_detection(item)
    try:
        full = parse_record(item)
    except FormatError:
        assert fast is None  # a bad item is always left to parse_record, which names the field
        return
    assert fast is None or fast == full


def test_the_fast_path_takes_the_common_shapes() -> None:
    from borderwatch.sensors.formats import parse_record

    for item in (_GOOD, _GOOD | {"lat": 34, "class_conf": 1, "speed_mps": 3, "heading_deg": -90, "extra": {"a": 1}},
                 _POLAR_GOOD,
                 _POLAR_GOOD | {"range_m": 0, "bearing_deg": -90, "sigma_bearing_deg": 180, "speed_mps": 2.5},
                 _GOOD | _POLAR_GOOD):  # fmt: skip
        fast = ingest._common_detection(item)
        assert fast is not None and fast == parse_record(item)


_HEARTBEAT = {"type": "heartbeat", "sensor_id": "T1", "time": "2026-11-23T21:00:01Z", "status": "ok"}
_HEARTBEAT_FIELDS = ("sensor_id", "time", "status", "type")


def _careful(body: bytes, sensor: str | None) -> tuple[list[Any], IngestResult]:
    result = IngestResult()
    return ingest.parse_items(orjson.loads(body), sensor, result), result


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(_DETECTIONS, st.dictionaries(st.sampled_from(_FIELDS), _POLAR_VALUES, max_size=4)).map(
                lambda gc: gc[0] | gc[1]
            ),
            st.dictionaries(st.sampled_from(_HEARTBEAT_FIELDS), _VALUES, max_size=2).map(lambda c: _HEARTBEAT | c),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["T1", None]),
    st.booleans(),
)
def test_the_batch_fast_path_agrees_with_the_careful_one(items: list[dict[str, Any]], sensor: str | None,
                                                         lines: bool) -> None:  # fmt: skip
    body = b"\n".join(orjson.dumps(i) for i in items) if lines else orjson.dumps(items)
    fast = ingest.fast_records(body, sensor, lines=lines)
    careful, result = _careful(orjson.dumps(items), sensor)
    if fast is not None:  # taken: exactly what the careful path makes, and nothing it would refuse or skip
        assert not result.rejected and not result.ignored
        assert list(fast) == careful
        assert ingest.parse_items(fast, sensor, IngestResult()) == careful


def test_the_fast_detection_builder_makes_the_same_detection() -> None:
    from borderwatch.sensors.formats import Detection

    no_polar = (None, None, None, None)
    for position, optional in (
        ((34.0, 41.0, 15.0, *no_polar), (None, None, None)),
        ((34.0, 41.0, 15.0, *no_polar), (1.5, 270.0, {"a": 1})),
        ((None, None, None, 1200.0, 45.0, 10.0, 0.5), (2.0, None, None)),
        ((34.0, 41.0, 15.0, 1200.0, 45.0, 10.0, 0.5), (None, 90.0, {"b": [1]})),
    ):
        fast = ingest._detection("d1", "T1", 1.25, "person", 0.5, *position, *optional)
        names = ("lat", "lon", "sigma_m", "range_m", "bearing_deg", "sigma_range_m", "sigma_bearing_deg",
                 "speed_mps", "heading_deg", "extra")  # fmt: skip
        slow = Detection("d1", "T1", 1.25, "person", 0.5, **dict(zip(names, (*position, *optional), strict=True)))
        assert fast == slow and repr(fast) == repr(slow) and type(fast) is Detection
        if fast.extra is None:
            assert hash(fast) == hash(slow)
    with pytest.raises(AttributeError):  # still frozen
        fast.lat = 0.0  # type: ignore[misc]


def test_the_batch_fast_path_takes_the_common_shapes_and_leaves_doubts_to_the_careful_one() -> None:
    good = [_GOOD, _GOOD | {"id": "d2", "lat": 34, "class_conf": 1, "speed_mps": 3, "heading_deg": -90,
                            "extra": {"a": [1, "x"], "big": 1}}, _HEARTBEAT,
            _POLAR_GOOD, _POLAR_GOOD | {"id": "p2", "range_m": 0, "bearing_deg": -45.5, "sigma_bearing_deg": 180,
                                        "elevation_deg": 1.5, "speed_mps": 4.0, "heading_deg": 400 - 41},
            _GOOD | _POLAR_GOOD | {"id": "b1"}]  # fmt: skip
    # An integer beyond 64 bits in extra: orjson (the careful path) reads it as a float; so must the fast one.
    body = orjson.dumps(good).replace(b'"big":1', b'"big":123456789012345678901234567890')
    fast = ingest.fast_records(body, "T1")
    careful, result = _careful(body, "T1")
    assert fast is not None and list(fast) == careful and len(careful) == 6 and result.received == 6
    assert [d.is_polar for d in careful if isinstance(d, Detection)] == [False, False, True, True, False]
    assert careful[4].bearing_deg == 314.5 and careful[4].range_m == 0.0  # type: ignore[union-attr]
    assert ingest.fast_records(body[1:-1].replace(b"},{", b"}\n{") + b"\n\n", "T1", lines=True) == careful
    doubtful = {
        "another sensor": [_GOOD | {"sensor_id": "T2"}],
        "NUL in a field": [_GOOD | {"id": "d\u0000"}],
        "polar form half given": [_GOOD | {"range_m": 100.0}],
        "cartesian form half given": [_POLAR_GOOD | {"lat": 34.0, "lon": 41.0}],
        "no position": [{k: v for k, v in _GOOD.items() if k not in ("lat", "lon", "sigma_m")}],
        "sigma_bearing_deg over 180": [_POLAR_GOOD | {"sigma_bearing_deg": 180.5}],
        "negative range": [_POLAR_GOOD | {"range_m": -1.0}],
        "time not ISO UTC": [_GOOD | {"time": "2026-11-23T21:00:00+01:00"}],
        "truth record": [_GOOD, {"type": "truth", "truth_id": "m1"}],
        "blank id": [_GOOD | {"id": "  "}],
        "a bool for a number": [_GOOD | {"lat": True}],
        "extra not an object": [_GOOD | {"extra": [1]}],
    }
    for name, items in doubtful.items():
        assert ingest.fast_records(orjson.dumps(items), "T1") is None, name
    # Two "type" keys in one object: msgspec would read the first, orjson (the careful path) the last.
    twice = orjson.dumps([_HEARTBEAT]).replace(b'"type":"heartbeat"', b'"type":"heartbeat","type":"detection"')
    assert ingest.fast_records(twice, "T1") is None
    assert ingest.fast_records(b'{"not": "an array"}', "T1") is None
    assert ingest.fast_records(b"[1, 2", "T1") is None


def test_a_full_write_queue_holds_a_websocket_stream_back_and_loses_nothing(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    import json

    from websockets.sync.client import connect

    from borderwatch.api.server import running_server

    service = make_service(fusion=False)
    sensor = border_model.sensors[0].properties.id
    key = service.issue_sensor_key(sensor, "test")
    writer = service.ingest_writer
    writer.max_pending = 5
    first, second = crossing(border_model, sensor, prefix="w1", points=4), crossing(border_model, sensor, prefix="w2")
    with running_server(service) as server:
        url = server.url.replace("http", "ws") + "/api/v1/ingest/ws"
        with connect(url, additional_headers={"X-Sensor-Key": key}) as ws:
            with writer.hold:  # a write in progress: the first message waits in the queue, the second cannot join it
                ws.send(json.dumps(first))
                deadline = time.monotonic() + 10
                while writer.pending < 4 and time.monotonic() < deadline:
                    time.sleep(0.01)
                ws.send(json.dumps(second))
                time.sleep(0.3)
                assert writer.pending == 4  # the second message is held back, not refused or dropped
            reports = [json.loads(ws.recv(timeout=20)) for _ in range(2)]
    assert [r["accepted"] for r in reports] == [4, len(second)]
    with service.read() as session:
        assert session.scalar(select(func.count()).select_from(DetectionRow)) == 4 + len(second)


def test_a_broker_outage_after_the_commit_does_not_keep_detections_from_fusion(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    from borderwatch.bus import BusError, MemoryBus

    class BrokerDownForIngest(MemoryBus):
        def publish(self, topic: str, message: Any) -> None:
            if topic == "ingest":
                raise BusError("nats://127.0.0.1:4222 does not answer")
            super().publish(topic, message)

    bus = BrokerDownForIngest()
    alerts: list[Any] = []
    bus.subscribe("alert", alerts.append)
    service = make_service()
    service.bus = bus
    sensor = border_model.sensors[0].properties.id
    service.start()
    try:
        assert service.ingest(crossing(border_model, sensor, prefix="down"), sensor).accepted == 80
        deadline = time.monotonic() + 30
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        service.stop()
    assert alerts, "the committed detections never reached fusion"


def test_the_access_log_leaves_out_accepted_ingest_batches_only() -> None:
    import logging

    from borderwatch.api.server import skip_ingest_lines

    def line(method: str, path: str, status: int) -> logging.LogRecord:
        # As uvicorn's access logger makes it.
        return logging.LogRecord("uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d',
                                 ("127.0.0.1:5000", method, path, "1.1", status), None)  # fmt: skip

    assert not skip_ingest_lines(line("POST", "/api/v1/detections", 200))
    assert not skip_ingest_lines(line("POST", "/api/v1/detections?x=1", 200))
    for kept in (line("POST", "/api/v1/detections", 422), line("POST", "/api/v1/detections", 401),
                 line("GET", "/api/v1/alerts", 200), line("POST", "/api/v1/detections/other", 200)):  # fmt: skip
        assert skip_ingest_lines(kept)
    assert skip_ingest_lines(logging.LogRecord("uvicorn.access", logging.INFO, "x", 1, "free text", None, None))


def test_the_ingest_route_answers_ahead_of_the_middleware_as_through_it(
    make_service: ServiceFactory, border_model: BorderModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from borderwatch.api import app as api_app
    from borderwatch.api.server import running_server

    service = make_service(fusion=False)
    sensor = border_model.sensors[0].properties.id
    key = service.issue_sensor_key(sensor, "test")
    batch = crossing(border_model, sensor, prefix="lane", points=3)
    problem = "application/problem+json"
    with running_server(service) as server, httpx.Client(base_url=server.url, timeout=20) as http:
        app = server.server.config.app
        lane, taken = app.ingest_lane, []

        async def counted(scope: Any, receive: Any, send: Any) -> None:
            taken.append(scope["path"])
            await lane(scope, receive, send)

        monkeypatch.setattr(app, "ingest_lane", counted)
        good = http.post("/api/v1/detections", json=batch, headers={"X-Sensor-Key": key})
        assert good.status_code == 200 and good.json()["accepted"] == 3
        unknown = http.post("/api/v1/detections", json=batch, headers={"X-Sensor-Key": "nope"})
        assert unknown.status_code == 401 and unknown.headers["content-type"].startswith(problem)
        assert unknown.json()["instance"] == "/api/v1/detections"
        assert 'borderwatch_ingest_refused_total{why="unauthorized"} 1.0' in http.get("/metrics").text
        # A body over the limit, with or without Content-Length: 413, nothing read past the limit.
        monkeypatch.setattr(api_app, "MAX_BODY_BYTES", 1000)
        body = orjson.dumps(crossing(border_model, sensor, prefix="big", points=20))
        for content in (body, iter([body[:600], body[600:]])):  # bytes, then chunked
            big = http.post("/api/v1/detections", content=content, headers={"X-Sensor-Key": key})
            assert big.status_code == 413 and big.headers["content-type"].startswith(problem), big.text
        monkeypatch.setattr(api_app, "MAX_BODY_BYTES", 64 << 20)

        def broken(items: Any, sensor_id: str | None) -> Any:
            raise RuntimeError("the writer is gone")

        monkeypatch.setattr(service, "submit_ingest", broken)
        crash = http.post("/api/v1/detections", json=batch, headers={"X-Sensor-Key": key})
        assert crash.status_code == 500 and crash.json()["detail"] == "RuntimeError: the error is logged"
        assert taken == ["/api/v1/detections"] * 5
    with service.read() as session:
        assert set(session.scalars(select(DetectionRow.id))) == {"lane0", "lane1", "lane2"}
