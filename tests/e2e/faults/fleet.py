"""A fleet on one PostgreSQL for the fault tests and `bench/scale.py`: servers and
`autotriage worker` processes, the fake GitHub behind them, a burst of Sentry webhook
events, and what "settled" means."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group
from tests.fakes.github import FakeGitHub
from tests.support import LiveServer, WorkerProcess, free_port, make_git_repo


def fleet_env(fake: FakeGitHub, database_url: str, checkout: Path) -> dict[str, str]:
    """What every process of the fleet is configured with."""
    return {
        "DATABASE_URL": database_url,
        "REPO_PATH": str(make_git_repo(checkout)),
        "WEBHOOK_SECRET": "k",
        "GITHUB_TOKEN": fake.token,
        "GITHUB_OWNER": fake.owner,
        "GITHUB_REPO": fake.repo,
        "GITHUB_API_URL": fake.url,
        "GITHUB_MUTATION_INTERVAL": "0.05",
        "GITHUB_TIMEOUT": "2",
        "GITHUB_POLL_SECONDS": "0",
        # a claimed action whose worker died is retried this soon
        "AUTOTRIAGE_ACTION_LEASE_SECONDS": "5",
        "AUTOTRIAGE_WORKER": "false",  # servers accept; workers work
    }


def sentry_payload(index: int, kinds: int, event_id: str) -> bytes:
    """A Sentry webhook event of error kind ``index % kinds`` (one group per kind)."""
    kind = index % kinds
    frame = {
        "filename": f"app/h{kind}.py",
        "function": f"handle_{kind}",
        "lineno": 10 + kind,
        "in_app": True,
    }
    event = {
        "event_id": event_id,
        "level": "error",
        "exception": {
            "values": [
                {"type": f"Error{kind}", "value": "it broke", "stacktrace": {"frames": [frame]}}
            ]
        },
    }
    return json.dumps({"id": event_id, "url": "https://sentry.example/1", "event": event}).encode()


class Burst:
    """Posts `total` events of `kinds` errors across servers; a refused post moves on to the
    next server, as a load balancer would, until every event is acknowledged."""

    def __init__(self, urls: Callable[[], list[str]], total: int, kinds: int) -> None:
        self.urls = urls
        self.kinds = kinds
        self.items = [(i, uuid.uuid4().hex) for i in range(total)]
        self.acked: dict[str, int] = {}
        self.statuses: dict[int, int] = {}
        self.timeouts = 0  # requests that got no answer in 10 s (a hang)
        self.refusals_without_retry_after = 0  # a 429/503 that did not say when to retry
        self.lock = threading.Lock()

    def _send_all(self, items: list[tuple[int, str]]) -> None:
        with httpx.Client(timeout=10.0) as client:
            for index, event_id in items:
                for attempt in range(600):
                    urls = self.urls()
                    url = urls[(index + attempt) % len(urls)]
                    try:
                        response = client.post(
                            f"{url}/webhook/sentry?token=k",
                            content=sentry_payload(index, self.kinds, event_id),
                        )
                    except httpx.HTTPError as exc:
                        if isinstance(exc, httpx.TimeoutException):
                            with self.lock:
                                self.timeouts += 1
                        time.sleep(0.05)
                        continue
                    with self.lock:
                        self.statuses[response.status_code] = (
                            self.statuses.get(response.status_code, 0) + 1
                        )
                    if response.status_code in (429, 503) and "retry-after" not in response.headers:
                        with self.lock:
                            self.refusals_without_retry_after += 1
                    if response.status_code == 200:
                        with self.lock:
                            self.acked[event_id] = index % self.kinds
                        break
                    time.sleep(float(response.headers.get("retry-after", "0.2")))

    def run(self, threads: int = 8) -> None:
        chunks = [self.items[n::threads] for n in range(threads)]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(self._send_all, chunks))

    @property
    def progress(self) -> int:
        with self.lock:
            return len(self.acked)


def settled(store: Store) -> bool:
    """Nothing left to group and no action waiting, running or due for a retry."""
    with store.reading() as session:
        pending = session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        )
        busy = session.scalar(
            select(func.count())
            .select_from(Action)
            .where(Action.status.in_(("pending", "running", "retryable")))
        )
    return pending == 0 and busy == 0


def state(store: Store) -> str:
    """Event and action states, for a failure message."""
    with store.reading() as session:
        events = session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
        actions = session.execute(
            select(Action.kind, Action.status, func.count()).group_by(Action.kind, Action.status)
        ).all()
        groups = session.execute(select(Group.title, Group.count)).all()
    return f"events {events}, actions {actions}, groups {groups}"


def wait_listening(store: Store, sessions: int, timeout: float = 300.0) -> None:
    """Wait until `sessions` LISTEN connections exist: the workers are up and waiting."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN %'"
    )
    while time.monotonic() < deadline:
        with store.reading() as session:
            if int(session.scalar(query) or 0) >= sessions:
                return
        time.sleep(0.2)
    raise RuntimeError(f"workers not listening after {timeout:.0f} s")


__all__ = [
    "Burst",
    "PrivatePostgres",
    "WorkerProcess",
    "fleet_env",
    "settled",
    "start_servers",
    "state",
    "wait_listening",
]


def start_servers(env: Mapping[str, str], cwd: Path, n: int) -> list[LiveServer]:
    """`n` servers, started one after another (each migrates on start)."""
    return [LiveServer(env, cwd).start(120) for _ in range(n)]


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, a free port), so a test
    may stop and start it, or a benchmark read its statistics, without touching anyone else's.

    As root, initdb and postgres run as the ``postgres`` user (they refuse root)."""

    BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/bin"))

    def __init__(self, *options: str) -> None:
        # outside pytest's private tmp folders, which the postgres user may not enter
        self.data = Path(tempfile.mkdtemp(prefix="autotriage-pg-"))
        self.port = free_port()
        self.options = options
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PrivatePostgres:
        """Start the server and wait until it accepts connections."""
        # -l: the server's output goes to a file, so no pipe of ours is held open by it
        options = " ".join(
            [f"-p {self.port}", f"-k {self.data}", "-c listen_addresses=127.0.0.1", *self.options]
        )
        log = str(self.data / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect everyone, as a restart does)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop at once and delete the cluster."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)
