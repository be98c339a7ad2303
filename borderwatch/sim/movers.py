"""Movers: smugglers, convoys, patrols, shepherds with flocks, wildlife and legitimate traffic.

Routes are planned in border coordinates (km marker, offset from the line) so that behaviour
follows the border whatever its shape: vehicles and walkers go around walls (through the gaps at
their ends), slow down crossing berms, trenches and fences, and every border crossing is a
waypoint on the line itself, which makes the truth events exact. All routes then become one set
of flat NumPy arrays (`MoverTable`) with positions at any time by interpolation.
May import: NumPy, geo, sensors (class codes), sim.scenario.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from borderwatch.geo.geodesy import GEOD
from borderwatch.geo.model import Barrier, BorderModel
from borderwatch.geo.stationing import BorderLine
from borderwatch.sensors.formats import OBJECT_CLASSES, ROLES
from borderwatch.sensors.models import east_north_m
from borderwatch.sim.scenario import MoverGroup, Scenario, ScenarioError, ScriptedRoute, Span

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Mode = Literal["foot", "vehicle", "road"]

# Speed factor while crossing a barrier band (+-BAND_M around it), on foot and in a vehicle. Walls
# stop both: routes go around them. Values are judgement, not measurement: a loaded walker
# cutting a fence or climbing a berm, a pickup nosing over a berm or through a filled trench.
BARRIER_FACTOR: dict[str, dict[str, float]] = {
    "fence": {"foot": 0.3, "vehicle": 0.2},
    "berm": {"foot": 0.5, "vehicle": 0.15},
    "trench": {"foot": 0.4, "vehicle": 0.1},
}
BAND_M = 20.0
MAX_LEG_KM = 0.5  # longest leg along the line before it is split to follow the line's bends
WALL_GAP_KM = (0.3, 1.5)  # how far past a wall's end movers go round it
WANDER_MIN_OFFSET_M = 400.0  # shepherds and wildlife keep this far from the line
KEY_STRIDE = 1.0e7  # seconds: route times of mover i live in [i * KEY_STRIDE, (i + 1) * KEY_STRIDE)

SPECIES_SPEED = {"sheep": 0.5, "camel": 1.0, "dog": 1.5}


@dataclass
class StationRoute:
    """A route in border coordinates before it becomes lat/lon: waypoints, speeds and dwells."""

    truth_id: str
    object_class: str
    role: str
    border: str
    start_s: float
    km: list[float]
    offset_m: list[float]
    speed: list[float]  # per segment, m/s, before barrier factors
    dwell_s: list[float] = field(default_factory=list)  # per waypoint
    mode: Mode = "foot"


@dataclass
class Route:
    """A route in lat/lon with the time (s after the scenario start) at every waypoint."""

    truth_id: str
    object_class: str
    role: str
    lat: FloatArray
    lon: FloatArray
    time: FloatArray
    crossings: list[tuple[int, str]]  # (waypoint index on the line, inbound|outbound)


def station_points(line: BorderLine, km: FloatArray, offset_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(lat, lon) of km markers shifted offset_m metres at right angles (positive: home side)."""
    km = np.clip(km, 0.0, line.length_km)
    lat, lon = line.point_at(km)
    metres = km * 1000.0
    seg = np.clip(np.searchsorted(line.vertex_m, metres, side="right") - 1, 0, len(line.lon) - 2)
    az, _, _ = GEOD.inv(line.lon[seg], line.lat[seg], line.lon[seg + 1], line.lat[seg + 1])
    turn = -90.0 if line.home_side == "left" else 90.0
    lon2, lat2, _ = GEOD.fwd(lon, lat, np.asarray(az) + turn, offset_m)
    on_line = offset_m == 0.0
    return np.where(on_line, lat, lat2), np.where(on_line, lon, lon2)


