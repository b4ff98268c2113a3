"""Slow connections (slowloris) against a real ``autotriage serve``: 300 clients that
trickle their headers or their bodies must not starve anyone else, nor grow the server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hostile.server import HostileServer

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 300
HEALTH_BOUND_S = 1.0
"""How long /health may take while every slow client is connected (it answers in ms)."""
MEMORY_BOUND = 50 * 1024 * 1024
"""Resident growth allowed for 300 open connections and their partial requests."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HostileServer]:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'autotriage.db'}",
        "WEBHOOK_SECRET": "slow-hook-secret",
        "AUTOTRIAGE_API_TOKEN": "slow-api-token",
        "AUTOTRIAGE_WORKER": "false",
    }
    live = HostileServer(env, tmp_path).start()
    try:
        yield live
    finally:
        live.stop()


def _open(port: int, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first)
    return sock


def _trickle(socks: list[socket.socket], part: bytes) -> None:
    for sock in list(socks):
        try:
            sock.sendall(part)
        except OSError:
            socks.remove(sock)  # the server may close a slow client: that holds too


def _health_seconds(http: httpx.Client) -> float:
    started = time.monotonic()
    answer = http.get("/health")
    took = time.monotonic() - started
    assert answer.status_code == 200
    return took


def test_300_slow_clients_do_not_starve_health_or_grow_memory(
    server: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    start_rss = server.rss()
    half = SLOW_CLIENTS // 2
    # Half stop inside their headers; half send complete headers and trickle a body.
    headers_open = [
        _open(server.port, b"POST /webhook/generic HTTP/1.1\r\nHost: slow\r\n") for _ in range(half)
    ]
    bodies_open = [
        _open(
            server.port,
            b"POST /webhook/generic HTTP/1.1\r\nHost: slow\r\n"
            b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{",
        )
        for _ in range(SLOW_CLIENTS - half)
    ]
    slowest = 0.0
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for round_ in range(10):
            _trickle(headers_open, f"X-Slow-{round_}: {'a' * 20}\r\n".encode())
            _trickle(bodies_open, b'"a":' * 10)
            slowest = max(slowest, _health_seconds(http))
            time.sleep(0.2)
        peak_rss = server.rss()
        still_open = len(headers_open) + len(bodies_open)
        assert server.alive
        for sock in headers_open + bodies_open:
            sock.close()
        # Once they are gone the server still serves a real request.
        assert (
            http.get("/api/groups", headers={"authorization": "Bearer slow-api-token"}).status_code
            == 200
        )
    with capsys.disabled():
        print(  # noqa: T201 -- the figures, shown even when pytest captures output
            f"\n{SLOW_CLIENTS} slow clients: slowest /health {slowest * 1000:.0f} ms, resident"
            f" {start_rss >> 20} -> {peak_rss >> 20} MB, {still_open} still open at the end"
        )
    assert slowest < HEALTH_BOUND_S, (
        f"/health took {slowest:.2f}s beside {SLOW_CLIENTS} slow clients"
    )
    assert peak_rss - start_rss < MEMORY_BOUND, f"grew {(peak_rss - start_rss) >> 20} MB"
    # A client hanging up mid-request is no bug: no traceback for it (that would let anyone
    # flood the log), and the server says what happened once per hang-up, quietly.
    assert "Traceback" not in server.log()
