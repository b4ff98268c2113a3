"""A live ``autotriage serve`` process to attack, a listener that records any fetch, and
the fake GitHub and Slack it files to (their records are what the rendering checks read).

The server runs as its own process so its resident memory can be read from /proc
(``VmRSS`` now, ``VmHWM`` the peak since the last reset through ``clear_refs``), and so a
crash or a hang shows as what it is.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.github.server import FakeGitHub
from tests.support import LiveServer


class Listener:
    """A loopback HTTP server that records every request it gets (and answers 200)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorded.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_HEAD = _record

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HostileServer(LiveServer):
    """`LiveServer` that also reads the server's resident memory from /proc."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        super().__init__(env, cwd)
        self.log_path = cwd / f"hostile-server-{self.port}.log"

    def start(self, timeout: float = 180.0) -> HostileServer:
        """Start the process and wait until /health answers."""
        super().start(timeout)
        return self

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process is not None and self.process.poll() is None

    def _status(self, field: str) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{field} missing from /proc status")

    def rss(self) -> int:
        """Resident memory now, in bytes."""
        return self._status("VmRSS")

    def reset_peak(self) -> None:
        """Start a new peak-RSS window (Linux ``clear_refs`` 5)."""
        assert self.process is not None
        # Without it the peak is the process's lifetime peak: stricter, not looser.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak(self) -> int:
        """Peak resident memory since the last `reset_peak`, in bytes."""
        return self._status("VmHWM")


class SlackRecorder:
    """A loopback stand-in for a Slack incoming webhook: records every JSON post."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    posts.append(json.loads(raw))
                except ValueError:
                    posts.append({"unreadable": raw.decode(errors="replace")})
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self.server.server_address[1]}/services/T0HOSTILE/B0HOSTILE/x"
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlackRecorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingGitHub(FakeGitHub):
    """The fake GitHub, also keeping every issue or comment body it was sent (a later
    edit replaces an issue's body; the check reads each version)."""

    def __init__(self) -> None:
        super().__init__(min_spacing=0.0, secondary_per_minute=None)
        self.bodies: list[str] = []

    def handle(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        raw: bytes,
        arrived: float | None = None,
    ) -> tuple[int, dict[str, str], bytes, float]:
        """Record the Markdown of issue and comment writes, then answer as the fake does."""
        if method in ("POST", "PATCH") and "/issues" in target:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("body"), str):
                with self.lock:
                    self.bodies.append(body["body"])
        return super().handle(method, target, headers, raw, arrived)
