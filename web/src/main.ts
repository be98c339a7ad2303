// Entry point: sign-in, then the map and panels, fed by the REST API and the WebSocket push.
import "./style.css";
import { AlertQueue } from "./alerts";
import { ApiError, Client, type Alert, type Patrol, type PushMessage, type SensorHealth, type Track, type User } from "./api";
import { applyDocument, lang, onLangChange, setLang, t } from "./i18n";
import { OperationalMap } from "./map";
import { renderAdmin, renderAudit, renderLayers, SensorPanel } from "./panels";
import { ReplayPanel } from "./replay";

const client = new Client();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

declare global {
  interface Window {
    borderwatch?: { map: OperationalMap; user: User; socketState: () => string; messages: () => number };
  }
}

/** A track as pushed by fusion (`class`, ISO time) or stored (`object_class`, seconds): one shape. */
export function normaliseTrack(raw: Record<string, unknown>): Track {
  const time = raw.time;
  return {
    track_id: String(raw.track_id),
    time: typeof time === "string" ? Date.parse(time) / 1000 : Number(time ?? 0),
    lat: Number(raw.lat),
    lon: Number(raw.lon),
    object_class: String(raw.object_class ?? raw.class ?? "unknown"),
    speed_mps: Number(raw.speed_mps ?? 0),
    heading_deg: Number(raw.heading_deg ?? 0),
    status: String(raw.status ?? "tentative"),
    sector: (raw.sector as string | null | undefined) ?? null,
    km: (raw.km as number | null | undefined) ?? null,
  };
}

/** Compact track frames from /web/live: column arrays, one entry per track. */
function tracksFromColumns(m: Record<string, unknown>): Track[] {
  const c = m.columns as Record<string, unknown[]>;
  const ids = c.id ?? [];
  const classes = (m.classes as string[]) ?? [];
  const statuses = (m.statuses as string[]) ?? [];
  return ids.map((id, i) => ({
    track_id: String(id),
    time: Number(m.time ?? 0),
    lat: Number(c.lat[i]),
    lon: Number(c.lon[i]),
    object_class: classes[Number(c.c[i])] ?? "unknown",
    speed_mps: Number(c.v[i]),
    heading_deg: Number(c.h[i]),
    status: statuses[Number(c.s[i])] ?? "tentative",
  }));
}

async function start(): Promise<void> {
  applyDocument();
  for (const el of document.querySelectorAll<HTMLButtonElement>(".lang-toggle")) {
    el.onclick = () => setLang(lang() === "ar" ? "en" : "ar");
  }
  let user: User | null = null;
  if (client.token) user = await client.me().catch(() => null);
  if (!user) user = await signIn();
  await openPicture(user);
}

function signIn(): Promise<User> {
  $("login").hidden = false;
  $("app").hidden = true;
  return new Promise((resolve) => {
    $<HTMLFormElement>("login-form").onsubmit = async (ev) => {
      ev.preventDefault();
      const error = $("login-error");
      error.textContent = "";
      try {
        const user = await client.login($<HTMLInputElement>("login-username").value, $<HTMLInputElement>("login-password").value);
        $("login").hidden = true;
        resolve(user);
      } catch (err) {
        const reason = err instanceof ApiError && err.status === 0 ? t("error.network") : (err as Error).message;
        error.textContent = t("login.failed", { reason });
      }
    };
  });
}

