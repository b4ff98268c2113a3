"""Fixtures for the sources1 integration tests: an in-process app with a key, store counts."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from autotriage.config import load_settings
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Delivery, Event
from autotriage.web.app import create_app
from tests.support import fixture_bytes

with warnings.catch_warnings():
    # Starlette's TestClient warns about its own httpx use on import; not ours to fix.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VECTOR = json.loads(fixture_bytes("sentry", "signature_test_vector.json"))
WEBHOOK_SECRET = "generic-webhook-secret-for-tests"


@dataclass
class App:
    """An app on a real store, its client, and a key for project 42."""

    client: TestClient
    store: Store
    key: str

    def counts(self) -> tuple[int, int]:
        """(events, deliveries) stored so far."""
        with self.store.reading() as session:
            events = session.scalar(select(func.count()).select_from(Event)) or 0
            deliveries = session.scalar(select(func.count()).select_from(Delivery)) or 0
        return int(events), int(deliveries)

    def events(self) -> list[dict[str, Any]]:
        """Stored event payloads, oldest first."""
        with self.store.reading() as session:
            return [row.payload for row in session.scalars(select(Event).order_by(Event.id))]


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., App]]:
    """Build an app (worker off unless asked) on each backend, with one ingest key."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> App:
        env = {
            "DATABASE_URL": database_url,
            "AUTOTRIAGE_WORKER": "false",
            "SENTRY_CLIENT_SECRET": VECTOR["client_secret"],
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            **overrides,
        }
        settings = load_settings(env_file=None, **env)
        store = Store(database_url)
        app = create_app(settings, store)
        # The Sentry signature vector was signed in 2019: answer it at its own time.
        app.state.clock = lambda: float(VECTOR["request_headers"]["Sentry-Hook-Timestamp"])
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        with store.transaction() as session:
            key, _ = create_key(session, 42, "tests", utcnow())
        return App(client, store, key)

    yield build
    for client in clients:
        client.__exit__(None, None, None)
