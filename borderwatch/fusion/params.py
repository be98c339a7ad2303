"""Tuning of the tracker and of the border events: plain dataclasses, one documented field each.

May import: the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLASSES: tuple[str, ...] = ("person", "vehicle", "animal")


@dataclass(frozen=True)
class ClassMotion:
    """Motion of one object class under the constant-velocity model."""

    accel_psd: float  # white-noise acceleration spectral density q (m²/s³): how hard it manoeuvres
    max_speed_mps: float  # initial velocity uncertainty is half of this; faster tracks are implausible


@dataclass(frozen=True)
class TrackerParams:
    """Everything the tracker can be tuned with; the defaults suit the simulator's sensors."""

    motion: dict[str, ClassMotion] = field(
        default_factory=lambda: {
            "person": ClassMotion(accel_psd=0.05, max_speed_mps=3.0),
            "vehicle": ClassMotion(accel_psd=2.0, max_speed_mps=30.0),
            "animal": ClassMotion(accel_psd=0.3, max_speed_mps=8.0),
        }
    )
    gate_chi2: float = 13.8  # chi-square gate on the 2-D innovation (99.9 %)
    window_s: float = 5.0  # events, states and track life cycle are worked out per batch this long
    lag_s: float = 1.0  # detections are held this long (data time) to put out-of-order arrivals back in order ...
    late_s: float = 10.0  # ... and one arriving later than that, by up to this much past what was released, is
    # still fused out of sequence (the track is retrodicted to its time, updated, and predicted on again); older
    # ones are skipped and counted as late. A short lag then costs little accuracy and no detections.
    max_ahead_s: float = 300.0  # told the time (process(now=...)), detections and heartbeats dated more than this
    # after it are skipped (ahead_of_clock): one sensor with a wrong clock must not move time on for all the others
    max_rounds: int = 8  # association rounds per batch: one detection per track per round (multi-sensor)
    same_scan_s: float = 1.0  # a track takes one detection per sensor within this time (one scan's look)
    slice_s: float = 1.0  # association runs in time order over slices of a batch this long
    compiled: bool = True  # each slice in one compiled call (fusion.kernels); False: the NumPy passes
    confirm_hits: int = 3  # M of M-of-N: detections needed to confirm a tentative track ...
    confirm_window_s: float = 20.0  # ... within this many seconds of its first detection (N, in time)
    coast_after_s: float = 12.0  # a confirmed track without detections this long is reported coasting
    delete_after_s: float = 40.0  # ... and deleted after this long
    max_position_sigma_m: float = 800.0  # a track whose position sigma grows past this is deleted
    default_sigma_m: float = 15.0  # cartesian detections without sigma_m
    default_sigma_range_m: float = 20.0  # polar detections without sigmas (unknown sensor defaults)
    default_sigma_bearing_deg: float = 0.3
    class_conf_floor: float = 0.34  # class reports less sure than this carry no class information
    class_conf_ceiling: float = 0.98  # no single report can make a class certain
    unknown_max_speed_mps: float = 15.0  # initial velocity spread of a track started by an 'unknown'
    merge_m: float = 40.0  # two confirmed tracks this close ...
    merge_speed_mps: float = 1.5  # ... moving alike are one object: the younger is dropped
    duplicate_search_m: float = 200.0  # confirmed tracks this close are tested for being one object: ...
    duplicate_chi2: float = 13.3  # ... squared Mahalanobis distance of their states (4 dof, 99 %) below this ...
    duplicate_batches: int = 3  # ... in this many consecutive batches: the younger is dropped
    duplicate_memory_s: float = 120.0  # detection ids are remembered this long to drop re-sent copies


@dataclass(frozen=True)
class EventParams:
    """Parameters of the border events (docs/formats.md describes each event)."""

    crossing_hysteresis_m: float = 30.0  # a side counts once the track is this far past the line
    official_crossing_m: float = 600.0  # crossings this close to an official land crossing name it in details ...
    official_crossing_hysteresis_m: float = 30.0  # ... and need this far past the line (wider quiets customs queues,
    # but a track that swaps vehicles in the queue then misses their crossings: 100 m halves the false alarms
    # at al-Qaim in smuggling-surge and loses 6 of its 31 crossings)
    crossing_at_gate: bool = True  # within official_crossing_m of an official crossing, a track from a known
    # side that reaches the line has crossed (its queue on the line hides who drives off where); off: only
    # a track firmly past the line on the other side has
    gate_born_needs_depth: bool = True  # a track first seen within official_crossing_m of an official crossing
    # (in its queue, whose detections fall either side of the line) needs crossing_evidence_m on a side before
    # a crossing counts, even its first: there a fresh track has no side of its own yet
    crossing_evidence_m: float = 80.0  # after its first side change, a crossing needs the track to have been
    # this far past the line on the side it left: a track wavering about the line (or hopping between vehicles
    # queued on it) has no side to leave; a first crossing needs no depth (coverage may start near the line)
    gate_approach_m: float = 100.0  # at an official crossing, where traffic crawls up to the gate and stops, a
    gate_approach_s: float = 10.0  # side change counts only if the track took this long from gate_approach_m out
    # to the line (a track that lagged a braking vehicle is drawn into the queue's detections at speed) ...
    gate_run_m: float = 200.0  # ... or, faster, once it is this far past the line (a vehicle running the gate) ...
    gate_run_s: float = 60.0  # ... and if it comes back, or is still at the line this long after reaching it, its
    # side is lost in the queue: like a track born there, it must show crossing_evidence_m on a side again
    crossing_max_speed_mps: float = 30.0  # a track crossing faster than any object moves (the vehicle class's
    # max_speed_mps) is strung from several objects' detections: its crossing is not reported
    duplicate_crossing_s: float = 20.0  # a crossing by a track first seen at most this long (s) before it, within
    # this long after another track's crossing the same way ...
    duplicate_crossing_m: float = 60.0  # ... this close to it, by a track still this close to that track, is a
    # second track born on that object: not reported again; 0 s: off
    duplicate_at_gate: bool = False  # ... and at an official crossing by a track of any age (tracks hop between
    # queued vehicles there). Off: on 44 simulated runs it cut false crossings by a third but lost real arrivals
    # (two vehicles reaching the gate from one side within 20 s), 7 of 1,287
    crossing_jump_nis: float = float("inf")  # an update with a normalised innovation above this between the
    # two sides means the track may have jumped to another target: that side change is not a crossing
    barrier_approach_m: float = 150.0  # barrier_approach: a track this close to a barrier, outside it
    barrier_hysteresis_m: float = 10.0  # barrier_breach: this far past the barrier line
    loiter_radius_m: float = 150.0  # loitering: stays within this radius ...
    loiter_time_s: float = 300.0  # ... for this long ...
    loiter_border_m: float = 3000.0  # ... within this distance of the border
    convergence_m: float = 60.0  # convergence: two tracks closer than this ...
    convergence_apart_m: float = 250.0  # ... having been at least this far apart ...
    convergence_border_m: float = 3000.0  # ... within this distance of the border ...
    convergence_dwell_s: float = 10.0  # ... staying that close this long (duplicate tracks merge sooner)
    offline_after_s: float = 90.0  # sensor_offline: no heartbeat or detection for this long
    offline_statuses: tuple[str, ...] = ("offline", "fault", "failed", "down", "tamper")
