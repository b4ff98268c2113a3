"""``autotriage worker``: the worker alone, for running processing apart from the server."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy import text

from autotriage.cli.common import fail, open_store, settings
from autotriage.store import Store
from autotriage.worker import Worker


def worker(
    once: Annotated[bool, typer.Option(help="Drain what is due now, then exit.")] = False,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Actions run at once by this process.")
    ] = 1,
    check: Annotated[
        bool, typer.Option(help="Exit 0 if the store answers, 1 if not (a health check).")
    ] = False,
) -> None:
    """Process the inbox and run due actions until stopped (SIGINT or SIGTERM)."""
    current = settings()
    if check:
        _check(current.database_url)
        return
    store = open_store(current)
    runner = Worker(store, current, concurrency=concurrency)
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
