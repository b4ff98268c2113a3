"""PostgreSQL restarted mid-burst: ingest answers 503 with Retry-After while it is down (never
a 500 or a hang), /health says why, nothing acknowledged is lost, and work resumes by itself.

The test runs its own PostgreSQL cluster (`PrivatePostgres`: initdb in a temporary folder)
so restarting it disturbs nobody else's database.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Event, Group, TrackerItem
from tests.e2e.faults.fleet import (
    Burst,
    PrivatePostgres,
    WorkerProcess,
    settled,
    state,
    wait_listening,
)
from tests.support import LiveServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KINDS = 5
TOTAL = 2000


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this test's own, started."""
    cluster = PrivatePostgres()
    try:
        yield cluster.start()
    finally:
        cluster.destroy()


@pytest.mark.timeout(600)
def test_postgres_restart_mid_burst(private_postgres: PrivatePostgres, tmp_path: Path) -> None:
    url = private_postgres.url
    env = {
        "DATABASE_URL": url,
        "WEBHOOK_SECRET": "k",
        "AUTOTRIAGE_WORKER": "false",  # the server accepts; the worker process works
        "AUTOTRIAGE_ACTION_LEASE_SECONDS": "5",
    }
    server = LiveServer(env, tmp_path).start(120)
    worker = WorkerProcess(env, tmp_path, "worker").start()
    store = Store(url)
    try:
        wait_listening(store, 2)  # the worker is up (migrated, LISTENing) before the outage
        burst = Burst(lambda: [server.url], TOTAL, KINDS)
        sender = threading.Thread(target=burst.run, kwargs={"threads": 4})
        sender.start()
        deadline = time.monotonic() + 120
        while burst.progress < TOTAL // 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        private_postgres.stop("fast")  # every connection dropped, as a restart or failover
        time.sleep(1.5)
        health = httpx.get(f"{server.url}/health", timeout=10)
        during = dict(burst.statuses)
        private_postgres.start()
        sender.join(300)
        assert not sender.is_alive()

        assert health.status_code == 503
        assert health.json()["store"]["ok"] is False
        assert "connect" in health.json()["store"]["reason"].lower()
        assert during.get(503, 0) > 0, during  # the outage was met ...
        assert set(burst.statuses) <= {200, 503}, burst.statuses  # ... and never as a 500
        assert burst.timeouts == 0  # nor as a hang
        assert burst.refusals_without_retry_after == 0  # every 503 said when to come back
        assert len(burst.acked) == TOTAL
        deadline = time.monotonic() + 180
        while not settled(store) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert settled(store), f"{state(store)}\n{worker.log()[-3000:]}"
        with store.reading() as session:
            stored = Counter(session.scalars(select(Event.source_event_id)))
            counts = sorted(session.scalars(select(Group.count)))
            items = session.scalar(select(func.count()).select_from(TrackerItem))
        assert set(stored) == set(burst.acked) and max(stored.values()) == 1
        assert counts == [TOTAL // KINDS] * KINDS
        assert items == KINDS
        # the worker came back by itself: it is the one process that grouped all of this
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        store.dispose()
        worker.stop()
        server.stop()