class RoutePlanner:
    """Plans routes on one border model; every random draw comes from the planner's generator."""

    def __init__(self, model: BorderModel, spans: Sequence[Span], rng: np.random.Generator, duration_s: float):
        self.model = model
        self.spans = list(spans)
        self.rng = rng
        self.duration = duration_s
        self.weights = np.array([s.length_km for s in self.spans])
        self.weights = self.weights / self.weights.sum()
        self.counter = 0

    # ---------------------------------------------------------------- placement

    def _place(self, group: MoverGroup) -> tuple[str, float, float, float]:
        """(border, km, low km, high km) for one mover of a group."""
        if group.near_crossing is not None or group.near_km is not None:
            border, centre = self._centre(group)
            line = self.model.borders[border]
            low, high = max(0.0, centre - group.spread_km), min(line.length_km, centre + group.spread_km)
        else:
            span = self.spans[int(self.rng.choice(len(self.spans), p=self.weights))]
            border, low, high = span.border, span.start_km, span.end_km
        return border, float(self.rng.uniform(low, high)), low, high

    def _centre(self, group: MoverGroup) -> tuple[str, float]:
        if group.near_crossing is not None:
            found = [c for c in self.model.crossings if c.properties.id == group.near_crossing]
            if not found:
                known = ", ".join(c.properties.id for c in self.model.crossings)
                raise ScenarioError(
                    f"mover group {group.kind}: field near_crossing: unknown crossing "
                    f"{group.near_crossing!r}; known: {known}"
                )
            loc = self.model.locate(found[0].geometry.lat, found[0].geometry.lon)
            return loc.border, loc.km
        border = self.spans[0].border
        return border, float(group.near_km or 0.0)

    def _window(self, group: MoverGroup, default_end: float) -> float:
        low, high = group.window_s if group.window_s is not None else (0.0, default_end)
        # A window past a shortened run (--duration) starts its movers at the end: never seen.
        low, high = min(low, self.duration), min(high, self.duration)
        return float(self.rng.uniform(low, high))

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def _barriers_at(self, border: str, km: float) -> list[Barrier]:
        return [b for b in self.model.barriers if b.border == border and b.start_km <= km <= b.end_km]

    def _crossing_km(self, border: str, km: float, mode: Mode) -> float:
        """A crossing km marker clear of walls: the nearest wall end, plus a little, if km is behind a wall."""
        line = self.model.borders[border]
        for _ in range(3):
            walls = [b for b in self._barriers_at(border, km) if b.barrier_type == "wall"]
            if not walls or mode == "road":
                return km
            wall = walls[0]
            gap = float(self.rng.uniform(*WALL_GAP_KM))
            before, after = wall.start_km - gap, wall.end_km + gap
            options = [k for k in (before, after) if 0.0 <= k <= line.length_km]
            if not options:
                return km  # a wall along the whole line: nothing to go round
            km = min(options, key=lambda k: abs(k - km))
        return km

    # ---------------------------------------------------------------- generators

    def crossing_route(
        self,
        prefix: str,
        cls: str,
        role: str,
        mode: Mode,
        group: MoverGroup,
        depth_m: tuple[tuple[float, float], tuple[float, float]],
        speed: float,
        drift_km: float,
    ) -> StationRoute:
        """From one side, across the line (clear of walls), to the other side."""
        border, km, _, _ = self._place(group)
        inbound = bool(self.rng.random() < group.inbound_fraction)
        sign = 1.0 if inbound else -1.0
        cross = self._crossing_km(border, km, mode)
        start_off = -sign * float(self.rng.uniform(*depth_m[0]))
        end_off = sign * float(self.rng.uniform(*depth_m[1]))
        near = [b.offset_m for b in self._barriers_at(border, cross)] + [0.0]
        approach = max(abs(min(near)), abs(max(near))) + 200.0
        line_len = self.model.borders[border].length_km
        k0 = float(np.clip(cross + self.rng.uniform(-drift_km, drift_km), 0.0, line_len))
        k1 = float(np.clip(cross + self.rng.uniform(-drift_km, drift_km), 0.0, line_len))
        kms = [k0, cross, cross, k1]
        offs = [start_off, -sign * approach, sign * approach, end_off]
        return StationRoute(self._id(prefix), cls, role, border, 0.0, kms, offs, [speed] * 3, mode=mode)

    def group_routes(self, group: MoverGroup) -> list[StationRoute]:
        rng = self.rng
        routes: list[StationRoute] = []
        half = 0.5 * self.duration
        if group.kind == "legit_traffic":
            return self._legit(group)
        for _ in range(group.count):
            if group.kind == "smuggler_foot":
                speed = group.speed_mps or float(rng.uniform(1.0, 1.4))  # walking with a load
                route = self.crossing_route(
                    "sf", "person", "smuggler", "foot", group, ((1500.0, 5000.0), (2000.0, 8000.0)), speed, 2.0
                )
                route.start_s = self._window(group, half)
                routes.append(route)
            elif group.kind == "smuggler_vehicle":
                speed = group.speed_mps or float(rng.uniform(8.0, 14.0))
                route = self.crossing_route(
                    "sv", "vehicle", "smuggler", "vehicle", group, ((3000.0, 10000.0), (5000.0, 15000.0)), speed, 4.0
                )
                route.start_s = self._window(group, half)
                routes.append(route)
            elif group.kind == "convoy":
                speed = group.speed_mps or float(rng.uniform(8.0, 12.0))
                lead = self.crossing_route(
                    "cv", "vehicle", "smuggler", "vehicle", group, ((3000.0, 10000.0), (5000.0, 15000.0)), speed, 4.0
                )
                lead.start_s = self._window(group, half)
                for n in range(group.vehicles):
                    routes.append(
                        StationRoute(
                            self._id("cv"),
                            "vehicle",
                            "smuggler",
                            lead.border,
                            lead.start_s + n * float(rng.uniform(20.0, 40.0)),
                            list(lead.km),
                            list(lead.offset_m),
                            list(lead.speed),
                            mode="vehicle",
                        )
                    )
            elif group.kind == "patrol":
                routes.append(self._patrol(group))
            elif group.kind == "shepherd":
                routes.extend(self._shepherd(group))
            elif group.kind == "wildlife":
                routes.append(self._wander(group, "w", "animal", "animal", SPECIES_SPEED[group.species]))
        return routes

    def _patrol(self, group: MoverGroup) -> StationRoute:
        border, km, _, _ = self._place(group)
        line = self.model.borders[border]
        offset = float(self.rng.uniform(400.0, 1500.0))
        reach = float(self.rng.uniform(10.0, 20.0))
        speed = group.speed_mps or float(self.rng.uniform(8.0, 12.0))
        a, b = max(0.0, km - reach / 2), min(line.length_km, km + reach / 2)
        kms, dwell, t = [km], [0.0], 0.0
        while t < self.duration:  # back and forth along the patrol track, stopping at each end
            for end in (b, a):
                t += abs(end - kms[-1]) * 1000.0 / speed
                kms.append(end)
                dwell.append(float(self.rng.uniform(60.0, 300.0)))
                t += dwell[-1]
        return StationRoute(
            self._id("p"),
            "vehicle",
            "patrol",
            border,
            0.0,
            kms,
            [offset] * len(kms),
            [speed] * (len(kms) - 1),
            dwell,
            mode="vehicle",
        )

    def _wander(
        self,
        group: MoverGroup,
        prefix: str,
        cls: str,
        role: str,
        speed: float,
        base: tuple[str, float, float] | None = None,
    ) -> StationRoute:
        """A slow random walk on one side of the line, with grazing stops."""
        if base is None:
            border, km, _, _ = self._place(group)
            side = 1.0 if self.rng.random() < 0.6 else -1.0
        else:
            border, km, side = base
        line = self.model.borders[border]
        legs = 8
        kms = np.clip(km + np.cumsum(self.rng.normal(0.0, 0.4, legs)), 0.0, line.length_km)
        offs = side * self.rng.uniform(WANDER_MIN_OFFSET_M, 4000.0, legs)
        dwell = self.rng.uniform(120.0, 600.0, legs)
        return StationRoute(
            self._id(prefix),
            cls,
            role,
            border,
            0.0,
            kms.tolist(),
            offs.tolist(),
            [group.speed_mps or speed] * (legs - 1),
            dwell.tolist(),
            mode="foot",
        )

    def _shepherd(self, group: MoverGroup) -> list[StationRoute]:
        shepherd = self._wander(group, "sh", "person", "civilian", 0.6)
        side = 1.0 if shepherd.offset_m[0] > 0 else -1.0
        flock = StationRoute(
            self._id("fl"),
            "animal",
            "animal",
            shepherd.border,
            20.0,
            [k + 0.03 for k in shepherd.km],
            [o + side * 30.0 for o in shepherd.offset_m],
            list(shepherd.speed),
            list(shepherd.dwell_s),
            mode="foot",
        )
        return [shepherd, flock]

    def _legit(self, group: MoverGroup) -> list[StationRoute]:
        """Traffic through official land crossings inside the area: slow at the gates, customs stop."""
        crossings = []
        for c in self.model.crossings:
            if c.properties.crossing_type != "land":
                continue
            loc = self.model.locate(c.geometry.lat, c.geometry.lon)
            if group.near_crossing is not None and c.properties.id != group.near_crossing:
                continue
            if group.near_crossing is None and not any(
                s.border == loc.border and s.start_km <= loc.km <= s.end_km for s in self.spans
            ):
                continue
            crossings.append((loc.border, loc.km))
        routes: list[StationRoute] = []
        if not crossings:
            return routes
        for _ in range(group.count):
            border, km = crossings[int(self.rng.integers(len(crossings)))]
            sign = 1.0 if self.rng.random() < 0.5 else -1.0
            speed = group.speed_mps or float(self.rng.uniform(12.0, 18.0))
            offs = [-sign * 6000.0, -sign * 300.0, 0.0, sign * 300.0, sign * 6000.0]
            routes.append(
                StationRoute(
                    self._id("lt"),
                    "vehicle",
                    "civilian",
                    border,
                    self._window(group, self.duration),
                    [km] * 5,
                    offs,
                    [speed, 2.0, 2.0, speed],
                    [0.0, 0.0, float(self.rng.uniform(120, 900)), 0, 0],
                    mode="road",
                )
            )
        return routes


