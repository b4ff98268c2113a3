"""The only write path in: verify -> parse -> scrub -> persist -> answer.

Web routes and the CLI verify and parse with a source module, then hand the events to
`Intake.accept_async` (the web server) or `Intake.accept` (threads: the CLI, scans),
which scrub them and commit them before returning. Only then may the caller answer
2xx: an acknowledged event is durable. Processing happens later, in the worker
(`autotriage.pipeline.Worker`).

Status signals (a Sentry issue resolved, ignored or unresolved; a GitHub issue closed or
reopened) come in through `Intake.apply_status`: the same delivery dedupe, then the
group lifecycle (`autotriage.lifecycle`) applies them in the same transaction.

Group commit: deliveries that arrive while a commit is in progress wait for it, then go
together in the next transaction. On the event loop, a request's events are scrubbed in
place and queued, and one flush task hands each batch to a thread; from threads, the
first caller to find no commit in progress becomes the leader and writes every queued
delivery. Either way a busy endpoint pays for one commit per batch instead of one per
request, no caller returns before its events are durable, and if a shared transaction
fails, each delivery of the batch is retried alone, so one bad delivery cannot fail its
neighbours.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from autotriage import lifecycle
from autotriage.actions.kinds import PlannedAction
from autotriage.actions.outbox import enqueue
from autotriage.errors import Overloaded
from autotriage.lifecycle import status_actions
from autotriage.models import ErrorEvent, compose_title, utcnow
from autotriage.store import Store
from autotriage.store.db import SerializedJSON, json_dumps
from autotriage.store.events import (
    InboxRow,
    NewDelivery,
    StoredDelivery,
    claim_delivery,
    status_source,
    store_deliveries,
)
from autotriage.store.groups import link_for_issue
from autotriage.store.sentry_issues import groups_for_issue
from autotriage.store.tables import Group
from autotriage.understanding.scrub import json_ready_payload, scrub_payload, scrub_text

MAX_BATCH = 256
"""Deliveries per shared transaction; bounds how long one commit holds the write lock."""

INLINE_EVENTS = 8
"""Deliveries of up to this many events are scrubbed on the event loop; larger ones in a
thread, so one big batch does not stall every other request."""
INLINE_BYTES = 64 * 1024
"""Nor more than this much text: a 1 MB message takes the scrubber tens of milliseconds,
which every other request (``/health`` included) would otherwise wait out."""


def _text_size(event: ErrorEvent) -> int:
    """About how much text scrubbing `event` reads (its free-form parts as JSON)."""
    size = len(event.message) + sum(len(e.value) + 200 * len(e.frames) for e in event.exceptions)
    try:
        size += len(orjson.dumps(event.contexts, option=orjson.OPT_NON_STR_KEYS))
        size += len(orjson.dumps(event.raw, option=orjson.OPT_NON_STR_KEYS))
    except TypeError:  # not JSON (a set, an object, an integer past 64 bits): assume big
        return INLINE_BYTES + 1
    return size


def scrub_inline(events: Sequence[ErrorEvent], size: int | None = None) -> bool:
    """Whether `events` are small enough to scrub on the event loop; `size` is the body's
    length when the caller knows it (else it is estimated)."""
    if len(events) > INLINE_EVENTS:
        return False
    if size is None:
        size = sum(_text_size(event) for event in events)
    return size <= INLINE_BYTES


_PLAIN_ID = re.compile(r"[0-9A-Fa-f-]{1,64}")
"""Hex and UUID ids, as SDKs make them: the scrubber redacts none (a test holds it to that),
and skipping it saves about a tenth of a small event's ingest."""


