"""Rate-limit windows shared by server replicas: one counter per subject and minute.

``rate_windows`` holds, for each scope (``key``, ``ip``), subject (a key id, an address)
and fixed window (its start, in epoch seconds), how much of the limit was used. `take`
is one statement: an insert that, on conflict, adds to the count only while the sum
stays within the limit, so two replicas racing for the last unit cannot both get it,
and a refused request uses nothing up. PostgreSQL only: a SQLite installation runs one
server, and counts in its own memory (`autotriage.web.security`).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, String, Table, delete
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column

from autotriage.store.tables import Base

SUBJECT_LENGTH = 128


class RateWindow(Base):
    __tablename__ = "rate_windows"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)


def take(
    session: Session, scope: str, subject: str, window_start: int, cost: int, limit: int
) -> bool:
    """Use `cost` of `subject`'s `limit` in the window starting at `window_start`.

    True when it fit (and is now counted); False, counting nothing, when it did not.
    """
    if cost > limit:
        return False
    table = cast(Table, RateWindow.__table__)
    insert = postgresql.insert(table).values(
        scope=scope, subject=subject[:SUBJECT_LENGTH], window_start=window_start, used=cost
    )
    stmt = insert.on_conflict_do_update(
        index_elements=["scope", "subject", "window_start"],
        set_={"used": table.c.used + insert.excluded.used},
        where=table.c.used + insert.excluded.used <= limit,
    ).returning(table.c.used)
    return session.execute(stmt).first() is not None


def forget_before(session: Session, window_start: int) -> int:
    """Drop the counters of windows older than `window_start`; how many went."""
    gone = session.execute(delete(RateWindow).where(RateWindow.window_start < window_start))
    return int(getattr(gone, "rowcount", 0) or 0)
