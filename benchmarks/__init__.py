"""Benchmarks: each module `bench_*.py` has `run(console) -> None` printing rich tables.

Every figure is printed beside a peer measured in the same run (a reference library, a
baseline implementation or the target), as a ratio; nothing here is asserted.
"""
