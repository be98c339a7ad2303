"""Bulk writes for the ingest path: many detections and the sensors' health counters in one statement
each, through SQLAlchemy Core (executemany) rather than the ORM's per-object unit of work.

The caller owns the transaction (a Connection from `engine.begin()`). May import sqlalchemy and
borderwatch.store.models only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Row, String, Table, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from borderwatch.store.models import DetectionRow, SensorHealthRow

DETECTION_COLUMNS = (
    "id", "sensor_id", "time", "object_class", "class_conf", "lat", "lon", "sigma_m", "range_m", "bearing_deg",
    "sigma_range_m", "sigma_bearing_deg", "speed_mps", "heading_deg", "extra", "received_at",
)  # fmt: skip
_EXTRA = DETECTION_COLUMNS.index("extra")
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO detections ({', '.join(DETECTION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(DETECTION_COLUMNS))})"
)
_SQLITE_MAX_PARAMS = 900  # below SQLite's default limit of 999 bound parameters per statement

DETECTIONS = cast(Table, DetectionRow.__table__)
SENSOR_HEALTH = cast(Table, SensorHealthRow.__table__)


def insert_new_detections(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert detection rows (values in DETECTION_COLUMNS order, ids unique within `rows`) that are not
    stored yet; returns the ids that were new. Exact only while one writer inserts at a time on
    SQLite (the ingest writer thread); PostgreSQL decides per row with ON CONFLICT ... RETURNING."""
    if not rows:
        return set()
    if connection.dialect.name == "sqlite":
        return _insert_sqlite(connection, rows)
    if connection.dialect.driver == "psycopg":
        return _insert_postgresql(connection, rows)
    # Any other PostgreSQL driver: Core executemany (SQLAlchemy's "insertmanyvalues"); RETURNING names
    # the rows that went in, so an id stored before (by any process) counts as a duplicate.
    statement = postgresql.insert(DETECTIONS).on_conflict_do_nothing(index_elements=["id"]).returning(DETECTIONS.c.id)
    params = [dict(zip(DETECTION_COLUMNS, row, strict=True)) for row in rows]
    return set(connection.execute(statement, params).scalars())


# One statement and one round trip for a whole group: each column goes as one array and unnest() turns
# them back into rows — about ten times cheaper than per-row parameters through insertmanyvalues.
_PG_TYPES = (
    "text", "text", "float8", "text", "float8", "float8", "float8", "float8", "float8", "float8", "float8",
    "float8", "float8", "float8", "text", "float8",
)  # fmt: skip
_PG_INSERT = (
    f"INSERT INTO detections ({', '.join(DETECTION_COLUMNS)}) "
    f"SELECT {', '.join(f'{c}::json' if c == 'extra' else c for c in DETECTION_COLUMNS)} FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
    + f") AS given({', '.join(DETECTION_COLUMNS)}) ON CONFLICT (id) DO NOTHING RETURNING id"
)


def _insert_postgresql(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    raw = connection.connection.driver_connection
    assert raw is not None
    columns = [list(column) for column in zip(*rows, strict=True)]
    columns[_EXTRA] = [_json(value) for value in columns[_EXTRA]]
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cursor:
            cursor.execute(_PG_INSERT, columns)
            return {found for (found,) in cursor.fetchall()}
    except driver_error as exc:  # as SQLAlchemy would raise it (DataError, IntegrityError, ...)
        raise DBAPIError.instance(_PG_INSERT, None, exc, driver_error) from exc


def _insert_sqlite(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    # The DB-API cursor's executemany directly: SQLAlchemy's per-row parameter processing costs
    # several times more than the insert itself here.
    raw = connection.connection.driver_connection
    assert raw is not None
    ids = [row[0] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), _SQLITE_MAX_PARAMS):
        chunk = ids[start : start + _SQLITE_MAX_PARAMS]
        query = f"SELECT id FROM detections WHERE id IN ({','.join('?' * len(chunk))})"
        existing.update(found for (found,) in raw.execute(query, chunk))
    fresh = [row for row in rows if row[0] not in existing]
    if any(row[_EXTRA] is not None for row in fresh):
        fresh = [(*row[:_EXTRA], _json(row[_EXTRA]), *row[_EXTRA + 1 :]) for row in fresh]
    raw.executemany(_SQLITE_INSERT, fresh)
    return {row[0] for row in fresh}


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


@dataclass
class SensorSeen:
    """What one write heard from a sensor: detections and heartbeats counted, newest data time."""

    last_time: float
    detections: int = 0
    heartbeats: int = 0
    status: str | None = None


def touch_sensors(connection: Connection, seen: Mapping[str, SensorSeen], now: float) -> list[Row[Any]]:
    """Add what was heard to each sensor's health row (creating rows for new sensors) and mark it
    online; returns the rows (after the update) of the sensors that were offline."""
    if not seen:
        return []
    health = SENSOR_HEALTH
    known = {
        row.sensor_id: row
        for row in connection.execute(
            select(health.c.sensor_id, health.c.offline).where(health.c.sensor_id.in_(list(seen)))
        )
    }
    new = [sid for sid in seen if sid not in known]
    if new:
        connection.execute(health.insert(), [
            {"sensor_id": sid, "last_heard_at": now, "last_time": seen[sid].last_time, "detections": 0,
             "heartbeats": 0, "status": None, "offline": False}
            for sid in new
        ])  # fmt: skip
    # Counters are incremented in SQL, so another writer (another process) adding to them loses nothing.
    statement = (
        update(health)
        .where(health.c.sensor_id == bindparam("b_sensor"))
        .values(
            last_heard_at=bindparam("b_now"),
            last_time=case((health.c.last_time < bindparam("b_time"), bindparam("b_time")), else_=health.c.last_time),
            detections=health.c.detections + bindparam("b_detections"),
            heartbeats=health.c.heartbeats + bindparam("b_heartbeats"),
            status=func.coalesce(bindparam("b_status", type_=String()), health.c.status),
            offline=False,
        )
    )
    connection.execute(statement, [
        {"b_sensor": sid, "b_now": now, "b_time": s.last_time, "b_detections": s.detections,
         "b_heartbeats": s.heartbeats, "b_status": s.status}
        for sid, s in seen.items()
    ])  # fmt: skip
    back = [sid for sid, row in known.items() if row.offline]
    if not back:
        return []
    return list(connection.execute(select(health).where(health.c.sensor_id.in_(back))))
