// The service's REST and WebSocket API as the client sees it (paths under /api/v1); no UI here.

export const API = "/api/v1";

export interface User {
  username: string;
  role: string;
}

export interface Alert {
  id: number;
  type: string;
  priority: string;
  rule: string;
  state: "new" | "acknowledged" | "dispatched" | "resolved";
  track_ids: string[];
  object_class: string | null;
  direction: string | null;
  group_size: number;
  sector: string | null;
  km: number | null;
  lat: number | null;
  lon: number | null;
  first_time: number;
  last_time: number;
  created_at: number;
  state_since: number;
  patrol_id: string | null;
  outcome: string | null;
  note: string | null;
  escalation_level: number;
}

export interface Track {
  track_id: string;
  time: number;
  lat: number;
  lon: number;
  object_class: string;
  speed_mps: number;
  heading_deg: number;
  status: string;
  sector?: string | null;
  km?: number | null;
}

export interface TrackPoint {
  time: number;
  lat: number;
  lon: number;
  speed_mps?: number;
  heading_deg?: number;
  status?: string;
}

export interface Patrol {
  id: string;
  name: string;
  base_id: string | null;
  state: string;
  lat: number;
  lon: number;
  alert_id: number | null;
}

export interface SensorHealth {
  sensor_id: string;
  last_heard_at: number | null;
  last_time?: number | null;
  detections?: number;
  status: string | null;
  offline: boolean;
  state?: "ok" | "degraded" | "offline";
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface Basemap {
  name: string;
  home_country: string;
  illustrative: boolean;
  bounds: [number, number, number, number];
  layers: Record<string, GeoJSON.FeatureCollection>;
}

export interface Replay {
  start: number;
  end: number;
  tracks: Array<TrackPoint & { track_id: string; object_class?: string }>;
  alerts: Alert[];
}

/** A push message from the service's WebSocket; `type` says which. */
export type PushMessage =
  | { type: "tracks"; tracks: Track[]; removed?: string[]; time?: number }
  | { type: "track"; track: Track }
  | { type: "alert"; alert: Alert }
  | { type: "sensor_health"; sensors: SensorHealth[] }
  | { type: "patrol"; patrol: Patrol }
  | { type: string; [key: string]: unknown };

export interface Page<T> {
  items: T[];
  total: number;
  next_offset: number | null;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "borderwatch.token";

export class Client {
  token: string | null = sessionStorage.getItem(TOKEN_KEY);

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(API + path, { method, headers, body: payload });
    } catch {
      throw new ApiError(0, "network");
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const data = (await response.json()) as { detail?: unknown };
        if (data.detail !== undefined) detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
      } catch {
        /* not JSON: keep the status text */
      }
      throw new ApiError(response.status, detail);
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async login(username: string, password: string): Promise<User> {
    const data = await this.request<{ access_token: string }>("POST", "/auth/token", { username, password });
    this.token = data.access_token;
    sessionStorage.setItem(TOKEN_KEY, this.token);
    return this.me();
  }

  logout(): void {
    this.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  me(): Promise<User> {
    return this.request("GET", "/me");
  }

  basemap(): Promise<Basemap> {
    return this.request("GET", "/web/basemap");
  }

  async alerts(includeResolved = false): Promise<Alert[]> {
    const open = "state=new&state=acknowledged&state=dispatched";
    return (await this.request<Page<Alert>>("GET", `/alerts?limit=1000${includeResolved ? "" : "&" + open}`)).items;
  }

  suggestedPatrols(id: number): Promise<Array<Patrol & { distance_m: number }>> {
    return this.request("GET", `/alerts/${id}/suggested-patrols?limit=5`);
  }

  acknowledge(id: number): Promise<Alert> {
    return this.request("POST", `/alerts/${id}/acknowledge`, {});
  }

  dispatch(id: number, patrolId: string): Promise<Alert> {
    return this.request("POST", `/alerts/${id}/dispatch`, { patrol_id: patrolId });
  }

  resolve(id: number, outcome: string, note: string): Promise<Alert> {
    return this.request("POST", `/alerts/${id}/resolve`, { outcome, note: note || null });
  }

  /** Live tracks at their latest state (the picture on sign-in, before the push takes over). */
  async tracks(): Promise<Track[]> {
    return (await this.request<Page<Track>>("GET", "/tracks?limit=1000&status=tentative&status=confirmed&status=coasting")).items;
  }

  async trackHistory(id: string): Promise<TrackPoint[]> {
    return (await this.request<{ history: TrackPoint[] }>("GET", `/tracks/${encodeURIComponent(id)}`)).history;
  }

  async patrols(): Promise<Patrol[]> {
    return (await this.request<Page<Patrol>>("GET", "/patrols?limit=1000")).items;
  }

  sensorHealth(): Promise<SensorHealth[]> {
    return this.request("GET", "/sensors");
  }

  async audit(limit = 200): Promise<AuditEntry[]> {
    return (await this.request<Page<AuditEntry>>("GET", `/audit?limit=${limit}`)).items;
  }

  async users(): Promise<User[]> {
    return (await this.request<Page<User>>("GET", "/users?limit=1000")).items;
  }

  createUser(username: string, password: string, role: string): Promise<User> {
    return this.request("POST", "/users", { username, password, role });
  }

  replay(hours: number): Promise<Replay> {
    return this.request("GET", `/web/replay?hours=${hours}`);
  }

  /** The push channel; the token goes in the query because browsers cannot set WebSocket headers. */
  socket(): WebSocket {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return new WebSocket(`${scheme}://${location.host}${API}/web/live?token=${encodeURIComponent(this.token ?? "")}`);
  }
}
