"""Simulator throughput: whole-border-stress (about 2,000 movers, every sensor) for one simulated hour,
and a peer on the same load: Stone Soup's own ground-truth and detection simulators
(MultiTargetGroundTruthSimulator + SimpleDetectionSimulator), run for a few minutes and compared
per simulated second. Target: one hour of the whole border in under 60 s on one core."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from borderwatch.geo import load_border_model
from borderwatch.sim import Simulation, load_scenario
from borderwatch.sim.engine import simulate_to_dir

PEER_SECONDS = 15  # Stone Soup is object-per-target: a few steps are enough to measure its rate


def _stonesoup_rate(n_targets: int, seconds: int) -> tuple[float, int]:
    """Simulated seconds per CPU second for Stone Soup with n targets and one Pd/clutter sensor."""
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
    from stonesoup.simulator.simple import MultiTargetGroundTruthSimulator, SimpleDetectionSimulator
    from stonesoup.types.array import StateVector
    from stonesoup.types.state import GaussianState

    rng = np.random.default_rng(1)
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(0.05), ConstantVelocity(0.05)])
    states = [
        StateVector([x, vx, y, vy])
        for x, vx, y, vy in zip(
            rng.uniform(0, 600_000, n_targets),
            rng.normal(0, 3, n_targets),
            rng.uniform(-10_000, 10_000, n_targets),
            rng.normal(0, 3, n_targets),
            strict=True,
        )
    ]
    truth = MultiTargetGroundTruthSimulator(
        transition,
        GaussianState(StateVector([0, 0, 0, 0]), np.diag([1, 1, 1, 1])),
        timestep=dt.timedelta(seconds=1),
        number_steps=seconds,
        birth_rate=0.0,
        death_probability=0.0,
        seed=1,
        preexisting_states=states,
    )
    measurement = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.eye(2) * 400.0)
    detector = SimpleDetectionSimulator(
        truth,
        measurement,
        meas_range=np.array([[0, 600_000], [-10_000, 10_000]]),
        detection_probability=0.8,
        clutter_rate=2.0,
        seed=2,
    )
    started = time.process_time()
    count = sum(len(detections) for _, detections in detector)
    return seconds / max(time.process_time() - started, 1e-9), count


def run(console: Console) -> None:
    model = load_border_model()
    scenario = load_scenario("whole-border-stress")
    t0 = time.process_time()
    simulation = Simulation(scenario, model)
    setup_cpu = time.process_time() - t0
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        summary = simulate_to_dir(simulation, Path(tmp))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    n_movers = summary["movers"]["total"]
    peer_rate, peer_detections = _stonesoup_rate(n_movers, PEER_SECONDS)
    ours = scenario.duration_s / cpu

    table = Table(
        title=f"whole-border-stress: {scenario.duration_s / 3600:g} h, {n_movers:,} movers, "
        f"{sum(summary['sensors'].values())} sensors (load {os.getloadavg()[0]:.1f})"
    )
    for column in ("simulator", "simulated s", "CPU s", "wall s", "sim s per CPU s", "detections", "ratio"):
        table.add_column(column, justify="left" if column == "simulator" else "right")
    table.add_row(
        "borderwatch (files written)",
        f"{scenario.duration_s:,.0f}",
        f"{cpu:.1f}",
        f"{wall:.1f}",
        f"{ours:,.0f}",
        f"{summary['detections']['total']:,}",
        "1.00",
    )
    table.add_row(
        f"Stone Soup peer ({n_movers:,} targets, 1 sensor, in memory)",
        f"{PEER_SECONDS}",
        "",
        "",
        f"{peer_rate:,.1f}",
        f"{peer_detections:,}",
        f"{peer_rate / ours:.3f}",
    )
    console.print(table)
    verdict = "[green]met[/]" if cpu < 60.0 else "[red]missed[/]"
    console.print(
        f"target: one simulated hour in < 60 s on one core: {cpu:.1f} CPU s ({wall:.1f} s wall) — {verdict}; "
        f"setup {setup_cpu:.1f} s; output {size_mb:,.0f} MB; "
        f"{summary['truth_states']:,} truth states, {summary['detections']['clutter']:,} clutter"
    )
