"""Dialect-aware ``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_ignore(session: Session, table: Table, **values: Any) -> int | None:
    """Insert a row unless it breaks a unique constraint; return its id (1 for a table
    without an ``id``), or None if it existed."""
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING says whether a row went in: through the ORM session, psycopg's rowcount
    # for ``ON CONFLICT DO NOTHING`` is -1 either way.
    key = table.c.id if "id" in table.c else next(iter(table.primary_key.columns))
    row = session.execute(stmt.returning(key)).first()
    if row is None:
        return None
    return int(row[0]) if key.name == "id" else 1
