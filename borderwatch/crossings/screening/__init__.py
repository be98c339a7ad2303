"""Watchlist screening of people, vehicles and companies at the crossings.

Lives here: romanisation of Arabic script (`romanise`), name parts (`names`), watchlist import
(`watchlist`), the indexed matcher (`matcher`) and the plain rapidfuzz baseline (`baseline`).
May import NumPy, SciPy, rapidfuzz and `crossings.plates` / `crossings.problems`.
"""

from borderwatch.crossings.screening.matcher import Hit, WatchlistIndex, screen_name
from borderwatch.crossings.screening.names import NamePart, name_parts
from borderwatch.crossings.screening.romanise import romanise, skeleton
from borderwatch.crossings.screening.watchlist import (
    Watchlist,
    WatchlistEntry,
    load_watchlist,
    parse_ftm_lines,
    parse_watchlist_csv,
)

__all__ = [
    "Hit",
    "NamePart",
    "Watchlist",
    "WatchlistEntry",
    "WatchlistIndex",
    "load_watchlist",
    "name_parts",
    "parse_ftm_lines",
    "parse_watchlist_csv",
    "romanise",
    "screen_name",
    "skeleton",
]
