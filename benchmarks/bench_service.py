"""Operations service: sustained ingest over HTTP batches and over WebSocket on loopback, and the p99
ingest→alert latency, against the in-process ingest path (no HTTP) measured in the same run.

The service runs as its own process (`borderwatch serve`), as in production; the load is movers
crossing the border along its whole length, so fusion raises real alerts while ingest runs.
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
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from websockets.sync.client import connect

from borderwatch.api.server import free_port
from borderwatch.geo import load_border_model
from borderwatch.sensors.formats import format_time

MOVERS = 600
POINTS = 60
CLIENTS = 4
T0 = 1795478400.0


def load(model: Any, tag: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(sensor, batch) pairs: movers crossing every few km, each seen by one sensor, in time order."""
    line = next(iter(model.borders.values()))
    sensors = [s.properties.id for s in model.sensors]
    by_window: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for m in range(MOVERS):
        km = (m + 0.5) * line.length_km / MOVERS
        sensor = sensors[m % len(sensors)]
        for i in range(POINTS):
            lat, lon = line.offset_point(km, -300 + i * 10)
            t = T0 + i * 5 + (m % 7)
            by_window[(i // 12, sensor)].append({
                "type": "detection", "id": f"{tag}-{m}-{i}", "sensor_id": sensor, "time": format_time(t),
                "class": "vehicle" if m % 3 == 0 else "person", "class_conf": 0.85, "lat": lat, "lon": lon,
                "sigma_m": 15.0,
            })  # fmt: skip
    return [(sensor, batch) for (_, sensor), batch in sorted(by_window.items())]


def in_process_rate(model: Any, batches: list[tuple[str, list[dict[str, Any]]]], workdir: Path) -> float:
    from borderwatch.service import Service, load_settings

    service = Service(load_settings(environ={}, data_dir=workdir / "peer", fusion=False), model=model)
    started = time.perf_counter()
    total = sum(service.ingest(batch, sensor).accepted for sensor, batch in batches)
    rate = total / (time.perf_counter() - started)
    service.engine.dispose()
    return rate


def drive(batches: list[tuple[str, list[dict[str, Any]]]], send: Any) -> tuple[int, float]:
    """Send batches from CLIENTS threads (each takes every CLIENTS-th batch); (accepted, seconds)."""
    accepted = [0] * CLIENTS

    def worker(k: int) -> None:
        for sensor, batch in batches[k::CLIENTS]:
            accepted[k] += send(k, sensor, batch)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted), time.perf_counter() - started


def metric(http: httpx.Client, name: str) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return float("nan")


def run(console: Console) -> None:
    model = load_border_model()
    workdir = Path(tempfile.mkdtemp(prefix="bw-bench-service-"))
    try:
        _run(console, model, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(console: Console, model: Any, workdir: Path) -> None:
    http_load, ws_load, peer_load = load(model, "h"), load(model, "w"), load(model, "p")
    n = sum(len(b) for _, b in http_load)
    peer = in_process_rate(model, peer_load, workdir)
    port = free_port()
    env = dict(os.environ, BORDERWATCH_ESCALATE_AFTER_S="3600")
    server = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "serve", "--port", str(port), "--data-dir", str(workdir / "data")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        http = httpx.Client(base_url=url, timeout=120)
        deadline = time.monotonic() + 120
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(
                    "the service did not start: " + (server.stderr.read().decode() if server.stderr else "")
                )
            time.sleep(0.2)
        keys = json.loads((workdir / "data" / "sensor_keys.json").read_text())
        clients = [httpx.Client(base_url=url, timeout=120) for _ in range(CLIENTS)]

        def post(k: int, sensor: str, batch: list[dict[str, Any]]) -> int:
            headers = {"X-Sensor-Key": keys[sensor], "Content-Type": "application/json"}
            reply = clients[k].post("/api/v1/detections", content=orjson.dumps(batch), headers=headers)
            return int(reply.json()["accepted"])

        http_ok, http_s = drive(http_load, post)
        sockets: dict[tuple[int, str], Any] = {}

        def send_ws(k: int, sensor: str, batch: list[dict[str, Any]]) -> int:
            ws = sockets.get((k, sensor))
            if ws is None:
                ws = sockets[(k, sensor)] = connect(url.replace("http", "ws") + "/api/v1/ingest/ws",
                                                    additional_headers={"X-Sensor-Key": keys[sensor]})  # fmt: skip
            ws.send(orjson.dumps(batch).decode())
            return int(json.loads(ws.recv(timeout=120))["accepted"])

        ws_ok, ws_s = drive(ws_load, send_ws)
        for ws in sockets.values():
            ws.close()
        drained = time.monotonic()
        while metric(http, "borderwatch_fusion_queue_batches") > 0 and time.monotonic() - drained < 120:
            time.sleep(0.2)
        p99 = metric(http, "borderwatch_ingest_to_alert_p99_seconds")
        samples = http.get("/metrics").text.splitlines()
        alerts = sum(float(s.split()[-1]) for s in samples if s.startswith("borderwatch_alerts_total{"))
    finally:
        server.terminate()
        server.wait(timeout=30)

    table = Table(title=f"Service ingest: {n:,} detections per run, {MOVERS} movers, {CLIENTS} clients, loopback")
    for column in ("path", "accepted", "detections/s", "vs in-process", "target"):
        table.add_column(column, justify="left" if column == "path" else "right")
    table.add_row("in-process Service.ingest (peer, no HTTP)", f"{n:,}", f"{peer:,.0f}", "1.00", "")
    table.add_row("HTTP POST batches", f"{http_ok:,}", f"{http_ok / http_s:,.0f}", f"{http_ok / http_s / peer:.2f}",
                  ">= 20,000")  # fmt: skip
    table.add_row("WebSocket stream", f"{ws_ok:,}", f"{ws_ok / ws_s:,.0f}", f"{ws_ok / ws_s / peer:.2f}", ">= 20,000")
    console.print(table)
    console.print(f"ingest→alert p99 (receipt to alert stored and pushed, measured in the service): "
                  f"[bold]{p99 * 1000:,.0f} ms[/] over {alerts:,.0f} alerts (target < 500 ms); "
                  f"fusion drained {time.monotonic() - drained:.1f} s after the last batch")  # fmt: skip
