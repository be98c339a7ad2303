"""The tracker on hand-built detections: crossings, ids, clutter, order, duplicates, bad input, classes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from borderwatch.fusion import FusionOutput, Tracker, TrackerParams
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection
from tests.fusion.scenes import cartesian, clutter, path, point, polar, walk


def run(model: BorderModel, detections: list[Detection], chunk: int = 50, **params: float) -> FusionOutput:
    """Feed detections in arrival order, a chunk at a time, as a live feed would."""
    tracker = Tracker(model, TrackerParams(**params) if params else None)  # type: ignore[arg-type]
    out = FusionOutput()
    for i in range(0, len(detections), chunk):
        out.extend(tracker.process(detections[i : i + chunk]))
    out.extend(tracker.flush())
    return out


def confirmed_ids(out: FusionOutput) -> set[str]:
    return {s.track_id for s in out.track_states if s.status == "confirmed"}


def same_picture(a: FusionOutput, b: FusionOutput) -> bool:
    """Same tracks, same events, and the same final positions to within a few metres.

    Batches follow the calls, so states may fall at other times; the picture must not change.
    """
    if len(confirmed_ids(a)) != len(confirmed_ids(b)):
        return False
    if [(e.type, e.direction) for e in a.events] != [(e.type, e.direction) for e in b.events]:
        return False
    la, lb = a.track_states[-1], b.track_states[-1]
    return math.dist((la.lat, la.lon), (lb.lat, lb.lon)) * 111_000 < 5.0


def crossings(out: FusionOutput) -> list[str | None]:
    return [e.direction for e in out.events if e.type == "border_crossing"]


def test_single_straight_crossing_gives_one_track_and_one_inbound_crossing(border_model: BorderModel) -> None:
    t, lat, lon = walk(border_model, 300.0, -1500.0, 1500.0, 1.4)
    out = run(border_model, cartesian(t, lat, lon))  # "cam-x" is not in the configuration: still tracked
    assert len(confirmed_ids(out)) == 1
    assert crossings(out) == ["inbound"]
    event = next(e for e in out.events if e.type == "border_crossing")
    line = border_model.borders[event.sector.split("-")[0]] if event.sector else None
    assert line is not None
    # The crossing is placed on the line, at the km where the walk crossed, when it crossed.
    assert abs(event.km - 300.0) < 0.05  # type: ignore[operator]
    true_time = t[np.argmin(np.abs(t - (t[0] + 1500.0 / 1.4)))]
    assert abs(event.time - true_time) < 20.0
    assert event.reported_time is not None and event.reported_time >= event.time
    assert event.object_class == "person" and event.class_prob is not None and event.class_prob > 0.9


def test_outbound_crossing(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, 800.0, -800.0, 1.5)
    assert crossings(run(toy_model, cartesian(t, lat, lon))) == ["outbound"]


def test_polar_detections_from_a_configured_sensor(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.5)
    out = run(toy_model, polar(toy_model, "tower-1", t, lat, lon))
    assert len(confirmed_ids(out)) == 1
    assert crossings(out) == ["inbound"]
    last = out.track_states[-1]
    assert float(np.hypot(*np.subtract(point(toy_model, 5.0, 800.0), (last.lat, last.lon)))) * 111_000 < 60.0


def test_two_crossing_paths_keep_their_ids(toy_model: BorderModel) -> None:
    a0, a1 = point(toy_model, 4.2, -700.0), point(toy_model, 5.8, 700.0)
    b0, b1 = point(toy_model, 5.8, -700.0), point(toy_model, 4.2, 700.0)
    ta, la, oa = path(a0, a1, 1.5)
    tb, lb, ob = path(b0, b1, 1.5)
    dets = sorted(
        cartesian(ta, la, oa, sensor="s1", seed=1, prefix="a") + cartesian(tb, lb, ob, sensor="s2", seed=2, prefix="b"),
        key=lambda d: d.time,
    )
    out = run(toy_model, dets)
    ids = confirmed_ids(out)
    assert len(ids) == 2
    assert crossings(out) == ["inbound", "inbound"]
    # Each track ends where the walk it started on ends: no swap at the crossing point.
    for track in ids:
        states = [s for s in out.track_states if s.track_id == track and s.status == "confirmed"]
        first, last = states[0], states[-1]
        start_is_a = math.dist((first.lat, first.lon), a0) < math.dist((first.lat, first.lon), b0)
        end = a1 if start_is_a else b1
        assert math.dist((last.lat, last.lon), end) * 111_000 < 100.0


def test_clutter_alone_confirms_no_track(toy_model: BorderModel) -> None:
    # One false detection a second over 64 km²: hundreds of times the simulator's clutter density.
    dets = clutter(toy_model, 5.0, 900, 900.0)
    out = run(toy_model, dets, chunk=500)
    assert confirmed_ids(out) == set()
    assert out.events == []


def test_target_is_found_in_clutter(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -1000.0, 1000.0, 1.4)
    dets = sorted(cartesian(t, lat, lon) + clutter(toy_model, 5.0, 1500, 1500.0), key=lambda d: d.time)
    out = run(toy_model, dets, chunk=500)
    assert crossings(out) == ["inbound"]
    assert len(confirmed_ids(out)) == 1


def test_out_of_order_within_the_lag_is_put_back_in_order(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon, every=1)
    rng = np.random.default_rng(3)
    arrival = np.array([d.time for d in dets]) + rng.uniform(0.0, 1.5, len(dets))  # up to 1.5 s in transit
    shuffled = [dets[i] for i in np.argsort(arrival)]
    assert shuffled != dets
    ordered = run(toy_model, dets, chunk=20, lag_s=2.0)
    out = run(toy_model, shuffled, chunk=20, lag_s=2.0)
    assert out.skipped["late"] == 0
    assert len(confirmed_ids(out)) == 1 and crossings(out) == ["inbound"]
    assert same_picture(out, ordered)


def test_detections_later_than_lag_and_tolerance_are_skipped_and_counted(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon)
    tracker = Tracker(toy_model, TrackerParams(lag_s=1.0, late_s=5.0))
    out = tracker.process(dets[:200])
    released = tracker.processed_until
    too_late = dataclasses.replace(dets[10], id="too-late")
    assert too_late.time < released - 5.0
    just_late = dataclasses.replace(dets[199], id="just-late", time=released - 4.0)
    again = tracker.process([too_late, just_late])
    assert again.skipped["late"] == 1
    assert again.out_of_sequence == 1
    assert out.skipped["late"] == 0 and out.out_of_sequence == 0


def test_detections_later_than_the_lag_are_fused_out_of_sequence(toy_model: BorderModel) -> None:
    # A short lag with transit delays far longer than it: most detections arrive after their time
    # was released. They are fused all the same, and the picture is the one of an ordered feed.
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon, every=1)
    rng = np.random.default_rng(5)
    arrival = np.array([d.time for d in dets]) + rng.uniform(0.0, 3.0, len(dets))
    shuffled = [dets[i] for i in np.argsort(arrival)]
    ordered = run(toy_model, dets, chunk=1, lag_s=0.1)
    out = run(toy_model, shuffled, chunk=1, lag_s=0.1)
    assert out.skipped["late"] == 0
    assert out.out_of_sequence > len(dets) // 4
    assert len(confirmed_ids(out)) == 1 and crossings(out) == ["inbound"]
    assert same_picture(out, ordered)
    # No track goes back in time: each one's states come in time order.
    times: dict[str, float] = {}
    for state in out.track_states:
        assert state.time >= times.get(state.track_id, -math.inf)
        times[state.track_id] = state.time
    # With no tolerance, the same feed loses those detections.
    strict = run(toy_model, shuffled, chunk=1, lag_s=0.1, late_s=0.0)
    assert strict.skipped["late"] > len(dets) // 4 and strict.out_of_sequence == 0


def test_duplicate_ids_are_ignored(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon)
    resent = [d for pair in zip(dets, dets, strict=True) for d in pair]
    once = run(toy_model, dets)
    twice = run(toy_model, resent)
    assert twice.skipped["duplicate_id"] == len(dets)
    assert same_picture(twice, once)
    assert crossings(twice) == ["inbound"]


def test_bad_detections_are_counted_and_skipped(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon)
    bad = [
        Detection(
            "u1",
            "nowhere-9",
            float(t[5]),
            "person",
            0.9,
            range_m=500.0,
            bearing_deg=90.0,
            sigma_range_m=10.0,
            sigma_bearing_deg=0.2,
        ),
        Detection(
            "u2",
            "nowhere-9",
            float(t[6]),
            "person",
            0.9,
            range_m=400.0,
            bearing_deg=80.0,
            sigma_range_m=10.0,
            sigma_bearing_deg=0.2,
        ),
        Detection("n1", "cam-x", float(t[7]), "person", 0.9, lat=math.nan, lon=40.0, sigma_m=10.0),
    ]
    out = run(toy_model, sorted(dets + bad, key=lambda d: d.time))
    assert out.skipped["unknown_sensor_polar"] == 2
    assert out.skipped["unplaceable"] == 1
    assert len(confirmed_ids(out)) == 1 and crossings(out) == ["inbound"]


def test_class_fusion_follows_the_reports(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -3000.0, 3000.0, 10.0)
    dets = cartesian(t, lat, lon, object_class="vehicle", conf=0.6, every=1)
    # One in four reports says "animal": the belief still settles on vehicle.
    dets = [dataclasses.replace(d, object_class="animal") if i % 4 == 0 else d for i, d in enumerate(dets)]
    out = run(toy_model, dets)
    last = out.track_states[-1]
    assert last.object_class == "vehicle" and last.class_prob > 0.9
    assert 7.0 < last.speed_mps < 13.0
    assert abs(last.heading_deg - 90.0) < 10.0  # the toy border runs north, home to the east


def test_track_goes_coasting_then_deleted(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, -200.0, 1.4)
    tracker = Tracker(toy_model)
    out = tracker.process(cartesian(t, lat, lon))
    out.extend(tracker.process([], now=float(t[-1]) + 30.0))
    out.extend(tracker.process([], now=float(t[-1]) + 200.0))
    statuses = [s.status for s in out.track_states]
    assert statuses.count("coasting") == 1 and statuses.count("deleted") == 1
    assert statuses[-1] == "deleted"


def test_the_clock_releases_held_detections_without_waiting_for_the_next_one(toy_model: BorderModel) -> None:
    # A walk that ends just past the hysteresis band: the detections that make the crossing firm are
    # the last ones, held back lag_s. Told the time, the tracker releases them with no further detection.
    t, lat, lon = walk(toy_model, 2.0, -600.0, 45.0, 1.5)
    detections = cartesian(t, lat, lon, sigma=3.0, every=1)
    tracker = Tracker(toy_model, TrackerParams(lag_s=20.0))  # the last 20 s: from +15 m to +45 m
    early = tracker.process(detections)
    assert [e for e in early.events if e.type == "border_crossing"] == []
    assert tracker.process([], now=detections[-1].time + 1.0).events == []  # the firm part is still held
    late = tracker.process([], now=detections[-1].time + 20.5)
    assert [e.direction for e in late.events if e.type == "border_crossing"] == ["inbound"]


def test_one_vehicle_seen_by_two_sensors_is_one_track_with_one_crossing(toy_model: BorderModel) -> None:
    # A camera and a radar follow one vehicle across the line; the radar's first report is 150 m off
    # (a ghost, a bad first fix), so it starts a second track that then lives on the radar's reports
    # while the first lives on the camera's: one object, two tracks, two crossings, unless the
    # duplicate is recognised and merged.
    t, lat, lon = walk(toy_model, 2.0, -3000.0, 3000.0, 10.0)
    for seed in range(8):
        camera = cartesian(t, lat, lon, "cam-a", sigma=20.0, seed=seed, object_class="vehicle", prefix="a")
        radar = cartesian(t, lat, lon, "radar-b", sigma=20.0, seed=seed + 100, object_class="vehicle", prefix="b")
        radar[0] = dataclasses.replace(radar[0], lat=radar[0].lat + 150.0 / 111_000.0)  # type: ignore[operator]
        out = run(toy_model, sorted(camera + radar, key=lambda d: d.time))
        assert crossings(out) == ["inbound"], seed
        spans: dict[str, list[float]] = {}
        for state in out.track_states:
            if state.status == "confirmed":
                spans.setdefault(state.track_id, []).append(state.time)
        # A duplicate may live for a few batches before it is recognised, never for the walk.
        assert sorted(max(v) - min(v) > 90.0 for v in spans.values()) == [False] * (len(spans) - 1) + [True], seed


def test_compiled_slices_give_the_numpy_picture(toy_model: BorderModel) -> None:
    # Two walkers crossing paths near the line in clutter: the compiled kernel and the NumPy passes
    # must make the same tracks and events.
    a = walk(toy_model, 2.0, -800.0, 800.0, 1.4)
    b = path(point(toy_model, 1.6, -300.0), point(toy_model, 2.4, 300.0), 1.4)
    detections = sorted(
        cartesian(*a, sigma=8.0) + cartesian(*b, sigma=8.0, seed=3, prefix="b") + clutter(toy_model, 2.0, 150, 900.0),
        key=lambda d: d.time,
    )
    compiled = run(toy_model, detections)
    plain = run(toy_model, detections, compiled=False)
    assert same_picture(compiled, plain)
    assert crossings(compiled) == ["inbound", "inbound"]


def test_compiled_assignment_is_optimal() -> None:
    from scipy.optimize import linear_sum_assignment

    from borderwatch.fusion.kernels import _hungarian

    rng = np.random.default_rng(5)
    for rows, cols in ((3, 3), (4, 7), (6, 6), (2, 9)):
        cost = rng.uniform(0.0, 10.0, (rows, cols))
        chosen = _hungarian(cost)
        r, c = linear_sum_assignment(cost)
        assert cost[np.arange(rows), chosen].sum() == pytest.approx(cost[r, c].sum())
        assert len(set(chosen.tolist())) == rows


def test_told_the_time_a_record_far_ahead_of_it_is_skipped_not_taken_for_the_time(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 5.0, -800.0, 800.0, 1.4)
    dets = cartesian(t, lat, lon)
    tracker = Tracker(toy_model, TrackerParams(lag_s=1.0, max_ahead_s=60.0))
    out = tracker.process(dets[:100], now=dets[99].time)
    forged = dataclasses.replace(dets[100], id="a-day-ahead", time=dets[100].time + 86_400.0)
    out.extend(tracker.process([forged, *dets[100:150]], now=dets[149].time))
    assert out.skipped["ahead_of_clock"] == 1
    out.extend(tracker.process(dets[150:], now=dets[-1].time + 2.0))
    assert out.skipped["late"] == 0 and crossings(out) == ["inbound"]


def test_an_id_prefix_is_on_every_emitted_track_and_event_id_and_changes_nothing_else(toy_model: BorderModel) -> None:
    t, lat, lon = walk(toy_model, 9.5, -300.0, 300.0, 1.4)
    detections = cartesian(t, lat, lon)
    plain, tagged = Tracker(toy_model), Tracker(toy_model, id_prefix="run7-")
    outputs = [(plain.process(detections[i : i + 20]), tagged.process(detections[i : i + 20]))
               for i in range(0, len(detections), 20)] + [(plain.flush(), tagged.flush())]  # fmt: skip
    events = 0
    for a, b in outputs:
        assert [dataclasses.replace(s, track_id="run7-" + s.track_id) for s in a.track_states] == b.track_states
        assert [
            dataclasses.replace(e, event_id="run7-" + e.event_id, track_ids=tuple("run7-" + x for x in e.track_ids))
            for e in a.events
        ] == b.events
        events += len(b.events)
    assert events and all(s.track_id.startswith("run7-T") for _, b in outputs for s in b.track_states)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_convoy_15_m_apart_keeps_two_tracks_and_two_crossings(toy_model: BorderModel, compiled: bool) -> None:
    # Two vehicles 15 m apart drive across the line together, one camera reporting both in every scan:
    # close and moving alike, but one scan seeing two objects has told them apart, so neither the
    # confirmed-track merge nor the tentative drop may make them one track.
    speed, gap_m = 12.0, 15.0
    lead = walk(toy_model, 2.0, -2500.0, 2500.0, speed)
    follow = walk(toy_model, 2.0, -2500.0 - gap_m, 2500.0 - gap_m, speed)
    for seed in range(4):
        detections = sorted(
            cartesian(*lead, "cam-a", sigma=4.0, seed=seed, object_class="vehicle", prefix="l")
            + cartesian(*follow, "cam-a", sigma=4.0, seed=seed + 50, object_class="vehicle", prefix="f"),
            key=lambda d: d.time,
        )
        out = run(toy_model, detections, compiled=compiled)
        assert crossings(out) == ["inbound", "inbound"], seed
        assert len(confirmed_ids(out)) == 2, seed


def _exact(
    sensor: str, times: np.ndarray, lat: np.ndarray, lon: np.ndarray, sigma: float, off_m: list[float]
) -> list[Detection]:
    """Noise-free vehicle reports of a path, the first len(off_m) of them that far north of it (along the line)."""
    north = np.zeros(len(times))
    north[: len(off_m)] = off_m
    return [
        Detection(id=f"{sensor}-{i}", sensor_id=sensor, time=float(times[i]), object_class="vehicle", class_conf=0.8,
                  lat=float(lat[i] + north[i] / 111_000.0), lon=float(lon[i]), sigma_m=sigma)
        for i in range(len(times))
    ]  # fmt: skip


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("picked_up_m", [300.0, 340.0, 400.0])
def test_two_tracks_on_one_vehicle_give_one_crossing(
    toy_model: BorderModel, compiled: bool, picked_up_m: float
) -> None:
    # A camera follows a vehicle from far out; a coarse radar (120 m sigma) picks it up picked_up_m before the
    # line, its first fix 500 m off (outside the camera track's gate: a second track) and the next three 90 m
    # off. The second track is confirmed ~100 m from the first, farther than convergence_m but well within their
    # joint uncertainty: one object seen twice, not two that met, so the merge drops it before the vehicle
    # crosses (at that age, 30-40 s, the crossing rule for young duplicates no longer applies). It used to be
    # taken for a meeting, left alone until the convergence was reported, and to report the crossing again.
    t, lat, lon = walk(toy_model, 2.0, -1500.0, 1500.0, 10.0)
    camera = _exact("cam-a", t, lat, lon, 10.0, [])
    k = int(np.searchsorted(t, t[0] + (1500.0 - picked_up_m) / 10.0))
    radar = _exact("radar-b", t[k::2] + 0.5, lat[k::2], lon[k::2], 120.0, [500.0, 90.0, 90.0, 90.0])
    out = run(toy_model, sorted(camera + radar, key=lambda d: d.time), compiled=compiled)
    assert crossings(out) == ["inbound"]
    assert [e for e in out.events if e.type == "convergence"] == []
    # Near miss: a convoy 15 m apart that the camera sees as two in its scans keeps both crossings, with the
    # coarse radar's late, stray pick-up of the lead vehicle on top.
    follow = walk(toy_model, 2.0, -1515.0, 1485.0, 10.0)
    convoy = camera + _exact("cam-a", *follow, 10.0, [])
    convoy = [dataclasses.replace(d, id=f"{d.id}-{n}") for n, d in enumerate(convoy)]
    out = run(toy_model, sorted(convoy + radar, key=lambda d: d.time), compiled=compiled)
    assert crossings(out) == ["inbound", "inbound"]
    assert len({e.track_ids for e in out.events if e.type == "border_crossing"}) == 2
