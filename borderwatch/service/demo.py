"""The `make demo` step for the operations service: start it on the embedded default, stream the
smuggling-surge scenario into it over HTTP (sped up), and show alerts arriving in a live rich view.

The live view runs when stdin is a terminal (until the scenario ends or Ctrl-C); otherwise, or when
BORDERWATCH_DEMO_SECONDS is set, the stream stops by itself after that many seconds (default 30).
May import everything.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from borderwatch.api.server import running_server
from borderwatch.geo import load_border_model
from borderwatch.sensors.formats import format_time
from borderwatch.service import Service, load_settings
from borderwatch.service.feed import SensorPoster
from borderwatch.web import is_built

SCENARIO = "smuggling-surge"
LIVE_SPEED = 60.0  # one simulated hour in a minute
PRIORITY_STYLE = {"P1": "bold red", "P2": "yellow", "P3": "cyan", "P4": "dim"}


class _TimeUpError(Exception):
    pass


def alerts_view(alerts: dict[int, dict[str, Any]], tally: Any, sim_time: float | None, limit: int = 14) -> Group:
    """The live picture: counters, then the most urgent open alerts, newest first."""
    by_priority = {p: sum(1 for a in alerts.values() if a["priority"] == p) for p in ("P1", "P2", "P3", "P4")}
    head = Table.grid(padding=(0, 3))
    head.add_row(
        f"scenario time [bold]{format_time(sim_time)[11:19] if sim_time else '--:--:--'}[/]",
        f"detections sent [bold]{tally.sent:,}[/] accepted [bold]{tally.accepted:,}[/]",
        "alerts " + "  ".join(f"[{PRIORITY_STYLE[p]}]{p} {n}[/]" for p, n in by_priority.items()),
    )
    table = Table(title="alerts (most urgent, newest first)", expand=True)
    for column in ("#", "pri", "type", "class", "dir", "sector", "km", "group", "updates", "state", "esc"):
        table.add_column(column, justify="right" if column in ("#", "km", "group", "updates", "esc") else "left")
    ranked = sorted(alerts.values(), key=lambda a: (a["priority"], -a["id"]))[:limit]
    for a in ranked:
        style = PRIORITY_STYLE.get(a["priority"], "")
        table.add_row(
            str(a["id"]), f"[{style}]{a['priority']}[/]", a["type"], a["object_class"] or "-", a["direction"] or "-",
            a["sector"] or "-", "-" if a["km"] is None else f"{a['km']:.1f}", str(a["group_size"]),
            str(a["updates"]), a["state"], str(a["escalation_level"] or ""),
        )  # fmt: skip
    return Group(head, table)


def service_step(out: Path, console: Console) -> None:
    """Operations service: stream smuggling-surge into the API and watch the alerts arrive."""
    from borderwatch.sim.command import prepare
    from borderwatch.sim.engine import run_simulation

    limit_env = os.environ.get("BORDERWATCH_DEMO_SECONDS")
    live = sys.stdin.isatty() and not limit_env
    limit_s = float(limit_env) if limit_env else (None if live else 30.0)
    data_dir = out / "service-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    model = load_border_model()
    service = Service(load_settings(environ={}, data_dir=data_dir), model=model)
    service.add_user("demo", "supervisor", "demo-password", actor="demo")
    keys = service.ensure_sensor_keys(data_dir / "sensor_keys.json")
    alerts: dict[int, dict[str, Any]] = {}
    lock = threading.Lock()

    def on_alert(alert: dict[str, Any]) -> None:
        with lock:
            alerts[alert["id"]] = alert

    service.bus.subscribe("alert", on_alert)
    simulation = prepare(SCENARIO, model)
    started = time.monotonic()
    sim_time: list[float] = []
    with running_server(service) as server:
        console.print(f"API docs: [link]{server.url}/docs[/]  (sign in as demo / demo-password)")
        if is_built():  # the operations-room screen, served by the same service
            console.print(f"[bold green]operational picture:[/] [link]{server.url}/[/]  (demo / demo-password)")
        poster = SensorPoster(server.url, keys)

        pending: list[str] = []
        flushed = [time.monotonic()]

        def on_step(step: Any) -> None:
            # Post a few times a second rather than every simulation step: fewer, larger requests.
            pending.extend(step.detections)
            if len(pending) >= 5000 or time.monotonic() - flushed[0] >= 0.25:
                poster.post_lines(pending)
                pending.clear()
                flushed[0] = time.monotonic()
            sim_time[:] = [simulation.start_time + step.t0]
            if view is not None:
                with lock:
                    view.update(alerts_view(alerts, poster.tally, sim_time[0]))
            if limit_s is not None and time.monotonic() - started > limit_s:
                raise _TimeUpError

        view: Live | None = None
        mode = f"at {LIVE_SPEED:g}x real time" if live else "as fast as it goes"
        console.print(
            f"streaming '{SCENARIO}' {mode}" + (f" for at most {limit_s:g} s" if limit_s else "; Ctrl-C stops")
        )
        sink = open(os.devnull, "w")  # noqa: SIM115 - the simulator wants streams; the service is our sink
        try:
            with Live(console=console, refresh_per_second=4, transient=False) if live else _null() as view:
                run_simulation(simulation, sink, sink, realtime=live, speed=LIVE_SPEED, on_step=on_step)
        except _TimeUpError:
            console.print(f"[dim]stopped after {limit_s:g} s (BORDERWATCH_DEMO_SECONDS)[/]")
        except KeyboardInterrupt:
            console.print("[yellow]Ctrl-C: stopping the service cleanly[/]")
        finally:
            sink.close()
            if pending:
                poster.post_lines(pending)
            poster.close()
            deadline = time.monotonic() + 10
            while service.fusion_backlog() and time.monotonic() < deadline:
                time.sleep(0.1)  # let fusion finish what was acknowledged
    with lock:
        console.print(alerts_view(alerts, poster.tally, sim_time[0] if sim_time else None, limit=20))
    tally = poster.tally
    console.print(f"sent {tally.sent:,} records in {time.monotonic() - started:.1f} s; "
                  f"{len(alerts)} alerts; store: {data_dir}")  # fmt: skip


class _null:  # noqa: N801 - stands in for rich.live.Live when there is no terminal
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
