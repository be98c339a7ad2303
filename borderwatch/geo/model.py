"""The border model: border lines, sectors and features, checked against each other.

`BorderModel` is what the rest of borderwatch speaks: it turns any point into a Location
(border, km marker, signed offset, side, sector) and knows the barriers, sensors, crossings,
checkpoints and patrol bases along the line. It is built from a validated BorderConfig and
rejects what the per-feature schema cannot see (unknown border, km past the line's end,
overlapping sectors, a sensor far from any border).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from borderwatch.geo.config import (
    BorderConfig,
    CheckpointFeature,
    ConfigError,
    CrossingFeature,
    PatrolBaseFeature,
    SensorFeature,
    load_config,
)
from borderwatch.geo.geodesy import ArrayLike, FloatArray, LocalFrame
from borderwatch.geo.stationing import BorderLine, Side

KM_TOLERANCE = 0.05  # km ranges may overshoot the line's end by this much (rounding in files)


@dataclass(frozen=True)
class Sector:
    """A named stretch [start_km, end_km) of one border line."""

    id: str
    name: str
    border: str
    start_km: float
    end_km: float
    mid_lat: float
    mid_lon: float

    @property
    def length_km(self) -> float:
        return self.end_km - self.start_km

    def frame(self) -> LocalFrame:
        """Local metric frame centred on the sector's middle."""
        return LocalFrame(self.mid_lat, self.mid_lon)


@dataclass(frozen=True)
class Location:
    """Where a point lies relative to the nearest border line."""

    border: str
    neighbour: str
    km: float
    offset_m: float
    side: Side
    sector: str
    sector_name: str
    distance_m: float


@dataclass(frozen=True)
class Locations:
    """Vectorised Location: one entry per input point."""

    border_index: npt.NDArray[np.int64]
    km: FloatArray
    offset_m: FloatArray
    sector_index: npt.NDArray[np.int64]  # index into BorderModel.sectors

    @property
    def home(self) -> npt.NDArray[np.bool_]:
        return self.offset_m >= 0.0


@dataclass(frozen=True)
class Barrier:
    id: str
    barrier_type: Literal["wall", "trench", "berm", "fence"]
    border: str
    start_km: float
    end_km: float
    offset_m: float
    coords: tuple[tuple[float, float], ...]  # (lon, lat)
    height_m: float | None = None


