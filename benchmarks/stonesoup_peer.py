"""Stone Soup configured like borderwatch's tracker, for the fusion benchmark (dev dependency only).

Kalman filter with a constant-velocity model, Mahalanobis gate, GNN (2-D assignment) or JPDA,
M-of-N style initiation (MultiMeasurementInitiator) and deletion by time since the last update.
Detections are the same converted positions and covariances borderwatch uses, so both trackers
see identical measurements.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import numpy as np

from borderwatch.fusion.measurements import sensor_sites, to_batch
from borderwatch.fusion.params import TrackerParams
from borderwatch.fusion.tracker import tracking_frame
from borderwatch.fusion.types import TrackState
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection


def run_stonesoup(
    model: BorderModel,
    detections: Sequence[Detection],
    associator: str = "gnn",
    window_s: float = 1.0,
    accel_psd: float = 0.5,
) -> tuple[list[TrackState], float]:
    """Track with Stone Soup; returns confirmed track states (as borderwatch TrackStates) and CPU seconds
    spent in the tracker (measurement conversion excluded, as for borderwatch's own figure)."""
    import time

    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.dataassociator.probability import JPDA
    from stonesoup.deleter.time import UpdateTimeDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.hypothesiser.probability import PDAHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetMixtureTracker, MultiTargetTracker
    from stonesoup.types.detection import Detection as SSDetection
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    params = TrackerParams()
    frame = tracking_frame(model)
    batch = to_batch(list(detections), frame, sensor_sites(model, frame), params, Counter(), {})
    epoch = dt.datetime(1970, 1, 1)
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(accel_psd), ConstantVelocity(accel_psd)])
    default_model = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.eye(2) * 225.0)
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(default_model)
    scans: list[tuple[dt.datetime, set[SSDetection]]] = []
    edges = np.floor((batch.time - batch.time[0]) / window_s).astype(np.int64)
    for key in np.unique(edges):
        idx = np.flatnonzero(edges == key)
        # One timestamp per scan, as Stone Soup expects: its predictions are then cached per track
        # and scan instead of being redone for every detection (many times faster, a few metres off).
        stamp = epoch + dt.timedelta(seconds=float(batch.time[idx].mean()))
        found = {
            SSDetection(
                np.array([[batch.z[i, 0]], [batch.z[i, 1]]]),
                timestamp=stamp,
                measurement_model=LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=batch.r[i]),
            )
            for i in idx.tolist()
        }
        scans.append((stamp, found))

    if associator == "jpda":
        hypothesiser = PDAHypothesiser(
            predictor, updater, clutter_spatial_density=1e-9, prob_detect=0.8, prob_gate=0.999
        )
        data_associator = JPDA(hypothesiser)
    else:
        gate = float(np.sqrt(params.gate_chi2))
        hypothesiser = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate)
        data_associator = GNNWith2DAssignment(hypothesiser)
    init_hyp = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=np.sqrt(params.gate_chi2))
    sv = params.motion["vehicle"].max_speed_mps / 2.0
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((4, 1)), np.diag([0.0, sv**2, 0.0, sv**2])),
        measurement_model=default_model,
        deleter=UpdateTimeDeleter(dt.timedelta(seconds=params.confirm_window_s / 2)),
        data_associator=GNNWith2DAssignment(init_hyp),
        updater=updater,
        min_points=params.confirm_hits,
    )

    class _Feed:
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(scans)

        @property
        def detections_gen(self):  # type: ignore[no-untyped-def]
            return iter(scans)

    tracker_type = MultiTargetMixtureTracker if associator == "jpda" else MultiTargetTracker
    tracker = tracker_type(
        initiator=initiator,
        deleter=UpdateTimeDeleter(dt.timedelta(seconds=params.delete_after_s)),
        detector=_Feed(),
        data_associator=data_associator,
        updater=updater,
    )
    started = time.process_time()
    tracks = set()
    for _, current in tracker:
        tracks |= current
    seconds = time.process_time() - started
    states: list[TrackState] = []
    for n, track in enumerate(tracks):
        for state in track.states:
            x, y = float(state.state_vector[0, 0]), float(state.state_vector[2, 0])
            lat, lon = frame.to_latlon(x, y)
            vx, vy = float(state.state_vector[1, 0]), float(state.state_vector[3, 0])
            states.append(
                TrackState(
                    track_id=f"SS{n:05d}",
                    time=(state.timestamp - epoch).total_seconds(),
                    lat=float(lat),
                    lon=float(lon),
                    object_class="unknown",
                    class_prob=0.0,
                    speed_mps=float(np.hypot(vx, vy)),
                    heading_deg=float(np.degrees(np.arctan2(vx, vy)) % 360.0),
                    status="confirmed",
                )
            )
    return sorted(states, key=lambda s: s.time), seconds
