"""``autotriage worker``: the worker alone, for running processing apart from the server."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from autotriage.cli.common import open_store, settings
from autotriage.worker import Worker


def worker(
    once: Annotated[bool, typer.Option(help="Drain what is due now, then exit.")] = False,
) -> None:
    """Process the inbox and run due actions until stopped (SIGINT or SIGTERM)."""
    current = settings()
    store = open_store(current)
    runner = Worker(store, current)
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
