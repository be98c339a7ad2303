"""The basemap's rivers: the shipped WDB II centerlines with the major rivers named, checked against the other
shipped geometry (the Iraq–Syria line and its al-Qaim crossing, the countries, GeoNames towns) rather than
against coordinates read off the rivers file itself."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest
from shapely.geometry import LineString, MultiLineString, Point, box, shape
from shapely.ops import unary_union

from borderwatch.geo.geodesy import distance_m
from borderwatch.geo.model import BorderModel, load_border_model
from borderwatch.web.basemap import WATER_MARGIN_DEG, basemap_layers, river_features

ARABIC = re.compile(r"^[\u0600-\u06ff ]+$")
KM_PER_DEG = 111.2  # of latitude; the margins below are generous enough for the sphere's detail not to matter


@pytest.fixture(scope="module")
def model() -> BorderModel:
    return load_border_model()


@pytest.fixture(scope="module")
def rivers(model: BorderModel) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = basemap_layers(model)["rivers"]["features"]
    return features


def _named(features: list[dict[str, Any]], name: str) -> LineString | MultiLineString:
    matches = [shape(f["geometry"]) for f in features if f["properties"].get("name") == name]
    assert len(matches) == 1, f"{name}: {len(matches)} features"
    geometry = matches[0]
    assert isinstance(geometry, LineString | MultiLineString)
    return geometry


def _shipped(directory: str, package: str, name: str) -> list[dict[str, Any]]:
    path = resources.files(package) / directory / name
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _country(name: str) -> Any:
    features = _shipped("data", "borderwatch.geo", "iraq_borders.geojson")
    return unary_union([shape(f["geometry"]) for f in features if f["properties"].get("name") == name])


def _town(name: str) -> Point:
    (town,) = [f for f in _shipped("data", "borderwatch.web", "towns.geojson") if f["properties"]["name"] == name]
    return Point(town["geometry"]["coordinates"])


def test_every_river_is_a_line_and_the_major_ones_are_named_in_english_and_arabic(
    rivers: list[dict[str, Any]],
) -> None:
    assert rivers
    for feature in rivers:
        geometry = shape(feature["geometry"])
        assert isinstance(geometry, LineString | MultiLineString) and geometry.is_valid and not geometry.is_empty
        props = feature["properties"]
        assert props["kind"] == "river"
        if props["major"]:
            assert props["name"] and ARABIC.match(props["name_ar"]), props
        else:
            assert "name" not in props
    names = {f["properties"].get("name") for f in rivers}
    assert {"Euphrates", "Tigris", "Khabur"} <= names


def test_the_euphrates_crosses_the_iraq_syria_line_at_al_qaim(model: BorderModel, rivers: list[dict[str, Any]]) -> None:
    euphrates = _named(rivers, "Euphrates")
    border = unary_union([shape(f["geometry"]) for f in basemap_layers(model)["borders"]["features"]])
    crossing_points = euphrates.intersection(border)
    assert not crossing_points.is_empty, "the Euphrates does not cross the border line"
    (qaim,) = [c for c in model.crossings if "qaim" in c.properties.name.lower()]
    for point in getattr(crossing_points, "geoms", [crossing_points]):
        # the river meets the line within a few km of the al-Qaim / Albu Kamal crossing, and nowhere else
        assert distance_m(qaim.geometry.lat, qaim.geometry.lon, point.y, point.x) < 10_000
    # a long reach on each side: it comes out of Syria and flows on through Iraq
    assert euphrates.intersection(_country("Syria")).length * KM_PER_DEG > 300
    assert euphrates.intersection(_country("Iraq")).length * KM_PER_DEG > 500


def test_the_tigris_flows_past_mosul_and_baghdad_to_the_shatt_al_arab(rivers: list[dict[str, Any]]) -> None:
    everything = river_features((38.0, 29.0, 49.0, 38.5))
    tigris = _named(everything, "Tigris")
    for town in ("Mosul", "Baghdad", "Al Kūt"):
        assert tigris.distance(_town(town)) * KM_PER_DEG < 8, town
    assert tigris.intersection(_country("Iraq")).length * KM_PER_DEG > 900
    shatt = _named(everything, "Shatt al-Arab")
    assert tigris.distance(shatt) < 1e-3  # they meet
    assert shatt.distance(_town("Basrah")) * KM_PER_DEG < 8
    # The Tigris runs well east of the Euphrates: they are different lines, not one named twice.
    assert tigris.distance(_town("Ramadi")) * KM_PER_DEG > 50


def test_tributaries_reach_their_rivers(rivers: list[dict[str, Any]]) -> None:
    everything = river_features((38.0, 29.0, 49.0, 38.5))
    for tributary, receiving in (("Khabur", "Euphrates"), ("Diyala", "Tigris")):
        assert _named(everything, tributary).distance(_named(everything, receiving)) < 1e-3, tributary


def test_the_layer_keeps_the_rivers_near_the_border_and_none_elsewhere(
    model: BorderModel, rivers: list[dict[str, Any]]
) -> None:
    west, south, east, north = model.bounds()
    m = WATER_MARGIN_DEG
    near = box(west - m, south - m, east + m, north + m)
    assert all(shape(f["geometry"]).intersects(near) for f in rivers)
    assert len(rivers) < len(river_features((-180.0, -90.0, 180.0, 90.0)))  # some shipped rivers are farther off
    assert river_features((-75.0, 40.0, -73.0, 41.0)) == []
