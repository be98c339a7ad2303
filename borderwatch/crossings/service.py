"""Service-layer functions for the crossings: what the CLI, the demo and the HTTP API call.

May import every `crossings` module and `geo`; no presentation here.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from borderwatch.crossings.problems import ImportResult
from borderwatch.crossings.register import Crossing, Transit, crossings_from_model
from borderwatch.crossings.revenue import (
    after_hours_profile,
    collection_by_hour,
    export,
    find_leaks,
    plot_revenue,
    revenue_table,
)
from borderwatch.crossings.screening.matcher import WatchlistIndex
from borderwatch.crossings.screening.watchlist import load_watchlist
from borderwatch.crossings.synth.transits import SyntheticTransits, generate_transits
from borderwatch.crossings.tariff import TariffSchedule, load_tariff
from borderwatch.crossings.transit_files import import_transits, read_transit_file, transits_table
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


def import_transit_file(source: str | Path, destination: str | Path) -> ImportResult[Transit]:
    """Validate a transit file (JSON Lines, CSV, Parquet) against the Iraqi crossings and write its
    good transits' analytics table to `destination` (Parquet, all or nothing)."""
    return import_transits(source, destination, iraqi_crossings(), default_tariff())


def load_transits_table(path: str | Path) -> tuple[pa.Table, list[str]]:
    """The analytics table of a transit file: an imported table (.parquet with expected_duty) as
    it is, or a raw transit file validated on the way; and the problems of its bad records."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if "expected_duty" in pq.read_schema(path).names:
            return pq.read_table(path), []
    result = read_transit_file(path, iraqi_crossings())
    return transits_table(result.records, default_tariff()), [str(p) for p in result.problems]


def hourly_report(transits: pa.Table) -> dict[str, list[dict[str, object]]]:
    """Collection rate by crossing and hour, and each crossing's after-hours shares beside its peers."""
    return {
        "by_hour": collection_by_hour(transits).to_pylist(),
        "after_hours": after_hours_profile(transits).to_pylist(),
    }


def revenue_plot(transits: pa.Table, path: str | Path) -> Path:
    """The supervisor's PNG: collection rate by hour and the duty lost per finding."""
    return plot_revenue(transits, find_leaks(transits), path)
