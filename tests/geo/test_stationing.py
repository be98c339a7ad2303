"""Stationing: km markers, offsets, sides and sectors, on the real line and a made-up one."""

from __future__ import annotations

import json
from importlib import resources
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.geo import BorderLine, BorderModel
from borderwatch.geo.config import parse_config
from borderwatch.geo.geodesy import distance_m


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0))
def test_km_point_km_round_trip_within_one_metre(border_model: BorderModel, fraction: float) -> None:
    line = border_model.borders["SYR"]
    km = fraction * line.length_km
    lat, lon = line.point_at(km)
    station = line.locate(lat, lon)
    assert abs(float(station.km[0]) - km) * 1000.0 < 1.0
    assert abs(float(station.offset_m[0])) < 1.0


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=1.0, max_value=598.0), st.floats(min_value=20.0, max_value=8000.0))
def test_side_on_both_sides_of_the_line(border_model: BorderModel, km: float, offset: float) -> None:
    line = border_model.borders["SYR"]
    for signed in (offset, -offset):
        lat, lon = line.offset_point(km, signed)
        station = line.locate(lat, lon)
        assert np.sign(station.offset_m[0]) == np.sign(signed)
        # Near a bend another part of the line can be nearer than the perpendicular foot.
        assert abs(float(station.offset_m[0])) <= offset + 1.0


def test_known_places_fall_on_the_right_side(border_model: BorderModel) -> None:
    # Al-Qaim town (Iraq) and Albu Kamal town (Syria), either side of the Euphrates crossing.
    qaim = border_model.locate(34.37, 41.09)
    albu_kamal = border_model.locate(34.45, 40.92)
    assert qaim.side == "home" and qaim.neighbour == "Syria"
    assert albu_kamal.side == "neighbour"
    assert 220.0 < qaim.km < 250.0
    # Deep inside each country.
    assert border_model.locate(33.3, 44.4).side == "home"  # Baghdad
    assert border_model.locate(35.0, 38.0).side == "neighbour"  # central Syria


def test_vectorised_locate_matches_scalar(border_model: BorderModel) -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(33.0, 37.2, 500)
    lon = rng.uniform(38.5, 42.5, 500)
    many = border_model.locate_many(lat, lon)
    for i in range(0, 500, 50):
        one = border_model.locate(float(lat[i]), float(lon[i]))
        assert one.km == pytest.approx(float(many.km[i]))
        assert one.offset_m == pytest.approx(float(many.offset_m[i]))
        assert one.sector == border_model.sectors[int(many.sector_index[i])].id


def test_stationing_finds_the_nearest_segment_of_the_whole_line(border_model: BorderModel) -> None:
    """The k-d tree's candidates and the compiled pass against a brute-force search over every segment."""
    line = border_model.borders["SYR"]
    rng = np.random.default_rng(11)
    km = rng.uniform(0.0, line.length_km, 300)
    lat, lon = line.point_at(km)
    lat, lon = lat + rng.normal(0.0, 0.1, 300), lon + rng.normal(0.0, 0.1, 300)  # up to ~40 km off
    got_km, got_offset = line.km_offset(lat, lon)
    station = line.locate(lat, lon)
    np.testing.assert_array_equal(station.km, got_km)
    np.testing.assert_array_equal(station.offset_m, got_offset)

    x, y = line.frame.to_xy(lat, lon)
    start, end = line._xy[:-1], line._xy[1:]
    direction = end - start
    length2 = np.maximum((direction**2).sum(axis=1), 1e-12)
    rel = np.stack([x[:, None] - start[None, :, 0], y[:, None] - start[None, :, 1]], axis=-1)
    frac = np.clip((rel * direction[None]).sum(axis=-1) / length2[None], 0.0, 1.0)
    foot = start[None] + frac[..., None] * direction[None]
    dist = np.hypot(x[:, None] - foot[..., 0], y[:, None] - foot[..., 1])
    best = np.argmin(dist, axis=1)
    rows = np.arange(300)
    foot_x = foot[rows, best, 0]
    ground = dist[rows, best] / (1.0 + 0.5 * (foot_x / 6_371_008.8) ** 2)
    np.testing.assert_allclose(np.abs(got_offset), ground, rtol=1e-9, atol=1e-6)
    seg = best
    expected_km = (line.vertex_m[seg] + frac[rows, best] * (line.vertex_m[seg + 1] - line.vertex_m[seg])) / 1000.0
    np.testing.assert_allclose(got_km, expected_km, atol=1e-6)


