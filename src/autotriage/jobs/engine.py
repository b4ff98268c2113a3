"""The job engine on PostgreSQL: procrastinate runs the worker's work (`autotriage.jobs.work`).

Jobs name work, they never carry it: ``autotriage.group`` means "group what the inbox
holds" and ``autotriage.run_action`` with ``action_id=N`` means "run outbox action N".

* **Atomic with the outbox.** "Run action N at T" is deferred on the very connection and
  transaction that insert action N (or record its retry), through `Store.defer_action`:
  both commit or neither does. A queueing lock (``action:N``) keeps one waiting job per
  action; the claim in `run_one` keeps one attempt at a time.
* **Grouping stays batched.** Intake nudges one ``autotriage.group`` job (queueing lock
  ``group``: at most one waits, however many events arrive); the job takes the inbox in
  batches for a few seconds, under a fleet-wide advisory lock, and nudges a successor if
  events remain.
* **Periodic work** -- the sweep, retention, the CloudWatch scan, the Sentry poll, GitHub
  state polling and the mirror refresh -- is deferred once per period across all workers
  (procrastinate's periodic defers are unique per task and timestamp).
* **The sweep** (every 10 s) re-defers what a crash may have orphaned: actions whose
  claim expired, and an inbox with no grouping job; it also releases held CloudWatch
  traces whose grace period is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import psycopg
from procrastinate import App, JobContext, PsycopgConnector, SyncPsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from psycopg_pool import PoolTimeout
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from autotriage.config import Settings
from autotriage.jobs import work as tasks
from autotriage.jobs.work import Work
from autotriage.models import utcnow
from autotriage.worker import Worker, WorkerStatus

log = logging.getLogger(__name__)

GROUP = "autotriage.group"
# Two queues, each with its own worker slots: actions wait on GitHub's pace (one mutation
# a second per credential), and must never take every slot from grouping and the sweep.
INBOX, ACTIONS = "inbox", "actions"
INBOX_CONCURRENCY = 2
RUN_ACTION = "autotriage.run_action"
NUDGE_SPACING = 0.05  # seconds between grouping nudges from one process
SWEEP_SECONDS = 10
RESTART_SECONDS = 2.0
GROUPING_LOCK = 0x67726F75  # "grou": one grouping job at a time across the fleet
# What a worker meets when PostgreSQL restarts or fails over (procrastinate wraps most).
DATABASE_GONE = (ConnectorException, psycopg.OperationalError, PoolTimeout)
STALLED_SECONDS = 30.0  # no heartbeat for this long: the job's worker is gone (3 missed beats)


def conninfo(database_url: str) -> str:
    """A libpq URL for `database_url` (which may name SQLAlchemy's driver)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def cron_every(seconds: float) -> str:
    """A cron line for "every `seconds`" (seconds in a sixth field below a minute)."""
    whole = max(1, int(seconds))
    if whole < 60:
        return f"* * * * * */{whole}"
    if whole < 3600:
        return f"*/{max(1, round(whole / 60))} * * * *"
    if whole < 86400:
        return f"0 */{max(1, round(whole / 3600))} * * *"
    return "0 0 * * *"


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


def group_exclusively(work: Work) -> tuple[int, bool]:
    """`group_inbox` while holding the fleet's grouping lock, so batches never collide.

    A session advisory lock, not procrastinate's job ``lock``: a job left "doing" by a
    worker that lost its database would hold a job lock for ever, while this lock goes
    with the connection that took it. A job that finds the lock taken ends at once (it
    must not hold a worker slot): the holder looks at the inbox again after letting go,
    so an event whose nudge met the held lock is still seen.
    """
    with work.store.engine.connect() as conn:
        taken = conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": GROUPING_LOCK})
        conn.commit()
        if not taken:
            return 0, False
        try:
            done, more = tasks.group_inbox(work)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": GROUPING_LOCK})
            conn.commit()
    return done, more or tasks.inbox_waiting(work)


def queued_actions(work: Work) -> set[int]:
    """Actions with a job waiting or running: the sweep leaves those alone."""
    with work.store.reading() as session:
        rows = session.execute(
            text(
                "SELECT (args->>'action_id')::bigint FROM procrastinate_jobs "
                "WHERE task_name = :task AND status IN ('todo', 'doing')"
            ),
            {"task": RUN_ACTION},
        )
        return {int(row[0]) for row in rows if row[0] is not None}


async def recover_stalled(manager: JobManager) -> int:
    """Put back in the queue the jobs whose worker is gone (no heartbeat); how many."""
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS))
    for job in stalled:
        log.warning("job %s (%s) stalled: its worker is gone; retrying it", job.id, job.task_name)
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # A job with its queueing lock already waits (another grouping job, say) and
            # does the same work: close the stalled one, rather than fail the sweep on it
            # every 10 s (which would also stop the sweep's re-deferrals).
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
    return len(stalled)


