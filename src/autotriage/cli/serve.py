"""``autotriage serve``: the HTTP server with its in-process worker."""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from autotriage.cli.common import settings
from autotriage.memory import map_large_buffers
from autotriage.services import build_services
from autotriage.web.app import create_app
from autotriage.web.auth import exposure_problem

log = logging.getLogger(__name__)


GC_YOUNG_THRESHOLD = 20_000
"""Allocations between young collections. Each ingested event allocates a few thousand
short-lived containers, which the default (700) collects several times per event."""


def tune_gc() -> None:
    """Freeze what start-up built (modules, settings, the app) out of every collection,
    and collect the young generation less often: both cut the collector's share of
    ingest without holding more garbage than a few events' worth."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT, 3000).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the server: webhooks, the API and the worker."""
    current = settings()
    bind_host = host or current.host
    bind_port = port or current.port
    if bind_host != current.host:
        current = current.model_copy(update={"host": bind_host})
        os.environ["HOST"] = bind_host  # the --reload factory reads the environment
    if (problem := exposure_problem(current.server)) is not None:
        log.warning("%s", problem)
    map_large_buffers()  # big request bodies must not leave resident memory behind
    if reload:
        # Watch the package only: the SQLite store under ./data changes on every event.
        package = str(Path(__file__).resolve().parents[1])
        uvicorn.run(
            "autotriage.web.factory:app",
            factory=True,
            host=bind_host,
            port=bind_port,
            reload=True,
            reload_dirs=[package],
            log_config=None,
        )
        return
    app = create_app(build_services(current))
    tune_gc()
    uvicorn.run(
        app,
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
    )
