"""Track history off the alert path: the fusion thread hands each call's track states to `TrackHistory`
and goes on to the next call; one thread stores what gathered meanwhile every `period_s` in one
transaction (points appended, each track's latest state upserted). A state equal to the one before it
for that track (same time, place and status) is not stored again.

Alerts do not wait for it, yet never name a track the store lacks: `take(track_ids)` hands the pending
points and the latest state of some tracks to the alert transaction, which stores them itself.

May import borderwatch.fusion.types and borderwatch.store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from borderwatch.fusion.types import TrackState
from borderwatch.store.bulk import insert_track_points, upsert_tracks

log = logging.getLogger(__name__)

_RETRIES = 3  # a group that fails this many times in a row is dropped (logged): the store refuses it


def point_row(s: TrackState) -> dict[str, Any]:
    return {"track_id": s.track_id, "time": s.time, "lat": s.lat, "lon": s.lon, "speed_mps": s.speed_mps,
            "heading_deg": s.heading_deg, "status": s.status}  # fmt: skip


def track_row(s: TrackState, first_time: float) -> dict[str, Any]:
    return point_row(s) | {"first_time": first_time, "object_class": s.object_class, "class_prob": s.class_prob,
                           "sector": s.sector, "km": s.km}  # fmt: skip


def store_states(connection: Connection, points: Sequence[TrackState], latest: Iterable[TrackState]) -> None:
    """Append `points` to the tracks' histories and upsert the tracks' `latest` states (one per track);
    a track new to the store starts at its earliest point here."""
    first: dict[str, float] = {}
    for s in points:
        first[s.track_id] = min(s.time, first.get(s.track_id, s.time))
    insert_track_points(connection, [point_row(s) for s in points])
    upsert_tracks(connection, [track_row(s, min(s.time, first.get(s.track_id, s.time))) for s in latest])


def latest_of(states: Iterable[TrackState]) -> list[TrackState]:
    """Each track's newest state."""
    newest: dict[str, TrackState] = {}
    for s in states:
        old = newest.get(s.track_id)
        if old is None or s.time >= old.time:
            newest[s.track_id] = s
    return list(newest.values())


class TrackHistory:
    """Batched, deferred writes of track states; `close()` stores what is left."""

    def __init__(self, engine: Engine, period_s: float = 0.5) -> None:
        self.engine = engine
        self.period_s = period_s
        self._pending: dict[str, list[TrackState]] = {}  # track id -> states not yet stored, in order
        self._last: dict[str, tuple[float, float, float, str]] = {}  # track id -> its last state handed in
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failures = 0
        self.groups = 0  # transactions committed, for tests
        self.dropped = 0  # states dropped after _RETRIES failed writes

    def add(self, states: Iterable[TrackState]) -> None:
        with self._wake:
            for s in states:
                key = (s.time, s.lat, s.lon, s.status)
                if self._last.get(s.track_id) == key:
                    continue
                if s.status == "deleted":
                    self._last.pop(s.track_id, None)  # its last state: nothing more will come for it
                else:
                    self._last[s.track_id] = key
                self._pending.setdefault(s.track_id, []).append(s)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="borderwatch-track-history", daemon=True)
                self._thread.start()

    def take(self, track_ids: Iterable[str]) -> list[TrackState]:
        """The pending states of these tracks, removed from the queue: the caller stores them."""
        with self._wake:
            return [s for t in track_ids for s in self._pending.pop(t, ())]

    @property
    def pending(self) -> int:
        with self._wake:
            return sum(len(v) for v in self._pending.values())

    def close(self, timeout_s: float = 30.0) -> None:
        """Store what is pending, then stop the thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=timeout_s)
        self._write_pending()  # anything added after the thread's last look

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._closed:
                    self._wake.wait(self.period_s)
                closed = self._closed
            self._write_pending()
            if closed:
                return

    def _write_pending(self) -> None:
        with self._wake:
            group = [s for states in self._pending.values() for s in states]
            self._pending.clear()
        if not group:
            return
        try:
            with self.engine.begin() as connection:
                store_states(connection, group, latest_of(group))
        except Exception:
            self._failures += 1
            if self._failures >= _RETRIES:
                self.dropped += len(group)
                self._failures = 0
                log.exception("track history: %d states dropped after %d failed writes", len(group), _RETRIES)
                return
            log.warning("track history: writing %d states failed; trying again", len(group), exc_info=True)
            with self._wake:  # back in front of what came meanwhile, in order
                for s in reversed(group):
                    self._pending.setdefault(s.track_id, []).insert(0, s)
            return
        self._failures = 0
        self.groups += 1