def _expand(
    route: StationRoute, model: BorderModel
) -> tuple[list[float], list[float], list[float], list[float], list[tuple[int, str]]]:
    """Insert on-line and barrier-band waypoints; returns km, offset, per-segment speed, dwell, crossings."""
    kms, offs, speeds, dwells = [route.km[0]], [route.offset_m[0]], [], [route.dwell_s[0] if route.dwell_s else 0.0]
    crossings: list[tuple[int, str]] = []
    barriers = [b for b in model.barriers if b.border == route.border and b.barrier_type != "wall"]
    for i in range(len(route.km) - 1):
        k_a, o_a, k_b, o_b = route.km[i], route.offset_m[i], route.km[i + 1], route.offset_m[i + 1]
        speed = route.speed[i]
        cuts: list[tuple[float, float, str]] = []  # (fraction along, offset, what)
        if o_a != o_b:
            if (o_a < 0.0 < o_b) or (o_b < 0.0 < o_a):
                cuts.append((o_a / (o_a - o_b), 0.0, "line"))
            if route.mode != "road":
                for barrier in barriers:
                    for edge in (barrier.offset_m - BAND_M, barrier.offset_m + BAND_M):
                        frac = (edge - o_a) / (o_b - o_a)
                        km_at = k_a + frac * (k_b - k_a)
                        if 0.0 < frac < 1.0 and barrier.start_km <= km_at <= barrier.end_km:
                            cuts.append((frac, edge, barrier.barrier_type))
        cuts.sort()
        for frac, off, what in cuts:
            kms.append(k_a + frac * (k_b - k_a))
            offs.append(off)
            dwells.append(0.0)
            if what == "line":
                crossings.append((len(kms) - 1, "inbound" if o_b > o_a else "outbound"))
        kms.append(k_b)
        offs.append(o_b)
        dwells.append(route.dwell_s[i + 1] if route.dwell_s else 0.0)
        # Speeds per new segment: slowed while inside a barrier band.
        n_new = len(cuts) + 1
        for j in range(n_new):
            seg_km = 0.5 * (kms[-n_new - 1 + j] + kms[-n_new + j])
            seg_off = 0.5 * (offs[-n_new - 1 + j] + offs[-n_new + j])
            factor = 1.0
            if route.mode != "road":
                for barrier in barriers:
                    if abs(seg_off - barrier.offset_m) < BAND_M and barrier.start_km <= seg_km <= barrier.end_km:
                        factor = min(
                            factor,
                            BARRIER_FACTOR[barrier.barrier_type]["vehicle" if route.mode == "vehicle" else "foot"],
                        )
            speeds.append(speed * factor)
    # A waypoint set on the line itself (an official crossing's gate) is a crossing too.
    marked = {k for k, _ in crossings}
    for k in range(1, len(offs) - 1):
        if offs[k] == 0.0 and k not in marked:
            before = next((o for o in reversed(offs[:k]) if o != 0.0), 0.0)
            after = next((o for o in offs[k + 1 :] if o != 0.0), 0.0)
            if before * after < 0.0:
                crossings.append((k, "inbound" if after > 0.0 else "outbound"))
    crossings.sort()
    return _subdivide(kms, offs, speeds, dwells, crossings)


