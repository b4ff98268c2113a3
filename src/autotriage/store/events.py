"""The inbox: accepted events and the deliveries they came in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.models import ErrorEvent
from autotriage.store.inserts import insert_ignore
from autotriage.store.tables import Delivery, Event


@dataclass
class StoredDelivery:
    """What became of one delivery: the rows stored and whether it was seen before."""

    event_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    redelivery: bool = False


def dedupe_key(event: ErrorEvent) -> str | None:
    """The key under which a source's own event id is unique, if it sent one."""
    if not event.source_event_id:
        return None
    return f"{event.source}:{event.source_event_id}"[:400]


def store_delivery(
    session: Session,
    source: str,
    events: Sequence[ErrorEvent],
    *,
    delivery_id: str | None,
    now: datetime,
) -> StoredDelivery:
    """Persist `events` once: a known delivery id or source event id stores nothing again."""
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
            outcome.duplicates = len(events)
            return outcome
    for event in events:
        event_id = insert_ignore(
            session,
            Event.__table__,  # type: ignore[arg-type]
            source=event.source,
            source_event_id=event.source_event_id,
            dedupe_key=dedupe_key(event),
            received_at=event.received_at,
            occurred_at=event.occurred_at,
            level=event.level,
            title=event.title[:500],
            payload=event.model_dump(mode="json"),
            status="pending",
            attempts=0,
        )
        if event_id is None:
            outcome.duplicates += 1
        else:
            outcome.event_ids.append(event_id)
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
