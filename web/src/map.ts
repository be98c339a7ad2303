// The map: an offline MapLibre style built from the service's basemap layers, alerts, patrols and
// sensor state, with the live tracks drawn over it on their own canvas (./tracks). Labels are DOM markers, so
// no glyph server is needed and Arabic is shaped by the browser.
import maplibregl, { type GeoJSONSource, type LngLatLike, type StyleSpecification } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import type { Alert, Basemap, Patrol, SensorHealth, Track, TrackPoint } from "./api";
import { lang, num, t } from "./i18n";
import { TrackPicture } from "./tracks";
import ms from "milsymbol";

// Own forces in standard military symbology (MIL-STD-2525C via milsymbol), as operators expect them:
// a patrol is a friendly motorised infantry unit (filled when available, hollow when committed), a
// patrol base a friendly installation.
const MILITARY_SYMBOLS: Record<string, { sidc: string; fill: boolean }> = {
  "ms-patrol-available": { sidc: "SFGPUCIM---", fill: true },
  "ms-patrol-committed": { sidc: "SFGPUCIM---", fill: false },
  "ms-patrol-base": { sidc: "SFGPI----------", fill: true },
};

function addMilitarySymbols(map: maplibregl.Map): void {
  const ratio = window.devicePixelRatio || 1;
  for (const [name, { sidc, fill }] of Object.entries(MILITARY_SYMBOLS)) {
    const canvas = new ms.Symbol(sidc, { size: 16 * ratio, fill }).asCanvas();
    const image = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    map.addImage(name, image, { pixelRatio: ratio });
  }
}

/** Switchable layer groups: toggle key -> MapLibre layer ids ("trails" and "tracks" are ./tracks' canvas). */
export const LAYER_GROUPS: Record<string, string[]> = {
  countries: ["countries-fill", "countries-line"],
  water: ["water"],
  rivers: ["rivers-minor", "rivers-major"],
  towns: ["towns"],
  borders: ["borders-casing", "borders-line"],
  sectors: ["sectors-ticks", "km-markers"],
  barriers: ["barriers-wall", "barriers-berm", "barriers-trench", "barriers-fence"],
  coverage: ["coverage-fill", "coverage-line"],
  sensors: ["sensors"],
  crossings: ["crossings"],
  checkpoints: ["checkpoints"],
  patrols: ["patrol-bases", "patrols"],
  trails: [],
  tracks: [],
  alerts: ["alerts-halo", "alerts", "history"],
};

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

function icon(draw: (ctx: CanvasRenderingContext2D) => void, size = 32): ImageData {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 3;
  draw(ctx);
  return ctx.getImageData(0, 0, size, size);
}

/** The alert mark, tinted by priority (track icons are ./tracks'). */
function addIcons(map: maplibregl.Map): void {
  const shapes: Record<string, (c: CanvasRenderingContext2D) => void> = {
    "alert-mark": (c) => {
      c.beginPath();
      c.moveTo(16, 2);
      c.lineTo(30, 29);
      c.lineTo(2, 29);
      c.closePath();
      c.stroke();
    },
  };
  for (const [name, draw] of Object.entries(shapes)) map.addImage(name, icon(draw), { sdf: true });
}

