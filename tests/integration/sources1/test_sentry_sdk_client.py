"""The official Python SDK (sentry-sdk) reports a real exception to a running server."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event, Group
from tests.support import LiveServer, report_with_sentry_sdk


def test_sentry_sdk_exception_lands_in_the_inbox_and_is_grouped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'autotriage.db'}"
    store = Store(url)
    store.migrate()
    with store.transaction() as session:
        key, _ = create_key(session, 42, "python app", utcnow())
    with LiveServer({"DATABASE_URL": url}, cwd=tmp_path) as server:
        report_with_sentry_sdk(tmp_path, f"http://{key}@127.0.0.1:{server.port}/42")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with store.reading() as session:
                rows = list(session.scalars(select(Event)))
                if rows and all(row.status == "done" for row in rows):
                    break
            time.sleep(0.2)
    assert len(rows) == 1
    payload = rows[0].payload
    exc = payload["exceptions"][-1]
    assert exc["type"] == "KeyError"
    assert exc["frames"][-1]["function"] == "checkout"
    assert exc["frames"][-1]["in_app"] is True
    assert exc["frames"][-1]["context_line"].strip() == 'return cart["sku"]'
    assert payload["release"] == "shop@1.2.3"
    assert payload["environment"] == "staging"
    assert payload["contexts"]["sdk"]["name"].startswith("sentry.python")
    assert rows[0].status == "done"
    with store.reading() as session:
        group = session.get(Group, rows[0].group_id)
        assert group is not None
        assert group.title.startswith("KeyError")
    store.dispose()
