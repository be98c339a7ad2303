// Side panels other than the alert queue: layer switches, sensor health, audit log, user admin.
import { ApiError, type AuditEntry, type Client, type SensorHealth } from "./api";
import { button, paragraph } from "./alerts";
import { age, num, t } from "./i18n";
import { sensorState, type OperationalMap } from "./map";

const TOGGLES = ["countries", "water", "rivers", "towns", "borders", "sectors", "barriers", "coverage", "sensors", "crossings", "checkpoints", "patrols", "tracks", "trails", "alerts"];
const ROLES = ["operator", "supervisor", "crossing_officer", "analyst", "admin"];

export function renderLayers(root: HTMLElement, map: OperationalMap, visible: Record<string, boolean>): void {
  const list = document.createElement("ul");
  list.className = "layer-list";
  for (const key of TOGGLES) {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.layer = key;
    box.checked = visible[key] ?? true;
    box.onchange = () => {
      visible[key] = box.checked;
      map.setLayerVisible(key, box.checked);
    };
    label.append(box, " ", t(`layers.${key}`));
    li.appendChild(label);
    list.appendChild(li);
  }
  const legend = document.createElement("ul");
  legend.className = "legend";
  for (const kind of ["wall", "berm", "trench", "fence"]) {
    const li = document.createElement("li");
    li.innerHTML = `<span class="swatch barrier-${kind}"></span>`;
    li.append(t(`legend.${kind}`));
    legend.appendChild(li);
  }
  root.replaceChildren(list, legend);
}

export class SensorPanel {
  private sensors = new Map<string, SensorHealth>();

  constructor(
    private root: HTMLElement,
    private map: OperationalMap,
  ) {}

  set(list: SensorHealth[]): void {
    for (const s of list) this.sensors.set(s.sensor_id, s);
    this.map.setSensorStates(list);
    this.render();
  }

  render(): void {
    const counts = { ok: 0, degraded: 0, offline: 0 };
    const rows = [...this.sensors.values()].map((s) => ({ s, state: sensorState(s) }));
    for (const r of rows) counts[r.state] += 1;
    const order = { offline: 0, degraded: 1, ok: 2 };
    rows.sort((a, b) => order[a.state] - order[b.state] || a.s.sensor_id.localeCompare(b.s.sensor_id));
    if (!rows.length) {
      this.root.replaceChildren(paragraph(t("sensors.empty"), "empty"));
      return;
    }
    const now = Date.now() / 1000;
    const table = document.createElement("table");
    table.className = "sensor-table";
    for (const { s, state } of rows) {
      const tr = table.insertRow();
      tr.className = `sensor sensor-${state}`;
      tr.dataset.sensorId = s.sensor_id;
      tr.insertCell().textContent = s.sensor_id;
      tr.insertCell().textContent = t(`sensor_state.${state}`);
      tr.insertCell().textContent = s.last_heard_at ? t("sensors.last_heard", { age: age(now - s.last_heard_at) }) : t("sensors.never");
      tr.insertCell().textContent = s.status ?? "";
    }
    const summary = paragraph(
      t("sensors.summary", { ok: num(counts.ok), degraded: num(counts.degraded), offline: num(counts.offline) }),
      "summary",
    );
    this.root.replaceChildren(summary, table);
  }
}

export async function renderAudit(root: HTMLElement, client: Client): Promise<void> {
  const refresh = button(t("audit.refresh"), "refresh", () => void renderAudit(root, client));
  let entries: AuditEntry[];
  try {
    entries = await client.audit();
  } catch (err) {
    root.replaceChildren(refresh, paragraph(err instanceof ApiError && err.status === 403 ? t("error.forbidden") : String(err), "error"));
    return;
  }
  if (!entries.length) {
    root.replaceChildren(refresh, paragraph(t("audit.empty"), "empty"));
    return;
  }
  const table = document.createElement("table");
  table.className = "audit-table";
  const head = table.createTHead().insertRow();
  for (const key of ["audit.when", "audit.who", "audit.action", "audit.entity"]) head.insertCell().textContent = t(key);
  const body = table.createTBody();
  for (const e of [...entries].sort((a, b) => b.seq - a.seq)) {
    const tr = body.insertRow();
    tr.className = "audit-entry";
    tr.insertCell().textContent = new Date(e.at * 1000).toLocaleTimeString();
    tr.insertCell().textContent = e.actor;
    tr.insertCell().textContent = e.action;
    tr.insertCell().textContent = `${e.entity} ${e.entity_id}`;
  }
  root.replaceChildren(refresh, table);
}

export async function renderAdmin(root: HTMLElement, client: Client): Promise<void> {
  const form = document.createElement("form");
  form.className = "admin-create";
  const name = document.createElement("input");
  name.name = "username";
  name.placeholder = t("login.username");
  name.required = true;
  const password = document.createElement("input");
  password.name = "password";
  password.type = "password";
  password.placeholder = t("login.password");
  password.required = true;
  const role = document.createElement("select");
  role.name = "role";
  role.setAttribute("aria-label", t("admin.role"));
  for (const r of ROLES) role.add(new Option(t(`role.${r}`), r));
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = t("admin.create");
  const status = paragraph("", "message");
  form.append(name, password, role, submit, status);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await client.createUser(name.value, password.value, role.value);
      status.textContent = t("admin.created", { name: name.value });
      void renderAdmin(root, client);
    } catch (err) {
      status.textContent = err instanceof ApiError && err.status === 403 ? t("error.forbidden") : (err as Error).message;
    }
  };
  const list = document.createElement("ul");
  list.className = "user-list";
  try {
    for (const u of await client.users()) {
      const li = document.createElement("li");
      li.textContent = `${u.username} — ${t(`role.${u.role}`)}`;
      list.appendChild(li);
    }
  } catch (err) {
    list.appendChild(paragraph(err instanceof ApiError && err.status === 403 ? t("error.forbidden") : String(err), "error"));
  }
  const title = document.createElement("h3");
  title.textContent = t("admin.users");
  root.replaceChildren(title, list, form);
}