def opaque_id(value: str | None) -> str | None:
    """A sender's event or delivery id as stored: as it is, unless it holds a secret; then
    a digest of it, so distinct ids stay distinct and a known one is still known."""
    if not value or _PLAIN_ID.fullmatch(value) or scrub_text(value) == value:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def inbox_row(event: ErrorEvent) -> InboxRow:
    """`event` scrubbed, as the inbox stores it (its title is built from scrubbed text).

    The payload is serialized here, in the request, so the commit only writes text, and
    a payload JSON cannot hold fails its own request rather than a shared commit.
    """
    source_event_id = opaque_id(event.source_event_id)
    payload = scrub_payload(event)
    payload["source_event_id"] = source_event_id
    try:
        text = json_dumps(payload)
    except (TypeError, ValueError):  # contexts or raw hold a set, an object, a deep tree
        payload = json_ready_payload(event)
        payload["source_event_id"] = source_event_id
        text = json_dumps(payload)
    exceptions = payload["exceptions"]
    raised = exceptions[-1] if exceptions else None
    title = compose_title(
        raised["type"] if raised else None, raised["value"] if raised else "", payload["message"]
    )
    return InboxRow(
        source=event.source,
        # PostgreSQL text holds no NUL (the payload keeps it, escaped in its JSON).
        source_event_id=source_event_id.replace("\x00", "\ufffd") if source_event_id else None,
        received_at=event.received_at,
        occurred_at=event.occurred_at,
        level=event.level,
        title=title.replace("\x00", "\ufffd"),
        payload=SerializedJSON(text),
    )


SENTRY_ISSUE = "sentry"
"""`IssueRef.tracker` for a Sentry issue id (found on stored events, not on a link)."""


@dataclass(frozen=True, slots=True)
class IssueRef:
    """The issue a status signal is about: a Sentry issue id, or a linked tracker's issue.

    `state` is the linked issue's own state (``open``/``closed``), recorded on its link.
    """

    tracker: str
    external_id: str
    state: str | None = None


@dataclass(slots=True)
class StatusOutcome:
    """What a status delivery did: a redelivery; the groups found (id -> status after)."""

    duplicate: bool = False
    groups: dict[int, str] = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)


_SAID = {"resolved": "Resolved", "ignored": "Ignored", "open": "Reopened"}
_WHERE = {SENTRY_ISSUE: "in Sentry", "github": "on GitHub"}

AfterStore = Callable[[Connection, list[NewDelivery], list[StoredDelivery], datetime], object]
"""Work done in the transaction that stores a batch of deliveries, after its rows."""

FollowUp = Callable[[Group], PlannedAction]
"""An action to plan for each group a status signal changed."""


def _groups_for(session: Session, ref: IssueRef) -> list[Group]:
    if ref.tracker == SENTRY_ISSUE:
        return groups_for_issue(session, ref.external_id)
    link = link_for_issue(session, ref.tracker, ref.external_id)
    if link is None:
        return []
    if ref.state is not None:
        link.state, link.updated_at = ref.state, utcnow()
    group = session.get(Group, link.group_id, with_for_update=True)
    return [group] if group is not None else []


@dataclass(slots=True)
class _Job:
    delivery: NewDelivery
    finished: threading.Event | None = None
    done: bool = False
    outcome: StoredDelivery | None = None
    error: BaseException | None = None


