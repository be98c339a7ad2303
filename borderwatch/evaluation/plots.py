"""Pictures of a score: GOSPA over time and the time-to-alert distribution (matplotlib, Agg).

May import: matplotlib, NumPy, evaluation.scoring.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
import numpy as np

from borderwatch.evaluation.scoring import Scores


def plot_scores(scores: Scores, path: str | Path, title: str = "") -> Path:
    """Two panels: GOSPA (and its mean) over time; histogram of time to alert with median and p95."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), dpi=100)
    if scores.gospa_times:
        minutes = (np.asarray(scores.gospa_times) - scores.gospa_times[0]) / 60.0
        top.plot(minutes, scores.gospa_series, color="#1f77b4", linewidth=0.9, label="GOSPA")
        top.axhline(
            scores.gospa_mean, color="#d62728", linestyle="--", linewidth=0.9, label=f"mean {scores.gospa_mean:.1f}"
        )
    top.set_xlabel("minutes from start")
    top.set_ylabel(f"GOSPA (c={scores.gospa_c:g} m, p={scores.gospa_p:g}, α=2)")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(title or "Tracking accuracy over time")
    if scores.time_to_alert_s:
        bottom.hist(scores.time_to_alert_s, bins=30, color="#2ca02c", alpha=0.8)
        for value, name, style in (
            (scores.time_to_alert_median_s, "median", "--"),
            (scores.time_to_alert_p95_s, "p95", ":"),
        ):
            if value is not None:
                bottom.axvline(value, color="black", linestyle=style, label=f"{name} {value:.0f} s")
        bottom.legend(loc="upper right", fontsize=8)
    else:
        bottom.text(0.5, 0.5, "no crossing caught", ha="center", transform=bottom.transAxes)
    bottom.set_xlabel("time to alert (s): event reported − true crossing")
    bottom.set_ylabel("crossings")
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return target
