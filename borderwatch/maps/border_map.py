"""BorderMap: the border model drawn with matplotlib, ready for overlays."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # pictures are written to files; never open a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from shapely.geometry import box, shape

from borderwatch.geo.model import BorderModel

BARRIER_STYLE: dict[str, dict[str, Any]] = {
    "wall": {"color": "#333333", "linewidth": 2.6, "label": "Concrete wall"},
    "berm": {"color": "#a0522d", "linewidth": 1.2, "linestyle": (0, (4, 2)), "label": "Earthen berm"},
    "trench": {"color": "#1f77b4", "linewidth": 1.0, "linestyle": (0, (1, 1.5)), "label": "Trench"},
    "fence": {"color": "#7f7f7f", "linewidth": 1.0, "linestyle": (0, (6, 2, 1, 2)), "label": "Wire fence"},
}
SENSOR_STYLE: dict[str, dict[str, Any]] = {
    "tower": {"marker": "^", "color": "#d62728", "s": 22, "label": "Tower (thermal camera)"},
    "aerostat": {"marker": "o", "color": "#9467bd", "s": 60, "label": "Aerostat (radar)"},
    "ground": {"marker": ".", "color": "#2ca02c", "s": 18, "label": "Ground sensor"},
}


def _country_outlines() -> list[dict[str, Any]]:
    path = resources.files("borderwatch.geo") / "data" / "iraq_borders.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    return [f for f in document["features"] if f["properties"]["kind"] == "country"]


def _shipped_web_layer(name: str) -> list[dict[str, Any]]:
    """A layer that ships with the web basemap (sources in borderwatch/web/data/PROVENANCE.md)."""
    path = resources.files("borderwatch.web") / "data" / f"{name}.geojson"
    return list(json.loads(path.read_text(encoding="utf-8"))["features"])


class BorderMap:
    """A map of one border model; call the add_* methods, then save()."""

    def __init__(
        self,
        model: BorderModel,
        bounds: tuple[float, float, float, float] | None = None,
        title: str | None = None,
        size_in: tuple[float, float] = (11.0, 11.0),
    ) -> None:
        self.model = model
        self.bounds = bounds or model.bounds(margin_deg=0.4)
        self.figure: Figure = plt.figure(figsize=size_in, dpi=110)
        self.ax: Axes = self.figure.add_subplot(1, 1, 1)
        min_lon, min_lat, max_lon, max_lat = self.bounds
        self.ax.set_xlim(min_lon, max_lon)
        self.ax.set_ylim(min_lat, max_lat)
        self.ax.set_aspect(1.0 / np.cos(np.radians((min_lat + max_lat) / 2.0)))
        self.ax.set_facecolor("#eef3f7")
        self.ax.set_xlabel("longitude (°E)")
        self.ax.set_ylabel("latitude (°N)")
        self.ax.set_title(title or f"borderwatch — {model.name}")
        self._draw_countries()
        self._draw_water()
        self._draw_borders()
        self._draw_barriers()
        self._draw_sensors()
        self._draw_posts()

    # ------------------------------------------------------------ base layers

    def _draw_countries(self) -> None:
        home = self.model.header.home_country
        for feature in _country_outlines():
            geometry = feature["geometry"]
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            is_home = feature["properties"]["name"] == home
            for polygon in polygons:
                ring = np.asarray(polygon[0])
                self.ax.fill(ring[:, 0], ring[:, 1], color="#fbf7ea" if is_home else "#e9e6dc", zorder=0)
                self.ax.plot(ring[:, 0], ring[:, 1], color="#b0a890", linewidth=0.4, zorder=1)
            visible = shape(geometry).intersection(box(*self.bounds))
            if not visible.is_empty and visible.area > 0.02 * box(*self.bounds).area:
                label_at = visible.representative_point()
                self.ax.text(
                    label_at.x,
                    label_at.y,
                    feature["properties"]["name"].upper(),
                    color="#9a9278",
                    fontsize=13,
                    ha="center",
                    alpha=0.8,
                    zorder=1,
                )

    def _draw_water(self) -> None:
        view = box(*self.bounds)
        for feature in _shipped_web_layer("water"):
            visible = shape(feature["geometry"]).intersection(view)
            for polygon in getattr(visible, "geoms", [visible]):
                if polygon.geom_type == "Polygon" and not polygon.is_empty:
                    ring = np.asarray(polygon.exterior.coords)
                    self.ax.fill(ring[:, 0], ring[:, 1], color="#9ec9e8", linewidth=0, zorder=1)
        for feature in _shipped_web_layer("rivers"):
            visible = shape(feature["geometry"]).intersection(view)
            named = feature["properties"].get("name")
            lines = [g for g in getattr(visible, "geoms", [visible]) if g.geom_type == "LineString" and not g.is_empty]
            for line in lines:
                xy = np.asarray(line.coords)
                self.ax.plot(xy[:, 0], xy[:, 1], color="#5b9bd5", linewidth=1.1 if named else 0.5, zorder=1)
            if named and lines:
                longest = max(lines, key=lambda g: g.length)
                at = longest.interpolate(0.5, normalized=True)
                self.ax.text(at.x, at.y, named, color="#2f6ea8", fontsize=7, style="italic", zorder=1)

    def _draw_borders(self) -> None:
        for line in self.model.borders.values():
            self.ax.plot(line.lon, line.lat, color="#c00000", linewidth=1.8, zorder=3)
            step = 50.0 if line.length_km < 1000 else 100.0
            for km in np.arange(0.0, line.length_km, step):
                lat, lon = line.point_at(km)
                self.ax.plot(lon, lat, marker="|", color="#c00000", markersize=6, zorder=3)
                self.ax.annotate(
                    f"km {km:.0f}",
                    (float(lon), float(lat)),
                    fontsize=6,
                    color="#c00000",
                    xytext=(4, -2),
                    textcoords="offset points",
                    zorder=3,
                )
        for sector in self.model.sectors:
            line = self.model.borders[sector.border]
            lat, lon = line.point_at(sector.start_km)
            self.ax.plot(lon, lat, marker="o", markersize=2.5, color="#600000", zorder=3)
            self.ax.annotate(
                sector.id,
                (sector.mid_lon, sector.mid_lat),
                fontsize=5.5,
                color="#600000",
                xytext=(-28, 0),
                textcoords="offset points",
                zorder=3,
            )

    def _draw_barriers(self) -> None:
        labelled: set[str] = set()
        for barrier in self.model.barriers:
            style = dict(BARRIER_STYLE[barrier.barrier_type])
            label = style.pop("label")
            coords = np.asarray(barrier.coords)
            self.ax.plot(coords[:, 0], coords[:, 1], zorder=4, label=None if label in labelled else label, **style)
            labelled.add(label)

    def _draw_sensors(self) -> None:
        labelled: set[str] = set()
        for sensor in self.model.sensors:
            props = sensor.properties
            style = dict(SENSOR_STYLE[props.sensor_type])
            label = style.pop("label")
            self.ax.scatter(
                [sensor.geometry.lon],
                [sensor.geometry.lat],
                zorder=6,
                label=None if label in labelled else label,
                **style,
            )
            labelled.add(label)
            if props.sensor_type == "aerostat":
                self._circle(sensor.geometry.lat, sensor.geometry.lon, props.radar_range_m, "#9467bd")
            elif props.sensor_type == "tower":
                self._circle(sensor.geometry.lat, sensor.geometry.lon, props.ranges_m.person, "#d62728", alpha=0.06)

    def _draw_posts(self) -> None:
        for i, crossing in enumerate(self.model.crossings):
            lon, lat = crossing.geometry.lon, crossing.geometry.lat
            self.ax.scatter(
                [lon],
                [lat],
                marker="s",
                s=60,
                color="#ff7f0e",
                edgecolor="black",
                zorder=7,
                label="Official crossing" if i == 0 else None,
            )
            if self._inside(lat, lon):
                self.ax.annotate(
                    crossing.properties.name,
                    (lon, lat),
                    fontsize=8,
                    fontweight="bold",
                    xytext=(6, 4),
                    textcoords="offset points",
                    zorder=7,
                )
        for i, post in enumerate(self.model.checkpoints):
            self.ax.scatter(
                [post.geometry.lon],
                [post.geometry.lat],
                marker="P",
                s=40,
                color="#17becf",
                edgecolor="black",
                linewidth=0.4,
                zorder=7,
                label="Checkpoint" if i == 0 else None,
            )
        for i, base in enumerate(self.model.patrol_bases):
            self.ax.scatter(
                [base.geometry.lon],
                [base.geometry.lat],
                marker="H",
                s=55,
                color="#2f6f2f",
                zorder=7,
                label="Patrol base" if i == 0 else None,
            )

    def _circle(self, lat: float, lon: float, radius_m: float, color: str, alpha: float = 0.08) -> None:
        from borderwatch.geo.geodesy import destination

        lat_c, lon_c = destination(np.full(73, lat), np.full(73, lon), np.linspace(0, 360, 73), radius_m)
        self.ax.fill(lon_c, lat_c, color=color, alpha=alpha, linewidth=0, zorder=2)

    def _inside(self, lat: float, lon: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.bounds
        return bool(min_lon <= lon <= max_lon and min_lat <= lat <= max_lat)

    # ------------------------------------------------------------ overlays

    def add_points(
        self, lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray, label: str, **style: Any
    ) -> None:
        """Scatter points (detections, events...) with a legend entry."""
        defaults: dict[str, Any] = {"s": 3, "alpha": 0.5, "zorder": 5, "linewidths": 0}
        self.ax.scatter(np.asarray(lon), np.asarray(lat), label=label, **{**defaults, **style})

    def add_paths(self, paths: Sequence[tuple[np.ndarray, np.ndarray]], label: str, **style: Any) -> None:
        """Draw polylines given as (lat array, lon array) pairs (truth, tracks)."""
        defaults: dict[str, Any] = {"linewidth": 0.9, "alpha": 0.8, "zorder": 5}
        for i, (lat, lon) in enumerate(paths):
            self.ax.plot(np.asarray(lon), np.asarray(lat), label=label if i == 0 else None, **{**defaults, **style})

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.ax.legend(loc="lower right", fontsize=7, framealpha=0.9, markerscale=1.2)
        self.figure.tight_layout()
        self.figure.savefig(target)
        plt.close(self.figure)
        return target
