// Live tracks drawn on their own WebGL canvas over the MapLibre basemap: every track is one point
// sprite (class icon turned to its heading, tinted by status, on a dark halo) fed from typed arrays, so
// a 1 Hz push of thousands of tracks neither re-tiles a GeoJSON source nor repaints the basemap.
// Trails are drawn for the selected track, or for every track while there are few.
// Why not deck.gl: its per-instance vertex shaders cost ~300 ms per layer per update for 5,000 tracks
// in software GL (headless chromium, operations-room PCs without a GPU); plain point sprites ~60 ms.
// Imports maplibre-gl (types only) and ./api.
import type maplibregl from "maplibre-gl";
import type { Track } from "./api";

export const TRAIL_POINTS = 12; // positions kept per track for its trail
export const TRAILS_FOR_ALL_BELOW = 300; // above this many tracks only the selected one shows a trail
const STALE_S = 120; // a track not updated for this long (wall clock) leaves the picture
const ICON_CSS_PX = 20; // on-screen size of a track icon, halo included
const PICK_RADIUS_PX = 12;

export const CLASSES = ["person", "vehicle", "animal", "unknown"] as const;
const STATUS_RGB: Record<string, [number, number, number]> = {
  confirmed: [255, 90, 54],
  tentative: [255, 210, 63],
  coasting: [154, 164, 177],
  lost: [107, 114, 128],
  friendly: [63, 167, 255],
};
const OTHER_RGB: [number, number, number] = [255, 210, 63];

export function statusRgb(status: string): [number, number, number] {
  return STATUS_RGB[status] ?? OTHER_RGB;
}

interface TrackEntry {
  track: Track;
  trail: Array<[number, number]>;
  seenAt: number;
}

/** One entry per drawn track: Web Mercator position (0..1), class index, heading and status colour. */
export interface TrackColumns {
  length: number;
  ids: string[];
  mercator: Float64Array; // x, y pairs
  classes: Float32Array;
  headings: Float32Array; // degrees clockwise from north
  colours: Uint8Array; // RGBA
}

export function mercatorX(lon: number): number {
  return (lon + 180) / 360;
}

export function mercatorY(lat: number): number {
  const phi = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180;
  return (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2;
}

/** Typed columns for the GPU: mercator position, class index, heading and status colour per track. */
export function columnsOf(tracks: Track[]): TrackColumns {
  const n = tracks.length;
  const cols: TrackColumns = {
    length: n,
    ids: new Array<string>(n),
    mercator: new Float64Array(2 * n),
    classes: new Float32Array(n),
    headings: new Float32Array(n),
    colours: new Uint8Array(4 * n),
  };
  tracks.forEach((tr, i) => {
    cols.ids[i] = tr.track_id;
    const cls = CLASSES.indexOf(tr.object_class as (typeof CLASSES)[number]);
    cols.classes[i] = cls < 0 ? CLASSES.length - 1 : cls;
    cols.mercator[2 * i] = mercatorX(tr.lon);
    cols.mercator[2 * i + 1] = mercatorY(tr.lat);
    cols.headings[i] = tr.heading_deg;
    const [r, g, b] = statusRgb(tr.status);
    cols.colours.set([r, g, b, 255], 4 * i);
  });
  return cols;
}

const ATLAS_PX = 32;

/** Class icons pointing north, white on transparent (the shader tints them): person a dart, vehicle a
 * block arrow, animal a diamond, unknown a circle with a stalk; side by side in class order. */
function iconAtlas(): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = ATLAS_PX * CLASSES.length;
  canvas.height = ATLAS_PX;
  const c = canvas.getContext("2d")!;
  c.fillStyle = "#fff";
  const shapes: Record<string, Array<[number, number]>> = {
    person: [[16, 3], [24, 27], [16, 21], [8, 27]],
    vehicle: [[16, 3], [26, 13], [21, 13], [21, 28], [11, 28], [11, 13], [6, 13]],
    animal: [[16, 4], [26, 17], [16, 29], [6, 17]],
  };
  CLASSES.forEach((cls, i) => {
    const x0 = i * ATLAS_PX;
    c.beginPath();
    const points = shapes[cls];
    if (points) {
      c.moveTo(x0 + points[0][0], points[0][1]);
      for (const [x, y] of points.slice(1)) c.lineTo(x0 + x, y);
      c.closePath();
      c.fill();
    } else {
      c.arc(x0 + 16, 18, 9, 0, Math.PI * 2);
      c.fill();
      c.fillRect(x0 + 14, 3, 4, 8);
    }
  });
  return canvas;
}

