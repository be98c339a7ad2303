"""The body of `borderwatch simulate`: load a scenario, run it, print what came out.

May import: rich, geo, sim. The typer wiring is in borderwatch/cli.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from borderwatch.geo.model import BorderModel
from borderwatch.sim.engine import Simulation, StepOutput, simulate_to_dir
from borderwatch.sim.scenario import Scenario, ScenarioError, load_scenario


def prepare(
    scenario_ref: str,
    model: BorderModel,
    seed: int | None = None,
    duration_s: float | None = None,
    dem: Path | None = None,
) -> Simulation:
    """A ready simulation; ScenarioError for an unknown or bad scenario."""
    scenario: Scenario = load_scenario(scenario_ref)
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = seed
    if duration_s is not None:
        changes["duration_s"] = duration_s
    if changes:
        try:
            scenario = Scenario.model_validate({**scenario.model_dump(by_alias=True), **changes})
        except ValidationError as exc:
            raise ScenarioError(f"scenario {scenario.name!r}: {exc.errors()[0]['msg']} ({changes})") from None
    return Simulation(scenario, model, dem=dem)


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(
        title=f"Simulated '{summary['scenario']}' on '{summary['border_model']}' (seed {summary['seed']})",
        show_header=False,
    )
    table.add_row("time", f"{summary['start']} to {summary['end']}")
    table.add_row("area", ", ".join(f"{a['border']} km {a['start_km']:.0f}-{a['end_km']:.0f}" for a in summary["area"]))
    table.add_row("sensors", ", ".join(f"{n} {k}" for k, n in summary["sensors"].items()))
    movers = summary["movers"]
    table.add_row("movers", f"{movers['total']}: " + ", ".join(f"{n} {r}" for r, n in movers["by_role"].items()))
    det = summary["detections"]
    table.add_row(
        "detections",
        f"{det['total']:,}: "
        + ", ".join(f"{n:,} {k}" for k, n in det["by_sensor_type"].items())
        + f" ({det['clutter']:,} clutter)",
    )
    table.add_row("heartbeats", f"{summary['heartbeats']:,}")
    table.add_row(
        "truth",
        f"{summary['truth_states']:,} states, crossings "
        + (", ".join(f"{n} {d}" for d, n in summary["border_crossings"].items()) or "none"),
    )
    table.add_row("outages", str(len(summary["outages"])))
    timing = summary.get("timing")
    if timing:
        table.add_row("wall time", f"{timing['wall_s']:.1f} s ({timing['sim_s_per_wall_s']:,.0f} simulated s per s)")
    return table


def run_simulate(
    scenario_ref: str,
    model: BorderModel,
    out: Path,
    console: Console,
    *,
    realtime: bool = False,
    speed: float = 1.0,
    seed: int | None = None,
    duration_s: float | None = None,
    dem: Path | None = None,
    on_step: Callable[[StepOutput], None] | None = None,
) -> dict[str, Any]:
    simulation = prepare(scenario_ref, model, seed, duration_s, dem)
    if realtime:
        console.print(f"streaming into {out}/detections.jsonl and truth.jsonl at {speed:g}x real time")
    summary = simulate_to_dir(simulation, out, realtime=realtime, speed=speed, on_step=on_step)
    console.print(summary_table(summary))
    console.print(f"wrote {out / 'detections.jsonl'}, {out / 'truth.jsonl'} and {out / 'summary.json'}")
    return summary
