"""The store's migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from borderwatch.store import Base, open_store


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_migrations_match_the_models(store_url: str) -> None:
    engine = open_store(store_url)
    try:
        with engine.connect() as connection:

            def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
                # PostGIS's own tables and the generated geometry columns live outside the models.
                return not (name in ("spatial_ref_sys", "geom") or (name or "").endswith("_geom"))

            context = MigrationContext.configure(connection, opts={"include_object": ours})
            assert compare_metadata(context, Base.metadata) == []
            if engine.dialect.name == "postgresql":
                columns = {c["name"] for c in inspect(connection).get_columns("alerts")}
                assert "geom" in columns  # PostGIS point, generated from lat/lon
    finally:
        engine.dispose()
