"""Multi-sensor fusion: detections in, tracks and border events out.

Lives here: the streaming tracker (constant-velocity Kalman filters, k-d-tree gating, global
nearest neighbour per gated cluster, M-of-N initiation, Bayesian class fusion), the border
events raised from tracks and heartbeats, and their JSON Lines form.
May import: NumPy, SciPy, borderwatch.geo and borderwatch.sensors.formats; the service imports this.
"""

from borderwatch.fusion.params import ClassMotion, EventParams, TrackerParams
from borderwatch.fusion.tracker import Tracker, track_stream, tracking_frame
from borderwatch.fusion.types import BorderEvent, FusionOutput, TrackState

__all__ = [
    "BorderEvent",
    "ClassMotion",
    "EventParams",
    "FusionOutput",
    "TrackState",
    "Tracker",
    "TrackerParams",
    "track_stream",
    "tracking_frame",
]
