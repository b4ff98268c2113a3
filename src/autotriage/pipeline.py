"""The pipeline and the worker that runs it: inbox events are fingerprinted, grouped and
decided, and the steps they call for planned; then the analysis stage, from the outbox.

Each batch of inbox events is processed in one transaction: the group upsert, the
event's status and the planned actions commit together, so a crash at any point leaves
either all of it or none of it, and a replay of the batch counts nothing twice. What an
occurrence means and which tracker-neutral steps it plans are the group lifecycle's
(`autotriage.lifecycle`). Each occurrence also adds to its group's hourly bucket and
its distinct users (`store.groups`). Analysis and the actions themselves run later,
from the outbox (`actions.outbox`), so they are retried and never hold up the inbox:
`AnalyzeGroup` is the analysis stage's handler. With ``PR_ENABLED=true`` a successful
analysis plans the group's fix attempt (``fix.propose``) in the same transaction, so the
attempt runs after the issue's open action and always sees this analysis.

`Worker` (SQLite) runs it in process: it wakes when intake stores something and
otherwise polls, so actions waiting for a retry are picked up on time. Periodic work
(mirror refresh, retention, GitHub state and Sentry polls) runs on timers in one more
thread: `build_services` hands it over, already bound (`autotriage.jobs.work`), so the
core never imports the adapters those polls use. On PostgreSQL the job engine runs the
same functions instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from autotriage.actions import kinds
from autotriage.actions.kinds import ActionHandler, ActionKind, ActionResult, PlannedAction
from autotriage.actions.outbox import enqueue, run_due
from autotriage.analysis import Analysis, Analyzer
from autotriage.config_sections import PipelineSettings, ServerSettings
from autotriage.lifecycle import (
    Decision,
    decide,
    news_comments,
    notify_actions,
    plan_actions,
    regress,
    repeat_news,
    spike,
)
from autotriage.models import ErrorEvent, utcnow
from autotriage.store import Store
from autotriage.store.db import is_conflict
from autotriage.store.events import load_event, pending_events
from autotriage.store.groups import (
    attach_hashes,
    count_hour,
    count_user,
    create_group,
    find_by_hashes,
    latest_event,
    record_occurrence,
    user_identity,
)
from autotriage.store.tables import Action, Event, Group
from autotriage.understanding.fingerprint import (
    GroupingConfig,
    compute_fingerprint,
    grouping_config,
)

log = logging.getLogger(__name__)

SPIKE_CHECK_EVERY = 100


class _Batch:
    """What one transaction already knows, so repeats in a batch cost no extra queries."""

    def __init__(self, config: GroupingConfig) -> None:
        self.config = config
        self.groups: dict[str, Group] = {}
        self.known_hashes: set[str] = set()
        self.planned: set[str] = set()
        self.users: set[tuple[int, str]] = set()  # (group, user) already counted


def _process_one(
    session: Session, row: Event, settings: PipelineSettings, now: datetime, batch: _Batch
) -> Decision:
    event = load_event(row)
    fingerprint = compute_fingerprint(event, batch.config)
    group = next((batch.groups[h] for h in fingerprint.lookup if h in batch.groups), None)
    if group is None:
        group, known = find_by_hashes(session, fingerprint.lookup)
        batch.known_hashes |= known
    decision = decide(group, event)
    if group is None:
        group = create_group(
            session, event, fingerprint.primary, fingerprint.hashes, fingerprint.version, now
        )
    else:
        missing = [h for h in fingerprint.hashes if h not in batch.known_hashes]
        if missing:
            attach_hashes(session, group.id, missing)
    batch.known_hashes.update(fingerprint.hashes)
    for value in fingerprint.lookup:
        batch.groups.setdefault(value, group)
    if decision is Decision.REGRESSION:
        regress(group)
    news = repeat_news(group, event) if decision is Decision.REPEAT else []
    record_occurrence(group, event, row.id, now)
    count_hour(session, group.id, event.occurred_at or event.received_at)
    user = user_identity(event)
    if user is not None and (group.id, user) not in batch.users:
        batch.users.add((group.id, user))  # a user's repeats in a batch cost no query
        count_user(session, group, user)
    if decision is Decision.REPEAT and group.count % SPIKE_CHECK_EVERY == 0:
        news += spike(session, group, now, settings.github.github_spike_factor, SPIKE_CHECK_EVERY)
    row.status, row.fingerprint, row.group_id = "done", group.fingerprint, group.id
    for planned in [
        *plan_actions(decision, group, event, row.id, settings, now),
        *news_comments(news, group, row.id, settings),
        *notify_actions(decision, group, row.id, settings),
    ]:
        if planned.key not in batch.planned:
            batch.planned.add(planned.key)
            enqueue(session, planned, now)
    return decision


def process_pending(store: Store, settings: PipelineSettings, limit: int = 200) -> int:
    """Group up to `limit` pending events; return how many were taken off the inbox."""
    try:
        with store.transaction() as session:
            rows = pending_events(session, limit)
            now, batch = utcnow(), _Batch(grouping_config(settings.analysis))
            for row in rows:
                _process_one(session, row, settings, now, batch)
            return len(rows)
    except DBAPIError as exc:
        if is_conflict(exc):
            # Another worker won a race (same new group, same row); redo one at a time.
            log.info("batch conflicted with another worker; retrying event by event")
        else:
            log.warning("batch failed (%s); isolating the event that fails", type(exc).__name__)
    except Exception:
        log.exception("batch failed; isolating the event that fails")
    return _process_singly(store, settings, limit)


def _process_singly(store: Store, settings: PipelineSettings, limit: int) -> int:
    done = 0
    for _ in range(limit):
        row_id: int | None = None
        try:
            with store.transaction() as session:
                rows = pending_events(session, 1)
                if not rows:
                    return done
                row_id = rows[0].id
                _process_one(
                    session, rows[0], settings, utcnow(), _Batch(grouping_config(settings.analysis))
                )
        except DBAPIError as exc:
            if is_conflict(exc):
                log.info("event conflicted with another worker; will retry")
                return done
            # A DataError (a value past a column, a NUL) fails the same way every time.
            if row_id is None:
                return done
            _mark_failed(store, row_id, f"{type(exc).__name__}: {exc.orig}")
        except Exception as exc:
            log.exception("event processing failed", extra={"event_id": row_id})
            if row_id is None:
                return done  # the inbox itself could not be read; the next run retries
            _mark_failed(store, row_id, f"{type(exc).__name__}: {exc}")
        done += 1
    return done


def _mark_failed(store: Store, row_id: int, error: str) -> None:
    """Mark the event that failed (by its id: another worker may hold the older ones)."""
    with store.transaction() as session:
        row = session.get(Event, row_id, with_for_update=True)
        if row is not None and row.status == "pending":
            row.status, row.error = "failed", error[:2000]
            row.attempts += 1


# --- the analysis stage, through the outbox


@dataclass(frozen=True, slots=True)
class _Job:
    event: ErrorEvent


class AnalyzeGroup:
    """Analyse a group's latest event and keep the result on the group."""

    kind: str = ActionKind.ANALYSIS

    def __init__(self, analyzer: Analyzer, *, propose_fixes: bool = False) -> None:
        self.analyzer = analyzer
        self.propose_fixes = propose_fixes  # PR_ENABLED: a fix attempt follows the analysis

    def prepare(self, session: Session, action: Action) -> _Job | None:
        group = session.get(Group, action.group_id) if action.group_id is not None else None
        row = latest_event(session, group) if group is not None else None
        return _Job(load_event(row)) if row is not None else None

    def perform(self, prepared: _Job | None) -> ActionResult:
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        result: Analysis = self.analyzer.analyze(prepared.event)
        return ActionResult.ok(data=result.model_dump(mode="json"))

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None:
            return
        group = session.get(Group, action.group_id)
        if group is not None:
            group.analysis = result.data
            culprit = result.data.get("culprit")
            if culprit and not group.culprit:
                group.culprit = f"{culprit['path']} in {culprit.get('function') or '?'}"[:500]
            if self.propose_fixes and result.data.get("commit"):
                key = kinds.fix_key(group.id, group.regressions)
                planned = PlannedAction(ActionKind.FIX_PROPOSE, key, group.id, action.event_id)
                enqueue(session, planned, utcnow())


