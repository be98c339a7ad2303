"""Bodies of the service's CLI commands: serve, user add, audit verify, replay.

The typer wiring is in borderwatch/cli.py. May import borderwatch.api, borderwatch.service and (for
`simulate --post`) borderwatch.sim.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from borderwatch.service.config import Settings, load_settings

if TYPE_CHECKING:
    from borderwatch.geo.model import BorderModel
    from borderwatch.service.feed import FeedTally


def settings_from(config: Path | None, **flags: Any) -> Settings:
    return load_settings(config, **flags)


def run_serve(settings: Settings) -> None:
    from borderwatch.api.server import serve

    serve(settings)


def run_user_add(settings: Settings, username: str, role: str, password: str, console: Console) -> None:
    from borderwatch.service.core import Service

    # Adding a user needs the store only: no fusion, and no broker connection that could be down.
    service = Service(settings.model_copy(update={"fusion": False, "bus_url": ""}))
    try:
        user = service.add_user(username, role, password, actor="cli")
    finally:
        service.engine.dispose()
    console.print(f"added user [bold]{user['username']}[/] with role {user['role']}")


def run_audit_verify(settings: Settings, console: Console) -> bool:
    """Walk the audit chain; prints every problem; True when the log is intact."""
    from borderwatch.service import audit
    from borderwatch.store import open_store

    engine = open_store(settings.store_url)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            checked, problems = audit.verify(session)
            head = audit.head(session)
    finally:
        engine.dispose()
    if head is not None:
        # Truncating the newest entries leaves no gap; comparing this with a copy kept elsewhere does.
        console.print(f"last entry {head[0]:,}: hash {head[1]} (keep a copy outside the store)")
    if not problems:
        console.print(f"[green]audit log intact:[/] {checked:,} entries, hash chain verified")
        return True
    table = Table(title=f"audit log: {len(problems)} problem(s) in {checked:,} entries")
    table.add_column("entry", justify="right")
    table.add_column("problem")
    for problem in problems:
        table.add_row(str(problem.seq), problem.problem)
    console.print(table)
    return False


def run_replay(directory: Path, url: str, keys_file: Path, speed: float, console: Console) -> None:
    from borderwatch.service.feed import SensorPoster, load_keys, replay_dir

    poster = SensorPoster(url, load_keys(keys_file))
    console.print(f"replaying {directory} into {url} at {'full speed' if speed <= 0 else f'{speed:g}x'}")
    try:
        tally = replay_dir(directory, poster, speed)
    finally:
        poster.close()
    print_tally(tally, console)


def print_tally(tally: FeedTally, console: Console) -> None:
    console.print(f"sent {tally.sent:,}: {tally.accepted:,} accepted, {tally.duplicates:,} duplicates, "
                  f"{tally.rejected:,} rejected; {tally.bad_lines} unreadable lines")  # fmt: skip
    if tally.no_key:
        console.print(f"[yellow]no key for sensors (not sent):[/] {', '.join(sorted(tally.no_key))}")


def run_simulate_posting(
    scenario_ref: str, model: BorderModel, out: Path, url: str, keys_file: Path, console: Console, **options: Any
) -> FeedTally:
    """`borderwatch simulate --post URL`: each simulated step's detections and heartbeats go to the
    running service as soon as they are written (paced by --realtime/--speed), each sensor with its key."""
    from borderwatch.service.feed import SensorPoster, load_keys
    from borderwatch.sim.command import run_simulate

    poster = SensorPoster(url, load_keys(keys_file))
    console.print(f"posting each step to {url}")
    try:
        run_simulate(scenario_ref, model, out, console, on_step=lambda step: poster.post_lines(step.detections),
                     **options)  # fmt: skip
    finally:
        poster.close()
    print_tally(poster.tally, console)
    return poster.tally
