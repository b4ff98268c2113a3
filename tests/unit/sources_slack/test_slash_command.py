"""The ``/autotriage status|scan`` slash command: form-encoded, signed, answered at once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from autotriage.config import Settings
from autotriage.services import build_services
from autotriage.store.scans import begin_scan, finish_scan
from autotriage.web.app import create_app
from tests.support import fixture_bytes

SECRET = "test-signing-secret-not-a-real-one-000"
TS = 1_780_000_000


def signed_form(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urlencode(fields).encode()
    digest = hmac.new(SECRET.encode(), f"v0:{TS}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(TS),
        "x-slack-signature": f"v0={digest}",
    }


@pytest.fixture
def served(
    make_settings: Callable[..., Settings], serve_app: Callable[[FastAPI], httpx.Client]
) -> tuple[FastAPI, httpx.Client]:
    settings = make_settings(AUTOTRIAGE_WORKER="false", SLACK_SIGNING_SECRET=SECRET)
    app = create_app(build_services(settings, clock=lambda: TS))
    return app, serve_app(app)


def test_fixture_command_is_verified_and_answered_with_usage(
    served: tuple[FastAPI, httpx.Client],
) -> None:
    _, http = served
    headers: dict[str, Any] = json.loads(fixture_bytes("slack", "slash_command.headers.json"))
    body = fixture_bytes("slack", "slash_command.body.txt")
    response = http.post("/webhook/slack/commands", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "/autotriage status" in response.json()["text"]
    tampered = http.post("/webhook/slack/commands", content=body + b"x", headers=headers)
    assert tampered.status_code == 401


def test_status_lists_groups_and_recent_scans(served: tuple[FastAPI, httpx.Client]) -> None:
    app, http = served
    scan_id = begin_scan(app.state.store, "cli")
    finish_scan(app.state.store, scan_id, {"events_read": 12, "errors_found": 3})
    body, headers = signed_form({"command": "/autotriage", "text": "status"})
    response = http.post("/webhook/slack", content=body, headers=headers)
    text = response.json()["text"]
    assert "0 open groups" in text
    assert f"scan {scan_id} (cli) done: 12 events read, 3 errors found" in text


def test_scan_without_a_pull_source_says_so(served: tuple[FastAPI, httpx.Client]) -> None:
    _, http = served
    body, headers = signed_form({"command": "/autotriage", "text": "scan"})
    response = http.post("/webhook/slack/commands", content=body, headers=headers)
    assert response.json()["text"] == "No pull source is configured: nothing to scan."
    missing, headers = signed_form({"text": "scan"})
    assert http.post("/webhook/slack/commands", content=missing, headers=headers).status_code == 400
