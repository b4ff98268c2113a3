"""Migrations create exactly the tables the models describe, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect

from autotriage.store import Store
from autotriage.store.tables import Base


def test_migrated_schema_matches_the_models(store: Store) -> None:
    inspector = inspect(store.engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert columns == {c.name for c in table.columns}, name


def test_migrating_twice_is_harmless(store: Store) -> None:
    store.migrate()
    assert "events" in inspect(store.engine).get_table_names()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sqlite = Store(f"sqlite:///{tmp_path / 'db' / 'a.db'}")
    sqlite.migrate()
    with sqlite.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    sqlite.dispose()