async function openPicture(user: User): Promise<void> {
  $("login").hidden = true;
  $("app").hidden = false;
  document.body.dataset.role = user.role;
  const whoami = () => ($("whoami").textContent = `${user.username} (${t(`role.${user.role}`)})`);
  whoami();
  $("logout").onclick = () => {
    client.logout();
    location.reload();
  };
  const basemap = await client.basemap();
  $("model-name").textContent = basemap.name + (basemap.illustrative ? ` — ${t("map.illustrative")}` : "");
  const map = new OperationalMap($("map"), basemap);
  await map.ready;
  const queue = new AlertQueue($("alerts-panel"), client, map, user);
  const sensors = new SensorPanel($("sensors-panel"), map);
  const visible: Record<string, boolean> = {};
  const replay = new ReplayPanel($("replay-panel"), client, map, (active, label) => {
    document.body.classList.toggle("replaying", active);
    $("clock").textContent = label;
    if (!active) void client.tracks().then((ts) => map.upsertTracks(ts.map((x) => normaliseTrack(x as unknown as Record<string, unknown>))));
  });

  // Tabs: a role sees only the tabs it may use (the service refuses the rest anyway).
  const tabs = [...document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]")];
  for (const tab of tabs) {
    const roles = tab.dataset.roles?.split(" ");
    if (roles && !roles.includes(user.role)) tab.remove();
  }
  const show = (name: string) => {
    for (const tab of document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    for (const panel of document.querySelectorAll<HTMLElement>(".panel")) panel.hidden = panel.dataset.panel !== name;
    if (name === "audit") void renderAudit($("audit-panel"), client);
    if (name === "admin" && user.role === "admin") void renderAdmin($("admin-panel"), client);
  };
  for (const tab of document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]")) tab.onclick = () => show(tab.dataset.tab!);
  show("alerts");

  const rerender = () => {
    applyDocument();
    whoami();
    queue.render();
    sensors.render();
    renderLayers($("layers-panel"), map, visible);
    replay.render();
    map.placeLabels();
    const current = document.querySelector<HTMLButtonElement>('.tabs [aria-selected="true"]')?.dataset.tab;
    if (current === "audit" || current === "admin") show(current);
  };
  onLangChange(rerender);
  rerender();

  await Promise.all([
    queue.load().catch(() => undefined),
    client.sensorHealth().then((s) => sensors.set(s)).catch(() => undefined),
    client.tracks().then((ts) => map.upsertTracks(ts.map((x) => normaliseTrack(x as unknown as Record<string, unknown>)))).catch(() => undefined),
  ]);

  let messages = 0;
  let socket: WebSocket | null = null;
  const connect = () => {
    const conn = $("conn");
    conn.dataset.state = "connecting";
    conn.textContent = t("conn.connecting");
    socket = client.socket();
    socket.onopen = () => {
      conn.dataset.state = "open";
      conn.textContent = t("conn.open");
      void queue.load().catch(() => undefined); // catch up on what changed while we were away
    };
    socket.onclose = () => {
      conn.dataset.state = "closed";
      conn.textContent = t("conn.closed");
      setTimeout(connect, 2000);
    };
    socket.onmessage = (ev) => {
      messages += 1;
      const msg = JSON.parse(String(ev.data)) as PushMessage & Record<string, unknown>;
      handle(msg);
    };
  };
  const handle = (msg: Record<string, unknown>) => {
    const kind = String(msg.type ?? msg.topic ?? "");
    const data = (msg.data ?? msg) as Record<string, unknown>;
    if (kind === "batch" && Array.isArray(msg.messages)) {
      for (const m of msg.messages as Record<string, unknown>[]) handle(m);
    } else if (kind === "tracks") {
      if (!replay.active) map.upsertTracks(tracksFromColumns(data), (data.removed as string[]) ?? []);
    } else if (kind === "track") {
      if (!replay.active) map.upsertTracks([normaliseTrack(data)]);
    } else if (kind === "alert") {
      queue.upsert(data as unknown as Alert);
    } else if (kind === "sensor_health") {
      sensors.set(Array.isArray(data.sensors) ? (data.sensors as SensorHealth[]) : [data as unknown as SensorHealth]);
    } else if (kind === "patrol") {
      queue.upsertPatrol(data as unknown as Patrol);
    }
  };
  connect();
  window.borderwatch = { map, user, socketState: () => $("conn").dataset.state ?? "", messages: () => messages };
}

void start();
