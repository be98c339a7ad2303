"""The web picture under load: 5,000 live tracks updating at 1 Hz, drawn in headless Debian chromium.

Reports the page's frame time (intervals between requestAnimationFrame callbacks: median, p95 and the
share over 50 ms; target median under 33 ms), still and while panning, beside the same page with no
tracks; and the push's bytes per second on `/api/v1/web/live` (target under 1 MB/s) beside the
per-track `/api/v1/stream` carrying the same updates. Tracks are published on the service bus as fusion would.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

N_TRACKS = 5000
SECONDS = 8.0
PASSWORD = "correct horse battery"


def _publisher(service: Any, stop: threading.Event) -> None:
    """5,000 tracks spread along the border, each moving a few metres a second."""
    from borderwatch.fusion.types import TrackState
    from borderwatch.geo.geodesy import destination

    line = next(iter(service.model.borders.values()))
    starts = [line.offset_point(line.length_km * (i + 0.5) / N_TRACKS, 500.0 * ((i % 9) - 4)) for i in range(N_TRACKS)]
    tick = 0
    while not stop.wait(1.0):
        now = service.clock()
        for i, (lat0, lon0) in enumerate(starts):
            heading = (i * 37.0) % 360.0
            lat, lon = destination(lat0, lon0, heading, 3.0 * tick)
            state = TrackState(track_id=f"B{i:05d}", time=now, lat=float(lat), lon=float(lon),
                               object_class=("person", "vehicle", "animal")[i % 3], class_prob=0.8, speed_mps=3.0,
                               heading_deg=heading, status="confirmed", sector=None, km=None)  # fmt: skip
            service.bus.publish("track", state.to_json())
        tick += 1


async def _bytes_per_second(url: str, seconds: float) -> float:
    import websockets

    total = 0
    async with websockets.connect(url, max_size=64 << 20) as ws:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=left)
            except TimeoutError:
                break
            total += len(message.encode() if isinstance(message, str) else message)
    return total / seconds


def _measure_push(url: str, seconds: float) -> float:
    """Bytes per second received on a WebSocket, measured in its own thread (Playwright holds this one's loop)."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(_bytes_per_second(url, seconds))))
    thread.start()
    thread.join()
    return result[0] if result else float("nan")


def _frames(browser: Any, url: str, seconds: float, want_tracks: int) -> tuple[list[float], list[float]]:
    """Frame intervals (ms) on a signed-in page: first with the view still, then while the map pans."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url + "/")
    page.fill("#login-username", "operator")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_function("() => window.borderwatch && window.borderwatch.socketState() === 'open'", timeout=60_000)
    if want_tracks:
        page.wait_for_function(f"() => window.borderwatch.map.renderedTrackCount() >= {want_tracks}", timeout=60_000)
    still = _sample(page, seconds, None)
    pan = _sample(page, seconds / 2, "m.easeTo({center: [c.lng + 0.8, c.lat + 0.4], duration: ms, easing: t => t})")
    page.context.close()
    return still, pan


def _sample(page: Any, seconds: float, move: str | None) -> list[float]:
    page.evaluate("() => { window.borderwatch.map.frameTimes.length = 0; }")
    if move:
        script = f"(ms) => {{ const m = window.borderwatch.map.map; const c = m.getCenter(); {move}; }}"
        page.evaluate(script, seconds * 1000)
    page.wait_for_timeout(seconds * 1000)
    frames: list[float] = page.evaluate("() => window.borderwatch.map.frameTimes.slice()")
    return frames


def _stats(frames: list[float]) -> tuple[float, float, float]:
    """Median, p95 and the percentage of frames longer than 50 ms (what an operator sees as a stutter)."""
    ordered = sorted(frames)
    long = 100.0 * sum(f > 50.0 for f in ordered) / max(len(ordered), 1)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], long


def run(console: Console) -> None:
    from playwright.sync_api import sync_playwright

    from borderwatch.api.server import running_server
    from borderwatch.service import Service, load_settings
    from borderwatch.web import is_built

    if not is_built() or not Path("/usr/bin/chromium").exists():
        console.print("[yellow]bench_web: needs the built app (make web) and /usr/bin/chromium; skipped[/]")
        return
    data = Path(tempfile.mkdtemp(prefix="bench-web-"))
    service = Service(load_settings(environ={}, data_dir=data, fusion=False))
    service.add_user("operator", "operator", PASSWORD, "system")
    stop = threading.Event()
    with running_server(service) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])  # fmt: skip
        idle, idle_pan = _frames(browser, server.url, SECONDS / 2, 0)
        publisher = threading.Thread(target=_publisher, args=(service, stop), daemon=True)
        publisher.start()
        loaded, loaded_pan = _frames(browser, server.url, SECONDS, N_TRACKS)
        import httpx

        token = httpx.post(f"{server.url}/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
        bearer = token.json()["access_token"]
        ws = server.url.replace("http", "ws")
        live_bps = _measure_push(f"{ws}/api/v1/web/live?token={bearer}", SECONDS / 2)
        stream_bps = _measure_push(f"{ws}/api/v1/stream?token={bearer}&topics=track", SECONDS / 2)
        stop.set()
        browser.close()

    table = Table(title=f"Web picture: {N_TRACKS:,} tracks at 1 Hz, headless chromium (software GL)")
    for column in ("measure", "value", "peer", "peer value", "ratio"):
        table.add_column(column, justify="left" if column in ("measure", "peer") else "right")
    med, p95, long = _stats(loaded)
    med0, p950, long0 = _stats(idle)
    table.add_row("frame time median (ms)", f"{med:.1f}", "no tracks", f"{med0:.1f}", f"{med / med0:.2f}×")
    table.add_row("frame time p95 (ms)", f"{p95:.1f}", "no tracks", f"{p950:.1f}", f"{p95 / p950:.2f}×")
    table.add_row("frames over 50 ms (%)", f"{long:.1f}", "no tracks", f"{long0:.1f}", "")
    table.add_row("frame time median (ms)", f"{med:.1f}", "target", "33.0", f"{med / 33.0:.2f}×")
    (pmed, pp95, _), (pmed0, pp950, _) = _stats(loaded_pan), _stats(idle_pan)
    table.add_row("panning: median (ms)", f"{pmed:.1f}", "panning, no tracks", f"{pmed0:.1f}", f"{pmed / pmed0:.2f}×")
    table.add_row("panning: p95 (ms)", f"{pp95:.1f}", "panning, no tracks", f"{pp950:.1f}", f"{pp95 / pp950:.2f}×")
    table.add_row("push /web/live (kB/s)", f"{live_bps / 1e3:,.0f}", "/stream per-track", f"{stream_bps / 1e3:,.0f}",
                  f"{live_bps / max(stream_bps, 1):.2f}×")  # fmt: skip
    table.add_row("push /web/live (kB/s)", f"{live_bps / 1e3:,.0f}", "target", "1,000", f"{live_bps / 1e6:.2f}×")
    console.print(table)
    console.print(f"[dim]{len(loaded)} frames measured with tracks, {len(idle)} without[/]")
