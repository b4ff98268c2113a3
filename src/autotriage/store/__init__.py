"""Persistence: SQLAlchemy tables, Alembic migrations and repositories by aggregate."""

from autotriage.store.db import Store

__all__ = ["Store"]
