"""The web picture's Python side without a browser: the basemap layers built from the border model, and
the compact track frames of the live push (`track_frame`), decoded as the client decodes them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from borderwatch.api.web_routes import CLASSES, STATUSES, track_frame
from borderwatch.geo.geodesy import azimuth_deg, distance_m
from borderwatch.geo.model import BorderModel, load_border_model
from borderwatch.web.basemap import KM_MARKER_STEP, LAYERS, basemap_document, basemap_layers, town_features


@pytest.fixture(scope="module")
def model() -> BorderModel:
    return load_border_model()


@pytest.fixture(scope="module")
def layers(model: BorderModel) -> dict[str, Any]:
    return basemap_layers(model)


def test_every_layer_is_a_valid_feature_collection_in_drawing_order(layers: dict[str, Any]) -> None:
    assert tuple(layers) == LAYERS
    for name, collection in layers.items():
        assert collection["type"] == "FeatureCollection", name
        for feature in collection["features"]:
            geometry = shape(feature["geometry"])
            assert geometry.is_valid and not geometry.is_empty, (name, feature["properties"])


def test_model_layers_hold_one_feature_per_model_record(model: BorderModel, layers: dict[str, Any]) -> None:
    assert len(layers["borders"]["features"]) == len(model.borders)
    assert len(layers["sectors"]["features"]) == len(model.sectors)
    assert len(layers["barriers"]["features"]) == len(model.barriers)
    assert len(layers["sensors"]["features"]) == len(model.sensors)
    assert len(layers["coverage"]["features"]) == len(model.sensors)
    assert len(layers["crossings"]["features"]) == len(model.crossings)
    assert len(layers["checkpoints"]["features"]) == len(model.checkpoints)
    assert len(layers["patrol_bases"]["features"]) == len(model.patrol_bases)
    names = {f["properties"].get("name") for f in layers["countries"]["features"]}
    assert model.header.home_country in names


def test_km_markers_lie_on_their_border_at_their_km(model: BorderModel, layers: dict[str, Any]) -> None:
    markers = layers["km_markers"]["features"]
    for border_id, line in model.borders.items():
        own = [f for f in markers if f["properties"]["border"] == border_id]
        assert len(own) == math.floor(line.length_km / KM_MARKER_STEP + 1e-9) + 1
        lon, lat = np.array([f["geometry"]["coordinates"] for f in own]).T
        stations = line.locate(lat, lon)
        kms = np.array([f["properties"]["km"] for f in own])
        assert np.allclose(stations.km, kms, atol=0.01)  # 5-decimal coordinates: about a metre
        assert np.all(np.abs(stations.offset_m) < 2.0)
        majors = [f["properties"]["km"] for f in own if f["properties"]["major"]]
        assert majors == [km for km in kms if round(km) % round(5 * KM_MARKER_STEP) == 0]


def test_coverage_follows_each_sensor_range_and_field_of_view(model: BorderModel, layers: dict[str, Any]) -> None:
    by_id = {f["properties"]["sensor_id"]: f for f in layers["coverage"]["features"]}
    for sensor in model.sensors:
        props = sensor.properties
        ring = np.array(by_id[props.id]["geometry"]["coordinates"][0])
        assert np.array_equal(ring[0], ring[-1]), f"{props.id}: ring not closed"
        lat0, lon0 = sensor.geometry.lat, sensor.geometry.lon
        d = distance_m(lat0, lon0, ring[:, 1], ring[:, 0])
        if props.sensor_type == "tower":
            expected = props.ranges_m.person
        else:
            expected = props.radar_range_m if props.sensor_type == "aerostat" else props.radius_m
        rim = d > 1.0  # a wedge starts and ends at the tower itself
        assert np.allclose(d[rim], expected, rtol=1e-3, atol=2.0), props.id
        if props.sensor_type == "tower" and props.fov_deg < 360:
            off = (azimuth_deg(lat0, lon0, ring[rim, 1], ring[rim, 0]) - props.pan_center_deg + 540.0) % 360.0 - 180.0
            assert np.all(np.abs(off) <= props.fov_deg / 2 + 0.5), props.id


def test_towns_are_the_shipped_ones_inside_the_model_bounds(model: BorderModel, layers: dict[str, Any]) -> None:
    west, south, east, north = model.bounds()
    shown = layers["towns"]["features"]
    assert shown, "the shipped towns cover the shipped border"
    for town in shown:
        lon, lat = town["geometry"]["coordinates"]
        assert west <= lon <= east and south <= lat <= north, town["properties"]
        assert town["properties"]["name"] and town["properties"]["population"] >= 10_000
    populations = [t["properties"]["population"] for t in shown]
    assert populations == sorted(populations, reverse=True)
    # A border far from the shipped data shows no towns rather than wrong ones.
    assert town_features((-75.0, 40.0, -73.0, 41.0)) == []
    everything = town_features((-180.0, -90.0, 180.0, 90.0))
    inside = [t for t in everything if west <= t["geometry"]["coordinates"][0] <= east
              and south <= t["geometry"]["coordinates"][1] <= north]  # fmt: skip
    assert inside == shown


def test_basemap_document_bounds_hold_the_border(model: BorderModel) -> None:
    document = basemap_document(model)
    west, south, east, north = document["bounds"]
    for line in model.borders.values():
        assert west <= line.lon.min() and line.lon.max() <= east
        assert south <= line.lat.min() and line.lat.max() <= north
    assert document["name"] == model.name


def _decode(frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The client's reading of a frame (web/src/main.ts tracksFromColumns)."""
    data = frame["data"]
    c = data["columns"]
    assert len({len(column) for column in c.values()}) == 1, "columns of unequal length"
    return {
        track_id: {"lat": c["lat"][i], "lon": c["lon"][i], "class": data["classes"][c["c"][i]],
                   "status": data["statuses"][c["s"][i]], "speed_mps": c["v"][i], "heading_deg": c["h"][i]}
        for i, track_id in enumerate(c["id"])
    }  # fmt: skip


