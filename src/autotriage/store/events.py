"""The inbox: accepted events and the deliveries they came in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from autotriage.models import ErrorEvent
from autotriage.store.db import (
    Executor,
    SerializedJSON,
    dialect_of,
    insert_ignore,
    listens_to_statements,
)
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
    payload: SerializedJSON
    """The event's data as JSON text, made in the request so the commit only writes it."""

    def values(self) -> dict[str, Any]:
        """The ``events`` row, still to be processed.

        An event its source gave no id gets a unique key of its own: it never dedupes,
        and every row of a batch insert can be told apart by its key.
        """
        if self.source_event_id:
            key = f"{self.source}:{self.source_event_id}"[:400]
        else:
            key = f"{self.source}:~{uuid.uuid4().hex}"
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


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One delivery to store: its source, its rows and the id it came with, if any."""

    source: str
    rows: Sequence[InboxRow]
    delivery_id: str | None = None


_DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]


@lru_cache(maxsize=4)
def _insert_events(dialect: str) -> Insert:
    # Built once per dialect and run as one multi-row insert per batch; a statement
    # built per row costs more than SQLite's insert itself.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Table = Event.__table__  # type: ignore[assignment]
    return insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.dedupe_key)


_COLUMNS = (
    "source", "source_event_id", "dedupe_key", "received_at", "occurred_at", "level",
    "title", "payload", "status", "attempts",
)  # fmt: skip
"""The columns `InboxRow.values` fills, in the order the SQLite insert binds them."""
_INSERT_HEAD = (
    "INSERT INTO events (source, source_event_id, dedupe_key, received_at, occurred_at, "
    "level, title, payload, status, attempts) VALUES "
)
_INSERT_TAIL = " ON CONFLICT DO NOTHING"
_STORED_KEYS = (
    "SELECT json_group_array(json_array(id, dedupe_key)) FROM events WHERE id > ? AND id <= ?"
)
"""The rows one insert stored, as one JSON value: one row to read, not one per event."""
_ROWS_PER_INSERT = 500
"""Rows per SQLite statement: 5,000 parameters, well under its limit of 32,766."""


@lru_cache(maxsize=4)
def _binders(dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's bind processor on `dialect` (its datetime and JSON formats)."""
    table: Table = Event.__table__  # type: ignore[assignment]
    return tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS
    )


@lru_cache(maxsize=64)
def _sqlite_insert(rows: int) -> str:
    # Constant column names and placeholders alone: nothing user-given is in the text.
    one = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
    return _INSERT_HEAD + ", ".join([one] * rows) + _INSERT_TAIL


def _run(connection: Connection) -> Callable[[str, list[Any]], Any]:
    """How to run a driver statement on `connection`: on the sqlite3 connection itself,
    or through SQLAlchemy when a listener (an instrumentation, a test's fault) must see
    it. Either answer has ``rowcount``, ``lastrowid`` and ``fetchone``."""
    if listens_to_statements(connection):
        return lambda sql, params: connection.exec_driver_sql(sql, tuple(params))
    driver = connection.connection.driver_connection
    assert driver is not None  # noqa: S101 - a connection inside a transaction has one
    return lambda sql, params: driver.execute(sql, params)


def _insert_sqlite(connection: Connection, values: list[dict[str, Any]]) -> dict[str, int]:
    """`values` inserted (known keys skipped) as `_insert_events` would, with SQLAlchemy's
    own bind processors, but as one driver statement per `_ROWS_PER_INSERT` rows: the
    compiled path costs more per row than SQLite's insert (intake's group commit on the
    embedded store). Returns the id of each row stored, by dedupe key.

    The statements go to the sqlite3 connection itself, inside the transaction
    `connection` began (SQLAlchemy's execution path costs more than the insert of a
    small batch), unless something listens to the engine's statements (`_run`).

    The ids are read back as one JSON row rather than with ``RETURNING``: the sqlite3
    module lets go of the GIL for every row it steps through, and under load each
    hand-back can wait out the interpreter's switch interval (5 ms) while the event loop
    runs, and the batch's requests wait for this commit. An insert's new rows have the
    ids just below the last one it made (SQLite gives each new rowid one past the
    largest, and this transaction holds the write lock): ``changes()`` of them, ending at
    ``last_insert_rowid()``."""
    binders = tuple(zip(_COLUMNS, _binders(connection.dialect), strict=True))
    run = _run(connection)
    ids: dict[str, int] = {}
    for start in range(0, len(values), _ROWS_PER_INSERT):
        chunk = values[start : start + _ROWS_PER_INSERT]
        params = [
            value[name] if bind is None else bind(value[name])
            for value in chunk
            for name, bind in binders
        ]
        cursor = run(_sqlite_insert(len(chunk)), params)
        stored, last = cursor.rowcount, cursor.lastrowid
        if stored <= 0 or last is None:
            continue  # every row's key was known
        (found,) = run(_STORED_KEYS, [last - stored, last]).fetchone()
        pairs = orjson.loads(found)
        if len(pairs) != stored:  # another writer in this transaction: never expected
            raise RuntimeError(f"inserted {stored} events but found {len(pairs)} new rows")
        ids.update((key, int(row_id)) for row_id, key in pairs)
    return ids


