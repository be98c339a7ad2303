"""The bus: messages per second published and delivered through the in-process `MemoryBus` (the
peer) and through `JetStreamBus` on a local `nats-server -js` (Debian's, installed by `make bench`),
measured in the same run.

Each run publishes track updates shaped like the service's (`TrackState.to_json`, ~330 bytes of JSON)
from one thread as fast as it can and ends when the last one has reached the subscriber; for
JetStream with a live subscriber (the WebSocket push path), with a durable one (every message
acknowledged after its handler), and publishing alone until the stream has acknowledged everything.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from borderwatch.bus import MemoryBus
from borderwatch.bus.jetstream import JetStreamBus

MESSAGES = 20_000
ROUNDS = 3


def track_update(n: int) -> dict[str, Any]:
    return {
        "type": "track", "track_id": f"bench-{n % 5000}", "time": "2026-11-23T21:00:05.000Z",
        "lat": 34.3812345 + n * 1e-7, "lon": 40.9512345, "class": "vehicle", "class_prob": 0.9312,
        "speed_mps": 8.214, "heading_deg": 271.35, "status": "confirmed", "sector": "al-Qaim", "km": 151.234,
        "sigma_m": 14.2,
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def nats_server() -> Iterator[str]:
    binary = next((p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server", shutil.which("nats-server"))
                   if p and Path(p).exists()), None)  # fmt: skip
    if binary is None:
        raise SystemExit("bench_bus: nats-server is not installed (`make bench` installs the Debian package)")
    store, port = Path(tempfile.mkdtemp(prefix="bw-bench-nats-")), free_port()
    process = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nats-server did not start") from None
                time.sleep(0.02)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(store, ignore_errors=True)


def delivered_rate(bus: Any, subscribe: Callable[[Callable[[Any], None]], Any]) -> float:
    """Messages/s from the first publish to the last delivery."""
    payloads = [track_update(n) for n in range(MESSAGES)]
    count = 0
    done = threading.Event()

    def handler(_message: Any) -> None:
        nonlocal count
        count += 1
        if count == MESSAGES:
            done.set()

    subscribe(handler)
    started = time.perf_counter()
    for payload in payloads:
        bus.publish("track", payload)
    if not done.wait(120):
        raise RuntimeError(f"only {count} of {MESSAGES} messages delivered")
    return MESSAGES / (time.perf_counter() - started)


def acknowledged_rate(bus: JetStreamBus) -> float:
    payloads = [track_update(n) for n in range(MESSAGES)]
    started = time.perf_counter()
    for payload in payloads:
        bus.publish("track", payload)
    if not bus.flush(120):
        raise RuntimeError("the stream did not acknowledge every message")
    return MESSAGES / (time.perf_counter() - started)


def run(console: Console) -> None:
    results: dict[str, list[float]] = {}
    with nats_server() as url:
        for _ in range(ROUNDS):
            memory = MemoryBus()
            results.setdefault("MemoryBus (in-process, peer)", []).append(
                delivered_rate(memory, lambda h, b=memory: b.subscribe("track", h)))  # fmt: skip
            for label, durable in (("JetStreamBus, live subscriber", None), ("JetStreamBus, durable subscriber", "d")):
                with JetStreamBus(url, stream=f"BENCH{uuid.uuid4().hex[:8].upper()}") as bus:
                    rate = delivered_rate(bus, lambda h, b=bus, d=durable: b.subscribe("track", h, durable=d))
                    results.setdefault(label, []).append(rate)
            with JetStreamBus(url, stream=f"BENCH{uuid.uuid4().hex[:8].upper()}") as bus:
                results.setdefault("JetStreamBus, publish until stored (no subscriber)", []).append(
                    acknowledged_rate(bus))  # fmt: skip
    peer = statistics.median(results["MemoryBus (in-process, peer)"])
    table = Table(title=f"Bus: {MESSAGES:,} track updates per run, one publisher thread, median of {ROUNDS} runs")
    for column in ("path", "messages/s (median)", "range", "vs MemoryBus"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for label, rates in results.items():
        median = statistics.median(rates)
        table.add_row(label, f"{median:,.0f}", f"{min(rates):,.0f}-{max(rates):,.0f}", f"{median / peer:.3f}x")
    console.print(table)
