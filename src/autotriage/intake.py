"""The only write path in: verify -> parse -> scrub -> persist -> answer.

Web routes and the CLI verify and parse with a source module, then hand the events to
`Intake.accept`, which scrubs them and commits them before returning. Only then may the
caller answer 2xx: an acknowledged event is durable. Processing happens later, in the
worker (`autotriage.worker`).

Group commit: when several requests accept at once (the web server calls `accept` from
its thread pool), the first to find no commit in progress becomes the leader and writes
every queued delivery in one transaction; the others wait until that transaction has
committed and then return their own outcome. A busy DSN endpoint thus pays for one
SQLite commit per batch instead of one per request, and no caller returns before its
events are durable. If the shared transaction fails, each delivery of the batch is
retried alone, so one bad delivery cannot fail its neighbours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autotriage.errors import Overloaded
from autotriage.models import ErrorEvent, utcnow
from autotriage.store import Store
from autotriage.store.events import StoredDelivery, store_delivery
from autotriage.understanding.scrub import scrub_event

MAX_BATCH = 256
"""Deliveries per shared transaction; bounds how long one commit holds the write lock."""


@dataclass
class _Job:
    source: str
    events: list[ErrorEvent]
    delivery_id: str | None
    done: bool = False
    outcome: StoredDelivery | None = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class Intake:
    """Scrubs and persists accepted events, then wakes the worker."""

    def __init__(self, store: Store, *, wake: Callable[[], None] | None = None) -> None:
        self.store = store
        self.wake = wake
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._committing = False

    def accept(
        self, source: str, events: Sequence[ErrorEvent], *, delivery_id: str | None = None
    ) -> StoredDelivery:
        """Scrub and commit `events`; a redelivery or a known event id stores nothing again."""
        job = _Job(source, [scrub_event(event) for event in events], delivery_id)
        with self._lock:
            self._queue.append(job)
        while True:
            with self._lock:
                if job.done:
                    break
                lead = not self._committing
                if lead:
                    self._committing = True
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            if lead:
                try:
                    self._commit(batch)
                finally:
                    with self._lock:
                        self._committing = False
                        waiting = list(self._queue)
                    for unfinished in (j for j in batch if not j.done):
                        self._finish(unfinished, None, Overloaded("intake was interrupted"))
                    # Wake the queued callers so one of them leads the next batch.
                    for other in waiting:
                        other.finished.set()
            else:
                job.finished.wait()
                job.finished.clear()
        if job.error is not None:
            raise job.error
        assert job.outcome is not None  # noqa: S101 - set whenever done without error
        return job.outcome

    def _commit(self, batch: list[_Job]) -> None:
        try:
            outcomes = []
            with self.store.transaction() as session:
                now = utcnow()
                for job in batch:
                    outcomes.append(
                        store_delivery(
                            session, job.source, job.events, delivery_id=job.delivery_id, now=now
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
            if len(batch) == 1:
                self._finish(batch[0], None, exc)
                return
            for job in batch:
                self._commit([job])
            return
        stored = False
        for job, outcome in zip(batch, outcomes, strict=True):
            stored = stored or bool(outcome.event_ids)
            self._finish(job, outcome, None)
        if stored and self.wake is not None:
            self.wake()

    @staticmethod
    def _finish(job: _Job, outcome: StoredDelivery | None, error: BaseException | None) -> None:
        job.outcome, job.error, job.done = outcome, error, True
        job.finished.set()
