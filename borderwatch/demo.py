"""`make demo`: the main job on the embedded default, as a list of steps.

Each step takes the output directory and the console. Later parts add their steps to
DEMO_STEPS (simulate, track, evaluate, serve...). May import every subpackage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from borderwatch.geo import load_border_model


def border_step(out: Path, console: Console) -> None:
    """Print the border model summary and draw the border map."""
    from borderwatch.cli import border_summary
    from borderwatch.maps import BorderMap

    model = load_border_model()
    for table in border_summary(model):
        console.print(table)
    path = BorderMap(model).save(out / "border.png")
    console.print(f"[green]map:[/] {path}")


DEMO_STEPS: list[Callable[[Path, Console], None]] = [border_step]


def coverage_step(out: Path, console: Console) -> None:
    """Coverage planner: what the Iraq–Syria sensors see for a person at night, the gaps, ten new towers."""
    from borderwatch.coverage.cli import run_coverage_demo

    run_coverage_demo(out, console)


DEMO_STEPS.append(coverage_step)


def crossings_step(out: Path, console: Console) -> None:
    """Load a synthetic month of transits and print the revenue-integrity findings."""
    from borderwatch.crossings.cli import findings_table
    from borderwatch.crossings.service import leaks_report, revenue_plot, synthetic_month

    month = synthetic_month(200_000, 30)
    console.print(
        f"{month.table.num_rows:,} transits through {len(set(month.table.column('crossing').to_pylist()))}"
        f" crossings; injected: {', '.join(f'{leak.kind} at {leak.crossing}' for leak in month.leaks)}"
    )
    console.print(findings_table(leaks_report(month.table, out / "crossings_revenue.csv")))
    console.print(f"wrote {revenue_plot(month.table, out / 'crossings_revenue.png')}")


DEMO_STEPS.append(crossings_step)


def service_step(out: Path, console: Console) -> None:
    """Operations service: stream smuggling-surge into the API and watch the alerts arrive."""
    from borderwatch.service.demo import service_step as run

    run(out, console)


DEMO_STEPS.append(service_step)


def simulate_step(out: Path, console: Console) -> None:
    """Simulate the quiet-night scenario and draw its detections and truth on the border map."""
    from borderwatch.sim.command import run_simulate
    from borderwatch.sim.picture import draw_run

    model = load_border_model()
    run_dir = out / "quiet-night"
    run_simulate("quiet-night", model, run_dir, console)
    path = draw_run(model, run_dir, out / "quiet-night.png", title="borderwatch — quiet-night: detections and truth")
    console.print(f"[green]map:[/] {path}")


DEMO_STEPS.append(simulate_step)


def fusion_step(out: Path, console: Console) -> None:
    """Track and score quiet-night and smuggling-surge: GOSPA, crossing recall, time to alert, false alarms."""
    from borderwatch.evaluation.demo import fusion_demo

    fusion_demo(load_border_model(), out, console)


DEMO_STEPS.append(fusion_step)


def run_demo(out: Path, console: Console) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for step in DEMO_STEPS:
        console.rule(f"[bold]{(step.__doc__ or step.__name__).splitlines()[0]}")
        step(out, console)
