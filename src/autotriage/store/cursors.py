"""Scan cursors: where each polling loop (CloudWatch log groups, Sentry issues) got to.

One ``cursors`` row per thing scanned, named ``<source>:<scope>``, holding the source's
own JSON cursor. A loop saves a page's cursor in the transaction that stores the page,
so a crash repeats at most one page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from autotriage.store.db import Store
from autotriage.store.tables import Cursor


def cursor_name(source: str, scope: str) -> str:
    """The row name of `source`'s cursor over `scope` (a log group, ``issues:org/project``)."""
    return f"{source}:{scope}"[:255]


def load_cursor(store: Store, name: str) -> dict[str, Any]:
    """The cursor saved under `name` (empty when never scanned)."""
    with store.reading() as session:
        row = session.get(Cursor, name)
        return dict(row.value) if row is not None else {}


def save_cursor(session: Session, name: str, value: dict[str, Any], now: datetime) -> None:
    """Save `value` under `name` in `session`'s transaction (row locked on PostgreSQL)."""
    row = session.get(Cursor, name, with_for_update=True)
    if row is None:
        session.add(Cursor(name=name, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
