"""Engines for the operations store: SQLite (WAL) in a data directory, or PostgreSQL/PostGIS by URL.

`open_store(url)` makes the engine and brings the schema to the newest Alembic revision. May import
sqlalchemy, alembic, orjson and borderwatch.store.models only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_url(data_dir: Path) -> str:
    """The default store: one SQLite file in the data directory."""
    return f"sqlite:///{(data_dir / 'borderwatch.sqlite3').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the ingest path writes; NORMAL sync is durable across a process
    # crash (the acknowledged-detection promise) and only risks the last commits on power loss.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def json_text(value: Any) -> str:
    """JSON columns' text: orjson (a burst of alerts writes thousands of documents: events, alerts and
    their audit entries), the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str) -> Engine:
    """An engine for `url`; postgresql:// URLs use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, json_serializer=json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True, json_serializer=json_text)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision` with the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_store(url: str) -> Engine:
    """Engine for `url` with the schema at the newest revision."""
    engine = make_engine(url)
    migrate(engine)
    return engine