const POINT_VS = `#version 300 es
in vec2 a_pixel; in float a_class; in float a_heading; in vec4 a_colour;
uniform vec2 u_viewport; uniform float u_size; uniform float u_bearing;
out vec4 v_colour; out float v_class; out float v_angle;
void main() {
  gl_Position = vec4(a_pixel.x / u_viewport.x * 2.0 - 1.0, 1.0 - a_pixel.y / u_viewport.y * 2.0, 0.0, 1.0);
  gl_PointSize = u_size;
  v_colour = a_colour; v_class = a_class; v_angle = radians(a_heading - u_bearing);
}`;
// The sprite is turned by sampling the upright atlas at the point rotated back by the screen heading;
// outside the icon but inside the disc is the dark halo that keeps icons legible on any basemap.
const POINT_FS = `#version 300 es
precision mediump float;
in vec4 v_colour; in float v_class; in float v_angle;
uniform sampler2D u_atlas; uniform float u_classes;
out vec4 colour;
void main() {
  vec2 q = gl_PointCoord - 0.5;
  float c = cos(v_angle), s = sin(v_angle);
  vec2 p = vec2(q.x * c + q.y * s, -q.x * s + q.y * c) * 1.15 + 0.5;
  float icon = (p.x < 0.0 || p.x > 1.0 || p.y < 0.0 || p.y > 1.0) ? 0.0
    : texture(u_atlas, vec2((v_class + p.x) / u_classes, p.y)).a;
  float halo = length(q) < 0.5 ? 0.35 : 0.0;
  if (icon < 0.05 && halo == 0.0) discard;
  colour = mix(vec4(0.0, 0.0, 0.0, halo), v_colour, icon);
  colour.rgb *= colour.a;
}`;
const LINE_VS = `#version 300 es
in vec2 a_pixel; in vec4 a_colour; uniform vec2 u_viewport; out vec4 v_colour;
void main() {
  gl_Position = vec4(a_pixel.x / u_viewport.x * 2.0 - 1.0, 1.0 - a_pixel.y / u_viewport.y * 2.0, 0.0, 1.0);
  v_colour = a_colour;
}`;
const LINE_FS = `#version 300 es
precision mediump float; in vec4 v_colour; out vec4 colour;
void main() { colour = vec4(v_colour.rgb * v_colour.a, v_colour.a); }`;

function program(gl: WebGL2RenderingContext, vs: string, fs: string): WebGLProgram {
  const shader = (type: number, source: string) => {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`track shader: ${gl.getShaderInfoLog(s)}`);
    return s;
  };
  const p = gl.createProgram()!;
  gl.attachShader(p, shader(gl.VERTEX_SHADER, vs));
  gl.attachShader(p, shader(gl.FRAGMENT_SHADER, fs));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`track shader: ${gl.getProgramInfoLog(p)}`);
  return p;
}

/** Screen pixel = A · (mercator − centre) + centre pixel, for an unpitched map (maxPitch is 0). */
interface ScreenTransform {
  cx: number;
  cy: number;
  a: number;
  b: number;
  c: number;
  d: number;
  px: number;
  py: number;
}

