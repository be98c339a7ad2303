"""The path from a stored detection to a pushed alert: track history written later in batches (and
never regressing), records still queued inside the service never skipped as late, and the latency
split by stage; on both backends."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from borderwatch.fusion.types import TrackState
from borderwatch.geo import BorderModel
from borderwatch.sensors.formats import format_time
from borderwatch.service.core import STAGES, Service
from borderwatch.service.history import TrackHistory
from borderwatch.store.models import TrackPointRow, TrackRow
from tests.service.conftest import NIGHT, ServiceFactory, crossing


def state(track_id: str, t: float, lat: float = 34.0, status: Any = "confirmed") -> TrackState:
    return TrackState(track_id=track_id, time=t, lat=lat, lon=41.0, object_class="vehicle", class_prob=0.9,
                      speed_mps=3.0, heading_deg=90.0, status=status, sector="s1", km=10.0)  # fmt: skip


def clocked_service(make_service: ServiceFactory) -> tuple[Service, list[float]]:
    """A service (fusion lag 0.5 s) whose clock is `now[0]`, set by the test."""
    service = make_service(fusion_lag_s=0.5)
    now = [NIGHT]
    service.clock = lambda: now[0]
    return service, now


def skipped_by_reason(service: Service) -> dict[str, float]:
    """What the tracker skipped so far, by reason (the service's counter)."""
    return {
        s.labels["reason"]: s.value for m in service.m_skipped.collect() for s in m.samples if s.name.endswith("_total")
    }


def test_track_history_is_batched_skips_unchanged_states_and_never_regresses(make_service: ServiceFactory) -> None:
    service = make_service(fusion=False)
    history = TrackHistory(service.engine, period_s=60.0)  # nothing written before close() unless taken
    a1, a2, b1 = state("A", 1.0), state("A", 2.0, lat=34.001), state("B", 1.0)
    history.add([a1, a1, b1, a2])  # the repeated a1 is no change
    taken = history.take(["B"])
    assert taken == [b1] and history.pending == 2
    history.close()
    with service.read() as session:
        points = session.execute(select(TrackPointRow.track_id, TrackPointRow.time).order_by(TrackPointRow.id)).all()
        assert [tuple(p) for p in points] == [("A", 1.0), ("A", 2.0)]  # B was handed to the caller
        row = session.get(TrackRow, "A")
        assert row is not None and (row.first_time, row.time, row.lat) == (1.0, 2.0, 34.001)

    # A writer holding an older state stores it after a newer one: the track keeps the newer state.
    late = TrackHistory(service.engine, period_s=60.0)
    late.add([replace(a1, lat=35.0)])
    late.close()
    with service.read() as session:
        row = session.get(TrackRow, "A")
        assert row is not None and (row.time, row.lat, row.first_time) == (2.0, 34.001, 1.0)


def test_records_queued_inside_the_service_are_not_skipped_as_late(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    service, now = clocked_service(make_service)
    sensor = border_model.sensors[0].properties.id
    batch = crossing(border_model, sensor, prefix="q", points=40)  # one detection every 5 s from NIGHT
    first, second = batch[:20], batch[20:]

    # Live: each scan arrives when it is over, so the data clock runs with the wall clock.
    now[0] = NIGHT + 95.0
    assert service.ingest(first, sensor).accepted == 20
    service.fuse([service._queue.get_nowait()])
    # The next scan arrives on time but waits in the write queue while the clock runs on 10 s;
    # a clock tick meanwhile must not move the tracker's horizon past it.
    with service.ingest_writer.hold:
        now[0] = NIGHT + 195.0
        pending = service.submit_ingest(second, sensor)
        now[0] += 10.0
        service.fuse([])
    assert pending.result(timeout=30).accepted == 20
    service.fuse([service._queue.get_nowait()])
    skipped = skipped_by_reason(service)
    assert skipped.get("late", 0.0) == 0.0
    assert service._unfused_from() == float("inf")  # every handle released once fusion took its batch


def test_alert_latency_is_split_into_stages_that_add_up(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    service = make_service(fusion_lag_s=0.5)
    sensor = border_model.sensors[0].properties.id
    service.start()
    try:
        assert service.ingest(crossing(border_model, sensor, prefix="lat"), sensor).accepted == 80
    finally:
        service.stop()  # the queued batch is fused before the fusion thread ends
    assert service.latencies, "the crossing raised no alert"
    for i, total in enumerate(service.latencies):
        parts = [service.stage_latencies[s][i] for s in STAGES]
        assert all(p >= 0.0 for p in parts)
        assert abs(sum(parts) - total) < 1e-6
    with service.read() as session:  # the deferred track history was stored on stop
        assert session.scalar(select(func.count()).select_from(TrackPointRow)) > 10


def test_a_burst_of_alerts_is_stored_and_pushed_in_slices_each_with_its_tracks(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    from borderwatch.fusion.types import BorderEvent
    from borderwatch.service.core import ALERT_SLICE_EVENTS, _FusionCall
    from borderwatch.store.models import AlertRow

    service = make_service(fusion=False)
    pushed: list[tuple[str, Any]] = []
    stored_when_pushed: list[int] = []

    def on_alert(alert: dict[str, Any]) -> None:  # the in-process bus calls it on the publishing thread
        pushed.append(("alert", alert["track_ids"][0]))
        with service.read() as session:
            stored_when_pushed.append(session.scalar(select(func.count()).select_from(AlertRow)) or 0)

    service.bus.subscribe("alert", on_alert)
    service.bus.subscribe("track", lambda t: pushed.append(("track", t["track_id"])))
    count = 2 * ALERT_SLICE_EVENTS + 5
    states = [state(f"T{i}", NIGHT + i, lat=34.0 + i * 1e-4) for i in range(count)]
    events = [
        BorderEvent(event_id=f"e{i}", type="barrier_breach", time=NIGHT + i, lat=34.0, lon=41.0, track_ids=(f"T{i}",),
                    object_class="vehicle", class_prob=0.9, sector=None, km=5.0, direction="inbound")
        for i in range(count)
    ]  # fmt: skip
    service.history.add(states)  # as fuse() hands them over
    service._store_calls([_FusionCall(states, events, {}, NIGHT, NIGHT)])
    with service.read() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow)) == count
        assert session.scalar(select(func.count()).select_from(TrackRow)) == count  # every alert's track
    # The first slice's alerts went out before the next slice was stored; each after its own track.
    assert stored_when_pushed[0] == ALERT_SLICE_EVENTS and stored_when_pushed[-1] == count
    alerts = [t for kind, t in pushed if kind == "alert"]
    assert len(alerts) == count and alerts[0] == "T0"
    for track in alerts:
        assert pushed.index(("track", track)) < pushed.index(("alert", track))
    assert service.m_alerts.labels("P1")._value.get() == count


def test_alert_latency_counts_from_the_data_the_tracker_released_not_from_the_event_time() -> None:
    from borderwatch.service.core import _Batch, _origin

    old = _Batch([], received_at=100.0, oldest=1000.0, newest=1001.0)  # still held back by the lag
    new = _Batch([], received_at=130.0, oldest=1030.0, newest=1031.0)  # released in this call
    late = _Batch([], received_at=131.0, oldest=1020.0, newest=1021.0)  # arrived now, out of sequence
    # A crossing raised when its track was confirmed at 1031 but dated at 1000.5, when it crossed:
    # the tracker knew of it from this call's data, so its latency runs from that data's receipt.
    assert _origin([new], [old, new], reported=1031.0) is new
    # The earliest receipt among the released data up to the event's report counts (never less).
    assert _origin([new, late], [old, new, late], reported=1031.0) is new
    assert _origin([late], [old, late], reported=1025.0) is late
    # Nothing released covers it (an event from a clock tick alone): the oldest batch held.
    assert _origin([], [old, new], reported=1031.0) is old


def test_a_sensor_whose_clock_runs_far_ahead_does_not_blind_fusion(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    from borderwatch.store.models import AlertRow

    service, now = clocked_service(make_service)
    honest, broken = (s.properties.id for s in border_model.sensors[:2])
    scans = crossing(border_model, honest, prefix="h", points=80)  # one detection every 5 s from NIGHT
    wrong = {**scans[0], "id": "w0", "sensor_id": broken, "time": format_time(NIGHT + 86_400.0)}  # a day ahead
    for i, detection in enumerate(scans):
        now[0] = NIGHT + 5.0 * i + 0.3  # live: each scan arrives when it is over
        if i == 10:
            assert service.ingest([wrong], broken).accepted == 1
            service.fuse([service._queue.get_nowait()])
        assert service.ingest([detection], honest).accepted == 1
        service.fuse([service._queue.get_nowait()])
    skipped = skipped_by_reason(service)
    assert skipped.get("ahead_of_clock") == 1.0 and skipped.get("late", 0.0) == 0.0
    with service.read() as session:
        assert "border_crossing" in session.scalars(select(AlertRow.type)).all()


def test_a_replay_faster_than_real_time_is_fused_whole(make_service: ServiceFactory, border_model: BorderModel) -> None:
    from borderwatch.store.models import AlertRow

    service, now = clocked_service(make_service)
    sensors = [s.properties.id for s in border_model.sensors[:5]]
    # One mover seen every 5 s, replayed at 100x, by two sensors in turn; three others posted at the start
    # and had nothing more to report. A sensor's offset (data time minus receipt) falls 99 s behind for
    # each wall second since its last post, so most offsets are soon minutes behind (their median too).
    scans = crossing(border_model, sensors[0], prefix="r", points=160)
    for i, detection in enumerate(scans):
        sensor = sensors[2 + i] if i < 3 else sensors[i % 2]
        now[0] = NIGHT + 5.0 * i / 100.0
        assert service.ingest([{**detection, "sensor_id": sensor}], sensor).accepted == 1
        service.fuse([service._queue.get_nowait()])
    skipped = skipped_by_reason(service)
    assert skipped.get("ahead_of_clock", 0.0) == 0.0 and skipped.get("late", 0.0) == 0.0
    with service.read() as session:
        assert "border_crossing" in session.scalars(select(AlertRow.type)).all()


def test_the_alert_writer_keeps_one_open_alert_per_track_and_type_with_calls_in_flight_and_stop_drains_it(
    make_service: ServiceFactory,
) -> None:
    from borderwatch.fusion.types import BorderEvent
    from borderwatch.service.core import _FusionCall
    from borderwatch.store.models import AlertRow, AuditRow

    service = make_service(fusion_lag_s=0.5)
    stored_when_pushed: list[tuple[int, int]] = []

    def on_alert(alert: dict[str, Any]) -> None:  # on the writer thread: the alert is committed already (calls
        with service.read() as session:  # stored together are pushed after their one commit: maybe further on)
            row = session.get(AlertRow, alert["id"])
            stored_when_pushed.append((row.updates if row else 0, alert["updates"]))

    service.bus.subscribe("alert", on_alert)

    def breach(n: int, track: str) -> BorderEvent:
        return BorderEvent(event_id=f"b{n}", type="barrier_breach", time=NIGHT + n, lat=34.0, lon=41.0,
                           track_ids=(track,), object_class="vehicle", class_prob=0.9, sector=None, km=5.0,
                           direction="inbound")  # fmt: skip

    service.start()
    try:
        # Three calls queue up while the writer is held (another transaction has the store): the second
        # and third name the track the first one opens an alert for, before that alert is committed.
        with service.audit_lock:
            for n, track in enumerate(("A", "A", "B")):
                states = [state(track, NIGHT + n, lat=34.0 + n * 1e-4)]
                service.history.add(states)
                service._outputs.put(_FusionCall(states, [breach(n, track)], {}, NIGHT, NIGHT))
            # Queued or taken by the writer, all three count as not yet through (demo and bench wait on it).
            deadline = time.monotonic() + 10
            while service.fusion_backlog() != 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert service.fusion_backlog() == 3
    finally:
        service.stop()  # returns once everything handed to the writer is stored and pushed
    with service.read() as session:
        alerts = {a.dedup_key: (a.updates, a.event_ids, a.track_ids) for a in session.scalars(select(AlertRow))}
        audited = session.scalars(select(AuditRow.action).where(AuditRow.entity == "alert")).all()
        tracks = session.scalars(select(TrackRow.track_id)).all()
    assert alerts == {"barrier_breach:A": (2, ["b0", "b1"], ["A"]), "barrier_breach:B": (1, ["b2"], ["B"])}
    assert sorted(audited) == ["alert.create", "alert.create", "alert.update"]
    assert sorted(tracks) == ["A", "B"]  # every alert's track is stored with it
    assert len(stored_when_pushed) == 3 and all(stored >= sent >= 1 for stored, sent in stored_when_pushed)
    assert service.fusion_backlog() == 0
