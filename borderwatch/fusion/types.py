"""What the tracker emits: track states, border events and the batch that carries them.

Plain dataclasses with no I/O, and their JSON Lines form (docs/formats.md).
May import: borderwatch.sensors.formats (times) and the standard library.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from itertools import repeat
from typing import Any, Literal

from borderwatch.sensors.formats import FormatError, format_time, parse_time

TrackStatus = Literal["tentative", "confirmed", "coasting", "deleted"]
EventType = Literal[
    "border_crossing", "barrier_approach", "barrier_breach", "loitering", "convergence", "sensor_offline"
]
EVENT_TYPES: tuple[str, ...] = (
    "border_crossing",
    "barrier_approach",
    "barrier_breach",
    "loitering",
    "convergence",
    "sensor_offline",
)


@dataclass(frozen=True, slots=True)
class TrackState:
    """One track at one time, in WGS84, with where it lies along the border."""

    track_id: str
    time: float
    lat: float
    lon: float
    object_class: str
    class_prob: float
    speed_mps: float
    heading_deg: float
    status: TrackStatus
    sector: str | None = None
    km: float | None = None
    sigma_m: float | None = None  # 1-sigma position uncertainty (root of the covariance's larger eigenvalue)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "track",
            "track_id": self.track_id,
            "time": format_time(self.time),
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "class": self.object_class,
            "class_prob": round(self.class_prob, 4),
            "speed_mps": round(self.speed_mps, 3),
            "heading_deg": round(self.heading_deg, 2),
            "status": self.status,
            "sector": self.sector,
            "km": None if self.km is None else round(self.km, 3),
            "sigma_m": None if self.sigma_m is None else round(self.sigma_m, 1),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TrackState:
        """Parse a track line; FormatError naming the track and field otherwise."""
        label = f"track {obj.get('track_id')!r}"
        try:
            return cls(
                track_id=str(obj["track_id"]),
                time=parse_time(obj["time"]),
                lat=float(obj["lat"]),
                lon=float(obj["lon"]),
                object_class=str(obj["class"]),
                class_prob=float(obj["class_prob"]),
                speed_mps=float(obj["speed_mps"]),
                heading_deg=float(obj["heading_deg"]),
                status=obj["status"],
                sector=obj.get("sector"),
                km=None if obj.get("km") is None else float(obj["km"]),
                sigma_m=None if obj.get("sigma_m") is None else float(obj["sigma_m"]),
            )
        except KeyError as exc:
            raise FormatError(f"{label}: field {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError, FormatError) as exc:
            raise FormatError(f"{label}: {exc}") from None


@dataclass(frozen=True, slots=True)
class BorderEvent:
    """Something an operator acts on, raised from tracks (or heartbeats) at one time and place.

    `time` is when it happened (for a crossing: when the track crossed the line); `reported_time`
    is the data time at which the tracker knew it, so `reported_time - time` is the alert delay.
    """

    event_id: str
    type: EventType
    time: float
    lat: float | None
    lon: float | None
    track_ids: tuple[str, ...]
    object_class: str | None
    class_prob: float | None
    sector: str | None
    km: float | None
    direction: Literal["inbound", "outbound"] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    reported_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "event",
            "event_id": self.event_id,
            "event": self.type,
            "time": format_time(self.time),
            "reported_time": None if self.reported_time is None else format_time(self.reported_time),
            "lat": None if self.lat is None else round(self.lat, 7),
            "lon": None if self.lon is None else round(self.lon, 7),
            "track_ids": list(self.track_ids),
            "class": self.object_class,
            "class_prob": None if self.class_prob is None else round(self.class_prob, 4),
            "sector": self.sector,
            "km": None if self.km is None else round(self.km, 3),
            "direction": self.direction,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> BorderEvent:
        """Parse an event line; FormatError naming the event and field otherwise."""
        label = f"event {obj.get('event_id')!r}"
        try:
            kind = obj["event"]
            if kind not in EVENT_TYPES:
                raise FormatError(f"field 'event' = {kind!r} is not one of {', '.join(EVENT_TYPES)}")
            reported = obj.get("reported_time")
            return cls(
                event_id=str(obj["event_id"]),
                type=kind,
                time=parse_time(obj["time"]),
                lat=None if obj.get("lat") is None else float(obj["lat"]),
                lon=None if obj.get("lon") is None else float(obj["lon"]),
                track_ids=tuple(str(t) for t in obj.get("track_ids") or ()),
                object_class=obj.get("class"),
                class_prob=None if obj.get("class_prob") is None else float(obj["class_prob"]),
                sector=obj.get("sector"),
                km=None if obj.get("km") is None else float(obj["km"]),
                direction=obj.get("direction"),
                details=dict(obj.get("details") or {}),
                reported_time=None if reported is None else parse_time(reported),
            )
        except KeyError as exc:
            raise FormatError(f"{label}: field {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError, FormatError) as exc:
            raise FormatError(f"{label}: {exc}") from None


# TrackState is frozen: its generated __init__ sets each of its 12 fields through object.__setattr__, a
# Python-level call each, which was most of the cost of emitting states (tens of thousands an hour).
# The tracker builds them column by column instead: empty objects, then each field's slot filled for all of
# them by its descriptor in one C-level pass (map). The objects are the same (equal, hashed alike, still
# frozen; tested).
_TRACK_STATE_SLOTS = tuple(getattr(TrackState, f.name).__set__ for f in fields(TrackState))


def track_states_from_columns(*columns: Sequence[Any]) -> list[TrackState]:
    """TrackStates from one sequence per field, in TrackState's field order, all of one length."""
    if len(columns) != len(_TRACK_STATE_SLOTS):
        raise ValueError(f"TrackState has {len(_TRACK_STATE_SLOTS)} fields, got {len(columns)} columns")
    n = len(columns[0])
    if any(len(column) != n for column in columns):
        raise ValueError("columns of different lengths")
    states: list[TrackState] = list(map(object.__new__, repeat(TrackState, n)))
    for fill, column in zip(_TRACK_STATE_SLOTS, columns, strict=True):
        deque(map(fill, states, column), maxlen=0)  # runs the map without keeping its Nones
    return states


@dataclass
class FusionOutput:
    """What one call of the tracker produced: new track states, new events, what it skipped (by reason), and how
    many detections it fused out of sequence."""

    track_states: list[TrackState] = field(default_factory=list)
    events: list[BorderEvent] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    out_of_sequence: int = 0  # detections that arrived after their time was released, fused nonetheless

    def extend(self, other: FusionOutput) -> None:
        self.track_states.extend(other.track_states)
        self.events.extend(other.events)
        self.skipped.update(other.skipped)
        self.out_of_sequence += other.out_of_sequence
