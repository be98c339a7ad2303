// The alert queue: sorted by priority then age; select flies the map there; acknowledge, dispatch
// (nearest available patrol suggested) and resolve with outcome and note, as the user's role allows.
import { ApiError, type Alert, type Client, type Patrol, type User } from "./api";
import { age, num, t } from "./i18n";
import type { OperationalMap } from "./map";

const OUTCOMES = ["interdicted", "false_alarm", "animal", "friendly", "lost", "other"];
// Who may move alerts; the service enforces it, the client only hides what would be refused.
const MAY_TRIAGE = new Set(["operator", "supervisor"]);
const MAY_RESOLVE = new Set(["operator", "supervisor"]);

/** Priority rank: P1 first; unknown priorities last. */
function rank(priority: string): number {
  const n = Number.parseInt(priority.replace(/\D/g, ""), 10);
  return Number.isFinite(n) ? n : 99;
}

export function sortQueue(alerts: Alert[]): Alert[] {
  return [...alerts].sort(
    (a, b) =>
      Number(a.state === "resolved") - Number(b.state === "resolved") ||
      b.escalation_level - a.escalation_level ||
      rank(a.priority) - rank(b.priority) ||
      a.first_time - b.first_time,
  );
}

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(a));
}

export function nearestAvailable(alert: Alert, patrols: Patrol[]): { patrol: Patrol; km: number } | null {
  if (alert.lat === null || alert.lon === null) return null;
  let best: { patrol: Patrol; km: number } | null = null;
  for (const p of patrols) {
    if (p.state !== "available") continue;
    const km = haversineKm(alert.lat, alert.lon, p.lat, p.lon);
    if (!best || km < best.km) best = { patrol: p, km };
  }
  return best;
}

export class AlertQueue {
  private alerts = new Map<number, Alert>();
  private patrols: Patrol[] = [];
  private selected: number | null = null;
  private showResolved = false;
  private message = "";
  // What the user has chosen or typed per alert, kept across re-renders (pushes arrive while typing).
  private drafts = new Map<number, { patrol?: string; outcome?: string; note?: string }>();
  private deferred = false; // a redraw waits for the operator to leave a drop-down

  constructor(
    private root: HTMLElement,
    private client: Client,
    private map: OperationalMap,
    private user: User,
  ) {
    setInterval(() => this.render(), 5000); // ages tick
  }

  async load(): Promise<void> {
    const [alerts, patrols] = await Promise.all([this.client.alerts(this.showResolved), this.client.patrols().catch(() => [])]);
    this.alerts = new Map(alerts.map((a) => [a.id, a]));
    this.setPatrols(patrols);
    this.render();
  }

  upsert(alert: Alert): void {
    this.alerts.set(alert.id, alert);
    this.render();
  }

  setPatrols(patrols: Patrol[]): void {
    this.patrols = patrols;
    this.map.showPatrols(patrols);
  }

  upsertPatrol(patrol: Patrol): void {
    this.setPatrols([...this.patrols.filter((p) => p.id !== patrol.id), patrol]);
    this.render();
  }

  private visible(): Alert[] {
    return sortQueue([...this.alerts.values()].filter((a) => this.showResolved || a.state !== "resolved"));
  }

  render(): void {
    const active = document.activeElement;
    if (active instanceof HTMLSelectElement && this.root.contains(active)) {
      // Redrawing would close a drop-down the operator has open: draw once they leave it.
      this.map.showAlerts(this.visible());
      if (!this.deferred) {
        this.deferred = true;
        active.addEventListener("blur", () => ((this.deferred = false), this.render()), { once: true });
      }
      return;
    }
    const now = Date.now() / 1000;
    const list = this.visible();
    this.map.showAlerts(list);
    const open = list.filter((a) => a.state !== "resolved").length;
    const head = document.createElement("div");
    head.className = "panel-head";
    head.innerHTML = `<span class="count" data-testid="alert-count"></span><label><input type="checkbox" class="show-resolved"> <span></span></label>`;
    head.querySelector(".count")!.textContent = t("alerts.count", { n: num(open) });
    head.querySelector("label span")!.textContent = t("alerts.show_resolved");
    const box = head.querySelector<HTMLInputElement>(".show-resolved")!;
    box.checked = this.showResolved;
    box.onchange = () => {
      this.showResolved = box.checked;
      void this.load();
    };
    const ul = document.createElement("ul");
    ul.className = "queue";
    for (const a of list) ul.appendChild(this.item(a, now));
    const msg = document.createElement("p");
    msg.className = "message";
    msg.setAttribute("role", "status");
    msg.textContent = this.message;
    const focus = this.focused();
    this.root.replaceChildren(head, msg, ...(list.length ? [ul] : [paragraph(t("alerts.empty"), "empty")]));
    focus?.();
  }

