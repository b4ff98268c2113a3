"""Which database errors the worker retries (races) and which mark the event failed."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from autotriage.pipeline import is_conflict


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


def test_races_are_conflicts_and_bad_values_are_not() -> None:
    assert is_conflict(IntegrityError("INSERT", {}, _PgError("23505")))
    assert is_conflict(OperationalError("UPDATE", {}, _PgError("40001")))
    assert is_conflict(OperationalError("UPDATE", {}, _PgError("40P01")))
    # A 300-character release in a 255-character column fails the same way every time.
    assert not is_conflict(DataError("INSERT", {}, _PgError("22001")))
    assert not is_conflict(DataError("INSERT", {}, _PgError("22021")))  # NUL in text
    unique = sqlite3.IntegrityError("UNIQUE constraint failed: groups.fingerprint")
    assert is_conflict(IntegrityError("INSERT", {}, unique))
    assert is_conflict(
        OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    )
    assert not is_conflict(
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("NOT NULL constraint failed"))
    )
