"""``autotriage worker``: the worker alone, for running processing apart from the server."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy import text

from autotriage.cli.common import fail, open_services, settings
from autotriage.jobs.engine import run_forever
from autotriage.store import Store


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
    if check:
        _check(settings().server.database_url)
        return
    built = open_services()
    runner = built.worker
    if concurrency is not None:
        runner.concurrency = concurrency
    if built.jobs is not None and not once:
        # procrastinate installs its own SIGTERM/SIGINT handlers: running jobs finish first
        run_forever(runner, built.work, built.jobs, runner.concurrency)
        built.close()
        return
    if once:
        runner.drain()
        built.close()
        return
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    stopped.wait()
    built.close()


def _check(database_url: str) -> None:
    store = Store(database_url)
    try:
        with store.reading() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        raise fail(f"store unreachable: {type(exc).__name__}") from None
    finally:
        store.dispose()
