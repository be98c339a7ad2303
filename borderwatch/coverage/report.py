"""Coverage report writers: tables, gaps, GeoTIFF and GeoJSON layers, map and along-border plot.

Lives here: presentation of a CoverageResult and of tower placements — rich tables for the
terminal, CSV/JSON for people and scripts, a GeoTIFF and GeoJSON polygons for the web map,
PNG pictures. May import rasterio, shapely, matplotlib, rich, borderwatch.maps and the rest of
borderwatch.coverage. The adapters at the edge of the planner: no coverage logic here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.features import shapes
from rich.table import Table

from borderwatch.coverage.assessment import CoverageResult, Gap
from borderwatch.coverage.placement import Placement, PlacementProblem

NODATA = 255


def coverage_table(result: CoverageResult) -> Table:
    """Per sector: length, km seen by at least 1 and 2 sensors, unknown km; totals per border."""
    table = Table(title=f"Border coverage — {result.target_class} at night — {result.sight}")
    for column in ("sector", "km", "length km", "seen ≥1", "%", "seen ≥2", "%", "unknown km"):
        table.add_column(column, justify="left" if column == "sector" else "right")
    for row in result.sectors():
        start = result.model.sector(row.sector).start_km
        table.add_row(
            row.sector,
            f"{start:,.0f}–{start + row.length_km:,.0f}",
            f"{row.length_km:.1f}",
            f"{row.seen1_km:.1f}",
            _pct(row.seen1_km, row.length_km),
            f"{row.seen2_km:.1f}",
            _pct(row.seen2_km, row.length_km),
            f"{row.unknown_km:.1f}" if row.unknown_km else "",
        )
    for border, line in result.lines.items():
        length = result.model.borders[border].length_km
        seen1, seen2 = min(line.seen_km(1), length), min(line.seen_km(2), length)
        table.add_row(
            f"[bold]{border} total",
            "",
            f"{length:,.1f}",
            f"{seen1:,.1f}",
            _pct(seen1, length),
            f"{seen2:,.1f}",
            _pct(seen2, length),
            f"{line.unknown.sum() * line.step_km:.1f}",
            end_section=True,
        )
    if result.strip is not None:
        table.caption = (
            f"Strip {result.strip_width_m / 1000:g} km wide: "
            f"{100 * result.strip.seen_fraction(1):.1f} % of cells seen by ≥1, "
            f"{100 * result.strip.seen_fraction(2):.1f} % by ≥2 sensors ({len(result.observers)} sensors)"
        )
    return table


def gaps_table(gaps: list[Gap], limit: int = 15) -> Table:
    level = gaps[0].min_sensors if gaps else 1
    who = "no sensor" if level == 1 else f"fewer than {level} sensors"
    table = Table(title=f"Gaps ({who}), longest first — {len(gaps)} in all, {sum(g.length_km for g in gaps):.1f} km")
    for column in ("#", "border", "start km", "end km", "length km", "sector"):
        table.add_column(column, justify="left" if column in ("border", "sector") else "right")
    for i, gap in enumerate(gaps[:limit], start=1):
        table.add_row(
            str(i),
            gap.border,
            f"{gap.start_km:.1f}",
            f"{gap.end_km:.1f}",
            f"{gap.length_km:.1f}",
            ", ".join(gap.sectors),
        )
    return table


def placement_table(problem: PlacementProblem, placements: list[Placement]) -> Table:
    table = Table(
        title=f"New towers: {len(problem.candidates)} candidate sites, "
        f"{problem.weight_km.sum():.1f} km of border unseen today ({problem.baseline_km:.1f} km seen)"
    )
    table.add_column("#", justify="right")
    for placement in placements:
        table.add_column(f"{placement.method}: site", justify="left")
        table.add_column("gain km", justify="right")
    depth = max((len(p.sites) for p in placements), default=0)
    for i in range(depth):
        cells = [str(i + 1)]
        for placement in placements:
            if i < len(placement.sites):
                site = placement.sites[i]
                cells += [
                    f"{site.id} (km {site.km:.1f}, {site.lat:.4f}, {site.lon:.4f})",
                    f"{placement.gains_km[i]:.1f}",
                ]
            else:
                cells += ["", ""]
        table.add_row(*cells)
    totals = ["Σ"]
    for placement in placements:
        note = " optimal" if placement.optimal else ""
        totals += [f"{placement.seconds * 1000:.1f} ms{note}", f"{placement.objective_km:.1f}"]
    table.add_row(*totals, end_section=True)
    return table


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.0f}" if whole > 0 else "–"


def write_gaps(gaps: list[Gap], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["border", "start_km", "end_km", "length_km", "sectors", "min_sensors"])
        for gap in gaps:
            writer.writerow(
                [
                    gap.border,
                    f"{gap.start_km:.2f}",
                    f"{gap.end_km:.2f}",
                    f"{gap.length_km:.2f}",
                    " ".join(gap.sectors),
                    gap.min_sensors,
                ]
            )
    return path


def write_sector_csv(result: CoverageResult, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sector", "border", "length_km", "seen1_km", "seen2_km", "unknown_km"])
        for row in result.sectors():
            writer.writerow(
                [
                    row.sector,
                    row.border,
                    f"{row.length_km:.2f}",
                    f"{row.seen1_km:.2f}",
                    f"{row.seen2_km:.2f}",
                    f"{row.unknown_km:.2f}",
                ]
            )
    return path


def write_strip_geotiff(result: CoverageResult, path: Path) -> Path:
    """Sensor count per strip cell (uint8), 255 outside the strip and on DEM holes."""
    strip = result.strip
    if strip is None:
        raise ValueError("this coverage run computed no strip raster (raster_cell_m was None)")
    data = np.where(strip.inside & ~strip.unknown, strip.count, NODATA).astype(np.uint8)
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": strip.crs,
        "transform": strip.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": True,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(target_class=result.target_class, meaning="number of sensors that see the cell")
    return path


def coverage_polygons(result: CoverageResult, levels: tuple[int, ...] = (1, 2)) -> dict[str, object]:
    """GeoJSON FeatureCollection: for each level, the strip area seen by at least that many sensors."""
    strip = result.strip
    if strip is None:
        raise ValueError("this coverage run computed no strip raster (raster_cell_m was None)")
    features = []
    for level in levels:
        mask = (strip.count >= level) & strip.inside & ~strip.unknown
        parts = [
            shapely.geometry.shape(geom)
            for geom, value in shapes(mask.astype(np.uint8), mask=mask, transform=strip.transform)
            if value == 1
        ]
        if not parts:
            continue
        merged = shapely.union_all(parts).simplify(abs(strip.transform.a) / 2.0)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(merged),
                "properties": {
                    "kind": "coverage",
                    "target_class": result.target_class,
                    "min_sensors": level,
                    "strip_fraction": round(strip.seen_fraction(level), 4),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def plot_along_border(result: CoverageResult, path: Path) -> Path:
    """Sensors seeing the line at each km, with sector boundaries and the gaps shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(result.lines), 1, figsize=(12, 3.2 * len(result.lines)), squeeze=False)
    for ax, (border, line) in zip(axes[:, 0], result.lines.items(), strict=True):
        ax.fill_between(line.km, line.count, step="mid", color="#2a7ab9", alpha=0.6, label="sensors seeing the line")
        for gap in result.gaps():
            if gap.border == border:
                ax.axvspan(gap.start_km, gap.end_km, color="#d62728", alpha=0.25, linewidth=0)
        for sector in result.model.sectors:
            if sector.border == border:
                ax.axvline(sector.start_km, color="#888888", linewidth=0.4)
        ax.axhline(2, color="#333333", linewidth=0.6, linestyle="--")
        ax.set_xlim(0, result.model.borders[border].length_km)
        ax.set_xlabel(f"km marker along {border}")
        ax.set_ylabel("sensors")
        ax.set_title(f"{border}: coverage of the line for a {result.target_class} (red: no sensor)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_map(result: CoverageResult, path: Path) -> Path:
    from borderwatch.maps import BorderMap

    border_map = BorderMap(result.model, title=f"Coverage for a {result.target_class} — {result.sight}")
    strip = result.strip
    if strip is not None:
        west, north = strip.transform.c, strip.transform.f
        east = west + strip.transform.a * strip.count.shape[1]
        south = north + strip.transform.e * strip.count.shape[0]
        # A picture 11 inches wide cannot show more than ~1,200 cells across: thin the grid first.
        k = max(1, int(np.ceil(max(strip.count.shape) / 1200)))
        shown = np.ma.masked_where(~strip.inside[::k, ::k], np.minimum(strip.count[::k, ::k], 3))
        border_map.ax.imshow(
            shown,
            extent=(west, east, south, north),
            cmap="RdYlGn",
            vmin=0,
            vmax=3,
            interpolation="nearest",
            zorder=2,
            alpha=0.75,
        )
    for gap in result.gaps(min_length_km=0.5):
        line = result.model.borders[gap.border]
        coords = np.asarray(line.slice_coords(gap.start_km, gap.end_km))
        border_map.ax.plot(coords[:, 0], coords[:, 1], color="black", linewidth=3.5, zorder=8)
    return border_map.save(path)


def write_report(result: CoverageResult, out: Path) -> dict[str, Path]:
    """Every output of one coverage run into directory `out`; returns what was written, by kind."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"coverage_{result.target_class}"
    written = {
        "sectors": write_sector_csv(result, out / f"{stem}_sectors.csv"),
        "gaps": write_gaps(result.gaps(), out / f"{stem}_gaps.csv"),
        "plot": plot_along_border(result, out / f"{stem}_along_border.png"),
    }
    if result.strip is not None:
        written["raster"] = write_strip_geotiff(result, out / f"{stem}.tif")
        polygons = out / f"{stem}.geojson"
        polygons.write_text(json.dumps(coverage_polygons(result)), encoding="utf-8")
        written["polygons"] = polygons
    written["map"] = draw_map(result, out / f"{stem}_map.png")
    return written
