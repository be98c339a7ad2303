"""The operations store: tables (models), engines and migrations (db). No business rules here."""

from borderwatch.store.db import make_engine, migrate, open_store, sqlite_url
from borderwatch.store.models import Base

__all__ = ["Base", "make_engine", "migrate", "open_store", "sqlite_url"]
