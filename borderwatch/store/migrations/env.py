"""Alembic environment: runs on the connection handed over by borderwatch.store.db.migrate."""

from __future__ import annotations

from alembic import context

from borderwatch.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through borderwatch.store.db.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
