"""The inbox's SQLite insert (one driver statement per chunk) stores exactly what the
compiled SQLAlchemy insert stores, and dedupes the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from autotriage.store import Store
from autotriage.store import events as inbox
from autotriage.store.db import SerializedJSON
from autotriage.store.events import InboxRow, NewDelivery, store_deliveries

WHEN = datetime(2026, 12, 3, 13, 30, 15, 123456, tzinfo=UTC)


def _row(n: int, event_id: str | None = None) -> InboxRow:
    return InboxRow(
        source="sentry",
        source_event_id=event_id if event_id is not None else f"ev-{n}",
        received_at=WHEN,
        occurred_at=None if n % 2 else WHEN,
        level="error",
        title=f"KeyError: 'sku-{n}' \u00e9",
        payload=SerializedJSON(f'{{"message":"boom","n":{n}}}'),
    )


def _stored(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT source, source_event_id, dedupe_key, received_at, occurred_at, level,"
            " title, payload, status, attempts FROM events ORDER BY source_event_id"
        )
        return [tuple(row) for row in found]


def test_the_sqlite_insert_stores_what_the_compiled_one_does(tmp_path: Path) -> None:
    fast, compiled = (
        Store(f"sqlite:///{tmp_path / 'a.db'}"),
        Store(f"sqlite:///{tmp_path / 'b.db'}"),
    )
    fast.migrate()
    compiled.migrate()
    deliveries = [NewDelivery("sentry", [_row(n), _row(n + 100)]) for n in range(5)]
    with fast.writing() as connection:  # a Connection on SQLite: the driver statement
        got = store_deliveries(connection, deliveries, now=WHEN)
    with compiled.transaction() as session:  # a Session: the compiled insert
        want = store_deliveries(session, deliveries, now=WHEN)
    assert _stored(fast) == _stored(compiled)
    assert len(_stored(fast)) == 10
    assert [len(o.event_ids) for o in got] == [len(o.event_ids) for o in want] == [2] * 5
    with fast.writing() as connection:
        again = store_deliveries(connection, [NewDelivery("sentry", [_row(1), _row(7)])], now=WHEN)
    assert len(again[0].event_ids) == 1 and again[0].duplicates == 1  # ev-1 known, ev-7 new
    fast.dispose()
    compiled.dispose()


def test_rows_past_one_statement_go_in_chunks_and_a_repeated_key_is_a_duplicate(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(inbox, "_ROWS_PER_INSERT", 3)
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    store.migrate()
    rows = [_row(n) for n in range(8)] + [_row(99, "ev-2")]
    with store.writing() as connection:
        outcome = store_deliveries(connection, [NewDelivery("sentry", rows)], now=WHEN)[0]
    assert len(outcome.event_ids) == 8 and outcome.duplicates == 1
    with store.engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
    assert count == 8
    store.dispose()


def test_each_delivery_gets_the_ids_of_its_own_rows(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    store.migrate()
    with store.writing() as connection:  # ids 1-3 taken, so new ones do not start at 1
        store_deliveries(connection, [NewDelivery("sentry", [_row(n) for n in range(3)])], now=WHEN)
    # ev-1 known and ev-5 twice: the stored rows are not the batch's every row
    deliveries = [
        NewDelivery("sentry", [_row(5), _row(1)]),
        NewDelivery("sentry", [_row(6), _row(99, "ev-5"), _row(7)]),
    ]
    with store.writing() as connection:
        got = store_deliveries(connection, deliveries, now=WHEN)
    with store.engine.connect() as connection:
        named = dict(
            connection.exec_driver_sql("SELECT id, source_event_id FROM events").fetchall()
        )
    assert [[named[i] for i in outcome.event_ids] for outcome in got] == [
        ["ev-5"],
        ["ev-6", "ev-7"],
    ]
    assert [outcome.duplicates for outcome in got] == [1, 1]
    with store.writing() as connection:
        none_new = store_deliveries(connection, [NewDelivery("sentry", [_row(6)])], now=WHEN)
    assert none_new[0].event_ids == [] and none_new[0].duplicates == 1
    store.dispose()