def _subdivide(
    kms: list[float], offs: list[float], speeds: list[float], dwells: list[float], crossings: list[tuple[int, str]]
) -> tuple[list[float], list[float], list[float], list[float], list[tuple[int, str]]]:
    """Split legs longer than MAX_LEG_KM along the line, so that routes follow its bends.

    A straight lat/lon chord between two km markers far apart would cut across a bend of the
    border, and a patrol 400 m inside it would cross the line without knowing.
    """
    out_km, out_off, out_speed, out_dwell = [kms[0]], [offs[0]], [], [dwells[0]]
    new_index = [0]
    for i in range(len(kms) - 1):
        pieces = max(1, math.ceil(abs(kms[i + 1] - kms[i]) / MAX_LEG_KM))
        for j in range(1, pieces + 1):
            frac = j / pieces
            out_km.append(kms[i] + frac * (kms[i + 1] - kms[i]))
            out_off.append(offs[i] + frac * (offs[i + 1] - offs[i]))
            out_speed.append(speeds[i])
            out_dwell.append(dwells[i + 1] if j == pieces else 0.0)
        new_index.append(len(out_km) - 1)
    return out_km, out_off, out_speed, out_dwell, [(new_index[k], d) for k, d in crossings]


def to_routes(station_routes: Sequence[StationRoute], model: BorderModel) -> list[Route]:
    """Lat/lon routes with waypoint times (dwells become zero-motion segments)."""
    expanded = [_expand(r, model) for r in station_routes]
    lat_all: dict[int, tuple[FloatArray, FloatArray]] = {}
    for border in model.borders:
        members = [i for i, r in enumerate(station_routes) if r.border == border]
        if not members:
            continue
        km = np.concatenate([np.asarray(expanded[i][0]) for i in members])
        off = np.concatenate([np.asarray(expanded[i][1]) for i in members])
        lat, lon = station_points(model.borders[border], km, off)
        start = 0
        for i in members:
            n = len(expanded[i][0])
            lat_all[i] = (lat[start : start + n], lon[start : start + n])
            start += n
    routes = []
    for i, route in enumerate(station_routes):
        _, _, speeds, dwells, crossings = expanded[i]
        lat, lon = lat_all[i]
        routes.append(
            _timed(
                route.truth_id,
                route.object_class,
                route.role,
                route.start_s,
                lat,
                lon,
                np.asarray(speeds),
                np.asarray(dwells),
                crossings,
            )
        )
    return routes