/** The live track picture: latest state per track, its short trail, and the canvas that draws them. */
export class TrackPicture {
  private tracks = new Map<string, TrackEntry>();
  private dirty = false;
  private viewChanged = true;
  private settled = true; // the view stopped moving: draw afresh rather than move the last drawing
  private drawnWith: ScreenTransform | null = null;
  private columns: TrackColumns = columnsOf([]);
  private pixels = new Float32Array(0);
  private visible = { tracks: true, trails: true };
  private selected: string | null = null;
  private readonly canvas: HTMLCanvasElement;
  private readonly gl: WebGL2RenderingContext | null;
  private points: WebGLProgram | null = null;
  private lines: WebGLProgram | null = null;
  private buffers: Record<string, WebGLBuffer> = {};
  /** Called with the track under the pointer when the user clicks one. */
  onPick: ((track: Track, lngLat: [number, number]) => void) | null = null;

  constructor(private map: maplibregl.Map) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "track-canvas";
    // Above the basemap canvas, below markers and popups (added to the same container later).
    map.getCanvas().after(this.canvas);
    this.gl = this.canvas.getContext("webgl2", { premultipliedAlpha: true, antialias: false });
    if (this.gl) this.setUp(this.gl);
    map.on("move", () => (this.viewChanged = true));
    map.on("moveend", () => (this.settled = true));
    map.on("resize", () => (this.settled = true));
    map.on("click", (ev) => this.click(ev.point.x, ev.point.y));
  }

  private setUp(gl: WebGL2RenderingContext): void {
    this.points = program(gl, POINT_VS, POINT_FS);
    this.lines = program(gl, LINE_VS, LINE_FS);
    for (const name of ["pixel", "class", "heading", "colour", "trail", "trailColour"]) this.buffers[name] = gl.createBuffer()!;
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, iconAtlas());
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  }

  upsert(tracks: Track[], removed: string[] = []): void {
    const now = performance.now();
    for (const track of tracks) {
      let entry = this.tracks.get(track.track_id);
      if (!entry) {
        entry = { track, trail: [], seenAt: now };
        this.tracks.set(track.track_id, entry);
      }
      entry.track = track;
      entry.seenAt = now;
      const last = entry.trail[entry.trail.length - 1];
      if (!last || last[0] !== track.lon || last[1] !== track.lat) {
        entry.trail.push([track.lon, track.lat]);
        if (entry.trail.length > TRAIL_POINTS) entry.trail.shift();
      }
    }
    for (const id of removed) this.tracks.delete(id);
    this.dirty = true;
  }

  clear(): void {
    this.tracks.clear();
    this.dirty = true;
  }

  select(trackId: string | null): void {
    this.selected = trackId;
    this.settled = true;
  }

  setVisible(group: "tracks" | "trails", visible: boolean): void {
    this.visible[group] = visible;
    this.settled = true;
  }

  isVisible(group: "tracks" | "trails"): boolean {
    return this.visible[group];
  }

  get size(): number {
    return this.tracks.size;
  }

  /** Tracks handed to the GPU at the last draw (what is on screen, not what is stored). */
  get drawn(): number {
    return this.gl && this.visible.tracks ? this.columns.length : 0;
  }

  /** Trails drawn at the last draw. */
  trailsDrawn = 0;

  positions(): Record<string, [number, number]> {
    const out: Record<string, [number, number]> = {};
    for (const [id, e] of this.tracks) out[id] = [e.track.lon, e.track.lat];
    return out;
  }

  /** Screen pixel (CSS) of a drawn track, as the canvas places it; null when not drawn. */
  pixelOf(trackId: string): [number, number] | null {
    const i = this.columns.ids.indexOf(trackId);
    return i < 0 ? null : [this.pixels[2 * i], this.pixels[2 * i + 1]];
  }

  /** Draw if the tracks or the view changed since the last frame; called once per animation frame. */
  flush(): void {
    if (this.dirty) {
      this.dirty = false;
      const now = performance.now();
      for (const [id, e] of this.tracks) if (now - e.seenAt > STALE_S * 1000) this.tracks.delete(id);
      this.columns = columnsOf([...this.tracks.values()].map((e) => e.track));
      this.upload();
      this.settled = true;
    }
    if (this.settled) {
      this.settled = this.viewChanged = false;
      this.draw();
    } else if (this.viewChanged) {
      // While the map moves, the last drawing is moved with a CSS transform (compositor only); redrawing
      // thousands of sprites every frame would double the cost of each frame in software GL.
      this.viewChanged = false;
      this.follow();
    }
  }

  /** Move the canvas so that what it drew under the last view lies where the current view puts it. */
  private follow(): void {
    const old = this.drawnWith;
    if (!old) return;
    const now = this.transform();
    const det = old.a * old.d - old.b * old.c;
    // M = A_now · A_old⁻¹; t = p_now + A_now · (c_old − c_now) − M · p_old
    const m00 = (now.a * old.d - now.b * old.c) / det;
    const m01 = (-now.a * old.b + now.b * old.a) / det;
    const m10 = (now.c * old.d - now.d * old.c) / det;
    const m11 = (-now.c * old.b + now.d * old.a) / det;
    const tx = now.px + now.a * (old.cx - now.cx) + now.b * (old.cy - now.cy) - (m00 * old.px + m01 * old.py);
    const ty = now.py + now.c * (old.cx - now.cx) + now.d * (old.cy - now.cy) - (m10 * old.px + m11 * old.py);
    this.canvas.style.transform = `matrix(${m00}, ${m10}, ${m01}, ${m11}, ${tx}, ${ty})`;
  }

  private transform(): ScreenTransform {
    const centre = this.map.getCenter();
    const cx = mercatorX(centre.lng);
    const cy = mercatorY(centre.lat);
    const origin = this.map.project(centre);
    // Screen position is affine in Web Mercator on an unpitched map: two nearby points east and north
    // of the centre fix the scale and rotation, whatever the bearing and padding.
    const step = 0.01;
    const east = this.map.project([centre.lng + step, centre.lat]);
    const north = this.map.project([centre.lng, centre.lat + step]);
    const dx = mercatorX(centre.lng + step) - cx;
    const dy = mercatorY(centre.lat + step) - cy;
    return {
      cx, cy, px: origin.x, py: origin.y,
      a: (east.x - origin.x) / dx, c: (east.y - origin.y) / dx,
      b: (north.x - origin.x) / dy, d: (north.y - origin.y) / dy,
    };
  }

  private upload(): void {
    const gl = this.gl;
    if (!gl) return;
    const cols = this.columns;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.class);
    gl.bufferData(gl.ARRAY_BUFFER, cols.classes, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.heading);
    gl.bufferData(gl.ARRAY_BUFFER, cols.headings, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.colour);
    gl.bufferData(gl.ARRAY_BUFFER, cols.colours, gl.DYNAMIC_DRAW);
  }

  private draw(): void {
    const cols = this.columns;
    const t = this.transform();
    this.drawnWith = t;
    this.canvas.style.transform = "";
    if (this.pixels.length !== 2 * cols.length) this.pixels = new Float32Array(2 * cols.length);
    for (let i = 0; i < cols.length; i++) {
      const dx = cols.mercator[2 * i] - t.cx;
      const dy = cols.mercator[2 * i + 1] - t.cy;
      this.pixels[2 * i] = t.px + t.a * dx + t.b * dy;
      this.pixels[2 * i + 1] = t.py + t.c * dx + t.d * dy;
    }
    const gl = this.gl;
    if (!gl || !this.points || !this.lines) return;
    const ratio = window.devicePixelRatio || 1;
    const width = this.map.getCanvas().clientWidth;
    const height = this.map.getCanvas().clientHeight;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    // Each program enables only its own attributes; stale arrays from the other are switched off.
    for (let i = 0; i < 8; i++) gl.disableVertexAttribArray(i);
    this.trailsDrawn = 0;
    if (this.visible.trails) this.drawTrails(gl, t, width, height);
    if (!this.visible.tracks || !cols.length) return;
    for (let i = 0; i < 8; i++) gl.disableVertexAttribArray(i);
    gl.useProgram(this.points);
    this.attribute(gl, this.points, "a_pixel", this.buffers.pixel, 2, gl.FLOAT, false, this.pixels);
    this.attribute(gl, this.points, "a_class", this.buffers.class, 1, gl.FLOAT, false);
    this.attribute(gl, this.points, "a_heading", this.buffers.heading, 1, gl.FLOAT, false);
    this.attribute(gl, this.points, "a_colour", this.buffers.colour, 4, gl.UNSIGNED_BYTE, true);
    gl.uniform2f(gl.getUniformLocation(this.points, "u_viewport"), width, height);
    gl.uniform1f(gl.getUniformLocation(this.points, "u_size"), ICON_CSS_PX * ratio);
    gl.uniform1f(gl.getUniformLocation(this.points, "u_bearing"), this.map.getBearing());
    gl.uniform1f(gl.getUniformLocation(this.points, "u_classes"), CLASSES.length);
    gl.uniform1i(gl.getUniformLocation(this.points, "u_atlas"), 0);
    gl.drawArrays(gl.POINTS, 0, cols.length);
  }

  private drawTrails(gl: WebGL2RenderingContext, t: ScreenTransform, width: number, height: number): void {
    const few = this.tracks.size <= TRAILS_FOR_ALL_BELOW;
    const vertices: number[] = [];
    const colours: number[] = [];
    for (const [id, e] of this.tracks) {
      if (e.trail.length < 2 || !(few || id === this.selected)) continue;
      this.trailsDrawn += 1;
      const [r, g, b] = statusRgb(e.track.status);
      for (let k = 1; k < e.trail.length; k++) {
        for (const [lon, lat] of [e.trail[k - 1], e.trail[k]]) {
          const dx = mercatorX(lon) - t.cx;
          const dy = mercatorY(lat) - t.cy;
          vertices.push(t.px + t.a * dx + t.b * dy, t.py + t.c * dx + t.d * dy);
          colours.push(r, g, b, 150);
        }
      }
    }
    if (!vertices.length || !this.lines) return;
    gl.useProgram(this.lines);
    this.attribute(gl, this.lines, "a_pixel", this.buffers.trail, 2, gl.FLOAT, false, new Float32Array(vertices));
    this.attribute(gl, this.lines, "a_colour", this.buffers.trailColour, 4, gl.UNSIGNED_BYTE, true, new Uint8Array(colours));
    gl.uniform2f(gl.getUniformLocation(this.lines, "u_viewport"), width, height);
    gl.drawArrays(gl.LINES, 0, vertices.length / 2);
  }

  private attribute(
    gl: WebGL2RenderingContext,
    prog: WebGLProgram,
    name: string,
    buffer: WebGLBuffer,
    size: number,
    type: number,
    normalised: boolean,
    data?: ArrayBufferView,
  ): void {
    const location = gl.getAttribLocation(prog, name);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    if (data) gl.bufferData(gl.ARRAY_BUFFER, data, gl.DYNAMIC_DRAW);
    if (location < 0) return; // optimised away by the compiler
    gl.enableVertexAttribArray(location);
    gl.vertexAttribPointer(location, size, type, normalised, 0, 0);
  }

  private click(x: number, y: number): void {
    if (!this.visible.tracks || !this.onPick) return;
    let best = -1;
    let bestD2 = PICK_RADIUS_PX ** 2;
    for (let i = 0; i < this.columns.length; i++) {
      const d2 = (this.pixels[2 * i] - x) ** 2 + (this.pixels[2 * i + 1] - y) ** 2;
      if (d2 <= bestD2) [best, bestD2] = [i, d2];
    }
    const entry = best < 0 ? undefined : this.tracks.get(this.columns.ids[best]);
    if (entry) this.onPick(entry.track, [entry.track.lon, entry.track.lat]);
  }
}
