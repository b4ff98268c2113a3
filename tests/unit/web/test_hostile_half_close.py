"""The outermost middleware, at HTTP's edge. A client that half-closes its connection
after sending a request (found by the hostile corpus's pipelined cases) makes uvloop
refuse the answer's writes before uvicorn sees the disconnect. The answer is dropped quietly, as uvicorn drops it once it knows, instead of
a traceback in the log that any client could cause at will. And a request line without
a version (HTTP/0.9) is refused: the corpus's half-closed probes had hidden its 200."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from autotriage.web.security import SecurityHeaders

CLOSED = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    del scope, receive
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _run(error: str) -> list[str]:
    tried: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        tried.append(message["type"])
        raise RuntimeError(error)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "path": "/webhook/generic", "headers": []}
    asyncio.run(SecurityHeaders(_answer)(scope, receive, send))
    return tried


def test_an_answer_to_a_closed_connection_is_dropped_quietly() -> None:
    assert _run(CLOSED) == ["http.response.start"]  # tried once, the rest dropped


def test_any_other_runtime_error_still_raises() -> None:
    with pytest.raises(RuntimeError, match="something else"):
        _run("something else")


def test_a_request_line_without_a_version_is_refused() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "http_version": "0.9", "path": "/health", "headers": []}
    asyncio.run(SecurityHeaders(_answer)(scope, receive, send))
    assert sent[0]["status"] == 400  # not the app's 200
    assert b"HTTP/0.9 is not served" in b"".join(m.get("body", b"") for m in sent)
