"""Tower placement: where N new towers add the most border km seen.

Lives here: candidate sites (a grid along each border line, or a user list), the coverage of
each candidate as a sparse matrix over the km samples not yet seen, and two solvers — lazy
greedy (Minoux's accelerated greedy: the (1 - 1/e) bound of max-coverage without spacing) and
an exact MILP (HiGHS, through scipy.optimize.milp) that says how far greedy is from optimal.
May import NumPy, SciPy and the rest of borderwatch.coverage and borderwatch.geo.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from borderwatch.coverage.assessment import CoverageResult, line_samples
from borderwatch.coverage.observers import TARGET_HEIGHT_M, Observer, TargetClass
from borderwatch.coverage.sight import SightModel
from borderwatch.geo.geodesy import LocalFrame
from borderwatch.geo.model import BorderModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Candidate:
    """A site where a tower could stand."""

    id: str
    lat: float
    lon: float
    border: str = ""
    km: float = float("nan")


@dataclass(frozen=True)
class TowerSpec:
    """The tower to be bought: mast height and detection range for the class planned for."""

    height_m: float = 30.0
    range_m: float = 5_000.0
    fov_deg: float = 360.0

    def observer(self, site: Candidate) -> Observer:
        return Observer(site.id, "tower", site.lat, site.lon, self.height_m, self.range_m, fov_deg=self.fov_deg)


@dataclass(frozen=True)
class Placement:
    """Chosen sites in the order chosen, each with its marginal gain (km of border newly seen)."""

    method: str
    sites: tuple[Candidate, ...]
    gains_km: tuple[float, ...]
    seconds: float
    optimal: bool = False
    upper_bound_km: float | None = None  # proven bound on the optimum (MILP), when known

    @property
    def objective_km(self) -> float:
        return float(sum(self.gains_km))


@dataclass(frozen=True)
class PlacementProblem:
    """Candidates, which not-yet-seen km samples each would see, and which pairs are too close."""

    candidates: tuple[Candidate, ...]
    cover: sparse.csr_matrix  # candidates x samples, 1 where the candidate sees the sample
    weight_km: FloatArray  # km of border each sample stands for
    conflicts: npt.NDArray[np.int64]  # (k, 2) candidate index pairs closer than the minimum spacing
    baseline_km: float  # seen before any new tower


def candidate_grid(
    model: BorderModel, spacing_km: float = 0.5, offset_m: float = 1000.0, count: int | None = None
) -> list[Candidate]:
    """Sites every `spacing_km` along every border line, `offset_m` inside the home side.

    With `count`, that many sites spread evenly over the total length instead.
    """
    total_km = sum(line.length_km for line in model.borders.values())
    if count is not None:
        if count < 1:
            raise ValueError(f"candidate count must be at least 1, not {count}")
        spacing_km = total_km / count
    if spacing_km <= 0:
        raise ValueError(f"candidate spacing must be positive, not {spacing_km} km")
    sites: list[Candidate] = []
    for border, line in model.borders.items():
        for km in np.arange(spacing_km / 2.0, line.length_km, spacing_km):
            lat, lon = line.offset_point(float(km), offset_m)
            sites.append(Candidate(f"{border}-c{len(sites) + 1:04d}", lat, lon, border, float(km)))
    return sites[:count] if count is not None else sites


def _conflicts(sites: Sequence[Candidate], min_spacing_m: float) -> npt.NDArray[np.int64]:
    if min_spacing_m <= 0 or len(sites) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    lat = np.array([s.lat for s in sites])
    lon = np.array([s.lon for s in sites])
    frame = LocalFrame(float(lat.mean()), float(lon.mean()))
    x, y = frame.to_xy(lat, lon)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(min_spacing_m, output_type="ndarray")
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def build_problem(
    model: BorderModel,
    sight: SightModel,
    baseline: CoverageResult,
    candidates: Sequence[Candidate],
    tower: TowerSpec,
    target_class: TargetClass = "person",
    min_spacing_m: float = 3000.0,
    progress: Callable[[int, int, str], None] | None = None,
) -> PlacementProblem:
    """Work out each candidate's view of the km samples the current sensors do not see.

    Candidates closer than `min_spacing_m` to an existing tower are dropped; pairs of candidates
    closer than that to each other may not both be chosen.
    """
    if not candidates:
        raise ValueError("no candidate sites")
    towers = [o for o in baseline.observers if o.sensor_type == "tower"]
    keep = list(candidates)
    if towers and min_spacing_m > 0:
        frame = LocalFrame(float(np.mean([c.lat for c in candidates])), float(np.mean([c.lon for c in candidates])))
        tx, ty = frame.to_xy([t.lat for t in towers], [t.lon for t in towers])
        cx, cy = frame.to_xy([c.lat for c in candidates], [c.lon for c in candidates])
        dist, _ = cKDTree(np.column_stack([tx, ty])).query(np.column_stack([cx, cy]))
        keep = [c for c, d in zip(candidates, np.atleast_1d(dist), strict=True) if d >= min_spacing_m]
        if not keep:
            raise ValueError(f"every candidate is within {min_spacing_m:.0f} m of an existing tower")
    samples = line_samples(model, next(iter(baseline.lines.values())).step_km * 1000.0)
    unseen_lat, unseen_lon, unseen_w = [], [], []
    for border, (_, lat, lon) in samples.items():
        line = baseline.lines[border]
        unseen = (line.count == 0) & ~line.unknown
        unseen_lat.append(lat[unseen])
        unseen_lon.append(lon[unseen])
        unseen_w.append(np.full(int(unseen.sum()), line.step_km))
    points = sight.prepare(np.concatenate(unseen_lat), np.concatenate(unseen_lon))
    rows: list[IntArray] = []
    target = TARGET_HEIGHT_M[target_class]
    for i, site in enumerate(keep):
        rows.append(np.flatnonzero(sight.visible(tower.observer(site), target, points)).astype(np.int64))
        if progress:
            progress(i + 1, len(keep), site.id)
    indptr = np.r_[0, np.cumsum([r.size for r in rows])]
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cover = sparse.csr_matrix((np.ones(indices.size), indices, indptr), shape=(len(keep), len(points)))
    baseline_km = sum(line.seen_km(1) for line in baseline.lines.values())
    return PlacementProblem(tuple(keep), cover, np.concatenate(unseen_w), _conflicts(keep, min_spacing_m), baseline_km)


def lazy_greedy(problem: PlacementProblem, n_towers: int) -> Placement:
    """Add, one at a time, the allowed site with the largest marginal gain (lazily re-evaluated).

    Coverage is submodular, so a gain computed earlier is an upper bound on the gain now: a site
    whose refreshed gain still tops the heap is the true best without refreshing the others.
    """
    started = time.perf_counter()
    cover, weight = problem.cover, problem.weight_km
    neighbours: list[list[int]] = [[] for _ in problem.candidates]
    for a, b in problem.conflicts:
        neighbours[int(a)].append(int(b))
        neighbours[int(b)].append(int(a))
    seen = np.zeros(cover.shape[1], dtype=bool)
    blocked = np.zeros(cover.shape[0], dtype=bool)
    gains0 = np.asarray(cover @ weight).ravel()
    heap = [(-float(g), i) for i, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    while heap and len(chosen) < n_towers:
        _, i = heapq.heappop(heap)
        if blocked[i]:
            continue
        idx = cover.indices[cover.indptr[i] : cover.indptr[i + 1]]
        gain = float(weight[idx][~seen[idx]].sum())
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-gain, i))
            continue
        chosen.append(i)
        gains.append(gain)
        seen[idx] = True
        blocked[i] = True
        blocked[neighbours[i]] = True
    return Placement(
        "lazy greedy", tuple(problem.candidates[i] for i in chosen), tuple(gains), time.perf_counter() - started
    )


def exact_milp(problem: PlacementProblem, n_towers: int, time_limit_s: float = 60.0) -> Placement:
    """Maximum coverage as a MILP solved by HiGHS: binary x (site chosen), y (sample seen) in [0, 1].

    max sum(w * y)  s.t.  y_s <= sum over sites seeing s of x,  sum(x) <= N,  x_a + x_b <= 1 for close pairs.
    """
    started = time.perf_counter()
    cover = problem.cover.tocsc()
    useful = np.flatnonzero(np.diff(cover.indptr) > 0)  # samples some candidate sees
    a_cs = cover[:, useful].T.tocsr()  # samples x candidates
    n_x, n_y = cover.shape[0], useful.size
    weight = problem.weight_km[useful]
    c = np.r_[np.zeros(n_x), -weight]
    link = sparse.hstack([-a_cs, sparse.identity(n_y, format="csr")], format="csr")
    budget = sparse.csr_matrix(np.r_[np.ones(n_x), np.zeros(n_y)][None, :])
    constraints = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(budget, 0.0, float(n_towers))]
    if len(problem.conflicts):
        k = len(problem.conflicts)
        spacing = sparse.csr_matrix(
            (np.ones(2 * k), (np.repeat(np.arange(k), 2), problem.conflicts.ravel())), shape=(k, n_x + n_y)
        )
        constraints.append(LinearConstraint(spacing, -np.inf, 1.0))
    integrality = np.r_[np.ones(n_x), np.zeros(n_y)]
    result = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": time_limit_s, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        raise RuntimeError(f"HiGHS found no placement: {result.message}")
    x = np.flatnonzero(result.x[:n_x] > 0.5)
    # Report the chosen sites in greedy order of their marginal gains, so the two methods read alike.
    seen = np.zeros(cover.shape[1], dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    remaining = list(x)
    csr = problem.cover
    while remaining:
        best = max(
            remaining,
            key=lambda i: problem.weight_km[csr.indices[csr.indptr[i] : csr.indptr[i + 1]]][
                ~seen[csr.indices[csr.indptr[i] : csr.indptr[i + 1]]]
            ].sum(),
        )
        idx = csr.indices[csr.indptr[best] : csr.indptr[best + 1]]
        gains.append(float(problem.weight_km[idx][~seen[idx]].sum()))
        seen[idx] = True
        order.append(int(best))
        remaining.remove(best)
    bound = getattr(result, "mip_dual_bound", None)
    return Placement(
        "MILP (HiGHS)",
        tuple(problem.candidates[i] for i in order),
        tuple(gains),
        time.perf_counter() - started,
        optimal=bool(result.status == 0),
        upper_bound_km=-float(bound) if bound is not None else None,
    )
