"""Webhook routes shed load before reading the body: past ``INGEST_MAX_BACKLOG`` every
``POST /webhook/...`` is answered 429 with ``Retry-After`` and its body is never read;
under the bound the same request is read and handled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from autotriage.models import ErrorEvent
from autotriage.web.security import WEBHOOK_PREFIX

WEBHOOKS = [
    "/webhook/github",
    "/webhook/slack",
    "/webhook/slack/commands",
    "/webhook/generic",
    "/webhook/sns",
    "/webhook/firehose",
    "/webhook/sentry",
]


def _call(app: Any, path: str) -> tuple[int, dict[str, str], int]:
    """POST `path` to the ASGI `app` directly; the status, the answer's headers and how
    many times the route asked for the body."""
    reads: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {"services": app.state.services},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, len(reads)


def _backlog(app: Any, events: int) -> None:
    """`events` accepted and left pending (the worker is off)."""
    intake = app.client.app.state.services.intake
    for n in range(events):
        intake.accept("generic", [ErrorEvent(source="generic", source_event_id=f"b{n}")])


@pytest.mark.parametrize("path", WEBHOOKS)
def test_an_overloaded_server_refuses_a_webhook_without_reading_it(
    make_app: Callable[..., Any], path: str
) -> None:
    assert path.startswith(WEBHOOK_PREFIX)
    app = make_app(INGEST_MAX_BACKLOG="2", INGEST_SHED_RETRY_SECONDS="30")
    _backlog(app, 2)
    status, headers, reads = _call(app.client.app, path)
    assert (status, reads) == (429, 0)
    assert headers["retry-after"] == "30"
    assert headers["x-sentry-rate-limits"] == "30::organization:backlog"
    assert headers["x-content-type-options"] == "nosniff"  # the outer middleware ran
    assert app.counts()[0] == 2  # nothing stored for the refused delivery


@pytest.mark.parametrize("path", ["/webhook/generic", "/webhook/github"])
def test_under_the_bound_a_webhook_is_read_and_handled(
    make_app: Callable[..., Any], path: str
) -> None:
    app = make_app(INGEST_MAX_BACKLOG="5")
    _backlog(app, 2)
    status, _, reads = _call(app.client.app, path)
    assert reads >= 1
    assert status != 429  # an unsigned body: refused by the route (401), not shed


def test_through_the_http_stack_a_shed_webhook_says_why(make_app: Callable[..., Any]) -> None:
    app = make_app(INGEST_MAX_BACKLOG="1")
    _backlog(app, 1)
    answer = app.client.post("/webhook/generic", content=b'{"message": "x"}')
    assert answer.status_code == 429
    assert "INGEST_MAX_BACKLOG" in answer.json()["error"]["message"]
    assert int(answer.headers["retry-after"]) > 0
    # The DSN endpoints keep their own (earlier) check; other routes are not shed.
    assert app.client.get("/health").status_code != 429
