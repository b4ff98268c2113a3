"""Serve the app for real (uvicorn in a thread) so requests go over loopback HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from autotriage.testing import free_port


@pytest.fixture
def serve_app() -> Iterator[Callable[[FastAPI], httpx.Client]]:
    """Serve an app with uvicorn in a thread on a free port; returns an httpx client to it."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(app: FastAPI) -> httpx.Client:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        running.append((server, thread, client))
        return client

    yield start
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(15)
