"""Secrets where scrubbing of values alone never looks: mapping *keys* (Sentry tags,
``extra``, nested contexts) and the ids a sender names its deliveries and events by
(a Firehose ``requestId``, a generic ``event_id``). None may reach a stored row or the API.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from autotriage.config import Settings, load_settings
from autotriage.models import utcnow
from autotriage.pipeline import process_pending
from autotriage.services import build_services
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.web.app import create_app

AWS_KEY = "AKIAPLANTEDKEY0NAME1"
GITHUB_TOKEN = "ghp_PlantedInAKeyName000000000000000001"
PASSWORD = "Planted-Key-Pw-42"
PLANTED = (AWS_KEY, GITHUB_TOKEN, PASSWORD)
API_TOKEN = "planted-api-token"
FIREHOSE_KEY = "planted-firehose-key"
WEBHOOK_SECRET = "planted-webhook-secret"
BEARER = {"authorization": f"Bearer {API_TOKEN}"}


class Served:
    """The app in-process, its store, its settings and a DSN key for project 1."""

    def __init__(self, database_url: str) -> None:
        self.settings: Settings = load_settings(
            env_file=None,
            DATABASE_URL=database_url,
            AUTOTRIAGE_WORKER="false",
            AUTOTRIAGE_API_TOKEN=API_TOKEN,
            FIREHOSE_ACCESS_KEY=FIREHOSE_KEY,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        self.store = Store(database_url)
        self.client = TestClient(create_app(build_services(self.settings, store=self.store)))
        self.client.__enter__()
        with self.store.transaction() as session:
            self.key, _ = create_key(session, 1, "planted", utcnow())

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.dispose()

    def dump(self) -> str:
        """Every row of every table, as text."""
        parts: list[str] = []
        with self.store.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 -- schema names
                parts += [repr(tuple(row)) for row in rows]
        return "\n".join(parts)

    def titles(self) -> list[str]:
        """The stored events' titles, oldest first."""
        with self.store.engine.connect() as conn:
            return list(conn.execute(text("SELECT title FROM events ORDER BY id")).scalars())

    def api(self) -> str:
        """What the API and the console show of every group."""
        process_pending(self.store, self.settings.pipeline)
        listing = self.client.get("/api/groups", headers=BEARER)
        assert listing.status_code == 200
        parts = [listing.text]
        for group in listing.json()["groups"]:
            for path in (f"/api/groups/{group['id']}", f"/groups/{group['id']}"):
                answer = self.client.get(path, headers=BEARER)
                assert answer.status_code == 200
                parts.append(answer.text)
        assert len(parts) > 1, "nothing was grouped"
        return "\n".join(parts)


@pytest.fixture
def served(database_url: str) -> Iterator[Served]:
    app = Served(database_url)
    yield app
    app.close()


def _found(haystack: str) -> list[str]:
    return [secret for secret in PLANTED if secret in haystack]


def _envelope(event: dict[str, Any]) -> bytes:
    item = json.dumps(event).encode()
    head = json.dumps({"event_id": event["event_id"]}).encode()
    return head + b"\n" + json.dumps({"type": "event", "length": len(item)}).encode() + b"\n" + item


def test_secrets_in_tag_extra_and_context_keys_are_scrubbed_before_storage(
    served: Served,
) -> None:
    event = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "tags": {f"key {AWS_KEY}": "v", "plain": f"token {GITHUB_TOKEN}"},
        "extra": {GITHUB_TOKEN: 1, f"password={PASSWORD}": "x"},
        "contexts": {"app": {"nested": {f"creds {AWS_KEY}": {f"password={PASSWORD}": 2}}}},
        "exception": {"values": [{"type": "PlantedError", "value": "secrets in keys"}]},
    }
    answer = served.client.post(
        "/api/1/envelope/",
        content=_envelope(event),
        headers={"x-sentry-auth": f"Sentry sentry_version=7, sentry_key={served.key}"},
    )
    assert answer.status_code == 200, answer.text
    dump = served.dump()
    assert "PlantedError" in dump  # stored, so the check below reads a real row
    assert _found(dump) == []
    assert _found(served.api()) == []


def _firehose_body(request_id: str) -> bytes:
    message = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "/aws/lambda/planted",
        "logStream": "s",
        "logEvents": [
            {"id": "1", "timestamp": int(time.time() * 1000), "message": "[ERROR] PlantedError: x"}
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    plain = base64.b64encode(b"ERROR PlantedPlainError: a plain line\n").decode()
    return json.dumps(
        {"requestId": request_id, "records": [{"data": data}, {"data": plain}]}
    ).encode()


def test_a_secret_in_a_firehose_request_id_is_never_stored(served: Served) -> None:
    request_id = f"{uuid.uuid4()}-{AWS_KEY}"
    body = _firehose_body(request_id)
    headers = {"x-amz-firehose-access-key": FIREHOSE_KEY, "content-type": "application/json"}
    answer = served.client.post("/webhook/firehose", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["requestId"] == request_id  # Firehose's reply names its request
    again = served.client.post("/webhook/firehose", content=body, headers=headers)
    assert again.status_code == 200
    dump = served.dump()
    assert "PlantedPlainError" in dump and "PlantedError" in dump
    assert _found(dump) == []
    # Both records stored once: the redelivery is still known by its (digested) id.
    assert len(served.titles()) == 2
    assert _found(served.api()) == []


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {
        "content-type": "application/json",
        "x-autotriage-timestamp": stamp,
        "x-autotriage-signature": f"sha256={digest.hexdigest()}",
    }


def test_a_secret_in_an_event_id_is_never_stored_and_still_dedupes(served: Served) -> None:
    post: Callable[[dict[str, Any]], Any] = lambda doc: served.client.post(  # noqa: E731
        "/webhook/generic", content=(b := json.dumps(doc).encode()), headers=_signed(b)
    )
    first = {"message": "PlantedIdError: one", "event_id": f"evt-{AWS_KEY}-1"}
    second = {"message": "PlantedIdError: two", "event_id": f"evt-{AWS_KEY}-2"}
    for doc in (first, second, {**first, "message": "PlantedIdError: one again"}):
        assert post(doc).status_code == 200
    dump = served.dump()
    assert _found(dump) == []
    # Distinct ids stay distinct, and a known id is still known.
    assert served.titles() == ["PlantedIdError: one", "PlantedIdError: two"]
    assert _found(served.api()) == []
