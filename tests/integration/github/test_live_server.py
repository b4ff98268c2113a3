"""`autotriage serve` as a real process with the fake GitHub behind it, end to end."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group
from tests.e2e.faults.fleet import settled
from tests.fakes.github import FakeGitHub, Fault
from tests.support import LiveServer, make_git_repo

HOOK_SECRET = "gh-hook-secret"


def payload(kind: int, release: str) -> bytes:
    event_id = uuid.uuid4().hex
    frame = {
        "filename": f"app/h{kind}.py",
        "function": f"handle_{kind}",
        "lineno": 10 + kind,
        "in_app": True,
    }
    event = {
        "event_id": event_id,
        "level": "error",
        "release": release,
        "exception": {
            "values": [
                {"type": f"Error{kind}", "value": "it broke", "stacktrace": {"frames": [frame]}}
            ]
        },
    }
    return json.dumps({"id": event_id, "url": "https://sentry.example/1", "event": event}).encode()


def post(url: str, kind: int = 0, release: str = "1.0.0", n: int = 1) -> None:
    with httpx.Client(timeout=10) as client:
        for _ in range(n):
            response = client.post(f"{url}/webhook/sentry?token=k", content=payload(kind, release))
            assert response.status_code == 200, response.text


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def env(fake: FakeGitHub, database_url: str, **extra: str) -> dict[str, str]:
    checkout = Path(tempfile.mkdtemp(prefix="autotriage-checkout-"))
    return {
        # analysis reads a local checkout; the fake GitHub serves no git protocol
        "REPO_PATH": str(make_git_repo(checkout)),
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": "k",
        "GITHUB_TOKEN": fake.token,
        "GITHUB_OWNER": fake.owner,
        "GITHUB_REPO": fake.repo,
        "GITHUB_API_URL": fake.url,
        "GITHUB_MUTATION_INTERVAL": "0.05",
        "AUTOTRIAGE_WORKER_POLL_SECONDS": "0.05",
        **extra,
    }


def group_status(store: Store) -> str:
    with store.reading() as session:
        return session.scalars(select(Group.status)).one()


def test_serve_creates_updates_resolves_and_reopens_on_regression(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'at.db'}"
    with LiveServer(env(fake_github, url, GITHUB_WEBHOOK_SECRET=HOOK_SECRET), tmp_path) as server:
        fake_github.hook_url, fake_github.hook_secret = f"{server.url}/webhook/github", HOOK_SECRET
        store = Store(url)
        post(server.url, n=12)
        wait_for(
            lambda: 1 in fake_github.issues.items and len(fake_github.issues.items[1].comments) == 1
        )
        issue = fake_github.issues.items[1]
        assert issue.title == "[sentry] Error0: it broke"
        assert "occurred 10 times" in issue.comments[0]["body"]
        # a person closes it with a fixing commit: the group is resolved, the commit remembered
        assert fake_github.person_sets_state(1, "closed", "completed", commit="c0ffee" * 6) == 200
        wait_for(lambda: group_status(store) == "resolved")
        wait_for(lambda: _fixed(store) == "c0ffee" * 6)
        # the same release again, and an older one, are not regressions
        post(server.url, release="1.0.0")
        post(server.url, release="0.9.0")
        wait_for(lambda: _count(store) == 14)
        time.sleep(0.5)
        assert issue.state == "closed" and group_status(store) == "resolved"
        # a newer release is: reopened, with a comment naming it
        post(server.url, release="1.1.0")
        wait_for(
            lambda: issue.state == "open" and any("1.1.0" in c["body"] for c in issue.comments)
        )
        assert issue.state_reason == "reopened"
        assert group_status(store) == "open"
        # closed as not planned: ignored, and never reopened again
        assert fake_github.person_sets_state(1, "closed", "not_planned") == 200
        wait_for(lambda: group_status(store) == "ignored")
        post(server.url, release="2.0.0")
        wait_for(lambda: _count(store) == 16)
        time.sleep(0.5)
        assert issue.state == "closed" and group_status(store) == "ignored"
        assert fake_github.stats.creates == 1
        assert fake_github.stats.spacing_violations == 0
        store.dispose()


def _count(store: Store) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.sum(Group.count))) or 0)


def _fixed(store: Store) -> str | None:
    with store.reading() as session:
        return session.scalars(select(Group.fixed_commit)).one()


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_two_servers_sharing_postgres_create_each_issue_once(
    fake_github: FakeGitHub, postgres_url: str, tmp_path: Path
) -> None:
    kinds, per_kind = 5, 30
    # a secondary limit met by one replica must hold the other one back too
    fake_github.inject(Fault("secondary", "POST", r"/issues$", retry_after=2))
    servers = [LiveServer(env(fake_github, postgres_url), tmp_path).start() for _ in range(2)]
    try:
        for i in range(per_kind):
            for kind in range(kinds):
                post(servers[(i + kind) % 2].url, kind=kind)
        store = Store(postgres_url)

        try:
            wait_for(lambda: settled(store), 90)
        except AssertionError:
            with store.reading() as session:
                events = session.execute(select(Event.status, func.count()).group_by(Event.status))
                actions = session.execute(
                    select(Action.kind, Action.status, func.count()).group_by(
                        Action.kind, Action.status
                    )
                )
                state = f"events {events.all()}, actions {actions.all()}"
            logs = "\n".join(server.log()[-3000:] for server in servers)
            raise AssertionError(f"not settled: {state}\n{logs}") from None
        finally:
            store.dispose()
        assert fake_github.stats.creates == kinds
        assert fake_github.stats.during_pause == 0
        assert fake_github.stats.spacing_violations == 0
        assert sorted(i.title for i in fake_github.issues.items.values()) == [
            f"[sentry] Error{k}: it broke" for k in range(kinds)
        ]
    finally:
        for server in servers:
            server.stop()
