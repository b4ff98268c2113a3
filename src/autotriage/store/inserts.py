"""Dialect-aware ``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_ignore(session: Session, table: Table, **values: Any) -> int | None:
    """Insert a row unless it breaks a unique constraint; return its id, or None if it existed."""
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    if "id" in table.c:
        row = session.execute(stmt.returning(table.c.id)).first()
        return None if row is None else int(row[0])
    result = session.execute(stmt)
    return 1 if getattr(result, "rowcount", 0) else None
