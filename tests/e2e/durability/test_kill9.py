"""kill -9 a real server mid-burst: no accepted event is lost, no action is done twice."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group, TrackerItem
from tests.support import LiveServer

KINDS = 5
TOTAL = 300


def _payload(index: int, event_id: str) -> bytes:
    kind = index % KINDS
    frame = {
        "filename": f"app/handlers_{kind}.py",
        "function": f"handle_{kind}",
        "module": f"app.handlers_{kind}",
        "lineno": 10 + kind,
        "in_app": True,
    }
    event = {
        "event_id": event_id,
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": f"Error{kind}",
                    "value": f"failure number {index}",
                    "stacktrace": {"frames": [frame]},
                }
            ]
        },
    }
    return json.dumps({"id": event_id, "url": "https://sentry.example/1", "event": event}).encode()


def _send(url: str, items: list[tuple[int, str]], acked: set[str], lock: threading.Lock) -> None:
    with httpx.Client(timeout=5.0) as client:
        for index, event_id in items:
            try:
                response = client.post(
                    f"{url}/webhook/sentry?token=k", content=_payload(index, event_id)
                )
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                with lock:
                    acked.add(event_id)


def _burst(
    url: str, items: list[tuple[int, str]], acked: set[str], threads: int = 6
) -> list[threading.Thread]:
    lock = threading.Lock()
    chunks = [items[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=_send, args=(url, chunk, acked, lock)) for chunk in chunks]
    for worker in workers:
        worker.start()
    return workers


def _settled(store: Store) -> bool:
    with store.reading() as session:
        pending = session.scalar(
            select(func.count()).select_from(Event).where(Event.status != "done")
        )
        running = session.scalar(
            select(func.count()).select_from(Action).where(Action.status != "ok")
        )
        events = session.scalar(select(func.count()).select_from(Event))
    return pending == 0 and running == 0 and events == TOTAL


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill9_mid_burst_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'autotriage.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    # A short lease lets the restarted worker retry an action the killed one had claimed.
    env = {"DATABASE_URL": url, "WEBHOOK_SECRET": "k", "AUTOTRIAGE_ACTION_LEASE_SECONDS": "3"}
    items = [(i, uuid.uuid4().hex) for i in range(TOTAL)]
    acked: set[str] = set()

    server = LiveServer(env, tmp_path).start()
    workers = _burst(server.url, items, acked)
    deadline = time.monotonic() + 60
    while len(acked) < TOTAL // 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    server.kill()
    for worker in workers:
        worker.join()
    acked_before_crash = set(acked)
    assert 0 < len(acked_before_crash) < TOTAL, "the kill must land mid-burst"

    # The client retries what was not acknowledged, and redelivers some that were.
    restarted = LiveServer(env, tmp_path, port=server.port).start()
    try:
        retry = [item for item in items if item[1] not in acked_before_crash]
        redeliver = [item for item in items if item[1] in acked_before_crash][:30]
        for worker in _burst(restarted.url, retry + redeliver, acked):
            worker.join()
        assert acked == {event_id for _, event_id in items}

        store = Store(url)
        deadline = time.monotonic() + 90
        while not _settled(store) and time.monotonic() < deadline:
            time.sleep(0.2)
        with store.reading() as session:
            stored = set(session.scalars(select(Event.source_event_id)))
            counts = session.scalars(select(Group.count)).all()
            opens = session.scalars(select(Action).where(Action.kind == "tracker.open")).all()
            items_count = session.scalar(select(func.count()).select_from(TrackerItem))
            not_done = session.scalar(
                select(func.count()).select_from(Event).where(Event.status != "done")
            )
        store.dispose()
    finally:
        restarted.stop()
    assert acked_before_crash <= stored, "an acknowledged event was lost"
    assert len(stored) == TOTAL
    assert not_done == 0
    assert sorted(counts) == [TOTAL // KINDS] * KINDS, "an occurrence was counted twice or lost"
    assert len(opens) == KINDS and all(a.status == "ok" for a in opens)
    assert items_count == KINDS
