"""Bulk writes for the ingest and fusion paths: many detections, the sensors' health counters, track
points and the tracks' latest states in one statement each, through SQLAlchemy Core (executemany)
rather than the ORM's per-object unit of work.

The caller owns the transaction (a Connection from `engine.begin()`). May import sqlalchemy and
borderwatch.store.models and .db only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import is_, itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Connection, Float, Integer, Row, String, Table, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from borderwatch.store.db import json_text
from borderwatch.store.models import DetectionRow, SensorHealthRow, TrackPointRow, TrackRow

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
# INSERT ... RETURNING came with SQLite 3.35 (2021); an older library takes the select-then-insert path.
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_SQLITE_MAX_ROWS = 256  # rows per multi-row statement: a power of two, see _insert_sqlite_returning
_NONES = (None,) * len(DETECTION_COLUMNS)

_FLOAT_OR_NONE = frozenset((float, type(None)))
DETECTIONS = cast(Table, DetectionRow.__table__)
SENSOR_HEALTH = cast(Table, SensorHealthRow.__table__)
TRACKS = cast(Table, TrackRow.__table__)
TRACK_POINTS = cast(Table, TrackPointRow.__table__)
TRACK_POINT_COLUMNS = ("track_id", "time", "lat", "lon", "speed_mps", "heading_deg", "status")
TRACK_COLUMNS = (
    "track_id", "first_time", "time", "lat", "lon", "object_class", "class_prob", "speed_mps", "heading_deg",
    "status", "sector", "km",
)  # fmt: skip


_point_values = itemgetter(*TRACK_POINT_COLUMNS)
_SQLITE_POINTS = (
    f"INSERT INTO track_points ({', '.join(TRACK_POINT_COLUMNS)}) VALUES ({', '.join('?' * len(TRACK_POINT_COLUMNS))})"
)
_PG_POINT_TYPES = ("text", "float8", "float8", "float8", "float8", "float8", "text")
_PG_POINTS = (
    f"INSERT INTO track_points ({', '.join(TRACK_POINT_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%b::{t}[]" for t in _PG_POINT_TYPES)
    + ")"
)


def insert_track_points(connection: Connection, points: Sequence[Mapping[str, Any]]) -> None:
    """Append track history points (keys TRACK_POINT_COLUMNS) in one statement. Driver-level, as for
    detections: Core's per-row parameter processing cost more than the insert (about one point per
    fused detection)."""
    if not points:
        return
    rows = [_point_values(point) for point in points]
    if not _execute_rows(connection, _SQLITE_POINTS, _PG_POINTS, _PG_POINT_TYPES, rows):
        connection.execute(insert(TRACK_POINTS), list(points))


def _execute_rows(
    connection: Connection, sqlite_statement: str, pg_statement: str, pg_types: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> bool:  # fmt: skip
    """Run a statement over plain row tuples at the driver level: SQLite's executemany, or with psycopg
    one statement over `unnest` of binary arrays (`pg_types` per column). False for another driver."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.executemany(sqlite_statement, rows)
        return True
    if connection.dialect.driver == "psycopg":
        with _driver_cursor(connection) as cursor:
            cursor.execute(pg_statement, _binary_columns(rows, pg_types))
        return True
    return False


def _binary_columns(rows: Sequence[tuple[Any, ...]], types: Sequence[str]) -> list[list[Any]]:
    """`rows` as one list per column, each float8 column holding only floats and None: a binary array
    has one element type, and psycopg refuses a list mixing int (or a NumPy float) and float."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, kind in enumerate(types):
        if kind == "float8" and not set(map(type, columns[index])) <= _FLOAT_OR_NONE:
            columns[index] = [None if value is None else float(value) for value in columns[index]]
    return columns


_track_values = itemgetter(*TRACK_COLUMNS)
_TRACK_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in TRACK_COLUMNS if c not in ("track_id", "first_time"))
_TRACK_UPSERT_TAIL = f" ON CONFLICT (track_id) DO UPDATE SET {_TRACK_UPDATE} WHERE tracks.time <= excluded.time"
_SQLITE_TRACKS = (
    f"INSERT INTO tracks ({', '.join(TRACK_COLUMNS)}) VALUES ({', '.join('?' * len(TRACK_COLUMNS))})"
    + _TRACK_UPSERT_TAIL
)
_PG_TRACK_TYPES = ("text", "float8", "float8", "float8", "float8", "text", "float8", "float8", "float8", "text",
                   "text", "float8")  # fmt: skip
_PG_TRACKS = (
    f"INSERT INTO tracks ({', '.join(TRACK_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%b::{t}[]" for t in _PG_TRACK_TYPES)
    + ")"
    + _TRACK_UPSERT_TAIL
)


def upsert_tracks(connection: Connection, tracks: Sequence[Mapping[str, Any]]) -> None:
    """Insert or update tracks' latest states (keys TRACK_COLUMNS, one per track id) in one statement;
    an existing track keeps its first_time, and a state older than the stored one is not written (two
    writers may store states of one track in either order). Driver-level, as for track points: Core's
    per-row parameter processing cost more than the upsert (the history writer's largest part)."""
    if not tracks:
        return
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"track upsert on {dialect!r}: only SQLite and PostgreSQL are supported")
    # In track id order, so two writers upserting overlapping tracks lock their rows in the same order
    # (PostgreSQL would otherwise end one of them as a deadlock).
    rows = sorted(map(_track_values, tracks), key=lambda row: str(row[0]))
    if not _execute_rows(connection, _SQLITE_TRACKS, _PG_TRACKS, _PG_TRACK_TYPES, rows):
        statement = postgresql.insert(TRACKS)
        changed = {c: statement.excluded[c] for c in TRACK_COLUMNS if c not in ("track_id", "first_time")}
        upsert = statement.on_conflict_do_update(
            index_elements=["track_id"], set_=changed, where=TRACKS.c.time <= statement.excluded.time
        )
        connection.execute(upsert, [dict(zip(TRACK_COLUMNS, row, strict=True)) for row in rows])


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


