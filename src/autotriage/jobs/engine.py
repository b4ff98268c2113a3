"""The job engine on PostgreSQL: procrastinate runs the worker's work (`autotriage.jobs.work`).

Jobs name work, they never carry it: ``autotriage.group`` means "group what the inbox
holds" and ``autotriage.run_action`` with ``action_id=N`` means "run outbox action N"
(`autotriage.jobs.queue` defers them; this module runs them).

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
from collections.abc import Callable

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from psycopg_pool import PoolTimeout
from sqlalchemy import text

from autotriage.jobs import work as tasks
from autotriage.jobs.queue import ACTIONS, GROUP, INBOX, RUN_ACTION, JobQueue, conninfo
from autotriage.jobs.work import Work
from autotriage.models import utcnow
from autotriage.pipeline import Worker, WorkerStatus

log = logging.getLogger(__name__)

INBOX_CONCURRENCY = 2
SWEEP_SECONDS = 10
RESTART_SECONDS = 2.0
GROUPING_LOCK = 0x67726F75  # "grou": one grouping job at a time across the fleet
# What a worker meets when PostgreSQL restarts or fails over (procrastinate wraps most).
DATABASE_GONE = (ConnectorException, psycopg.OperationalError, PoolTimeout)
STALLED_SECONDS = 30.0  # no heartbeat for this long: the job's worker is gone (3 missed beats)


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
    """The worker's procrastinate app: every task, and the periodic ones `work` calls for.

    `status` (what /health reports) counts the events grouped and the actions run.
    """
    status = status or WorkerStatus()
    app = App(connector=PsycopgConnector(conninfo=conninfo(work.server.database_url)))

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

    every: float = work.retention.retention_interval_seconds
    periodic("retention", every, lambda: tasks.retention(work))
    if work.aws.aws_log_group_name:
        periodic("scan", work.aws.scan_interval, lambda: tasks.scan_cloudwatch(work))
    if work.polls_sentry:
        periodic("sentry_poll", work.aws.scan_interval, lambda: tasks.poll_sentry(work))
    if work.polls_github:
        every = work.pipeline.github.github_poll_seconds
        periodic("github_poll", every, lambda: tasks.poll_github(work))
    if work.mirrors:
        every = work.pipeline.analysis.repo_fetch_interval_seconds
        periodic("mirror", every, lambda: tasks.refresh_mirror(work))
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
