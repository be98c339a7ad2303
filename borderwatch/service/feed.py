"""Feeding a running service over HTTP: post JSON Lines records grouped by sensor with each sensor's
key, and replay a simulator output directory at a chosen speed (`borderwatch replay`).

May import borderwatch.sensors.formats, httpx and orjson.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from borderwatch.sensors.formats import parse_time


class FeedError(RuntimeError):
    """The service refused a whole batch (bad key, unreachable); the message says which sensor."""


@dataclass
class FeedTally:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    no_key: set[str] = field(default_factory=set)
    bad_lines: int = 0


class SensorPoster:
    """Posts records to /api/v1/detections, one request per sensor, with that sensor's key."""

    def __init__(self, url: str, keys: dict[str, str], timeout_s: float = 30.0) -> None:
        self.keys = keys
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s)
        self.tally = FeedTally()

    def post(self, records: Iterable[dict[str, Any]]) -> None:
        by_sensor: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            sensor = record.get("sensor_id")
            if isinstance(sensor, str) and record.get("type") in ("detection", "heartbeat"):
                by_sensor[sensor].append(record)
        for sensor, batch in by_sensor.items():
            key = self.keys.get(sensor)
            if key is None:
                self.tally.no_key.add(sensor)
                continue
            reply = self._send(sensor, orjson.dumps(batch), key)
            if reply.status_code in (400, 401, 413, 429) or reply.status_code >= 500:
                raise FeedError(f"sensor {sensor}: the service answered {reply.status_code}: {reply.text[:300]}")
            body = reply.json()
            report = body.get("report", body)
            self.tally.sent += len(batch)
            self.tally.accepted += report["accepted"]
            self.tally.duplicates += report["duplicates"]
            self.tally.rejected += len(report["rejected"])

    def _send(self, sensor: str, body: bytes, key: str, max_busy_s: float = 120.0) -> httpx.Response:
        """Post one batch; while the service answers 429 (its write queue is full, nothing was
        stored) wait as its Retry-After says and send the batch again."""
        waited = 0.0
        while True:
            try:
                reply = self.http.post("/api/v1/detections", content=body,
                                       headers={"X-Sensor-Key": key, "Content-Type": "application/json"})  # fmt: skip
            except httpx.HTTPError as exc:
                raise FeedError(f"sensor {sensor}: cannot post to {self.http.base_url}: {exc}") from None
            if reply.status_code != 429 or waited >= max_busy_s:
                return reply
            pause = min(float(reply.headers.get("retry-after", "1") or 1), 10.0)
            time.sleep(pause)
            waited += pause

    def post_lines(self, lines: Iterable[str | bytes]) -> None:
        records = []
        for line in lines:
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                self.tally.bad_lines += 1
        self.post(records)

    def close(self) -> None:
        self.http.close()


def load_keys(path: Path) -> dict[str, str]:
    """Sensor keys as written by `borderwatch serve` (data_dir/sensor_keys.json)."""
    try:
        keys = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FeedError(f"{path}: cannot read sensor keys: {exc}") from None
    if not isinstance(keys, dict):
        raise FeedError(f"{path}: expected an object of sensor_id: key")
    return {str(k): str(v) for k, v in keys.items()}


def _timed_lines(path: Path) -> Iterator[tuple[float, bytes]]:
    with path.open("rb") as fp:
        for line in fp:
            if not line.strip():
                continue
            try:
                t = parse_time(orjson.loads(line)["time"])
            except Exception:
                t = float("nan")  # still sent, so the service names what is wrong with it
            yield t, line


def replay_dir(
    directory: Path,
    poster: SensorPoster,
    speed: float,
    *,
    chunk_wall_s: float = 0.25,
    max_batch: int = 5000,
    on_chunk: Callable[[FeedTally, float], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> FeedTally:
    """Post DIR/detections.jsonl in time order; `speed` x real time (0 = as fast as possible)."""
    path = directory / "detections.jsonl" if directory.is_dir() else directory
    if not path.exists():
        raise FeedError(f"{path}: no such file (expected a simulator output directory)")
    started, first = time.perf_counter(), None
    chunk: list[bytes] = []
    chunk_end = None
    for t, line in _timed_lines(path):
        if first is None and t == t:
            first = t
            chunk_end = t + chunk_wall_s * max(speed, 0.0)
        if chunk and (len(chunk) >= max_batch or (speed > 0 and chunk_end is not None and t == t and t >= chunk_end)):
            poster.post_lines(chunk)
            chunk = []
            if on_chunk is not None:
                on_chunk(poster.tally, t)
            if stop():
                return poster.tally
            if speed > 0 and first is not None and chunk_end is not None:
                due = started + (chunk_end - first) / speed
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                while t >= chunk_end:
                    chunk_end += chunk_wall_s * speed
        chunk.append(line)
    if chunk:
        poster.post_lines(chunk)
        if on_chunk is not None:
            on_chunk(poster.tally, float("nan"))
    return poster.tally
