"""The job engine's deferrals on PostgreSQL: atomic with the caller's transaction, and a
second "run action N" while one waits costs nothing (it once poisoned the transaction)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from procrastinate import App, PsycopgConnector
from sqlalchemy import select, text

from autotriage.actions.kinds import PlannedAction
from autotriage.actions.outbox import enqueue
from autotriage.config import Settings
from autotriage.jobs.engine import recover_stalled
from autotriage.jobs.queue import GROUP, RUN_ACTION, JobQueue, conninfo
from autotriage.jobs.work import Work, next_attempt
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


def test_a_stalled_grouping_job_with_a_successor_waiting_is_closed_not_retried(
    engine_store: tuple[Store, JobQueue], postgres_url: str
) -> None:
    store, queue = engine_store
    queue.group_now()
    with store.transaction() as session:
        # its worker was killed mid-job: "doing", and no worker row heartbeating for it
        session.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
    queue.group_now()  # the next grouping job already waits (same queueing lock)
    app = App(connector=PsycopgConnector(conninfo=conninfo(postgres_url)))

    async def sweep() -> int:
        async with app.open_async():
            return await recover_stalled(app.job_manager)

    assert asyncio.run(sweep()) == 1  # once raised UniqueViolation and failed every sweep
    with store.reading() as session:
        statuses = session.execute(
            text("SELECT status FROM procrastinate_jobs WHERE task_name = :t ORDER BY id"),
            {"t": GROUP},
        )
        assert [row[0] for row in statuses] == ["failed", "todo"]


def test_a_job_that_comes_before_its_action_is_due_knows_when_to_come_back(
    engine_store: tuple[Store, JobQueue], postgres_url: str, make_settings: Callable[..., Settings]
) -> None:
    store, _ = engine_store
    later = utcnow() + timedelta(minutes=5)
    with store.transaction() as session:
        enqueue(session, PlannedAction("github.sync", "sync:1"), utcnow())
        action = session.scalars(select(Action)).one()
        action.status, action.next_attempt_at = "retryable", later
    settings = make_settings(DATABASE_URL=postgres_url)
    work = Work(
        store,
        {},
        server=settings.server,
        pipeline=settings.pipeline,
        retention=settings.retention,
        aws=settings.aws,
        sentry=settings.sentry,
    )
    assert next_attempt(work, action.id) == later  # the job re-defers itself for then
    with store.transaction() as session:
        session.get(Action, action.id).status = "ok"  # type: ignore[union-attr]
    assert next_attempt(work, action.id) is None  # done: nothing to come back for
