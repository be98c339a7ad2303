"""Synthetic data with injected ground truth: names for screening, a month of transits for the
revenue and selectivity analytics. May import NumPy, pyarrow and the `crossings` domain modules."""