def store_deliveries(
    session: Executor, deliveries: Sequence[NewDelivery], *, now: datetime
) -> list[StoredDelivery]:
    """Persist each delivery once, all in one insert: a known delivery id or source event
    id stores nothing again. Returns what became of each delivery, in order.

    Core statements only, so intake runs it on a bare connection (`Store.writing`)."""
    outcomes = [StoredDelivery() for _ in deliveries]
    values: list[dict[str, Any]] = []
    owners: list[int] = []
    for index, delivery in enumerate(deliveries):
        if delivery.delivery_id and not _claim_delivery(session, delivery, now):
            outcomes[index].redelivery = True
            outcomes[index].duplicates = len(delivery.rows)
            continue
        for row in delivery.rows:
            values.append(row.values())
            owners.append(index)
    ids: dict[str, int] = {}
    if values and isinstance(session, Connection) and session.dialect.name == "sqlite":
        ids = _insert_sqlite(session, values)
    elif values:
        insert = _insert_events(dialect_of(session))
        ids = {key: int(row_id) for row_id, key in session.execute(insert, values)}
    for value, index in zip(values, owners, strict=True):
        # Two rows with one key in a batch: the first one stored it.
        event_id = ids.pop(value["dedupe_key"], None)
        if event_id is None:
            outcomes[index].duplicates += 1
        else:
            outcomes[index].event_ids.append(event_id)
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        if delivery.delivery_id and not outcome.redelivery:
            session.execute(
                update(_DELIVERIES)
                .where(
                    _DELIVERIES.c.source == delivery.source,
                    _DELIVERIES.c.delivery_id == delivery.delivery_id[:255],
                )
                .values(event_ids=outcome.event_ids)
            )
    return outcomes


def _claim_delivery(session: Executor, delivery: NewDelivery, now: datetime) -> bool:
    """Record a delivery id; False if it was recorded before (a redelivery)."""
    assert delivery.delivery_id is not None  # noqa: S101 - callers check
    return claim_delivery(session, delivery.source, delivery.delivery_id, now)


STATUS_SUFFIX = ":status"
"""Appended to a source's name for the deliveries of status signals (a resolve, a close).

Those are kept past the dedupe window: their signatures cover the body alone, so only
the recorded delivery stops a captured resolve from being replayed months later."""


def status_source(source: str) -> str:
    """The delivery source under which `source`'s status signals are recorded."""
    return source + STATUS_SUFFIX


def claim_delivery(session: Executor, source: str, delivery_id: str, now: datetime) -> bool:
    """Record `source`'s delivery `delivery_id`; False if it was recorded before."""
    row_id = insert_ignore(
        session,
        _DELIVERIES,
        source=source,
        delivery_id=delivery_id[:255],
        received_at=now,
        event_ids=[],
    )
    return row_id is not None


def store_delivery(
    session: Session,
    source: str,
    rows: Sequence[InboxRow],
    *,
    delivery_id: str | None,
    now: datetime,
) -> StoredDelivery:
    """Persist one delivery's `rows` (see `store_deliveries`)."""
    return store_deliveries(session, [NewDelivery(source, rows, delivery_id)], now=now)[0]


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


def count_pending(session: Session) -> int:
    """How many accepted events wait to be processed (the backlog load shedding reads)."""
    found = session.execute(select(func.count()).where(Event.status == "pending"))
    return int(found.scalar_one())


def count_by_status(session: Session) -> dict[str, int]:
    """How many events are in each processing status."""
    rows = session.execute(select(Event.status, func.count()).group_by(Event.status))
    return {status: int(n) for status, n in rows}