def build_app(work: Work, queue: JobQueue, status: WorkerStatus | None = None) -> App:
    """The worker's procrastinate app: every task, and the periodic ones for `work.settings`.

    `status` (what /health reports) counts the events grouped and the actions run.
    """
    settings = work.settings
    status = status or WorkerStatus()
    app = App(connector=PsycopgConnector(conninfo=conninfo(settings.database_url)))

    @app.task(name=GROUP, queue=INBOX)
    def group() -> int:
        done, more = group_exclusively(work)
        status.events_processed += done
        status.last_cycle = utcnow()
        if more:
            queue.group_now()
        return done

    @app.task(name=RUN_ACTION, queue=ACTIONS)
    def run_action(action_id: int) -> bool:
        ran = tasks.run_action(work, action_id) is not None
        status.actions_run += ran
        if not ran and (later := tasks.next_attempt(work, action_id)) is not None:
            # a job that came early (the sweep's, or one refused a later time by the
            # queueing lock) must not be the action's last: wait for its time again
            queue.defer_action_now(action_id, later)
        return ran

    def periodic(name: str, seconds: float, job: Callable[[], object]) -> None:
        if seconds <= 0:
            return

        def run(timestamp: int) -> None:
            del timestamp  # the period this run stands for; the work reads the database
            job()

        task = app.task(name=f"autotriage.{name}", queue=INBOX, queueing_lock=f"periodic:{name}")(
            run
        )
        app.periodic(cron=cron_every(seconds), periodic_id=name)(task)

    def sweep() -> None:
        queued = queued_actions(work)
        for action_id, when in tasks.due_actions(work):
            if action_id not in queued:  # its job was lost (a crash between commit and run)
                queue.defer_action_now(action_id, when)
        tasks.release_held_traces(work)  # CloudWatch traces whose tail never came
        if tasks.inbox_waiting(work):
            queue.group_now()

    @app.periodic(cron=cron_every(SWEEP_SECONDS), periodic_id="sweep")
    @app.task(
        name="autotriage.sweep", queue=INBOX, queueing_lock="periodic:sweep", pass_context=True
    )
    async def sweep_task(context: JobContext, timestamp: int) -> None:
        del timestamp
        # A job whose worker died (kill -9, a lost machine) stays "doing" and would hold
        # the grouping lock for ever: put it back in the queue (every task is idempotent).
        await recover_stalled(context.app.job_manager)
        await asyncio.to_thread(sweep)

    periodic("retention", settings.retention_interval_seconds, lambda: tasks.retention(work))
    if settings.aws_log_group_name:
        periodic("scan", settings.scan_interval, lambda: tasks.scan_cloudwatch(work))
    if settings.sentry_auth_token is not None and settings.sentry_project:
        periodic("sentry_poll", settings.scan_interval, lambda: tasks.poll_sentry(work))
    if settings.github_configured and not settings.github_webhook_secret:
        periodic("github_poll", settings.github_poll_seconds, lambda: tasks.poll_github(work))
    if settings.github_configured and not settings.repo_path:
        periodic("mirror", settings.repo_fetch_interval_seconds, lambda: tasks.refresh_mirror(work))
    return app


def worker_options(concurrency: int, queue: str) -> dict[str, object]:
    """How our workers run: `concurrency` jobs of `queue` at once, finished jobs deleted."""
    return {
        "concurrency": concurrency,
        "queues": [queue],
        "delete_jobs": "successful",
        "name": f"autotriage-{queue}",
        "install_signal_handlers": False,
        "shutdown_graceful_timeout": 30.0,
        # LISTEN/NOTIFY wakes workers at once; polling covers a listener lost in an outage
        "fetch_job_polling_interval": 1.0,
    }


