"""Fixtures: a small hand-built one with one barrier and two sensors."""

from __future__ import annotations

from typing import Any

import pytest

from borderwatch.geo.config import parse_config
from borderwatch.geo.model import BorderModel


def toy_config() -> dict[str, Any]:
    """A straight 11 km border running north, home country to the east; a wall over km 3-8, 100 m inside."""
    return {
        "type": "FeatureCollection",
        "borderwatch": {"version": 1, "name": "toy", "home_country": "Homeland", "sector_length_km": 5.0},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[40.0, 34.0], [40.0, 34.1]]},
                "properties": {"kind": "border_line", "id": "TOY", "neighbour": "Farland", "home_side": "right"},
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "kind": "barrier",
                    "id": "wall-1",
                    "barrier_type": "wall",
                    "border": "TOY",
                    "start_km": 3.0,
                    "end_km": 8.0,
                    "offset_m": 100.0,
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [40.012, 34.05]},
                "properties": {
                    "kind": "sensor",
                    "sensor_type": "tower",
                    "id": "tower-1",
                    "height_m": 20.0,
                    "ranges_m": {"person": 4000.0, "vehicle": 8000.0, "animal": 3000.0},
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [40.002, 34.02]},
                "properties": {"kind": "sensor", "sensor_type": "ground", "id": "ugs-1", "radius_m": 50.0},
            },
        ],
    }


@pytest.fixture(scope="session")
def toy_model() -> BorderModel:
    return BorderModel(parse_config(toy_config(), "toy"))
