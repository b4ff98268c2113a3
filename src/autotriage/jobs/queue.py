"""Deferring jobs for the job engine (`autotriage.jobs.engine`), from synchronous code.

Jobs name work, they never carry it: ``autotriage.group`` means "group what the inbox
holds" and ``autotriage.run_action`` with ``action_id=N`` means "run outbox action N".
"Run action N at T" is deferred on the very connection and transaction that insert
action N (or record its retry), through `Store.defer_action`, so both commit or neither
does; a queueing lock (``action:N``) keeps one waiting job per action. Intake nudges one
``autotriage.group`` job (queueing lock ``group``: at most one waits, however many events
arrive).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime
from typing import Any, cast

import psycopg
from procrastinate import App, SyncPsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from autotriage.config_sections import ServerSettings

log = logging.getLogger(__name__)

GROUP = "autotriage.group"
RUN_ACTION = "autotriage.run_action"
# Two queues, each with its own worker slots: actions wait on GitHub's pace (one mutation
# a second per credential), and must never take every slot from grouping and the sweep.
INBOX, ACTIONS = "inbox", "actions"
NUDGE_SPACING = 0.05  # seconds between grouping nudges from one process


def uses_engine(settings: ServerSettings) -> bool:
    """Whether the work runs on the job engine: ``JOB_ENGINE=procrastinate`` on PostgreSQL."""
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    return postgres and settings.job_engine == "procrastinate"


def conninfo(database_url: str) -> str:
    """A libpq URL for `database_url` (which may name SQLAlchemy's driver)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class JobQueue:
    """Defers jobs from synchronous code: inside a caller's transaction, or as a nudge."""

    def __init__(self, database_url: str) -> None:
        self.app = App(
            connector=SyncPsycopgConnector(conninfo=conninfo(database_url), min_size=1, max_size=4)
        )
        self._opened = False
        self._open_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._nudger: threading.Thread | None = None

    def close(self) -> None:
        """Stop the nudger and close the pool."""
        self._stop.set()
        self._wake.set()
        if self._nudger is not None:
            self._nudger.join(5)
            self._nudger = None
        with self._open_lock:
            if self._opened:
                self.app.close()
                self._opened = False

    def defer_action(self, session: Session, action_id: int, when: datetime) -> None:
        """Defer "run action N at `when`" in `session`'s transaction (hooked into the Store)."""
        raw = cast("psycopg.Connection[Any]", session.connection().connection.driver_connection)
        # A job already waiting for N is refused by its queueing lock, and the refusal
        # aborts the transaction it was tried in. So it is tried in a savepoint made on
        # the raw connection (SQLAlchemy's begin_nested() emits none until the session
        # itself runs a statement), which the exception rolls back: otherwise the
        # caller's transaction -- an action's outcome, a grouping batch -- fails, and a
        # claimed action stays "running" until its lease runs out.
        try:
            with raw.transaction():  # psycopg: a SAVEPOINT inside the open transaction
                self._defer(RUN_ACTION, f"action:{action_id}", when, raw, action_id=action_id)
        except AlreadyEnqueued:
            pass  # the waiting job runs action N; `run_action` re-defers it if it is early

    def defer_action_now(self, action_id: int, when: datetime) -> None:
        """Defer "run action N at `when`" on its own (the sweep, an early job)."""
        with contextlib.suppress(AlreadyEnqueued):  # one already waits: it runs N
            self._defer(RUN_ACTION, f"action:{action_id}", when, None, action_id=action_id)

    def group_now(self) -> None:
        """Make sure one grouping job waits."""
        with contextlib.suppress(AlreadyEnqueued):  # one already waits, for the same work
            self._defer(GROUP, "group", None, None)

    def nudge(self) -> None:
        """Ask for grouping soon; many nudges in a burst cost one deferral (Intake's wake)."""
        if self._nudger is None:
            self._nudger = threading.Thread(target=self._nudge_loop, name="autotriage-nudge")
            self._nudger.daemon = True
            self._nudger.start()
        self._wake.set()

    def _nudge_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.group_now()
            except Exception:  # the sweep catches up; a nudge must not kill the thread
                log.exception("could not defer a grouping job")
            self._stop.wait(NUDGE_SPACING)

    def _defer(
        self,
        name: str,
        queueing_lock: str,
        when: datetime | None,
        connection: object | None,
        lock: str | None = None,
        **kwargs: int,
    ) -> None:
        with self._open_lock:  # opened on first use: most CLI commands never defer
            if not self._opened:
                self.app.open()
                self._opened = True
        # AlreadyEnqueued (raised): one job already waits for this and does the same work
        self.app.configure_task(
            name,
            queue=ACTIONS if name == RUN_ACTION else INBOX,
            queueing_lock=queueing_lock,
            lock=lock,
            schedule_at=when,
            connection=connection,
        ).defer(**kwargs)
