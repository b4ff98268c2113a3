"""The inbox: accepted events and the deliveries they came in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from autotriage.models import ErrorEvent
from autotriage.store.inserts import insert_ignore
from autotriage.store.tables import Delivery, Event


@dataclass
class StoredDelivery:
    """What became of one delivery: the rows stored and whether it was seen before."""

    event_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    redelivery: bool = False


@dataclass(frozen=True, slots=True)
class InboxRow:
    """An accepted event as the inbox stores it: its scrubbed payload and indexed columns."""

    source: str
    source_event_id: str | None
    received_at: datetime
    occurred_at: datetime | None
    level: str
    title: str
    payload: dict[str, Any]

    def values(self) -> dict[str, Any]:
        """The ``events`` row, still to be processed."""
        key = f"{self.source}:{self.source_event_id}"[:400] if self.source_event_id else None
        return {
            "source": self.source,
            "source_event_id": self.source_event_id,
            "dedupe_key": key,
            "received_at": self.received_at,
            "occurred_at": self.occurred_at,
            "level": self.level,
            "title": self.title[:500],
            "payload": self.payload,
            "status": "pending",
            "attempts": 0,
        }


@lru_cache(maxsize=4)
def _insert_event(dialect: str) -> Insert:
    # Built once per dialect: a statement built per row costs more than SQLite's insert.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Table = Event.__table__  # type: ignore[assignment]
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def store_delivery(
    session: Session,
    source: str,
    rows: Sequence[InboxRow],
    *,
    delivery_id: str | None,
    now: datetime,
) -> StoredDelivery:
    """Persist `rows` once: a known delivery id or source event id stores nothing again."""
    outcome = StoredDelivery()
    if delivery_id:
        row_id = insert_ignore(
            session,
            Delivery.__table__,  # type: ignore[arg-type]
            source=source,
            delivery_id=delivery_id[:255],
            received_at=now,
            event_ids=[],
        )
        if row_id is None:
            outcome.redelivery = True
            outcome.duplicates = len(rows)
            return outcome
    insert = _insert_event(session.get_bind().dialect.name)
    for row in rows:
        event_id = session.execute(insert, row.values()).scalar()
        if event_id is None:
            outcome.duplicates += 1
        else:
            outcome.event_ids.append(int(event_id))
    if delivery_id:
        delivery = session.scalars(
            select(Delivery).where(
                Delivery.source == source, Delivery.delivery_id == delivery_id[:255]
            )
        ).one()
        delivery.event_ids = outcome.event_ids
    return outcome


def load_event(row: Event) -> ErrorEvent:
    """The `ErrorEvent` a stored row holds."""
    return ErrorEvent.model_validate(row.payload)


def pending_events(session: Session, limit: int) -> list[Event]:
    """The oldest unprocessed events, locked against other workers where the database can."""
    stmt = (
        select(Event)
        .where(Event.status == "pending")
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    """How many events are in each processing status."""
    rows = session.execute(select(Event.status, func.count()).group_by(Event.status))
    return {status: int(n) for status, n in rows}
