"""Property-based tests of the geodesy primitives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.geo.geodesy import LocalFrame, azimuth_deg, destination, distance_m

lat_st = st.floats(min_value=-70.0, max_value=70.0)
lon_st = st.floats(min_value=-179.0, max_value=179.0)
az_st = st.floats(min_value=0.0, max_value=359.999)
dist_st = st.floats(min_value=1.0, max_value=500_000.0)


@given(lat_st, lon_st, az_st, dist_st)
def test_destination_then_distance_returns_the_distance(lat: float, lon: float, az: float, dist: float) -> None:
    lat2, lon2 = destination(lat, lon, az, dist)
    assert abs(float(distance_m(lat, lon, lat2, lon2)) - dist) < 1e-3
    back = float(azimuth_deg(lat, lon, lat2, lon2))
    assert min(abs(back - az), 360.0 - abs(back - az)) < 1e-6


@given(lat_st, lon_st, lat_st, lon_st)
def test_distance_is_symmetric_and_non_negative(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    d12 = float(distance_m(lat1, lon1, lat2, lon2))
    d21 = float(distance_m(lat2, lon2, lat1, lon1))
    assert d12 >= 0.0
    assert abs(d12 - d21) < 1e-6 * max(1.0, d12)


@given(lat_st, lon_st, lat_st, lon_st, lat_st, lon_st)
def test_triangle_inequality(a: float, b: float, c: float, d: float, e: float, f: float) -> None:
    ab = float(distance_m(a, b, c, d))
    bc = float(distance_m(c, d, e, f))
    ac = float(distance_m(a, b, e, f))
    assert ac <= ab + bc + 1e-6


@settings(max_examples=50)
@given(
    st.floats(min_value=-60.0, max_value=60.0),
    st.floats(min_value=-170.0, max_value=170.0),
    st.floats(min_value=-200_000.0, max_value=200_000.0),
    st.floats(min_value=-200_000.0, max_value=200_000.0),
)
def test_local_frame_round_trip_and_metric(lat0: float, lon0: float, x: float, y: float) -> None:
    frame = LocalFrame(lat0, lon0)
    lat, lon = frame.to_latlon(x, y)
    x2, y2 = frame.to_xy(lat, lon)
    assert abs(float(x2) - x) < 1e-4 and abs(float(y2) - y) < 1e-4
    # Plane distance from the centre matches the geodesic one within 0.1 % inside 200 km.
    plane = float(np.hypot(x, y))
    geodesic = float(distance_m(lat0, lon0, lat, lon))
    assert abs(plane - geodesic) <= 1e-3 * max(plane, 1.0) + 1e-3


def test_broadcasting_scalar_against_array() -> None:
    lat, lon = destination(33.0, 41.0, np.linspace(0.0, 350.0, 36), 1000.0)
    assert lat.shape == (36,)
    assert np.allclose(distance_m(33.0, 41.0, lat, lon), 1000.0, atol=1e-6)
