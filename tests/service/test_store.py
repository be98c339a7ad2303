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


def test_rows_inserted_driver_level_read_back_as_core_inserts_them(store_url: str) -> None:
    from sqlalchemy import insert, select

    from borderwatch.store.bulk import insert_rows
    from borderwatch.store.models import EventRow

    awkward = 'q " \\ b, {x}, NULL, \n عبور'  # quotes, backslash, braces, comma, newline, Arabic
    rows = [
        {"event_id": f"e{i}", "type": kind, "time": float(i), "lat": lat, "lon": 41, "track_ids": tracks,
         "object_class": cls, "class_prob": None, "sector": sector, "km": km, "direction": None,
         "details": details, "alert_id": alert}
        for i, (kind, lat, tracks, cls, sector, km, details, alert) in enumerate([
            ("border_crossing", 34.5, ["T1", awkward], "vehicle", awkward, 5, {"n": [1, 2.5, None], "s": awkward}, 7),
            ("barrier_breach", None, [], None, None, None, {}, None),
            ("loitering", 34, ["T2"], "person", "s-1", 2.25, {"big": 2**62, "t": True}, 2**31 - 1),
        ])
    ]  # fmt: skip
    engine = open_store(store_url)
    table = EventRow.__table__
    with engine.begin() as connection:
        insert_rows(connection, table, rows)  # type: ignore[arg-type]
        connection.execute(insert(table), [row | {"event_id": "core-" + row["event_id"]} for row in rows])
    with engine.connect() as connection:
        stored = {r.event_id: r._asdict() for r in connection.execute(select(*[table.c[n] for n in rows[0]]))}
    engine.dispose()
    for row in rows:
        ours, core = stored[row["event_id"]], stored["core-" + row["event_id"]]
        assert ours == core | {"event_id": row["event_id"]}
        assert ours["details"] == row["details"] and ours["lon"] == 41.0 and isinstance(ours["lon"], float)
