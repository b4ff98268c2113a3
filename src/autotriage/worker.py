"""The in-process worker (SQLite): takes events off the inbox and runs due actions.

It wakes when intake stores something, and otherwise polls, so actions waiting for a
retry are picked up on time. Periodic work (mirror refresh, retention, GitHub state and
Sentry polls) runs on timers in one more thread: `build_services` hands it over, already
bound (`autotriage.jobs.work.periodic_jobs`), so the worker never imports the adapters
those polls use. The job engine runs the same task functions on PostgreSQL instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from autotriage.actions.kinds import ActionHandler
from autotriage.actions.outbox import run_due
from autotriage.config_sections import ServerSettings
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.db import is_conflict

log = logging.getLogger(__name__)

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
