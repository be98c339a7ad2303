"""Scoring trackers against simulator truth: GOSPA, fragmentation, id switches, crossing recall,
time to alert and false crossing alarms, with plots.

May import: NumPy, SciPy, matplotlib, borderwatch.geo, borderwatch.sensors.formats, borderwatch.fusion.
"""

from borderwatch.evaluation.gospa import GospaResult, gospa
from borderwatch.evaluation.scoring import Scores, evaluate

__all__ = ["GospaResult", "Scores", "evaluate", "gospa"]
