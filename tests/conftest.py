"""Fixtures shared by every test: settings on a temporary store, SQLite or PostgreSQL."""

from __future__ import annotations

import gc
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from autotriage.config import Settings, load_settings
from autotriage.store import Store
from tests.support import free_port

POSTGRES_URL = os.environ.get(
    "AUTOTRIAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _admin_url() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg").render_as_string(False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL, once the server answered; else every postgres test fails saying so."""
    engine = create_engine(_admin_url(), connect_args={"connect_timeout": 3})
    reason = None
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    finally:
        engine.dispose()
    if reason is not None:  # failed outside the except, so only this message is shown
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL is not reachable at {where} ({reason}). The postgres-marked tests "
            "need it: start it, or set AUTOTRIAGE_TEST_POSTGRES_URL to a server that answers.",
            pytrace=False,
        )
    return _admin_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"autotriage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        # Collect now, so a connection the test left open is reported against this test.
        gc.collect()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each supported backend (tests using it run on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'autotriage.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build `Settings` with a temporary SQLite store unless told otherwise."""

    def build(**overrides: Any) -> Settings:
        overrides.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'autotriage.db'}")
        return load_settings(env_file=None, **overrides)

    return build


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each backend."""
    instance = Store(database_url)
    instance.migrate()
    yield instance
    instance.dispose()


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
