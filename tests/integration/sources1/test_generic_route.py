"""/webhook/generic in-process: signed documents stored once; refusals store nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

SECRET = "generic-webhook-secret-for-tests"  # WEBHOOK_SECRET in conftest


def _signed(body: bytes, stamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-autotriage-timestamp": str(stamp),
        "x-autotriage-signature": f"sha256={digest}",
    }


DOC = json.dumps(
    {"message": "deploy hook failed", "exception": {"type": "HookError"}, "service": "ci"}
).encode()


def test_signed_document_is_stored_once(make_app: Callable[..., Any]) -> None:
    app = make_app()
    headers = _signed(DOC)
    first = app.client.post("/webhook/generic", content=DOC, headers=headers)
    again = app.client.post("/webhook/generic", content=DOC, headers=headers)
    assert first.json() == {"status": "accepted", "events": 1, "duplicates": 0}
    assert again.json()["duplicates"] == 1
    assert app.counts() == (1, 1)
    assert app.events()[0]["service"] == "ci"


def test_a_body_only_signature_replayed_with_a_new_timestamp_is_stored_once(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    digest = hmac.new(SECRET.encode(), DOC, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-autotriage-timestamp": str(int(time.time())),
        "x-autotriage-signature": f"sha256={digest}",
    }
    first = app.client.post("/webhook/generic", content=DOC, headers=headers)
    again = app.client.post("/webhook/generic", content=DOC, headers=headers)
    later = {**headers, "x-autotriage-timestamp": str(int(time.time()) + 1)}
    other = app.client.post("/webhook/generic", content=DOC, headers=later)
    assert first.json()["events"] == 1
    assert again.json()["duplicates"] == 1
    # The signature does not cover the timestamp, so a fresh one does not make it new.
    assert other.json()["duplicates"] == 1
    assert app.counts() == (1, 1)


NESTED = b'{"message":' + b"[" * 500 + b"]" * 500 + b"}"


@pytest.mark.parametrize(
    ("body", "signing", "status", "reason"),
    [
        (DOC, "none", 401, "unix seconds"),
        (DOC, "wrong secret", 401, "does not match"),
        (DOC, "stale", 401, "from our clock"),
        (b'{"level":"error"}', "ok", 400, "message"),
        (b'{"message":"x","tags":[]}', "ok", 400, "tags"),
        (NESTED, "ok", 400, "nested"),
    ],
)
def test_refusals_store_nothing(
    make_app: Callable[..., Any], body: bytes, signing: str, status: int, reason: str
) -> None:
    app = make_app()
    headers = {  # signed now, not at collection time, so a slow suite never goes stale
        "none": {},
        "wrong secret": _signed(body, secret="wrong"),
        "stale": _signed(body, stamp=int(time.time()) - 3600),
        "ok": _signed(body),
    }[signing]
    response = app.client.post("/webhook/generic", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]["message"]
    assert app.counts() == (0, 0)
