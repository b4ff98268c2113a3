"""The fleet survives its faults (PostgreSQL, job engine): a kill -9 of a worker and of a
server mid-burst, and GitHub answering 502s, timeouts and secondary limits meanwhile.

Afterwards every acknowledged event is stored once, each group's count is exact, and the
fake GitHub holds exactly one issue per error with no comment posted twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group
from tests.e2e.faults.fleet import Burst, WorkerProcess, fleet_env, settled, start_servers, state
from tests.fakes.github import FakeGitHub, Fault

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KINDS = 20
TOTAL = 10_000


def wait_until(check: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out: {why()}")


@pytest.mark.timeout(1500)  # a guard against hangs, sized for a shared, loaded 2-core machine
def test_kill9_and_github_faults_during_a_burst(postgres_url: str, tmp_path: Path) -> None:
    # secondary limits come from the injected faults, not from the fake's per-minute budget
    fake = FakeGitHub(min_spacing=0.05, secondary_per_minute=None).start()
    fake.inject(
        Fault("502", "POST", r"/issues$", times=3),
        Fault("timeout", "PATCH", r"/issues/\d+$", times=2, delay=3.0),
        Fault("secondary", "POST", r"/comments$", retry_after=2),
        Fault("timeout-after-effect", "POST", r"/issues$", times=1, delay=3.0),
    )
    env = fleet_env(fake, postgres_url, tmp_path / "checkout")
    servers = start_servers(env, tmp_path, 2)
    workers = [WorkerProcess(env, tmp_path, f"worker-{n}").start() for n in range(2)]
    store = Store(postgres_url)
    try:
        burst = Burst(
            lambda: [s.url for s in servers if s.process and s.process.poll() is None], TOTAL, KINDS
        )
        sender = threading.Thread(target=burst.run)
        sender.start()
        wait_until(lambda: burst.progress > TOTAL // 3, 600, lambda: f"{burst.progress} acked")
        workers[0].kill()
        workers[0].start()
        wait_until(lambda: burst.progress > 2 * TOTAL // 3, 600, lambda: f"{burst.progress} acked")
        servers[0].kill()
        servers[0].start(120)
        sender.join(900)
        assert not sender.is_alive()
        assert len(burst.acked) == TOTAL
        assert set(burst.statuses) <= {200, 429, 503}, burst.statuses
        logs = lambda: "\n".join(w.log()[-2000:] for w in workers)  # noqa: E731
        wait_until(lambda: settled(store), 900, lambda: f"{state(store)}\n{logs()}")

        with store.reading() as session:
            stored = Counter(session.scalars(select(Event.source_event_id)))
            counts = sorted(session.scalars(select(Group.count)))
            outcomes = Counter(session.scalars(select(Action.status)))
        assert set(outcomes) == {"ok"}, outcomes  # every action retried until done: none dropped
        assert set(stored) == set(burst.acked)
        assert max(stored.values()) == 1  # each acknowledged event stored once
        assert counts == [TOTAL // KINDS] * KINDS  # counts exact
        issues = list(fake.issues.items.values())
        assert len(issues) == KINDS and fake.stats.creates == KINDS
        assert sorted(i.title for i in issues) == sorted(
            f"[sentry] Error{k}: it broke" for k in range(KINDS)
        )
        for issue in issues:  # no comment (milestones 10 and 100) posted twice
            bodies = [c["body"] for c in issue.comments]
            assert len(bodies) == len(set(bodies)) == 2, (issue.number, bodies)
        assert fake.stats.during_pause == 0
        assert fake.violations == []
    finally:
        store.dispose()
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        fake.stop()