def test_vertex_grid_finds_the_k_nearest_vertices_near_and_far(border_model: BorderModel) -> None:
    """The grid's ring search against SciPy's k-d tree, for points on the line, off it and far outside it."""
    from scipy.spatial import cKDTree

    from borderwatch.geo.stationing import CANDIDATE_VERTICES, _nearest_vertices

    line = border_model.borders["SYR"]
    rng = np.random.default_rng(5)
    lo, hi = line._xy.min(axis=0), line._xy.max(axis=0)
    far = rng.uniform(lo - 800_000.0, hi + 800_000.0, size=(400, 2))
    near = line._xy[rng.integers(0, len(line._xy), 400)] + rng.normal(0.0, 3000.0, size=(400, 2))
    points = np.vstack([far, near, line._xy[:5]])
    _, expected = cKDTree(line._xy).query(points, k=CANDIDATE_VERTICES)
    g = line._grid
    best, best_d2 = np.empty(CANDIDATE_VERTICES, np.int64), np.empty(CANDIDATE_VERTICES)
    for (px, py), want in zip(points, expected, strict=True):
        _nearest_vertices(
            px, py, CANDIDATE_VERTICES, g.x0, g.y0, g.cell_m, g.nx, g.ny, g.start, g.vertex, line._xy, best, best_d2
        )
        assert set(best.tolist()) == set(want.tolist())
        assert np.all(np.diff(best_d2) >= 0.0)


def test_sectors_cover_the_line_without_gaps(border_model: BorderModel) -> None:
    sectors = [s for s in border_model.sectors if s.border == "SYR"]
    line = border_model.borders["SYR"]
    assert sectors[0].start_km == 0.0
    assert sectors[-1].end_km == pytest.approx(line.length_km)
    for before, after in pairwise(sectors):
        assert after.start_km == pytest.approx(before.end_km)
    # ~25 km by default
    assert all(20.0 < s.length_km < 30.0 for s in sectors)


def test_sector_assignment_by_km(border_model: BorderModel) -> None:
    line = border_model.borders["SYR"]
    for sector in border_model.sectors:
        for km in (sector.start_km + 0.01, (sector.start_km + sector.end_km) / 2, sector.end_km - 0.01):
            lat, lon = line.offset_point(km, 500.0)
            assert border_model.locate(lat, lon).sector == sector.id


def test_configurable_sector_length(default_document: dict) -> None:
    default_document["borderwatch"]["sector_length_km"] = 10.0
    model = BorderModel(parse_config(default_document))
    assert len(model.sectors) == round(model.borders["SYR"].length_km / 10.0)


def test_line_lengths_against_natural_earth_source() -> None:
    source = json.loads((resources.files("borderwatch.geo") / "data" / "iraq_borders.geojson").read_text())
    lines = {f["properties"]["neighbour"]: f for f in source["features"] if f["properties"]["kind"] == "border_line"}
    for neighbour, feature in lines.items():
        coords = feature["geometry"]["coordinates"]
        line = BorderLine(neighbour[:3].upper(), neighbour, tuple(map(tuple, coords)), "right")
        props = feature["properties"]
        if props["source"] == "natural-earth":
            assert line.length_km == pytest.approx(props["natural_earth_length_km"], rel=1e-4)
    syria = lines["Syria"]["properties"]
    assert 590.0 < syria["length_km"] < 610.0  # the reported ~600 km
    iran = lines["Iran"]["properties"]
    assert iran["natural_earth_length_km"] < 1400.0 < iran["length_km"]  # OSM closer to the official ~1,600 km


def test_a_made_up_border_anywhere() -> None:
    """Nothing is tuned to Iraq: a straight north-south line in another hemisphere."""
    document = {
        "type": "FeatureCollection",
        "borderwatch": {"version": 1, "name": "test", "home_country": "Westland", "sector_length_km": 10},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[-60.0, -20.0], [-60.0, -19.0]]},
                "properties": {
                    "kind": "border_line",
                    "id": "EST",
                    "neighbour": "Eastland",
                    "home_side": "right",
                },
            }
        ],
    }
    model = BorderModel(parse_config(document))
    line = model.borders["EST"]
    assert line.length_km == pytest.approx(float(distance_m(-20.0, -60.0, -19.0, -60.0)) / 1000.0, rel=1e-9)
    # Walking north from km 0, "right" is east: the home country lies east of this line.
    assert model.locate(-19.5, -59.9).side == "home"
    assert model.locate(-19.5, -60.1).side == "neighbour"
    assert model.locate(-19.5, -59.9).sector == "EST-06"
    assert model.locate(-19.5, -60.0).km == pytest.approx(line.length_km / 2, abs=0.01)


def test_point_at_rejects_km_past_the_end(border_model: BorderModel) -> None:
    with pytest.raises(ValueError, match="km outside"):
        border_model.borders["SYR"].point_at(10_000.0)