def _timed(
    truth_id: str,
    cls: str,
    role: str,
    start_s: float,
    lat: FloatArray,
    lon: FloatArray,
    speeds: FloatArray,
    dwells: FloatArray,
    crossings: list[tuple[int, str]],
) -> Route:
    """Route with waypoint times; a dwell at a waypoint becomes a repeated waypoint."""
    east, north = east_north_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    travel = np.hypot(east, north) / np.maximum(speeds, 1e-6)
    lat_out, lon_out, time_out = [lat[0]], [lon[0]], [start_s]
    index_map: list[int] = []  # output index of each input waypoint (its arrival)
    t = start_s
    for j in range(len(lat)):
        if j > 0:
            t += float(travel[j - 1])
            lat_out.append(lat[j])
            lon_out.append(lon[j])
            time_out.append(t)
        index_map.append(len(lat_out) - 1)
        if dwells[j] > 0.0:
            t += float(dwells[j])
            lat_out.append(lat[j])
            lon_out.append(lon[j])
            time_out.append(t)
    moved = [(index_map[k], d) for k, d in crossings]
    return Route(truth_id, cls, role, np.asarray(lat_out), np.asarray(lon_out), np.asarray(time_out), moved)


def scripted_route(route: ScriptedRoute, model: BorderModel, duration_s: float, index: int) -> Route:
    """A scenario's scripted route; waypoints in km/offset or lat/lon, crossings found by locating."""
    lat, lon = [], []
    for n, wp in enumerate(route.waypoints):
        if wp.km is not None:
            border = wp.border or next(iter(model.borders))
            if border not in model.borders:
                raise ScenarioError(
                    f"routes.{index} ({route.truth_id}): field waypoints.{n}.border: unknown "
                    f"border {border!r}; known: {list(model.borders)}"
                )
            p_lat, p_lon = station_points(model.borders[border], np.array([wp.km]), np.array([wp.offset_m]))
            lat.append(float(p_lat[0]))
            lon.append(float(p_lon[0]))
        else:
            assert wp.lat is not None and wp.lon is not None
            lat.append(wp.lat)
            lon.append(wp.lon)
    if len(lat) == 1:  # a stationary target: there until the end unless dwell_s says otherwise
        return Route(
            route.truth_id,
            route.object_class,
            route.role,
            np.array([lat[0]] * 2),
            np.array([lon[0]] * 2),
            np.array([route.start_s, route.start_s + (route.dwell_s or duration_s)]),
            [],
        )
    if route.speed_mps <= 0.0:
        raise ScenarioError(
            f"routes.{index} ({route.truth_id}): field speed_mps: must be > 0 for a route with {len(lat)} waypoints"
        )
    lat_a, lon_a = np.asarray(lat), np.asarray(lon)
    # Insert the exact on-line point wherever a leg changes side, so truth events are exact.
    loc = model.locate_many(lat_a, lon_a)
    new_lat, new_lon, crossings = [lat_a[0]], [lon_a[0]], []
    for j in range(1, len(lat_a)):
        o_a, o_b = loc.offset_m[j - 1], loc.offset_m[j]
        if (o_a < 0.0) != (o_b < 0.0) and loc.border_index[j - 1] == loc.border_index[j]:
            frac = float(o_a / (o_a - o_b))
            for _ in range(30):  # refine: the line is curved between the two points
                p_lat = lat_a[j - 1] + frac * (lat_a[j] - lat_a[j - 1])
                p_lon = lon_a[j - 1] + frac * (lon_a[j] - lon_a[j - 1])
                o = float(model.locate_many([p_lat], [p_lon]).offset_m[0])
                if abs(o) < 0.01:
                    break
                frac = frac - o / (o_b - o_a) if o_b != o_a else frac
                frac = min(max(frac, 0.0), 1.0)
            new_lat.append(p_lat)
            new_lon.append(p_lon)
            crossings.append((len(new_lat) - 1, "inbound" if o_b > o_a else "outbound"))
        new_lat.append(lat_a[j])
        new_lon.append(lon_a[j])
    n = len(new_lat)
    dwells = np.zeros(n)
    dwells[-1] = route.dwell_s
    return _timed(
        route.truth_id,
        route.object_class,
        route.role,
        route.start_s,
        np.asarray(new_lat),
        np.asarray(new_lon),
        np.full(n - 1, route.speed_mps),
        dwells,
        crossings,
    )