async def run_workers(app: App, concurrency: int) -> None:
    """The inbox worker and the actions worker, until cancelled (a graceful stop) or one
    fails (the other is then stopped too, and the failure raised)."""
    runs = [
        asyncio.create_task(app.run_worker_async(**worker_options(INBOX_CONCURRENCY, INBOX))),  # type: ignore[arg-type]
        asyncio.create_task(app.run_worker_async(**worker_options(concurrency, ACTIONS))),  # type: ignore[arg-type]
    ]
    try:
        done, _ = await asyncio.wait(runs, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
    for run in done:
        run.result()


class EngineWorker:
    """A procrastinate worker inside a running event loop (``serve`` on PostgreSQL)."""

    def __init__(self, app: App, concurrency: int, status: WorkerStatus) -> None:
        self.app = app
        self.concurrency = concurrency
        self.status = status
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the pool and start working in the background of the current loop."""
        await self.app.open_async()
        self._task = asyncio.create_task(self._supervise())
        self.status.running = True

    async def _supervise(self) -> None:
        # The worker stops when PostgreSQL goes away (a restart, a failover): start it
        # again until it stays up, rather than leave the server without a worker.
        while True:
            try:
                await run_workers(self.app, self.concurrency)
                log.warning("job worker ended by itself; restarting in %ss", RESTART_SECONDS)
            except DATABASE_GONE as exc:
                self.status.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("job worker stopped (%s); restarting in %ss", exc, RESTART_SECONDS)
            except Exception as exc:  # stop() cancels; nothing else may end this worker
                self.status.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("job worker failed; restarting in %ss", RESTART_SECONDS)
            await asyncio.sleep(RESTART_SECONDS)

    @property
    def alive(self) -> bool:
        """True while the worker task runs."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop after the running jobs finish (procrastinate's graceful shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.status.running = False
        await self.app.close_async()


async def _serve_until_signalled(app: App, queue: JobQueue, concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with app.open_async():
        while not stopping.is_set():
            # whatever the inbox already holds; if the database is still down, the sweep
            # defers it once it is back
            with contextlib.suppress(*DATABASE_GONE):
                await asyncio.to_thread(queue.group_now)
            runs = asyncio.create_task(run_workers(app, concurrency))
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait([runs, stop], return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():
                runs.cancel()  # procrastinate's graceful stop: running jobs finish
                with contextlib.suppress(asyncio.CancelledError, *DATABASE_GONE):
                    await runs
                return
            stop.cancel()
            # Not asked to stop, so the job loops must run again, however they ended: after
            # a PostgreSQL restart procrastinate's worker may also just return (seen in the
            # restart test), and a worker process that exits then groups nothing more.
            try:
                runs.result()
                log.warning("job worker ended by itself; restarting in %ss", RESTART_SECONDS)
            except DATABASE_GONE as exc:  # PostgreSQL went away: wait for it, then go again
                log.warning("job worker stopped (%s); restarting in %ss", exc, RESTART_SECONDS)
            except Exception:  # anything else an outage throws must not end the worker either
                log.exception("job worker failed; restarting in %ss", RESTART_SECONDS)
            await asyncio.sleep(RESTART_SECONDS)


def uses_engine(settings: Settings) -> bool:
    """Whether the work runs on the job engine: ``JOB_ENGINE=procrastinate`` on PostgreSQL."""
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    return postgres and settings.job_engine == "procrastinate"


def engine_worker(queue: JobQueue, worker: Worker, work: Work) -> EngineWorker:
    """The engine worker `serve` runs in its event loop: `work`'s tasks, `worker`'s status."""
    app = build_app(work, queue, worker.status)
    return EngineWorker(app, worker.concurrency, worker.status)


def run_forever(worker: Worker, work: Work, queue: JobQueue, concurrency: int) -> None:
    """`autotriage worker` on PostgreSQL: work jobs until SIGTERM/SIGINT, then drain."""
    app = build_app(work, queue, worker.status)
    try:
        asyncio.run(_serve_until_signalled(app, queue, concurrency))
    finally:
        queue.close()