class BorderModel:
    """Border lines with stationing, sectors and every feature of a configuration."""

    def __init__(self, config: BorderConfig) -> None:
        self.config = config
        self.header = config.header
        problems: list[str] = []
        self.borders: dict[str, BorderLine] = {}
        for feature in config.border_lines:
            props = feature.properties
            coords = tuple((float(p[0]), float(p[1])) for p in feature.geometry.coordinates)
            self.borders[props.id] = BorderLine(props.id, props.neighbour, coords, props.home_side)
        self._border_ids = list(self.borders)

        self.sectors: list[Sector] = self._build_sectors(problems)
        self.barriers: list[Barrier] = self._build_barriers(problems)
        self.sensors: list[SensorFeature] = list(config.sensors)
        self.crossings: list[CrossingFeature] = list(config.crossings)
        self.checkpoints: list[CheckpointFeature] = list(config.checkpoints)
        self.patrol_bases: list[PatrolBaseFeature] = list(config.patrol_bases)
        if problems:  # sector and barrier problems first: locating needs sound sectors
            raise ConfigError(problems, config.source)
        self._sector_starts = {
            border: np.array([s.start_km for s in self.sectors if s.border == border]) for border in self.borders
        }
        self._sector_offsets = {
            border: next(i for i, s in enumerate(self.sectors) if s.border == border) for border in self.borders
        }
        self._check_distances(problems)
        if problems:
            raise ConfigError(problems, config.source)

    # ------------------------------------------------------------ construction

    def _km_range_problem(self, where: str, border: str, start_km: float, end_km: float) -> str | None:
        if border not in self.borders:
            return f"{where}: field properties.border: unknown border {border!r}; known: {list(self.borders)}"
        length = self.borders[border].length_km
        if end_km <= start_km:
            return f"{where}: field properties.end_km: {end_km} is not after start_km {start_km}"
        if end_km > length + KM_TOLERANCE:
            return f"{where}: field properties.end_km: {end_km} is past the end of border {border!r} ({length:.2f} km)"
        return None

    def _build_sectors(self, problems: list[str]) -> list[Sector]:
        sectors: list[Sector] = []
        explicit = {b: [f.properties for f in self.config.sectors if f.properties.border == b] for b in self.borders}
        for feature in self.config.sectors:
            p = feature.properties
            problem = self._km_range_problem(f"sector {p.id!r}", p.border, p.start_km, p.end_km)
            if problem:
                problems.append(problem)
        for border_id, line in self.borders.items():
            spans = sorted(explicit[border_id], key=lambda p: p.start_km)
            if spans:
                for before, after in pairwise(spans):
                    if after.start_km < before.end_km - 1e-9:
                        problems.append(
                            f"sector {after.id!r}: field properties.start_km: {after.start_km} overlaps sector "
                            f"{before.id!r} ({before.start_km}-{before.end_km} km)"
                        )
                pieces = [(p.id, p.name, p.start_km, min(p.end_km, line.length_km)) for p in spans]
            else:
                feature_props = next(f.properties for f in self.config.border_lines if f.properties.id == border_id)
                length_km = feature_props.sector_length_km or self.header.sector_length_km
                count = max(1, round(line.length_km / length_km))
                edges = np.linspace(0.0, line.length_km, count + 1)
                pieces = [
                    (f"{border_id}-{i + 1:02d}", f"{line.neighbour} {i + 1:02d}", float(a), float(b))
                    for i, (a, b) in enumerate(pairwise(edges))
                ]
            for ident, name, start, end in pieces:
                if end <= start or start > line.length_km:
                    continue
                lat, lon = line.point_at((start + end) / 2.0)
                sectors.append(Sector(ident, name, border_id, start, end, float(lat), float(lon)))
        return sectors

    def _build_barriers(self, problems: list[str]) -> list[Barrier]:
        barriers = []
        for feature in self.config.barriers:
            p = feature.properties
            problem = self._km_range_problem(f"barrier {p.id!r}", p.border, p.start_km, p.end_km)
            if problem:
                problems.append(problem)
                continue
            line = self.borders[p.border]
            end = min(p.end_km, line.length_km)
            if feature.geometry is not None:
                coords = tuple((float(c[0]), float(c[1])) for c in feature.geometry.coordinates)
            else:
                coords = tuple(line.slice_coords(p.start_km, end, p.offset_m))
            barriers.append(Barrier(p.id, p.barrier_type, p.border, p.start_km, end, p.offset_m, coords, p.height_m))
        return barriers

    def _check_distances(self, problems: list[str]) -> None:
        limit_sensor = self.header.max_sensor_offset_km * 1000.0
        for feature in self.sensors:
            where = f"sensor {feature.properties.id!r}"
            dist = abs(float(self.locate_many([feature.geometry.lat], [feature.geometry.lon]).offset_m[0]))
            if dist > limit_sensor:
                problems.append(
                    f"{where}: field geometry.coordinates: {dist / 1000:.1f} km from the nearest border line "
                    f"(max_sensor_offset_km is {self.header.max_sensor_offset_km:g})"
                )
        limit_crossing = self.header.max_crossing_offset_km * 1000.0
        for crossing in self.crossings:
            props = crossing.properties
            if props.crossing_type != "land":
                continue
            lines = [b for b in self.borders.values() if b.neighbour == props.neighbour]
            if not lines:
                continue  # a crossing on a border this configuration does not model
            dist = min(abs(float(b.locate(crossing.geometry.lat, crossing.geometry.lon).offset_m[0])) for b in lines)
            if dist > limit_crossing:
                problems.append(
                    f"crossing {props.id!r}: field geometry.coordinates: {dist / 1000:.1f} km from the "
                    f"{props.neighbour} border (max_crossing_offset_km is {self.header.max_crossing_offset_km:g})"
                )

    # ------------------------------------------------------------ queries

    @property
    def name(self) -> str:
        return self.header.name

    def border(self, border_id: str) -> BorderLine:
        return self.borders[border_id]

    def sector(self, sector_id: str) -> Sector:
        for sector in self.sectors:
            if sector.id == sector_id:
                return sector
        raise KeyError(sector_id)

    def locate_many(self, lat: ArrayLike, lon: ArrayLike) -> Locations:
        """Nearest border, km marker, signed offset and sector for arrays of points."""
        lat_a, lon_a = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
        stations = [line.km_offset(lat_a, lon_a) for line in self.borders.values()]
        if len(stations) == 1:  # the common case, without the stacking
            km, offset = stations[0]
            best = np.zeros(lat_a.size, dtype=np.int64)
            starts = self._sector_starts[self._border_ids[0]]
            # np.minimum/np.maximum, not np.clip: its Python-level wrapper cost more than the search.
            local = np.minimum(np.maximum(np.searchsorted(starts, km, side="right") - 1, 0), len(starts) - 1)
            return Locations(best, km, offset, local + self._sector_offsets[self._border_ids[0]])
        offsets = np.vstack([s[1] for s in stations])
        best = np.argmin(np.abs(offsets), axis=0)
        cols = np.arange(lat_a.size)
        km = np.vstack([s[0] for s in stations])[best, cols]
        sector_index = np.empty(lat_a.size, dtype=np.int64)
        for b, border_id in enumerate(self._border_ids):
            mask = best == b
            if np.any(mask):
                starts = self._sector_starts[border_id]
                local = np.clip(np.searchsorted(starts, km[mask], side="right") - 1, 0, len(starts) - 1)
                sector_index[mask] = local + self._sector_offsets[border_id]
        return Locations(best.astype(np.int64), km, offsets[best, cols], sector_index)

    def locate(self, lat: float, lon: float) -> Location:
        """Where one point lies: nearest border, km marker, offset, side and sector."""
        loc = self.locate_many([lat], [lon])
        border = self.borders[self._border_ids[int(loc.border_index[0])]]
        sector = self.sectors[int(loc.sector_index[0])]
        offset = float(loc.offset_m[0])
        return Location(
            border=border.id,
            neighbour=border.neighbour,
            km=float(loc.km[0]),
            offset_m=offset,
            side="home" if offset >= 0.0 else "neighbour",
            sector=sector.id,
            sector_name=sector.name,
            distance_m=abs(offset),
        )

    def border_ids(self) -> Sequence[str]:
        return self._border_ids

    def bounds(self, margin_deg: float = 0.3) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of every border line and point feature."""
        lons = [c for line in self.borders.values() for c in (line.lon.min(), line.lon.max())]
        lats = [c for line in self.borders.values() for c in (line.lat.min(), line.lat.max())]
        points = [f.geometry for f in self.sensors] + [f.geometry for f in self.crossings]
        points += [f.geometry for f in self.checkpoints] + [f.geometry for f in self.patrol_bases]
        for geometry in points:
            lons.append(geometry.lon)
            lats.append(geometry.lat)
        return (
            min(lons) - margin_deg,
            min(lats) - margin_deg,
            max(lons) + margin_deg,
            max(lats) + margin_deg,
        )


def load_border_model(path: str | Path | None = None) -> BorderModel:
    """Load, validate and build the border model; None is the default that ships."""
    return BorderModel(load_config(path))