class Intake:
    """Scrubs and persists accepted events, then wakes the worker."""

    def __init__(
        self,
        store: Store,
        *,
        wake: Callable[[], None] | None = None,
        observe: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.wake = wake
        self.observe = observe  # (source, events stored, duplicates): the metrics
        self.commit_took: Callable[[float], None] | None = None  # seconds: load shedding
        # Run in the commit's transaction after the rows are stored, by source name, for a
        # batch holding rows of that source: CloudWatch's held traces (`tails.intake_hook`).
        self.after_store: dict[str, AfterStore] = {}
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._committing = False
        self._pending: list[tuple[_Job, asyncio.Future[StoredDelivery]]] = []
        self._flush_task: asyncio.Task[None] | None = None

    def apply_status(
        self,
        source: str,
        ref: IssueRef,
        signal: lifecycle.Signal | None,
        *,
        delivery_id: str | None = None,
        follow_up: FollowUp | None = None,
    ) -> StatusOutcome:
        """Apply a status signal about `ref`'s groups, once per delivery id.

        `signal` None records only the issue's state on its link (a bot's reopen).
        """
        now = utcnow()
        with self.store.transaction() as session:
            delivery_id = opaque_id(delivery_id)
            if delivery_id and not claim_delivery(session, status_source(source), delivery_id, now):
                return StatusOutcome(duplicate=True)
            outcome = StatusOutcome()
            token = delivery_id or f"{now.timestamp():.6f}"
            for group in _groups_for(session, ref):
                if signal is not None and lifecycle.apply(group, signal, now):
                    outcome.changed.append(group.id)
                    if follow_up is not None:
                        enqueue(session, follow_up(group), now)
                    # the group's issues in the other trackers follow, as after a console change
                    where = _WHERE.get(ref.tracker, f"by {source}")
                    note = f"{_SAID[group.status]} {where}."
                    for action in status_actions(
                        session, group, None, note, signal=(source, token), skip=ref.tracker
                    ):
                        enqueue(session, action, now)
                outcome.groups[group.id] = group.status
            return outcome

    async def accept_async(
        self,
        source: str,
        events: Sequence[ErrorEvent],
        *,
        delivery_id: str | None = None,
        size: int | None = None,
    ) -> StoredDelivery:
        """`accept` for the event loop: returns once `events` are committed.

        `size` (the body's length, if known) decides with the number of events whether
        they are scrubbed here or in a thread (`scrub_inline`).
        """
        if scrub_inline(events, size):
            rows = [inbox_row(event) for event in events]
        else:
            rows = await asyncio.to_thread(lambda: [inbox_row(event) for event in events])
        loop = asyncio.get_running_loop()
        done: asyncio.Future[StoredDelivery] = loop.create_future()
        delivery = NewDelivery(source, rows, opaque_id(delivery_id))
        self._pending.append((_Job(delivery), done))
        if self._flush_task is None:
            self._flush_task = loop.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await asyncio.to_thread(self._commit, [job for job, _ in batch])
                except BaseException:
                    # Shutting down mid-commit: the batch may or may not be durable, so its
                    # senders get a retryable error (a resend is stored once).
                    for _, done in batch + self._pending:
                        if not done.done():
                            done.set_exception(Overloaded("intake was interrupted"))
                    self._pending = []
                    raise
                for job, done in batch:
                    if done.done():  # the request went away; its events are stored anyway
                        continue
                    if job.error is not None:
                        done.set_exception(job.error)
                    else:
                        done.set_result(job.outcome or StoredDelivery())
        finally:
            self._flush_task = None

    def accept(
        self, source: str, events: Sequence[ErrorEvent], *, delivery_id: str | None = None
    ) -> StoredDelivery:
        """Scrub and commit `events`; a redelivery or a known event id stores nothing again."""
        finished = threading.Event()
        rows = [inbox_row(event) for event in events]
        job = _Job(NewDelivery(source, rows, opaque_id(delivery_id)), finished)
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
                        if other.finished is not None:
                            other.finished.set()
            else:
                finished.wait()
                finished.clear()
        if job.error is not None:
            raise job.error
        assert job.outcome is not None  # noqa: S101 - set whenever done without error
        return job.outcome

    def _commit(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            with self.store.writing() as connection:
                deliveries = [job.delivery for job in batch]
                now = utcnow()
                outcomes = store_deliveries(connection, deliveries, now=now)
                if self.after_store:
                    sources = {row.source for delivery in deliveries for row in delivery.rows}
                    for source in sources & self.after_store.keys():
                        self.after_store[source](connection, deliveries, outcomes, now)
            if self.commit_took is not None:
                self.commit_took(time.perf_counter() - started)
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
            if self.observe is not None:
                self.observe(job.delivery.source, len(outcome.event_ids), outcome.duplicates)
            self._finish(job, outcome, None)
        if stored and self.wake is not None:
            self.wake()

    @staticmethod
    def _finish(job: _Job, outcome: StoredDelivery | None, error: BaseException | None) -> None:
        job.outcome, job.error, job.done = outcome, error, True
        if job.finished is not None:
            job.finished.set()
