"""The outbox: recorded before attempted, outcome after, never twice, never dropped."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionResult, PlannedAction
from autotriage.actions.outbox import LEASE, MAX_ATTEMPTS, enqueue, run_due, run_one
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.tables import Action


@dataclass
class Recorder:
    """A handler whose outcomes are scripted; it counts what it was asked to do."""

    outcomes: list[ActionResult | Exception]
    kind: str = "test.act"
    performed: int = 0
    recorded: list[str] = field(default_factory=list)

    def prepare(self, session: Session, action: Action) -> Any:
        return action.params

    def perform(self, prepared: Any) -> ActionResult:
        self.performed += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        self.recorded.append(result.status)


def _enqueue(store: Store, key: str = "k1") -> bool:
    with store.transaction() as session:
        return enqueue(session, PlannedAction("test.act", key, params={"n": 1}), utcnow())


def _row(store: Store) -> Action:
    with store.reading() as session:
        return session.scalars(select(Action)).one()


def test_the_same_key_is_recorded_once(store: Store) -> None:
    assert _enqueue(store) is True
    assert _enqueue(store) is False
    handler = Recorder([ActionResult.ok("42", "https://x/42")])
    assert run_due(store, {"test.act": handler}) == 1
    assert run_due(store, {"test.act": handler}) == 0
    row = _row(store)
    assert (row.status, row.external_id, row.attempts) == ("ok", "42", 1)
    assert handler.performed == 1


def test_retryable_waits_for_retry_after_then_succeeds(store: Store) -> None:
    _enqueue(store)
    handler = Recorder([ActionResult.retry("rate limited", retry_after=3600), ActionResult.ok()])
    run_one(store, {"test.act": handler})
    row = _row(store)
    assert row.status == "retryable"
    assert row.next_attempt_at > utcnow() + timedelta(minutes=59)
    assert run_one(store, {"test.act": handler}) is None  # not due yet
    with store.transaction() as session:
        session.scalars(select(Action)).one().next_attempt_at = utcnow()
    run_one(store, {"test.act": handler})
    assert _row(store).status == "ok"
    assert handler.recorded == ["retryable", "ok"]


def test_a_crashing_handler_is_retried_not_dropped(store: Store) -> None:
    _enqueue(store)
    handler = Recorder([RuntimeError("boom")])
    run_one(store, {"test.act": handler})
    row = _row(store)
    assert row.status == "retryable"
    assert "RuntimeError: boom" in (row.detail or "")


def test_permanent_after_too_many_attempts(store: Store) -> None:
    _enqueue(store)
    with store.transaction() as session:
        session.scalars(select(Action)).one().attempts = MAX_ATTEMPTS - 1
    run_one(store, {"test.act": Recorder([ActionResult.retry("still failing")])})
    assert _row(store).status == "permanent"


def test_an_abandoned_claim_is_taken_again_after_the_lease(store: Store) -> None:
    _enqueue(store)
    with store.transaction() as session:
        row = session.scalars(select(Action)).one()
        row.status, row.claimed_at = "running", utcnow() - timedelta(minutes=1)
    handler = Recorder([ActionResult.ok()])
    assert run_one(store, {"test.act": handler}) is None  # the claim is still fresh
    with store.transaction() as session:
        session.scalars(select(Action)).one().claimed_at = utcnow() - LEASE - timedelta(seconds=1)
    assert run_one(store, {"test.act": handler}) is not None
    assert _row(store).status == "ok"


class Slow(Recorder):
    """A handler whose perform lasts until the test lets it finish (a push, a test run)."""

    def __init__(self) -> None:
        super().__init__([ActionResult.ok()])
        self.started = threading.Event()
        self.finish = threading.Event()

    def perform(self, prepared: Any) -> ActionResult:
        self.started.set()
        assert self.finish.wait(30)
        return super().perform(prepared)


def test_a_claim_is_renewed_while_its_handler_runs_so_no_one_takes_it_twice(
    store: Store,
) -> None:
    _enqueue(store)
    lease = timedelta(seconds=2)
    slow = Slow()
    first = threading.Thread(target=run_one, args=(store, {"test.act": slow}, lease))
    first.start()
    assert slow.started.wait(30)
    other = Recorder([ActionResult.ok()])
    deadline = time.monotonic() + 3 * lease.total_seconds()
    taken = []
    while time.monotonic() < deadline:  # three leases go by while the first still runs
        taken.append(run_one(store, {"test.act": other}, lease))
        time.sleep(0.2)
    slow.finish.set()
    first.join(30)
    assert [t for t in taken if t is not None] == []
    assert other.performed == 0
    assert (slow.performed, _row(store).status, _row(store).attempts) == (1, "ok", 1)


class _Deadlock(Exception):
    sqlstate = "40P01"


@dataclass
class DeadlocksOnce(Recorder):
    """Records like `Recorder`, but its first record deadlocks (as PostgreSQL reports it)."""

    deadlocks: int = 1

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if self.deadlocks:
            self.deadlocks -= 1
            raise OperationalError("UPDATE actions", {}, _Deadlock("deadlock detected"))
        super().record(session, action, result)


def test_a_deadlock_while_recording_is_retried_not_left_running(store: Store) -> None:
    handler = DeadlocksOnce([ActionResult.ok("ext-1")])
    _enqueue(store)
    assert run_one(store, {handler.kind: handler}) is not None
    row = _row(store)
    assert (row.status, row.external_id) == ("ok", "ext-1")
    assert handler.performed == 1  # the effect ran once; only its record was tried again
    assert handler.recorded == ["ok"]


class FailingRecord(Recorder):
    """A handler whose outcome cannot be written (a deadlock, a lost connection)."""

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        super().record(session, action, result)
        raise RuntimeError("deadlock detected")


def test_an_outcome_that_cannot_be_written_releases_the_claim_at_once(store: Store) -> None:
    _enqueue(store)
    handler = FailingRecord([ActionResult.ok("7")])
    assert run_one(store, {"test.act": handler}) is not None
    row = _row(store)
    # not left "running" for the whole lease: handed back for a retry within seconds
    assert (row.status, row.external_id) == ("retryable", None)
    assert row.next_attempt_at < utcnow() + timedelta(seconds=3)
    assert "outcome not recorded: RuntimeError" in (row.detail or "")
