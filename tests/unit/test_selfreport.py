"""``SENTRY_DSN``: autotriage's own errors go to a DSN through the real sentry-sdk, scrubbed."""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest

# Runs in a child process: sentry-sdk's init is process-wide and must not leak into others.
SCRIPT = """
import sentry_sdk
from autotriage.config import load_settings
from autotriage.services import build_services

services = build_services(load_settings(env_file=None))
try:
    raise RuntimeError("db login password=hunter2secret from 10.9.8.7 for ann@example.com")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(10)
services.close()
"""


class _Listener(BaseHTTPRequestHandler):
    bodies: list[bytes]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        encoding = self.headers.get("content-encoding", "")
        body = gzip.decompress(raw) if encoding == "gzip" else raw
        body = brotli.decompress(raw) if encoding == "br" else body
        self.bodies.append(body)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Handler", (_Listener,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], bodies
    server.shutdown()
    server.server_close()


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_own_errors_reach_the_dsn_scrubbed(
    tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, bodies = listener
    dsn = f"http://abcdef0123456789abcdef0123456789@127.0.0.1:{port}/7"
    result = _run(tmp_path, SENTRY_DSN=dsn, SCRUB_IPS="true")
    assert result.returncode == 0, result.stderr
    sent = b"".join(bodies).decode()
    assert "RuntimeError" in sent
    assert "hunter2secret" not in sent
    assert "10.9.8.7" not in sent
    assert "ann@example.com" not in sent
    assert "[REDACTED" in sent
