// Replay: stored track points and alerts over the last N hours, scrubbed with a slider or played at xN.
import type { Client, Replay } from "./api";
import { button, paragraph } from "./alerts";
import { num, t } from "./i18n";
import type { OperationalMap } from "./map";
import type { Track } from "./api";

const SPEEDS = [1, 10, 60, 300];

export class ReplayPanel {
  private data: Replay | null = null;
  private time = 0;
  private speed = 60;
  private playing = false;
  private timer: number | null = null;
  private hours = 6;

  constructor(
    private root: HTMLElement,
    private client: Client,
    private map: OperationalMap,
    private onActive: (active: boolean, label: string) => void,
  ) {}

  get active(): boolean {
    return this.data !== null;
  }

  render(): void {
    const hours = document.createElement("select");
    hours.className = "replay-hours";
    for (const h of [1, 3, 6, 12, 24]) hours.add(new Option(t("replay.hours", { n: num(h) }), String(h), false, h === this.hours));
    hours.onchange = () => (this.hours = Number(hours.value));
    const load = button(t("replay.load"), "replay-load", () => void this.load());
    const parts: HTMLElement[] = [hours, load];
    if (this.data) {
      const slider = document.createElement("input");
      slider.type = "range";
      slider.className = "replay-slider";
      slider.min = String(this.data.start);
      slider.max = String(this.data.end);
      slider.step = "1";
      slider.value = String(this.time);
      slider.oninput = () => this.seek(Number(slider.value));
      const speed = document.createElement("select");
      speed.className = "replay-speed";
      speed.setAttribute("aria-label", t("replay.speed"));
      for (const s of SPEEDS) speed.add(new Option(`×${num(s)}`, String(s), false, s === this.speed));
      speed.onchange = () => (this.speed = Number(speed.value));
      const play = button(this.playing ? t("replay.pause") : t("replay.play"), "replay-play", () => this.toggle());
      const live = button(t("replay.live"), "replay-live", () => this.stop());
      parts.push(
        slider,
        speed,
        play,
        live,
        paragraph(t("replay.loaded", { tracks: num(this.data.tracks.length), alerts: num(this.data.alerts.length) }), "summary"),
      );
    }
    this.root.replaceChildren(...parts);
  }

  private async load(): Promise<void> {
    const data = await this.client.replay(this.hours);
    if (!data.tracks.length && !data.alerts.length) {
      this.root.appendChild(paragraph(t("replay.empty"), "empty"));
      return;
    }
    data.tracks.sort((a, b) => a.time - b.time);
    this.data = data;
    this.time = data.start;
    this.seek(data.start);
    this.render();
  }

  /** Show every track at its last stored point at or before `time` (within 5 minutes), and alerts open then. */
  seek(time: number): void {
    if (!this.data) return;
    this.time = time;
    const latest = new Map<string, Track>();
    for (const p of this.data.tracks) {
      if (p.time > time) break;
      if (time - p.time > 300) continue;
      latest.set(p.track_id, {
        track_id: p.track_id,
        time: p.time,
        lat: p.lat,
        lon: p.lon,
        object_class: p.object_class ?? "unknown",
        speed_mps: p.speed_mps ?? 0,
        heading_deg: p.heading_deg ?? 0,
        status: p.status ?? "confirmed",
      });
    }
    this.map.clearTracks();
    this.map.upsertTracks([...latest.values()]);
    this.map.showAlerts(this.data.alerts.filter((a) => a.first_time <= time));
    this.onActive(true, t("replay.active", { time: new Date(time * 1000).toISOString().slice(0, 19).replace("T", " ") }));
    const slider = this.root.querySelector<HTMLInputElement>(".replay-slider");
    if (slider) slider.value = String(time);
  }

  private toggle(): void {
    this.playing = !this.playing;
    if (this.playing) {
      let last = performance.now();
      this.timer = window.setInterval(() => {
        const now = performance.now();
        const next = this.time + ((now - last) / 1000) * this.speed;
        last = now;
        if (!this.data || next >= this.data.end) this.toggle();
        else this.seek(next);
      }, 250);
    } else if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.render();
  }

  stop(): void {
    if (this.playing) this.toggle();
    this.data = null;
    this.map.clearTracks();
    this.onActive(false, "");
    this.render();
  }
}
