"""Operations service: sustained ingest over HTTP batches and over WebSocket on loopback, against the
in-process ingest path (no HTTP) measured in the same run; then the p99 ingest→alert latency under a
steady, time-ordered feed.

The service runs as its own process (`borderwatch serve`), as in production. The load is movers
crossing the border along its whole length, each seen by one sensor and posted with that sensor's
key. Throughput is measured with large batches (60 s of data per sensor per request: a replay or a
gateway). Latency is measured on a live feed: data times are the wall clock, every mover is seen once
per second, and each sensor posts its scan as soon as the scan is over — the rate is LIVE_MOVERS
detections/s, and p50/p99 run from a batch's receipt to the alert it raised being stored and pushed.
Set BORDERWATCH_BENCH_DATABASE_URL to an empty PostgreSQL database to measure that backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from websockets.sync.client import connect

from borderwatch.api.server import free_port
from borderwatch.fusion import TrackerParams
from borderwatch.geo import load_border_model
from borderwatch.sensors.formats import format_time, parse_time
from borderwatch.service.config import Settings

MOVERS = 600
POINTS = 60
CLIENTS = int(os.environ.get("BW_BENCH_CLIENTS") or 4)  # throughput: sending threads, each waiting for its reply
LIVE_LAGS = (1.0,)  # fusion_lag_s values run besides the service's default (the tracker's own lag: 1 s)
LIVE_MOVERS = int(os.environ.get("BW_BENCH_LIVE_RATE") or 1_000)  # one detection per mover per second: the rate
LIVE_SCANS = 20  # seconds of live feed per latency run
# Every k-th live mover crosses the line, the others are traffic inside it (default: all cross, as in the
# throughput load: an alert storm, every mover's track raising one)
LIVE_CROSSING_EVERY = int(os.environ.get("BW_BENCH_LIVE_CROSSING_EVERY") or 1)
LIVE_HZ = int(os.environ.get("BW_BENCH_LIVE_HZ") or 1)  # scans a second: the rate is LIVE_MOVERS // LIVE_HZ movers
T0 = 1795478400.0
STORE_URL = os.environ.get("BORDERWATCH_BENCH_DATABASE_URL") or None
# BW_BENCH_SERVICE=latency runs the latency part only; BW_BENCH_LAGS=1,0.5 picks the fusion_lag_s values it runs;
# BW_BENCH_LIVE_CLIENTS=4 posts the live feed from 4 threads taking turns (default: one per sensor);
# BW_BENCH_LIVE_RATE=20000 sets the live feed's rate (movers, each seen once a second; default 1,000)
PARTS = os.environ.get("BW_BENCH_SERVICE", "throughput,latency").split(",")
LATE_METRIC = 'borderwatch_fusion_skipped_total{reason="late"}'
STAGES = ("commit", "queued", "held", "tracker", "stored", "pushed")
Batches = list[tuple[str, list[dict[str, Any]]]]


def load(
    model: Any, tag: str, t0: float = T0, window: int = 12, *, movers: int = MOVERS, points: int = POINTS,
    period_s: float = 5.0, crossing_every: int = 1,
) -> Batches:  # fmt: skip
    """(sensor, batch) pairs in time order: `window` points (`period_s` apart) of each sensor's movers
    each; movers walk 2 m/s across the line, spread along its whole length, and cross it in turn over
    the middle ten points (not all in one scan); with `crossing_every` k, only every k-th mover does,
    the others walk 2 m/s along the line 3 km inside it (traffic that raises no border event)."""
    line = next(iter(model.borders.values()))
    sensors = [s.properties.id for s in model.sensors]
    by_window: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for m in range(movers):
        km = (m + 0.5) * line.length_km / movers
        sensor = sensors[m % len(sensors)]
        crossing = m % crossing_every == 0
        for i in range(points):
            if crossing:
                lat, lon = line.offset_point(km, 2.0 * period_s * (i - points / 2 + m % 10 - 5))
            else:
                along = 0.002 * period_s * i  # km walked, away from the line's end
                lat, lon = line.offset_point(km + along if km + along <= line.length_km else km - along, -3000.0)
            by_window[(i // window, sensor)].append({
                "type": "detection", "id": f"{tag}-{m}-{i}", "sensor_id": sensor,
                "time": format_time(t0 + i * period_s + (m % 5) * 0.1), "class": "vehicle" if m % 3 == 0 else "person",
                "class_conf": 0.85, "lat": lat, "lon": lon, "sigma_m": 15.0,
            })  # fmt: skip
    return [(sensor, batch) for (_, sensor), batch in sorted(by_window.items())]


def scenario_load(
    model: Any, per_request: int, name: str = "whole-border-stress", duration_s: float = 300.0
) -> Batches:
    """A simulated scenario's detections (cartesian and polar, with clutter, as its sensors report them)
    as (sensor, batch) pairs of about the synthetic load's batch size, in time order: far fewer border
    events per detection than the synthetic load, where every mover crosses the line."""
    from benchmarks.bench_fusion import simulated

    folder = simulated(name, model, duration_s=duration_s)
    open_batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    batches: Batches = []
    with (folder / "detections.jsonl").open("rb") as lines:
        for line in lines:
            item = orjson.loads(line)
            if item.get("type") != "detection":
                continue
            batch = open_batches[item["sensor_id"]]
            batch.append(item)
            if len(batch) >= per_request:
                batches.append((item["sensor_id"], batch))
                open_batches[item["sensor_id"]] = []
    batches += [(sensor, batch) for sensor, batch in open_batches.items() if batch]
    return batches


def drive_live(
    batches: Batches, send: Callable[[int, str, list[dict[str, Any]]], int], clients: int
) -> tuple[int, float, float]:
    """Send each batch once the wall clock reaches its newest detection time (a sensor reports a scan
    when it is over), from `clients` threads; returns (accepted, seconds, worst delay behind schedule)."""
    due = [max(parse_time(d["time"]) for d in batch) for _, batch in batches]
    clients_of: dict[str, int] = {}
    queues: list[list[tuple[float, str, list[dict[str, Any]]]]] = [[] for _ in range(clients)]
    for (sensor, batch), when in zip(batches, due, strict=True):
        queues[clients_of.setdefault(sensor, len(clients_of) % clients)].append((when, sensor, batch))
    accepted, behind = [0] * clients, [0.0] * clients

    def worker(k: int) -> None:
        for when, sensor, batch in sorted(queues[k], key=lambda q: q[0]):
            wait = when - time.time()
            if wait > 0:
                time.sleep(wait)
            behind[k] = max(behind[k], time.time() - when)
            accepted[k] += send(k, sensor, batch)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted), time.perf_counter() - started, max(behind)


def in_process_rate(model: Any, batches: Batches, workdir: Path) -> float:
    from borderwatch.service import Service, load_settings

    settings = load_settings(environ={}, data_dir=workdir / "peer", fusion=False, database_url=STORE_URL)
    service = Service(settings, model=model)
    started = time.perf_counter()
    total = sum(service.ingest(batch, sensor).accepted for sensor, batch in batches)
    rate = total / (time.perf_counter() - started)
    service.engine.dispose()
    return rate


@contextmanager
def service_process(
    workdir: Path, pids: list[int] | None = None, **env_settings: str
) -> Iterator[tuple[str, dict[str, str], httpx.Client]]:
    """`borderwatch serve` on a free port: (url, sensor keys, client); stopped on exit. `env_settings`
    are service settings passed as BORDERWATCH_* variables; the server's process id is appended to
    `pids`."""
    port, data = free_port(), workdir / f"data-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "borderwatch", "serve", "--port", str(port), "--data-dir", str(data)]
    if STORE_URL:
        command += ["--database-url", STORE_URL]
    env = dict(os.environ, BORDERWATCH_ESCALATE_AFTER_S="3600")
    env.update({f"BORDERWATCH_{name.upper()}": value for name, value in env_settings.items()})
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if pids is not None:
        pids.append(server.pid)
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=url, timeout=120)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(
                    f"the service did not start: {server.stderr.read().decode() if server.stderr else ''}"
                )
            time.sleep(0.2)
        yield url, json.loads((data / "sensor_keys.json").read_text()), http
    finally:
        server.terminate()
        server.wait(timeout=30)


def drive(batches: Batches, send: Callable[[int, str, list[dict[str, Any]]], int]) -> tuple[int, float]:
    """Send batches as fast as they are answered from CLIENTS threads, each sensor always from the
    same client."""
    clients_of: dict[str, int] = {}
    queues: list[Batches] = [[] for _ in range(CLIENTS)]
    for sensor, batch in batches:
        queues[clients_of.setdefault(sensor, len(clients_of) % CLIENTS)].append((sensor, batch))
    accepted = [0] * CLIENTS

    def worker(k: int) -> None:
        for sensor, batch in queues[k]:
            accepted[k] += send(k, sensor, batch)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted), time.perf_counter() - started


def samples(http: httpx.Client, prefix: str) -> float:
    lines = http.get("/metrics").text.splitlines()
    return sum(float(s.split()[-1]) for s in lines if s.startswith(prefix) and not s.startswith("#"))


def http_sender(
    url: str, keys: dict[str, str], count: int = CLIENTS
) -> Callable[[int, str, list[dict[str, Any]]], int]:
    clients = [httpx.Client(base_url=url, timeout=120) for _ in range(count)]

    def post(k: int, sensor: str, batch: list[dict[str, Any]]) -> int:
        headers = {"X-Sensor-Key": keys[sensor], "Content-Type": "application/json"}
        body = orjson.dumps(batch)
        while True:
            reply = clients[k].post("/api/v1/detections", content=body, headers=headers)
            if reply.status_code != 429:  # 429: the write queue is full, nothing stored; send again
                return int(reply.json()["accepted"])
            time.sleep(float(reply.headers.get("retry-after", "1")))

    return post


def run(console: Console) -> None:
    model = load_border_model()
    workdir = Path(tempfile.mkdtemp(prefix="bw-bench-service-"))
    try:
        _run(console, model, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(console: Console, model: Any, workdir: Path) -> None:
    if "throughput" in PARTS:
        _throughput(console, model, workdir)
    if "latency" in PARTS:
        _latency(console, model, workdir)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process `pid` (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_cpu(http: httpx.Client, pid: int) -> float | None:
    """The server's CPU seconds once fusion has taken everything queued and the alert writer has stored
    what fusion handed it (their work for the detections sent goes on after they were acknowledged)."""
    deadline = time.monotonic() + 60
    waiting = ("borderwatch_fusion_queue_batches", "borderwatch_alert_queue_calls")
    while any(samples(http, name) > 0 for name in waiting) and time.monotonic() < deadline:
        time.sleep(0.1)
    return cpu_seconds(pid)


def _throughput(console: Console, model: Any, workdir: Path) -> None:
    # The WebSocket run continues in time after the HTTP one, so the tracker sees fresh movers.
    http_load, ws_load, peer_load = load(model, "h"), load(model, "w", T0 + POINTS * 5 + 600), load(model, "p")
    n = sum(len(b) for _, b in http_load)
    peer = in_process_rate(model, peer_load, workdir)
    pids: list[int] = []
    with service_process(workdir, pids) as (url, keys, http):
        # Server CPU per detection (fusion of the same detections included) counts what the client, on
        # the same cores, cannot: the server's share of the machine.
        cpu = [settled_cpu(http, pids[0])]
        client_cpu = [time.process_time()]  # the sending threads' CPU: on the same two cores as the server
        http_ok, http_s = drive(http_load, http_sender(url, keys))
        client_cpu.append(time.process_time())
        cpu.append(settled_cpu(http, pids[0]))
        late = [samples(http, LATE_METRIC)]
        sockets: dict[tuple[int, str], Any] = {}

        def send_ws(k: int, sensor: str, batch: list[dict[str, Any]]) -> int:
            ws = sockets.get((k, sensor))
            if ws is None:
                ws = sockets[(k, sensor)] = connect(url.replace("http", "ws") + "/api/v1/ingest/ws",
                                                    additional_headers={"X-Sensor-Key": keys[sensor]})  # fmt: skip
            ws.send(orjson.dumps(batch).decode())
            return int(json.loads(ws.recv(timeout=120))["accepted"])

        client_cpu.append(time.process_time())
        ws_ok, ws_s = drive(ws_load, send_ws)
        client_cpu.append(time.process_time())
        for ws in sockets.values():
            ws.close()
        cpu.append(settled_cpu(http, pids[0]))
        late.append(samples(http, LATE_METRIC))
    # The same over HTTP with a simulated feed: polar and cartesian reports with clutter, and border
    # events at the rate a real border gives them (the synthetic load raises one every ~15 detections).
    stress = scenario_load(model, round(n / len(http_load)))
    stress_n = sum(len(b) for _, b in stress)
    stress_pids: list[int] = []
    with service_process(workdir, stress_pids) as (url, keys, http):
        stress_cpu = [settled_cpu(http, stress_pids[0])]
        stress_client = [time.process_time()]
        stress_ok, stress_s = drive(stress, http_sender(url, keys))
        stress_client.append(time.process_time())
        stress_cpu.append(settled_cpu(http, stress_pids[0]))
        stress_events = samples(http, "borderwatch_events_total{")
        stress_late = samples(http, LATE_METRIC)
    store = STORE_URL.split("://")[0] if STORE_URL else "sqlite"
    table = Table(title=f"Service ingest ({store}): {n:,} detections per run, {MOVERS} movers, {CLIENTS} clients, "
                  f"loopback; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    columns = ("path", "detections/request", "accepted", "detections/s", "vs in-process", "server CPU/detection",
               "client CPU/detection", "skipped as late", "target")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "path" else "right")
    per_request = f"{n / len(http_load):,.0f}"
    table.add_row("in-process Service.ingest (peer, no HTTP)", per_request, f"{n:,}", f"{peer:,.0f}", "1.00", "", "",
                  "", "")  # fmt: skip
    rows = [("HTTP POST batches", http_ok, http_s, cpu[0:2], client_cpu[0:2], per_request, late[0]),
            ("WebSocket stream", ws_ok, ws_s, cpu[1:3], client_cpu[2:4], per_request, late[1] - late[0]),
            (f"HTTP POST, whole-border-stress 300 s ({stress_n:,} detections, {stress_events:,.0f} events)",
             stress_ok, stress_s, stress_cpu, stress_client, f"{stress_n / len(stress):,.0f}",
             stress_late)]  # fmt: skip
    for name, ok, seconds, (before, after), (sent_from, sent_to), size, skipped in rows:
        used = "n/a" if before is None or after is None else f"{(after - before) / ok * 1e6:,.0f} µs"
        table.add_row(name, size, f"{ok:,}", f"{ok / seconds:,.0f}", f"{ok / seconds / peer:.2f}", used,
                      f"{(sent_to - sent_from) / ok * 1e6:,.0f} µs", f"{skipped / ok:.0%}", ">= 20,000")  # fmt: skip
    console.print(table)
    console.print("Server CPU/detection: the service process's CPU time from the first request until fusion has "
                  "taken all it acknowledged, per detection; client CPU/detection: the sending threads' (they share "
                  "the cores with the server); skipped as late: detections fusion dropped as later than its late_s "
                  "(these runs replay data 30-170x faster than real time from independent clients, so clients drift "
                  "tens of seconds apart in data time and fusion does less than a real-time feed would ask of it: "
                  "BW_BENCH_SERVICE=latency BW_BENCH_LIVE_RATE=20000 measures a real-time feed at that rate); "
                  "BORDERWATCH_FUSION=false runs the service without fusion, BW_BENCH_CLIENTS sets the number of "
                  "sending threads.")  # fmt: skip


def _latency(console: Console, model: Any, workdir: Path) -> None:
    default_lag = Settings.model_fields["fusion_lag_s"].default  # the service's own default
    lags = [float(v) for v in os.environ.get("BW_BENCH_LAGS", "").split(",") if v] or [
        TrackerParams().lag_s if default_lag is None else default_lag,
        *LIVE_LAGS,
    ]
    latency_runs = []  # (lag_s, accepted, sent, requests, behind, p50, p99, alerts, events, skipped, late, stages)
    for lag in lags:
        with service_process(workdir, fusion_lag_s=str(lag)) as (url, keys, http):
            live = load(model, f"live{lag}", 0.0, window=1, movers=LIVE_MOVERS // LIVE_HZ, points=LIVE_SCANS * LIVE_HZ,
                        period_s=1.0 / LIVE_HZ, crossing_every=LIVE_CROSSING_EVERY)  # fmt: skip
            # Data time is the wall clock: the feed starts two seconds from now and runs in real time.
            start = time.time() + 2.0
            for _, batch in live:
                for d in batch:
                    d["time"] = format_time(start + parse_time(d["time"]))
            # Each sensor posts on its own connection, as sensors do: a few clients taking turns would
            # queue one sensor's scan behind the others' (the sends fell 0.6-1.1 s behind schedule).
            posting = int(os.environ.get("BW_BENCH_LIVE_CLIENTS") or len({sensor for sensor, _ in live}))
            live_ok, _live_s, behind = drive_live(live, http_sender(url, keys, posting), posting)
            drained = time.monotonic()
            time.sleep(lag + 0.5)  # what the tracker still holds back is released by the clock, if it is told it
            # fused, and the alerts stored and pushed
            waiting = ("borderwatch_fusion_queue_batches", "borderwatch_alert_queue_calls")
            while any(samples(http, name) > 0 for name in waiting) and time.monotonic() - drained < 120:
                time.sleep(0.2)
            failed = samples(http, "borderwatch_fusion_errors_total")
            if failed:
                console.print(f"[red]fusion_lag_s {lag:g}: {failed:.0f} fusion calls failed (see the service log)[/]")
            stage_metric = 'borderwatch_ingest_to_alert_stage_seconds{{quantile="{}",stage="{}"}}'
            stages = {(s, q): samples(http, stage_metric.format(q, s)) for s in STAGES for q in ("0.5", "0.99")}
            latency_runs.append((
                lag, live_ok, sum(len(b) for _, b in live), len(live), behind,
                samples(http, "borderwatch_ingest_to_alert_p50_seconds"),
                samples(http, "borderwatch_ingest_to_alert_p99_seconds"), samples(http, "borderwatch_alerts_total{"),
                samples(http, "borderwatch_events_total{"),
                samples(http, 'borderwatch_fusion_skipped_total{reason="late"}'),
                samples(http, "borderwatch_fusion_out_of_sequence_total"),
                stages,
            ))  # fmt: skip
    crossers = "all crossing" if LIVE_CROSSING_EVERY == 1 else f"1 in {LIVE_CROSSING_EVERY} crossing"
    seen = "once a second" if LIVE_HZ == 1 else f"{LIVE_HZ} times a second"
    latency = Table(title=f"ingest→alert latency, live feed: {LIVE_MOVERS // LIVE_HZ:,} movers seen {seen}, {crossers} "
                    f"({LIVE_MOVERS:,} detections/s for {LIVE_SCANS} s) over HTTP; from a detection's receipt to "
                    f"its alert stored and pushed; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for column in ("fusion_lag_s", "detections/request", "accepted", "sends behind schedule (worst)", "p50", "p99",
                   "alerts", "events", "skipped as late", "fused out of sequence", "target p99"):  # fmt: skip
        latency.add_column(column, justify="right")
    for lag, ok, sent, requests, behind, p50, p99, alerts, events, skipped, late, _ in latency_runs:
        latency.add_row(f"{lag:g}", f"{ok / requests:,.0f}", f"{ok:,}", f"{behind * 1000:,.0f} ms",
                        f"{p50 * 1000:,.0f} ms", f"{p99 * 1000:,.0f} ms", f"{alerts:,.0f}", f"{events:,.0f}",
                        f"{skipped:,.0f} ({skipped / max(sent, 1):.1%})", f"{late:,.0f} ({late / max(sent, 1):.1%})",
                        "< 500 ms")  # fmt: skip
    console.print(latency)
    split = Table(title="where an alert's latency goes: p50 / p99 of each stage (ms), each from the end of the one "
                  "before: receipt → commit → queued for fusion → held by the tracker's lag → tracker → alert "
                  "stored → pushed")  # fmt: skip
    split.add_column("fusion_lag_s", justify="right")
    for stage in STAGES:
        split.add_column(stage, justify="right")
    for run in latency_runs:
        stages = run[-1]
        split.add_row(f"{run[0]:g}", *(f"{stages[(s, '0.5')] * 1000:,.0f} / {stages[(s, '0.99')] * 1000:,.0f}"
                                       for s in STAGES))  # fmt: skip
    console.print(split)
    console.print("The tracker holds data back by fusion_lag_s of data time to put late arrivals in order, so in a "
                  "real-time feed that lag is a floor under the latency; detections later than that are fused out "
                  "of sequence (up to the tracker's late_s), not skipped.")  # fmt: skip
