"""Exactly one GitHub issue per group: after a lost answer, a lost store, and under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Action, Link
from tests.fakes.github import FakeGitHub, Fault
from tests.integration.github.test_issue_flow import drain, event


def _store(settings: Settings) -> Store:
    store = Store(settings.database_url)
    store.migrate()
    return store


def test_create_whose_answer_is_lost_is_not_repeated(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings(GITHUB_TIMEOUT=0.5)
    store = _store(settings)
    Intake(store).accept("sentry", [event()])
    # GitHub creates the issue but the answer never arrives
    fake_github.inject(Fault("timeout-after-effect", "POST", r"/issues$", delay=1.5))
    process_pending(store, settings.pipeline)
    handlers = build_handlers(settings)
    run_due(store, handlers)
    with store.reading() as session:
        opener = session.scalars(select(Action).where(Action.kind == "github.open")).one()
        assert opener.status == "ok"  # reconciled at once: the list shows the new issue
    assert fake_github.stats.creates == 1
    with store.reading() as session:
        assert session.scalars(select(Link.external_id)).all() == ["1"]
    store.dispose()


def test_lost_store_reconciles_with_the_existing_issue_even_while_search_lags(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub, tmp_path
) -> None:
    fake_github.search_lag = 3600  # search would not find it: the labelled list must
    first = github_settings()
    store = _store(first)
    Intake(store).accept("sentry", [event()])
    drain(store, first)
    store.dispose()
    assert fake_github.stats.creates == 1
    fresh = github_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    store = _store(fresh)
    Intake(store).accept("sentry", [event()])
    drain(store, fresh)
    assert fake_github.stats.creates == 1
    with store.reading() as session:
        assert session.scalars(select(Link.external_id)).all() == ["1"]
    store.dispose()


@pytest.mark.postgres
def test_concurrent_workers_on_postgres_create_once(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub, postgres_url: str
) -> None:
    settings = github_settings(DATABASE_URL=postgres_url)
    store = _store(settings)
    intake = Intake(store)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        handlers = build_handlers(settings)  # each its own client, as separate replicas have
        try:
            barrier.wait()
            for _ in range(40):
                process_pending(store, settings.pipeline, limit=5)
                run_due(store, handlers)
        except BaseException as exc:
            errors.append(exc)

    for i in range(30):
        intake.accept("sentry", [event(value="division by zero")], delivery_id=f"d{i}")
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    drain(store, settings)
    assert fake_github.stats.creates == 1
    with store.reading() as session:
        assert session.scalars(select(Link.external_id)).all() == ["1"]
        opens = session.scalars(select(Action).where(Action.kind == "github.open")).all()
        assert [a.status for a in opens] == ["ok"]
    store.dispose()
