"""Detections as arrays: the column-wise batch agrees with each detection placed by hand."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np

from borderwatch.fusion.measurements import sensor_sites, to_batch
from borderwatch.fusion.params import TrackerParams
from borderwatch.fusion.tracker import tracking_frame
from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import Detection


def beam_covariance(sigma_range: float, across_m: float, theta: float) -> np.ndarray:
    """Range along the beam, range x bearing across it, plus the 1 m^2 floor on each axis."""
    u = np.array([math.sin(theta), math.cos(theta)])
    w = np.array([math.cos(theta), -math.sin(theta)])
    return sigma_range**2 * np.outer(u, u) + across_m**2 * np.outer(w, w) + np.eye(2)


def test_batch_matches_each_detection_placed_by_hand(toy_model: BorderModel) -> None:
    frame = tracking_frame(toy_model)
    sites = sensor_sites(toy_model, frame)
    # A second radar: a copy of the tower that carries its own range sigma (the fallback between
    # a detection's sigma and the default).
    sites["radar-2"] = dataclasses.replace(sites["tower-1"], sigma_range_m=7.0, sigma_bearing_deg=None)
    params = TrackerParams()
    dets = [
        Detection("c1", "cam-x", 30.0, "person", 0.8, lat=34.03, lon=40.01, sigma_m=12.0, speed_mps=2.0,
                  heading_deg=90.0),
        Detection("c2", "cam-x", 10.0, "vehicle", 0.6, lat=34.04, lon=40.02),  # no sigma: the default
        Detection("p1", "tower-1", 20.0, "animal", 0.7, range_m=900.0, bearing_deg=45.0, sigma_range_m=11.0,
                  sigma_bearing_deg=0.5, speed_mps=3.0),  # speed without heading: no velocity
        Detection("p2", "radar-2", 25.0, "unknown", 0.5, range_m=600.0, bearing_deg=200.0,
                  sigma_range_m=0.0),  # zero sigma: the site's, then the default bearing sigma
        Detection("p3", "nowhere", 15.0, "person", 0.9, range_m=300.0, bearing_deg=10.0),  # unknown sensor
        Detection("p4", "tower-1", 5.0, "person", 0.9, range_m=math.nan, bearing_deg=10.0),  # unplaceable
        Detection("p5", "tower-1", 6.0, "person", 0.9, bearing_deg=10.0),  # no range: unplaceable, not at the mast
    ]  # fmt: skip
    skipped: Counter[str] = Counter()
    codes: dict[str, int] = {}
    batch = to_batch(dets, frame, sites, params, skipped, codes)

    assert skipped == Counter({"unknown_sensor_polar": 1, "unplaceable": 2})
    assert batch.time.tolist() == [10.0, 20.0, 25.0, 30.0]  # time order, bad ones out
    assert batch.class_index.tolist() == [1, 2, -1, 0]
    assert batch.class_conf.tolist() == [0.6, 0.7, 0.5, 0.8]
    # Codes in the order sensors first report in time, and kept across batches.
    assert codes == {"cam-x": 0, "tower-1": 1, "radar-2": 2}
    assert batch.sensor_code.tolist() == [0, 1, 2, 0]

    x, y = frame.to_xy(34.04, 40.02)
    np.testing.assert_allclose(batch.z[0], [x, y])
    np.testing.assert_allclose(batch.r[0], np.eye(2) * params.default_sigma_m**2)
    x, y = frame.to_xy(34.03, 40.01)
    np.testing.assert_allclose(batch.z[3], [x, y])
    np.testing.assert_allclose(batch.r[3], np.eye(2) * 144.0)
    np.testing.assert_allclose(batch.velocity[3], [2.0, 0.0], atol=1e-12)
    assert np.isnan(batch.velocity[:3]).all()

    for row, site, rng, brg, sigma_range, sigma_bearing in (
        (1, sites["tower-1"], 900.0, 45.0, 11.0, 0.5),
        (2, sites["radar-2"], 600.0, 200.0, 7.0, params.default_sigma_bearing_deg),
    ):
        theta = math.radians(brg) + site.convergence_rad
        ground = rng * site.scale
        np.testing.assert_allclose(
            batch.z[row], [site.x + ground * math.sin(theta), site.y + ground * math.cos(theta)], rtol=0, atol=1e-6
        )
        expected = beam_covariance(sigma_range, ground * math.radians(sigma_bearing), theta)
        np.testing.assert_allclose(batch.r[row], expected, rtol=1e-9)

    # Sub-batches by slice and by mask are the same rows.
    part = batch.take(slice(1, 3))
    assert part.time.tolist() == [20.0, 25.0] and part.sensor_code.tolist() == [1, 2]
    masked = batch.take(np.array([False, True, True, False]))
    np.testing.assert_array_equal(masked.z, part.z)


def test_an_empty_batch(toy_model: BorderModel) -> None:
    frame = tracking_frame(toy_model)
    batch = to_batch([], frame, sensor_sites(toy_model, frame), TrackerParams(), Counter(), {})
    assert batch.size == 0 and batch.z.shape == (0, 2) and batch.r.shape == (0, 2, 2)