# One statement and one round trip for a whole group: each column goes as one array in binary form and
# unnest() turns them back into rows — binary arrays cost psycopg half the CPU of text ones (13-17 -> 6-7
# us per row here), and per-row parameters through insertmanyvalues cost ten times more. (Binary COPY
# into detections was cheaper still for the client but slower for the server: a bulk load's ring buffer
# flushes WAL as it goes; COPY into a temporary staging table made every commit slower by its truncation.)
_PG_TYPES = (
    "text", "text", "float8", "text", "float8", "float8", "float8", "float8", "float8", "float8", "float8",
    "float8", "float8", "float8", "text", "float8",
)  # fmt: skip
_PG_INSERT = (
    f"INSERT INTO detections ({', '.join(DETECTION_COLUMNS)}) "
    f"SELECT {', '.join(f'{c}::json' if c == 'extra' else c for c in DETECTION_COLUMNS)} FROM unnest("
    + ", ".join(f"%b::{t}[]" for t in _PG_TYPES)
    + f") AS given({', '.join(DETECTION_COLUMNS)}) ON CONFLICT (id) DO NOTHING RETURNING id"
)


def _insert_postgresql(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    columns = _binary_columns(rows, _PG_TYPES)
    columns[_EXTRA] = [_json(value) for value in columns[_EXTRA]]
    with _driver_cursor(connection) as cursor:
        cursor.execute(_PG_INSERT, columns)
        return {found for (found,) in cursor.fetchall()}


@contextmanager
def _driver_cursor(connection: Connection) -> Iterator[Any]:
    """A DB-API cursor on the connection's transaction; driver errors come out as SQLAlchemy's
    (DataError, IntegrityError, ...), as if the statement had gone through Core."""
    raw = connection.connection.driver_connection
    assert raw is not None
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = raw.cursor()
    try:
        yield cursor
    except driver_error as exc:
        raise DBAPIError.instance(None, None, exc, driver_error) from exc
    finally:
        cursor.close()


def _insert_sqlite(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    # The DB-API cursor directly: SQLAlchemy's per-row parameter processing costs several times more
    # than the insert itself here.
    raw = connection.connection.driver_connection
    assert raw is not None
    if any(row[_EXTRA] is not None for row in rows):
        rows = [(*row[:_EXTRA], _json(row[_EXTRA]), *row[_EXTRA + 1 :]) for row in rows]
    if _SQLITE_RETURNING:
        return _insert_sqlite_returning(raw, rows)
    ids = [row[0] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), _SQLITE_MAX_PARAMS):
        chunk = ids[start : start + _SQLITE_MAX_PARAMS]
        query = f"SELECT id FROM detections WHERE id IN ({','.join('?' * len(chunk))})"
        existing.update(found for (found,) in raw.execute(query, chunk))
    fresh = [row for row in rows if row[0] not in existing]
    raw.executemany(_SQLITE_INSERT, fresh)
    return {row[0] for row in fresh}


def _insert_sqlite_returning(raw: Any, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Rows grouped by which of their values are NULL, each group as multi-row `INSERT OR IGNORE ...
    RETURNING id` statements naming only the columns that have values: a cartesian detection leaves
    7 of the 16 columns empty, and binding and storing those NULLs one parameter at a time cost as much
    as the rest of the row (13 -> 8 us per row here); RETURNING names the new ids, so no existence
    check goes first. Statements hold 256, 128, ..., 1 rows, so a few texts serve every group size and
    stay in the connection's statement cache."""
    by_shape: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        shape = tuple(map(is_, row, _NONES))
        group = by_shape.get(shape)
        if group is None:
            by_shape[shape] = [row]
        else:
            group.append(row)
    inserted: set[str] = set()
    max_params = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for shape, group in by_shape.items():
        values = _shape_values(shape)
        largest = _SQLITE_MAX_ROWS
        while largest > 1 and largest * (len(shape) - sum(shape)) > max_params:
            largest //= 2
        start = 0
        while start < len(group):
            size = largest
            while size > len(group) - start:
                size //= 2
            chunk = group[start : start + size]
            start += size
            found = raw.execute(_sqlite_insert_returning(shape, size), list(chain.from_iterable(map(values, chunk))))
            inserted.update(new for (new,) in found.fetchall())
    return inserted


@lru_cache(maxsize=256)
def _shape_values(shape: tuple[bool, ...]) -> Any:
    """A row's values in the columns that `shape` (True where NULL) says are set, as one tuple."""
    kept = [index for index, null in enumerate(shape) if not null]
    if len(kept) == 1:
        only = kept[0]
        return lambda row: (row[only],)
    return itemgetter(*kept)


@lru_cache(maxsize=256)
def _sqlite_insert_returning(shape: tuple[bool, ...], size: int) -> str:
    columns = [name for name, null in zip(DETECTION_COLUMNS, shape, strict=True) if not null]
    one = f"({', '.join('?' * len(columns))})"
    return f"INSERT OR IGNORE INTO detections ({', '.join(columns)}) VALUES {', '.join([one] * size)} RETURNING id"


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
    # Driver-level statements: Core's per-call statement building and parameter processing cost more
    # than these three statements themselves, and they run on every group commit.
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sensors = list(seen)
    with _driver_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT sensor_id, offline FROM sensor_health WHERE sensor_id IN ({', '.join([mark] * len(sensors))})",
            sensors,
        )
        known = {sensor_id: bool(offline) for sensor_id, offline in cursor.fetchall()}
        new = [(sid, now, seen[sid].last_time) for sid in sensors if sid not in known]
        if new:
            cursor.executemany(
                "INSERT INTO sensor_health (sensor_id, last_heard_at, last_time, detections, heartbeats, status, "
                f"offline) VALUES ({mark}, {mark}, {mark}, 0, 0, NULL, FALSE)",
                new,
            )
        # Counters are incremented in SQL, so another writer (another process) adding to them loses nothing.
        cursor.executemany(
            f"UPDATE sensor_health SET last_heard_at = {mark}, "
            f"last_time = CASE WHEN last_time < {mark} THEN {mark} ELSE last_time END, "
            f"detections = detections + {mark}, heartbeats = heartbeats + {mark}, "
            f"status = COALESCE({mark}, status), offline = FALSE WHERE sensor_id = {mark}",
            [(now, s.last_time, s.last_time, s.detections, s.heartbeats, s.status, sid) for sid, s in seen.items()],
        )
    health = SENSOR_HEALTH
    back = [sid for sid, offline in known.items() if offline]
    if not back:
        return []
    return list(connection.execute(select(health).where(health.c.sensor_id.in_(back))))


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys: column names) into `table` in one statement, driver-level:
    PostgreSQL one `INSERT ... SELECT FROM unnest(arrays)`, SQLite `executemany`. JSON columns are written
    as the engine writes them (`json_text`, None as JSON null). For a burst of alerts, their events,
    transitions and audit entries: Core's executemany processed each row in Python and PostgreSQL ran one
    statement per row (~30 µs of client CPU per row, twice the wall time of one array statement)."""
    if not rows:
        return
    names = list(rows[0])
    kinds = [_column_kind(table.c[name].type) for name in names]
    dialect = connection.dialect.name
    if None in kinds or not (dialect == "sqlite" or connection.dialect.driver == "psycopg"):
        connection.execute(insert(table), list(rows))  # a column type this path does not know, or another driver
        return
    columns: list[list[Any]] = []
    for name, kind in zip(names, kinds, strict=True):
        values = [row[name] for row in rows]
        if kind == "json":
            values = list(map(json_text, values))
        elif kind == "float8" and not set(map(type, values)) <= _FLOAT_OR_NONE:
            values = [None if value is None else float(value) for value in values]
        columns.append(values)
    if dialect == "sqlite":
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            zip(*columns, strict=True),
        )
        return
    # Binary arrays where psycopg takes one element type (no text escaping of long JSON), text ones for the
    # integers (whose binary width psycopg picks by value).
    arrays = ", ".join(f"{'%s' if kind in ('int8', 'bool') else '%b'}::{kind}[]" for kind in kinds)
    with _driver_cursor(connection) as cursor:
        cursor.execute(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})", columns)


def _column_kind(column_type: Any) -> str | None:
    """The PostgreSQL array element type insert_rows sends a column as (None: not one it knows)."""
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, Float):
        return "float8"
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer):
        return "int8"
    if isinstance(column_type, String):  # Text too
        return "text"
    return None
