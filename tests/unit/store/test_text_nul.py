"""No NUL reaches a PostgreSQL text column, through any write (PostgreSQL refuses them)."""

from __future__ import annotations

from sqlalchemy import text

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.tables import Group


def test_nul_in_any_text_column_is_stored_as_a_replacement_character(store: Store) -> None:
    now = utcnow()
    with store.transaction() as session:
        group = Group(
            fingerprint="f" * 64,
            fingerprint_version=1,
            title="Hostile\x00Error: nul",
            culprit="han\x00dle in app/x.py",
            level="error",
            count=1,
            first_seen=now,
            last_seen=now,
            sources=["generic"],
            updated_at=now,
        )
        session.add(group)
    with store.transaction() as session:  # a Core statement with positional rows too
        session.execute(
            text("UPDATE groups SET service = :s WHERE fingerprint = :f"),
            [{"s": "svc\x00one", "f": "f" * 64}],
        )
    with store.reading() as session:
        row = session.execute(text("SELECT title, culprit, service FROM groups")).one()
    if store.dialect == "postgresql":
        assert tuple(row) == ("Hostile\ufffdError: nul", "han\ufffddle in app/x.py", "svc\ufffdone")
    else:  # SQLite keeps NUL in text; nothing to replace there
        assert row[0] == "Hostile\x00Error: nul"
