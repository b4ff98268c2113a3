"""``autotriage worker``: the worker alone, for running processing apart from the server."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from autotriage.cli.common import open_services


def worker(
    once: Annotated[bool, typer.Option(help="Drain what is due now, then exit.")] = False,
) -> None:
    """Process the inbox and run due actions until stopped (SIGINT or SIGTERM)."""
    built = open_services()
    runner = built.worker
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
