"""The job engine's deferrals on PostgreSQL: atomic with the caller's transaction, and a
second "run action N" while one waits costs nothing (it once poisoned the transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from autotriage.actions.kinds import PlannedAction
from autotriage.actions.outbox import enqueue
from autotriage.jobs.engine import RUN_ACTION, JobQueue
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.tables import Action

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine_store(postgres_url: str) -> Iterator[tuple[Store, JobQueue]]:
    store = Store(postgres_url)
    store.migrate()
    queue = JobQueue(postgres_url)
    store.defer_action = queue.defer_action
    try:
        yield store, queue
    finally:
        queue.close()
        store.dispose()


def _jobs(store: Store) -> list[tuple[int, str]]:
    with store.reading() as session:
        rows = session.execute(
            text(
                "SELECT (args->>'action_id')::int, status FROM procrastinate_jobs "
                "WHERE task_name = :t ORDER BY id"
            ),
            {"t": RUN_ACTION},
        )
        return [(int(r[0]), str(r[1])) for r in rows]


def test_an_action_and_its_job_commit_together_or_not_at_all(
    engine_store: tuple[Store, JobQueue],
) -> None:
    store, _ = engine_store

    def fail_after_planning() -> None:
        with store.transaction() as session:
            enqueue(session, PlannedAction("github.open", "open:1"), utcnow())
            raise RuntimeError("the batch fails after planning")

    with pytest.raises(RuntimeError):
        fail_after_planning()
    assert _jobs(store) == []
    with store.transaction() as session:
        enqueue(session, PlannedAction("github.open", "open:1"), utcnow())
    with store.reading() as session:
        action_id = session.scalars(select(Action.id)).one()
    assert _jobs(store) == [(action_id, "todo")]


def test_a_second_deferral_while_one_waits_leaves_the_transaction_whole(
    engine_store: tuple[Store, JobQueue],
) -> None:
    store, queue = engine_store
    with store.transaction() as session:
        enqueue(session, PlannedAction("github.sync", "sync:1"), utcnow())
        action = session.scalars(select(Action)).one()
        # what an outcome's retry does while the sweep's job for N still waits
        queue.defer_action(session, action.id, utcnow())
        action.detail = "written after the refused deferral"
    with store.reading() as session:
        assert session.scalars(select(Action.detail)).one() == "written after the refused deferral"
    assert _jobs(store) == [(action.id, "todo")]