function styleFor(basemap: Basemap): StyleSpecification {
  const sources: StyleSpecification["sources"] = {};
  for (const [name, data] of Object.entries(basemap.layers)) sources[name] = { type: "geojson", data };
  (sources.sensors as { promoteId?: string }).promoteId = "id";
  for (const name of ["alerts", "history", "patrols"]) sources[name] = { type: "geojson", data: EMPTY };
  return {
    version: 8,
    sources,
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#0e1a24" } },
      {
        id: "countries-fill",
        type: "fill",
        source: "countries",
        paint: {
          "fill-color": ["match", ["get", "name"], basemap.home_country, "#1f3140", "#17242f"],
        },
      },
      { id: "countries-line", type: "line", source: "countries", paint: { "line-color": "#3b5163", "line-width": 0.8 } },
      // Lakes and reservoirs (Natural Earth), under the towns and the border.
      { id: "water", type: "fill", source: "water", paint: { "fill-color": "#2b6f9e", "fill-opacity": 0.75 } },
      // Rivers (WDB II): thin blue lines, the named major rivers a little bolder; names are DOM labels.
      {
        id: "rivers-minor",
        type: "line",
        source: "rivers",
        filter: ["!", ["get", "major"]],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: {
          "line-color": "#3b82b6",
          "line-opacity": 0.7,
          "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.4, 10, 1.2],
        },
      },
      {
        id: "rivers-major",
        type: "line",
        source: "rivers",
        filter: ["get", "major"],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": "#4a9fd8", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 1.1, 10, 2.6] },
      },
      {
        id: "towns",
        type: "circle",
        source: "towns",
        paint: {
          "circle-radius": ["interpolate", ["linear"], ["get", "population"], 10000, 2, 100000, 3.5, 1000000, 5],
          "circle-color": "#cbd5e1",
          "circle-opacity": 0.8,
          "circle-stroke-color": "#0e1a24",
          "circle-stroke-width": 1,
        },
      },
      {
        id: "coverage-fill",
        type: "fill",
        source: "coverage",
        paint: {
          "fill-color": ["match", ["get", "sensor_type"], "aerostat", "#7c6cff", "ground", "#4fd1c5", "#3fa7ff"],
          "fill-opacity": ["match", ["get", "sensor_type"], "aerostat", 0.04, 0.08],
        },
      },
      {
        id: "coverage-line",
        type: "line",
        source: "coverage",
        paint: { "line-color": "#3fa7ff", "line-opacity": 0.25, "line-width": 0.6 },
      },
      { id: "borders-casing", type: "line", source: "borders", paint: { "line-color": "#000", "line-width": 5, "line-opacity": 0.5 } },
      {
        id: "borders-line",
        type: "line",
        source: "borders",
        paint: { "line-color": "#f4f1de", "line-width": 2.2, "line-dasharray": [4, 1, 1, 1] },
      },
      {
        id: "sectors-ticks",
        type: "circle",
        source: "sectors",
        paint: { "circle-radius": 0 },
      },
      {
        id: "km-markers",
        type: "circle",
        source: "km_markers",
        paint: {
          "circle-radius": ["case", ["get", "major"], 3.5, 2],
          "circle-color": "#f4f1de",
          "circle-stroke-color": "#0e1a24",
          "circle-stroke-width": 1,
        },
      },
      barrier("wall", { "line-color": "#e0e0e0", "line-width": 4 }),
      barrier("berm", { "line-color": "#c8a165", "line-width": 3.5, "line-dasharray": [3, 1] }),
      barrier("trench", { "line-color": "#4aa3df", "line-width": 2.5, "line-dasharray": [1, 1.5] }),
      barrier("fence", { "line-color": "#9be36d", "line-width": 2, "line-dasharray": [0.5, 1.5] }),
      {
        id: "sensors",
        type: "circle",
        source: "sensors",
        paint: {
          "circle-radius": ["match", ["get", "sensor_type"], "aerostat", 7, "tower", 5, 3],
          "circle-color": [
            "match",
            ["coalesce", ["feature-state", "state"], "unknown"],
            "ok", "#34d399",
            "degraded", "#fbbf24",
            "offline", "#ef4444",
            "#94a3b8",
          ],
          "circle-stroke-color": "#0e1a24",
          "circle-stroke-width": 1.5,
        },
      },
      point("crossings", "#22d3ee", 7, "#fff"),
      point("checkpoints", "#f472b6", 5, "#0e1a24"),
      {
        id: "patrol-bases",
        type: "symbol",
        source: "patrol_bases",
        layout: { "icon-image": "ms-patrol-base", "icon-allow-overlap": true },
      },
      {
        id: "history",
        type: "line",
        source: "history",
        paint: { "line-color": "#ff5a36", "line-width": 3, "line-opacity": 0.9 },
      },
      {
        id: "patrols",
        type: "symbol",
        source: "patrols",
        layout: {
          "icon-image": ["case", ["==", ["get", "state"], "available"], "ms-patrol-available", "ms-patrol-committed"],
          "icon-allow-overlap": true,
          "icon-ignore-placement": true,
        },
      },
      {
        id: "alerts-halo",
        type: "circle",
        source: "alerts",
        paint: {
          "circle-radius": ["case", ["get", "selected"], 20, 14],
          "circle-color": ["match", ["get", "priority"], "P1", "#ef4444", "P2", "#f97316", "#eab308"],
          "circle-opacity": 0.2,
          "circle-stroke-width": ["case", ["get", "selected"], 2.5, 1],
          "circle-stroke-color": ["match", ["get", "priority"], "P1", "#ef4444", "P2", "#f97316", "#eab308"],
        },
      },
      {
        id: "alerts",
        type: "symbol",
        source: "alerts",
        layout: { "icon-image": "alert-mark", "icon-size": 0.6, "icon-allow-overlap": true },
        paint: { "icon-color": ["match", ["get", "priority"], "P1", "#ef4444", "P2", "#f97316", "#eab308"] },
      },
    ],
  };
}

