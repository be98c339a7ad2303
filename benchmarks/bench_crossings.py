"""Crossings: screening against a generated watchlist beside plain rapidfuzz, revenue analytics over
10 million transits, selectivity precision and revenue at the top 5%. Sizes: BW_BENCH_WATCHLIST,
BW_BENCH_TRANSITS (defaults 1,000,000 and 10,000,000); generator seeds of the screening: BW_BENCH_SEED
(default 1; comma-separated for several)."""

from __future__ import annotations

import os
import time

import numpy as np
from rapidfuzz import fuzz, process
from rich.console import Console
from rich.table import Table

from borderwatch.crossings.revenue import after_hours_profile, collection_by_hour, find_leaks, revenue_table
from borderwatch.crossings.screening import WatchlistEntry, WatchlistIndex
from borderwatch.crossings.selectivity import LearnedScore, top_share_quality
from borderwatch.crossings.service import synthetic_month
from borderwatch.crossings.synth.names import (
    People,
    generate_people,
    look_alikes,
    n_first,
    render_canonical_many,
    render_variant_roles,
)

Roles = tuple[int | None, int | None, int | None, int | None]


def _fits(written: Roles, listed: tuple[int, int, int, int]) -> bool:
    """Whether a listed person bears each name part a query wrote (None: left out; a listed person
    without a family name may have any)."""
    return all(w is None or w == v or (k == 3 and v < 0) for k, (w, v) in enumerate(zip(written, listed, strict=True)))