@dataclass
class MoverTable:
    """Every mover's route as flat arrays: positions and velocities at any time, vectorised."""

    truth_id: list[str]
    object_class: IntArray
    role: list[str]
    lat: FloatArray  # waypoints of all movers, concatenated
    lon: FloatArray
    time: FloatArray
    first: IntArray  # first waypoint of each mover
    last: IntArray  # last waypoint of each mover
    key: FloatArray  # mover * KEY_STRIDE + time: one sorted array for every mover's search
    vel_east: FloatArray  # per segment (starting at each waypoint), m/s
    vel_north: FloatArray
    crossing_time: FloatArray
    crossing_mover: IntArray
    crossing_lat: FloatArray
    crossing_lon: FloatArray
    crossing_direction: list[str]

    @staticmethod
    def build(routes: Sequence[Route]) -> MoverTable:
        sizes = np.array([len(r.lat) for r in routes], dtype=np.int64)
        first = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64) if routes else np.zeros(0, np.int64)
        lat = np.concatenate([r.lat for r in routes]) if routes else np.zeros(0)
        lon = np.concatenate([r.lon for r in routes]) if routes else np.zeros(0)
        time = np.concatenate([r.time for r in routes]) if routes else np.zeros(0)
        if time.size and (time.max() >= KEY_STRIDE or time.min() < 0):
            raise ScenarioError("route times must lie within 0 to 10^7 s of the scenario start")
        mover_of = np.repeat(np.arange(len(routes)), sizes)
        east = np.zeros(lat.size)
        north = np.zeros(lat.size)
        if lat.size > 1:
            e, n = east_north_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
            dt = np.diff(time)
            same = mover_of[:-1] == mover_of[1:]
            ok = same & (dt > 0)
            east[:-1] = np.where(ok, e / np.where(ok, dt, 1.0), 0.0)
            north[:-1] = np.where(ok, n / np.where(ok, dt, 1.0), 0.0)
        events = sorted(
            (float(r.time[w]), m, float(r.lat[w]), float(r.lon[w]), d)
            for m, r in enumerate(routes)
            for w, d in r.crossings
        )
        return MoverTable(
            truth_id=[r.truth_id for r in routes],
            object_class=np.array([OBJECT_CLASSES.index(r.object_class) for r in routes], dtype=np.int64),
            role=[r.role for r in routes],
            lat=lat,
            lon=lon,
            time=time,
            first=first,
            last=first + sizes - 1,
            key=mover_of * KEY_STRIDE + time,
            vel_east=east,
            vel_north=north,
            crossing_time=np.array([e[0] for e in events]),
            crossing_mover=np.array([e[1] for e in events], np.int64),
            crossing_lat=np.array([e[2] for e in events]),
            crossing_lon=np.array([e[3] for e in events]),
            crossing_direction=[e[4] for e in events],
        )

    def __len__(self) -> int:
        return len(self.truth_id)

    @property
    def start(self) -> FloatArray:
        return self.time[self.first]

    @property
    def end(self) -> FloatArray:
        return self.time[self.last]

    def active(self, t: float) -> IntArray:
        return np.flatnonzero((self.start <= t) & (self.end >= t)).astype(np.int64)

    def segment(self, mover: IntArray, t: FloatArray) -> tuple[IntArray, FloatArray]:
        seg = np.searchsorted(self.key, mover * KEY_STRIDE + t, side="right") - 1
        seg = np.clip(seg, self.first[mover], np.maximum(self.last[mover] - 1, self.first[mover]))
        span = self.time[seg + 1] - self.time[seg]
        frac = np.clip((t - self.time[seg]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
        return seg.astype(np.int64), frac

    def position(self, mover: IntArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(lat, lon) of movers at times (linear between waypoints; clamped to the route's ends)."""
        seg, frac = self.segment(mover, t)
        lat = self.lat[seg] + frac * (self.lat[seg + 1] - self.lat[seg])
        lon = self.lon[seg] + frac * (self.lon[seg + 1] - self.lon[seg])
        return lat, lon

    def velocity(self, mover: IntArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        seg, _ = self.segment(mover, t)
        return self.vel_east[seg], self.vel_north[seg]


def build_movers(scenario: Scenario, model: BorderModel, spans: Sequence[Span], rng: np.random.Generator) -> MoverTable:
    """All movers of a scenario: generated groups, then scripted routes."""
    planner = RoutePlanner(model, spans, rng, scenario.duration_s)
    station_routes = [r for group in scenario.movers for r in planner.group_routes(group)]
    routes = to_routes(station_routes, model)
    routes += [scripted_route(r, model, scenario.duration_s, i) for i, r in enumerate(scenario.routes)]
    seen: set[str] = set()
    for route in routes:
        if route.truth_id in seen:
            raise ScenarioError(f"truth id {route.truth_id!r} is used twice (routes.truth_id must be unique)")
        seen.add(route.truth_id)
        if route.role not in ROLES:
            raise ScenarioError(f"truth {route.truth_id!r}: role {route.role!r} is not one of {ROLES}")
    return MoverTable.build(routes)
