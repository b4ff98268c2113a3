"""PostgreSQL restarted mid-burst: ingest answers 503 with Retry-After while it is down (never
a 500 or a hang), /health says why, nothing acknowledged is lost, and work resumes by itself.

The test runs its own PostgreSQL cluster (initdb in a temporary folder) so restarting it
disturbs nobody else's database.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fleet import Burst, WorkerProcess, settled, state
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Event, Group, TrackerItem
from tests.support import LiveServer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/bin"))
KINDS = 5
TOTAL = 2000


def as_postgres(*args: str) -> None:
    # initdb and postgres refuse to run as root
    command = ["runuser", "-u", "postgres", "--", *args] if shutil.which("runuser") else list(args)
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def start_postgres(data: Path, port: int) -> None:
    # -l: the server's output goes to a file, so no pipe of ours is held open by it
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    log = str(data / "server.log")
    as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start")


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, Path, int]]:
    """A PostgreSQL cluster of this test's own: its URL, data folder and port."""
    # outside pytest's private tmp folders, which the postgres user may not enter
    data = Path(tempfile.mkdtemp(prefix="autotriage-pg-"))
    shutil.chown(data, "postgres", "postgres")
    port = free_port()
    as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    try:
        start_postgres(data, port)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", data, port
    finally:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.timeout(600)
def test_postgres_restart_mid_burst(
    private_postgres: tuple[str, Path, int], tmp_path: Path
) -> None:
    url, data, port = private_postgres
    env = {
        "DATABASE_URL": url,
        "WEBHOOK_SECRET": "k",
        "AUTOTRIAGE_WORKER": "false",
        "AUTOTRIAGE_ACTION_LEASE_SECONDS": "5",
    }
    server = LiveServer(env, tmp_path).start(120)
    worker = WorkerProcess(env, tmp_path, "worker").start()
    store = Store(url)
    try:
        burst = Burst(lambda: [server.url], TOTAL, KINDS)
        sender = threading.Thread(target=burst.run, kwargs={"threads": 4})
        sender.start()
        deadline = time.monotonic() + 120
        while burst.progress < TOTAL // 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        time.sleep(1.5)
        health = httpx.get(f"{server.url}/health", timeout=10)
        start_postgres(data, port)
        sender.join(300)
        assert not sender.is_alive()

        assert health.status_code == 503
        assert health.json()["store"]["ok"] is False
        assert "connect" in health.json()["store"]["reason"].lower()
        assert burst.statuses.get(503, 0) > 0, burst.statuses  # the outage was met ...
        assert set(burst.statuses) <= {200, 503}, burst.statuses  # ... and never as a 500
        assert burst.timeouts == 0  # nor as a hang
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
    finally:
        store.dispose()
        worker.stop()
        server.stop()
