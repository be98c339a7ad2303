"""Write the border configurations that ship in the package (run by `make data`).

- `iraq-syria.geojson` (the default): the Iraq-Syria line, its three official crossings, the
  160 km wall north of the Euphrates, berm, trench and fence, and an ILLUSTRATIVE sensor
  layout (towers every ~9 km, three aerostats, ground sensors on plausible smuggling routes).
  The layout is not a real deployment.
- `iraq.geojson`: all six of Iraq's land borders and the land crossings we could place.

Crossing positions are approximate (from public reporting, +-5 km) and snapped to the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point, shape

from borderwatch.geo.stationing import BorderLine

DATA = Path(__file__).resolve().parent.parent / "borderwatch" / "geo" / "data"
ISO3 = {
    "Syria": "SYR",
    "Iran": "IRN",
    "Turkey": "TUR",
    "Jordan": "JOR",
    "Saudi Arabia": "SAU",
    "Kuwait": "KWT",
}

# (id, name, Arabic name, neighbour, far-side name, approx lat, approx lon, opening hours)
CROSSINGS = [
    ("qaim", "Al-Qaim", "القائم", "Syria", "Albu Kamal", 34.389, 40.974, "08:00-20:00"),
    ("rabia", "Rabia", "ربيعة", "Syria", "Al-Yarubiyah", 36.808, 42.087, "08:00-18:00"),
    ("walid", "Al-Walid", "الوليد", "Syria", "Al-Tanf", 33.453, 38.733, "08:00-18:00"),
    ("trebil", "Trebil", "طريبيل", "Jordan", "Al-Karameh", 32.942, 39.007, None),
    ("arar", "Arar", "عرعر", "Saudi Arabia", "Jadidat Arar", 31.700, 41.390, "08:00-18:00"),
    ("jumaima", "Al-Jumaima", "الجميمة", "Saudi Arabia", "Al-Jumaimah", 29.360, 44.000, "08:00-18:00"),
    ("safwan", "Safwan", "سفوان", "Kuwait", "Al-Abdali", 30.090, 47.690, None),
    ("ibrahim-khalil", "Ibrahim Khalil", "إبراهيم الخليل", "Turkey", "Habur", 37.128, 42.588, None),
    ("haji-omaran", "Haji Omaran", "حاج عمران", "Iran", "Tamarchin", 36.653, 45.064, "08:00-18:00"),
    ("bashmaq", "Bashmaq", "باشماخ", "Iran", "Bashmaq", 35.602, 46.049, "08:00-18:00"),
    ("parviz-khan", "Parviz Khan", "برويز خان", "Iran", "Parviz Khan", 34.560, 45.700, "08:00-18:00"),
    ("munthiriya", "Al-Munthiriya", "المنذرية", "Iran", "Khosravi", 34.390, 45.480, "08:00-18:00"),
    ("mandali", "Mandali", "مندلي", "Iran", "Sumar", 33.780, 45.670, "08:00-18:00"),
    ("zurbatiyah", "Zurbatiyah", "زرباطية", "Iran", "Mehran", 33.120, 46.080, "08:00-18:00"),
    ("tib", "Al-Tib", "الطيب", "Iran", "Fakkeh", 32.390, 47.620, "08:00-18:00"),
    ("sheeb", "Al-Sheeb", "الشيب", "Iran", "Chazabeh", 31.840, 47.560, "08:00-18:00"),
    ("shalamcheh", "Shalamcheh", "الشلامجة", "Iran", "Shalamcheh", 30.510, 47.850, "08:00-18:00"),
]

TOWER = {"height_m": 30.0, "ranges_m": {"person": 5000.0, "vehicle": 12000.0, "animal": 3500.0}}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def border_features(names: list[str]) -> tuple[list[dict[str, Any]], dict[str, BorderLine]]:
    source = json.loads((DATA / "iraq_borders.geojson").read_text())
    iraq = next(shape(f["geometry"]) for f in source["features"] if f["properties"].get("name") == "Iraq")
    features, lines = [], {}
    for f in source["features"]:
        props = f["properties"]
        if props["kind"] != "border_line" or props["neighbour"] not in names:
            continue
        coords = [tuple(c) for c in f["geometry"]["coordinates"]]
        probe = BorderLine("probe", props["neighbour"], tuple(coords), "left")
        # Which side is Iraq? Step 2 km left of the line at mid-length and ask the outline.
        lat, lon = probe.offset_point(probe.length_km / 2, 2000.0)
        home_side = "left" if iraq.contains(Point(lon, lat)) else "right"
        ident = ISO3[props["neighbour"]]
        lines[props["neighbour"]] = BorderLine(ident, props["neighbour"], tuple(coords), home_side)
        features.append(
            feature(
                f["geometry"],
                kind="border_line",
                id=ident,
                neighbour=props["neighbour"],
                neighbour_iso3=ident,
                home_side=home_side,
                source=source["provenance"][props["source"]],
            )
        )
    return features, lines


def crossing_features(lines: dict[str, BorderLine]) -> list[dict[str, Any]]:
    out = []
    for ident, name, name_ar, neighbour, far, lat, lon, hours in CROSSINGS:
        if neighbour not in lines:
            continue
        line = lines[neighbour]
        st = line.locate(lat, lon)
        snapped = (float(st.nearest_lat[0]), float(st.nearest_lon[0]))
        print(f"  crossing {name:16s} km {st.km[0]:7.1f} snapped {abs(st.offset_m[0]) / 1000:5.1f} km")
        props = dict(kind="crossing", id=ident, name=name, name_ar=name_ar, neighbour=neighbour, neighbour_name=far)
        if hours:
            props["opening_hours"] = hours
        out.append(feature(point(*snapped), **props))
    return out


def syria_layout(line: BorderLine) -> list[dict[str, Any]]:
    qaim_km = float(line.locate(34.389, 40.974).km[0])
    end = line.length_km
    out = [
        feature(
            None,
            kind="barrier",
            id="wall-north",
            barrier_type="wall",
            border="SYR",
            name="Concrete wall",
            start_km=round(qaim_km + 3.0, 3),
            end_km=round(qaim_km + 163.0, 3),
            offset_m=60.0,
            height_m=3.0,
        ),
        feature(
            None,
            kind="barrier",
            id="berm",
            barrier_type="berm",
            border="SYR",
            name="Earthen berm",
            start_km=0.0,
            end_km=round(end, 3),
            offset_m=150.0,
            height_m=3.0,
        ),
        feature(
            None,
            kind="barrier",
            id="trench",
            barrier_type="trench",
            border="SYR",
            name="Anti-vehicle trench",
            start_km=0.0,
            end_km=round(end, 3),
            offset_m=250.0,
        ),
        feature(
            None,
            kind="barrier",
            id="fence-south",
            barrier_type="fence",
            border="SYR",
            name="Barbed wire",
            start_km=2.0,
            end_km=round(qaim_km - 4.0, 3),
            offset_m=100.0,
            height_m=2.0,
        ),
    ]
    for i, km in enumerate(np.arange(4.0, end - 2.0, 9.0), start=1):
        lat, lon = line.offset_point(float(km), 800.0)
        out.append(
            feature(
                point(lat, lon),
                kind="sensor",
                sensor_type="tower",
                id=f"cam-{i:02d}",
                name=f"Tower {i}, km {km:.0f}",
                **TOWER,
            )
        )
    for i, (name, km) in enumerate([("Al-Walid", 40.0), ("Al-Qaim", qaim_km), ("Sinjar", end - 110.0)], start=1):
        lat, lon = line.offset_point(float(km), 12_000.0)
        out.append(
            feature(
                point(lat, lon),
                kind="sensor",
                sensor_type="aerostat",
                id=f"aero-{i}",
                name=f"Aerostat {name}",
                altitude_m=500.0,
                radar_range_m=40_000.0,
                min_speed_mps=0.8,
            )
        )
    # Plausible smuggling routes: river valley, wadis and the Sinjar approaches (illustrative).
    routes = [
        qaim_km - 12,
        qaim_km - 2,
        qaim_km + 6,
        qaim_km + 25,
        qaim_km + 70,
        end - 140,
        end - 105,
        end - 60,
    ]
    n = 0
    for km in routes:
        for offset in (300.0, 900.0, 1800.0):
            n += 1
            lat, lon = line.offset_point(float(km), offset)
            out.append(
                feature(
                    point(lat, lon),
                    kind="sensor",
                    sensor_type="ground",
                    id=f"gs-{n:02d}",
                    modality="seismic" if n % 2 else "infrared",
                    radius_m=60.0 if n % 2 else 40.0,
                )
            )
    posts = [
        ("cp-walid", "Al-Walid road", 38.0, 6000.0),
        ("cp-qaim", "Husaybah", qaim_km + 1, 5000.0),
        ("cp-baaj", "Al-Baaj road", end - 170.0, 9000.0),
        ("cp-sinjar", "Sinjar road", end - 100.0, 8000.0),
        ("cp-rabia", "Rabia", end - 35.0, 5000.0),
    ]
    for ident, name, km, offset in posts:
        lat, lon = line.offset_point(float(km), offset)
        out.append(feature(point(lat, lon), kind="checkpoint", id=ident, name=name))
    bases = [
        ("pb-walid", "Al-Walid base", 30.0, 15000.0, 3),
        ("pb-akashat", "Akashat base", qaim_km - 90, 20000.0, 2),
        ("pb-qaim", "Al-Qaim base", qaim_km + 8, 10000.0, 4),
        ("pb-sinjar", "Sinjar base", end - 90.0, 15000.0, 3),
    ]
    for ident, name, km, offset, units in bases:
        lat, lon = line.offset_point(float(km), offset)
        out.append(feature(point(lat, lon), kind="patrol_base", id=ident, name=name, units=units))
    return out


def write(name: str, header: dict[str, Any], features: list[dict[str, Any]]) -> None:
    doc = {"type": "FeatureCollection", "borderwatch": header, "features": features}
    path = DATA / f"{name}.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(features)} features)")


def main() -> None:
    features, lines = border_features(["Syria"])
    write(
        "iraq-syria",
        {
            "version": 1,
            "name": "iraq-syria",
            "home_country": "Iraq",
            "home_iso3": "IRQ",
            "sector_length_km": 25.0,
            "illustrative": True,
            "description": "Iraq-Syria border: real line and crossings, the 160 km wall north of the Euphrates; "
            "sensor layout ILLUSTRATIVE, not a real deployment.",
        },
        features + crossing_features(lines) + syria_layout(lines["Syria"]),
    )
    features, lines = border_features(list(ISO3))
    write(
        "iraq",
        {
            "version": 1,
            "name": "iraq",
            "home_country": "Iraq",
            "home_iso3": "IRQ",
            "sector_length_km": 25.0,
            "description": "All of Iraq's land borders and the official land crossings we could place.",
        },
        features + crossing_features(lines),
    )


if __name__ == "__main__":
    main()
