"""Ingest: turn a batch of decoded JSON items into records, refuse what is malformed or from the
wrong sensor (naming the item and field), and store detections exactly once.

May import borderwatch.sensors.formats and borderwatch.store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from borderwatch.sensors.formats import Detection, FormatError, Heartbeat, Record, parse_record
from borderwatch.store.models import DetectionRow


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An item that was not even JSON (a bad JSON Lines line): rejected with this reason."""

    reason: str


@dataclass
class IngestResult:
    """What happened to each item of a batch (indices are positions in the batch)."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    heartbeats: int = 0
    ignored: int = 0  # truth records: simulator bookkeeping, not sensor data
    forbidden: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)  # newly stored, in batch order
    heartbeat_records: list[Heartbeat] = field(default_factory=list)

    def absorb(self, stored: IngestResult) -> None:
        """Take in what a store transaction reported (after it committed)."""
        self.accepted += stored.accepted
        self.duplicates += stored.duplicates
        self.heartbeats += stored.heartbeats
        self.detections.extend(stored.detections)
        self.heartbeat_records.extend(stored.heartbeat_records)


def parse_items(items: Sequence[Any], allowed_sensor: str | None, result: IngestResult) -> list[Record]:
    """Records for the good items; bad ones go to result.rejected, foreign-sensor ones to forbidden."""
    records: list[Record] = []
    result.received += len(items)
    for index, item in enumerate(items):
        if isinstance(item, Undecodable):
            result.rejected.append(Rejection(index, item.reason))
            continue
        try:
            record = parse_record(item)
        except FormatError as exc:
            result.rejected.append(Rejection(index, str(exc)))
            continue
        sensor = getattr(record, "sensor_id", None)
        if sensor is None:
            result.ignored += 1
            continue
        if allowed_sensor is not None and sensor != allowed_sensor:
            result.forbidden += 1
            result.rejected.append(
                Rejection(index, f"field 'sensor_id' = {sensor!r}: this key is for sensor {allowed_sensor!r}")
            )
            continue
        records.append(record)
    return records


def _row(d: Detection, now: float) -> dict[str, Any]:
    return {
        "id": d.id, "sensor_id": d.sensor_id, "time": d.time, "object_class": d.object_class,
        "class_conf": d.class_conf, "lat": d.lat, "lon": d.lon, "sigma_m": d.sigma_m, "range_m": d.range_m,
        "bearing_deg": d.bearing_deg, "sigma_range_m": d.sigma_range_m, "sigma_bearing_deg": d.sigma_bearing_deg,
        "speed_mps": d.speed_mps, "heading_deg": d.heading_deg, "extra": d.extra, "received_at": now,
    }  # fmt: skip


_COLUMNS = (
    "id", "sensor_id", "time", "object_class", "class_conf", "lat", "lon", "sigma_m", "range_m", "bearing_deg",
    "sigma_range_m", "sigma_bearing_deg", "speed_mps", "heading_deg", "extra", "received_at",
)  # fmt: skip
_SQLITE_INSERT = f"INSERT OR IGNORE INTO detections ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def _insert_sqlite(session: Session, detections: list[Detection], now: float) -> set[str]:
    """SQLite fast path: the driver's executemany, several times quicker than per-row parameter
    processing. The caller serialises ingest transactions (Service.ingest), so "which ids
    already exist" and the insert are one step and the count of new detections is exact."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    ids = [d.id for d in detections]
    existing: set[str] = set()
    for start in range(0, len(ids), 900):  # SQLite's default limit on bound parameters is 999
        chunk = ids[start : start + 900]
        query = f"SELECT id FROM detections WHERE id IN ({','.join('?' * len(chunk))})"
        existing.update(row[0] for row in raw.execute(query, chunk))
    fresh = [d for d in detections if d.id not in existing]
    raw.executemany(_SQLITE_INSERT, [
            (d.id, d.sensor_id, d.time, d.object_class, d.class_conf, d.lat, d.lon, d.sigma_m, d.range_m,
             d.bearing_deg, d.sigma_range_m, d.sigma_bearing_deg, d.speed_mps, d.heading_deg,
             None if d.extra is None else json.dumps(d.extra), now)
            for d in fresh
        ])  # fmt: skip
    return {d.id for d in fresh}


def store_detections(session: Session, records: Sequence[Record], now: float, result: IngestResult) -> None:
    """Insert new detections (a repeated id, in this batch or before, is counted as a duplicate)."""
    unique: dict[str, Detection] = {}
    for record in records:
        if isinstance(record, Heartbeat):
            result.heartbeats += 1
            result.heartbeat_records.append(record)
        elif isinstance(record, Detection):
            if record.id in unique:
                result.duplicates += 1
            else:
                unique[record.id] = record
    if not unique:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        inserted = _insert_sqlite(session, list(unique.values()), now)
    else:
        rows = [_row(d, now) for d in unique.values()]
        table = cast(Table, DetectionRow.__table__)
        # Core, not the ORM: a batch goes out as a few multi-row INSERTs; RETURNING says which ids
        # were new, so a detection seen before (this batch or an earlier one) counts once.
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["id"]).returning(table.c.id)
        inserted = set(session.connection().execute(statement, rows).scalars())
    result.accepted += len(inserted)
    result.duplicates += len(unique) - len(inserted)
    result.detections.extend(d for d in unique.values() if d.id in inserted)
