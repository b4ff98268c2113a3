"""Held traces: CloudWatch records stored before their tail arrived, one per log stream.

A ``held_traces`` row points at an ``events`` row whose status is ``held`` (not
``pending``, so the worker leaves it alone) and says where its record ended, so the
next lines of the same stream can complete it (`autotriage.sources.aws.tails`). Each
row lives until its tail comes or ``held_until`` passes; then the event is released to
the worker. Rows are keyed by their stream, so one stream holds one record at most, and
the table is capped (`MAX_HELD`): bounded however many streams write.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from autotriage.store.tables import Base, BigId

MAX_HELD = 10_000
"""Records held at once, over every stream; past it the oldest is released as it is."""


class HeldTrace(Base):
    __tablename__ = "held_traces"

    stream_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    log_group: Mapped[str] = mapped_column(String(512), index=True)
    log_stream: Mapped[str] = mapped_column(String(512))
    first_event_id: Mapped[str] = mapped_column(String(255))
    first_ms: Mapped[int] = mapped_column(BigInteger)
    last_ms: Mapped[int] = mapped_column(BigInteger)
    held_until: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]


def stream_key(group: str, stream: str) -> str:
    """The row key of a log stream (names of any length make one fixed-size key)."""
    return hashlib.sha256(f"{group}\x00{stream}".encode("utf-8", "replace")).hexdigest()


def due(session: Session, now: datetime, limit: int) -> list[HeldTrace]:
    """Held records whose grace period is over, oldest first (others' locks skipped)."""
    stmt = (
        select(HeldTrace)
        .where(HeldTrace.held_until <= now)
        .order_by(HeldTrace.held_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def oldest_past_cap(session: Session, cap: int | None = None) -> list[HeldTrace]:
    """The oldest held records that leave room for one more under `cap` (`MAX_HELD`)."""
    cap = MAX_HELD if cap is None else cap
    count = int(session.scalar(select(func.count()).select_from(HeldTrace)) or 0)
    if count < cap:
        return []
    stmt = select(HeldTrace).order_by(HeldTrace.held_until).limit(count - cap + 1)
    return list(session.scalars(stmt.with_for_update(skip_locked=True)))


def held_in_group(session: Session, group: str, limit: int) -> list[HeldTrace]:
    """The records `group`'s streams hold, oldest first (what a scan reads again)."""
    stmt = (
        select(HeldTrace)
        .where(HeldTrace.log_group == group)
        .order_by(HeldTrace.held_until)
        .limit(limit)
    )
    return list(session.scalars(stmt))
