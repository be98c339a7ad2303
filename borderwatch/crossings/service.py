"""Service-layer functions for the crossings: what the CLI, the demo and the HTTP API call.

May import every `crossings` module and `geo`; no presentation here.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from borderwatch.crossings.register import Crossing, crossings_from_model
from borderwatch.crossings.revenue import export, find_leaks, revenue_table
from borderwatch.crossings.screening.matcher import WatchlistIndex
from borderwatch.crossings.screening.watchlist import load_watchlist
from borderwatch.crossings.synth.transits import SyntheticTransits, generate_transits
from borderwatch.crossings.tariff import TariffSchedule, load_tariff
from borderwatch.geo import default_config_path, load_border_model


@lru_cache(maxsize=1)
def iraqi_crossings() -> dict[str, Crossing]:
    """The official crossings of the shipped Iraq configuration (all six land borders)."""
    return crossings_from_model(load_border_model(default_config_path("iraq")))


def default_tariff() -> TariffSchedule:
    return load_tariff()


def load_index(path: str | Path) -> tuple[WatchlistIndex, list[str]]:
    """A screening index over a watchlist file, and the problems of its bad rows."""
    result = load_watchlist(path)
    return WatchlistIndex(result.records), [str(p) for p in result.problems]


def screen(index: WatchlistIndex, name: str, dob: str | None = None, threshold: float = 0.8) -> list[dict[str, object]]:
    """Hits for one name as JSON-ready dicts, best first."""
    return [h.as_dict() for h in index.screen(name, dob=dob, threshold=threshold)]


def synthetic_month(n: int = 200_000, days: int = 30, seed: int = 7) -> SyntheticTransits:
    return generate_transits(n, list(iraqi_crossings().values()), default_tariff(), days=days, seed=seed)


def leaks_report(transits: pa.Table, export_path: str | Path | None = None) -> list[dict[str, object]]:
    """Revenue-integrity findings as dicts, most duty lost first; optionally export the breakdown."""
    if export_path:
        export(revenue_table(transits, ("crossing", "shift", "officer")), export_path)
    return [asdict(f) for f in find_leaks(transits)]