track_records = st.fixed_dictionaries(
    {
        "track_id": st.text(min_size=1, max_size=8),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
        "class": st.sampled_from([*CLASSES, "camel", None]),
        "status": st.sampled_from(["tentative", "confirmed", "coasting", "deleted", "odd"]),
        "speed_mps": st.floats(0, 80),
        "heading_deg": st.floats(0, 360, exclude_max=True),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(track_records, max_size=30, unique_by=lambda r: r["track_id"]))
def test_track_frame_round_trips_within_its_stated_precision(records: list[dict[str, Any]]) -> None:
    frame = track_frame(records, 1000.0)
    decoded = _decode(frame)
    assert frame["topic"] == "tracks" and frame["data"]["time"] == 1000.0
    assert sorted(frame["data"]["removed"]) == sorted(r["track_id"] for r in records if r["status"] == "deleted")
    assert "rejected" not in frame["data"]
    for record in records:
        if record["status"] == "deleted":
            assert record["track_id"] not in decoded
            continue
        got = decoded[record["track_id"]]
        # Half a unit of the last kept digit, plus float rounding: 0.8 - 0.75 is 0.05000000000000004.
        ulp = 1e-9
        assert abs(got["lat"] - record["lat"]) <= 5e-6 + ulp and abs(got["lon"] - record["lon"]) <= 5e-6 + ulp
        assert abs(got["speed_mps"] - record["speed_mps"]) <= 0.05 + ulp
        turn = abs(got["heading_deg"] - record["heading_deg"]) % 360
        assert min(turn, 360 - turn) <= 0.5 + ulp and 0 <= got["heading_deg"] < 360
        assert got["class"] == (record["class"] if record["class"] in CLASSES else "unknown")
        assert got["status"] == (record["status"] if record["status"] in STATUSES else "tentative")


def test_track_frame_reads_stored_tracks_object_class() -> None:
    stored = {"track_id": 7, "lat": 33.1, "lon": 41.2, "object_class": "vehicle", "status": "confirmed"}
    frame = track_frame([stored], 0)
    assert _decode(frame) == {
        "7": {"lat": 33.1, "lon": 41.2, "class": "vehicle", "status": "confirmed", "speed_mps": 0.0, "heading_deg": 0}
    }


def test_track_frame_names_bad_records_and_keeps_the_rest() -> None:
    good = {"track_id": "A1", "lat": 33.0, "lon": 41.0, "class": "person", "status": "confirmed"}
    bad = [
        {"track_id": "B1", "lon": 41.0, "status": "confirmed"},
        {"track_id": "B2", "lat": float("nan"), "lon": 41.0, "status": "confirmed"},
        {"track_id": "B3", "lat": 33.0, "lon": "east", "status": "confirmed"},
        {"track_id": "B4", "lat": 95.0, "lon": 41.0, "status": "confirmed"},
        {"track_id": "B5", "lat": 33.0, "lon": 41.0, "speed_mps": float("inf"), "status": "confirmed"},
        {"lat": 33.0, "lon": 41.0, "status": "confirmed"},
    ]
    frame = track_frame([bad[0], good, *bad[1:]], 0)
    assert list(_decode(frame)) == ["A1"]
    rejected = frame["data"]["rejected"]
    assert len(rejected) == len(bad)
    for track_id, field in [("B1", "lat"), ("B2", "lat"), ("B3", "east"), ("B4", "95"), ("B5", "speed_mps")]:
        assert any(r.startswith(f"{track_id}: ") and field in r for r in rejected), (track_id, rejected)
    assert any("track_id is missing" in r for r in rejected)


def test_water_is_the_shipped_lakes_near_the_border(model: BorderModel, layers: dict[str, Any]) -> None:
    from shapely.geometry import Point, box, shape

    from borderwatch.web.basemap import WATER_MARGIN_DEG, water_features

    shown = [shape(f["geometry"]) for f in layers["water"]["features"]]
    assert shown and all(g.is_valid and g.area > 0 for g in shown)
    west, south, east, north = model.bounds()
    near = box(west - WATER_MARGIN_DEG, south - WATER_MARGIN_DEG, east + WATER_MARGIN_DEG, north + WATER_MARGIN_DEG)
    assert all(g.intersects(near) for g in shown)
    # Lake Assad, the Euphrates' reservoir behind the Tabqa dam (38.5 E, 35.9 N), is on the map.
    assert any(g.distance(Point(38.5, 35.9)) < 0.1 for g in shown)
    # A border far from the shipped data shows no water rather than wrong water.
    assert water_features((-75.0, 40.0, -73.0, 41.0)) == []