def screening(console: Console, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    people = generate_people(n, rng)
    names = render_canonical_many(people, rng.random(n) < 0.5)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = WatchlistIndex([WatchlistEntry(f"w{i}", "person", (name,)) for i, name in enumerate(names)])
    index_s = time.perf_counter() - t0
    keys = set(
        zip(
            people.given.tolist(),
            people.father.tolist(),
            people.grandfather.tolist(),
            people.nisba.tolist(),
            strict=True,
        )
    )
    queries: list[tuple[str, int | None, Roles]] = []
    for i in rng.choice(n, 1000, replace=False):
        queries.append((*render_variant_roles(people, int(i), rng), int(i)))
    # look-alikes: the same name with another father's name; for every other one, where it exists, a
    # father's name written with the same consonants (Hassan for Hussein, Karam for Karim, Kamil)
    similar = look_alikes()
    hard: list[bool] = []
    for k, i in enumerate(rng.choice(n, 1000, replace=False)):
        g, f, gf, nb = people.key(int(i))
        others = similar.get(f, ()) if k % 2 == 0 else ()
        hard.append(bool(others))
        f2 = int(others[rng.integers(len(others))]) if others else f
        while f2 == f or (g, f2, gf, nb) in keys:
            f2 = int(rng.integers(n_first()))
        look_alike = People(*(np.array([v]) for v in (g, f2, gf, nb)))
        queries.append((*render_variant_roles(look_alike, 0, rng), None))
    t0, c0 = time.perf_counter(), time.process_time()
    results = [index.screen(q) for q, _, _ in queries]
    screen_s, screen_cpu = time.perf_counter() - t0, time.process_time() - c0
    # A hit is correct when the listed person bears every name part the query wrote, in its role: the
    # wanted person, or a namesake no name-based screening can tell apart (the query left out the
    # grandfather's or the family name that would); any other hit is a false one.
    tp = fp = found = 0
    flagged = {True: 0, False: 0}
    for k, ((_, roles, truth), hits) in enumerate(zip(queries, results, strict=True)):
        found += truth is not None and any(h.entry.id == f"w{truth}" for h in hits)
        wrong = sum(not _fits(roles, people.key(int(h.entry.id[1:]))) for h in hits)
        tp += len(hits) - wrong
        fp += wrong
        if truth is None and wrong:
            flagged[hard[k - 1000]] += 1
    sample = [(q, truth) for q, _, truth in queries[:20]]
    t0, c0 = time.perf_counter(), time.process_time()
    base_found = sum(
        truth is not None
        and any(
            r[2] == truth for r in process.extract(q, names, scorer=fuzz.token_sort_ratio, limit=10, score_cutoff=80)
        )
        for q, truth in sample
    )
    base_s, base_cpu = time.perf_counter() - t0, time.process_time() - c0
    table = Table(
        title=f"Screening against {n:,} generated names (seed {seed}; 1,000 wanted under variants, 1,000 look-alikes)"
    )
    # names per CPU second beside wall-clock names/s: the machine is shared, and others' load shows
    # in the wall clock only
    for col in ("method", "names/s", "names/CPU s", "recall", "precision", "vs rapidfuzz"):
        table.add_column(col, justify="right")
    ours = len(queries) / screen_s
    base = len(sample) / base_s
    table.add_row(
        "borderwatch index",
        f"{ours:,.0f}",
        f"{len(queries) / screen_cpu:,.0f}",
        f"{found / 1000:.3f}",
        f"{tp / max(tp + fp, 1):.3f}",
        f"{ours / base:,.0f}x",
    )
    table.add_row(
        f"rapidfuzz token_sort brute force ({len(sample)} names)",
        f"{base:,.1f}",
        f"{len(sample) / base_cpu:,.1f}",
        f"{base_found / sum(t is not None for _, t in sample):.3f}",
        "",
        "1x",
    )
    table.add_row("target", "1,000", "", "0.98", "0.95", "")
    console.print(table)
    console.print(
        f"look-alikes flagged: {flagged[False]} of {hard.count(False)} with another father's name, "
        f"{flagged[True]} of {hard.count(True)} with a father's name of the same consonants; "
        f"generate {gen_s:.1f} s, index {index_s:.1f} s ({n / index_s:,.0f} names/s)"
    )


def revenue(console: Console, n: int) -> None:
    t0 = time.perf_counter()
    month = synthetic_month(n, 30, seed=7)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = find_leaks(month.table)
    revenue_table(month.table, ("crossing", "shift", "officer"))
    collection_by_hour(month.table)
    after_hours_profile(month.table)
    run_s = time.perf_counter() - t0
    table = Table(title=f"Revenue analytics over {n:,} transits")
    for col in ("step", "seconds", "vs target 10 s"):
        table.add_column(col, justify="right")
    table.add_row("generate (numpy)", f"{gen_s:.1f}", "")
    table.add_row("findings, breakdown, by hour, after hours (DuckDB)", f"{run_s:.1f}", f"{run_s / 10:.2f}")
    console.print(table)
    console.print(
        "top finding: "
        + (f"{findings[0].kind} at {findings[0].crossing}" if findings else "none")
        + f"; injected: {', '.join(f'{x.kind} at {x.crossing}' for x in month.leaks)}"
    )


def selectivity(console: Console) -> None:
    past, now = synthetic_month(100_000, 30, seed=1).table, synthetic_month(100_000, 30, seed=2).table
    model = LearnedScore().fit(past, past.column("fraud").to_numpy())
    outcome = now.column("fraud").to_numpy()
    gain = np.maximum(now.column("true_duty").to_numpy() - now.column("expected_duty").to_numpy(), 0)
    rng = np.random.default_rng(0)
    learned = top_share_quality(model.score(now), outcome, gain)
    rand = top_share_quality(rng.random(len(outcome)), outcome, gain)
    table = Table(title="Selectivity: inspecting the top n% (learned score vs random selection)")
    for col in ("top", "precision", "revenue captured", "random precision", "random revenue"):
        table.add_column(col, justify="right")
    for a, b in zip(learned, rand, strict=True):
        table.add_row(
            f"{a['share']:.0%}",
            f"{a['precision']:.3f}",
            f"{a['revenue']:.3f}",
            f"{b['precision']:.3f}",
            f"{b['revenue']:.3f}",
        )
    console.print(table)


def run(console: Console) -> None:
    parts = os.environ.get("BW_BENCH_CROSSINGS", "screening,revenue,selectivity").split(",")
    if "screening" in parts:
        # a generator seed is one draw of people and variants: BW_BENCH_SEED=1,2 runs two
        for seed in os.environ.get("BW_BENCH_SEED", "1").split(","):
            screening(console, int(os.environ.get("BW_BENCH_WATCHLIST", 1_000_000)), int(seed))
    if "revenue" in parts:
        revenue(console, int(os.environ.get("BW_BENCH_TRANSITS", 10_000_000)))
    if "selectivity" in parts:
        selectivity(console)
