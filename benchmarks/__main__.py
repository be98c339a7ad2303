"""`python -m benchmarks [NAME ...]`: run every bench_*.py (or the named ones) in turn."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys
import time

from rich.console import Console


def main(argv: list[str]) -> int:
    console = Console()
    names = sorted(m.name for m in pkgutil.iter_modules(["benchmarks"]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    if not names:
        console.print("[yellow]no benchmarks found[/]")
        return 0
    for name in names:
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").run(console)
        # A bench may freeze its heap out of the collector for its timed runs (bench_fusion.quiet_heap):
        # give it back, so the next bench starts alike and everything is finalised at exit.
        gc.unfreeze()
        gc.collect()
        console.print(f"[dim]{name}: {time.perf_counter() - started:.1f} s[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