  /** What has the keyboard focus inside the queue, as a function that puts it back (with the caret) on
   * the redrawn element: pushes redraw the queue while an operator is typing a note. */
  private focused(): (() => void) | null {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !this.root.contains(active) || !active.className) return null;
    const alertId = active.closest<HTMLElement>("li.alert")?.dataset.alertId;
    const selector = `${alertId ? `li.alert[data-alert-id="${alertId}"] ` : ""}.${active.className.split(" ")[0]}`;
    const caret = active instanceof HTMLInputElement ? [active.selectionStart, active.selectionEnd, active.selectionDirection] as const : null;
    return () => {
      const again = this.root.querySelector<HTMLElement>(selector);
      if (!again) return;
      again.focus({ preventScroll: true });
      if (caret && again instanceof HTMLInputElement && caret[0] !== null && caret[1] !== null) {
        again.setSelectionRange(caret[0], caret[1], caret[2] ?? undefined);
      }
    };
  }

  private item(a: Alert, now: number): HTMLElement {
    const li = document.createElement("li");
    li.className = `alert prio-${a.priority.toLowerCase()} state-${a.state}${a.id === this.selected ? " selected" : ""}`;
    li.dataset.alertId = String(a.id);
    li.dataset.state = a.state;
    const title = document.createElement("div");
    title.className = "alert-title";
    title.innerHTML = `<span class="prio"></span><span class="type"></span><span class="state"></span><span class="age"></span>`;
    title.querySelector(".prio")!.textContent = a.priority;
    title.querySelector(".type")!.textContent = `${a.type}${a.object_class ? " · " + t(`class.${a.object_class}`) : ""}`;
    title.querySelector(".state")!.textContent = t(`state.${a.state}`);
    title.querySelector(".age")!.textContent = t("alerts.age", { age: age(now - a.created_at) });
    li.appendChild(title);
    const details: string[] = [];
    if (a.sector) details.push(t("alerts.sector_km", { sector: a.sector, km: a.km === null ? "–" : num(a.km, 1) }));
    if (a.group_size > 1) details.push(t("alerts.group", { n: num(a.group_size) }));
    if (a.patrol_id) details.push(t("alerts.patrol", { id: a.patrol_id }));
    if (a.outcome) details.push(t(`outcome.${a.outcome}`));
    if (a.escalation_level > 0) details.push(t("alerts.escalated", { level: num(a.escalation_level) }));
    li.appendChild(paragraph(details.join(" · "), "alert-details"));
    li.onclick = (ev) => {
      if ((ev.target as HTMLElement).closest(".actions")) return;
      void this.select(a.id);
    };
    if (a.id === this.selected) li.appendChild(this.actions(a));
    return li;
  }

  private actions(a: Alert): HTMLElement {
    const box = document.createElement("div");
    box.className = "actions";
    const role = this.user.role;
    if (a.state === "resolved" || !MAY_TRIAGE.has(role)) return box;
    if (a.state === "new") box.appendChild(button(t("action.acknowledge"), "acknowledge", () => this.act(a, "acknowledge")));
    if (a.state === "new" || a.state === "acknowledged") {
      const select = document.createElement("select");
      select.className = "patrol-select";
      const suggestion = nearestAvailable(a, this.patrols);
      const draft = this.draft(a.id);
      for (const p of this.patrols.filter((p) => p.state === "available")) {
        const option = new Option(p.name || p.id, p.id, false, p.id === (draft.patrol ?? suggestion?.patrol.id));
        select.add(option);
      }
      select.onchange = () => (draft.patrol = select.value);
      const hint = paragraph(
        suggestion ? t("alerts.suggested", { name: suggestion.patrol.name || suggestion.patrol.id, km: num(suggestion.km, 1) }) : t("alerts.no_patrol"),
        "hint",
      );
      const go = button(t("action.dispatch"), "dispatch", () => this.act(a, "dispatch", select.value));
      go.disabled = !select.options.length;
      box.append(hint, select, go);
    }
    if (MAY_RESOLVE.has(role)) {
      const outcome = document.createElement("select");
      outcome.className = "outcome-select";
      outcome.setAttribute("aria-label", t("alerts.outcome"));
      const draft = this.draft(a.id);
      for (const o of OUTCOMES) outcome.add(new Option(t(`outcome.${o}`), o, false, o === draft.outcome));
      outcome.onchange = () => (draft.outcome = outcome.value);
      const note = document.createElement("input");
      note.className = "note";
      note.placeholder = t("alerts.note");
      note.value = draft.note ?? "";
      note.oninput = () => (draft.note = note.value);
      box.append(outcome, note, button(t("action.resolve"), "resolve", () => this.act(a, "resolve", outcome.value, note.value)));
    }
    return box;
  }

  private draft(id: number): { patrol?: string; outcome?: string; note?: string } {
    let draft = this.drafts.get(id);
    if (!draft) this.drafts.set(id, (draft = {}));
    return draft;
  }

  async select(id: number): Promise<void> {
    this.selected = id;
    this.render();
    const alert = this.alerts.get(id);
    if (!alert) return;
    const trackId = alert.track_ids[0];
    const history = trackId ? await this.client.trackHistory(trackId).catch(() => []) : [];
    this.map.focusAlert(alert, history);
  }

  private async act(a: Alert, action: "acknowledge" | "dispatch" | "resolve", arg = "", note = ""): Promise<void> {
    try {
      const updated =
        action === "acknowledge"
          ? await this.client.acknowledge(a.id)
          : action === "dispatch"
            ? await this.client.dispatch(a.id, arg)
            : await this.client.resolve(a.id, arg, note);
      this.alerts.set(updated.id, updated);
      this.message = t("action.done", { id: updated.id, state: t(`state.${updated.state}`) });
      if (action === "dispatch") this.setPatrols(await this.client.patrols().catch(() => this.patrols));
    } catch (err) {
      const reason = err instanceof ApiError && err.status === 403 ? t("error.forbidden") : (err as Error).message;
      this.message = t("action.failed", { action: t(`action.${action}`), reason });
    }
    this.render();
  }
}

export function paragraph(text: string, cls: string): HTMLElement {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  return p;
}

export function button(text: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.onclick = onClick;
  return b;
}
