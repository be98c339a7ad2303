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


@settings(max_examples=50, deadline=None)  # the first example loads the compiled projection
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


# Centres to 1e-6 degree: PROJ moves an origin within about 1e-9 degree of zero onto zero (0.1 mm).
centre_lat = st.floats(min_value=-70.0, max_value=70.0).map(lambda v: round(v, 6))
centre_lon = st.floats(min_value=-179.0, max_value=179.0).map(lambda v: round(v, 6))


@settings(max_examples=25, deadline=None)
@given(centre_lat, centre_lon)
def test_local_frame_agrees_with_pyproj_tmerc(lat0: float, lon0: float) -> None:
    """The compiled Krüger series is PROJ's transverse Mercator to well under a micrometre within 400 km."""
    frame = LocalFrame(lat0, lon0)
    forward, inverse = frame.transformers()
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-400_000.0, 400_000.0, (2, 500))
    lon, lat = inverse.transform(x, y)
    got_lat, got_lon = frame.to_latlon(x, y)
    assert np.abs(got_lat - lat).max() * 111_000.0 < 1e-6
    lon_err = np.abs((got_lon - lon + 180.0) % 360.0 - 180.0).max()
    assert lon_err * 111_000.0 < 1e-6
    ref_x, ref_y = forward.transform(lon, lat)
    got_x, got_y = frame.to_xy(lat, lon)
    assert np.abs(got_x - ref_x).max() < 1e-6 and np.abs(got_y - ref_y).max() < 1e-6


def test_local_frame_keeps_shapes_and_passes_nan_through() -> None:
    frame = LocalFrame(34.0, 41.0)
    x, y = frame.to_xy(34.1, 41.2)
    assert x.shape == () and y.shape == ()
    lat, lon = frame.to_latlon(np.zeros((2, 3)), np.ones((2, 3)))
    assert lat.shape == (2, 3) and lon.shape == (2, 3)
    x, y = frame.to_xy([34.0, np.nan], [41.0, 41.0])
    assert abs(float(x[0])) < 1e-6 and abs(float(y[0])) < 1e-6 and np.isnan(x[1]) and np.isnan(y[1])
