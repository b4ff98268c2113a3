"""``autotriage worker``: the worker alone, for running processing apart from the server."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy import text

from autotriage.actions import build_handlers
from autotriage.cli.common import fail, open_store, settings
from autotriage.jobs.engine import run_forever, uses_engine
from autotriage.jobs.work import Work
from autotriage.store import Store
from autotriage.worker import Worker


def worker(
    once: Annotated[bool, typer.Option(help="Drain what is due now, then exit.")] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Jobs run at once (default AUTOTRIAGE_WORKER_CONCURRENCY, 4)."
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Exit 0 if the store answers, 1 if not (a health check).")
    ] = False,
) -> None:
    """Process the inbox and run due actions until stopped (SIGINT or SIGTERM).

    On PostgreSQL the work runs on the job engine (procrastinate), and any number of
    workers may run on any number of machines; on SQLite, one process does it all.
    """
    current = settings()
    if check:
        _check(current.database_url)
        return
    store = open_store(current)
    if uses_engine(current.database_url) and not once:
        # procrastinate installs its own SIGTERM/SIGINT handlers: running jobs finish first
        work = Work(store, current, build_handlers(current))
        run_forever(work, concurrency or current.worker_concurrency)
        store.dispose()
        return
    runner = Worker(store, current, concurrency=concurrency or current.worker_concurrency)
    if once:
        runner.drain()
        store.dispose()
        return
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    stopped.wait()
    runner.stop()
    store.dispose()


def _check(database_url: str) -> None:
    store = Store(database_url)
    try:
        with store.reading() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        raise fail(f"store unreachable: {type(exc).__name__}") from None
    finally:
        store.dispose()