function barrier(kind: string, paint: Record<string, unknown>): maplibregl.LayerSpecification {
  return {
    id: `barriers-${kind}`,
    type: "line",
    source: "barriers",
    filter: ["==", ["get", "barrier_type"], kind],
    paint: paint as maplibregl.LineLayerSpecification["paint"],
  };
}

function point(id: string, colour: string, radius: number, stroke: string, source = id): maplibregl.LayerSpecification {
  return {
    id,
    type: "circle",
    source,
    paint: { "circle-radius": radius, "circle-color": colour, "circle-stroke-color": stroke, "circle-stroke-width": 1.5 },
  };
}

/** Live state drawn on the map; the owner pushes updates, the map redraws at most once a frame. */
export class OperationalMap {
  readonly map: maplibregl.Map;
  /** Live tracks, drawn on their own WebGL canvas above the basemap. */
  readonly tracks: TrackPicture;
  private labels: maplibregl.Marker[] = [];
  private selectedAlert: number | null = null;
  private alertsShown: Alert[] = [];
  readonly ready: Promise<void>;
  /** Frames drawn and their durations (ms), for the benchmark. */
  readonly frameTimes: number[] = [];

  constructor(
    container: HTMLElement,
    private basemap: Basemap,
  ) {
    const [w, s, e, n] = basemap.bounds;
    this.map = new maplibregl.Map({
      container,
      style: styleFor(basemap),
      bounds: [w, s, e, n],
      attributionControl: false,
      maxZoom: 16,
      fadeDuration: 0,
      maxPitch: 0, // the track canvas assumes a flat map (an operations map is read from above)
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-left");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    this.ready = new Promise((resolve) => {
      this.map.on("load", () => {
        addIcons(this.map);
        addMilitarySymbols(this.map);
        this.placeLabels();
        resolve();
      });
    });
    this.map.on("moveend", () => this.placeLabels());
    this.tracks = new TrackPicture(this.map);
    this.tracks.onPick = (tr, lngLat) => {
      new maplibregl.Popup({ closeButton: false })
        .setLngLat(lngLat)
        .setHTML(
          `<b>${escapeHtml(t("map.track", { id: tr.track_id }))}</b><br>${escapeHtml(t(`class.${tr.object_class}`))}<br>` +
            escapeHtml(t("map.speed", { v: num(tr.speed_mps, 1), h: num(tr.heading_deg) })),
        )
        .addTo(this.map);
    };
    let last = performance.now();
    const tick = (now: number) => {
      this.frameTimes.push(now - last);
      if (this.frameTimes.length > 5000) this.frameTimes.splice(0, 1000);
      last = now;
      this.tracks.flush();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  /** Labels for crossings, major km markers (minor ones when zoomed in), named rivers (once each, mid-way
   * along the reach in view) and towns (large ones first, all when zoomed in), for what is in view. */
  placeLabels(): void {
    for (const m of this.labels) m.remove();
    this.labels = [];
    const zoom = this.map.getZoom();
    const bounds = this.map.getBounds();
    const add = (lngLat: LngLatLike, text: string, cls: string) => {
      const el = document.createElement("div");
      el.className = `map-label ${cls}`;
      el.textContent = text;
      const rtl = lang() === "ar"; // labels sit after the symbol in reading order
      const marker = new maplibregl.Marker({ element: el, anchor: rtl ? "right" : "left", offset: [rtl ? -8 : 8, 0] });
      this.labels.push(marker.setLngLat(lngLat).addTo(this.map));
    };
    for (const f of this.basemap.layers.crossings?.features ?? []) {
      const p = f.properties as { name: string; name_ar?: string };
      add(coords(f), lang() === "ar" && p.name_ar ? p.name_ar : p.name, "label-crossing");
    }
    for (const f of this.basemap.layers.km_markers?.features ?? []) {
      const p = f.properties as { km: number; major: boolean };
      const c = coords(f);
      if ((p.major || zoom >= 9) && bounds.contains(c) && zoom >= 6.5) add(c, `${num(p.km)}`, "label-km");
    }
    if (this.map.getLayer("rivers-major") && this.map.getLayoutProperty("rivers-major", "visibility") !== "none") {
      for (const f of this.basemap.layers.rivers?.features ?? []) {
        const p = f.properties as { major: boolean; name?: string; name_ar?: string };
        if (!p.major || !p.name) continue;
        const at = midpointInView(f, bounds);
        if (at) add(at, lang() === "ar" && p.name_ar ? p.name_ar : p.name, "label-river");
      }
    }
    if (this.map.getLayoutProperty("towns", "visibility") !== "none") {
      for (const f of this.basemap.layers.towns?.features ?? []) {
        const p = f.properties as { name: string; population: number };
        const c = coords(f);
        if ((p.population >= 100_000 || zoom >= 8 || (p.population >= 30_000 && zoom >= 7)) && bounds.contains(c)) {
          add(c, p.name, "label-town");
        }
      }
    }
  }

  /** Back to the whole border, north up, as on sign-in. */
  home(): void {
    const [w, s, e, n] = this.basemap.bounds;
    this.map.fitBounds([w, s, e, n], { bearing: 0, animate: false });
  }

  setLayerVisible(group: string, visible: boolean): void {
    if (group === "tracks" || group === "trails") this.tracks.setVisible(group, visible);
    for (const id of LAYER_GROUPS[group] ?? []) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    }
    if (group === "towns" || group === "rivers") this.placeLabels();
  }

  upsertTracks(tracks: Track[], removed: string[] = []): void {
    this.tracks.upsert(tracks, removed);
  }

  clearTracks(): void {
    this.tracks.clear();
  }

  trackCount(): number {
    return this.tracks.size;
  }

  /** Tracks on screen after the last frame (the benchmark and tests wait on it). */
  renderedTrackCount(): number {
    return this.tracks.drawn;
  }

  trackPositions(): Record<string, [number, number]> {
    return this.tracks.positions();
  }

  showAlerts(alerts: Alert[]): void {
    this.alertsShown = alerts;
    const features: GeoJSON.Feature[] = alerts
      .filter((a) => a.lat !== null && a.lon !== null && a.state !== "resolved")
      .map((a) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [a.lon as number, a.lat as number] },
        properties: { id: a.id, priority: a.priority, state: a.state, selected: a.id === this.selectedAlert },
      }));
    (this.map.getSource("alerts") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
  }

  /** Fly to an alert and draw its track's history. */
  focusAlert(alert: Alert, history: TrackPoint[]): void {
    this.selectedAlert = alert.id;
    this.tracks.select(alert.track_ids[0] ?? null);
    this.showAlerts(this.alertsShown);
    const line: GeoJSON.Feature[] =
      history.length > 1
        ? [{ type: "Feature", geometry: { type: "LineString", coordinates: history.map((p) => [p.lon, p.lat]) }, properties: {} }]
        : [];
    (this.map.getSource("history") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features: line });
    if (alert.lat !== null && alert.lon !== null) {
      this.map.flyTo({ center: [alert.lon, alert.lat], zoom: Math.max(this.map.getZoom(), 11), duration: 800 });
    }
  }

  showPatrols(patrols: Patrol[]): void {
    const features: GeoJSON.Feature[] = patrols.map((p) => ({
      type: "Feature",
      geometry: { type: "Point", coordinates: [p.lon, p.lat] },
      properties: { id: p.id, name: p.name, state: p.state },
    }));
    (this.map.getSource("patrols") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
  }

  setSensorStates(sensors: SensorHealth[]): void {
    if (!this.map.getSource("sensors")) return;
    for (const s of sensors) this.map.setFeatureState({ source: "sensors", id: s.sensor_id }, { state: sensorState(s) });
  }
}

export function sensorState(s: SensorHealth): "ok" | "degraded" | "offline" {
  if (s.state) return s.state;
  if (s.offline) return "offline";
  if (s.status && !["ok", "nominal", "healthy"].includes(s.status.toLowerCase())) return "degraded";
  return "ok";
}

/** The middle vertex of a line's vertices in view (null when none is): where its name label goes. */
function midpointInView(f: GeoJSON.Feature, bounds: maplibregl.LngLatBounds): [number, number] | null {
  const g = f.geometry;
  const lines = g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : [];
  const inView = lines.flat().filter((c) => bounds.contains([c[0], c[1]]));
  if (inView.length === 0) return null;
  const mid = inView[Math.floor(inView.length / 2)];
  return [mid[0], mid[1]];
}

function coords(f: GeoJSON.Feature): [number, number] {
  const g = f.geometry as GeoJSON.Point;
  return [g.coordinates[0], g.coordinates[1]];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
