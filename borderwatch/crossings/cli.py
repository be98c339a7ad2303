"""Bodies of the `borderwatch screen` and `borderwatch crossings ...` commands (typer + rich).

May import every `crossings` module; holds presentation only. borderwatch/cli.py registers them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from borderwatch.crossings.problems import CrossingsError
from borderwatch.crossings.service import (
    import_transit_file,
    leaks_report,
    load_index,
    load_transits_table,
    revenue_plot,
    synthetic_month,
)

console = Console()
err_console = Console(stderr=True)
crossings_app = typer.Typer(help="The blue border: crossings, transits and revenue integrity.", no_args_is_help=True)


def screen(
    name: Annotated[str | None, typer.Argument(help="Name to screen (Arabic script or Latin)")] = None,
    watchlist: Annotated[Path, typer.Option("--watchlist", "-w", help="FtM JSON Lines or CSV")] = Path("x"),
    dob: Annotated[str | None, typer.Option(help="Date of birth YYYY-MM-DD")] = None,
    batch: Annotated[Path | None, typer.Option(help="File with one name per line")] = None,
    threshold: Annotated[float, typer.Option(help="Lowest score reported")] = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON")] = False,
) -> None:
    """Screen a name (or a file of names) against a watchlist; hits best first, with the reasons."""
    if name is None and batch is None:
        err_console.print("[bold red]error:[/] give a NAME or --batch FILE")
        raise typer.Exit(2)
    try:
        index, problems = load_index(watchlist)
    except (CrossingsError, OSError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    for problem in problems:
        err_console.print(f"[yellow]skipped[/] {watchlist}: {problem}", highlight=False)
    names = (
        [name]
        if name is not None
        else [line.strip() for line in (batch or Path()).read_text("utf-8").splitlines() if line.strip()]
    )
    results = [[h.as_dict() for h in index.screen(n, dob=dob, threshold=threshold)] for n in names]
    if as_json:
        payload = (
            results[0] if batch is None else [{"query": n, "hits": r} for n, r in zip(names, results, strict=True)]
        )
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    for query, hits in zip(names, results, strict=True):
        table = Table(title=f"{query}: {len(hits)} hit(s)")
        for col in ("id", "name", "score", "why"):
            table.add_column(col)
        for hit in hits:
            table.add_row(str(hit["id"]), str(hit["name"]), f"{hit['score']:.2f}", str(hit["explanation"]))
        console.print(table)


def findings_table(findings: list[dict[str, object]], currency: str = "IQD") -> Table:
    table = Table(title="Revenue-integrity findings, most duty lost first")
    for col in ("#", "kind", "crossing", "subject", f"lost ({currency})", "rate", "baseline", "evidence"):
        table.add_column(col)
    for i, f in enumerate(findings, start=1):
        table.add_row(
            str(i),
            str(f["kind"]),
            str(f["crossing"]),
            str(f["subject"]),
            f"{f['lost']:,.0f}",
            f"{f['rate']:.0%}",
            f"{f['baseline']:.0%}",
            str(f["detail"]),
        )
    return table


@crossings_app.command("revenue")
def revenue(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Transits (.jsonl/.csv/.parquet); default: synthetic")
    ] = None,
    transits: Annotated[int, typer.Option(help="Synthetic transits to generate")] = 200_000,
    days: Annotated[int, typer.Option(help="Days they span")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
    export: Annotated[
        Path | None, typer.Option(help="Write the per-crossing/shift/officer table (.csv/.parquet)")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG: collection rate by hour, duty lost")] = None,
) -> None:
    """Revenue-integrity findings over a transit file, or a synthetic month through the Iraqi crossings."""
    if file is not None:
        try:
            table, problems = load_transits_table(file)
        except (CrossingsError, OSError) as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        for problem in problems:
            err_console.print(f"[yellow]skipped[/] {file}: {problem}", highlight=False)
    else:
        table = synthetic_month(transits, days, seed).table
    console.print(findings_table(leaks_report(table, export)))
    if export:
        console.print(f"wrote {export}")
    if plot:
        console.print(f"wrote {revenue_plot(table, plot)}")


@crossings_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="Transits: JSON Lines, CSV or Parquet")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet table to write")] = Path("transits.parquet"),
) -> None:
    """Validate a transit file; write its good transits to Parquet and list the bad ones by line."""
    try:
        result = import_transit_file(file, out)
    except (CrossingsError, OSError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    for problem in result.problems:
        err_console.print(f"[yellow]rejected[/] {file}: {problem}", highlight=False)
    console.print(f"{len(result.records)} transits written to {out}; {len(result.problems)} rejected")
    if not result.records:
        raise typer.Exit(1)