# --- the worker: threads for grouping, for actions and for the timed jobs

PERIODIC_THREAD = "autotriage-periodic"
"""The thread the timed jobs run on (none of them carries an event from the inbox)."""
Periodic = tuple[str, float, Callable[[], object]]
"""A timed job: its name, every how many seconds, and what to call."""


@dataclass
class WorkerStatus:
    """What /health reports about the worker."""

    running: bool = False
    last_cycle: datetime | None = None
    events_processed: int = 0
    actions_run: int = 0
    last_error: str | None = None


class Worker:
    """Runs `process_pending` and `run_due` in a background thread until stopped."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        handlers: Mapping[str, ActionHandler],
        *,
        group: Callable[[], int],
        concurrency: int = 1,
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.store = store
        self.concurrency = concurrency
        self.settings = settings
        self._group = group
        self.handlers = dict(handlers)
        self.periodic = [job for job in periodic if job[1] > 0]
        self.status = WorkerStatus()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._periodic_thread: threading.Thread | None = None
        self._act_threads: list[threading.Thread] = []
        self._act_wake = threading.Event()

    def wake(self) -> None:
        """Ask the worker to look at the inbox now."""
        self._wake.set()

    def group_once(self) -> int:
        """Group pending events (one batch); returns how many."""
        events = self._group()
        self.status.events_processed += events
        self.status.last_cycle = utcnow()
        if events:
            self._act_wake.set()
        return events

    def act_once(self) -> int:
        """Run due actions; returns how many ran."""
        lease = timedelta(seconds=self.settings.action_lease_seconds)
        actions = run_due(self.store, self.handlers, lease=lease)
        self.status.actions_run += actions
        return actions

    def run_once(self) -> int:
        """One cycle: group pending events, then run due actions. Returns the work done."""
        return self.group_once() + self.act_once()

    def drain(self, timeout: float = 60.0) -> None:
        """Run cycles until there is nothing left to do now (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while self.run_once() and time.monotonic() < deadline:
            pass

    def _loop(self, step: Callable[[], int], wake: threading.Event) -> None:
        # Grouping and actions run in separate threads: GitHub's one-second spacing
        # between mutations must never hold back the inbox.
        while not self._stop.is_set():
            try:
                busy = step()
                self.status.last_error = None
            except DBAPIError as exc:
                if not is_conflict(exc):
                    log.exception("worker cycle failed")
                else:  # a deadlock with another worker: rolled back, the next cycle redoes it
                    log.info("worker cycle conflicted with another transaction; retrying")
                self.status.last_error = f"{type(exc).__name__}: {exc.orig}"
                busy = 0
                self._stop.wait(0.2)
            except Exception as exc:  # the worker must outlive a bad cycle
                log.exception("worker cycle failed")
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                busy = 0
                self._stop.wait(1.0)
            if not busy:
                wake.wait(self.settings.worker_poll_seconds)
                wake.clear()

    def _periodic_loop(self) -> None:
        due = {name: 0.0 for name, _, _ in self.periodic}
        while not self._stop.is_set():
            for name, seconds, job in self.periodic:
                if time.monotonic() < due[name]:
                    continue
                due[name] = time.monotonic() + seconds
                try:
                    job()
                except Exception:  # the timer must outlive a failed run
                    log.exception("periodic %s failed", name)
            self._stop.wait(1.0)

    def start(self) -> None:
        """Start the background thread (and the mirror refresher when GitHub is mirrored)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop,
            args=(self.group_once, self._wake),
            name="autotriage-worker",
            daemon=True,
        )
        self._thread.start()
        # Claims skip rows another thread holds, so N threads run up to N actions at once.
        self._act_threads = [
            threading.Thread(
                target=self._loop,
                args=(self.act_once, self._act_wake),
                name=f"autotriage-actions-{n}",
                daemon=True,
            )
            for n in range(self.concurrency)
        ]
        for thread in self._act_threads:
            thread.start()
        if self.periodic:
            self._periodic_thread = threading.Thread(
                target=self._periodic_loop, name=PERIODIC_THREAD, daemon=True
            )
            self._periodic_thread.start()
        self.status.running = True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current cycle."""
        self._stop.set()
        self._wake.set()
        self._act_wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for thread in (*self._act_threads, self._periodic_thread):
            if thread is not None:
                thread.join(timeout)
        self._act_threads, self._periodic_thread = [], None
        self.status.running = False

    @property
    def alive(self) -> bool:
        """True while the background thread runs."""
        threads = (self._thread, *self._act_threads)
        return bool(self._act_threads) and all(t is not None and t.is_alive() for t in threads)
